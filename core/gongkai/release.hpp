// The release contract: every path, file name and JSON key of a published release, defined once.
// gongkai-build writes a release and gongkai-serve reads it through these definitions only.
//
//   OUTPUT/current -> releases/<id>     the live release (a relative symbolic link)
//   OUTPUT/current.new                  the next link, made first and renamed over `current`
//   OUTPUT/releases/<id>/
//     site/          the static site                     (tree paths without a prefix)
//     server/        files only the server reads         (tree paths under _server/)
//     wechat/        WeChat article exports              (tree paths under _wechat/)
//     search/        the search index: the XAPIANDB stub naming its glass parts
//     files.sha256   "<sha256>  <published path>\n" per file (`sha256sum -c` in the folder)
//     release.json   ReleaseInfo
//
// A tree path is a file's path in the generator's output tree ('/'-separated, no leading '/');
// its published path is where it lies inside the release folder.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gongkai/content.hpp"
#include "gongkai/led.hpp"

namespace gongkai::contract {

// ---- the output folder ----------------------------------------------------------------------

inline constexpr const char* k_current_link = "current";
inline constexpr const char* k_next_link = "current.new";
inline constexpr const char* k_releases_dir = "releases";
// What `current` points at: releases/<id>, relative to the output folder.
std::filesystem::path release_link_target(const std::string& id);

// ---- a release folder -----------------------------------------------------------------------

inline constexpr const char* k_site_dir = "site";
inline constexpr const char* k_server_dir = "server";
inline constexpr const char* k_wechat_dir = "wechat";
inline constexpr const char* k_search_dir = "search";
inline constexpr const char* k_manifest_file = "files.sha256";
inline constexpr const char* k_release_file = "release.json";

// Tree paths under these prefixes are published beside the site (server/, wechat/), not in it.
inline constexpr const char* k_server_prefix = "_server/";
inline constexpr const char* k_wechat_prefix = "_wechat/";
// "index.html" -> "site/index.html", "_server/led.json" -> "server/led.json",
// "_wechat/…" -> "wechat/…".
std::string published_path(std::string_view tree_path);
// The inverse; nothing for a path outside site/, server/ and wechat/.
std::optional<std::string> tree_path_of(std::string_view published_path);

// Files the generator writes for the server, by name inside server/.
inline constexpr const char* k_led_file = "led.json";                 // LedData
inline constexpr const char* k_wechat_file = "wechat.json";           // WechatLists
inline constexpr const char* k_search_page_file = "search.mustache";  // the themed search page
inline constexpr const char* k_search_results_file = "search_results.mustache";  // its results
inline constexpr const char* k_form_page_file = "form.mustache";  // the themed forms page
inline constexpr const char* k_forms_file = "forms.mustache";     // the theme's forms
inline constexpr const char* k_forms_json_file = "forms.json";    // what the forms know of the unit
// The themed 404 page, in site/ (its URL: urls::not_found()).
inline constexpr const char* k_not_found_file = "404.html";
std::string server_tree_path(std::string_view name);  // "_server/" + name
std::filesystem::path server_file(const std::filesystem::path& release_root, std::string_view name);

// ---- release.json ---------------------------------------------------------------------------

struct ReleaseInfo {
  std::string build_id;       // the release folder's name
  std::string now;            // the build's clock (ISO 8601)
  std::string base_url;       // the site's absolute base URL
  std::size_t documents = 0;  // search documents
  std::size_t pages = 0;      // HTML pages of the site
  std::string generator;      // "gongkai-build <version>"
};
std::string release_json(const ReleaseInfo& info);
// Fields missing from the file are left empty or 0; nothing when the text is not a JSON object.
// Throws nlohmann::json::exception when a field has the wrong type.
std::optional<ReleaseInfo> parse_release_json(const std::string& text);

// ---- server/wechat.json: the lists the server answers WeChat menu clicks with ---------------

struct ListEntry {
  std::string title, url, summary, published;
};
struct WechatLists {
  std::string title;               // the site's title
  std::vector<ListEntry> latest;   // newest items
  std::optional<ListEntry> guide;  // 政府信息公开指南 (written without `published`)
};
std::string wechat_lists_json(const WechatLists& lists);
WechatLists parse_wechat_lists(const std::string& text);  // throws nlohmann::json::exception

// ---- server/led.json: screen profiles and LED items ------------------------------------------

struct LedScreenProfile {
  std::string id, charset, mode;
  int width = 0, height = 0, font = 16, cols = 0, rows = 0;
};
// A screen of site.toml with its text grid: cols = width / (font / 2), rows = height / font.
LedScreenProfile led_screen_profile(const LedScreen& screen);
struct LedData {
  std::vector<LedScreenProfile> screens;
  std::vector<led::LedItem> items;
};
std::string led_json(const LedData& data);
// Throws std::runtime_error (or nlohmann::json::exception) when the text is not one.
LedData parse_led_json(const std::string& text);
// A profile's keys, as led.json and the server's /led/v1/screens.json give them.
nlohmann::json led_screen_json(const LedScreenProfile& screen);

// ---- search/XAPIANDB ------------------------------------------------------------------------

// Xapian's stub file: a line "glass <part>" per glass database, searched as one: the main parts
// 0, 1, ... and, after an update in place, the delta part (search_schema.hpp).
inline constexpr const char* k_search_stub = "XAPIANDB";
std::string search_stub(std::size_t main_parts, bool delta);
// The parts a stub names, one per non-empty line.
std::vector<std::string> search_stub_parts(std::string_view stub);

}  // namespace gongkai::contract
