#include <catch2/catch.hpp>

#include "gongkai/identifiers.hpp"

#include <algorithm>
#include <cstdlib>

#include "gongkai/text.hpp"
#include "gongkai/workdays.hpp"
#include "history.hpp"
#include "statutory.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

TEST_CASE("annual report: the example town's 2021 tables come out of its content") {
  TempDir dir;
  REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00")
              .exit_code == 0);
  const std::string csv = test::read_text(dir / "out/current/site/annual-report/2021.csv");
  CHECK(csv.find("2021,行政处罚,,,,150,21600,,,,,,,\r\n") != std::string::npos);
  CHECK(csv.find("2021,行政处罚（简易程序）,,,,94,4700,,,,,,,\r\n") != std::string::npos);
  CHECK(csv.find("2021,行政处罚（一般程序）,,,,56,16900,,,,,,,\r\n") != std::string::npos);
  CHECK(csv.find("2021,行政规范性文件,1,1,1,,,,,,,,,\r\n") != std::string::npos);
  const std::string page =
      test::read_text(dir / "out/current/site/disclosure/2022/annual-report-2021/index.html");
  CHECK(page.find("<th scope=\"row\">行政处罚</th><td>150</td><td>21600</td>") !=
        std::string::npos);
  CHECK(page.find("annual_report") == std::string::npos);  // the shortcode itself never shows
}

TEST_CASE("annual report: counting rules for documents, decisions and withdrawals") {
  TempDir dir;
  test::write_text(
      dir / "content/site.toml",
      test::minimal_site_toml() + "\n[annual_report]\nnormative_categories = [\"fzzf\"]\n");
  test::write_fixture(dir / "content", R"(=== disclosure/a.md ===
+++
title = "规范性文件甲"
department = "dzb"
category = "fzzf"
published = 2020-02-01
doc_no = "X〔2020〕1号"
+++
=== disclosure/b.md ===
+++
title = "规范性文件乙（已废止）"
department = "dzb"
category = "fzzf"
published = 2019-02-01
doc_no = "X〔2019〕1号"
validity = "废止"
repealed = 2021-06-01
+++
=== disclosure/c.md ===
+++
title = "规章丙"
department = "dzb"
category = "xzzf"
published = 2021-03-01
doc_no = "X令〔2021〕1号"
tags = ["规章"]
+++
=== disclosure/p1.md ===
+++
title = "处罚一"
department = "zhdd"
category = "xzzf"
published = 2021-05-10
[penalty]
procedure = "一般"
count = 2
fine = 1000
confiscated = 500
decided = 2021-05-06
+++
=== disclosure/p2.md ===
+++
title = "处罚二（已撤销）"
department = "zhdd"
category = "xzzf"
published = 2021-05-10
[penalty]
procedure = "简易"
count = 1
fine = 200
decided = 2021-05-06
withdrawn = 2021-07-01
withdrawn_reason = "经复议，原处罚决定认定事实不清，予以撤销。"
+++
=== disclosure/l.md ===
+++
title = "许可决定"
department = "dzb"
category = "xzzf"
published = 2021-08-01
[decision]
type = "行政许可"
count = 7
+++
)");
  const auto r = test::build_site(dir / "content", dir / "out", "2022-01-10T00:00:00+08:00");
  REQUIRE(r.exit_code == 0);
  const std::string csv = test::read_text(dir / "out/current/site/annual-report/2021.csv");
  CHECK(csv.find("2021,规章,1,0,1,,") != std::string::npos);
  CHECK(csv.find("2021,行政规范性文件,0,1,1,,") !=
        std::string::npos);  // 乙 repealed in 2021; 甲 in force
  CHECK(csv.find("2021,行政许可,,,,7,") != std::string::npos);
  CHECK(csv.find("2021,行政处罚,,,,2,1500") !=
        std::string::npos);  // the withdrawn one is not counted
  const std::string csv2020 = test::read_text(dir / "out/current/site/annual-report/2020.csv");
  CHECK(csv2020.find("2020,行政规范性文件,1,0,2,,") != std::string::npos);
  // The withdrawn penalty keeps its page with the reason, and leaves lists and feeds.
  const std::string page = test::read_text(dir / "out/current/site/disclosure/p2/index.html");
  CHECK(page.find("本行政处罚决定已于2021-07-"
                  "01撤销。撤销理由：经复议，原处罚决定认定事实不清，予以撤销。") !=
        std::string::npos);
  for (const char* listed :
       {"disclosure/index.html", "index.xml", "feed.json", "disclosure/index.xml", "index.html"})
    CHECK(test::read_text(dir / "out/current/site" / listed).find("处罚二") == std::string::npos);
}

