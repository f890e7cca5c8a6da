// Obligations of the 政府信息公开条例 and the website inspection rules, computed from content:
// the annual report's tables, the privacy guard and the freshness checks. See
// docs/statutory.md for the rule behind every number.
#pragma once
#include <filesystem>
#include <map>
#include <string>

#include "gongkai/content.hpp"
#include "gongkai/diagnostics.hpp"

namespace gongkai::gen {

struct DocumentCounts {
  std::int64_t issued = 0, repealed = 0, in_force = 0;  // 本年制发, 本年废止, 现行有效
};

struct YearReport {
  int year = 0;
  DocumentCounts rules, normative;                           // 规章, 行政规范性文件
  std::int64_t licenses = 0;                                 // 行政许可 决定数
  std::int64_t enforcement = 0;                              // 行政强制 决定数
  std::int64_t penalties_simple = 0, penalties_general = 0;  // 行政处罚 决定数 (简易, 一般)
  double fines_simple = 0, fines_general = 0;                // 罚没金额 (元)
};

std::map<int, YearReport> annual_reports(const Content& content);
std::string annual_report_html(const YearReport& r);
std::string annual_report_csv(const YearReport& r);

// Replaces a paragraph holding only `{{< annual_report year="2021" >}}` with a placeholder
// before Markdown, and the placeholder with the tables after it.
std::string expand_shortcodes_before(const std::string& markdown);
std::string expand_shortcodes_after(const std::string& html,
                                    const std::map<int, YearReport>& reports);

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
