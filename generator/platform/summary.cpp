#include "summary.hpp"

#include <algorithm>
#include <regex>

#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"

namespace gongkai::gen {

bool is_annual_report(const Content& c, const Item& it) {
  if (it.section != Section::disclosure) return false;
  if (it.category == "ndbg") return true;
  if (const Category* cat = c.site.category(it.category);
      cat && cat->name.find("年度报告") != std::string::npos)
    return true;
  return std::find(it.tags.begin(), it.tags.end(), "年度报告") != it.tags.end();
}

int annual_report_year(const Item& it) {
  static const std::regex k_year("(20\\d\\d|19\\d\\d)年");
  std::smatch m;
  if (std::regex_search(it.title, m, k_year)) return std::stoi(m[1].str());
  return it.has_published ? std::stoi(it.published.date().substr(0, 4)) - 1 : 0;
}

namespace {

std::string finding_code(const std::string& message) {
  if (message.find("栏目更新") != std::string::npos) return "freshness";
  if (message.find("空白栏目") != std::string::npos) return "empty_column";
  if (message.find("意见采纳情况") != std::string::npos) return "consultation_result";
  if (message.find("working days of the decision") != std::string::npos) return "late_penalty";
  return "other";
}

}  // namespace

contract::UnitSummary summarize_unit(const Content& c, const Listing& l, const Diagnostics& diags,
                                     const contract::UnitRef& unit, const DateTime& now) {
  contract::UnitSummary s;
  s.unit = unit;
  s.build_now = now.iso8601();
  const Item* due = nullptr;
  for (const Item& it : c.items)
    if (it.scheduled && !it.draft && (!due || it.published.epoch < due->published.epoch)) due = &it;
  if (due) s.next_due = due->published.iso8601();
  std::vector<const Item*> items;
  for (const Item& it : c.items)
    if (it.listed() && it.section != Section::pages) items.push_back(&it);
  std::sort(items.begin(), items.end(), newer_first);
  s.items = items.size();
  if (!items.empty()) s.last_published = items.front()->published.date();
  for (std::size_t i = 0; i < items.size() && i < 20; ++i) {
    const Item& it = *items[i];
    const Category* cat = c.site.category(it.category);
    s.latest.push_back(
        {it.title, it.url, it.published.date(), section_name(it.section), cat ? cat->name : ""});
  }
  // A year's report: the item titled 政府信息公开…年度报告 first, else the newest of the year.
  auto strength = [](const Item& it) {
    return it.title.find("政府信息公开") != std::string::npos &&
           it.title.find("年度报告") != std::string::npos;
  };
  std::map<int, const Item*> reports;
  for (const Item* it : items)
    if (is_annual_report(c, *it)) {
      auto [at, fresh] = reports.emplace(annual_report_year(*it), it);
      if (!fresh && strength(*it) && !strength(*at->second)) at->second = it;
    }
  for (const auto& [year, it] : reports)
    s.annual_reports.push_back({year, it->title, it->url, it->published.date()});

  auto page = [&](auto pred) -> const Item* {
    for (const Item* p : l.menu_pages)
      if (pred(*p)) return p;
    for (const Item& p : c.items)
      if (p.section == Section::pages && p.listed() && pred(p)) return &p;
    return nullptr;
  };
  auto column = [&](std::string key, std::string title, const Item* p) {
    s.columns.push_back({std::move(key), std::move(title), p ? p->url : "", p ? 1u : 0u});
  };
  column("about", "机构信息", page([](const Item& p) {
           return p.source == "pages/about.md" || p.title.find("机构") != std::string::npos;
         }));
  column("guide", "公开指南",
         page([](const Item& p) { return p.title.find("指南") != std::string::npos; }));
  column("system", "公开制度", page([](const Item& p) {
           return p.source == "pages/system.md" || p.title.find("公开制度") != std::string::npos;
         }));
  s.columns.push_back({"disclosure", "法定主动公开内容", urls::section(Section::disclosure),
                       l.of(Section::disclosure).size()});
  std::string reports_url;
  if (c.site.category("ndbg"))
    reports_url = urls::disclosure_category("ndbg");
  else if (!s.annual_reports.empty())
    reports_url = s.annual_reports.back().url;
  s.columns.push_back({"annual", "公开年报", reports_url, s.annual_reports.size()});

  for (const Diagnostic& d : diags.sorted()) {
    if (d.severity != Severity::warning) continue;
    if (d.message.find("inspection rule") == std::string::npos) continue;
    std::string where = d.path;
    if (d.line > 0) where += ":" + std::to_string(d.line);
    s.findings.push_back({finding_code(d.message), where, d.message});
  }
  return s;
}

}  // namespace gongkai::gen
