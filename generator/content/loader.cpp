#include "loader.hpp"
#include "memo.hpp"
#include "gongkai/parallel.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <toml++/toml.h>

#include "gongkai/fs.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t k_max_text_file = 8u << 20;  // 8 MiB: larger Markdown/TOML is a mistake

// Reads the fields of one TOML table, remembering which keys were used so that the rest can be
// reported as unknown. Positions are converted to file lines with `line_offset`.
class Fields {
 public:
  Fields(const toml::table& table, std::string path, int line_offset, int missing_line,
         Diagnostics& diags)
      : m_table(table),
        m_path(std::move(path)),
        m_offset(line_offset),
        m_missing_line(missing_line),
        m_diags(diags) {}

  const toml::node* get(const std::string& key) {
    m_known.insert(key);
    return m_table.get(key);
  }

  int line(const toml::node& n) const { return static_cast<int>(n.source().begin.line) + m_offset; }
  int column(const toml::node& n) const { return static_cast<int>(n.source().begin.column); }

  void error(const toml::node& n, const std::string& msg) {
    m_diags.error(m_path, line(n), column(n), msg);
  }
  void warning(const toml::node& n, const std::string& msg) {
    m_diags.warning(m_path, line(n), column(n), msg);
  }
  void missing(const std::string& key, const std::string& what) {
    m_diags.error(m_path, m_missing_line, 1, "missing required field `" + key + "` (" + what + ")");
  }

  std::optional<std::string> string(const std::string& key, bool required,
                                    const std::string& what) {
    const toml::node* n = get(key);
    if (!n) {
      if (required) missing(key, what);
      return std::nullopt;
    }
    if (!n->is_string()) {
      error(*n, "`" + key + "` must be a string (" + what + ")");
      return std::nullopt;
    }
    std::string v = trim(n->as_string()->get());
    if (required && v.empty()) {
      error(*n, "`" + key + "` must not be empty (" + what + ")");
      return std::nullopt;
    }
    return v;
  }

  std::optional<std::int64_t> integer(const std::string& key, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) {
      error(*n, "`" + key + "` must be a whole number (" + what + ")");
      return std::nullopt;
    }
    return n->as_integer()->get();
  }

  std::optional<double> number(const std::string& key, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (n->is_floating_point()) return n->as_floating_point()->get();
    error(*n, "`" + key + "` must be a number (" + what + ")");
    return std::nullopt;
  }

  std::optional<bool> boolean(const std::string& key, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) {
      error(*n, "`" + key + "` must be true or false (" + what + ")");
      return std::nullopt;
    }
    return n->as_boolean()->get();
  }

  std::optional<DateTime> datetime(const std::string& key, bool required, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) {
      if (required) missing(key, what);
      return std::nullopt;
    }
    if (const auto* d = n->as_date()) {
      const auto v = d->get();
      return DateTime::from_civil(v.year, v.month, v.day, 0, 0, 0, k_default_offset_minutes, false);
    }
    if (const auto* dt = n->as_date_time()) {
      const auto v = dt->get();
      const int offset = v.offset ? v.offset->minutes : k_default_offset_minutes;
      return DateTime::from_civil(v.date.year, v.date.month, v.date.day, v.time.hour, v.time.minute,
                                  v.time.second, offset, true);
    }
    if (const auto* s = n->as_string()) {
      if (auto parsed = DateTime::parse(trim(s->get()))) return parsed;
      error(*n,
            "`" + key + "` \"" + s->get() +
                "\" is not a valid date; write it as 2022-01-12 or 2022-01-12T08:00:00+08:00 (" +
                what + ")");
      return std::nullopt;
    }
    error(*n, "`" + key + "` must be a date such as 2022-01-12 (" + what + ")");
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> strings(const std::string& key, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    std::vector<std::string> out;
    if (n->is_string()) {  // a single value is taken as a one-element list
      out.push_back(trim(n->as_string()->get()));
      return out;
    }
    const toml::array* arr = n->as_array();
    if (!arr) {
      error(*n, "`" + key + "` must be a list of strings such as [\"a\", \"b\"] (" + what + ")");
      return std::nullopt;
    }
    for (const toml::node& e : *arr) {
      if (!e.is_string()) {
        error(e, "`" + key + "` must contain only strings (" + what + ")");
        return std::nullopt;
      }
      out.push_back(trim(e.as_string()->get()));
    }
    return out;
  }

  const toml::table* table(const std::string& key, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_table()) {
      error(*n, "`" + key + "` must be a table (" + what + ")");
      return nullptr;
    }
    return n->as_table();
  }

  const toml::array* array_of_tables(const std::string& key, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_array_of_tables()) {
      error(*n, "`" + key + "` must be written as [[" + key + "]] tables (" + what + ")");
      return nullptr;
    }
    return n->as_array();
  }

  // Warns about every key that no reader asked for: newer content still builds.
  void warn_unknown(const std::string& where) {
    for (auto&& [k, v] : m_table) {
      if (m_known.count(std::string(k.str()))) continue;
      const int l = static_cast<int>(k.source().begin.line) + m_offset;
      const int c = static_cast<int>(k.source().begin.column);
      m_diags.warning(m_path, l > m_offset ? l : line(v), l > m_offset ? c : column(v),
                      "unknown key `" + std::string(k.str()) + "` in " + where + " is ignored");
    }
  }

  const std::string& path() const { return m_path; }
  Diagnostics& diags() { return m_diags; }
  int offset() const { return m_offset; }

 private:
  const toml::table& m_table;
  std::string m_path;
  int m_offset;
  int m_missing_line;
  Diagnostics& m_diags;
  std::set<std::string> m_known;
};

