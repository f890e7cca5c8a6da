#include "render.hpp"

#include "gongkai/hash.hpp"
#include "gongkai/release.hpp"

#include "gongkai/parallel.hpp"

#include <qrencode.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "feeds.hpp"
#include "led_export.hpp"
#include "statutory.hpp"
#include "wechat_export.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"

namespace gongkai::gen {

using kainjow::mustache::list;

namespace {

struct PowerType {
  const char* slug;
  const char* name;
};
const PowerType k_power_type_slugs[] = {
    {"xk", "行政许可"}, {"cf", "行政处罚"},    {"qz", "行政强制"}, {"zs", "行政征收"},
    {"jf", "行政给付"}, {"jc", "行政检查"},    {"qr", "行政确认"}, {"jl", "行政奖励"},
    {"cj", "行政裁决"}, {"qt", "其他行政权力"}};

std::string out_path(const std::string& url) { return urls::tree_path(url); }

std::string qr_svg(const std::string& text) {
  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr) return "";
  const int w = qr->width, margin = 2, size = w + 2 * margin;
  std::string path;
  for (int y = 0; y < w; ++y)
    for (int x = 0; x < w; ++x)
      if (qr->data[y * w + x] & 1)
        path += "M" + std::to_string(x + margin) + " " + std::to_string(y + margin) + "h1v1h-1z";
  QRcode_free(qr);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(size) + " " +
         std::to_string(size) +
         "\" role=\"img\" aria-label=\"二维码\" shape-rendering=\"crispEdges\"><rect "
         "width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
         "<path fill=\"#000\" d=\"" +
         path + "\"/></svg>";
}

std::string money(double v) {
  char buf[32];
  if (v == static_cast<double>(static_cast<long long>(v)))
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else
    std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// View models that a cache key guards are built as JSON first: the key is the digest of the JSON
// (so it covers exactly what the template is given, with no second list of fields to keep in
// step), and the template gets it converted to Mustache data.
using View = nlohmann::json;

// The bytes a view model's key is the digest of: every key and value, each behind its length (a
// plain walk: JSON's own dump() validates and escapes every string, several times slower).
void key_bytes(const View& v, std::string& out) {
  auto sized = [&](char tag, const std::string& str) {
    char buf[24];
    buf[0] = tag;
    const auto end = std::to_chars(buf + 1, buf + sizeof buf - 1, str.size()).ptr;
    *end = ':';
    out.append(buf, static_cast<std::size_t>(end + 1 - buf));
    out.append(str);
  };
  switch (v.type()) {
    case View::value_t::object:
      out += '{';
      for (const auto& [k, x] : v.items()) {
        sized('k', k);
        key_bytes(x, out);
      }
      out += '}';
      return;
    case View::value_t::array:
      out += '[';
      for (const auto& x : v) key_bytes(x, out);
      out += ']';
      return;
    case View::value_t::string: sized('s', v.get_ref<const std::string&>()); return;
    case View::value_t::boolean: out += v.get<bool>() ? 't' : 'f'; return;
    case View::value_t::null: out += 'n'; return;
    default: sized('x', v.dump()); return;
  }
}
std::string view_key(const View& v) {
  std::string bytes;
  key_bytes(v, bytes);
  return bytes;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

class SiteRenderer {
 public:
  SiteRenderer(const Content& c, const Listing& l, const Theme& theme, const RenderOptions& opt,
               OutputTree& out)
      : m_c(c), m_l(l), m_theme(theme), m_opt(opt), m_out(out) {
    if (!opt.page_key.empty()) m_page_key = sha256_hex(opt.page_key + "\n" + view_key(site_view()));
  }

  void run() {
    for (const auto& [rel, src] : m_theme.assets()) m_out.copy(rel, src);
    for (const std::string& a : m_c.attachments) m_out.copy(a, m_opt.content_dir / a);
    render_home();
    render_disclosure();
    render_simple_section(Section::notices, section_title(Section::notices),
                          section_name(Section::notices));
    render_simple_section(Section::consultations, "重大行政决策公开征求意见",
                          section_name(Section::consultations));
    render_items_parallel();
    render_responsibilities();
    render_not_found();
    render_search_shell();
    render_form_shell();
  }

 private:
  // Item pages are most of a site: they are rendered on every core, each worker with its own
  // theme (mustache templates are not thread-safe) and output tree, merged in path order.
  void render_items_parallel() {
    std::vector<const Item*> items;
    for (Section s :
         {Section::disclosure, Section::notices, Section::consultations, Section::pages})
      items.insert(items.end(), m_l.of(s).begin(), m_l.of(s).end());
    items.insert(items.end(), m_l.withdrawn.begin(), m_l.withdrawn.end());
    // An item's pages are taken from the previous release when nothing they are made of changed:
    // the item (fields, file, link answers), the site and theme (page_key) and what the clock
    // decides for it (whether a notice is on display, a consultation's status).
    const bool incremental =
        m_opt.item_keys && m_opt.item_keys->size() == m_c.items.size() && !page_key().empty();
    std::vector<PageMemo::Pages> pages(incremental ? items.size() : 0);
    on_workers(items.size(), [&](std::size_t i, SiteRenderer& r) {
      const Item& it = *items[i];
      if (!incremental) {
        r.render_item(it);
        return;
      }
      pages[i].key = item_page_key(it);
      if (const PageMemo::Pages* before = r.reusable(it.url, pages[i].key)) {
        pages[i].files = before->files;
        return;
      }
      r.render_item(it);
      for (const std::string& url : {it.url, it.url + "print/"})
        if (const std::string* sha = r.m_out.sha(out_path(url)))
          pages[i].files.emplace_back(out_path(url), *sha);
    });
    if (incremental && m_opt.pages_after)
      for (std::size_t i = 0; i < items.size(); ++i)
        m_opt.pages_after->by_url[items[i]->url] = std::move(pages[i]);
  }

  std::string item_page_key(const Item& it) const {
    const std::string& inputs =
        (*m_opt.item_keys)[static_cast<std::size_t>(&it - m_c.items.data())];
    std::string clock;
    if (it.section == Section::notices)
      clock = notice_on_display(it, m_opt.now) ? "on display" : "not on display";
    if (it.section == Section::consultations) {
      const auto st = consultation_status(it, m_opt.now);
      clock = st.key + "/" + std::to_string(st.days_left);
      // The database's counts (--database) are inputs of the page like the clock.
      if (const ResponseCounts* n = response_counts(it))
        clock += "\nresponses " + std::to_string(n->received) + "/" + std::to_string(n->adopted);
    }
    return sha256_hex(page_key() + "\n" + inputs + "\n" + clock);
  }

  // The responses a consultation with a result received, when the build read the database.
  const ResponseCounts* response_counts(const Item& it) const {
    if (!m_opt.responses || !it.result) return nullptr;
    const auto found = m_opt.responses->find(consultation_id(it));
    return found == m_opt.responses->end() ? nullptr : &found->second;
  }

  const Content& m_c;
  const Listing& m_l;
  const Theme& m_theme;
  const RenderOptions& m_opt;
  OutputTree& m_out;

  std::string dept_name(const std::string& id) const {
    const Department* d = m_c.site.department(id);
    return d ? d->name : id;
  }
  std::string cat_name(const std::string& id) const {
    const Category* c = m_c.site.category(id);
    return c ? c->name : id;
  }

  // ---- shared page data -----------------------------------------------------------------

  // The same for every page: built once per renderer.
  const data& site_data() const {
    if (!m_site_data) m_site_data = std::make_unique<data>(to_data(site_view()));
    return *m_site_data;
  }
  mutable std::unique_ptr<data> m_site_data;

  View site_view() const {
    const auto& s = m_c.site;
    const auto& o = s.organization;
    View menu = View::array();
    for (const Item* p : m_l.menu_pages)
      if (p->menu) menu.push_back({{"title", p->title}, {"url", p->url}});
    View v = {{"title", s.title},
              {"root", urls::home()},
              {"base_url", s.base_url},
              {"language", s.language},
              {"org_name", o.name},
              {"publisher", o.name},  // who issues the texts: the unit, also on a platform
              {"address", o.address},
              {"phone", o.phone},
              {"email", o.email},
              {"site_code", o.site_code},
              {"icp", o.icp},
              {"police_record", o.police_record},
              {"police_record_code", digits_of(o.police_record)},
              {"menu_pages", std::move(menu)}};
    if (const auto* p = m_opt.platform) {
      // The district site's identifiers; the unit keeps its title, address and contacts.
      v["platform"] = {{"title", p->title}, {"home", "/"}};
      v["unit_name"] = o.name;
      v["unit_kind"] = m_opt.unit ? m_opt.unit->kind : "";
      v["org_name"] = p->org_name;
      v["site_code"] = p->site_code;
      v["icp"] = p->icp;
      v["police_record"] = p->police_record;
      v["police_record_code"] = digits_of(p->police_record);
      v["site_name"] = p->title;
    } else {
      v["site_name"] = s.title;
    }
    return v;
  }
  // The unit's name before a column's (ColumnName) and a source (ContentSource) on a platform.
  std::string unit_named(const std::string& what) const {
    if (!m_opt.platform) return what;
    const std::string& unit = m_c.site.organization.name;
    return what.empty() || what == unit ? unit : unit + " " + what;
  }

  // What every page depends on besides its own view model: the generator, site.toml and theme
  // (RenderOptions::page_key) and the site's view model that every layout shows.
  // Made in the constructor: worker threads read it.
  const std::string& page_key() const { return m_page_key; }
  std::string m_page_key;

  // `slots`: layout data left for a later rendering (the search page's query, for the server).
  std::string emit(const std::string& url, const std::string& tmpl, data page,
                   const std::string& title, const std::string& column,
                   const std::string& pub_date = "", const std::string& source = "",
                   const std::vector<std::pair<std::string, std::string>>& slots = {},
                   const std::string& file = "") {
    page.set("site", site_data());
    const std::string main = m_theme.render(tmpl, page);
    data layout;
    layout.set("site", site_data());
    layout.set("main", main);
    layout.set("page_title", title);
    layout.set("column", column);
    layout.set("column_name", unit_named(column_title(column)));
    layout.set("is_article", !pub_date.empty());
    layout.set("pub_date", pub_date);
    layout.set("content_source", unit_named(source.empty() ? m_c.site.organization.name : source));
    layout.set("url", url);
    layout.set("canonical", m_c.site.base_url + url.substr(1));
    for (const char* s :
         {"home", "disclosure", "responsibilities", "notices", "consultations", "interact"})
      layout.set(std::string("nav_") + s, column == s);
    for (const auto& [name, value] : slots) layout.set(name, value);
    std::string html = m_theme.render("layout", layout);
    const std::string path = file.empty() ? out_path(url) : file;
    if (!slots.empty()) {
      m_out.add(path, html);
      return html;
    }
    m_out.add(path, std::move(html));
    return {};
  }

  // An item in a list: the row of every list page, the home page's and the item page's head.
  View summary_view(const Item& it) const {
    View v(View::value_t::object);
    auto& o = v.get_ref<View::object_t&>();
    o.emplace("title", it.title);
    o.emplace("url", it.url);
    o.emplace("date", it.published.date());
    o.emplace("department", dept_name(it.department));
    o.emplace("category", it.category.empty() ? std::string() : cat_name(it.category));
    o.emplace("invalid", it.validity != "有效");
    o.emplace("validity", it.validity);
    o.emplace("index_no", it.index_no);
    o.emplace("doc_no", it.doc_no);
    return v;
  }
  data item_summary(const Item& it) const { return to_data(summary_view(it)); }

  View pager(const std::string& base, int page, int pages) const {
    View d;
    auto page_url = [&](int n) { return urls::list_page(base, n); };
    d["show"] = pages > 1;
    d["has_prev"] = page > 1;
    d["has_next"] = page < pages;
    if (page > 1) d["prev_url"] = page_url(page - 1);
    if (page < pages) d["next_url"] = page_url(page + 1);
    d["page"] = std::to_string(page);
    d["pages"] = std::to_string(pages);
    View nums = View::array();
    for (int n = 1; n <= pages; ++n) {
      if (pages > 11 && n != 1 && n != pages && std::abs(n - page) > 3) continue;
      nums.push_back({{"n", std::to_string(n)}, {"url", page_url(n)}, {"current", n == page}});
    }
    d["numbers"] = std::move(nums);
    return d;
  }

  // What a list's pages show besides their rows (the catalogue's facets), shared by many lists:
  // converted and keyed once.
  struct ListExtra {
    data model;
    std::string key;  // view_key of its view model
    explicit ListExtra(const View& v) : model(to_data(v)), key(view_key(v)) {}
  };

  // A paginated list of items at `base` (e.g. /disclosure/category/fzzf/), to be rendered.
  struct ListJob {
    std::string base;
    const std::vector<const Item*>* items;
    std::string heading, column;
    const ListExtra* extra;
    int pages() const {
      return std::max<int>(1, static_cast<int>((items->size() + k_page_size - 1) / k_page_size));
    }
  };

  // A paginated list of items at base. A page whose view model is the previous build's is taken
  // from the previous release instead of being rendered.
  void emit_list(const std::string& base, const std::vector<const Item*>& items,
                 const std::string& heading, const std::string& column, const View& extra_view) {
    const ListExtra extra(extra_view);
    const ListJob job{base, &items, heading, column, &extra};
    for (int p = 1; p <= job.pages(); ++p) {
      auto [url, pages] = emit_list_page(job, p);
      if (!url.empty()) m_opt.pages_after->by_url[url] = std::move(pages);
    }
  }

  // Many lists (the catalogue's hundreds of pages) are rendered on every core.
  void emit_lists(const std::vector<ListJob>& jobs) {
    std::vector<std::pair<std::size_t, int>> tasks;
    for (std::size_t j = 0; j < jobs.size(); ++j)
      for (int p = 1; p <= jobs[j].pages(); ++p) tasks.emplace_back(j, p);
    std::vector<std::pair<std::string, PageMemo::Pages>> done(tasks.size());
    on_workers(tasks.size(), [&](std::size_t i, SiteRenderer& r) {
      done[i] = r.emit_list_page(jobs[tasks[i].first], tasks[i].second);
    });
    for (auto& [url, pages] : done)
      if (!url.empty()) m_opt.pages_after->by_url[url] = std::move(pages);
  }

  // One page of a list; returns its url and files for the page memo (url empty: not kept).
  std::pair<std::string, PageMemo::Pages> emit_list_page(const ListJob& job, int p) {
    const auto& items = *job.items;
    const int pages = job.pages();
    const std::string page_url = urls::list_page(job.base, p);
    const std::string title =
        p == 1 ? job.heading : job.heading + "（第" + std::to_string(p) + "页）";
    View view;
    View rows = View::array();
    for (std::size_t i = static_cast<std::size_t>((p - 1) * k_page_size);
         i < items.size() && i < static_cast<std::size_t>(p * k_page_size); ++i)
      rows.push_back(summary_view(*items[i]));
    view["heading"] = job.heading;
    view["items"] = std::move(rows);
    view["empty"] = items.empty();
    view["count"] = std::to_string(items.size());
    view["pager"] = pager(job.base, p, pages);
    // The page is its view model, its place in the layout and what every page shares (page_key).
    const bool incremental = !page_key().empty() && m_opt.pages_after;
    std::string key;
    if (incremental) {
      key = sha256_hex(page_key() + "\n" + page_url + "\n" + job.column + "\n" + title + "\n" +
                       job.extra->key + "\n" + view_key(view));
      if (const PageMemo::Pages* before = reusable(page_url, key)) return {page_url, *before};
    }
    data model = job.extra->model;
    for (const auto& [k, v] : view.items()) model.set(k, to_data(v));
    emit(page_url, "list", std::move(model), title, job.column);
    if (!incremental) return {};
    PageMemo::Pages after;
    after.key = key;
    after.files = {{out_path(page_url), *m_out.sha(out_path(page_url))}};
    return {page_url, std::move(after)};
  }

  // The previous release's pages at url when their key is `key` and this tree could take them.
  const PageMemo::Pages* reusable(const std::string& url, const std::string& key) {
    if (!m_opt.pages_before) return nullptr;
    auto before = m_opt.pages_before->by_url.find(url);
    if (before == m_opt.pages_before->by_url.end() || before->second.key != key ||
        before->second.files.empty())
      return nullptr;
    for (const auto& [path, sha] : before->second.files)
      if (!m_out.reuse(path, sha)) return nullptr;
    return &before->second;
  }

  // Runs fn(i, renderer) for i < n on every core: worker 0 is this renderer, the others get
  // their own theme (mustache templates are not thread-safe), renderer and output tree.
  void on_workers(std::size_t n, const std::function<void(std::size_t, SiteRenderer&)>& fn) {
    const std::size_t extra = static_cast<std::size_t>(std::max(1, m_opt.threads)) - 1;
    std::vector<OutputTree> trees;
    std::vector<std::unique_ptr<Theme>> themes;
    std::vector<std::unique_ptr<SiteRenderer>> renderers;
    trees.reserve(extra);
    for (std::size_t w = 0; w < extra; ++w) {
      trees.push_back(m_out.sibling());
      themes.push_back(std::make_unique<Theme>());
      Diagnostics ignored;
      themes.back()->load(m_theme.dir(), ignored);
      renderers.push_back(
          std::make_unique<SiteRenderer>(m_c, m_l, *themes.back(), m_opt, trees.back()));
    }
    parallel_for(n, m_opt.threads,
                 [&](std::size_t i, std::size_t w) { fn(i, w == 0 ? *this : *renderers[w - 1]); });
    for (auto& t : trees) m_out.merge(std::move(t));
  }

  // ---- pages ----------------------------------------------------------------------------------

  void render_home() {
    data d;
    auto latest = [&](Section s, std::size_t n) {
      list l;
      const auto& v = m_l.of(s);
      for (std::size_t i = 0; i < v.size() && i < n; ++i) l.push_back(item_summary(*v[i]));
      return l;
    };
    d.set("disclosure", latest(Section::disclosure, 10));
    list current;
    for (const Item* it : current_notices()) current.push_back(item_summary(*it));
    d.set("current_notices", current);
    d.set("has_current_notices", !current.empty());
    d.set("notices", latest(Section::notices, 6));
    list open;
    for (const Item* it : m_l.of(Section::consultations)) {
      const auto st = consultation_status(*it, m_opt.now);
      if (st.key != "open") continue;
      data x = item_summary(*it);
      x.set("days_left", std::to_string(st.days_left));
      open.push_back(x);
    }
    d.set("has_open_consultations", !open.empty());
    d.set("open_consultations", open);
    d.set("consultations", latest(Section::consultations, 5));
    list depts;
    for (const auto& l : m_c.lists) {
      data x;
      x.set("name", dept_name(l.department));
      x.set("url", urls::responsibility_list(l.department));
      x.set("count", std::to_string(l.items.size()));
      depts.push_back(x);
    }
    d.set("lists", depts);
    d.set("guide_url", guide_url());
    emit(urls::home(), "home", d, m_c.site.title, "home");
  }

  std::vector<const Item*> current_notices() {
    std::vector<const Item*> v;
    for (const Item* it : m_l.of(Section::notices))
      if (notice_on_display(*it, m_opt.now)) v.push_back(it);
    std::stable_sort(v.begin(), v.end(),
                     [](const Item* a, const Item* b) { return a->priority > b->priority; });
    return v;
  }

  std::string guide_url() const {
    for (const Item* p : m_l.menu_pages)
      if (p->title.find("指南") != std::string::npos) return p->url;
    return "";
  }

  void render_disclosure() {
    const auto& items = m_l.of(Section::disclosure);
    // Facets of the catalogue: by category, department, year.
    std::map<std::string, std::vector<const Item*>> by_cat, by_dept;
    std::map<int, std::vector<const Item*>, std::greater<int>> by_year;
    for (const Item* it : items) {
      by_cat[it->category].push_back(it);
      by_dept[it->department].push_back(it);
      by_year[it->published.year()].push_back(it);
    }
    View cats = View::array(), depts = View::array(), years = View::array();
    for (const auto& c : m_c.site.categories)
      cats.push_back({{"name", c.name},
                      {"url", urls::disclosure_category(c.id)},
                      {"count", std::to_string(by_cat[c.id].size())}});
    for (const auto& dp : m_c.site.departments)
      depts.push_back({{"name", dp.name},
                       {"url", urls::disclosure_department(dp.id)},
                       {"count", std::to_string(by_dept[dp.id].size())}});
    for (const auto& [y, v] : by_year)
      years.push_back({{"name", std::to_string(y) + "年"},
                       {"url", urls::disclosure_year(y)},
                       {"count", std::to_string(v.size())}});
    View extra = {{"facets", {{"categories", cats}, {"departments", depts}, {"years", years}}},
                  {"is_catalogue", true},
                  {"guide_url", guide_url()}};
    for (const auto& c : m_c.site.categories)
      if (c.name.find("年报") != std::string::npos || c.name.find("年度报告") != std::string::npos)
        extra["annual_url"] = urls::disclosure_category(c.id);
    const ListExtra catalogue(extra);
    std::vector<ListJob> jobs;
    jobs.push_back(
        {urls::section(Section::disclosure), &items, "法定主动公开内容", "disclosure", &catalogue});
    for (const auto& c : m_c.site.categories)
      jobs.push_back({urls::disclosure_category(c.id), &by_cat[c.id], "主题分类：" + c.name,
                      "disclosure", &catalogue});
    for (const auto& dp : m_c.site.departments)
      jobs.push_back({urls::disclosure_department(dp.id), &by_dept[dp.id], "发布机构：" + dp.name,
                      "disclosure", &catalogue});
    for (const auto& [y, v] : by_year)
      jobs.push_back(
          {urls::disclosure_year(y), &v, std::to_string(y) + "年", "disclosure", &catalogue});
    emit_lists(jobs);
  }

  void render_simple_section(Section s, const std::string& heading, const std::string& column) {
    const auto& items = m_l.of(s);
    View extra = View::object();
    if (s == Section::notices) {
      View current = View::array();
      for (const Item* it : current_notices()) current.push_back(summary_view(*it));
      extra["has_current_notices"] = !current.empty();
      extra["current_notices"] = std::move(current);
    }
    emit_list("/" + column + "/", items, heading, column, extra);
  }

  data attachments_data(const Item& it) const {
    list l;
    for (const auto& a : it.attachments) {
      data x;
      x.set("name", a.name);
      x.set("url", a.url);
      x.set("size", a.size >= 1024 * 1024
                        ? money(static_cast<double>(a.size * 10 / (1024 * 1024)) / 10) + " MB"
                        : std::to_string((a.size + 1023) / 1024) + " KB");
      l.push_back(x);
    }
    return l;
  }

  void render_item(const Item& it) {
    data d = item_summary(it);
    d.set("body", it.html);
    d.set("written", it.written.date());
    d.set("department_name", dept_name(it.department));
    d.set("attachments", attachments_data(it));
    d.set("has_attachments", !it.attachments.empty());
    list tags;
    for (const auto& t : it.tags) tags.push_back(data(t));
    d.set("tags", tags);
    d.set("has_tags", !it.tags.empty());
    std::string column = section_name(it.section);
    std::string tmpl = "item";
    if (it.penalty) {
      data p;
      p.set("procedure", it.penalty->procedure);
      p.set("count", std::to_string(it.penalty->count));
      p.set("fine", money(it.penalty->fine));
      p.set("confiscated", money(it.penalty->confiscated));
      p.set("decided", it.penalty->decided ? it.penalty->decided->date() : "");
      d.set("penalty", p);
      if (it.penalty->withdrawn) {
        d.set("withdrawn", true);
        d.set("withdrawn_date", it.penalty->withdrawn->date.date());
        d.set("withdrawn_reason", it.penalty->withdrawn->reason);
      }
    }
    switch (it.section) {
      case Section::disclosure: break;
      case Section::notices: {
        tmpl = "notice";
        list laws;
        for (const auto& l : it.laws) laws.push_back(data(l));
        d.set("laws", laws);
        d.set("has_laws", !it.laws.empty());
        std::string villages;
        for (const auto& v : it.villages) {
          if (!villages.empty()) villages += "、";
          if (v == "all")
            villages += "全镇各村";
          else if (const Village* vv = m_c.site.village(v))
            villages += vv->name;
        }
        d.set("villages", villages);
        d.set("display_from", it.display_from ? it.display_from->date() : "");
        d.set("display_until", it.display_until ? it.display_until->date() : "");
        d.set("has_window", it.display_from || it.display_until);
        d.set("on_display", notice_on_display(it, m_opt.now));
        // The read-aloud script for the village broadcast: the notice's own, or its body as plain text.
        d.set("broadcast", it.broadcast.empty() ? it.text : it.broadcast);
        d.set("has_broadcast", !it.broadcast.empty() || !it.text.empty());
        d.set("print_url", it.url + "print/");
        render_print(it, d);
        break;
      }
      case Section::consultations: {
        tmpl = "consultation";
        const auto st = consultation_status(it, m_opt.now);
        d.set("status", st.label);
        d.set("status_key", st.key);
        d.set("is_open", st.key == "open");
        d.set("days_left", std::to_string(st.days_left));
        d.set("opens", it.opens ? it.opens->date() : "");
        d.set("closes", it.closes ? it.closes->date() : "");
        d.set("respond", it.respond);
        d.set("respond_url", it.url + "respond/");  // gongkai-serve's response form
        d.set("has_result", it.result.has_value());
        if (it.result) {
          d.set("result_date", it.result->published.date());
          d.set("result_summary", it.result->summary);
        }
        const ResponseCounts* n = response_counts(it);
        d.set("has_response_counts", n != nullptr);
        if (n) {
          d.set("responses_received", std::to_string(n->received));
          d.set("responses_adopted", std::to_string(n->adopted));
        }
        break;
      }
      case Section::pages: tmpl = "page"; break;
    }
    const std::string pub = it.has_published ? it.published.date() : "";
    emit(it.url, tmpl, d, it.title, column,
         pub.empty() ? "" : (it.published.date() + " " + it.published.iso8601().substr(11, 5)),
         dept_name(it.department));
  }

  void render_print(const Item& it, data d) {
    d.set("site", site_data());
    const std::string absolute = m_c.site.base_url + it.url.substr(1);
    d.set("absolute_url", absolute);
    d.set("qr_svg", qr_svg(absolute));
    m_out.add(out_path(it.url + "print/"), m_theme.render("print", d));
  }

  void render_responsibilities() {
    nlohmann::json all_json = nlohmann::json::array();
    std::string all_csv =
        "\xEF\xBB\xBF事项编码,事项名称,事项类型,设定依据,行使主体,承办机构,责任事项,追责情形,"
        "监督方式,部门,更新日期\r\n";
    std::vector<std::pair<const ResponsibilityList*, const ResponsibilityItem*>> all;
    for (const auto& l : m_c.lists) {
      const std::string name = dept_name(l.department);
      std::string csv =
          "\xEF\xBB\xBF事项编码,事项名称,事项类型,设定依据,行使主体,承办机构,责任事项,追责情形,"
          "监督方式,部门,更新日期\r\n";
      nlohmann::json items = nlohmann::json::array();
      for (const auto& r : l.items) {
        all.push_back({&l, &r});
        const std::string row =
            csv_field(r.code) + "," + csv_field(r.name) + "," + csv_field(r.type) + "," +
            csv_field(r.basis) + "," + csv_field(r.subject) + "," + csv_field(r.office) + "," +
            csv_field(r.duties) + "," + csv_field(r.accountability) + "," +
            csv_field(r.supervision) + "," + csv_field(name) + "," + l.updated.date() + "\r\n";
        csv += row;
        all_csv += row;
        nlohmann::json j = {{"code", r.code},
                            {"name", r.name},
                            {"type", r.type},
                            {"basis", r.basis},
                            {"subject", r.subject},
                            {"office", r.office},
                            {"duties", r.duties},
                            {"accountability", r.accountability},
                            {"supervision", r.supervision}};
        items.push_back(j);
        j["department"] = name;
        j["department_id"] = l.department;
        all_json.push_back(j);
      }
      nlohmann::json doc = {{"department", name},
                            {"department_id", l.department},
                            {"updated", l.updated.date()},
                            {"items", items}};
      m_out.add("responsibilities/" + l.department + ".json", doc.dump(2) + "\n");
      m_out.add("responsibilities/" + l.department + ".csv", csv);
      data d;
      d.set("department", name);
      d.set("updated", l.updated.date());
      d.set("count", std::to_string(l.items.size()));
      d.set("rows", rows_data(all, &l));
      d.set("csv_url", urls::responsibility_csv(l.department));
      d.set("history_url", urls::responsibility_history(l.department));
      render_history(l, name);
      d.set("json_url", urls::responsibility_json(l.department));
      emit(urls::responsibility_list(l.department), "responsibility", d, name + "权责清单",
           "responsibilities", "", name);
    }
    m_out.add("responsibilities/all.json", nlohmann::json({{"items", all_json}}).dump(2) + "\n");
    m_out.add("responsibilities/all.csv", all_csv);
    // The combined page, and one static page per type: filtering works without JavaScript.
    emit_combined(urls::responsibilities(), all, "", "权责清单");
    for (const auto& t : k_power_type_slugs) {
      std::vector<std::pair<const ResponsibilityList*, const ResponsibilityItem*>> sel;
      for (const auto& p : all)
        if (p.second->type == t.name) sel.push_back(p);
      emit_combined(urls::responsibility_type(t.slug), sel, t.name,
                    std::string("权责清单：") + t.name);
    }
  }

  void render_history(const ResponsibilityList& l, const std::string& name) {
    data d;
    d.set("department", name);
    d.set("department_url", urls::responsibility_list(l.department));
    list versions;
    auto it = m_opt.history.find(l.department);
    if (it != m_opt.history.end()) {
      for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
        data x;
        x.set("date", v->date.date());
        x.set("commit", v->commit);
        x.set("message", v->message);
        x.set("items", std::to_string(v->items));
        list changes;
        int added = 0, removed = 0, changed = 0;
        for (const auto& c : v->changes) {
          data y;
          y.set("label", c.kind == "added" ? "新增" : c.kind == "removed" ? "取消" : "调整");
          y.set("kind", c.kind);
          y.set("code", c.code);
          y.set("name", c.name);
          list fields;
          for (const auto& f : c.fields) {
            data z;
            z.set("field", f.field);
            z.set("before", f.before);
            z.set("after", f.after);
            fields.push_back(z);
          }
          y.set("fields", fields);
          y.set("has_fields", !c.fields.empty());
          changes.push_back(y);
          (c.kind == "added" ? added : c.kind == "removed" ? removed : changed)++;
        }
        x.set("changes", changes);
        x.set("summary", "新增" + std::to_string(added) + "项，取消" + std::to_string(removed) +
                             "项，调整" + std::to_string(changed) + "项");
        versions.push_back(x);
      }
    }
    d.set("versions", versions);
    d.set("has_versions", !versions.empty());
    d.set("updated", l.updated.date());
    emit(urls::responsibility_history(l.department), "responsibility_history", d,
         name + "权责清单调整记录", "responsibilities", "", name);
  }

  list rows_data(
      const std::vector<std::pair<const ResponsibilityList*, const ResponsibilityItem*>>& all,
      const ResponsibilityList* only) const {
    list rows;
    for (const auto& [l, r] : all) {
      if (only && l != only) continue;
      data x;
      // The anchor the search index links this item to (urls::responsibility_item).
      const std::string item_url =
          urls::responsibility_item(l->department, static_cast<int>(r - l->items.data()) + 1);
      x.set("anchor", item_url.substr(item_url.find('#') + 1));
      x.set("code", r->code);
      x.set("name", r->name);
      x.set("type", r->type);
      x.set("basis", r->basis_html);
      x.set("subject", r->subject);
      x.set("office", r->office);
      x.set("duties", r->duties);
      x.set("accountability", r->accountability);
      x.set("supervision", r->supervision);
      x.set("department", dept_name(l->department));
      x.set("department_url", urls::responsibility_list(l->department));
      x.set("updated", l->updated.date());
      rows.push_back(x);
    }
    return rows;
  }

  void emit_combined(
      const std::string& url,
      const std::vector<std::pair<const ResponsibilityList*, const ResponsibilityItem*>>& sel,
      const std::string& type, const std::string& title) {
    data d;
    d.set("title", title);
    d.set("count", std::to_string(sel.size()));
    d.set("rows", rows_data(sel, nullptr));
    d.set("empty", sel.empty());
    list types;
    {
      data all;
      all.set("name", "全部");
      all.set("url", urls::responsibilities());
      all.set("current", type.empty());
      types.push_back(all);
    }
    for (const auto& t : k_power_type_slugs) {
      data x;
      x.set("name", t.name);
      x.set("url", urls::responsibility_type(t.slug));
      x.set("current", type == t.name);
      types.push_back(x);
    }
    d.set("types", types);
    list depts;
    for (const auto& l : m_c.lists) {
      data x;
      x.set("name", dept_name(l.department));
      x.set("url", urls::responsibility_list(l.department));
      x.set("count", std::to_string(l.items.size()));
      x.set("updated", l.updated.date());
      depts.push_back(x);
    }
    d.set("departments", depts);
    // Recent adjustments: the newest version of each list that the history knows.
    list recent;
    for (const auto& l : m_c.lists) {
      auto h = m_opt.history.find(l.department);
      if (h == m_opt.history.end() || h->second.size() < 2) continue;
      const ListVersion& v = h->second.back();
      int added = 0, removed = 0, changed = 0;
      for (const auto& c : v.changes)
        (c.kind == "added" ? added : c.kind == "removed" ? removed : changed)++;
      data x;
      x.set("department", dept_name(l.department));
      x.set("date", v.date.date());
      x.set("url", urls::responsibility_history(l.department));
      x.set("summary", "新增" + std::to_string(added) + "项，取消" + std::to_string(removed) +
                           "项，调整" + std::to_string(changed) + "项");
      recent.push_back(x);
    }
    d.set("recent", recent);
    d.set("has_recent", !recent.empty());
    emit(url, "responsibilities", d, title, "responsibilities");
  }

  // Lists the server answers WeChat menu clicks with (it never reads content files).
  void render_not_found() {
    data d;
    d.set("guide_url", guide_url());
    emit(urls::not_found(), "404", d, "页面未找到", "");
  }

  // The search page is rendered by the server, for each search, from a template the build
  // makes: the layout and search_shell.mustache rendered with the site's data, and the slots
  // (query, title suffix, results) left as Mustache tags. The server never needs the theme's
  // layout logic, and nothing is patched into HTML.
  void render_search_shell() {
    const std::string query = "{{q}}", title_suffix = "{{#q}} - {{q}}{{/q}}";
    data shell;
    shell.set("site", site_data());
    const std::string main = m_theme.render("search_shell", shell);
    const std::string page =
        emit(urls::search(), "search_shell", data(), "站内搜索", "search", "", "",
             {{"query", query}, {"title_suffix", title_suffix}}, k_search_page_template);
    // The server renders the results without the site's data: the root is filled in here.
    m_out.add(k_search_results_template,
              replace_all(m_theme.source("search_results"), "{{site.root}}", urls::home()));
    // Tags come from the slots and the shell only: the site's own texts must not carry any, or
    // the server would read them as slots.
    auto tags = [](const std::string& s) {
      std::size_t n = 0;
      for (auto p = s.find("{{"); p != std::string::npos; p = s.find("{{", p + 2)) ++n;
      return n;
    };
    if (tags(page) != tags(main) + tags(query) + tags(title_suffix))
      throw std::runtime_error(
          "site.toml: the site's texts contain \"{{\", which the search page template cannot hold "
          "(网站信息中不能含有 {{)");
  }

  // The public forms (docs/public-writes.md) are pages of the server, like search: the layout
  // with slots for title, url and body (server/form.mustache), the theme's forms.mustache, and
  // what the forms need to know about the unit (server/forms.json: the villages and departments a
  // 留言 may name, the consultations a response may answer, the offline channels). None of it
  // holds anything the public wrote: that stays in the server's database.
  void render_form_shell() {
    data shell;
    const std::string url = "{{url}}";
    const std::string page =
        emit(urls::folder("apply"), "form_shell", shell, "{{title}}", "interact", "", "",
             {{"url", url}, {"canonical", "{{canonical}}"}},
             contract::server_tree_path(contract::k_form_page_file));
    (void)page;
    m_out.add(contract::server_tree_path(contract::k_forms_file), m_theme.source("forms"));
    const auto& s = m_c.site;
    nlohmann::json related = nlohmann::json::array();
    for (const auto& v : s.villages) related.push_back(v.name);
    for (const auto& d : s.departments) related.push_back(d.name);
    nlohmann::json consultations = nlohmann::json::array();
    for (const Item& it : m_c.items) {
      if (it.section != Section::consultations || !it.is_public() || !it.closes) continue;
      const std::int64_t end =
          it.closes->has_time ? it.closes->epoch : it.closes->local_day_start() + 86400;
      consultations.push_back({{"id", consultation_id(it)},
                               {"title", it.title},
                               {"url", it.url},
                               {"opens", it.opens ? it.opens->epoch : 0},
                               {"closes", end},
                               {"closes_text", it.closes->date()}});
    }
    const nlohmann::json j = {{"org", s.organization.name},        {"phone", s.organization.phone},
                              {"address", s.organization.address}, {"email", s.organization.email},
                              {"guide_url", guide_url()},          {"related", related},
                              {"consultations", consultations}};
    m_out.add(contract::server_tree_path(contract::k_forms_json_file), j.dump(1) + "\n");
  }
};

}  // namespace

bool newer_first(const Item* a, const Item* b) {
  if (a->published.epoch != b->published.epoch) return a->published.epoch > b->published.epoch;
  return a->source < b->source;
}

std::string consultation_id(const Item& item) { return item.url.substr(urls::root().size()); }

ConsultationStatus consultation_status(const Item& item, const DateTime& now) {
  ConsultationStatus st;
  if (item.result && !(now < item.result->published)) return {"已反馈", "answered", 0};
  if (item.opens && now < *item.opens) return {"未开始", "upcoming", 0};
  // A consultation closing on a date stays open through that whole day.
  const std::int64_t end =
      item.closes
          ? (item.closes->has_time ? item.closes->epoch : item.closes->local_day_start() + 86400)
          : 0;
  if (item.closes && now.epoch < end) {
    st = {"征求中", "open", 0};
    st.days_left = (end - now.epoch + 86399) / 86400;
    return st;
  }
  return {"已结束", "closed", 0};
}

bool notice_on_display(const Item& item, const DateTime& now) {
  if (!item.display_from && !item.display_until) return false;
  if (item.display_from && now < *item.display_from) return false;
  if (item.display_until) {
    const std::int64_t end = item.display_until->has_time
                                 ? item.display_until->epoch
                                 : item.display_until->local_day_start() + 86400;
    if (now.epoch >= end) return false;
  }
  return true;
}

const std::vector<const Item*>& Listing::of(Section s) const {
  static const std::vector<const Item*> none;
  const auto it = by_section.find(s);
  return it == by_section.end() ? none : it->second;
}

Listing list_items(const Content& c) {
  Listing l;
  for (const Item& it : c.items) {
    if (it.is_public() && it.withdrawn()) l.withdrawn.push_back(&it);
    if (!it.listed()) continue;
    l.by_section[it.section].push_back(&it);
  }
  for (auto& [s, v] : l.by_section) std::sort(v.begin(), v.end(), newer_first);
  l.menu_pages = l.of(Section::pages);
  std::sort(l.menu_pages.begin(), l.menu_pages.end(), [](const Item* a, const Item* b) {
    return a->weight != b->weight ? a->weight < b->weight : a->source < b->source;
  });
  return l;
}

void render_pages(const Content& content, const Listing& listing, const Theme& theme,
                  const RenderOptions& options, OutputTree& out) {
  SiteRenderer(content, listing, theme, options, out).run();
}

// What the server answers WeChat users with: the site title, the latest items and the guide.
void write_server_lists(const Content& c, const Listing& l, OutputTree& out) {
  std::vector<const Item*> latest;
  for (Section s : {Section::disclosure, Section::notices, Section::consultations})
    latest.insert(latest.end(), l.of(s).begin(), l.of(s).end());
  std::sort(latest.begin(), latest.end(), newer_first);
  contract::WechatLists j{c.site.title, {}, {}};
  for (std::size_t i = 0; i < latest.size() && i < 20; ++i)
    j.latest.push_back({latest[i]->title, latest[i]->url, truncate_chars(latest[i]->summary, 80),
                        latest[i]->published.date()});
  for (const Item* p : l.menu_pages)
    if (p->title.find("指南") != std::string::npos) {
      j.guide = contract::ListEntry{p->title, p->url, truncate_chars(p->summary, 80), ""};
      break;
    }
  out.add(contract::server_tree_path(contract::k_wechat_file), contract::wechat_lists_json(j));
}

void render_channels(const Content& content, const Listing& listing, const DateTime& now,
                     int wechat_days, const std::map<int, YearReport>& reports, OutputTree& out) {
  write_feeds(content, listing.by_section, now, out);
  write_led(content, now, out);
  write_server_lists(content, listing, out);
  write_wechat_articles(content, now, wechat_days, out);
  for (const auto& [year, report] : reports)
    out.add("annual-report/" + std::to_string(year) + ".csv", annual_report_csv(report));
}

}  // namespace gongkai::gen
