// Obligations of the 政府信息公开条例 and the website inspection rules, computed from content:
// the annual report's tables, the privacy guard and the freshness checks. See
// docs/statutory.md for the rule behind every number. Table 三 and the consultation response
// counts come from the server's database (gongkai-build --database, generator/aggregates/),
// which hands this layer facts without names or contacts.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gongkai/content.hpp"
#include "gongkai/diagnostics.hpp"

namespace gongkai::gen {

struct DocumentCounts {
  std::int64_t issued = 0, repealed = 0, in_force = 0;  // 本年制发, 本年废止, 现行有效
};

// ---- table 三: 收到和处理政府信息公开申请情况 (国办公开办函〔2021〕30号) ---------------------------

// The applicant columns: 自然人, then 法人或其他组织 (商业企业, 科研机构, 社会公益组织,
// 法律服务机构, 其他). Every row also has a 总计 column, its last.
const std::vector<std::string>& application_columns();
constexpr std::size_t k_application_columns = 7;  // the six above and 总计

// The leaf rows of 三、本年度办理结果 before （七）总计, in the table's order: 予以公开, 部分公开,
// then each ground of 不予公开, 无法提供, 不予处理 and 其他处理. The reply types and grounds are
// those the staff console answers with (server/staff/handling.cpp reply_types(); a test keeps
// the two lists equal).
struct ApplicationResultRow {
  std::string type;  // 予以公开 | 部分公开 | 不予公开 | 无法提供 | 不予处理 | 其他处理
  std::string ground;  // "" for 予以公开 and 部分公开
};
const std::vector<ApplicationResultRow>& application_result_rows();

// What table 三 needs of one application, and nothing else (no name, no contact): taken from
// the store for a year by generator/aggregates/.
struct ApplicationFacts {
  std::string applicant_type;  // a column of application_columns(); any other counts as 其他
  bool carried_over = false;  // 上年结转 (received in an earlier year); else received this year
  bool answered = false;      // answered in the year (answered_date in it)
  bool withdrawn = false;     // withdrawn in the year (and not answered)
  std::string reply_type, reply_ground;  // when answered
};

struct ApplicationTable {
  using Row = std::array<std::int64_t, k_application_columns>;
  Row received{};      // 一、本年新收政府信息公开申请数量
  Row carried_over{};  // 二、上年结转政府信息公开申请数量
  std::vector<Row> results =
      std::vector<Row>(application_result_rows().size());  // 三、（一）…（六）
  Row total{};            // （七）总计: the sum of （一）…（六）
  Row carried_forward{};  // 四、结转下年度继续办理: received + carried over − total
};

// Counts the applications of a year (docs/statutory.md, table 三): new and carried-over ones by
// applicant column; answered ones by reply type and ground; withdrawn ones under （六）3.其他
// (and answers of a type or ground the table has no row for); totals and 结转下年度.
ApplicationTable count_applications(const std::vector<ApplicationFacts>& applications);

// Consultation responses (征求意见) as the store counts them: received, and marked 采纳.
struct ResponseCounts {
  std::int64_t received = 0, adopted = 0;
  bool operator==(const ResponseCounts&) const = default;
};

// ---- the report -------------------------------------------------------------------------------

struct YearReport {
  int year = 0;
  DocumentCounts rules, normative;                           // 规章, 行政规范性文件
  std::int64_t licenses = 0;                                 // 行政许可 决定数
  std::int64_t enforcement = 0;                              // 行政强制 决定数
  std::int64_t penalties_simple = 0, penalties_general = 0;  // 行政处罚 决定数 (简易, 一般)
  double fines_simple = 0, fines_general = 0;                // 罚没金额 (元)
  // Table 三, when the build read the server's database (--database); without it the report
  // says that table 三 is not computed, rather than showing zeros.
  std::optional<ApplicationTable> applications;
};

std::map<int, YearReport> annual_reports(const Content& content);
std::string annual_report_html(const YearReport& r);
std::string annual_report_csv(const YearReport& r);

// Replaces a paragraph holding only `{{< annual_report year="2021" >}}` with a placeholder
// before Markdown, and the placeholder with the tables after it (the report of each year as
// `report_of` gives it).
std::string expand_shortcodes_before(const std::string& markdown);
bool has_shortcodes(const std::string& html);  // placeholders left for expand_shortcodes_after
std::string expand_shortcodes_after(const std::string& html,
                                    const std::function<YearReport(int year)>& report_of);

// Personal data of natural persons in every item but drafts (scheduled items too, so that the
// build making one live never finds it first): 18-digit ID numbers (with checksum),
// mobile numbers, bank card numbers (Luhn), unless masked or allowed for the item; in penalty
// items, a party (当事人) column must name people masked (王某某).
void privacy_check(const Content& content, const std::filesystem::path& content_dir,
                   const std::string& prefix, Diagnostics& diags);
// The same, in parts: one item's file, and the responsibility lists and text attachments.
void privacy_check_item(const Item& item, const std::filesystem::path& content_dir,
                        const std::string& prefix, Diagnostics& diags);
void privacy_check_others(const Content& content, const std::filesystem::path& content_dir,
                          const std::string& prefix, Diagnostics& diags);
// Scans one text; reports `path:line:column`. Exposed for tests.
void privacy_scan_text(const std::string& text, const std::string& path, int first_line,
                       const std::vector<std::string>& allowed, Diagnostics& diags);

// Inspection rules (warnings with the rule and the date it fails). Working days are those of
// the official calendar (gongkai/workdays.hpp); a clock in December of a year whose next year
// the calendar lacks (or in such a year) adds a warning at path "calendar".
void freshness_check(const Content& content, const DateTime& now, const std::string& prefix,
                     Diagnostics& diags);


}  // namespace gongkai::gen
