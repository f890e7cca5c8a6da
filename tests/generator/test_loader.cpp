#include <catch2/catch.hpp>

#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {

// Builds a fixture made of the minimal site.toml plus `files`, into `out`.
gen::BuildResult build_fixture(const TempDir& dir, const std::string& files) {
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", files);
  return test::build_site(dir / "content", dir / "output");
}

const char* k_good_item = R"(=== disclosure/2021/ok.md ===
+++
title = "正常的公开信息"
department = "dzb"
category = "fzzf"
published = 2021-05-01
+++
正文。
)";

}  // namespace

TEST_CASE("invalid sites: each kind of content error names the file, line and column") {
  struct Case {
    const char* name;
    const char* files;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"bad TOML",
       R"(=== disclosure/a.md ===
+++
title = "甲"
department = "dzb
+++
)",
       {"content/disclosure/a.md:3:18: error: invalid TOML: Error while parsing string: unescaped "
        "control characters other than TAB (U+0009) are explicitly prohibited"}},
      {"missing required field",
       R"(=== disclosure/a.md ===
+++
title = "甲"
category = "fzzf"
published = 2021-05-01
+++
)",
       {"content/disclosure/a.md:1:1: error: missing required field `department` (发布机构)"}},
      {"unknown department id",
       R"(=== disclosure/a.md ===
+++
title = "甲"
department = "nosuch"
category = "fzzf"
published = 2021-05-01
+++
)",
       {"content/disclosure/a.md:3:14: error: department \"nosuch\" is not a [[department]] id in "
        "site.toml (发布机构不存在); known ids: dzb, zhdd, sfs"}},
      {"wrong power type",
       R"(=== responsibilities/zhdd.toml ===
department = "zhdd"
updated = 2021-09-01

[[item]]
name = "对乱倒垃圾的处罚"
type = "行政处分"
basis = "《天津市河道管理条例》"
subject = "测试镇人民政府"
duties = "立案责任"
supervision = "区司法局"
)",
       {"content/responsibilities/zhdd.toml:6:8: error: type \"行政处分\" is not one of 行政许可, "
        "行政处罚, 行政强制, 行政征收, 行政给付, 行政检查, 行政确认, 行政奖励, 行政裁决, "
        "其他行政权力"}},
      {"bad date",
       R"(=== notices/a.md ===
+++
title = "普法"
department = "sfs"
published = "2022-02-30"
+++
)",
       {"content/notices/a.md:4:13: error: `published` \"2022-02-30\" is not a valid date; write "
        "it as 2022-01-12 or 2022-01-12T08:00:00+08:00 (发布日期)"}},
      {"broken link",
       R"(=== disclosure/a.md ===
+++
title = "甲"
department = "dzb"
category = "fzzf"
published = 2021-05-01
+++
第一段。

见[附件](missing.pdf)和[另一篇](../nope.md)。
)",
       {"content/disclosure/a.md:9:2: error: link to \"missing.pdf\" is broken: no such file in "
        "the content folder (链接目标不存在)",
        "content/disclosure/a.md:9:20: error: link to \"../nope.md\" is broken: no such file in "
        "the content folder (链接目标不存在)"}},
      {"bad validity and penalty procedure",
       R"(=== disclosure/a.md ===
+++
title = "甲"
department = "zhdd"
category = "xzzf"
published = 2021-05-01
validity = "过期"
[penalty]
procedure = "快速"
fine = -5
+++
)",
       {"content/disclosure/a.md:6:12: error: validity \"过期\" is not one of 有效, 失效, 废止",
        "content/disclosure/a.md:8:13: error: procedure \"快速\" is not one of 简易, 一般",
        "content/disclosure/a.md:9:8: error: fine must not be negative"}},
      {"duplicate output path",
       R"(=== disclosure/x.md ===
+++
title = "甲"
department = "dzb"
category = "fzzf"
published = 2021-05-01
+++
=== disclosure/x/index.md ===
+++
title = "乙"
department = "dzb"
category = "fzzf"
published = 2021-05-01
+++
)",
       {"content/disclosure/x/index.md:1:1: error: output path /disclosure/x/ is also produced by "
        "content/disclosure/x.md; rename one of them"}},
      {"unknown village in a notice",
       R"(=== notices/a.md ===
+++
title = "普法"
department = "sfs"
published = 2022-03-01
villages = ["bjc", "xyz"]
+++
)",
       {"content/notices/a.md:5:12: error: village \"xyz\" is not a [[village]] id in site.toml, "
        "nor \"all\"; known ids: bjc, dd"}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      TempDir dir;
      // First a good build, so there is a release that must survive the bad one.
      test::write_text(dir / "content/site.toml", test::minimal_site_toml());
      test::write_fixture(dir / "content", k_good_item);
      const auto good = test::build_site(dir / "content", dir / "output");
      REQUIRE(good.exit_code == 0);
      const auto before = std::filesystem::read_symlink(dir / "output/current");

      test::write_fixture(dir / "content", c.files);
      const auto r = test::build_site(dir / "content", dir / "output", "2022-04-01T00:00:00+08:00");
      CHECK(r.exit_code == 1);
      std::vector<std::string> errors;
      for (const auto& line : test::diagnostic_lines(r))
        if (line.find(": error: ") != std::string::npos) errors.push_back(line);
      CHECK(errors == c.expected);
      CHECK(std::filesystem::read_symlink(dir / "output/current") == before);
      CHECK(std::filesystem::exists(dir / "output" / before / "site/index.html"));
    }
  }
}