std::optional<toml::table> parse_toml(const std::string& text, const std::string& path,
                                      int line_offset, Diagnostics& diags) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    diags.error(path, static_cast<int>(e.source().begin.line) + line_offset,
                static_cast<int>(e.source().begin.column),
                "invalid TOML: " + std::string(e.description()));
    return std::nullopt;
  }
}

// Checks text files for what toml++ and cmark would not report: invalid UTF-8 and NUL bytes.
bool check_text(const std::string& data, const std::string& path, Diagnostics& diags) {
  if (!valid_utf8(data)) {
    int line = 1, col = 1;
    std::size_t pos = 0;
    while (pos < data.size()) {
      const std::size_t before = pos;
      const char32_t cp = next_code_point(data, pos);
      if (cp == 0xFFFD && pos - before == 1) break;
      if (cp == '\n') {
        ++line;
        col = 1;
      } else
        ++col;
    }
    diags.error(path, line, col, "file is not valid UTF-8; save it as UTF-8 (文件须为UTF-8编码)");
    return false;
  }
  if (data.find('\0') != std::string::npos) {
    diags.error(path, 1, 1, "file contains NUL bytes; is it a text file?");
    return false;
  }
  return true;
}

std::string ids_of(const auto& v) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += ", ";
    out += x.id;
  }
  return out.empty() ? "(none)" : out;
}

// ---- site.toml -------------------------------------------------------------------------------

template <class T, class Fill>
void read_id_list(Fields& f, const std::string& key, const std::string& what, std::vector<T>& out,
                  Fill fill) {
  const toml::array* arr = f.array_of_tables(key, what);
  if (!arr) return;
  std::map<std::string, int> seen;
  for (const toml::node& n : *arr) {
    const toml::table& t = *n.as_table();
    Fields tf(t, f.path(), f.offset(), f.line(n), f.diags());
    T x;
    auto id = tf.string("id", true, what + " id");
    auto name = tf.string("name", true, what + " name");
    if (!id || !name) continue;
    if (auto it = seen.find(*id); it != seen.end()) {
      tf.error(*tf.get("id"), "duplicate " + key + " id \"" + *id + "\" (first at line " +
                                  std::to_string(it->second) + ")");
      continue;
    }
    seen[*id] = tf.line(*tf.get("id"));
    x.id = *id;
    x.name = *name;
    fill(tf, x);
    tf.warn_unknown("[[" + key + "]]");
    out.push_back(std::move(x));
  }
}