TEST_CASE(
    "privacy guard: unmasked ID, mobile and bank card numbers fail the build at their position") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", R"(=== disclosure/p.md ===
+++
title = "行政处罚结果公示"
department = "zhdd"
category = "xzzf"
published = 2021-05-10
[penalty]
procedure = "一般"
fine = 500
+++
当事人王某，身份证号11010519491231002X，联系电话13812345678。
退款账号：6222 0212 3456 7894。
已脱敏：110105**********21、138****5678、6222********7894。
办公电话022-29000002，统一社会信用代码11120225MB1234567X，文号X〔2021〕110105号。

| 序号 | 当事人 | 处罚内容 |
|---|---|---|
| 1 | 王某某 | 罚款 |
| 2 | 张三 | 罚款 |
| 3 | 某某商贸有限公司 | 罚款 |

| 项目 | 内容 |
| --- | --- |
| 当事人 | 李四 |
| 违法事实 | 露天焚烧秸秆 |
)");
  const auto r = test::build_site(dir / "content", dir / "out");
  CHECK(r.exit_code == 1);
  std::vector<std::string> errors;
  for (const auto& l : test::diagnostic_lines(r))
    if (l.find(": error: ") != std::string::npos) errors.push_back(l);
  CHECK(errors ==
        std::vector<std::string>{
            "content/disclosure/p.md:10:11: error: unmasked resident ID number: mask it "
            "(1101**********1234) or allow it under [privacy] with a reason (身份证号须脱敏)",
            "content/disclosure/p.md:10:34: error: unmasked mobile number: mask it (138****1234) "
            "or allow it under [privacy] with a reason (手机号须脱敏)",
            "content/disclosure/p.md:11:6: error: unmasked bank card number: mask it "
            "(6222********1234) or allow it under [privacy] with a reason (银行卡号须脱敏)",
            "content/disclosure/p.md:18:7: error: party \"张三\" of a penalty must be named "
            "masked, e.g. 王某某 (行政处罚当事人姓名须隐去)",
            "content/disclosure/p.md:23:9: error: party \"李四\" of a penalty must be named "
            "masked, e.g. 王某某 (行政处罚当事人姓名须隐去)"});
  CHECK_FALSE(std::filesystem::exists(dir / "out/current"));
}

TEST_CASE("privacy guard: an item may allow a kind of number with a reason") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", R"(=== pages/contact.md ===
+++
title = "联系我们"
[privacy]
allow = ["mobile"]
reason = "值班手机为单位公务号码"
+++
值班手机：13912345678
)");
  CHECK(test::build_site(dir / "content", dir / "out").exit_code == 0);
  CHECK(valid_resident_id("11010519491231002X"));
  CHECK_FALSE(valid_resident_id("110105194912310022"));
  CHECK(luhn_valid("6222021234567894"));
}