TEST_CASE("loader: unknown keys and short consultations are warnings, and the site still builds") {
  TempDir dir;
  const auto r = build_fixture(dir, R"(=== consultations/a.md ===
+++
title = "征求意见"
department = "dzb"
published = 2022-03-01
opens = 2022-03-01
closes = 2022-03-20
colour = "red"
+++
)");
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> lines;
  for (const auto& l : test::diagnostic_lines(r))
    if (l.find("inspection rule") == std::string::npos) lines.push_back(l);
  CHECK(lines == std::vector<std::string>{
                     "content/consultations/a.md:6:10: warning: consultation is open 19 days; a "
                     "重大行政决策 should be open at least 30 days (征求意见期限不少于30日)",
                     "content/consultations/a.md:7:1: warning: unknown key `colour` in front "
                     "matter is ignored"});
}

TEST_CASE("loader: every problem of a run is reported at once") {
  TempDir dir;
  const auto r = build_fixture(dir, R"(=== disclosure/a.md ===
+++
title = "甲"
department = "x"
category = "fzzf"
published = 2021-05-01
+++
=== disclosure/b.md ===
+++
title = "乙"
department = "dzb"
category = "y"
published = 2021-05-01
+++
=== notices/c.md ===
no front matter here
)");
  CHECK(r.exit_code == 1);
  CHECK(r.diagnostics.error_count() == 3);
}

TEST_CASE("loader: drafts are never published, fed or indexed") {
  TempDir dir;
  const auto r = build_fixture(dir, std::string(k_good_item) + R"(=== disclosure/2021/secret.md ===
+++
title = "草稿不应出现"
department = "dzb"
category = "fzzf"
published = 2021-06-01
draft = true
+++
机密草稿正文。
)");
  REQUIRE(r.exit_code == 0);
  const auto tree = test::read_tree(dir / "output/current/site");
  CHECK_FALSE(tree.count("disclosure/2021/secret/index.html"));
  for (const auto& [path, bytes] : tree) {
    INFO(path);
    CHECK(bytes.find("草稿不应出现") == std::string::npos);
  }
}

TEST_CASE("loader: a symbolic link out of the content folder is refused") {
  TempDir dir;
  test::write_text(dir / "secret.txt", "outside");
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  std::filesystem::create_directories(dir / "content/disclosure");
  std::filesystem::create_symlink(dir / "secret.txt", dir / "content/disclosure/leak.txt");
  const auto r = test::build_site(dir / "content", dir / "output");
  CHECK(r.exit_code == 1);
  CHECK(test::diagnostic_lines(r) ==
        std::vector<std::string>{"content/disclosure/leak.txt: error: symbolic link points outside "
                                 "the content folder and is refused"});
}

TEST_CASE("loader: BOM, CRLF line endings and invalid UTF-8") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_text(dir / "content/disclosure/crlf.md",
                   "\xEF\xBB\xBF+++\r\ntitle = \"Windows 记事本\"\r\ndepartment = "
                   "\"dzb\"\r\ncategory = \"fzzf\"\r\npublished = 2021-05-01\r\n+++\r\n正文\r\n");
  auto r = test::build_site(dir / "content", dir / "output");
  CHECK(r.exit_code == 0);
  CHECK(test::read_text(dir / "output/current/site/disclosure/crlf/index.html")
            .find("Windows 记事本") != std::string::npos);
  test::write_text(dir / "content/disclosure/bad.md", "+++\ntitle = \"\xE9\x82\"\n+++\n");
  r = test::build_site(dir / "content", dir / "output");
  CHECK(r.exit_code == 1);
  CHECK(test::diagnostic_lines(r) ==
        std::vector<std::string>{"content/disclosure/bad.md:2:10: error: file is not valid UTF-8; "
                                 "save it as UTF-8 (文件须为UTF-8编码)"});
}

TEST_CASE("loader: a future-dated item is held back until a build on or after its date") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", R"(=== disclosure/2022/later.md ===
+++
title = "定时发布的公告"
department = "dzb"
category = "fzzf"
published = 2022-04-01T09:00:00+08:00
+++
正文。
)");
  auto r = test::build_site(dir / "content", dir / "output", "2022-03-31T23:00:00+08:00");
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(
      std::filesystem::exists(dir / "output/current/site/disclosure/2022/later/index.html"));
  CHECK(test::read_text(dir / "output/current/site/index.xml").find("定时发布的公告") ==
        std::string::npos);
  r = test::build_site(dir / "content", dir / "output", "2022-04-01T09:00:00+08:00");
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(dir / "output/current/site/disclosure/2022/later/index.html"));
}