void load_site(const fs::path& file, const std::string& path, const LoadOptions& opt,
               SiteConfig& site, Diagnostics& diags) {
  if (!fs::exists(file)) {
    diags.error(path, 0, 0,
                "site.toml is missing: every content folder needs one (see docs/content.md)");
    return;
  }
  std::string data = strip_bom(read_file(file));
  if (!check_text(data, path, diags)) return;
  auto table = parse_toml(data, path, 0, diags);
  if (!table) return;
  Fields f(*table, path, 0, 1, diags);
  site.title = f.string("title", true, "网站名称").value_or("");
  if (auto base = f.string("base_url", true, "网站地址")) {
    if (!starts_with(*base, "http://") && !starts_with(*base, "https://")) {
      f.error(
          *f.get("base_url"),
          "base_url \"" + *base + "\" must be an absolute URL such as https://www.example.gov.cn/");
    } else {
      site.base_url = *base;
      if (site.base_url.back() != '/') site.base_url += '/';
    }
  }
  site.language = f.string("language", false, "语言").value_or("zh-CN");
  site.description = f.string("description", false, "网站简介").value_or("");
  if (auto theme = f.string("theme", false, "主题")) {
    site.theme = *theme;
    if (!opt.themes_dir.empty() && !fs::is_directory(opt.themes_dir / site.theme))
      f.error(*f.get("theme"),
              "theme \"" + site.theme + "\" does not exist under " + opt.themes_dir.string());
  }
  if (const toml::table* org = f.table("organization", "主办单位")) {
    Fields of(*org, path, 0, f.line(*f.get("organization")), diags);
    auto& o = site.organization;
    o.name = of.string("name", true, "主办单位名称").value_or("");
    if (auto cc = of.string("credit_code", true, "统一社会信用代码")) {
      o.credit_code = *cc;
      if (cc->size() != 18)
        of.warning(*of.get("credit_code"),
                   "credit_code \"" + *cc + "\" should have 18 characters (统一社会信用代码)");
    }
    o.address = of.string("address", false, "地址").value_or("");
    o.phone = of.string("phone", false, "电话").value_or("");
    o.email = of.string("email", false, "电子邮箱").value_or("");
    o.site_code = of.string("site_code", false, "网站标识码").value_or("");
    o.icp = of.string("icp", false, "ICP备案号").value_or("");
    o.police_record = of.string("police_record", false, "公安机关备案号").value_or("");
    of.warn_unknown("[organization]");
  } else {
    f.missing("organization", "[organization] 主办单位");
  }
  read_id_list<Department>(
      f, "department", "发布机构", site.departments,
      [](Fields& tf, Department& d) { d.phone = tf.string("phone", false, "电话").value_or(""); });
  read_id_list<Category>(f, "category", "主题分类", site.categories, [](Fields&, Category&) {});
  read_id_list<Village>(f, "village", "村", site.villages, [](Fields&, Village&) {});
  if (site.departments.empty() && !f.get("department"))
    f.missing("department", "[[department]] 至少一个发布机构");

  if (const toml::table* led = f.table("led", "LED显示屏")) {
    Fields lf(*led, path, 0, f.line(*f.get("led")), diags);
    if (const toml::table* screens = lf.table("screens", "LED显示屏配置")) {
      for (auto&& [k, v] : *screens) {
        const int kl = static_cast<int>(k.source().begin.line);
        if (!v.is_table()) {
          diags.error(path, kl, static_cast<int>(k.source().begin.column),
                      "[led.screens." + std::string(k.str()) + "] must be a table");
          continue;
        }
        Fields sf(*v.as_table(), path, 0, kl, diags);
        LedScreen s;
        s.id = std::string(k.str());
        bool ok = true;
        auto positive = [&](const std::string& key, std::int64_t& out, bool required) {
          auto val = sf.integer(key, "LED " + key);
          if (!val) {
            if (required && !sf.get(key)) {
              sf.missing(key, "LED屏 " + key + " (px)");
              ok = false;
            } else if (sf.get(key))
              ok = false;
            return;
          }
          if (*val <= 0) {
            sf.error(*sf.get(key), "`" + key + "` must be greater than 0");
            ok = false;
            return;
          }
          out = *val;
        };
        positive("width", s.width, true);
        positive("height", s.height, true);
        positive("font", s.font, false);
        if (auto cs = sf.string("charset", false, "字符集")) {
          static const std::set<std::string> k_charsets = {"utf-8", "gbk", "gb18030", "gb2312"};
          std::string lower = *cs;
          std::transform(lower.begin(), lower.end(), lower.begin(),
                         [](unsigned char c) { return std::tolower(c); });
          if (!k_charsets.count(lower)) {
            sf.error(*sf.get("charset"),
                     "charset \"" + *cs + "\" is not one of utf-8, gbk, gb18030, gb2312");
            ok = false;
          } else
            s.charset = lower;
        }
        if (auto mode = sf.string("mode", false, "显示方式")) {
          if (*mode != "lines" && *mode != "marquee" && *mode != "pages") {
            sf.error(*sf.get("mode"), "mode \"" + *mode + "\" is not one of lines, marquee, pages");
            ok = false;
          } else
            s.mode = *mode;
        }
        if (ok && (s.font > s.height || s.font / 2 > s.width)) {
          sf.error(sf.get("font") ? *sf.get("font") : *sf.get("height"),
                   "font of " + std::to_string(s.font) + " px does not fit a " +
                       std::to_string(s.width) + "×" + std::to_string(s.height) + " screen");
          ok = false;
        }
        sf.warn_unknown("[led.screens." + s.id + "]");
        if (ok) site.led_screens.push_back(s);
      }
    }
    lf.warn_unknown("[led]");
  }
  if (const toml::table* ar = f.table("annual_report", "年度报告统计规则")) {
    Fields af(*ar, path, 0, f.line(*f.get("annual_report")), diags);
    if (auto v = af.strings("rule_tags", "规章标签")) site.rules.rule_tags = *v;
    if (auto v = af.strings("normative_tags", "规范性文件标签")) site.rules.normative_tags = *v;
    if (auto v = af.strings("normative_categories", "规范性文件分类"))
      site.rules.normative_categories = *v;
    af.warn_unknown("[annual_report]");
  }
  if (const toml::table* in = f.table("inspection", "网站检查规则")) {
    Fields inf(*in, path, 0, f.line(*f.get("inspection")), diags);
    if (auto v = inf.strings("policy_categories", "政策类栏目")) site.rules.policy_categories = *v;
    if (auto v = inf.integer("news_days", "动态类栏目更新期限")) site.rules.news_days = *v;
    if (auto v = inf.integer("policy_days", "政策类栏目更新期限")) site.rules.policy_days = *v;
    inf.warn_unknown("[inspection]");
  }
  f.warn_unknown("site.toml");
}

