// gongkai-build --database: the annual report's table 三 and the consultations' response counts
// read from the server's store (generator/aggregates/), aggregates only.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "gongkai/datetime.hpp"
#include "gongkai/text.hpp"
#include "handling.hpp"
#include "page_memo.hpp"
#include "statutory.hpp"
#include "store.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_now = "2027-01-20T10:00:00+08:00";
constexpr const char* k_report_2026 = "current/site/disclosure/2027/report-2026/index.html";
constexpr const char* k_report_2025 = "current/site/disclosure/2026/report-2025/index.html";
constexpr const char* k_heating = "current/site/consultations/2026/heating/index.html";

// What the public wrote, which must never reach the output.
const std::vector<std::string> k_personal = {"欧阳明远",
                                             "13987654321",
                                             "ouyang.mingyuan@example.com",
                                             "120225199001011234",
                                             "天津市蓟州区测试镇幸福里99号",
                                             "欧阳村集体土地流转合同全文",
                                             "198.51.100.23",
                                             "司马青衫",
                                             "13711112222",
                                             "建议供暖提前到十一月一日"};

void write_site(const fs::path& content) {
  test::write_text(content / "site.toml", test::minimal_site_toml());
  test::write_fixture(content, R"(=== disclosure/2026/report-2025.md ===
+++
title = "测试镇人民政府2025年政府信息公开工作年度报告"
department = "dzb"
category = "fzzf"
published = 2026-01-15
+++
统计期限自2025年1月1日起至2025年12月31日止。

{{< annual_report year="2025" >}}
=== disclosure/2027/report-2026.md ===
+++
title = "测试镇人民政府2026年政府信息公开工作年度报告"
department = "dzb"
category = "fzzf"
published = 2027-01-15
+++
统计期限自2026年1月1日起至2026年12月31日止。

{{< annual_report year="2026" >}}
=== consultations/2026/heating.md ===
+++
title = "关于冬季供暖方案公开征求意见的公告"
department = "dzb"
published = 2026-10-01
opens = 2026-10-01
closes = 2026-10-31
[result]
published = 2026-11-20
summary = "意见已逐条研究，供暖时间提前至11月10日。"
+++
征求冬季供暖方案意见。
=== consultations/2026/road.md ===
+++
title = "关于道路命名公开征求意见的公告"
department = "dzb"
published = 2026-12-20
opens = 2026-12-20
closes = 2027-01-31
+++
征求道路命名意见。
)");
}

std::int64_t epoch(int y, int m, int d) {
  return DateTime::from_civil(y, m, d, 10, 0, 0, k_default_offset_minutes, true).epoch;
}

struct Fixture {
  TempDir dir;
  std::string url = "sqlite:" + (dir / "store.db").string();
  std::unique_ptr<store::Store> db = store::Store::open(url);

  Fixture() { write_site(dir / "content"); }

  // An application received on `received` (YYYY-MM-DD) and left in `status`.
  std::string add(const std::string& type, const std::string& received, const std::string& status,
                  const std::string& answered = "", const std::string& reply_type = "",
                  const std::string& ground = "", std::int64_t withdrawn_at = 0,
                  const std::string& unit = "site") {
    store::Application a;
    a.unit = unit;
    a.secret_hash = std::string(64, 'a');
    a.applicant_type = type;
    a.name = "欧阳明远";
    a.id_type = "身份证";
    a.id_number = "120225199001011234";
    a.phone = "13987654321";
    a.email = "ouyang.mingyuan@example.com";
    a.address = "天津市蓟州区测试镇幸福里99号";
    a.description = "欧阳村集体土地流转合同全文";
    a.source_address = "198.51.100.23";
    const int y = received.empty() ? 2026 : std::atoi(received.substr(0, 4).c_str());
    const int mo = received.empty() ? 6 : std::atoi(received.substr(5, 2).c_str());
    const int d = received.empty() ? 1 : std::atoi(received.substr(8, 2).c_str());
    a.submitted_at = epoch(y, mo, d);
    const std::string id = db->create_application(a, "");
    store::Application h = *db->application(id);
    h.status = status;
    h.received_date = received;
    h.answered_date = answered;
    h.reply_type = reply_type;
    h.reply_ground = ground;
    if (!answered.empty()) h.reply_text = "答复：欧阳明远，您申请的信息予以公开。";
    store::Event e;
    e.object_id = id;
    e.actor = "wang";
    e.at = withdrawn_at ? withdrawn_at : a.submitted_at + 86400;
    e.action = status == "withdrawn" ? "withdraw" : status == "answered" ? "answer" : "receive";
    e.detail = "欧阳明远 13987654321";
    REQUIRE(db->update_application(h, db->application(id)->updated_at, e));
    return id;
  }

