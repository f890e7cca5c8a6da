#include "statutory.hpp"

#include "gongkai/applications.hpp"
#include "gongkai/identifiers.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <set>

#include "gongkai/fs.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "gongkai/workdays.hpp"
#include "loader.hpp"

namespace gongkai::gen {

namespace {

bool has_any(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  for (const auto& h : have)
    if (std::find(want.begin(), want.end(), h) != want.end()) return true;
  return false;
}

std::string money(double v) {
  char buf[32];
  if (v == static_cast<double>(static_cast<long long>(v)))
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else
    std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::map<int, YearReport> annual_reports(const Content& c) {
  std::map<int, YearReport> out;
  auto year = [&](int y) -> YearReport& {
    auto& r = out[y];
    r.year = y;
    return r;
  };
  std::set<int> years;
  for (const Item& it : c.items)
    if (it.is_public() && it.section == Section::disclosure) years.insert(it.published.year());
  for (const Item& it : c.items) {
    if (!it.is_public() || it.section != Section::disclosure) continue;
    // 规章 and 行政规范性文件: items with a 文号 the site marks by tag or category.
    const bool is_rule = !it.doc_no.empty() && has_any(it.tags, c.site.rules.rule_tags);
    const bool is_normative = !is_rule && !it.doc_no.empty() &&
                              (has_any(it.tags, c.site.rules.normative_tags) ||
                               std::find(c.site.rules.normative_categories.begin(),
                                         c.site.rules.normative_categories.end(),
                                         it.category) != c.site.rules.normative_categories.end());
    if (is_rule || is_normative) {
      for (int y : years) {
        DocumentCounts& d = is_rule ? year(y).rules : year(y).normative;
        const int issued = it.written.year();
        const bool ended = it.validity != "有效";
        const int ended_year = ended && it.repealed ? it.repealed->year() : 0;
        if (issued == y) ++d.issued;
        if (ended && ended_year == y) ++d.repealed;
        // In force at the end of y: issued by then and not repealed by then (a document marked
        // 失效/废止 without a date counts as no longer in force).
        if (issued <= y && (!ended || (ended_year && ended_year > y))) ++d.in_force;
      }
    }
    if (it.penalty && !it.penalty->withdrawn) {
      YearReport& r = year((it.penalty->decided ? *it.penalty->decided : it.published).year());
      const double amount = it.penalty->fine + it.penalty->confiscated;
      if (it.penalty->procedure == "简易") {
        r.penalties_simple += it.penalty->count;
        r.fines_simple += amount;
      } else {
        r.penalties_general += it.penalty->count;
        r.fines_general += amount;
      }
    }
    if (it.decision) {
      YearReport& r = year((it.decision->decided ? *it.decision->decided : it.published).year());
      (it.decision->type == "行政许可" ? r.licenses : r.enforcement) += it.decision->count;
    }
  }
  return out;
}

// ---- table 三 ----------------------------------------------------------------------------------

const std::vector<std::string>& application_columns() { return applicant_types(); }

const std::vector<ApplicationResultRow>& application_result_rows() {
  static const std::vector<ApplicationResultRow> v = [] {
    std::vector<ApplicationResultRow> rows;
    for (const ReplyType& t : reply_types()) {
      if (t.grounds.empty()) rows.push_back({t.name, ""});
      for (const auto& g : t.grounds) rows.push_back({t.name, g});
    }
    return rows;
  }();
  return v;
}

namespace {

std::size_t column_of(const std::string& applicant_type) {
  const auto& c = application_columns();
  const auto it = std::find(c.begin(), c.end(), applicant_type);
  return it == c.end() ? c.size() - 1 : static_cast<std::size_t>(it - c.begin());  // else 其他
}

// The row of an answer; （六）3.其他 for a withdrawal and for a type or ground with no row.
std::size_t result_row_of(const std::string& type, const std::string& ground) {
  const auto& rows = application_result_rows();
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].type == type && rows[i].ground == ground) return i;
  return rows.size() - 1;
}

void add_total(ApplicationTable::Row& r) {
  r.back() = 0;
  for (std::size_t c = 0; c + 1 < r.size(); ++c) r.back() += r[c];
}

}  // namespace

ApplicationTable count_applications(const std::vector<ApplicationFacts>& apps) {
  ApplicationTable t;
  ApplicationTable::Row closed{};
  for (const ApplicationFacts& a : apps) {
    const std::size_t col = column_of(a.applicant_type);
    ++(a.carried_over ? t.carried_over : t.received)[col];
    if (a.answered) {
      ++t.results[result_row_of(a.reply_type, a.reply_ground)][col];
      ++closed[col];
    } else if (a.withdrawn) {
      ++t.results.back()[col];
      ++closed[col];
    }
  }
  for (std::size_t c = 0; c + 1 < k_application_columns; ++c) {
    for (const auto& row : t.results) t.total[c] += row[c];
    t.carried_forward[c] = t.received[c] + t.carried_over[c] - closed[c];
  }
  add_total(t.received);
  add_total(t.carried_over);
  for (auto& row : t.results) add_total(row);
  add_total(t.total);
  add_total(t.carried_forward);
  return t;
}

namespace {

// "（三）不予公开": a reply type with its number in the table.
std::string numbered(const std::string& type) {
  static const std::map<std::string, std::string> k_numbers = {
      {"予以公开", "（一）"}, {"部分公开", "（二）"}, {"不予公开", "（三）"},
      {"无法提供", "（四）"}, {"不予处理", "（五）"}, {"其他处理", "（六）"}};
  const auto it = k_numbers.find(type);
  return (it == k_numbers.end() ? "" : it->second) + type;
}

// The row labels of table 三 as the CSV names them: one cell, the headings joined.
std::vector<std::pair<std::string, const ApplicationTable::Row*>> application_rows(
    const ApplicationTable& t) {
  std::vector<std::pair<std::string, const ApplicationTable::Row*>> out;
  out.emplace_back("一、本年新收政府信息公开申请数量", &t.received);
  out.emplace_back("二、上年结转政府信息公开申请数量", &t.carried_over);
  const auto& rows = application_result_rows();
  int n = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    n = i > 0 && rows[i - 1].type == rows[i].type ? n + 1 : 1;
    std::string label = "三、本年度办理结果：" + numbered(rows[i].type);
    if (rows[i].type == "部分公开") label += "（区分处理的，只计这一情形，不计其他情形）";
    if (!rows[i].ground.empty()) label += "：" + std::to_string(n) + "." + rows[i].ground;
    out.emplace_back(label, &t.results[i]);
  }
  out.emplace_back("三、本年度办理结果：（七）总计", &t.total);
  out.emplace_back("四、结转下年度继续办理", &t.carried_forward);
  return out;
}

std::string cells(const ApplicationTable::Row& r) {
  std::string h;
  for (std::int64_t v : r) h += "<td>" + std::to_string(v) + "</td>";
  return h;
}

std::string application_table_html(const std::string& y, const ApplicationTable& t) {
  std::string h =
      "<table class=\"report applications\"><caption>" + y +
      "年收到和处理政府信息公开申请情况（三）</caption><thead><tr>"
      "<th scope=\"col\" rowspan=\"2\" colspan=\"3\">本列数据的勾稽关系为：第一项加第二项之和，"
      "等于第三项加第四项之和</th><th scope=\"col\" rowspan=\"2\">自然人</th>"
      "<th scope=\"colgroup\" colspan=\"5\">法人或其他组织</th>"
      "<th scope=\"col\" rowspan=\"2\">总计</th></tr><tr>";
  const auto& cols = application_columns();
  for (std::size_t c = 1; c < cols.size(); ++c) h += "<th scope=\"col\">" + cols[c] + "</th>";
  h += "</tr></thead><tbody>";
  h += "<tr><th scope=\"row\" colspan=\"3\">一、本年新收政府信息公开申请数量</th>" +
       cells(t.received) + "</tr>";
  h += "<tr><th scope=\"row\" colspan=\"3\">二、上年结转政府信息公开申请数量</th>" +
       cells(t.carried_over) + "</tr>";
  const auto& rows = application_result_rows();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    h += "<tr>";
    if (i == 0)
      h += "<th scope=\"rowgroup\" rowspan=\"" + std::to_string(rows.size() + 1) +
           "\">三、本年度办理结果</th>";
    const std::string heading = numbered(rows[i].type);
    if (rows[i].ground.empty()) {
      h += "<th scope=\"row\" colspan=\"2\">" + heading +
           (rows[i].type == "部分公开" ? "（区分处理的，只计这一情形，不计其他情形）" : "") +
           "</th>";
    } else {
      std::size_t first = i, span = 0;
      while (first > 0 && rows[first - 1].type == rows[i].type) --first;
      for (std::size_t k = first; k < rows.size() && rows[k].type == rows[i].type; ++k) ++span;
      if (first == i)
        h += "<th scope=\"rowgroup\" rowspan=\"" + std::to_string(span) + "\">" + heading + "</th>";
      h += "<th scope=\"row\">" + std::to_string(i - first + 1) + "." + rows[i].ground + "</th>";
    }
    h += cells(t.results[i]) + "</tr>";
  }
  h += "<tr><th scope=\"row\" colspan=\"2\">（七）总计</th>" + cells(t.total) + "</tr>";
  h += "<tr><th scope=\"row\" colspan=\"3\">四、结转下年度继续办理</th>" +
       cells(t.carried_forward) + "</tr>";
  return h + "</tbody></table>";
}

}  // namespace

