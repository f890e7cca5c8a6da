#include <catch2/catch.hpp>

#include <thread>

#include "preview.hpp"
#include "scaffold.hpp"
#include "server_fixture.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

TEST_CASE("scaffolding: new files have the required fields, build, and are never overwritten") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  const auto today = *DateTime::parse("2022-03-15T10:00:00+08:00");
  for (const std::string kind : {"disclosure", "notice", "consultation", "page"}) {
    INFO(kind);
    const auto r = gen::scaffold(dir / "content", kind, "2022/new-" + kind, "新建的" + kind, today);
    REQUIRE(r.exit_code == 0);
    const std::string text = test::read_text(r.written);
    CHECK(text.find("title = \"新建的" + kind + "\"") != std::string::npos);
    if (kind != "page") {
      CHECK(text.find("published = 2022-03-15") != std::string::npos);
      CHECK(text.find("department = \"dzb\"   # 发布机构") != std::string::npos);
    }
    CHECK(text.find("draft = true") != std::string::npos);
    const auto again =
        gen::scaffold(dir / "content", kind, "2022/new-" + kind, "另一个标题", today);
    CHECK(again.exit_code == 1);
    CHECK(test::read_text(r.written) == text);
  }
  CHECK(std::filesystem::exists(dir / "content/notices/2022/new-notice.md"));
  CHECK(gen::scaffold(dir / "content", "blog", "x", "t", today).exit_code == 2);
  const auto b = test::build_site(dir / "content", dir / "out");
  CHECK(b.exit_code == 0);
}

TEST_CASE("preview: rebuilds on a saved file, shows diagnostics, and tells open pages to reload") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_text(dir / "content/pages/about.md", "+++\ntitle = \"关于我们\"\n+++\n第一版\n");
  server::Preview preview(dir / "content", dir / "out", GONGKAI_THEMES_DIR);
  preview.start();
  auto& state = preview.state();
  const std::uint64_t g0 = state.wait(~0ULL, std::chrono::milliseconds(0));
  CHECK(g0 >= 1);
  server::ServerOptions o;
  o.output_dir = dir / "out";
  o.preview = &state;
  o.release_poll_ms = 0;
  test::RunningServer srv(o);
  auto page = srv.client().Get("/pages/about/");
  REQUIRE(page);
  CHECK(page->body.find("<script src=\"/_preview/reload.js\" defer></script>") !=
        std::string::npos);
  CHECK(page->body.find("第一版") != std::string::npos);

  std::string events;
  std::thread listener([&] {
    auto c = srv.client();
    auto res = c.Get("/_preview/events");
    if (res) events = res->body;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  test::write_text(dir / "content/pages/about.md", "+++\ntitle = \"关于我们\"\n+++\n第二版\n");
  const std::uint64_t g1 = state.wait(g0, std::chrono::seconds(10));
  listener.join();
  CHECK(g1 > g0);
  CHECK(events.find("data: reload") != std::string::npos);
  CHECK(srv.client().Get("/pages/about/")->body.find("第二版") != std::string::npos);

  test::write_text(dir / "content/pages/about.md",
                   "+++\ntitle = \"关于我们\"\nweight = \"x\"\n+++\n第三版\n");
  state.wait(g1, std::chrono::seconds(10));
  page = srv.client().Get("/pages/about/");
  CHECK(page->body.find("class=\"preview-diagnostics\"") != std::string::npos);
  CHECK(page->body.find("about.md:3:10: error: `weight` must be a whole number") !=
        std::string::npos);
  CHECK(page->body.find("第二版") != std::string::npos);  // the last good build stays
  preview.stop();
}