TEST_CASE(
    "inspection: freshness, empty columns, consultation results and penalty delays, with the date "
    "each fails") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", R"(=== disclosure/a.md ===
+++
title = "最后一条信息"
department = "dzb"
category = "fzzf"
published = 2022-03-01
+++
=== disclosure/late.md ===
+++
title = "迟到的处罚公示"
department = "zhdd"
category = "fzzf"
published = 2022-02-28
[penalty]
procedure = "简易"
fine = 50
decided = 2022-02-14
+++
=== consultations/c.md ===
+++
title = "已结束未反馈的征求意见"
department = "dzb"
published = 2021-10-01
opens = 2021-10-01
closes = 2021-11-05
+++
)");
  const auto r = test::build_site(dir / "content", dir / "out", "2022-03-20T10:00:00+08:00");
  REQUIRE(r.exit_code == 0);
  CHECK(test::diagnostic_lines(r) ==
        std::vector<std::string>{
            "content/consultations/c.md:1:1: warning: inspection rule: a consultation's result "
            "(意见采纳情况) must be published within 3 months of closing; failing since 2022-02-04 "
            "— add [result]",
            "content/disclosure/late.md:1:1: warning: inspection rule: penalty results must be "
            "published within 7 working days of the decision (2022-02-14); published 10 working "
            "days later",
            "content/site.toml: warning: inspection rule: column 主题分类 行政执法 is empty "
            "(空白栏目); add an item or remove the category",
            "content/site.toml: warning: inspection rule: column 首页 (home page) must have a new "
            "item every 14 days (栏目更新); last item 2022-03-01, failing since 2022-03-15"});
}

TEST_CASE(
    "inspection: the 7-working-day penalty rule counts the official holidays and 调休 weekends") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  // ontime.md: decided Friday 2025-09-26, published Monday 2025-10-13. 国办发明电〔2024〕12号:
  // "10月1日（周三）至8日（周三）放假调休……9月28日（周日）、10月11日（周六）上班", so 9/28,
  // 9/29, 9/30, 10/9, 10/10, 10/11, 10/13 are its 7 working days: on time (Monday to Friday
  // counted 11). late.md: decided Thursday 2026-02-26, published Monday 2026-03-09. 国办发明电
  // 〔2025〕7号: "2月28日（周六）……上班", so 2/27, 2/28, 3/2–3/6, 3/9 are 8: late (Monday to
  // Friday counted 7).
  test::write_fixture(dir / "content", R"(=== disclosure/ontime.md ===
+++
title = "国庆前作出的处罚"
department = "zhdd"
category = "fzzf"
published = 2025-10-13
[penalty]
procedure = "简易"
fine = 50
decided = 2025-09-26
+++
=== disclosure/late.md ===
+++
title = "春节后作出的处罚"
department = "zhdd"
category = "xzzf"
published = 2026-03-09
[penalty]
procedure = "简易"
fine = 50
decided = 2026-02-26
+++
)");
  const auto r = test::build_site(dir / "content", dir / "out", "2026-03-10T10:00:00+08:00");
  REQUIRE(r.exit_code == 0);
  CHECK(test::diagnostic_lines(r) ==
        std::vector<std::string>{
            "content/disclosure/late.md:1:1: warning: inspection rule: penalty results must be "
            "published within 7 working days of the decision (2026-02-26); published 8 working "
            "days later"});

  // A clock in December 2026, when the calendar has no 2027: a warning, and the build goes on.
  const auto december =
      test::build_site(dir / "content", dir / "out-december", "2026-12-08T10:00:00+08:00");
  REQUIRE(december.exit_code == 0);
  const auto lines = test::diagnostic_lines(december);
  REQUIRE_FALSE(lines.empty());
  CHECK(std::find(lines.begin(), lines.end(),
                  "calendar: warning: " + workdays::missing_year_message(2027)) != lines.end());
  CHECK(lines.front().find("calendar: warning: 节假日安排数据缺少 2027 年") == 0);
}