  std::int64_t respond(const std::string& consultation, std::optional<bool> adopted,
                       const std::string& unit = "site") {
    store::ConsultationResponse r;
    r.unit = unit;
    r.consultation = consultation;
    r.name = "司马青衫";
    r.contact = "13711112222";
    r.body = "建议供暖提前到十一月一日";
    r.submitted_at = epoch(2026, 10, 10);
    r.source_address = "198.51.100.23";
    const std::int64_t id = db->add_response(r);
    if (adopted) REQUIRE(db->set_response_adopted(id, adopted));
    return id;
  }

  // Two years of applications; the expected tables are in the tests, counted by hand.
  void fill() {
    // 2025 (and one from 2024)
    add("自然人", "2025-03-01", "answered", "2025-03-20", "予以公开");                  // A1
    add("商业企业", "2025-11-20", "answered", "2026-01-10", "部分公开");                // A2
    add("自然人", "2025-12-15", "withdrawn", "", "", "", epoch(2026, 1, 5));            // A3
    add("科研机构", "2025-06-01", "withdrawn", "", "", "", epoch(2025, 6, 10));         // A4
    add("自然人", "2024-12-20", "answered", "2025-01-08", "不予公开", "属于国家秘密");  // A5
    // 2026
    add("自然人", "2026-02-01", "answered", "2026-02-20", "予以公开");                        // B1
    add("自然人", "2026-03-01", "answered", "2026-03-25", "不予公开", "保护第三方合法权益");  // B2
    add("社会公益组织", "2026-04-01", "answered", "2026-04-15", "无法提供",
        "本机关不掌握相关政府信息");                                                      // B3
    add("法律服务机构", "2026-05-01", "answered", "2026-05-10", "不予处理", "重复申请");  // B4
    add("其他", "2026-06-01", "answered", "2026-06-20", "其他处理",
        "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请");  // B5
    b6 = add("商业企业", "2026-12-20", "received");                         // B6, open
    add("自然人", "2026-12-28", "correction");                              // B7, open
    add("商业企业", "2026-07-01", "answered", "2026-07-15", "予以公开");    // B8
    add("自然人", "", "submitted");                                         // not received yet
    add("自然人", "2026-03-01", "answered", "2026-03-02", "予以公开", "", 0, "other");  // unit
    // Responses: 4 to the heating consultation, 2 adopted; others elsewhere.
    respond("consultations/2026/heating/", true);
    respond("consultations/2026/heating/", true);
    respond("consultations/2026/heating/", false);
    respond("consultations/2026/heating/", std::nullopt);
    respond("consultations/2026/road/", true);
    respond("consultations/2026/heating/", true, "other");
  }
  std::string b6;

  gen::BuildResult build(const std::string& out, bool with_database = true) {
    return test::build_site(dir / "content", dir / out, k_now, [&](gen::BuildOptions& o) {
      o.git_history = false;
      if (with_database) o.database = url;
    });
  }
  std::string read(const std::string& out, const std::string& rel) {
    return test::read_text(dir / out / rel);
  }
};

using Row = std::vector<std::int64_t>;

// The seven numbers after a row heading of table 三 in the page.
Row html_row(const std::string& html, const std::string& heading) {
  const std::string th = heading + "</th>";
  const auto at = html.find(th);
  if (at == std::string::npos) return {};
  if (html.find(th, at + 1) != std::string::npos) return {-1};  // ambiguous heading
  Row r;
  std::size_t pos = at + th.size();
  for (int i = 0; i < 7; ++i) {
    if (html.compare(pos, 4, "<td>") != 0) return r;
    const auto end = html.find("</td>", pos);
    r.push_back(std::atoll(html.substr(pos + 4, end - pos - 4).c_str()));
    pos = end + 5;
  }
  return r;
}

