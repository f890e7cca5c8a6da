#include "release.hpp"

#include <unistd.h>

#include <iostream>

#include "gongkai/fs.hpp"
#include "search_cache.hpp"
#include "search_service.hpp"

namespace gongkai::server {

namespace fs = std::filesystem;

ReleaseManager::ReleaseManager(fs::path output_dir, std::chrono::milliseconds poll,
                               std::size_t search_cache)
    : m_output(std::move(output_dir)), m_poll(poll), m_search_cache(search_cache) {}

std::shared_ptr<const Release> ReleaseManager::current() {
  std::string target;
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    // Before the first release is open, wait for a load under way rather than answer 503.
    m_loaded.wait(lock, [&] { return m_current || !m_loading; });
    const auto now = std::chrono::steady_clock::now();
    if (m_current && now - m_checked < m_poll) return m_current;
    if (m_loading)
      return m_current;  // another thread opens the new release: serve this one meanwhile
    m_checked = now;
    const fs::path link = m_output / contract::k_current_link;
    char buf[4096];
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return m_current;  // nothing published (yet), or the link is being replaced
    target.assign(buf, static_cast<std::size_t>(n));
    if (m_current && target == m_link_target) return m_current;
    m_loading = true;
  }
  // Opened outside the lock (it reads the document table of the index): requests go on being
  // answered from the previous release until the new one is ready.
  std::shared_ptr<const Release> fresh;
  try {
    fresh = load(target.front() == '/' ? fs::path(target) : m_output / target);
  } catch (const std::exception& e) {
    std::cerr << "gongkai-serve: cannot open release " << target << ": " << e.what()
              << "; still serving the previous one\n";
  }
  std::shared_ptr<const Release> result;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_loading = false;
    if (fresh) {
      m_current = fresh;
      m_link_target = target;
      std::cerr << "gongkai-serve: serving release " << fresh->id << " (" << fresh->documents
                << " documents)\n";
    }
    result = m_current;
  }
  m_loaded.notify_all();
  return result;
}

std::shared_ptr<const Release> ReleaseManager::load(const fs::path& target) {
  auto r = std::make_shared<Release>();
  r->root = fs::canonical(target);
  r->id = r->root.filename().string();
  r->site = fs::canonical(r->root / contract::k_site_dir);
  r->search_db = r->root / contract::k_search_dir;
  r->search = std::make_shared<SearchState>(m_search_cache);
  // Every file but the site is optional: an older or partial release is served with what it has.
  auto server_file = [&](const char* name) -> std::optional<std::string> {
    const fs::path f = contract::server_file(r->root, name);
    return fs::exists(f) ? std::optional<std::string>(read_file(f)) : std::nullopt;
  };
  if (auto t = server_file(contract::k_search_page_file)) r->search_page_template = std::move(*t);
  if (auto t = server_file(contract::k_search_results_file))
    r->search_results_template = std::move(*t);
  if (auto t = server_file(contract::k_form_page_file)) r->form_page_template = std::move(*t);
  if (auto t = server_file(contract::k_forms_file)) r->forms_template = std::move(*t);
  if (auto t = server_file(contract::k_forms_json_file)) r->forms_json = std::move(*t);
  if (fs::exists(r->site / contract::k_not_found_file))
    r->not_found_page = read_file(r->site / contract::k_not_found_file);
  if (auto t = server_file(contract::k_led_file)) r->led = contract::parse_led_json(*t);
  if (auto t = server_file(contract::k_wechat_file)) {
    contract::WechatLists lists = contract::parse_wechat_lists(*t);
    r->site_title = std::move(lists.title);
    r->wechat_latest = std::move(lists.latest);
    if (lists.guide) r->wechat_guide = std::move(*lists.guide);
  }
  if (fs::exists(r->root / contract::k_release_file)) {
    const auto info = contract::parse_release_json(read_file(r->root / contract::k_release_file));
    if (info) {
      r->documents = info->documents;
      r->build_now = info->now;
      r->base_url = info->base_url;
      if (!info->build_id.empty()) r->id = info->build_id;
    }
  }
  prepare_search(*r);
  return r;
}

}  // namespace gongkai::server
