// The server in platform mode (docs/platform.md): a small platform built by the real
// gongkai-build, served on loopback — units under their prefixes, the platform at the root, the
// cross-unit search, per-unit channels, new unit releases and hostile paths.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "gongkai/text.hpp"
#include "search_quality.hpp"
#include "server_fixture.hpp"
#include "support.hpp"
#include "wechat.hpp"
#include "wechat_crypto.hpp"

using namespace gongkai;
using gongkai::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_now = "2026-12-07T10:00:00+08:00";

// Runs the real gongkai-build with `args`: its exit status and what it printed.
std::pair<int, std::string> run_build(const std::string& args) {
  std::string out;
  FILE* p = ::popen((std::string("'") + GONGKAI_BUILD_EXE + "' " + args + " 2>&1").c_str(), "r");
  if (!p) return {-1, "cannot run gongkai-build"};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Builds the platform content at `content` into `out` (extra: e.g. "--unit alpha").
void build_platform(const fs::path& content, const fs::path& out, const std::string& extra = "") {
  const auto [status, log] =
      run_build("--content '" + content.string() + "' --output '" + out.string() + "' --themes '" +
                GONGKAI_THEMES_DIR + "' --now " + k_now + " --no-history " + extra);
  INFO(log);
  REQUIRE(status == 0);
}

std::string unit_toml(const std::string& id, const std::string& name, const std::string& kind,
                      const std::string& prefix) {
  return "\n[[unit]]\nid = \"" + id + "\"\nname = \"" + name + "\"\nkind = \"" + kind +
         "\"\nprefix = \"" + prefix + "\"\ncontent = \"" + id + "\"\n";
}

std::string platform_toml() {
  return R"(title = "测试区人民政府"
base_url = "https://www.example.gov.cn/"
theme = "default"
description = "测试区政务公开平台"

[organization]
name = "测试区人民政府办公室"
site_code = "1202250001"
icp = "津ICP备00000000号"
police_record = "津公网安备 12022502000001号"
)" + unit_toml("alpha", "测试区甲镇人民政府", "乡镇", "/towns/alpha/") +
         unit_toml("beta", "测试区乙镇人民政府", "乡镇", "/towns/beta/") +
         unit_toml("gamma", "测试区丙局", "区政府部门", "/departments/gamma/");
}

std::string site_toml(const std::string& title, bool screen) {
  std::string t = test::minimal_site_toml();
  t.replace(t.find("测试镇人民政府"), std::string("测试镇人民政府").size(), title);
  if (screen)
    t += "\n[led.screens.hall]\nwidth = 64\nheight = 16\nfont = 16\ncharset = \"gb2312\"\nmode = "
         "\"pages\"\n";
  return t;
}

std::string item(const std::string& title, const std::string& body) {
  return "+++\ntitle = \"" + title +
         "\"\ndepartment = \"dzb\"\ncategory = \"fzzf\"\npublished = 2026-11-02\n+++\n" + body +
         "\n";
}

// Three units: two towns and a department, each with items on 秸秆禁烧.
void write_platform(const fs::path& dir) {
  test::write_text(dir / "platform.toml", platform_toml());
  test::write_text(dir / "alpha/site.toml", site_toml("测试区甲镇人民政府", true));
  test::write_text(dir / "alpha/disclosure/2026/jiegan.md",
                   item("甲镇秸秆禁烧工作方案", "甲镇全面落实秸秆禁烧，严禁露天焚烧秸秆。"));
  test::write_text(dir / "alpha/disclosure/2026/dibao.md",
                   item("甲镇最低生活保障审批情况", "甲镇公布最低生活保障审批结果。"));
  test::write_text(dir / "alpha/notices/2026/fanzha.md", R"(+++
title = "谨防电信网络诈骗"
department = "sfs"
published = 2026-11-25
display_from = 2026-11-25T08:00:00+08:00
display_until = 2027-01-31T18:00:00+08:00
led = "甲镇提醒陌生来电要警惕"
+++
陌生来电要警惕，转账汇款先核实。
)");
  test::write_text(dir / "beta/site.toml", site_toml("测试区乙镇人民政府", false));
  test::write_text(dir / "beta/disclosure/2026/jiegan.md",
                   item("乙镇秸秆禁烧通告", "乙镇划定秸秆禁烧区域，秸秆综合利用。"));
  test::write_text(dir / "gamma/site.toml", site_toml("测试区丙局", false));
  test::write_text(dir / "gamma/disclosure/2026/jiegan.md",
                   item("丙局关于秸秆禁烧执法检查的通知", "丙局开展秸秆禁烧执法检查。"));
}

