#include "pages.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

#include "gongkai/release.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "publish.hpp"
#include "theme.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* k_xxgk = "/xxgk/";
constexpr const char* k_nianbao = "/nianbao/";
constexpr const char* k_latest = "/latest/";
constexpr const char* k_inspection = "/inspection/";
constexpr const char* k_platform_sitemap = "/sitemap-platform.xml";

int year_of(const DateTime& d) { return std::stoi(d.date().substr(0, 4)); }
int month_of(const DateTime& d) { return std::stoi(d.date().substr(5, 2)); }

std::string xml_string(const pugi::xml_document& doc) {
  std::ostringstream ss;
  doc.save(ss, "  ", pugi::format_default, pugi::encoding_utf8);
  return ss.str();
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  return "\"" + replace_all(v, "\"", "\"\"") + "\"";
}

struct Entry {
  contract::UnitSummary::Entry e;
  const contract::UnitRef* unit;
};

}  // namespace

int annual_report_due_year(const DateTime& now) {
  return month_of(now) >= 2 ? year_of(now) - 1 : year_of(now) - 2;
}

std::vector<UnitInspection> inspect_units(const PlatformPagesInput& in) {
  std::vector<UnitInspection> rows;
  const int due = annual_report_due_year(in.now);
  for (std::size_t i = 0; i < in.platform.index.units.size(); ++i) {
    UnitInspection row;
    row.unit = in.platform.index.units[i];
    const auto& s = in.units[i];
    if (s) {
      row.published = true;
      row.last_published = s->last_published;
      if (const auto d = DateTime::parse(s->last_published))
        row.days_since =
            static_cast<int>((in.now.local_day_start() - d->local_day_start()) / 86400);
      for (const auto& f : s->findings) {
        auto& to = f.code == "freshness"             ? row.freshness
                   : f.code == "empty_column"        ? row.empty_columns
                   : f.code == "late_penalty"        ? row.late_penalties
                   : f.code == "consultation_result" ? row.consultations
                                                     : row.other;
        to.push_back(f);
      }
      if (std::none_of(s->annual_reports.begin(), s->annual_reports.end(),
                       [&](const auto& r) { return r.year == due; }))
        row.missing_report = due;
    } else {
      row.missing_report = due;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string inspection_text(const std::vector<UnitInspection>& rows) {
  std::string out =
      "platform inspection (政务公开检查): " + std::to_string(rows.size()) + " units\n";
  for (const auto& r : rows) {
    out += "  " + r.unit.id + " " + r.unit.name + ": ";
    if (!r.published) {
      out += "not published (尚未发布)";
    } else {
      out += "last publication " + (r.last_published.empty() ? "none" : r.last_published);
      auto count = [&](const char* what, std::size_t n) {
        if (n) out += ", " + std::to_string(n) + " " + what;
      };
      count("freshness warnings (栏目更新)", r.freshness.size());
      count("empty columns (空白栏目)", r.empty_columns.size());
      count("late penalty results (处罚公示超期)", r.late_penalties.size());
      count("consultations without results (征求意见未反馈)", r.consultations.size());
    }
    if (r.missing_report)
      out += ", no annual report for " + std::to_string(r.missing_report) + " (年报未发布)";
    out += "\n";
    for (const auto* list : {&r.freshness, &r.empty_columns, &r.late_penalties, &r.consultations})
      for (const auto& f : *list) out += "      " + f.where + ": " + f.message + "\n";
  }
  return out;
}

std::string inspection_csv(const std::vector<UnitInspection>& rows) {
  std::string out =
      "\xEF\xBB\xBF单位代码,单位名称,类别,最近发布日期,距今天数,栏目更新预警,空白栏目,"
      "处罚结果超期公示,征求意见未反馈,年报未发布年度,问题明细\n";
  for (const auto& r : rows) {
    std::string details;
    for (const auto* list : {&r.freshness, &r.empty_columns, &r.late_penalties, &r.consultations})
      for (const auto& f : *list)
        details += (details.empty() ? "" : "\n") + f.where + ": " + f.message;
    out += csv_field(r.unit.id) + "," + csv_field(r.unit.name) + "," + csv_field(r.unit.kind) +
           "," + (r.published ? r.last_published : "未发布") + "," +
           (r.days_since >= 0 ? std::to_string(r.days_since) : "") + "," +
           std::to_string(r.freshness.size()) + "," + std::to_string(r.empty_columns.size()) + "," +
           std::to_string(r.late_penalties.size()) + "," + std::to_string(r.consultations.size()) +
           "," + (r.missing_report ? std::to_string(r.missing_report) : "") + "," +
           csv_field(details) + "\n";
  }
  return out;
}

namespace {

class PlatformPages {
 public:
  PlatformPages(const PlatformPagesInput& in, const Theme& theme, OutputTree& out)
      : m_in(in), m_theme(theme), m_out(out), m_id(in.platform.index.identity) {}

  void render() {
    for (const auto& [rel, src] : m_theme.assets()) m_out.copy(rel, src);
    collect();
    home();
    xxgk();
    nianbao();
    latest();
    sitemaps();
    search_templates();
    not_found();
    const auto rows = inspect_units(m_in);
    m_out.add(contract::server_tree_path("inspection.csv"), inspection_csv(rows));
    const std::string report = inspection_page(rows);
    m_out.add(contract::server_tree_path("inspection.html"), report);
    if (m_in.platform.index.inspection_public) {
      m_out.add(urls::tree_path(k_inspection), report);
      m_out.add(urls::tree_path(std::string(k_inspection) + "report.csv"), inspection_csv(rows));
    }
    contract::PlatformIndex index = m_in.platform.index;
    m_out.add(contract::server_tree_path(contract::k_platform_file),
              contract::platform_json(index));
  }

 private:
  const PlatformPagesInput& m_in;
  const Theme& m_theme;
  OutputTree& m_out;
  const contract::PlatformIdentity& m_id;
  std::vector<Entry> m_latest;

  json site_view() const {
    return {{"title", m_id.title},
            {"site_name", m_id.title},
            {"root", "/"},
            {"is_platform", true},
            {"base_url", m_id.base_url},
            {"language", "zh-CN"},
            {"org_name", m_id.org_name},
            {"address", m_id.address},
            {"phone", m_id.phone},
            {"email", m_id.email},
            {"site_code", m_id.site_code},
            {"icp", m_id.icp},
            {"police_record", m_id.police_record},
            {"police_record_code", digits_of(m_id.police_record)},
            {"menu_pages", json::array()}};
  }

  std::string page(const std::string& url, const std::string& tmpl, json view,
                   const std::string& title, const std::string& column,
                   const std::vector<std::pair<std::string, std::string>>& slots = {}) {
    view["site"] = site_view();
    const std::string main = m_theme.render(tmpl, to_data(view));
    json layout = {{"site", site_view()},
                   {"page_title", title},
                   {"column", column},
                   {"column_name", title},
                   {"is_article", false},
                   {"url", url},
                   {"canonical", urls::absolute(m_id.base_url, url)},
                   {"nav_home", column == "home"},
                   {"nav_xxgk", column == "xxgk"},
                   {"nav_nianbao", column == "nianbao"},
                   {"nav_latest", column == "latest"}};
    for (const auto& [k, v] : slots) layout[k] = v;
    data d = to_data(layout);
    d.set("main", main);
    return m_theme.render("layout", d);
  }

  void emit(const std::string& url, const std::string& tmpl, json view, const std::string& title,
            const std::string& column) {
    m_out.add(urls::tree_path(url), page(url, tmpl, std::move(view), title, column));
  }

  void collect() {
    for (std::size_t i = 0; i < m_in.units.size(); ++i)
      if (m_in.units[i])
        for (const auto& e : m_in.units[i]->latest)
          m_latest.push_back({e, &m_in.platform.index.units[i]});
    std::stable_sort(m_latest.begin(), m_latest.end(),
                     [](const Entry& a, const Entry& b) { return a.e.published > b.e.published; });
    if (m_latest.size() > 50) m_latest.resize(50);
  }

  json entry_view(const Entry& e) const {
    return {{"title", e.e.title},         {"url", e.e.url},
            {"date", e.e.published},      {"category", e.e.category},
            {"unit", e.unit->short_name}, {"unit_url", e.unit->prefix}};
  }

  json unit_view(std::size_t i) const {
    const contract::UnitRef& u = m_in.platform.index.units[i];
    json v = {{"id", u.id},     {"name", u.name},  {"short_name", u.short_name},
              {"kind", u.kind}, {"url", u.prefix}, {"published", m_in.units[i].has_value()}};
    json columns = json::array();
    v["last_published"] = "";
    v["items"] = "0";
    if (const auto& s = m_in.units[i]) {
      v["last_published"] = s->last_published;
      v["items"] = std::to_string(s->items);
      for (const auto& c : s->columns)
        columns.push_back({{"title", c.title}, {"url", c.url}, {"has_url", !c.url.empty()}});
    }
    v["columns"] = columns;
    return v;
  }

  // Units grouped by kind, in the portal's order: 区政府, 区政府部门, 乡镇街道.
  json groups() const {
    json out = json::array();
    const std::vector<std::pair<std::string, std::vector<std::string>>> k_groups = {
        {"区政府", {"区政府"}}, {"区政府部门", {"区政府部门"}}, {"乡镇街道", {"乡镇", "街道"}}};
    for (const auto& [label, kinds] : k_groups) {
      json units = json::array();
      for (std::size_t i = 0; i < m_in.platform.index.units.size(); ++i)
        if (std::find(kinds.begin(), kinds.end(), m_in.platform.index.units[i].kind) != kinds.end())
          units.push_back(unit_view(i));
      if (!units.empty())
        out.push_back(
            {{"label", label}, {"id", "g-" + std::to_string(out.size())}, {"units", units}});
    }
    return out;
  }

  void home() {
    json latest = json::array();
    for (std::size_t i = 0; i < m_latest.size() && i < 12; ++i)
      latest.push_back(entry_view(m_latest[i]));
    emit("/", "platform_home",
         {{"groups", groups()},
          {"latest", latest},
          {"description", m_id.description},
          {"xxgk_url", k_xxgk},
          {"nianbao_url", k_nianbao},
          {"latest_url", k_latest}},
         m_id.title, "home");
  }

  void xxgk() { emit(k_xxgk, "platform_xxgk", {{"groups", groups()}}, "政府信息公开", "xxgk"); }

  void nianbao() {
    const int due = annual_report_due_year(m_in.now);
    int first = due;
    for (const auto& s : m_in.units)
      if (s)
        for (const auto& r : s->annual_reports) first = std::min(first, r.year);
    first = std::max(first, due - 9);  // ten years at most
    const int last = std::max(due, year_of(m_in.now) - 1);
    json years = json::array(), missing = json::array();
    for (int y = last; y >= first; --y) {
      json rows = json::array();
      std::size_t published = 0;
      for (std::size_t i = 0; i < m_in.platform.index.units.size(); ++i) {
        const contract::UnitRef& u = m_in.platform.index.units[i];
        const contract::UnitSummary::AnnualReport* found = nullptr;
        if (m_in.units[i])
          for (const auto& r : m_in.units[i]->annual_reports)
            if (r.year == y) found = &r;
        // Every key set in every row: Mustache would find a missing one in the outer context.
        json row = {{"unit", u.name},  {"unit_url", u.prefix}, {"kind", u.kind},
                    {"report", false}, {"is_missing", false},  {"is_pending", false}};
        if (found) {
          ++published;
          row["report"] = {
              {"title", found->title}, {"url", found->url}, {"date", found->published}};
        } else if (y <= due) {
          row["is_missing"] = true;
          if (y == due) missing.push_back({{"unit", u.name}, {"unit_url", u.prefix}});
        } else {
          row["is_pending"] = true;
        }
        rows.push_back(row);
      }
      years.push_back({{"year", std::to_string(y)},
                       {"id", "y" + std::to_string(y)},
                       {"rows", rows},
                       {"published", std::to_string(published)},
                       {"units", std::to_string(m_in.platform.index.units.size())},
                       {"due", std::to_string(y + 1) + "-01-31"}});
    }
    emit(k_nianbao, "platform_nianbao",
         {{"years", years},
          {"missing", missing},
          {"any_missing", !missing.empty()},
          {"due_year", std::to_string(due)},
          {"due_date", std::to_string(due + 1) + "年1月31日"}},
         "政府信息公开工作年度报告", "nianbao");
  }

  void latest() {
    json items = json::array();
    for (const auto& e : m_latest) items.push_back(entry_view(e));
    emit(k_latest, "platform_latest",
         {{"items", items},
          {"rss_url", urls::feed_rss(k_latest)},
          {"json_url", urls::feed_json(k_latest)}},
         "最新公开", "latest");
    // RSS 2.0 and JSON Feed 1.1 of the same list.
    const std::string& base = m_id.base_url;
    pugi::xml_document doc;
    auto decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    auto rss = doc.append_child("rss");
    rss.append_attribute("version") = "2.0";
    auto ch = rss.append_child("channel");
    ch.append_child("title").text() = (m_id.title + " - 最新公开").c_str();
    ch.append_child("link").text() = urls::absolute(base, k_latest).c_str();
    ch.append_child("description").text() = (m_id.title + " 各单位最新公开信息").c_str();
    ch.append_child("language").text() = "zh-CN";
    json feed_items = json::array();
    for (const auto& e : m_latest) {
      const std::string link = urls::absolute_encoded(base, e.e.url);
      auto item = ch.append_child("item");
      item.append_child("title").text() = e.e.title.c_str();
      item.append_child("link").text() = link.c_str();
      item.append_child("guid").text() = link.c_str();
      item.append_child("author").text() = e.unit->name.c_str();
      if (const auto d = DateTime::parse(e.e.published))
        item.append_child("pubDate").text() = d->rfc822().c_str();
      if (!e.e.category.empty()) item.append_child("category").text() = e.e.category.c_str();
      json fi = {{"id", link},
                 {"url", link},
                 {"title", e.e.title},
                 {"authors", json::array({{{"name", e.unit->name}}})}};
      if (const auto d = DateTime::parse(e.e.published)) fi["date_published"] = d->iso8601();
      feed_items.push_back(fi);
    }
    m_out.add(urls::tree_path(urls::feed_rss(k_latest)), xml_string(doc));
    const json jf = {{"version", "https://jsonfeed.org/version/1.1"},
                     {"title", m_id.title + " - 最新公开"},
                     {"home_page_url", urls::absolute(base, k_latest)},
                     {"feed_url", urls::absolute(base, urls::feed_json(k_latest))},
                     {"language", "zh-CN"},
                     {"items", feed_items}};
    m_out.add(urls::tree_path(urls::feed_json(k_latest)), jf.dump(2) + "\n");
  }

  void sitemaps() {
    const std::string& base = m_id.base_url;
    auto declare = [](pugi::xml_document& d) {
      auto decl = d.append_child(pugi::node_declaration);
      decl.append_attribute("version") = "1.0";
      decl.append_attribute("encoding") = "UTF-8";
    };
    pugi::xml_document index;
    declare(index);
    auto root = index.append_child("sitemapindex");
    root.append_attribute("xmlns") = "http://www.sitemaps.org/schemas/sitemap/0.9";
    auto add = [&](const std::string& url) {
      root.append_child("sitemap").append_child("loc").text() =
          urls::absolute_encoded(base, url).c_str();
    };
    add(k_platform_sitemap);
    for (std::size_t i = 0; i < m_in.platform.index.units.size(); ++i)
      if (m_in.units[i]) add(m_in.platform.index.units[i].prefix + "sitemap.xml");
    m_out.add(urls::tree_path(urls::sitemap()), xml_string(index));
    pugi::xml_document own;
    declare(own);
    auto set = own.append_child("urlset");
    set.append_attribute("xmlns") = "http://www.sitemaps.org/schemas/sitemap/0.9";
    for (const char* url : {"/", k_xxgk, k_nianbao, k_latest})
      set.append_child("url").append_child("loc").text() = urls::absolute(base, url).c_str();
    m_out.add(urls::tree_path(k_platform_sitemap), xml_string(own));
    m_out.add(urls::tree_path(urls::robots()),
              "User-agent: *\nAllow: /\nDisallow: /api/\n"
              "Disallow: /search\nSitemap: " +
                  urls::absolute(base, urls::sitemap()) + "\n");
  }

  // The cross-unit search page, rendered by the server from these (as a unit's).
  void search_templates() {
    const std::string html =
        page(urls::search(), "search_shell", json::object(), "站内搜索", "search",
             {{"query", "{{q}}"}, {"title_suffix", "{{#q}} - {{q}}{{/q}}"}});
    m_out.add(contract::server_tree_path(contract::k_search_page_file), html);
    m_out.add(contract::server_tree_path(contract::k_search_results_file),
              replace_all(m_theme.source("search_results"), "{{site.root}}", "/"));
  }

  void not_found() { emit(urls::not_found(), "404", json::object(), "页面未找到", ""); }

  std::string inspection_page(const std::vector<UnitInspection>& rows) {
    json units = json::array();
    for (const auto& r : rows) {
      json findings = json::array();
      for (const auto* list : {&r.freshness, &r.empty_columns, &r.late_penalties, &r.consultations})
        for (const auto& f : *list)
          findings.push_back({{"where", f.where}, {"message", f.message}});
      units.push_back({{"name", r.unit.name},
                       {"url", r.unit.prefix},
                       {"kind", r.unit.kind},
                       {"published", r.published},
                       {"last_published", r.last_published.empty() ? "—" : r.last_published},
                       {"days_since", r.days_since >= 0 ? std::to_string(r.days_since) : "—"},
                       {"freshness", std::to_string(r.freshness.size())},
                       {"empty_columns", std::to_string(r.empty_columns.size())},
                       {"late_penalties", std::to_string(r.late_penalties.size())},
                       {"consultations", std::to_string(r.consultations.size())},
                       {"missing_report", r.missing_report ? std::to_string(r.missing_report) : ""},
                       {"ok", findings.empty() && !r.missing_report && r.published},
                       {"findings", findings}});
    }
    return page(k_inspection, "platform_inspection",
                {{"units", units},
                 {"date", m_in.now.date()},
                 {"csv_url", std::string(k_inspection) + "report.csv"}},
                "政务公开检查报告", "inspection");
  }
};

}  // namespace

std::string publish_platform_pages(const PlatformPagesInput& in, const fs::path& output,
                                   Diagnostics& diags) {
  Theme theme;
  if (!theme.load(in.theme_dir, diags)) throw std::runtime_error("the theme has errors");
  Publisher release(output, in.now, {});
  OutputTree out = release.open_tree(false);
  PlatformPages(in, theme, out).render();
  out.finish();
  return release.publish(out, {in.now, "", 0, 0, in.platform.index.identity.base_url});
}

}  // namespace gongkai::gen
