// A district platform (docs/platform.md): units built by child gongkai-builds under their URL
// prefixes, a unit with errors keeping its last release while the others publish, unchanged
// units left alone, and the platform pages made from the units' summaries.
#include <catch2/catch.hpp>
#include <filesystem>

#include "gongkai/fs.hpp"
#include "gongkai/platform.hpp"
#include "support.hpp"

using namespace gongkai;
using test::quoted;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

const char* k_platform_toml = R"(title = "测试区人民政府"
base_url = "https://www.test-district.example.gov.cn/"
theme = "default"

[organization]
name = "测试区人民政府办公室"
site_code = "1202259999"
icp = "津ICP备99999999号"
police_record = "津公网安备 12022599999999号"

[[unit]]
id = "east"
name = "测试区东镇人民政府"
short_name = "东镇"
kind = "乡镇"
prefix = "/towns/east/"
content = "towns/east"

[[unit]]
id = "fin"
name = "测试区财政局"
kind = "区政府部门"
prefix = "/departments/fin/"
content = "departments/fin"
)";

// Two units: a town with an annual report for 2025, a department without one.
void write_platform(const fs::path& dir) {
  test::write_text(dir / "platform.toml", k_platform_toml);
  test::write_fixture(dir / "towns/east", "=== site.toml ===\n" + test::minimal_site_toml() + R"(
=== pages/guide.md ===
+++
title = "政府信息公开指南"
menu = true
+++
东镇的指南。[预算](/disclosure/2026/budget/)
=== disclosure/2026/budget.md ===
+++
title = "东镇2026年部门预算"
department = "dzb"
category = "fzzf"
published = 2026-02-10
+++
东镇预算。
=== disclosure/2026/report.md ===
+++
title = "东镇人民政府2025年政府信息公开工作年度报告"
department = "dzb"
category = "fzzf"
published = 2026-01-20
tags = ["年度报告"]
+++
东镇年报。
)");
  test::write_fixture(dir / "departments/fin",
                      "=== site.toml ===\n" + test::minimal_site_toml() + R"(
=== disclosure/2026/fund.md ===
+++
title = "财政局专项资金公示"
department = "dzb"
category = "xzzf"
published = 2026-03-01
+++
专项资金。
)");
}

std::string build_args(const TempDir& dir, const std::string& extra = "") {
  return "--content " + quoted((dir / "p").string()) + " --output " +
         quoted((dir / "out").string()) + " --themes " + quoted(GONGKAI_THEMES_DIR) +
         " --now 2026-03-15T10:00:00+08:00 --no-history " + extra;
}

std::string current(const TempDir& dir, const std::string& what) {
  std::error_code ec;
  return fs::read_symlink(dir / "out" / what / "current", ec).string();
}

}  // namespace

TEST_CASE("platform: each unit builds under its prefix, and the platform pages name them all") {
  TempDir dir;
  write_platform(dir / "p");
  const auto [status, said] = test::run_build(build_args(dir));
  INFO(said);
  REQUIRE(status == 0);
  CHECK(said.find("2 built, 0 unchanged, none failed") != std::string::npos);

  // A unit's release is a site of its own whose URLs carry the prefix, its links too.
  const fs::path east = dir / "out/units/east/current";
  const std::string home = test::read_text(east / "site/index.html");
  CHECK(home.find("href=\"/towns/east/disclosure/2026/budget/\"") != std::string::npos);
  CHECK(home.find("href=\"/towns/east/static/style.css\"") != std::string::npos);
  CHECK(home.find("<meta name=\"SiteIDCode\" content=\"1202259999\">") != std::string::npos);
  CHECK(home.find("主办单位：测试区人民政府办公室") != std::string::npos);
  const std::string guide = test::read_text(east / "site/pages/guide/index.html");
  CHECK(guide.find("href=\"/towns/east/disclosure/2026/budget/\">预算") != std::string::npos);
  const std::string item = test::read_text(east / "site/disclosure/2026/budget/index.html");
  CHECK(item.find("<meta name=\"ContentSource\" content=\"测试市测试镇人民政府 党政办公室\">") !=
        std::string::npos);
  CHECK(item.find("<link rel=\"canonical\" "
                  "href=\"https://www.test-district.example.gov.cn/towns/east/disclosure/2026/"
                  "budget/\">") != std::string::npos);

  // The unit's summary and the platform's index for the server.
  const auto summary =
      contract::parse_unit_summary(test::read_text(east / "server" / contract::k_unit_file));
  CHECK(summary.unit.id == "east");
  REQUIRE(summary.annual_reports.size() == 1);
  CHECK(summary.annual_reports[0].year == 2025);
  CHECK(summary.annual_reports[0].url == "/towns/east/disclosure/2026/report/");
  const fs::path platform = dir / "out/platform/current";
  const auto index = contract::parse_platform_json(
      test::read_text(platform / "server" / contract::k_platform_file));
  REQUIRE(index.units.size() == 2);
  CHECK(index.units[1].output == "units/fin");
  CHECK(index.units[1].short_name == "测试区财政局");

  // Platform pages: the entry by kind, the 年报专栏 naming the unit without a 2025 report
  // (due 31 January 2026), the combined latest list, the sitemap index.
  const std::string xxgk = test::read_text(platform / "site/xxgk/index.html");
  CHECK(xxgk.find("区政府部门") < xxgk.find("乡镇街道"));
  CHECK(xxgk.find("href=\"/towns/east/pages/guide/\">公开指南") != std::string::npos);
  const std::string nianbao = test::read_text(platform / "site/nianbao/index.html");
  const auto missing = nianbao.find("未发布2025年度报告的单位");
  REQUIRE(missing != std::string::npos);
  CHECK(nianbao.find("测试区财政局", missing) < nianbao.find("2025年度（已发布 1 / 2）"));
  CHECK(nianbao.find("东镇人民政府2025年政府信息公开工作年度报告") != std::string::npos);
  const std::string latest = test::read_text(platform / "site/latest/index.html");
  CHECK(latest.find("财政局专项资金公示") < latest.find("东镇2026年部门预算"));
  const std::string sitemap = test::read_text(platform / "site/sitemap.xml");
  CHECK(sitemap.find("https://www.test-district.example.gov.cn/towns/east/sitemap.xml") !=
        std::string::npos);
  CHECK(sitemap.find("https://www.test-district.example.gov.cn/departments/fin/sitemap.xml") !=
        std::string::npos);
  // The inspection report stays out of the public site unless inspection_public is set.
  CHECK(fs::exists(platform / "server/inspection.csv"));
  CHECK_FALSE(fs::exists(platform / "site/inspection"));
  CHECK(test::read_text(platform / "server/inspection.csv")
            .find("fin,测试区财政局,区政府部门,2026-03-01,14,") != std::string::npos);
}