nlohmann::json get_json(httplib::Client& c, const std::string& path, int expect = 200) {
  auto r = c.Get(path.c_str());
  REQUIRE(r);
  INFO(path << " -> " << r->status << " " << r->body.substr(0, 300));
  REQUIRE(r->status == expect);
  return nlohmann::json::parse(r->body);
}

std::string enc(const std::string& s) { return url_encode_component(s); }

std::set<std::string> units_of(const nlohmann::json& j) {
  std::set<std::string> out;
  for (const auto& h : j["results"]) out.insert(h.value("unit", ""));
  return out;
}

struct Platform {
  TempDir dir;
  fs::path content = dir / "content", out = dir / "out";
  Platform() {
    write_platform(content);
    build_platform(content, out);
  }
  server::ServerOptions options() const {
    server::ServerOptions o;
    o.output_dir = out;
    o.now = DateTime::parse(k_now);
    o.release_poll_ms = 20;
    return o;
  }
};

}  // namespace

TEST_CASE("platform: units under their prefixes, the platform at the root, each unit's 404") {
  Platform p;
  test::RunningServer server(p.options());
  auto c = server.client();
  auto home = c.Get("/towns/alpha/");
  REQUIRE(home);
  CHECK(home->status == 200);
  CHECK(home->body.find("测试区甲镇人民政府") != std::string::npos);
  CHECK(home->body.find("/towns/alpha/disclosure/") != std::string::npos);  // links carry it
  auto page = c.Get("/towns/beta/disclosure/2026/jiegan/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body.find("乙镇秸秆禁烧通告") != std::string::npos);
  // ETag and 304 as for a site of its own.
  httplib::Headers inm = {{"If-None-Match", page->get_header_value("ETag")}};
  auto again = c.Get("/towns/beta/disclosure/2026/jiegan/", inm);
  REQUIRE(again);
  CHECK(again->status == 304);
  // The prefix without its slash, and a folder without its slash, redirect with the prefix.
  auto bare = c.Get("/towns/alpha");
  REQUIRE(bare);
  CHECK(bare->status == 301);
  CHECK(bare->get_header_value("Location") == "/towns/alpha/");
  auto folder = c.Get("/towns/alpha/disclosure");
  REQUIRE(folder);
  CHECK(folder->status == 301);
  CHECK(folder->get_header_value("Location") == "/towns/alpha/disclosure/");
  // The platform's own pages at the root.
  for (const char* path : {"/", "/xxgk/", "/latest/", "/sitemap.xml"}) {
    auto r = c.Get(path);
    REQUIRE(r);
    INFO(path);
    CHECK(r->status == 200);
  }
  CHECK(c.Get("/")->body.find("测试区人民政府") != std::string::npos);
  // A unit's unknown page is its own 404 page; the root's is the platform's.
  auto missing = c.Get("/towns/alpha/no/such/page/");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->body.find("测试区甲镇人民政府") != std::string::npos);
  auto root_missing = c.Get("/no/such/page/");
  REQUIRE(root_missing);
  CHECK(root_missing->status == 404);
  CHECK(root_missing->body.find("测试区甲镇人民政府") == std::string::npos);
  // POST elsewhere than a WeChat callback is 405, as for a site.
  auto post = c.Post("/towns/alpha/", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
  // /healthz: the platform and every unit.
  const auto health = get_json(c, "/healthz");
  CHECK(health["status"] == "ok");
  CHECK(health["mode"] == "platform");
  REQUIRE(health["units"].size() == 3);
  for (const auto& u : health["units"]) {
    CHECK(!u["release"].get<std::string>().empty());
    CHECK(u["documents"].get<int>() > 0);
  }
}

TEST_CASE("platform: the cross-unit search finds every unit's documents, with unit facets") {
  Platform p;
  test::RunningServer server(p.options());
  auto c = server.client();
  const auto all = get_json(c, "/api/search?q=" + enc("秸秆禁烧"));
  CHECK(all["total"].get<int>() == 3);
  CHECK(units_of(all) == std::set<std::string>{"alpha", "beta", "gamma"});
  CHECK(all["facets"]["unit"]["alpha"] == 1);
  CHECK(all["facets"]["unit"]["beta"] == 1);
  CHECK(all["facets"]["unit"]["gamma"] == 1);
  CHECK(all["facets"]["kind"]["乡镇"] == 2);
  CHECK(all["facets"]["kind"]["区政府部门"] == 1);
  for (const auto& h : all["results"]) {
    const std::string unit = h["unit"];
    CHECK(h["url"].get<std::string>().find(unit) != std::string::npos);  // the unit's prefix
    CHECK(!h["unit_name"].get<std::string>().empty());
  }
  CHECK(all["units"]["gamma"]["name"] == "测试区丙局");
  // unit=: exactly the unit's own answer, through the platform.
  const auto only = get_json(c, "/api/search?q=" + enc("秸秆禁烧") + "&unit=beta");
  CHECK(units_of(only) == std::set<std::string>{"beta"});
  const auto own = get_json(c, "/towns/beta/api/search?q=" + enc("秸秆禁烧"));
  CHECK(own["total"] == only["total"]);
  REQUIRE(own["results"].size() == only["results"].size());
  for (std::size_t i = 0; i < own["results"].size(); ++i)
    CHECK(own["results"][i]["url"] == only["results"][i]["url"]);
  CHECK(own["results"][0].count("unit") == 0);  // a unit's own search does not name it
  // kind=
  const auto towns = get_json(c, "/api/search?q=" + enc("秸秆禁烧") + "&kind=" + enc("乡镇"));
  CHECK(units_of(towns) == std::set<std::string>{"alpha", "beta"});
  const auto none = get_json(c, "/api/search?q=" + enc("秸秆禁烧") + "&kind=" + enc("街道"));
  CHECK(none["total"] == 0);
  // Unknown unit or kind: 400 with a message, on the page too.
  const auto bad_unit = get_json(c, "/api/search?q=x&unit=nope", 400);
  CHECK(bad_unit["error"].get<std::string>().find("nope") != std::string::npos);
  get_json(c, "/api/search?q=x&kind=" + enc("村"), 400);
  auto bad_page = c.Get(("/search?q=x&unit=nope"));
  REQUIRE(bad_page);
  CHECK(bad_page->status == 400);
  // The platform's search page names each hit's unit and links unit facets.
  auto html = c.Get(("/search?q=" + enc("秸秆禁烧")).c_str());
  REQUIRE(html);
  CHECK(html->status == 200);
  CHECK(html->body.find("丙局关于秸秆禁烧执法检查的通知") != std::string::npos);
  CHECK(html->body.find("测试区乙镇人民政府") != std::string::npos);
  CHECK(html->body.find("unit=gamma") != std::string::npos);
  // A unit's search page: its own hits, its links under its prefix.
  auto unit_html = c.Get(("/towns/alpha/search?q=" + enc("秸秆")).c_str());
  REQUIRE(unit_html);
  CHECK(unit_html->status == 200);
  CHECK(unit_html->body.find("甲镇秸秆禁烧工作方案") != std::string::npos);
  CHECK(unit_html->body.find("乙镇秸秆禁烧通告") == std::string::npos);
  CHECK(unit_html->body.find("href=\"/towns/alpha/search?q=") != std::string::npos);
  CHECK(unit_html->body.find("href=\"/search?q=") == std::string::npos);
}

TEST_CASE("platform: LED feeds per unit, from the unit's own screens and notices") {
  Platform p;
  test::RunningServer server(p.options());
  auto c = server.client();
  const auto screens = get_json(c, "/towns/alpha/led/v1/screens.json");
  REQUIRE(screens["screens"].size() == 1);
  CHECK(screens["screens"][0]["feed"] == "/towns/alpha/led/v1/feed.txt?screen=hall");
  const auto feed = get_json(c, "/towns/alpha/led/v1/feed.json");
  REQUIRE(feed["items"].size() == 1);
  CHECK(feed["items"][0]["url"].get<std::string>().find("/towns/alpha/notices/") !=
        std::string::npos);
  auto txt = c.Get("/towns/alpha/led/v1/feed.txt?screen=hall");
  REQUIRE(txt);
  CHECK(txt->status == 200);
  CHECK(get_json(c, "/towns/beta/led/v1/feed.json")["items"].empty());
  CHECK(get_json(c, "/towns/beta/led/v1/screens.json")["screens"].empty());
  auto unknown = c.Get("/towns/alpha/led/v1/nope");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  auto bad_screen = c.Get("/towns/alpha/led/v1/feed.txt?screen=nope");
  REQUIRE(bad_screen);
  CHECK(bad_screen->status >= 400);
  CHECK(bad_screen->status < 500);
}

TEST_CASE("platform: a unit's new release and a new unit are served without a restart") {
  Platform p;
  test::RunningServer server(p.options());
  auto c = server.client();
  const std::string q = "/api/search?q=zqxjk";
  CHECK(get_json(c, q)["total"] == 0);
  const std::string before = get_json(c, "/healthz")["units"][0]["release"];
  test::write_text(p.content / "alpha/disclosure/2026/fangxun.md",
                   item("甲镇防汛抢险预案", "甲镇防汛抢险队伍和物资安排，代号zqxjk。"));
  build_platform(p.content, p.out, "--unit alpha");
  auto wait_for = [&](const std::function<bool()>& ok) {
    for (int i = 0; i < 200 && !ok(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return ok();
  };
  CHECK(wait_for([&] { return get_json(c, q)["total"] == 1; }));
  CHECK(get_json(c, "/healthz")["units"][0]["release"] != before);
  CHECK(get_json(c, "/towns/alpha/api/search?q=zqxjk")["total"] == 1);
  auto page = c.Get("/towns/alpha/disclosure/2026/fangxun/");
  REQUIRE(page);
  CHECK(page->status == 200);
  // A unit added to platform.toml: the platform release names it, the server routes it.
  test::write_text(
      p.content / "platform.toml",
      platform_toml() + unit_toml("delta", "测试区丁街道办事处", "街道", "/streets/delta/"));
  test::write_text(p.content / "delta/site.toml", site_toml("测试区丁街道办事处", false));
  test::write_text(p.content / "delta/disclosure/2026/jiegan.md",
                   item("丁街道秸秆禁烧宣传", "丁街道宣传秸秆禁烧。"));
  build_platform(p.content, p.out, "--unit delta");
  CHECK(wait_for([&] {
    auto r = c.Get("/streets/delta/");
    return r && r->status == 200;
  }));
  CHECK(wait_for([&] {
    return get_json(c, "/api/search?q=" + enc("秸秆禁烧") + "&kind=" + enc("街道"))["total"] == 1;
  }));
  CHECK(get_json(c, "/healthz")["units"].size() == 4);
}

TEST_CASE("platform: hostile paths under a prefix are 4xx, never 5xx") {
  Platform p;
  test::RunningServer server(p.options());
  auto c = server.client();
  const std::vector<std::string> paths = {
      "/towns/alpha/../../etc/passwd",
      "/towns/alpha/%2e%2e/%2e%2e/etc/passwd",
      "/towns/alpha/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/towns/alpha/..%2f..%2f..%2fplatform/current/server/platform.json",
      "/towns/alpha/%c0%ae%c0%ae/%c0%ae%c0%ae/",
      "/towns/alpha/%ff%fe/",
      "/towns/alpha/%00",
      "/towns/alpha/%",
      "/towns/alpha/" + std::string(9000, 'a'),
      "/towns/alpha/search?q=%ff%fe",
      "/towns/alpha/api/search?q=%c0%80",
      "/towns/alpha/api/search?q=" + std::string(5000, 'x'),
      "/api/search?q=x&unit=%ff",
      "/api/search?q=x&unit=alpha&unit=beta",
      "/towns/alpha/led/v1/feed.txt?screen=%ff",
      "/towns/alpha/led/v1/feed.json?cols=-1",
      "/towns/alpha/wechat",
      "/towns/alpha/led/snapshot/../../../release.json",
      "/towns/alpha//etc/passwd",
      "/towns//alpha/",
  };
  for (const auto& path : paths) {
    auto r = c.Get(path.c_str());
    INFO(path.substr(0, 100));
    REQUIRE(r);
    CHECK(r->status >= 200);
    CHECK(r->status < 500);
    CHECK(r->body.find("root:") == std::string::npos);
  }
}

TEST_CASE(
    "platform search quality: the law fixture split into three units meets the site's floors") {
  TempDir dir;
  const fs::path laws = fs::path(GONGKAI_TEST_DIR) / "fixtures/laws";
  const std::vector<std::pair<std::string, std::string>> units = {
      {"u1", "/towns/u1/"}, {"u2", "/towns/u2/"}, {"u3", "/departments/u3/"}};
  std::string toml = platform_toml().substr(0, platform_toml().find("\n[[unit]]"));
  for (const auto& [id, prefix] : units) {
    toml += unit_toml(id, "测试单位" + id, id == "u3" ? "区政府部门" : "乡镇", prefix);
    fs::create_directories(dir / "content" / id / "disclosure/laws");
    fs::copy_file(laws / "site.toml", dir / "content" / id / "site.toml");
  }
  test::write_text(dir / "content/platform.toml", toml);
  // The law files dealt round-robin, in name order.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(laws / "disclosure/laws")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, std::string> prefix_of;  // stem -> its unit's prefix
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& [id, prefix] = units[i % units.size()];
    fs::copy_file(files[i], dir / "content" / id / "disclosure/laws" / files[i].filename());
    prefix_of[files[i].stem().string()] = prefix;
  }
  const auto [status, log] = run_build(
      "--content '" + (dir / "content").string() + "' --output '" + (dir / "out").string() +
      "' --themes '" + GONGKAI_THEMES_DIR + "' --now 2026-01-01T00:00:00+08:00 --no-history");
  INFO(log);
  REQUIRE(status == 0);
  server::ServerOptions o;
  o.output_dir = dir / "out";
  o.now = DateTime::parse("2026-01-01T00:00:00+08:00");
  test::RunningServer server(o);
  auto c = server.client();
  const auto cases = test::load_quality_queries([&](const std::string& stem) {
    auto it = prefix_of.find(stem);
    return (it == prefix_of.end() ? std::string("/") : it->second) + "disclosure/laws/" + stem +
           "/";
  });
  test::check_search_quality(cases, [&](const std::string& q) {
    const auto j = get_json(c, "/api/search?q=" + enc(q));
    std::vector<test::QualityHit> hits;
    for (const auto& h : j["results"]) hits.push_back({h["url"], h["title"], h["published"]});
    return hits;
  });
  // Every unit answers some of them.
  std::set<std::string> answered;
  for (const auto& cs : cases) {
    const auto j = get_json(c, "/api/search?q=" + enc(cs.query));
    for (const auto& h : j["results"]) answered.insert(h["unit"].get<std::string>());
  }
  CHECK(answered.size() == 3);
}

namespace {

// A plain-mode text message to `path`, signed with `token`, as WeChat sends it.
httplib::Result wechat_text(httplib::Client& c, const std::string& path, const std::string& token,
                            const std::string& content, const std::string& msgid) {
  const std::string ts = std::to_string(DateTime::parse(k_now)->epoch);
  const std::string query = "?signature=" + wechat::signature({token, ts, "n1"}) +
                            "&timestamp=" + ts + "&nonce=n1&openid=oUser";
  const std::string body =
      "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oUser]]></"
      "FromUserName><CreateTime>1764120000</CreateTime><MsgType><![CDATA[text]]></"
      "MsgType><Content><![CDATA[" +
      content + "]]></Content><MsgId>" + msgid + "</MsgId></xml>";
  return c.Post((path + query).c_str(), body, "text/xml");
}

}  // namespace

TEST_CASE(
    "platform: WeChat accounts — the platform's searches every unit, a unit's its own first") {
  Platform p;
  server::ServerOptions o = p.options();
  o.wechat.token = "platformtoken";
  o.wechat_units["alpha"].token = "alphatoken";
  test::RunningServer server(o);
  auto c = server.client();
  // The platform-wide account: hits of several units.
  auto all = wechat_text(c, "/wechat", "platformtoken", "秸秆禁烧", "1");
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(all->body.find("/towns/alpha/") != std::string::npos);
  CHECK(all->body.find("/towns/beta/") != std::string::npos);
  // alpha's account: its own hits, its search page under its prefix.
  auto own = wechat_text(c, "/towns/alpha/wechat", "alphatoken", "秸秆禁烧", "2");
  REQUIRE(own);
  CHECK(own->status == 200);
  CHECK(own->body.find("/towns/alpha/disclosure/") != std::string::npos);
  CHECK(own->body.find("/towns/beta/") == std::string::npos);
  CHECK(own->body.find("/towns/alpha/search?q=") != std::string::npos);
  // Nothing in alpha: the platform's hits.
  auto other = wechat_text(c, "/towns/alpha/wechat", "alphatoken", "丙局执法检查", "3");
  REQUIRE(other);
  CHECK(other->body.find("/departments/gamma/") != std::string::npos);
  // Each account checks its own token; a unit without one is not configured.
  auto forged = wechat_text(c, "/towns/alpha/wechat", "platformtoken", "秸秆", "4");
  REQUIRE(forged);
  CHECK(forged->status == 403);
  auto unconfigured = wechat_text(c, "/towns/beta/wechat", "platformtoken", "秸秆", "5");
  REQUIRE(unconfigured);
  CHECK(unconfigured->status == 404);
}

TEST_CASE("platform: [wechat.units.<id>] of --config names a unit's account") {
  TempDir dir;
  test::write_text(dir / "serve.toml",
                   "[wechat]\ntoken = \"p\"\n\n[wechat.units.alpha]\ntoken = \"a\"\nappid = "
                   "\"wxa\"\n\n[wechat.units.alpha.menu]\nNEW = \"latest\"\n");
  const auto units = server::load_wechat_unit_configs(dir / "serve.toml");
  REQUIRE(units.size() == 1);
  CHECK(units.at("alpha").token == "a");
  CHECK(units.at("alpha").appid == "wxa");
  CHECK(units.at("alpha").menu == std::map<std::string, std::string>{{"NEW", "latest"}});
  CHECK(server::load_wechat_config(dir / "serve.toml").token == "p");
}

TEST_CASE("platform: a unit without a usable index is left out of the search, not a 503 for all") {
  Platform p;
  fs::remove_all(fs::canonical(p.out / "units/gamma/current") / "search");
  test::RunningServer server(p.options());
  auto c = server.client();
  const auto all = get_json(c, "/api/search?q=" + enc("秸秆禁烧"));
  CHECK(units_of(all) == std::set<std::string>{"alpha", "beta"});
  get_json(c, "/departments/gamma/api/search?q=" + enc("秸秆禁烧"), 503);
  get_json(c, "/api/search?q=" + enc("秸秆禁烧") + "&unit=gamma", 503);
  auto page = c.Get("/departments/gamma/");
  REQUIRE(page);
  CHECK(page->status == 200);  // its pages are still served
}