TEST_CASE(
    "权责清单 history: three adjustments in a fixture git repository give three versions and "
    "correct diffs") {
  TempDir dir;
  const auto content = dir / "repo/content";
  test::write_text(content / "site.toml", test::minimal_site_toml());
  auto list = [&](const std::string& items) {
    test::write_text(content / "responsibilities/zhdd.toml",
                     "department = \"zhdd\"\nupdated = 2021-09-01\n" + items);
  };
  auto item = [](const std::string& code, const std::string& name, const std::string& type,
                 const std::string& basis) {
    return "\n[[item]]\ncode = \"" + code + "\"\nname = \"" + name + "\"\ntype = \"" + type +
           "\"\nbasis = \"" + basis +
           "\"\nsubject = \"镇政府\"\nduties = \"立案责任\"\nsupervision = \"区司法局\"\n";
  };
  const std::string git = "cd '" + (dir / "repo").string() +
                          "' && git -c user.name=staff -c user.email=staff@example.gov.cn ";
  auto commit = [&](const std::string& date, const std::string& msg) {
    const std::string env =
        "export GIT_AUTHOR_DATE='" + date + "' GIT_COMMITTER_DATE='" + date + "'; ";
    REQUIRE(std::system((env + git + "add -A >/dev/null && " + git + "commit -q -m '" + msg + "'")
                            .c_str()) == 0);
  };
  REQUIRE(std::system(("git init -q '" + (dir / "repo").string() + "'").c_str()) == 0);
  list(item("A-1", "对乱倒垃圾的处罚", "行政处罚", "《条例》第十条") +
       item("A-2", "市容检查", "行政检查", "《条例》第五条"));
  commit("2021-03-01T10:00:00+08:00", "初次公布权责清单");
  list(item("A-1", "对乱倒垃圾的处罚", "行政处罚", "《条例》第十二条") +
       item("A-2", "市容检查", "行政检查", "《条例》第五条") +
       item("A-3", "对占道经营的处罚", "行政处罚", "《办法》第八条"));
  commit("2021-06-01T10:00:00+08:00", "依据事权下放文件调整");
  list(item("A-1", "对乱倒垃圾的处罚", "行政处罚", "《条例》第十二条") +
       item("A-3", "对占道经营的处罚", "行政强制", "《办法》第八条"));
  commit("2021-09-01T10:00:00+08:00", "取消市容检查");

  Content c;
  c.lists.push_back({"responsibilities/zhdd.toml", "zhdd", *DateTime::parse("2021-09-01"), {}});
  const auto h = gen::list_history(c, content);
  REQUIRE(h.count("zhdd"));
  const auto& v = h.at("zhdd");
  REQUIRE(v.size() == 3);
  CHECK(v[0].date.date() == "2021-03-01");
  CHECK(v[0].changes.size() == 2);
  CHECK(v[0].message == "初次公布权责清单");
  REQUIRE(v[1].changes.size() == 2);
  CHECK(v[1].changes[0].kind == "changed");
  CHECK(v[1].changes[0].code == "A-1");
  REQUIRE(v[1].changes[0].fields.size() == 1);
  CHECK(v[1].changes[0].fields[0].field == "设定依据");
  CHECK(v[1].changes[0].fields[0].before == "《条例》第十条");
  CHECK(v[1].changes[0].fields[0].after == "《条例》第十二条");
  CHECK(v[1].changes[1].kind == "added");
  CHECK(v[1].changes[1].code == "A-3");
  REQUIRE(v[2].changes.size() == 2);
  CHECK(v[2].changes[0].kind == "changed");
  CHECK(v[2].changes[0].fields[0].field == "类型");
  CHECK(v[2].changes[0].fields[0].after == "行政强制");
  CHECK(v[2].changes[1].kind == "removed");
  CHECK(v[2].changes[1].name == "市容检查");

  // The site shows the versions, and the combined page notes the latest adjustment.
  const auto r = test::build_site(content, dir / "out");
  REQUIRE(r.exit_code == 0);
  const std::string page =
      test::read_text(dir / "out/current/site/responsibilities/zhdd/history/index.html");
  CHECK(page.find("2021-09-01") < page.find("2021-06-01"));
  CHECK(page.find("<del>《条例》第十条</del>") != std::string::npos);
  CHECK(page.find("<ins>《条例》第十二条</ins>") != std::string::npos);
  CHECK(page.find("取消</strong> A-2 市容检查") != std::string::npos);
  CHECK(test::read_text(dir / "out/current/site/responsibilities/index.html")
            .find("2021-09-01 综合执法大队：新增0项，取消1项，调整1项") != std::string::npos);

  // Without a repository: no history, and the build still works.
  TempDir plain;
  std::filesystem::copy(content, plain / "content", std::filesystem::copy_options::recursive);
  CHECK(gen::list_history(c, plain / "content").empty());
  CHECK(test::build_site(plain / "content", plain / "out").exit_code == 0);
}
