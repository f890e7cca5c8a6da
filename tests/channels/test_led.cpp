#include <catch2/catch.hpp>

#include <atomic>
#include <nlohmann/json.hpp>

#include "gongkai/led.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "server_fixture.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

TEST_CASE("LED: the wrap vectors of channels.md") {
  const std::u32string text = led::clean_text("乡镇政务公开：2024年第3季度财政预算执行情况");
  CHECK(led::wrap(text, 8) == std::vector<std::string>{"乡镇政务", "公开：  ", "2024年第",
                                                       "3季度财 ", "政预算执", "行情况  "});
  CHECK(led::wrap(text, 16) ==
        std::vector<std::string>{"乡镇政务公开：  ", "2024年第3季度财 ", "政预算执行情况  "});
}

TEST_CASE(
    "LED: no line starts with closing punctuation, long words split, every line exactly cols "
    "wide") {
  // "民" ends a full line and "。" would start the next: the character moves along with it.
  const auto lines = led::wrap(led::clean_text("依法行政执法为民。好"), 8);
  for (const auto& l : lines) {
    INFO(l);
    const auto u = to_u32(l);
    CHECK(u[0] != U'。');
    int w = 0;
    for (char32_t cp : u) w += led::columns_of(cp);
    CHECK(w == 8);
  }
  CHECK(lines == std::vector<std::string>{"依法行政", "执法为  ", "民。好  "});
  CHECK(led::wrap(led::clean_text("ABCDEFGHIJKL"), 8) ==
        std::vector<std::string>{"ABCDEFGH", "IJKL    "});
  // Found by fuzz_led: at 3 columns the character carried along with closing punctuation
  // made a 4-column line. Exact width wins on screens too narrow for both.
  CHECK(led::wrap(led::clean_text("X弄：2"), 3) == std::vector<std::string>{"X弄", "：2"});
}

TEST_CASE("LED: markup-unsafe and unshowable characters are cleaned") {
  CHECK(to_utf8(led::clean_text("a\\b|c\td\r\ne😀f\u200Bg")) == "a＼b｜c d efg");
  CHECK(to_utf8(led::clean_text("安全😀生产")) == "安全生产");
}

TEST_CASE("LED: every encoding through ICU, bytes checked, with a visible fallback for GB2312") {
  const std::string text = "邦均镇";
  CHECK(led::encode(text, "utf-8") == text);
  CHECK(led::encode(text, "gb2312") == "\xB0\xEE\xBE\xF9\xD5\xF2");
  CHECK(led::encode(text, "gbk") == "\xB0\xEE\xBE\xF9\xD5\xF2");
  CHECK(led::encode(text, "gb18030") == "\xB0\xEE\xBE\xF9\xD5\xF2");
  // 喆 and 堃 are not in GB2312: fallback □ (A1 F5); GBK and GB18030 have them.
  const std::u32string names = to_u32("张喆李堃");
  CHECK(to_utf8(led::apply_charset(names, "gb2312", U"□")) == "张□李□");
  CHECK(led::encode(to_utf8(led::apply_charset(names, "gb2312", U"□")), "gb2312") ==
        "\xD5\xC5\xA1\xF5\xC0\xEE\xA1\xF5");
  CHECK(to_utf8(led::apply_charset(names, "gbk", U"□")) == "张喆李堃");
  CHECK(led::encode("喆", "gbk") == "\x86\xB4");
  CHECK(led::encode("😀", "gb18030") == "\x94\x39\xFC\x36");
}