// ---- items -----------------------------------------------------------------------------------

const char* k_validity_values = "有效, 失效, 废止";

void check_department(Fields& f, const SiteConfig& site, const std::string& id) {
  if (!site.department(id))
    f.error(*f.get("department"),
            "department \"" + id +
                "\" is not a [[department]] id in site.toml (发布机构不存在); known ids: " +
                ids_of(site.departments));
}

void load_item(Item& item, const std::string& path, const std::string& data, const SiteConfig& site,
               Diagnostics& diags) {
  FrontMatter fm = split_front_matter(data);
  if (!fm.found) {
    diags.error(path, 1, 1,
                "missing front matter: the file must start with a line +++, then TOML fields, then "
                "+++ (缺少 +++ 元数据)");
    return;
  }
  if (fm.unterminated) {
    diags.error(path, 1, 1, "front matter is not closed: add a line +++ after the fields");
    return;
  }
  const int offset = fm.toml_first_line - 1;
  auto table = parse_toml(fm.toml, path, offset, diags);
  if (!table) return;
  item.markdown = std::move(fm.body);
  item.body_line = fm.body_first_line;
  Fields f(*table, path, offset, 1, diags);
  item.title = f.string("title", true, "标题").value_or("");
  item.summary = f.string("summary", false, "摘要").value_or("");
  item.draft = f.boolean("draft", "草稿").value_or(false);
  if (auto tags = f.strings("tags", "标签")) item.tags = *tags;
  if (const toml::table* pv = f.table("privacy", "个人信息例外")) {
    Fields pvf(*pv, path, offset, f.line(*f.get("privacy")), diags);
    if (auto allow = pvf.strings("allow", "允许的类型: id_number, mobile, bank_card")) {
      for (const auto& a : *allow)
        if (a != "id_number" && a != "mobile" && a != "bank_card")
          pvf.error(*pvf.get("allow"),
                    "privacy allow \"" + a + "\" is not one of id_number, mobile, bank_card");
      item.privacy_allow = *allow;
    }
    item.privacy_reason = pvf.string("reason", true, "理由").value_or("");
    pvf.warn_unknown("[privacy]");
  }
  const bool dated = item.section != Section::pages;
  if (auto p = f.datetime("published", dated, "发布日期")) {
    item.published = *p;
    item.has_published = true;
  }
  if (item.section != Section::pages) {
    if (auto d = f.string("department", true, "发布机构")) {
      item.department = *d;
      check_department(f, site, *d);
    }
  }
  switch (item.section) {
    case Section::disclosure: {
      if (auto c = f.string("category", true, "主题分类")) {
        item.category = *c;
        if (!site.category(*c))
          f.error(*f.get("category"),
                  "category \"" + *c +
                      "\" is not a [[category]] id in site.toml (主题分类不存在); known ids: " +
                      ids_of(site.categories));
      }
      item.written = f.datetime("written", false, "成文日期").value_or(item.published);
      item.doc_no = f.string("doc_no", false, "文号").value_or("");
      item.index_no = f.string("index_no", false, "索引号").value_or("");
      if (auto v = f.string("validity", false, "有效性")) {
        if (*v != "有效" && *v != "失效" && *v != "废止")
          f.error(*f.get("validity"), "validity \"" + *v + "\" is not one of " + k_validity_values);
        else
          item.validity = *v;
      }
      item.repealed = f.datetime("repealed", false, "废止日期");
      if (const toml::table* dt = f.table("decision", "行政决定")) {
        Fields df(*dt, path, offset, f.line(*f.get("decision")), diags);
        Decision dec;
        if (auto t = df.string("type", true, "决定类型: 行政许可 或 行政强制")) {
          if (*t != "行政许可" && *t != "行政强制")
            df.error(*df.get("type"),
                     "decision type \"" + *t +
                         "\" is not one of 行政许可, 行政强制 (行政处罚 uses [penalty])");
          dec.type = *t;
        }
        if (auto c = df.integer("count", "决定数")) {
          if (*c < 1) df.error(*df.get("count"), "count must be at least 1");
          dec.count = *c;
        }
        dec.decided = df.datetime("decided", false, "决定日期");
        df.warn_unknown("[decision]");
        item.decision = dec;
      }
      // Any disclosure item may also go on the LED screens (led text and a display window).
      item.led = f.string("led", false, "LED文字").value_or("");
      item.display_from = f.datetime("display_from", false, "展示开始");
      item.display_until = f.datetime("display_until", false, "展示结束");
      item.priority = f.integer("priority", "优先级").value_or(0);
      if (!item.led.empty() && !item.display_until)
        f.warning(*f.get("led"),
                  "an LED text without display_until is never shown; add display_until "
                  "(LED展示须设结束时间)");
      if (const toml::table* pt = f.table("penalty", "行政处罚结果")) {
        Fields pf(*pt, path, offset, f.line(*f.get("penalty")), diags);
        Penalty pen;
        if (auto proc = pf.string("procedure", true, "程序: 简易 或 一般")) {
          if (*proc != "简易" && *proc != "一般")
            pf.error(*pf.get("procedure"), "procedure \"" + *proc + "\" is not one of 简易, 一般");
          pen.procedure = *proc;
        }
        if (auto c = pf.integer("count", "决定数")) {
          if (*c < 1) pf.error(*pf.get("count"), "count must be at least 1");
          pen.count = *c;
        }
        if (auto fine = pf.number("fine", "罚款（元）")) {
          if (*fine < 0) pf.error(*pf.get("fine"), "fine must not be negative");
          pen.fine = *fine;
        }
        if (auto conf = pf.number("confiscated", "没收（元）")) {
          if (*conf < 0) pf.error(*pf.get("confiscated"), "confiscated must not be negative");
          pen.confiscated = *conf;
        }
        pen.decided = pf.datetime("decided", false, "决定日期");
        if (auto w = pf.datetime("withdrawn", false, "撤销日期")) {
          Withdrawal wd;
          wd.date = *w;
          wd.reason = pf.string("withdrawn_reason", false, "撤销理由").value_or("");
          if (wd.reason.empty())
            pf.error(*pf.get("withdrawn"),
                     "a withdrawn penalty needs withdrawn_reason (撤销须说明理由)");
          pen.withdrawn = wd;
        } else if (pf.get("withdrawn_reason")) {
          pf.error(*pf.get("withdrawn_reason"), "withdrawn_reason without withdrawn = <date>");
        }
        pf.warn_unknown("[penalty]");
        item.penalty = pen;
      }
      break;
    }
    case Section::notices: {
      if (auto laws = f.strings("laws", "所涉法律")) item.laws = *laws;
      if (auto villages = f.strings("villages", "张贴村")) {
        for (const auto& v : *villages) {
          if (v != "all" && !site.village(v))
            f.error(*f.get("villages"),
                    "village \"" + v +
                        "\" is not a [[village]] id in site.toml, nor \"all\"; known ids: " +
                        ids_of(site.villages));
        }
        item.villages = *villages;
      } else {
        item.villages = {"all"};
      }
      item.display_from = f.datetime("display_from", false, "展示开始");
      item.display_until = f.datetime("display_until", false, "展示结束");
      if (item.display_from && item.display_until && *item.display_until < *item.display_from)
        f.error(*f.get("display_until"), "display_until is before display_from");
      item.led = f.string("led", false, "LED文字").value_or("");
      item.priority = f.integer("priority", "优先级").value_or(0);
      item.broadcast = f.string("broadcast", false, "广播稿").value_or("");
      break;
    }
    case Section::consultations: {
      item.opens = f.datetime("opens", false, "征求意见开始").value_or(item.published);
      item.closes = f.datetime("closes", true, "征求意见截止");
      item.respond = f.string("respond", false, "意见反馈方式").value_or("");
      if (item.opens && item.closes) {
        if (*item.closes < *item.opens) {
          f.error(*f.get("closes"), "closes is before opens");
        } else {
          const std::int64_t days =
              (item.closes->local_day_start() - item.opens->local_day_start()) / 86400;
          if (days < 30)
            f.warning(*f.get("closes"), "consultation is open " + std::to_string(days) +
                                            " days; a 重大行政决策 should be open at least 30 days "
                                            "(征求意见期限不少于30日)");
        }
      }
      if (const toml::table* rt = f.table("result", "意见采纳情况")) {
        Fields rf(*rt, path, offset, f.line(*f.get("result")), diags);
        ConsultationResult r;
        if (auto p = rf.datetime("published", true, "反馈发布日期")) r.published = *p;
        r.summary = rf.string("summary", true, "意见采纳情况").value_or("");
        rf.warn_unknown("[result]");
        item.result = r;
      }
      break;
    }
    case Section::pages: {
      item.weight = f.integer("weight", "菜单顺序").value_or(0);
      item.menu = f.boolean("menu", "显示在导航").value_or(false);
      break;
    }
  }
  f.warn_unknown("front matter");
}

