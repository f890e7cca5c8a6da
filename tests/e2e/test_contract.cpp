// The release contract (core/gongkai/release.hpp): what the generator writes, the server reads
// through the same definitions, and what the server reads, written again, gives the same bytes;
// and the URL scheme (core/gongkai/urls.hpp) gives the URLs the golden site has.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gongkai/fs.hpp"
#include "gongkai/release.hpp"
#include "gongkai/urls.hpp"
#include "gongkai/version.hpp"
#include "led_feed.hpp"
#include "release.hpp"
#include "server_fixture.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;
namespace fs = std::filesystem;

namespace {

const fs::path k_golden = fs::path(GONGKAI_TEST_DIR) / "fixtures/golden";

// The golden site built into dir/out and answered by a server of its own.
std::unique_ptr<test::RunningServer> serve_golden(const TempDir& dir) {
  REQUIRE(test::build_site(k_golden / "content", dir / "out").exit_code == 0);
  server::ServerOptions o;
  o.output_dir = dir / "out";
  o.threads = 2;
  o.release_poll_ms = 0;
  return std::make_unique<test::RunningServer>(o);
}

}  // namespace

TEST_CASE("contract: a release built by the generator is opened by the server as it was written") {
  TempDir dir;
  const auto r = test::build_site(k_golden / "content", dir / "out");
  REQUIRE(r.exit_code == 0);
  const fs::path out = dir / "out";
  const fs::path link = out / contract::k_current_link;
  CHECK(fs::read_symlink(link) == contract::release_link_target(r.release_id));
  const fs::path root = out / contract::k_current_link;
  for (const char* part : {contract::k_site_dir, contract::k_server_dir, contract::k_search_dir})
    CHECK(fs::is_directory(root / part));

  // release.json: the generator's writer, read back by the contract's reader and the server.
  const auto info = contract::parse_release_json(read_file(root / contract::k_release_file));
  REQUIRE(info);
  CHECK(info->build_id == r.release_id);
  CHECK(info->now == "2022-03-15T10:00:00+08:00");
  CHECK(info->base_url == "https://golden.example.gov.cn/");
  CHECK(info->documents == r.documents);
  CHECK(info->pages == r.pages);
  CHECK(info->generator == std::string("gongkai-build ") + k_version);
  CHECK(contract::release_json(*info) == read_file(root / contract::k_release_file));

  server::ReleaseManager releases(out, std::chrono::milliseconds(0), 0);
  const auto served = releases.current();
  REQUIRE(served);
  CHECK(served->id == r.release_id);
  CHECK(served->documents == r.documents);
  CHECK(served->build_now == info->now);
  CHECK(served->base_url == info->base_url);
  CHECK(served->site_title == "金样镇人民政府");
  CHECK(served->wechat_guide.url == "/pages/guide/");
  REQUIRE(!served->wechat_latest.empty());
  CHECK(served->wechat_latest.front().url == "/consultations/market/");
  CHECK(served->wechat_latest.front().published == "2022-03-01");
  REQUIRE(served->led.items.size() == 1);
  CHECK(served->led.items.front().id == "/notices/law/");
  const fs::path page = contract::server_file(root, contract::k_search_page_file);
  CHECK(served->search_page_template == read_file(page));
  CHECK(!served->search_results_template.empty());
  const fs::path not_found = root / contract::k_site_dir / contract::k_not_found_file;
  CHECK(served->not_found_page == read_file(not_found));

  // The stub the indexer wrote names the parts the server counts.
  const std::string stub = read_file(root / contract::k_search_dir / contract::k_search_stub);
  const auto parts = contract::search_stub_parts(stub);
  REQUIRE(!parts.empty());
  CHECK(contract::search_stub(parts.size(), false) == stub);
}

TEST_CASE("contract: the golden server files, read and written again, are the same bytes") {
  const fs::path server = k_golden / "expected" / contract::k_server_prefix;
  const std::string wechat = read_file(server / contract::k_wechat_file);
  CHECK(contract::wechat_lists_json(contract::parse_wechat_lists(wechat)) == wechat);
  const std::string led = read_file(server / contract::k_led_file);
  CHECK(contract::led_json(server::parse_led_data(led)) == led);
}

