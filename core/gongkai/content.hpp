// The content model: what gongkai-build reads from a content folder (docs/content.md). Plain
// data; filled by generator/content/loader, read by every later stage.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gongkai/datetime.hpp"

namespace gongkai {

struct Department {
  std::string id;
  std::string name;  // full name, e.g. 党政办公室 (发布机构)
  std::string phone;
};

struct Category {
  std::string id;
  std::string name;  // 主题分类
};

struct Village {
  std::string id;
  std::string name;
};

struct LedScreen {
  std::string id;
  std::int64_t width = 0;   // px
  std::int64_t height = 0;  // px
  std::int64_t font = 16;   // px, glyph height
  std::string charset = "gb2312";
  std::string mode = "pages";  // lines | marquee | pages
};

struct Organization {
  std::string name;         // 主办单位
  std::string credit_code;  // 统一社会信用代码: prefix of every 索引号
  std::string address;
  std::string phone;
  std::string email;
  std::string site_code;      // 网站标识码
  std::string icp;            // ICP备案号
  std::string police_record;  // 公安机关备案号
};

// What the annual report and inspection checks count (site.toml [annual_report], [inspection]).
struct ReportRules {
  std::vector<std::string> rule_tags = {"规章"};             // items counted as 规章
  std::vector<std::string> normative_tags = {"规范性文件"};  // items counted as 行政规范性文件
  std::vector<std::string> normative_categories;  // categories whose items with doc_no count too
  std::vector<std::string> policy_categories;     // columns under the 180-day rule
  std::int64_t news_days = 14;
  std::int64_t policy_days = 180;
};

struct SiteConfig {
  std::string title;
  std::string base_url;  // always ends with '/'
  std::string language = "zh-CN";
  std::string theme = "default";
  std::string description;
  Organization organization;
  std::vector<Department> departments;
  std::vector<Category> categories;
  std::vector<Village> villages;
  std::vector<LedScreen> led_screens;  // sorted by id
  ReportRules rules;

  const Department* department(const std::string& id) const;
  const Category* category(const std::string& id) const;
  const Village* village(const std::string& id) const;
};

enum class Section { disclosure, notices, consultations, pages };
// The one set of section names (content folders, URLs, search facets) and labels (the pages'
// ColumnName, feed titles, search results). The labels are those the published site shows.
const char* section_name(Section s);  // "disclosure", ...
const char* section_title(Section s);  // 政府信息公开, 普法宣传, 征求意见, 网站页面
std::optional<Section> section_of_name(std::string_view name);  // the inverse of section_name
// The responsibility lists (权责清单): a column of the site and a search section, but no
// item's section.
inline constexpr const char* k_responsibilities_name = "responsibilities";
inline constexpr const char* k_responsibilities_title = "权责清单";
// The label of a column of the site: home (首页), the four sections, responsibilities, search
// (站内搜索); "" for any other name.
const char* column_title(std::string_view column);

struct Withdrawal {
  DateTime date;       // 撤销日期
  std::string reason;  // 撤销理由 (shown on the page)
};

struct Penalty {
  std::string procedure;                // 简易 | 一般
  std::int64_t count = 1;               // decisions this item reports
  double fine = 0;                      // yuan, 罚款
  double confiscated = 0;               // yuan, 没收违法所得/非法财物
  std::optional<DateTime> decided;      // 决定日期
  std::optional<Withdrawal> withdrawn;  // 撤销: leaves lists, feeds and counts
};

// Other administrative decisions an item reports (for the annual report): [decision].
struct Decision {
  std::string type;  // 行政许可 | 行政强制
  std::int64_t count = 1;
  std::optional<DateTime> decided;
};

struct ConsultationResult {
  DateTime published;
  std::string summary;
};

struct Attachment {
  std::string source;  // content-relative path, e.g. disclosure/2021/budget.pdf
  std::string url;     // /disclosure/2021/budget.pdf
  std::string name;    // file name shown to readers
  std::uintmax_t size = 0;
};

struct Item {
  Section section = Section::disclosure;
  std::string source;  // content-relative path: disclosure/2021/report.md
  std::string url;     // /disclosure/2021/report/
  std::string slug;    // last path segment of the url
  std::string title;
  std::string department;  // [[department]] id (发布机构)
  std::string category;    // [[category]] id (主题分类), disclosure only
  DateTime published;      // 发布日期
  bool has_published = false;
  DateTime written;               // 成文日期
  std::string doc_no;             // 文号
  std::string index_no;           // 索引号 (given or generated)
  std::string validity = "有效";  // 有效 | 失效 | 废止
  std::vector<std::string> tags;
  std::string summary;
  bool draft = false;
  bool scheduled = false;  // published after the build's now: held back until a later build
  std::optional<DateTime> repealed;  // 废止/失效日期 (annual report)
  std::optional<Penalty> penalty;
  std::optional<Decision> decision;
  std::vector<std::string>
      privacy_allow;  // kinds of personal data allowed: id_number, mobile, bank_card
  std::string privacy_reason;

  // notices (普法宣传)
  std::vector<std::string> laws;
  std::vector<std::string> villages;  // "all" or village ids
  std::optional<DateTime> display_from, display_until;
  std::string led;
  std::int64_t priority = 0;
  std::string broadcast;

  // consultations (征求意见)
  std::optional<DateTime> opens, closes;
  std::string respond;
  std::optional<ConsultationResult> result;

  // pages
  std::int64_t weight = 0;
  bool menu = false;

  // body
  std::string markdown;
  int body_line = 1;                    // line of the file where the Markdown body starts
  std::string html;                     // rendered body
  std::string text;                     // plain text of the body (search, summaries)
  std::vector<Attachment> attachments;  // attachments the body links

  bool is_public() const { return !draft && !scheduled; }
  bool withdrawn() const { return penalty && penalty->withdrawn; }
  bool listed() const { return is_public() && !withdrawn(); }  // in lists, feeds, search and counts
};

struct ResponsibilityItem {
  std::string code;   // 事项编码
  std::string name;   // 事项名称
  std::string type;   // one of the ten power types
  std::string basis;  // 设定依据 (Markdown)
  std::string basis_html;
  std::string subject;         // 行使主体
  std::string office;          // 承办机构
  std::string duties;          // 责任事项
  std::string accountability;  // 追责情形
  std::string supervision;     // 监督方式
};

struct ResponsibilityList {
  std::string source;      // responsibilities/zhdd.toml
  std::string department;  // [[department]] id
  DateTime updated;        // 动态调整 date
  std::vector<ResponsibilityItem> items;
};

// Everything a build reads. Items are sorted by source path; drafts are kept (flagged) so
// that links to them can be diagnosed, and dropped before rendering.
struct Content {
  SiteConfig site;
  std::vector<Item> items;
  std::vector<ResponsibilityList> lists;  // sorted by department id
  std::vector<std::string> attachments;   // content-relative paths of every attachment file
};

extern const char* const k_power_types[10];  // 行政许可 … 其他行政权力
bool is_power_type(const std::string& s);
std::string power_types_list();  // "行政许可, 行政处罚, …"

}  // namespace gongkai
