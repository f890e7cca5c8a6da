#include "release.hpp"

#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "gongkai/fs.hpp"
#include "search_cache.hpp"
#include "search_service.hpp"

namespace gongkai::server {

namespace fs = std::filesystem;

ReleaseManager::ReleaseManager(fs::path output_dir, std::chrono::milliseconds poll, std::size_t search_cache)
    : m_output(std::move(output_dir)), m_poll(poll), m_search_cache(search_cache) {}

std::shared_ptr<const Release> ReleaseManager::current() {
  std::string target;
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    // Before the first release is open, wait for a load under way rather than answer 503.
    m_loaded.wait(lock, [&] { return m_current || !m_loading; });
    const auto now = std::chrono::steady_clock::now();
    if (m_current && now - m_checked < m_poll) return m_current;
    if (m_loading) return m_current;  // another thread opens the new release: serve this one meanwhile
    m_checked = now;
    const fs::path link = m_output / "current";
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
    std::cerr << "gongkai-serve: cannot open release " << target << ": " << e.what() << "; still serving the previous one\n";
  }
  std::shared_ptr<const Release> result;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_loading = false;
    if (fresh) {
      m_current = fresh;
      m_link_target = target;
      std::cerr << "gongkai-serve: serving release " << fresh->id << " (" << fresh->documents << " documents)\n";
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
  r->site = fs::canonical(r->root / "site");
  r->search_db = r->root / "search";
  r->search = std::make_shared<SearchState>(m_search_cache);
  if (fs::exists(r->root / "server" / "search.mustache"))
    r->search_page_template = read_file(r->root / "server" / "search.mustache");
  if (fs::exists(r->root / "server" / "search_results.mustache"))
    r->search_results_template = read_file(r->root / "server" / "search_results.mustache");
  if (fs::exists(r->site / "404.html")) r->not_found_page = read_file(r->site / "404.html");
  if (fs::exists(r->root / "server" / "led.json")) r->led = parse_led_data(read_file(r->root / "server" / "led.json"));
  if (fs::exists(r->root / "server" / "wechat.json")) {
    const auto j = nlohmann::json::parse(read_file(r->root / "server" / "wechat.json"));
    r->site_title = j.value("title", "");
    auto entry = [](const nlohmann::json& e) {
      return ListEntry{e.value("title", ""), e.value("url", ""), e.value("summary", ""), e.value("published", "")};
    };
    for (const auto& e : j.value("latest", nlohmann::json::array())) r->wechat_latest.push_back(entry(e));
    if (j.contains("guide")) r->wechat_guide = entry(j["guide"]);
  }
  if (fs::exists(r->root / "release.json")) {
    const auto j = nlohmann::json::parse(read_file(r->root / "release.json"), nullptr, false);
    if (j.is_object()) {
      r->documents = j.value("documents", std::size_t{0});
      r->build_now = j.value("now", std::string());
      r->base_url = j.value("base_url", std::string());
      if (j.contains("build_id")) r->id = j.value("build_id", r->id);
    }
  }
  prepare_search(*r);
  return r;
}

}  // namespace gongkai::server