TEST_CASE("contract: led.json keeps screens, windows and date-only ends, written and read") {
  LedScreen screen;
  screen.id = "hall";
  screen.width = 128;
  screen.height = 32;
  screen.font = 16;
  screen.charset = "gb2312";
  screen.mode = "lines";
  contract::LedData data;
  data.screens.push_back(contract::led_screen_profile(screen));
  CHECK(data.screens[0].cols == 16);
  CHECK(data.screens[0].rows == 2);
  led::LedItem a;
  a.id = "/notices/a/";
  a.title = "通知";
  a.text = "依法行政";
  a.priority = 3;
  a.published = *DateTime::parse("2022-03-01");
  a.from = DateTime::parse("2022-03-01T08:00:00+08:00");
  a.until = DateTime::parse("2022-03-31");
  data.items.push_back(a);
  led::LedItem b = a;
  b.id = "/notices/b/";
  b.from.reset();
  b.until.reset();
  data.items.push_back(b);

  const std::string text = contract::led_json(data);
  const contract::LedData back = server::parse_led_data(text);
  REQUIRE(back.screens.size() == 1);
  CHECK(back.screens[0].id == "hall");
  CHECK(back.screens[0].cols == 16);
  CHECK(back.screens[0].rows == 2);
  CHECK(back.screens[0].charset == "gb2312");
  REQUIRE(back.items.size() == 2);
  REQUIRE(back.items[0].until);
  CHECK(!back.items[0].until->has_time);
  CHECK(back.items[0].from->iso8601() == "2022-03-01T08:00:00+08:00");
  CHECK(!back.items[1].from);
  CHECK(!back.items[1].until);
  CHECK(contract::led_json(back) == text);
  CHECK_THROWS(server::parse_led_data(R"({"screens": [], "items": [{"id": "/a/", "title": "",
      "text": "", "priority": 0, "published": "not a date"}]})"));
}

TEST_CASE("contract: release.json, wechat.json and tree paths round-trip") {
  const contract::ReleaseInfo info{
      "20220315-abc",       "2022-03-15T10:00:00+08:00", "https://x.example/", 12, 34,
      "gongkai-build 9.9.9"};
  const auto back = contract::parse_release_json(contract::release_json(info));
  REQUIRE(back);
  CHECK(back->build_id == info.build_id);
  CHECK(back->documents == 12);
  CHECK(back->pages == 34);
  CHECK(back->generator == info.generator);
  CHECK(!contract::parse_release_json("not json"));
  CHECK(contract::parse_release_json("{}")->build_id.empty());

  const contract::WechatLists lists{
      "镇政府", {{"a", "/a/", "s", "2022-03-01"}}, contract::ListEntry{"指南", "/g/", "g", ""}};
  const std::string text = contract::wechat_lists_json(lists);
  CHECK(text.find("\"published\": \"2022-03-01\"") != std::string::npos);
  const auto l = contract::parse_wechat_lists(text);
  CHECK(l.title == "镇政府");
  REQUIRE(l.latest.size() == 1);
  CHECK(l.latest[0].url == "/a/");
  REQUIRE(l.guide);
  CHECK(l.guide->url == "/g/");
  CHECK(!contract::parse_wechat_lists(R"({"title": "t", "latest": []})").guide);

  for (const char* p : {"index.html", "_server/led.json", "_wechat/notices/law.json", "a.css"})
    CHECK(contract::tree_path_of(contract::published_path(p)) == std::optional<std::string>(p));
  CHECK(contract::published_path("_server/led.json") == "server/led.json");
  CHECK(contract::published_path("disclosure/index.html") == "site/disclosure/index.html");
  CHECK(!contract::tree_path_of("search/XAPIANDB"));
  CHECK(contract::server_tree_path(contract::k_led_file) == "_server/led.json");

  CHECK(contract::search_stub(2, false) == "glass 0\nglass 1\n");
  CHECK(contract::search_stub(2, true) == "glass 0\nglass 1\nglass delta\n");
  CHECK(contract::search_stub_parts("glass 0\nglass 1\nglass delta\n") ==
        std::vector<std::string>{"0", "1", "delta"});
  CHECK(contract::search_stub_parts("glass 0\n\n").size() == 1);
}

