#include "gongkai/urls.hpp"

#include "gongkai/release.hpp"
#include "gongkai/text.hpp"

namespace gongkai::urls {

namespace {

std::string s(std::string_view v) { return std::string(v); }

std::string g_root = "/";  // see set_root()

constexpr std::string_view k_print = "print/";
constexpr std::string_view k_disclosure_category = "category/";
constexpr std::string_view k_disclosure_department = "department/";
constexpr std::string_view k_disclosure_year = "year/";
constexpr std::string_view k_led = "led";        // the server's LED feeds and the snapshots
constexpr std::string_view k_search = "search";  // the search page (answered by the server)

}  // namespace

void set_root(std::string_view prefix) { g_root = prefix.empty() ? "/" : s(prefix); }

const std::string& root() { return g_root; }

std::string home() { return g_root; }

std::string folder(std::string_view name) { return g_root + s(name) + "/"; }

std::string section(Section sec) { return folder(section_name(sec)); }

std::string item(std::string_view source) {
  std::string_view stem = source.substr(0, source.size() - 3);  // drop ".md"
  for (std::string_view idx : {"/index", "/_index"}) {
    if (ends_with(stem, idx)) {
      stem.remove_suffix(idx.size());
      break;
    }
  }
  return folder(stem);
}

std::string print(std::string_view item_url) { return s(item_url) + s(k_print); }

std::string list_page(std::string_view list_url, int n) {
  return n == 1 ? s(list_url) : s(list_url) + "page/" + std::to_string(n) + "/";
}

std::string disclosure_category(std::string_view id) {
  return section(Section::disclosure) + s(k_disclosure_category) + s(id) + "/";
}

std::string disclosure_department(std::string_view id) {
  return section(Section::disclosure) + s(k_disclosure_department) + s(id) + "/";
}

std::string disclosure_year(int year) {
  return section(Section::disclosure) + s(k_disclosure_year) + std::to_string(year) + "/";
}

std::string attachment(std::string_view source) { return g_root + url_encode_path(source); }

std::string annual_report_csv(int year) {
  return g_root + "annual-report/" + std::to_string(year) + ".csv";
}

std::string not_found() { return g_root + s(contract::k_not_found_file); }

std::string responsibilities() { return folder(k_responsibilities_name); }

std::string responsibility_type(std::string_view slug) {
  return responsibilities() + "type/" + s(slug) + "/";
}

std::string responsibility_list(std::string_view department) {
  return responsibilities() + s(department) + "/";
}

std::string responsibility_history(std::string_view department) {
  return responsibility_list(department) + "history/";
}

std::string responsibility_item(std::string_view department, int n) {
  return responsibility_list(department) + "#item-" + std::to_string(n);
}

std::string responsibility_csv(std::string_view department) {
  return responsibilities() + s(department) + ".csv";
}

std::string responsibility_json(std::string_view department) {
  return responsibilities() + s(department) + ".json";
}

std::string responsibilities_csv() { return responsibility_csv("all"); }

std::string responsibilities_json() { return responsibility_json("all"); }

std::string feed_rss(std::string_view folder_url) { return s(folder_url) + "index.xml"; }

std::string feed_json(std::string_view folder_url) { return s(folder_url) + "feed.json"; }

std::string sitemap() { return g_root + "sitemap.xml"; }

std::string robots() { return g_root + "robots.txt"; }

std::string opensearch() { return g_root + "opensearch.xml"; }

std::string search() { return g_root + s(k_search); }

std::string search_query(std::string_view q) { return search() + "?q=" + url_encode_component(q); }

std::string api_search() { return g_root + "api/search"; }

std::string led_screens() { return folder(k_led) + "v1/screens.json"; }

std::string led_feed(std::string_view format) { return folder(k_led) + "v1/feed." + s(format); }

std::string led_screen_feed(std::string_view screen) {
  return led_feed("txt") + "?screen=" + s(screen);
}

std::string led_snapshot(std::string_view screen, std::string_view ext) {
  return folder(k_led) + "snapshot/" + s(screen) + "." + s(ext);
}

std::string wechat() { return g_root + "wechat"; }

std::vector<std::string> reserved_folders() {
  return {section(Section::disclosure),
          section(Section::notices),
          section(Section::consultations),
          section(Section::pages),
          responsibilities(),
          folder(k_search),
          folder(k_led)};
}

std::string tree_path(std::string_view url) {
  std::string p = s(url.substr(starts_with(url, g_root) ? g_root.size() : 1));
  if (p.empty() || p.back() == '/') p += "index.html";
  return p;
}

std::string absolute(std::string_view base_url, std::string_view url) {
  if (base_url.empty() || url.empty() || url.front() != '/') return s(url);
  return s(base_url) + s(url.substr(1));
}

std::string absolute_encoded(std::string_view base_url, std::string_view url) {
  if (base_url.empty() || url.empty() || url.front() != '/') return s(url);
  return s(base_url) + url_encode_path(url.substr(1));
}

}  // namespace gongkai::urls
