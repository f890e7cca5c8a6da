#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

TEST_CASE("publishing: the same content and --now give byte-identical sites") {
  TempDir a, b;
  auto r1 = test::build_site(GONGKAI_EXAMPLE_CONTENT, a / "out");
  auto r2 = test::build_site(GONGKAI_EXAMPLE_CONTENT, b / "out");
  REQUIRE(r1.exit_code == 0);
  REQUIRE(r2.exit_code == 0);
  CHECK(r1.release_id == r2.release_id);
  const auto t1 = test::read_tree(a / "out/current/site");
  const auto t2 = test::read_tree(b / "out/current/site");
  CHECK(t1.size() > 50);
  CHECK(t1 == t2);
}

TEST_CASE("publishing: the example site builds with no warnings") {
  TempDir dir;
  const auto r = test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00");
  CHECK(r.exit_code == 0);
  CHECK(test::diagnostic_lines(r).empty());
  CHECK(r.documents > 40);
}

TEST_CASE("publishing: a release folder per build, current swapped, old ones pruned") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    test::write_text(dir / "content/pages/p.md", "+++\ntitle = \"第" + std::to_string(i) + "版\"\n+++\n正文\n");
    const auto r = test::build_site(dir / "content", dir / "output");
    REQUIRE(r.exit_code == 0);
    ids.push_back(r.release_id);
    CHECK(std::filesystem::read_symlink(dir / "output/current") == std::filesystem::path("releases") / r.release_id);
    CHECK(std::filesystem::exists(dir / "output/current/release.json"));
    CHECK(std::filesystem::exists(dir / "output/current/search"));
  }
  int kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "output/releases")) {
    (void)e;
    ++kept;
  }
  CHECK(kept == 5);
  CHECK(test::read_text(dir / "output/current/site/pages/p/index.html").find("第7版") != std::string::npos);
}

TEST_CASE("publishing: an unwritable output folder is an environment error and the served release stays") {
  if (::geteuid() == 0) {
    // root ignores permission bits; use a file where the releases folder should be instead.
    TempDir dir;
    test::write_text(dir / "content/site.toml", test::minimal_site_toml());
    test::write_text(dir / "output/releases", "not a folder");
    const auto r = test::build_site(dir / "content", dir / "output");
    CHECK(r.exit_code == 2);
    CHECK(r.environment_error.find("cannot publish") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "output/current"));
    return;
  }
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  REQUIRE(test::build_site(dir / "content", dir / "output").exit_code == 0);
  const auto before = std::filesystem::read_symlink(dir / "output/current");
  test::write_text(dir / "content/pages/new.md", "+++\ntitle = \"新页面\"\n+++\n");
  ::chmod((dir / "output/releases").c_str(), 0555);
  const auto r = test::build_site(dir / "content", dir / "output");
  ::chmod((dir / "output/releases").c_str(), 0755);
  CHECK(r.exit_code == 2);
  CHECK(std::filesystem::read_symlink(dir / "output/current") == before);
}

TEST_CASE("publishing: attachments are copied beside their page and linked by URL") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", R"(=== disclosure/2021/budget.md ===
+++
title = "预算"
department = "dzb"
category = "fzzf"
published = 2021-02-01
+++
下载[预算表](预算表.csv)。
=== disclosure/2021/预算表.csv ===
项目,金额
)");
  const auto r = test::build_site(dir / "content", dir / "output");
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(dir / "output/current/site/disclosure/2021/预算表.csv"));
  const auto page = test::read_text(dir / "output/current/site/disclosure/2021/budget/index.html");
  CHECK(page.find("href=\"/disclosure/2021/%E9%A2%84%E7%AE%97%E8%A1%A8.csv\"") != std::string::npos);
  CHECK(page.find("预算表.csv</a>") != std::string::npos);  // listed under 附件
}