// ---- the URL scheme (core/gongkai/urls.hpp) ---------------------------------------------------

TEST_CASE("urls: every page URL of the scheme is a file of the golden tree") {
  const fs::path expected = k_golden / "expected";
  const std::vector<std::string> pages = {
      urls::home(),
      urls::section(Section::disclosure),
      urls::section(Section::notices),
      urls::section(Section::consultations),
      urls::item("disclosure/2021/report.md"),
      urls::item("notices/law.md"),
      urls::print(urls::item("notices/law.md")),
      urls::item("pages/guide.md"),
      urls::disclosure_category("fzzf"),
      urls::disclosure_department("dzb"),
      urls::disclosure_year(2021),
      urls::attachment("disclosure/2021/data.csv"),
      urls::annual_report_csv(2021),
      urls::not_found(),
      urls::responsibilities(),
      urls::responsibility_type("xk"),
      urls::responsibility_list("zhdd"),
      urls::responsibility_history("zhdd"),
      urls::responsibility_csv("zhdd"),
      urls::responsibility_json("zhdd"),
      urls::responsibilities_csv(),
      urls::responsibilities_json(),
      urls::feed_rss(urls::home()),
      urls::feed_json(urls::home()),
      urls::feed_rss(urls::section(Section::notices)),
      urls::feed_json(urls::section(Section::disclosure)),
      urls::sitemap(),
      urls::robots(),
      urls::opensearch(),
  };
  for (const std::string& url : pages) {
    INFO(url);
    CHECK(url.front() == '/');
    CHECK(fs::is_regular_file(expected / urls::tree_path(url)));
  }
}

TEST_CASE("urls: the golden pages link what the scheme gives, and name the server's URLs") {
  const fs::path expected = k_golden / "expected";
  auto holds = [&](const std::string& file, const std::string& text) {
    INFO(file << " should hold " << text);
    CHECK(read_file(expected / file).find(text) != std::string::npos);
  };
  auto links = [&](const std::string& file, const std::string& url) {
    holds(file, "href=\"" + url + "\"");
  };
  links("index.html", urls::section(Section::disclosure));
  links("index.html", urls::responsibility_list("zhdd"));
  links("index.html", urls::item("disclosure/2021/report.md"));
  links("responsibilities/zhdd/index.html", urls::responsibility_csv("zhdd"));
  links("responsibilities/zhdd/index.html", urls::responsibility_json("zhdd"));
  links("responsibilities/zhdd/index.html", urls::responsibility_history("zhdd"));
  links("disclosure/index.html", urls::disclosure_category("ndbg"));
  links("disclosure/index.html", urls::disclosure_department("zhdd"));
  links("disclosure/index.html", urls::disclosure_year(2019));
  holds("notices/law/index.html", urls::print("/notices/law/"));

  const std::string base = "https://golden.example.gov.cn/";
  holds("sitemap.xml", "<loc>" + urls::absolute_encoded(base, "/notices/law/") + "</loc>");
  holds("robots.txt", "Disallow: " + urls::search() + "\n");
  holds("opensearch.xml", urls::absolute(base, urls::search()) + "?q=");
  holds("opensearch.xml", urls::absolute(base, urls::api_search()) + "?q=");
  holds("index.xml", urls::absolute(base, urls::feed_rss(urls::home())));
}