namespace {

struct LedSite {
  TempDir dir;
  std::atomic<std::int64_t> clock{0};
  std::unique_ptr<test::RunningServer> server;
  LedSite() {
    test::write_text(dir / "content/site.toml", test::minimal_site_toml() + R"(
[led.screens.hall]
width = 64
height = 16
font = 16
charset = "gb2312"
mode = "pages"

[led.screens.square]
width = 128
height = 32
font = 16
charset = "gb2312"
mode = "pages"
)");
    test::write_fixture(dir / "content", R"(=== notices/now.md ===
+++
title = "当前公告"
department = "sfs"
published = 2022-03-01
display_from = 2022-03-01T08:00:00+08:00
display_until = 2022-03-31T18:00:00+08:00
led = "乡镇政务公开：2024年第3季度财政预算执行情况"
priority = 1
+++
=== notices/later.md ===
+++
title = "张喆同志任职公示"
department = "sfs"
published = 2022-03-10
display_from = 2022-03-20T08:00:00+08:00
display_until = 2022-04-10
priority = 5
+++
=== notices/old.md ===
+++
title = "过期公告"
department = "sfs"
published = 2022-01-01
display_from = 2022-01-01T08:00:00+08:00
display_until = 2022-01-31T18:00:00+08:00
+++
)");
    const auto r = test::build_site(dir / "content", dir / "out", "2022-03-15T10:00:00+08:00");
    REQUIRE(r.exit_code == 0);
    clock = DateTime::parse("2022-03-15T10:00:00+08:00")->epoch;
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.clock = [this] { return DateTime::from_epoch(clock.load()); };
    server = std::make_unique<test::RunningServer>(o);
  }
  void set(const char* iso) { clock = DateTime::parse(iso)->epoch; }
};

std::vector<std::string> split_lines(const std::string& s, const std::string& eol) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto e = s.find(eol, pos);
    REQUIRE(e != std::string::npos);  // every line ends with the eol
    out.push_back(s.substr(pos, e - pos));
    pos = e + eol.size();
  }
  return out;
}

}  // namespace

TEST_CASE(
    "LED feeds: 64x16 and 128x32 screens get lines of exactly their columns in GB2312 bytes") {
  LedSite site;
  auto c = site.server->client();
  for (const auto& [screen, cols, rows] : {std::tuple{"hall", 8, 1}, std::tuple{"square", 16, 2}}) {
    INFO(screen);
    site.set("2022-03-25T12:00:00+08:00");  // both current notices on display
    auto res = c.Get(std::string("/led/v1/feed.txt?screen=") + screen + "&mode=pages");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "text/plain; charset=GB2312");
    const auto lines = split_lines(res->body, "\r\n");
    CHECK(lines.size() % rows == 0);
    for (const auto& l : lines) CHECK(l.size() == static_cast<std::size_t>(cols));
    // Higher priority first: the 张喆 notice (priority 5, with □ for 喆) before the other.
    const auto zhang = res->body.find("\xD5\xC5\xA1\xF5"),
               xiang = res->body.find("\xCF\xE7\xD5\xF2");
    CHECK((zhang != std::string::npos && zhang < xiang));  // 张□ (priority 5) before 乡镇
  }
  auto res = c.Get("/led/v1/feed.txt?screen=square&charset=utf-8&eol=lf");
  REQUIRE(res);
  CHECK(res->get_header_value("Content-Type") == "text/plain; charset=UTF-8");
  CHECK(res->body.find("乡镇政务公开：  \n2024年第3季度财 \n政预算执行情况  \n") !=
        std::string::npos);
}

TEST_CASE("LED feeds: a notice enters and leaves its window at request time, with no rebuild") {
  LedSite site;
  auto c = site.server->client();
  auto text = [&] { return c.Get("/led/v1/feed.txt?mode=lines&charset=utf-8")->body; };
  site.set("2022-03-20T07:59:59+08:00");
  CHECK(text().find("张喆") == std::string::npos);
  site.set("2022-03-20T08:00:00+08:00");
  CHECK(text().find("张喆") != std::string::npos);
  site.set("2022-03-31T17:59:59+08:00");
  CHECK(text().find("乡镇政务") != std::string::npos);
  site.set("2022-03-31T18:00:00+08:00");
  CHECK(text().find("乡镇政务") == std::string::npos);
  site.set("2022-04-10T23:59:59+08:00");  // a date-only end shows through that day
  CHECK(text().find("张喆") != std::string::npos);
  site.set("2022-04-11T00:00:00+08:00");
  CHECK(text() == "");
  site.set("2022-01-15T12:00:00+08:00");
  CHECK(text().find("过期公告") != std::string::npos);
}