// ---- the report -------------------------------------------------------------------------------

std::string annual_report_html(const YearReport& r) {
  auto row3 = [](const char* name, const DocumentCounts& d) {
    return "<tr><th scope=\"row\">" + std::string(name) + "</th><td>" + std::to_string(d.issued) +
           "</td><td>" + std::to_string(d.repealed) + "</td><td>" + std::to_string(d.in_force) +
           "</td></tr>";
  };
  const std::string y = std::to_string(r.year);
  std::string h = "<div class=\"annual-report\">";
  h += "<table class=\"report\"><caption>" + y +
       "年主动公开政府信息情况（一）</caption><thead><tr><th scope=\"col\">信息内容</th>"
       "<th scope=\"col\">本年制发件数</th><th scope=\"col\">本年废止件数</th><th "
       "scope=\"col\">现行有效件数</th></tr></thead><tbody>";
  h += row3("规章", r.rules) + row3("行政规范性文件", r.normative) + "</tbody></table>";
  h += "<table class=\"report\"><caption>" + y +
       "年主动公开政府信息情况（二）</caption><thead><tr><th scope=\"col\">信息内容</th>"
       "<th scope=\"col\">本年处理决定数量</th><th "
       "scope=\"col\">罚没金额（元）</th></tr></thead><tbody>";
  h += "<tr><th scope=\"row\">行政许可</th><td>" + std::to_string(r.licenses) +
       "</td><td>—</td></tr>";
  h += "<tr><th scope=\"row\">行政处罚</th><td>" +
       std::to_string(r.penalties_simple + r.penalties_general) + "</td><td>" +
       money(r.fines_simple + r.fines_general) + "</td></tr>";
  h += "<tr><th scope=\"row\">其中：简易程序</th><td>" + std::to_string(r.penalties_simple) +
       "</td><td>" + money(r.fines_simple) + "</td></tr>";
  h += "<tr><th scope=\"row\">其中：一般程序</th><td>" + std::to_string(r.penalties_general) +
       "</td><td>" + money(r.fines_general) + "</td></tr>";
  h += "<tr><th scope=\"row\">行政强制</th><td>" + std::to_string(r.enforcement) +
       "</td><td>—</td></tr>";
  h += "</tbody></table>";
  if (r.applications) {
    h += application_table_html(y, *r.applications);
    h += "<p class=\"note\">以上表一、表二由网站内容自动统计，表三由在线申请系统自动统计，下载：";
  } else {
    h += "<p class=\"note\">" + y + "年收到和处理政府信息公开申请情况（三）：";
    h += "第三部分数据未接入在线申请系统，本次构建未统计。</p>";
    h += "<p class=\"note\">以上数据由网站内容自动统计，下载：";
  }
  h += "<a href=\"" + urls::annual_report_csv(r.year) + "\">" + y + ".csv</a></p></div>";
  return h;
}