// ---- responsibility lists ----------------------------------------------------------------------

void load_list(ResponsibilityList& list, const std::string& path, const std::string& data,
               const SiteConfig& site, Diagnostics& diags) {
  auto table = parse_toml(data, path, 0, diags);
  if (!table) return;
  Fields f(*table, path, 0, 1, diags);
  if (auto d = f.string("department", true, "部门")) {
    list.department = *d;
    check_department(f, site, *d);
  }
  if (auto u = f.datetime("updated", true, "调整日期")) list.updated = *u;
  if (const toml::array* items = f.array_of_tables("item", "权责事项")) {
    for (const toml::node& n : *items) {
      Fields it(*n.as_table(), path, 0, f.line(n), diags);
      ResponsibilityItem r;
      r.code = it.string("code", false, "事项编码").value_or("");
      r.name = it.string("name", true, "事项名称").value_or("");
      if (auto type = it.string("type", true, "事项类型")) {
        if (!is_power_type(*type))
          it.error(*it.get("type"), "type \"" + *type + "\" is not one of " + power_types_list());
        r.type = *type;
      }
      r.basis = it.string("basis", true, "设定依据").value_or("");
      r.subject = it.string("subject", true, "行使主体").value_or("");
      r.office = it.string("office", false, "承办机构").value_or("");
      r.duties = it.string("duties", true, "责任事项").value_or("");
      r.accountability = it.string("accountability", false, "追责情形").value_or("");
      r.supervision = it.string("supervision", true, "监督方式").value_or("");
      it.warn_unknown("[[item]]");
      list.items.push_back(std::move(r));
    }
  }
  f.warn_unknown(path);
}

