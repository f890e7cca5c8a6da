// Releases as the server sees them: OUTPUT/current points at OUTPUT/releases/<id>, laid out as
// gongkai/release.hpp says. The manager
// notices a new release by itself (a readlink per check, at most every `poll` interval) and
// hands out shared snapshots, so a request started on one release finishes on it while the
// next requests use the new one. Thread-safe.
#pragma once
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "gongkai/release.hpp"

namespace gongkai::server {

struct SearchState;

using ListEntry = contract::ListEntry;  // an entry of the WeChat lists (gongkai/release.hpp)

struct Release {
  std::string id;                       // build id (folder name)
  std::filesystem::path root;           // canonical OUTPUT/releases/<id>
  std::filesystem::path site;           // canonical root/site
  std::filesystem::path search_db;      // root/search (may not exist)
  std::string search_page_template;     // the themed search page, slots q and results (Mustache)
  std::string not_found_page;           // themed 404 page
  std::string search_results_template;  // theme's search_results.mustache
  std::string form_page_template;       // the themed forms page, slots title, url, canonical, body
  std::string forms_template;           // theme's forms.mustache
  std::string forms_json;               // what the forms know of the unit (server/forms.json)
  std::size_t documents = 0;
  std::string build_now;  // the build's clock (ISO 8601)
  std::string base_url;   // the site's absolute base URL
  contract::LedData led;  // screen profiles and LED items
  std::string site_title;
  std::vector<ListEntry> wechat_latest;  // newest items, for the WeChat menu
  ListEntry wechat_guide;                // 政府信息公开指南
  std::shared_ptr<SearchState> search;   // answer cache and document table of this release
};

class ReleaseManager {
 public:
  // `search_cache` answers are kept per release (0: none).
  explicit ReleaseManager(std::filesystem::path output_dir,
                          std::chrono::milliseconds poll = std::chrono::milliseconds(200),
                          std::size_t search_cache = 4096);
  // The current release, or nullptr when nothing has been published yet.
  std::shared_ptr<const Release> current();

 private:
  std::shared_ptr<const Release> load(const std::filesystem::path& target);

  std::filesystem::path m_output;
  std::chrono::milliseconds m_poll;
  std::size_t m_search_cache;
  std::mutex m_mutex;
  std::condition_variable m_loaded;
  bool m_loading = false;  // a thread is opening a new release
  std::shared_ptr<const Release> m_current;
  std::string m_link_target;
  std::chrono::steady_clock::time_point m_checked{};
};

}  // namespace gongkai::server