// One header for every row: tables 一 and 二 fill the first columns, table 三 (when computed)
// the applicant columns.
std::string annual_report_csv(const YearReport& r) {
  std::string s =
      "\xEF\xBB\xBF年度,信息内容,本年制发件数,本年废止件数,现行有效件数,本年处理决定数量,"
      "罚没金额（元）";
  for (const auto& c : application_columns()) s += "," + c;
  s += ",总计\r\n";
  const std::string none = ",,,,,,,";  // the applicant columns of tables 一 and 二
  const std::string y = std::to_string(r.year);
  s += y + ",规章," + std::to_string(r.rules.issued) + "," + std::to_string(r.rules.repealed) +
       "," + std::to_string(r.rules.in_force) + ",," + none + "\r\n";
  s += y + ",行政规范性文件," + std::to_string(r.normative.issued) + "," +
       std::to_string(r.normative.repealed) + "," + std::to_string(r.normative.in_force) + ",," +
       none + "\r\n";
  s += y + ",行政许可,,,," + std::to_string(r.licenses) + "," + none + "\r\n";
  s += y + ",行政处罚,,,," + std::to_string(r.penalties_simple + r.penalties_general) + "," +
       money(r.fines_simple + r.fines_general) + none + "\r\n";
  s += y + ",行政处罚（简易程序）,,,," + std::to_string(r.penalties_simple) + "," +
       money(r.fines_simple) + none + "\r\n";
  s += y + ",行政处罚（一般程序）,,,," + std::to_string(r.penalties_general) + "," +
       money(r.fines_general) + none + "\r\n";
  s += y + ",行政强制,,,," + std::to_string(r.enforcement) + "," + none + "\r\n";
  if (r.applications) {
    for (const auto& [label, row] : application_rows(*r.applications)) {
      s += y + "," + label + ",,,,,";
      for (std::int64_t v : *row) s += "," + std::to_string(v);
      s += "\r\n";
    }
  }
  return s;
}