std::optional<Section> section_of(const std::string& top) { return section_of_name(top); }

// URL of an item: disclosure/2021/a.md -> /disclosure/2021/a/ ; x/index.md or x/_index.md -> /x/
std::string item_url(const std::string& rel) { return urls::item(rel); }

}  // namespace

std::string strip_bom(std::string s) {
  if (starts_with(s, "\xEF\xBB\xBF")) s.erase(0, 3);
  return s;
}

FrontMatter split_front_matter(const std::string& file) {
  FrontMatter fm;
  std::size_t pos = 0;
  int line = 1;
  auto next_line = [&](std::string_view& out) -> bool {
    if (pos >= file.size()) return false;
    std::size_t e = file.find('\n', pos);
    if (e == std::string::npos) e = file.size();
    out = std::string_view(file).substr(pos, e - pos);
    if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
    pos = e + 1;
    return true;
  };
  std::string_view l;
  // Leading blank lines before the opening +++ are tolerated.
  while (next_line(l)) {
    if (trim(l).empty()) {
      ++line;
      continue;
    }
    break;
  }
  if (trim(l) != "+++") {
    fm.body = file;
    return fm;
  }
  fm.found = true;
  fm.toml_first_line = line + 1;
  const std::size_t toml_start = pos;
  ++line;
  while (true) {
    const std::size_t line_start = pos;
    if (!next_line(l)) {
      fm.unterminated = true;
      return fm;
    }
    if (trim(l) == "+++") {
      fm.toml = file.substr(toml_start, line_start - toml_start);
      fm.body = pos <= file.size() ? file.substr(std::min(pos, file.size())) : "";
      fm.body_first_line = line + 1;
      return fm;
    }
    ++line;
  }
}