// The applicant columns of a CSV line "<year>,<label>,…".
Row csv_row(const std::string& csv, const std::string& year, const std::string& label) {
  for (const std::string& line : split(csv, '\n')) {
    if (!starts_with(line, year + "," + label + ",")) continue;
    std::string l = line;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    const auto f = split(l, ',');
    if (f.size() != 14) return {-1};
    Row r;
    for (std::size_t i = 7; i < 14; ++i) r.push_back(std::atoll(f[i].c_str()));
    return r;
  }
  return {};
}

// 一 + 二 = （七）总计 + 四, column by column: the check the official table states.
void check_adds_up(const std::string& html) {
  const Row in = html_row(html, "一、本年新收政府信息公开申请数量");
  const Row carried = html_row(html, "二、上年结转政府信息公开申请数量");
  const Row total = html_row(html, "（七）总计");
  const Row forward = html_row(html, "四、结转下年度继续办理");
  REQUIRE(in.size() == 7);
  REQUIRE(carried.size() == 7);
  REQUIRE(total.size() == 7);
  REQUIRE(forward.size() == 7);
  for (std::size_t c = 0; c < 7; ++c) {
    INFO("column " << c);
    CHECK(in[c] + carried[c] == total[c] + forward[c]);
  }
}

}  // namespace

TEST_CASE("annual report: table 三's rows are the staff console's reply types and grounds") {
  std::vector<gen::ApplicationResultRow> console;
  for (const auto& t : server::staff::reply_types()) {
    if (t.grounds.empty()) console.push_back({t.name, ""});
    for (const auto& g : t.grounds) console.push_back({t.name, g});
  }
  const auto& rows = gen::application_result_rows();
  REQUIRE(rows.size() == console.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].type == console[i].type);
    CHECK(rows[i].ground == console[i].ground);
  }
}

