#include "preview.hpp"

#include <iostream>

#include "build.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/text.hpp"

namespace gongkai::server {

namespace fs = std::filesystem;

Preview::Preview(fs::path content_dir, fs::path output_dir, fs::path themes_dir)
    : m_content(std::move(content_dir)),
      m_output(std::move(output_dir)),
      m_themes(themes_dir.empty() ? gen::find_themes_dir(m_content) : std::move(themes_dir)) {}

Preview::~Preview() { stop(); }

std::string Preview::fingerprint() const {
  std::string all;
  for (const fs::path& root : {m_content, m_themes}) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec)) continue;
      all += it->path().string();
      all += std::to_string(fs::file_size(it->path(), ec));
      all += std::to_string(fs::last_write_time(it->path(), ec).time_since_epoch().count());
      all += '\n';
    }
  }
  return sha1_hex(all);
}

void Preview::rebuild() {
  gen::BuildOptions o;
  o.content_dir = m_content;
  o.output_dir = m_output;
  o.themes_dir = m_themes;
  o.keep_releases = 2;
  const auto r = gen::build(o);
  std::string banner;
  if (r.exit_code != 0 || r.diagnostics.warning_count() > 0) {
    banner =
        std::string("<div class=\"preview-diagnostics\" role=\"alert\"><p><strong>") +
        (r.exit_code == 0 ? "预览：内容有警告" : "预览：内容有错误，下面仍显示上一次成功的版本") +
        "</strong></p><ul>";
    for (const auto& d : r.diagnostics.sorted())
      banner += "<li>" + html_escape(d.to_string()) + "</li>";
    if (r.exit_code == 2) banner += "<li>" + html_escape(r.environment_error) + "</li>";
    banner += "</ul></div>";
  }
  for (const auto& d : r.diagnostics.sorted()) std::cerr << d.to_string() << "\n";
  std::cerr << "gongkai-serve: preview "
            << (r.exit_code == 0 ? "rebuilt " + r.release_id
                                 : "build failed; still showing the last good build")
            << "\n";
  m_state.publish(banner, r.exit_code != 0);
}

void Preview::start() {
  rebuild();
  m_thread = std::thread([this] {
    std::string last = fingerprint();
    while (!m_state.stopping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const std::string now = fingerprint();
      if (now == last) continue;
      // Editors save in bursts: wait until the folder is quiet for a moment.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      last = fingerprint();
      rebuild();
    }
  });
}

void Preview::stop() {
  m_state.stopping = true;
  m_state.changed.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

}  // namespace gongkai::server