Content load_content(const LoadOptions& opt, Diagnostics& diags) {
  Content content;
  const fs::path root = opt.content_dir;
  if (!fs::is_directory(root))
    throw std::runtime_error("content folder " + root.string() + " does not exist");
  const fs::path root_canon = fs::canonical(root);
  load_site(root / "site.toml", opt.display_prefix + "site.toml", opt, content.site, diags);

  // Walk the tree in a sorted, deterministic order.
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none);
       it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {  // hidden files and folders (.git, editor swap files)
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    const std::string rel = it->path().lexically_relative(root).generic_string();
    if (it->is_symlink()) {
      std::error_code ec;
      const fs::path target = fs::canonical(it->path(), ec);
      const std::string t = target.string(), r = root_canon.string() + "/";
      if (ec || !starts_with(t, r)) {
        diags.error(opt.display_prefix + rel, 0, 0,
                    "symbolic link points outside the content folder and is refused");
        continue;
      }
    }
    if (it->is_directory()) continue;
    if (!it->is_regular_file()) continue;
    files.push_back(rel);
  }
  std::sort(files.begin(), files.end());

  std::map<std::string, std::string> url_owner;  // output url -> source, for duplicates
  struct ItemJob {
    std::string rel, path;
    Section section;
  };
  std::vector<ItemJob> jobs;
  for (const std::string& rel : files) {
    const std::string path = opt.display_prefix + rel;
    if (rel == "site.toml") continue;
    const auto slash = rel.find('/');
    const std::string top = slash == std::string::npos ? "" : rel.substr(0, slash);
    if (top.empty()) {
      diags.warning(path, 0, 0,
                    "file outside the section folders is ignored (disclosure/, responsibilities/, "
                    "notices/, consultations/, pages/)");
      continue;
    }
    const bool is_md = ends_with(rel, ".md");
    if (top == k_responsibilities_name) {
      if (ends_with(rel, ".toml")) {
        const std::uintmax_t size = fs::file_size(root / rel);
        if (size > k_max_text_file) {
          diags.error(path, 0, 0, "file is larger than 8 MiB; split it");
          continue;
        }
        std::string data = strip_bom(read_file(root / rel));
        if (!check_text(data, path, diags)) continue;
        ResponsibilityList list;
        list.source = rel;
        load_list(list, path, data, content.site, diags);
        const std::string stem = fs::path(rel).stem().string();
        if (!list.department.empty() && list.department != stem)
          diags.warning(path, 1, 1,
                        "file name \"" + stem + "\" differs from department \"" + list.department +
                            "\"; name it " + list.department + ".toml");
        content.lists.push_back(std::move(list));
      } else {
        content.attachments.push_back(rel);
      }
      continue;
    }
    const auto section = section_of(top);
    if (!section) {
      diags.warning(path, 0, 0,
                    "folder \"" + top +
                        "\" is not a section and is ignored (disclosure, responsibilities, "
                        "notices, consultations, pages)");
      continue;
    }
    if (!is_md) {
      content.attachments.push_back(rel);
      continue;
    }
    jobs.push_back({rel, path, *section});
  }
  // Items are read and parsed on every core, each worker with its own diagnostics; the results
  // keep the sorted file order, so the output does not depend on the number of threads.
  std::vector<std::optional<Item>> parsed(jobs.size());
  std::vector<ItemRecord> records(opt.records ? jobs.size() : 0);
  std::vector<Diagnostics> worker_diags(static_cast<std::size_t>(std::max(1, opt.threads)));
  parallel_for(jobs.size(), opt.threads, [&](std::size_t i, std::size_t w) {
    const ItemJob& job = jobs[i];
    Diagnostics& d = worker_diags[w];
    FileStamp stamp;
    if (opt.records) {
      stamp = stamp_of(root / job.rel);
      if (MemoEntry* e = opt.memo ? opt.memo->find(job.rel, stamp)
                                  : nullptr) {  // unchanged since the last build
        parsed[i] = std::move(e->item);
        records[i] = std::move(e->record);
        records[i].from_memo = true;
        for (const Diagnostic& x : records[i].load_diags) d.add(x);
        return;
      }
    }
    const std::uintmax_t size = fs::file_size(root / job.rel);
    if (size > k_max_text_file) {
      d.error(job.path, 0, 0,
              "file is larger than 8 MiB; split it or attach the document as a file");
      return;
    }
    std::string data = strip_bom(read_file(root / job.rel));
    if (data.empty() || trim(data).empty()) {
      d.error(job.path, 0, 0, "file is empty; add +++ front matter with at least a title");
      return;
    }
    if (!check_text(data, job.path, d)) return;
    Item item;
    item.section = job.section;
    item.source = job.rel;
    item.url = item_url(job.rel);
    {
      std::string u = item.url.substr(0, item.url.size() - 1);
      item.slug = u.substr(u.rfind('/') + 1);
    }
    Diagnostics mine;
    load_item(item, job.path, data, content.site, mine);
    d.merge(mine);
    if (opt.records) {
      records[i].stamp = stamp;
      records[i].load_diags = mine.all();
      records[i].loaded_index_no = item.index_no;
    }
    parsed[i] = std::move(item);
  });
  for (const Diagnostics& d : worker_diags) diags.merge(d);
  content.items.reserve(jobs.size());
  if (opt.records) {
    opt.records->clear();
    opt.records->reserve(jobs.size());
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!parsed[i]) continue;
    Item& item = *parsed[i];
    if (!item.draft) {
      auto [it, inserted] = url_owner.emplace(item.url, jobs[i].rel);
      if (!inserted)
        diags.error(jobs[i].path, 1, 1,
                    "output path " + item.url + " is also produced by " + opt.display_prefix +
                        it->second + "; rename one of them");
    }
    content.items.push_back(std::move(item));
    if (opt.records) opt.records->push_back(std::move(records[i]));
  }
  // Section index pages are generated; content may not claim their URLs.
  for (const std::string& reserved : urls::reserved_folders()) {
    if (auto it = url_owner.find(reserved); it != url_owner.end())
      diags.error(opt.display_prefix + it->second, 1, 1,
                  "output path " + reserved + " is the generated section page; rename this file");
  }
  std::map<std::string, std::string> list_owner;
  for (const auto& l : content.lists) {
    if (l.department.empty()) continue;
    auto [it, inserted] = list_owner.emplace(l.department, l.source);
    if (!inserted)
      diags.error(opt.display_prefix + l.source, 1, 1,
                  "department \"" + l.department + "\" already has a responsibility list in " +
                      opt.display_prefix + it->second);
  }
  std::sort(content.lists.begin(), content.lists.end(),
            [](const ResponsibilityList& a, const ResponsibilityList& b) {
              return std::tie(a.department, a.source) < std::tie(b.department, b.source);
            });
  return content;
}

}  // namespace gongkai::gen