TEST_CASE("platform: a unit with errors keeps its release while another publishes") {
  TempDir dir;
  write_platform(dir / "p");
  REQUIRE(test::run_build(build_args(dir)).first == 0);
  const std::string east_before = current(dir, "units/east"),
                    fin_before = current(dir, "units/fin");
  const std::string platform_before = current(dir, "platform");

  // Nothing changed: nothing is rebuilt.
  {
    const auto [status, said] = test::run_build(build_args(dir));
    INFO(said);
    CHECK(status == 0);
    CHECK(said.find("0 built, 2 unchanged") != std::string::npos);
    CHECK(current(dir, "units/east") == east_before);
  }

  std::string budget = test::read_text(dir / "p/towns/east/disclosure/2026/budget.md");
  test::write_text(dir / "p/towns/east/disclosure/2026/budget.md",
                   std::string(budget).replace(budget.find("\"dzb\""), 5, "\"nosuch\""));
  test::write_text(dir / "p/departments/fin/disclosure/2026/more.md", R"(+++
title = "财政局第二条公示"
department = "dzb"
category = "xzzf"
published = 2026-03-10
+++
第二条。
)");
  const auto [status, said] = test::run_build(build_args(dir, "--jobs 2"));
  INFO(said);
  CHECK(status == 1);
  CHECK(said.find("towns/east/disclosure/2026/budget.md:3:14: error: department \"nosuch\"") !=
        std::string::npos);
  CHECK(said.find("unit east (测试区东镇人民政府) failed") != std::string::npos);
  CHECK(said.find("1 built, 0 unchanged, failed: east") != std::string::npos);
  CHECK(current(dir, "units/east") == east_before);
  CHECK(current(dir, "units/fin") != fin_before);
  CHECK(current(dir, "platform") != platform_before);
  CHECK(test::read_text(dir / "out/platform/current/site/latest/index.html")
            .find("财政局第二条公示") != std::string::npos);

  // --unit: only that unit (and the platform pages).
  test::write_text(dir / "p/towns/east/disclosure/2026/budget.md", budget);
  test::write_text(dir / "p/towns/east/notices/2026/law.md", R"(+++
title = "东镇普法公告"
department = "sfs"
published = 2026-03-12
+++
学法用法。
)");
  test::write_text(dir / "p/departments/fin/disclosure/2026/third.md", R"(+++
title = "财政局第三条公示"
department = "dzb"
category = "xzzf"
published = 2026-03-11
+++
第三条。
)");
  const std::string fin_now = current(dir, "units/fin");
  const auto [one, one_said] = test::run_build(build_args(dir, "--unit east"));
  INFO(one_said);
  CHECK(one == 0);
  CHECK(current(dir, "units/east") != east_before);
  CHECK(current(dir, "units/fin") == fin_now);
  CHECK(one_said.find("1 unit(s): 1 built") != std::string::npos);
  CHECK(test::run_build(build_args(dir, "--unit nosuch")).first == 2);
}

TEST_CASE("platform: platform.toml's mistakes are reported at its lines") {
  TempDir dir;
  write_platform(dir / "p");
  std::string toml = k_platform_toml;
  toml += R"(
[[unit]]
id = "east"
name = "重复"
kind = "村"
prefix = "/towns/east/more/"
content = "missing"
)";
  test::write_text(dir / "p/platform.toml", toml);
  const auto [status, said] = test::run_build(build_args(dir));
  INFO(said);
  CHECK(status == 1);
  const std::string file = (dir / "p/platform.toml").string();
  CHECK(said.find(file + ":27:1: error: unit id \"east\" is used twice (also line 12)") !=
        std::string::npos);
  CHECK(said.find(file + ":29:1: error: unit kind \"村\" must be one of") != std::string::npos);
  CHECK(
      said.find(
          file +
          ":30:1: error: unit prefix \"/towns/east/more/\" overlaps \"/towns/east/\" (line 16)") !=
      std::string::npos);
  CHECK(said.find(file + ":31:1: error: unit east: content folder") != std::string::npos);
  CHECK(said.find("has no site.toml") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out/platform"));
}

TEST_CASE("platform: --check checks every unit, prints the inspection report, publishes nothing") {
  TempDir dir;
  write_platform(dir / "p");
  const auto [status, said] = test::run_build(build_args(dir, "--check"));
  INFO(said);
  CHECK(status == 0);
  CHECK(said.find("platform inspection (政务公开检查): 2 units") != std::string::npos);
  CHECK(said.find("fin 测试区财政局: last publication 2026-03-01") != std::string::npos);
  CHECK(said.find("no annual report for 2025 (年报未发布)") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out/platform"));
  CHECK_FALSE(fs::exists(dir / "out/units/east/current"));
}