std::string expand_shortcodes_before(const std::string& md) {
  static const std::regex k_code(
      R"re(^[ \t]*\{\{<\s*annual_report\s+(?:year\s*=\s*)?"?(\d{4})"?\s*>\}\}[ \t]*$)re");
  if (md.find("annual_report") == std::string::npos) return md;
  std::string out;
  for (const auto& line : split(md, '\n')) {
    std::smatch m;
    std::string l = line;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (std::regex_match(l, m, k_code))
      out += "GONGKAIANNUALREPORT" + m[1].str();
    else
      out += line;
    out += '\n';
  }
  out.pop_back();
  return out;
}

bool has_shortcodes(const std::string& html) {
  return html.find("<p>GONGKAIANNUALREPORT") != std::string::npos;
}

std::string expand_shortcodes_after(const std::string& html,
                                    const std::function<YearReport(int year)>& report_of) {
  std::string out = html;
  for (std::size_t pos; (pos = out.find("<p>GONGKAIANNUALREPORT")) != std::string::npos;) {
    const int y = std::atoi(out.substr(pos + 22, 4).c_str());
    const auto end = out.find("</p>", pos);
    out.replace(pos, end + 4 - pos, annual_report_html(report_of(y)));
  }
  return out;
}

// ---- privacy ----------------------------------------------------------------------------------

void privacy_scan_text(const std::string& text, const std::string& path, int first_line,
                       const std::vector<std::string>& allowed, Diagnostics& diags) {
  auto allows = [&](const char* kind) {
    return std::find(allowed.begin(), allowed.end(), kind) != allowed.end();
  };
  int line = first_line;
  for (const std::string& raw : split(text, '\n')) {
    // Runs of digits (an ID may end in X); a run touching '*' is masked and passes.
    for (std::size_t i = 0; i < raw.size();) {
      if (!std::isdigit(static_cast<unsigned char>(raw[i]))) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < raw.size() &&
             (std::isdigit(static_cast<unsigned char>(raw[j])) || raw[j] == ' ' || raw[j] == '-') &&
             j - i < 30) {
        if ((raw[j] == ' ' || raw[j] == '-') &&
            !(j + 1 < raw.size() && std::isdigit(static_cast<unsigned char>(raw[j + 1]))))
          break;
        ++j;
      }
      std::string digits;
      for (std::size_t k = i; k < j; ++k)
        if (std::isdigit(static_cast<unsigned char>(raw[k]))) digits += raw[k];
      const bool separated = j - i != digits.size();
      if (j < raw.size() && (raw[j] == 'X' || raw[j] == 'x') && digits.size() == 17) {
        digits += 'X';
        ++j;
      }
      const bool masked = (i > 0 && raw[i - 1] == '*') || (j < raw.size() && raw[j] == '*');
      const bool glued = (i > 0 && std::isalpha(static_cast<unsigned char>(raw[i - 1]))) ||
                         (j < raw.size() && std::isalpha(static_cast<unsigned char>(raw[j])));
      if (!masked && !glued) {
        // Column in characters, as editors count.
        int col = 1;
        for (std::size_t p = 0; p < i;) {
          next_code_point(raw, p);
          ++col;
        }
        if (digits.size() == 18 && !separated && valid_resident_id(digits) && !allows("id_number"))
          diags.error(path, line, col,
                      "unmasked resident ID number: mask it (1101**********1234) or allow it under "
                      "[privacy] with a reason (身份证号须脱敏)");
        else if (digits.size() == 11 && !separated && digits[0] == '1' && digits[1] >= '3' &&
                 digits[1] <= '9' && !allows("mobile"))
          diags.error(path, line, col,
                      "unmasked mobile number: mask it (138****1234) or allow it under [privacy] "
                      "with a reason (手机号须脱敏)");
        else if (digits.size() >= 16 && digits.size() <= 19 && digits.back() != 'X' &&
                 luhn_valid(digits) &&
                 (digits[0] == '6' || digits[0] == '4' || digits[0] == '5' || digits[0] == '9') &&
                 !allows("bank_card"))
          diags.error(path, line, col,
                      "unmasked bank card number: mask it (6222********1234) or allow it under "
                      "[privacy] with a reason (银行卡号须脱敏)");
      }
      i = j;
    }
    ++line;
  }
}