TEST_CASE("LED feeds: ETag and 304, JSON, RSS, screens, marquee") {
  LedSite site;
  auto c = site.server->client();
  auto res = c.Get("/led/v1/feed.txt?screen=hall");
  const std::string etag = res->get_header_value("ETag");
  REQUIRE_FALSE(etag.empty());
  CHECK(c.Get("/led/v1/feed.txt?screen=hall", {{"If-None-Match", etag}})->status == 304);
  site.set("2022-03-31T18:00:00+08:00");
  CHECK(c.Get("/led/v1/feed.txt?screen=hall", {{"If-None-Match", etag}})->status == 200);

  site.set("2022-03-25T12:00:00+08:00");
  auto j = nlohmann::json::parse(c.Get("/led/v1/feed.json?screen=square")->body);
  CHECK(j["cols"] == 16);
  CHECK(j["rows"] == 2);
  REQUIRE(j["items"].size() == 2);
  CHECK(j["items"][0]["text"] == "张□同志任职公示");
  CHECK(j["items"][1]["lines"][0] == "乡镇政务公开：  ");
  CHECK(j["items"][1]["url"] == "https://www.example.gov.cn/notices/now/");
  res = c.Get("/led/v1/feed.rss?charset=gbk");
  CHECK(res->get_header_value("Content-Type") == "application/rss+xml; charset=utf-8");
  CHECK(res->body.find("<title>张喆同志任职公示</title>") != std::string::npos);
  res = c.Get("/led/v1/feed.txt?mode=marquee&charset=utf-8");
  CHECK(res->body == "张喆同志任职公示　　乡镇政务公开：2024年第3季度财政预算执行情况\r\n");
  j = nlohmann::json::parse(c.Get("/led/v1/screens.json")->body);
  CHECK(j["screens"][0]["id"] == "hall");
  CHECK(j["screens"][0]["cols"] == 8);
  CHECK(j["screens"][1]["rows"] == 2);
  res = c.Get("/led/v1/feed.txt?width=128&height=32&font=16&charset=utf-8&limit=1");
  CHECK(split_lines(res->body, "\r\n").size() == 2);
}

TEST_CASE(
    "LED feeds: every bad parameter is a 400 with a plain-text message; an unknown screen is 404") {
  LedSite site;
  auto c = site.server->client();
  for (const char* q :
       {"charset=big5", "mode=scroll", "cols=1", "cols=abc", "rows=0", "limit=0", "limit=1000",
        "eol=cr", "fallback=ab", "width=64", "width=64&height=16&font=32",
        "font=9999&width=10&height=10", "charset=utf-8&charset=gbk"}) {
    INFO(q);
    auto res = c.Get(std::string("/led/v1/feed.txt?") + q);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(res->get_header_value("Content-Type") == "text/plain; charset=utf-8");
    CHECK_FALSE(res->body.empty());
  }
  auto res = c.Get("/led/v1/feed.txt?screen=nosuch");
  CHECK(res->status == 404);
  CHECK(res->body.find("unknown screen") != std::string::npos);
  CHECK(c.Get("/led/v2/feed.txt")->status == 404);
}

TEST_CASE("LED: the build writes a static snapshot per screen, and validates profiles") {
  LedSite site;
  const auto snap = test::read_text(site.dir / "out/current/site/led/snapshot/hall.txt");
  CHECK(snap.substr(0, 8) == "\xCF\xE7\xD5\xF2\xD5\xFE\xCE\xF1");  // 乡镇政务 in GB2312
  CHECK(std::filesystem::exists(site.dir / "out/current/site/led/snapshot/square.json"));
  // Served as the files they are, next to the live feeds.
  auto c = site.server->client();
  const auto served = c.Get(urls::led_snapshot("hall", "txt"));
  REQUIRE(served);
  CHECK(served->status == 200);
  CHECK(served->body == snap);
  CHECK(served->get_header_value("Content-Type") == "text/plain; charset=GB2312");
  CHECK(c.Get(urls::led_snapshot("square", "json"))->status == 200);
  CHECK(c.Get("/led/snapshot/nosuch.txt")->status == 404);

  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml() + R"(
[led.screens.bad]
width = 0
height = 16
charset = "big5"

[led.screens.tiny]
width = 16
height = 8
font = 16
)");
  const auto r = test::build_site(dir / "content", dir / "out");
  CHECK(r.exit_code == 1);
  CHECK(test::diagnostic_lines(r) ==
        std::vector<std::string>{
            "content/site.toml:40:9: error: `width` must be greater than 0",
            "content/site.toml:42:11: error: charset \"big5\" is not one of utf-8, gbk, gb18030, "
            "gb2312",
            "content/site.toml:47:8: error: font of 16 px does not fit a 16×8 screen"});
}