TEST_CASE("annual report: table 三 counted from the database, cell by cell, page and CSV") {
  Fixture fx;
  fx.fill();
  const auto r = fx.build("out");
  for (const auto& l : test::diagnostic_lines(r)) UNSCOPED_INFO(l);
  REQUIRE(r.exit_code == 0);
  const std::string p26 = fx.read("out", k_report_2026);
  CHECK(p26.find("2026年收到和处理政府信息公开申请情况（三）</caption>") != std::string::npos);
  CHECK(p26.find("未接入在线申请系统") == std::string::npos);
  // Columns: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计.
  CHECK(html_row(p26, "一、本年新收政府信息公开申请数量") == Row{3, 2, 0, 1, 1, 1, 8});
  CHECK(html_row(p26, "二、上年结转政府信息公开申请数量") == Row{1, 1, 0, 0, 0, 0, 2});
  CHECK(html_row(p26, "（一）予以公开") == Row{1, 1, 0, 0, 0, 0, 2});
  CHECK(html_row(p26, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）") ==
        Row{0, 1, 0, 0, 0, 0, 1});  // A2, carried over from 2025
  CHECK(html_row(p26, "1.属于国家秘密") == Row{0, 0, 0, 0, 0, 0, 0});
  CHECK(html_row(p26, "4.保护第三方合法权益") == Row{1, 0, 0, 0, 0, 0, 1});
  CHECK(html_row(p26, "1.本机关不掌握相关政府信息") == Row{0, 0, 0, 1, 0, 0, 1});
  CHECK(html_row(p26, "2.重复申请") == Row{0, 0, 0, 0, 1, 0, 1});
  CHECK(html_row(p26, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请") ==
        Row{0, 0, 0, 0, 0, 1, 1});
  CHECK(html_row(p26, "3.其他") == Row{1, 0, 0, 0, 0, 0, 1});  // A3, withdrawn in 2026
  CHECK(html_row(p26, "（七）总计") == Row{3, 2, 0, 1, 1, 1, 8});
  CHECK(html_row(p26, "四、结转下年度继续办理") == Row{1, 1, 0, 0, 0, 0, 2});  // B7, B6
  check_adds_up(p26);

  const std::string p25 = fx.read("out", k_report_2025);
  CHECK(p25.find("2025年收到和处理政府信息公开申请情况（三）</caption>") != std::string::npos);
  CHECK(html_row(p25, "一、本年新收政府信息公开申请数量") == Row{2, 1, 1, 0, 0, 0, 4});
  CHECK(html_row(p25, "二、上年结转政府信息公开申请数量") == Row{1, 0, 0, 0, 0, 0, 1});
  CHECK(html_row(p25, "（一）予以公开") == Row{1, 0, 0, 0, 0, 0, 1});
  CHECK(html_row(p25, "1.属于国家秘密") == Row{1, 0, 0, 0, 0, 0, 1});
  CHECK(html_row(p25, "3.其他") == Row{0, 0, 1, 0, 0, 0, 1});  // A4, withdrawn in 2025
  CHECK(html_row(p25, "（七）总计") == Row{2, 0, 1, 0, 0, 0, 3});
  CHECK(html_row(p25, "四、结转下年度继续办理") == Row{1, 1, 0, 0, 0, 0, 2});  // A3, A2
  check_adds_up(p25);

  // The CSV: the same numbers in the applicant columns.
  const std::string csv = fx.read("out", "current/site/annual-report/2026.csv");
  CHECK(starts_with(csv,
                    "\xEF\xBB\xBF年度,信息内容,本年制发件数,本年废止件数,现行有效件数,"
                    "本年处理决定数量,罚没金额（元）,自然人,商业企业,科研机构,社会公益组织,"
                    "法律服务机构,其他,总计\r\n"));
  CHECK(csv_row(csv, "2026", "一、本年新收政府信息公开申请数量") == Row{3, 2, 0, 1, 1, 1, 8});
  CHECK(csv_row(csv, "2026", "二、上年结转政府信息公开申请数量") == Row{1, 1, 0, 0, 0, 0, 2});
  CHECK(csv_row(csv, "2026", "三、本年度办理结果：（一）予以公开") == Row{1, 1, 0, 0, 0, 0, 2});
  CHECK(csv_row(csv, "2026", "三、本年度办理结果：（三）不予公开：4.保护第三方合法权益") ==
        Row{1, 0, 0, 0, 0, 0, 1});
  CHECK(csv_row(csv, "2026", "三、本年度办理结果：（六）其他处理：3.其他") ==
        Row{1, 0, 0, 0, 0, 0, 1});
  CHECK(csv_row(csv, "2026", "三、本年度办理结果：（七）总计") == Row{3, 2, 0, 1, 1, 1, 8});
  CHECK(csv_row(csv, "2026", "四、结转下年度继续办理") == Row{1, 1, 0, 0, 0, 0, 2});
  CHECK(csv.find("2026,行政处罚,,,,0,0,,,,,,,\r\n") != std::string::npos);  // tables 一, 二
  std::size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  CHECK(lines == 1 + 7 + 2 + 21 + 2);  // header, tables 一 and 二, then table 三
}

TEST_CASE("annual report: without --database the report says table 三 is not computed") {
  Fixture fx;
  fx.fill();
  REQUIRE(fx.build("out", false).exit_code == 0);
  const std::string page = fx.read("out", k_report_2026);
  CHECK(page.find("第三部分数据未接入在线申请系统") != std::string::npos);
  CHECK(page.find("（三）</caption>") == std::string::npos);  // no table of zeros
  CHECK(page.find("一、本年新收政府信息公开申请数量") == std::string::npos);
  const std::string csv = fx.read("out", "current/site/annual-report/2026.csv");
  CHECK(csv.find("本年新收") == std::string::npos);
  CHECK(csv.find("2026,行政强制,,,,0,,,,,,,,\r\n") != std::string::npos);
  const std::string heating = fx.read("out", k_heating);
  CHECK(heating.find("意见已逐条研究") != std::string::npos);
  CHECK(heating.find("共收到意见") == std::string::npos);
}

TEST_CASE("consultations: the result shows the responses received and adopted, from the database") {
  Fixture fx;
  fx.fill();
  REQUIRE(fx.build("out").exit_code == 0);
  const std::string heating = fx.read("out", k_heating);
  CHECK(heating.find("共收到意见 4 条，采纳 2 条。") != std::string::npos);
  CHECK(heating.find("意见已逐条研究，供暖时间提前至11月10日。") != std::string::npos);
  // A consultation without a result shows no counts (its response went to the database too).
  const std::string road = fx.read("out", "current/site/consultations/2026/road/index.html");
  CHECK(road.find("共收到意见") == std::string::npos);
}

TEST_CASE("database: no applicant's or respondent's name, contact or text reaches the output") {
  Fixture fx;
  fx.fill();
  REQUIRE(fx.build("out").exit_code == 0);
  REQUIRE(fx.build("out").exit_code == 0);  // and a rebuild, from the memo and page cache
  // Every file below OUTPUT: releases, site, server files, search index, memo and caches.
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(fx.dir / "out")) {
    if (!e.is_regular_file() || e.is_symlink()) continue;
    ++files;
    const std::string bytes = test::read_text(e.path());
    for (const std::string& p : k_personal) {
      INFO(e.path().string() << " holds " << p);
      CHECK(bytes.find(p) == std::string::npos);
    }
  }
  CHECK(files > 20);
}

TEST_CASE("incremental builds: the database's counts are in the keys of the pages they are on") {
  Fixture fx;
  fx.fill();
  auto keys = [&] { return gen::PageMemo::load(fx.dir / "out/cache/pages"); };
  auto key_of = [](const gen::PageMemo& m, const std::string& url) {
    const auto it = m.by_url.find(url);
    return it == m.by_url.end() ? std::string("(none)") : it->second.key;
  };
  const std::string report_url = "/disclosure/2027/report-2026/";
  const std::string heating_url = "/consultations/2026/heating/";
  REQUIRE(fx.build("out").exit_code == 0);
  const std::string report1 = fx.read("out", k_report_2026), heating1 = fx.read("out", k_heating);
  const auto keys1 = keys();
  REQUIRE(key_of(keys1, report_url) != "(none)");

  SECTION("a new response changes the consultation's page, and only that") {
    fx.respond("consultations/2026/heating/", true);
    REQUIRE(fx.build("out").exit_code == 0);
    CHECK(fx.read("out", k_heating).find("共收到意见 5 条，采纳 3 条。") != std::string::npos);
    CHECK(key_of(keys(), heating_url) != key_of(keys1, heating_url));
    CHECK(fx.read("out", k_report_2026) == report1);
    CHECK(key_of(keys(), report_url) == key_of(keys1, report_url));
  }
  SECTION("an answer changes the report's page") {
    store::Application a = *fx.db->application(fx.b6);
    a.status = "answered";
    a.answered_date = "2026-12-30";
    a.reply_type = "予以公开";
    store::Event e;
    e.object_id = a.id;
    e.at = epoch(2026, 12, 30);
    e.action = "answer";
    REQUIRE(fx.db->update_application(a, a.updated_at, e));
    REQUIRE(fx.build("out").exit_code == 0);
    const std::string report2 = fx.read("out", k_report_2026);
    CHECK(report2 != report1);
    CHECK(html_row(report2, "（一）予以公开") == Row{1, 2, 0, 0, 0, 0, 3});
    CHECK(html_row(report2, "四、结转下年度继续办理") == Row{1, 0, 0, 0, 0, 0, 1});
    CHECK(key_of(keys(), report_url) != key_of(keys1, report_url));
    CHECK(fx.read("out", k_heating) == heating1);
    // The incremental build equals a full one of the same content and database.
    REQUIRE(fx.build("full").exit_code == 0);
    CHECK(test::read_tree(fx.dir / "out/current/site") ==
          test::read_tree(fx.dir / "full/current/site"));
  }
  SECTION("an unchanged database rebuilds nothing: the same keys, the same bytes") {
    const auto before = test::read_tree(fx.dir / "out/current/site");
    REQUIRE(fx.build("out").exit_code == 0);
    const auto keys2 = keys();
    for (const auto& [url, pages] : keys1.by_url) {
      INFO(url);
      CHECK(key_of(keys2, url) == pages.key);
    }
    CHECK(test::read_tree(fx.dir / "out/current/site") == before);
  }
  SECTION("a build without the database drops the counts from the same pages") {
    REQUIRE(fx.build("out", false).exit_code == 0);
    CHECK(fx.read("out", k_report_2026).find("第三部分数据未接入在线申请系统") !=
          std::string::npos);
    CHECK(fx.read("out", k_heating).find("共收到意见") == std::string::npos);
  }
}

TEST_CASE("incremental builds: an annual report's page follows the content it counts") {
  // Table 一 and 二 come from other items: a new penalty changes the report's page (its body is
  // part of its key, not only its file).
  Fixture fx;
  REQUIRE(fx.build("out", false).exit_code == 0);
  CHECK(fx.read("out", k_report_2026).find("<th scope=\"row\">行政处罚</th><td>0</td>") !=
        std::string::npos);
  test::write_text(fx.dir / "content/disclosure/2026/penalty.md",
                   "+++\ntitle = \"行政处罚决定公示\"\ndepartment = \"zhdd\"\ncategory = "
                   "\"xzzf\"\npublished = 2026-08-03\n[penalty]\ndecided = 2026-08-01\ncount = "
                   "2\nfine = 400\nprocedure = \"简易\"\n+++\n本月处罚2起。\n");
  const auto r = fx.build("out", false);
  for (const auto& l : test::diagnostic_lines(r)) UNSCOPED_INFO(l);
  REQUIRE(r.exit_code == 0);
  CHECK(fx.read("out", k_report_2026).find("<th scope=\"row\">行政处罚</th><td>2</td>") !=
        std::string::npos);
}

TEST_CASE(
    "gongkai-build --database: read from the command line; an unreadable one stops the build") {
  Fixture fx;
  fx.fill();
  const std::string common = "--content " + test::quoted((fx.dir / "content").string()) +
                             " --themes " + test::quoted(GONGKAI_THEMES_DIR) + " --now " + k_now +
                             " --no-history --quiet";
  auto [code, text] =
      test::run_build(common + " --output " + test::quoted((fx.dir / "out").string()) +
                      " --database " + test::quoted(fx.url));
  INFO(text);
  REQUIRE(code == 0);
  CHECK(html_row(fx.read("out", k_report_2026), "（七）总计") == Row{3, 2, 0, 1, 1, 1, 8});
  CHECK(fx.read("out", k_heating).find("共收到意见 4 条，采纳 2 条。") != std::string::npos);

  auto [bad, why] = test::run_build(
      common + " --output " + test::quoted((fx.dir / "bad").string()) + " --database " +
      test::quoted("sqlite:" + (fx.dir / "no/such/folder/store.db").string()));
  INFO(why);
  CHECK(bad == 2);
  CHECK(why.find("无法读取在线申请数据库") != std::string::npos);
  CHECK(!fs::exists(fx.dir / "bad/current"));

  auto [none, usage] = test::run_build(common + " --database");
  CHECK(none == 2);
  CHECK(usage.find("--database needs a value") != std::string::npos);
}

TEST_CASE("gongkai-build --database on a platform: each unit counts its own applications") {
  TempDir dir;
  const std::string url = "sqlite:" + (dir / "store.db").string();
  {
    auto db = store::Store::open(url);
    for (const std::string unit : {"bangjun", "bangjun", "district", "site"}) {
      store::Application a;
      a.unit = unit;
      a.secret_hash = std::string(64, 'a');
      a.applicant_type = "自然人";
      a.name = "欧阳明远";
      a.submitted_at = epoch(2021, 5, 1);
      const std::string id = db->create_application(a, "");
      store::Application h = *db->application(id);
      h.status = "received";
      h.received_date = "2021-05-01";
      store::Event e;
      e.object_id = id;
      e.at = a.submitted_at;
      e.action = "receive";
      REQUIRE(db->update_application(h, h.updated_at, e));
    }
  }
  fs::copy(GONGKAI_EXAMPLE_PLATFORM, dir / "content", fs::copy_options::recursive);
  auto [code, text] = test::run_build(
      "--content " + test::quoted((dir / "content").string()) + " --output " +
      test::quoted((dir / "out").string()) + " --themes " + test::quoted(GONGKAI_THEMES_DIR) +
      " --now 2026-11-26T10:00:00+08:00 --no-history --no-index --quiet --unit bangjun"
      " --database " +
      test::quoted(url));
  INFO(text);
  REQUIRE(code == 0);
  const std::string page =
      test::read_text(dir /
                      "out/units/bangjun/current/site/disclosure/2022/annual-report-2021/"
                      "index.html");
  CHECK(html_row(page, "一、本年新收政府信息公开申请数量") == Row{2, 0, 0, 0, 0, 0, 2});
  CHECK(html_row(page, "四、结转下年度继续办理") == Row{2, 0, 0, 0, 0, 0, 2});
}