namespace {

bool masked_party(const std::string& cell) {
  const std::string c = trim(cell);
  if (c.empty() || c == "-" || c == "—") return true;
  for (const char* ok : {"某", "*", "＊", "×", "公司", "厂", "店", "合作社", "中心", "部", "场",
                         "站", "社", "馆", "院", "所", "处", "委员会"})
    if (c.find(ok) != std::string::npos) return true;
  return false;
}

// In penalty items, a party (当事人) in a Markdown table names people only masked: either a
// column headed 当事人 (one row per decision) or a row labelled 当事人 (a key–value table).
bool party_label(const std::string& cell) {
  const std::string h = trim(cell);
  return h == "当事人" || h == "被处罚人" || h == "当事人姓名" || h == "行政相对人" ||
         h == "当事人名称";
}

void party_check(const Item& it, const std::string& body, const std::string& path,
                 Diagnostics& diags) {
  int header_col = -1, row = -1;
  int line = it.body_line;
  auto report = [&](const std::string& raw, const std::string& cell) {
    if (masked_party(cell)) return;
    const std::size_t byte = raw.find(trim(cell));
    int col = 1;
    for (std::size_t p = 0; p < byte && p < raw.size();) {
      next_code_point(raw, p);
      ++col;
    }
    diags.error(path, line, col,
                "party \"" + trim(cell) +
                    "\" of a penalty must be named masked, e.g. 王某某 (行政处罚当事人姓名须隐去)");
  };
  for (const std::string& raw : split(body, '\n')) {
    const std::string l = trim(raw);
    if (!starts_with(l, "|")) {
      header_col = row = -1;
      ++line;
      continue;
    }
    ++row;
    auto cells =
        split(l.substr(1, l.size() > 1 && l.back() == '|' ? l.size() - 2 : l.size() - 1), '|');
    const bool separator = l.find("---") != std::string::npos;
    if (row == 0) {
      for (std::size_t k = 0; k < cells.size(); ++k)
        if (party_label(cells[k])) header_col = static_cast<int>(k);
    } else if (!separator) {
      if (cells.size() >= 2 && party_label(cells[0]))
        report(raw, cells[1]);
      else if (header_col >= 0 && static_cast<std::size_t>(header_col) < cells.size())
        report(raw, cells[static_cast<std::size_t>(header_col)]);
    }
    ++line;
  }
}

}  // namespace

void privacy_check_item(const Item& it, const std::filesystem::path& content_dir,
                        const std::string& prefix, Diagnostics& diags) {
  const std::string path = prefix + it.source;
  // The whole file as staff wrote it: front matter fields and body, with exact lines.
  const std::string file = read_file(content_dir / it.source);
  privacy_scan_text(file, path, 1, it.privacy_allow, diags);
  // The parties are read from the body; an item taken from the memo no longer holds it.
  if (it.penalty)
    party_check(it, it.markdown.empty() ? split_front_matter(strip_bom(file)).body : it.markdown,
                path, diags);
}

void privacy_check_others(const Content& c, const std::filesystem::path& content_dir,
                          const std::string& prefix, Diagnostics& diags) {
  for (const auto& l : c.lists)
    privacy_scan_text(read_file(content_dir / l.source), prefix + l.source, 1, {}, diags);
  for (const std::string& a : c.attachments) {
    const std::string ext = std::filesystem::path(a).extension().string();
    if (ext != ".txt" && ext != ".csv" && ext != ".md" && ext != ".tsv") continue;
    const std::string data = read_file(content_dir / a);
    if (valid_utf8(data)) privacy_scan_text(data, prefix + a, 1, {}, diags);
  }
}

