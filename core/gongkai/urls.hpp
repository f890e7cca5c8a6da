// The site's URL scheme: every public URL of a site is built here, by the generator (pages,
// feeds, the search index, the server's lists) and by the server (search, LED, WeChat) alike.
//
// URLs are site-relative: they start with '/', and a folder's ends with '/'. Parts taken from
// the content (ids, slugs, file names) are used as they are, as the published site has them;
// absolute_encoded() percent-encodes where a consumer needs ASCII (feeds, sitemap, WeChat).
// The generator's output tree holds a URL's page at tree_path(url).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "gongkai/content.hpp"

namespace gongkai::urls {

// ---- the root --------------------------------------------------------------------------------

// Every URL below starts with the root: "/" for a site of its own, the unit's prefix
// ("/towns/bangjun/") while a platform's unit is built (docs/platform.md). A process sets it once,
// before it builds anything: gongkai-build builds one unit per process, and the server keeps "/"
// and strips a unit's prefix from the paths it is asked for. tree_path() strips it.
void set_root(std::string_view prefix);  // "" or "/": a site of its own
const std::string& root();

// ---- pages of the site ------------------------------------------------------------------------

std::string home();                         // the root: "/"
std::string folder(std::string_view name);  // "/<name>/": a top folder of the site
std::string section(Section s);             // "/disclosure/", "/notices/", ...
// An item's page from its content path: disclosure/2021/a.md -> /disclosure/2021/a/;
// x/index.md and x/_index.md -> /x/.
std::string item(std::string_view source);
std::string print(std::string_view item_url);  // the item's print view: <item>print/
// Page n (from 1) of a paginated list at list_url: the list itself, then <list>page/<n>/.
std::string list_page(std::string_view list_url, int n);
std::string disclosure_category(std::string_view id);    // /disclosure/category/<id>/
std::string disclosure_department(std::string_view id);  // /disclosure/department/<id>/
std::string disclosure_year(int year);                   // /disclosure/year/<year>/
std::string attachment(std::string_view source);         // "/" + the percent-encoded content path
std::string annual_report_csv(int year);                 // /annual-report/<year>.csv
std::string not_found();                                 // /404.html (contract::k_not_found_file)

// ---- 权责清单 ---------------------------------------------------------------------------------

std::string responsibilities();                                // /responsibilities/
std::string responsibility_type(std::string_view slug);        // /responsibilities/type/<slug>/
std::string responsibility_list(std::string_view department);  // /responsibilities/<dept>/
// /responsibilities/<dept>/history/
std::string responsibility_history(std::string_view department);
// The n-th item (from 1) of a department's list, as the search index links it.
std::string responsibility_item(std::string_view department, int n);
std::string responsibility_csv(std::string_view department);   // /responsibilities/<dept>.csv
std::string responsibility_json(std::string_view department);  // /responsibilities/<dept>.json
std::string responsibilities_csv();                            // /responsibilities/all.csv
std::string responsibilities_json();                           // /responsibilities/all.json

// ---- feeds and site files ---------------------------------------------------------------------

std::string feed_rss(std::string_view folder_url);   // <folder>index.xml (RSS 2.0)
std::string feed_json(std::string_view folder_url);  // <folder>feed.json (JSON Feed 1.1)
std::string sitemap();                               // /sitemap.xml
std::string robots();                                // /robots.txt
std::string opensearch();                            // /opensearch.xml

// ---- answered by the server -------------------------------------------------------------------

std::string search();                                  // /search (the page)
std::string search_query(std::string_view q);          // /search?q=<encoded q>
std::string api_search();                              // /api/search (JSON)
std::string led_screens();                             // /led/v1/screens.json
std::string led_feed(std::string_view format);         // /led/v1/feed.<txt|json|rss>
std::string led_screen_feed(std::string_view screen);  // /led/v1/feed.txt?screen=<id>
// /led/snapshot/<id>.<ext>: the static snapshots the generator writes
std::string led_snapshot(std::string_view screen, std::string_view ext);
std::string wechat();  // /wechat

// Folders the generator makes itself: content may not claim their URLs.
std::vector<std::string> reserved_folders();

// ---- from URLs to files and absolute addresses -------------------------------------------------

// Where the generator writes a URL's page: "/a/b/" -> "a/b/index.html", "/a.csv" -> "a.csv"
// (the root taken off: "/towns/x/a/" -> "a/index.html").
std::string tree_path(std::string_view url);
// base_url (ending with '/') + the URL without its '/'; the URL itself without a base, or when it
// is not site-relative.
std::string absolute(std::string_view base_url, std::string_view url);
// The same with the URL's path percent-encoded.
std::string absolute_encoded(std::string_view base_url, std::string_view url);

}  // namespace gongkai::urls