TEST_CASE("urls: lists, search, LED and absolute addresses") {
  CHECK(urls::item("disclosure/2021/a.md") == "/disclosure/2021/a/");
  CHECK(urls::item("pages/about/index.md") == "/pages/about/");
  CHECK(urls::item("pages/about/_index.md") == "/pages/about/");
  CHECK(urls::list_page("/notices/", 1) == "/notices/");
  CHECK(urls::list_page("/notices/", 3) == "/notices/page/3/");
  CHECK(urls::responsibility_item("zhdd", 2) == "/responsibilities/zhdd/#item-2");
  CHECK(urls::search_query("低保 2021") == "/search?q=%E4%BD%8E%E4%BF%9D%202021");
  CHECK(urls::led_screens() == "/led/v1/screens.json");
  CHECK(urls::led_feed("rss") == "/led/v1/feed.rss");
  CHECK(urls::led_screen_feed("hall") == "/led/v1/feed.txt?screen=hall");
  CHECK(urls::led_snapshot("hall", "txt") == "/led/snapshot/hall.txt");
  CHECK(urls::wechat() == "/wechat");
  const std::vector<std::string> reserved = {
      "/disclosure/", "/notices/", "/consultations/", "/pages/", "/responsibilities/",
      "/search/",     "/led/"};
  CHECK(urls::reserved_folders() == reserved);
  CHECK(urls::tree_path("/") == "index.html");
  CHECK(urls::tree_path("/a/b/") == "a/b/index.html");
  CHECK(urls::tree_path("/a.csv") == "a.csv");
  CHECK(urls::absolute("https://x.cn/", "/a/") == "https://x.cn/a/");
  CHECK(urls::absolute("", "/a/") == "/a/");
  CHECK(urls::absolute("https://x.cn/", "https://y.cn/") == "https://y.cn/");
  CHECK(urls::absolute_encoded("https://x.cn/", "/公开/") == "https://x.cn/%E5%85%AC%E5%BC%80/");
}

TEST_CASE("labels: the section labels are the ColumnName the golden pages publish") {
  const fs::path expected = k_golden / "expected";
  auto column_of = [&](const std::string& url) {
    const std::string page = read_file(expected / urls::tree_path(url));
    const std::string meta = "<meta name=\"ColumnName\" content=\"";
    const auto at = page.find(meta);
    REQUIRE(at != std::string::npos);
    return page.substr(at + meta.size(), page.find('"', at + meta.size()) - at - meta.size());
  };
  CHECK(column_of(urls::item("disclosure/2021/report.md")) == section_title(Section::disclosure));
  CHECK(column_of(urls::item("notices/law.md")) == section_title(Section::notices));
  CHECK(column_of(urls::item("consultations/market.md")) == section_title(Section::consultations));
  CHECK(column_of(urls::item("pages/guide.md")) == section_title(Section::pages));
  CHECK(column_of(urls::responsibilities()) == k_responsibilities_title);
  CHECK(column_of(urls::home()) == column_title("home"));
  CHECK(std::string(section_title(Section::pages)) == "网站页面");
  const Section sections[] = {Section::disclosure, Section::notices, Section::consultations,
                              Section::pages};
  for (Section s : sections) {
    CHECK(section_of_name(section_name(s)) == s);
    CHECK(std::string(column_title(section_name(s))) == section_title(s));
  }
  CHECK(!section_of_name(k_responsibilities_name));
  CHECK(std::string(column_title("elsewhere")).empty());
}

TEST_CASE("labels: the search page labels a hit with the section label the site publishes") {
  TempDir dir;
  const auto s = serve_golden(dir);
  auto c = s->client();
  const auto res = c.Get(urls::search_query("政府信息公开指南") + "&section=pages");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.find(urls::item("pages/guide.md")) != std::string::npos);
  CHECK(res->body.find(std::string(section_title(Section::pages)) + " · ") != std::string::npos);
}

TEST_CASE("urls: every responsibility hit of the search API lands on a row its page carries") {
  TempDir dir;
  const auto s = serve_golden(dir);
  auto c = s->client();
  const auto res = c.Get(urls::api_search() + "?section=responsibilities&per_page=50");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto body = nlohmann::json::parse(res->body);
  REQUIRE(body["results"].size() >= 2);
  for (const auto& hit : body["results"]) {
    const std::string url = hit["url"];
    const auto hash = url.find('#');
    REQUIRE(hash != std::string::npos);
    const std::string page =
        test::read_text(dir / "out/current/site" / urls::tree_path(url.substr(0, hash)));
    INFO(url);
    // The row with the hit's anchor is the row of the hit's name.
    const auto row = page.find("<tr id=\"" + url.substr(hash + 1) + "\">");
    REQUIRE(row != std::string::npos);
    const std::string name = hit["title"];
    CHECK(page.substr(row, page.find("</tr>", row) - row).find(name) != std::string::npos);
  }
}