void privacy_check(const Content& c, const std::filesystem::path& content_dir,
                   const std::string& prefix, Diagnostics& diags) {
  for (const Item& it : c.items)  // scheduled items too: see privacy_stage in build.cpp
    if (!it.draft) privacy_check_item(it, content_dir, prefix, diags);
  privacy_check_others(c, content_dir, prefix, diags);
}

// ---- freshness --------------------------------------------------------------------------------

void freshness_check(const Content& c, const DateTime& now, const std::string& prefix,
                     Diagnostics& diags) {
  const std::string site = prefix + "site.toml";
  // Working days come from the compiled-in holiday calendar; say so when it runs out.
  if (const auto year = workdays::missing_next_year(workdays::Date::of(now)))
    diags.warning("calendar", 0, 0, workdays::missing_year_message(*year));
  auto date_plus = [](const DateTime& d, std::int64_t days) {
    return DateTime::from_epoch(d.local_day_start() + days * 86400).date();
  };
  auto newest = [&](auto pred) -> const Item* {
    const Item* best = nullptr;
    for (const Item& it : c.items)
      if (it.listed() && pred(it) && (!best || best->published < it.published)) best = &it;
    return best;
  };
  auto column_rule = [&](const std::string& name, const Item* last, std::int64_t limit) {
    if (!last) return;
    const std::int64_t age = (now.local_day_start() - last->published.local_day_start()) / 86400;
    if (age >= limit - 3)
      diags.warning(site, 0, 0,
                    "inspection rule: column " + name + " must have a new item every " +
                        std::to_string(limit) + " days (栏目更新); last item " +
                        last->published.date() +
                        (age >= limit ? ", failing since " : ", fails on ") +
                        date_plus(last->published, limit));
  };
  column_rule("首页 (home page)",
              newest([](const Item& it) { return it.section != Section::pages; }),
              c.site.rules.news_days);
  column_rule("普法宣传 (notices)",
              newest([](const Item& it) { return it.section == Section::notices; }),
              c.site.rules.policy_days);
  for (const auto& cat : c.site.rules.policy_categories) {
    const Category* named = c.site.category(cat);
    column_rule("主题分类 " + (named ? named->name : cat),
                newest([&](const Item& it) { return it.category == cat; }),
                c.site.rules.policy_days);
  }
  for (const auto& cat : c.site.categories) {
    bool any = false;
    for (const Item& it : c.items) any = any || (it.listed() && it.category == cat.id);
    if (!any)
      diags.warning(site, 0, 0,
                    "inspection rule: column 主题分类 " + cat.name +
                        " is empty (空白栏目); add an item or remove the category");
  }
  // Rules about one item's own dates hold for scheduled items too (warned before they go
  // live); the column rules above count live items only.
  for (const Item& it : c.items) {
    if (it.draft || it.withdrawn()) continue;
    if (it.section == Section::consultations && it.closes && !it.result) {
      const std::int64_t age = (now.local_day_start() - it.closes->local_day_start()) / 86400;
      if (age > 90 - 7)
        diags.warning(prefix + it.source, 1, 1,
                      std::string("inspection rule: a consultation's result (意见采纳情况) must be "
                                  "published within 3 months of closing; ") +
                          (age > 90 ? "failing since " : "fails on ") + date_plus(*it.closes, 91) +
                          " — add [result]");
    }
    if (it.penalty && it.penalty->decided) {
      // 7 working days of the official calendar (法定节假日 and 调休 weekends), the decision
      // day not counted.
      const workdays::Date decided = workdays::Date::of(*it.penalty->decided),
                           published = workdays::Date::of(it.published);
      const int wd = workdays::working_days_between(decided, published);
      if (wd > 7) {
        std::string uncovered;
        for (const int year : workdays::Calendar::official().uncovered_years(decided, published))
          uncovered += (uncovered.empty() ? "" : ", ") + std::to_string(year);
        diags.warning(prefix + it.source, 1, 1,
                      "inspection rule: penalty results must be published within 7 working days of "
                      "the decision (" +
                          it.penalty->decided->date() + "); published " + std::to_string(wd) +
                          " working days later" +
                          (uncovered.empty() ? std::string()
                                             : " (no holiday data for " + uncovered +
                                                   ": counted Monday to Friday)"));
      }
    }
  }
}

}  // namespace gongkai::gen
