#include "preview_state.hpp"

namespace gongkai::server {

void PreviewState::publish(std::string banner, bool failed_build) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    banner_html = std::move(banner);
    failed = failed_build;
    ++generation;
  }
  changed.notify_all();
}

std::uint64_t PreviewState::wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait_for(lock, timeout, [&] { return generation != seen || stopping.load(); });
  return generation;
}

std::string inject_preview(std::string html, const std::string& banner) {
  const std::string script =
      "<script src=\"/_preview/reload.js\" defer></script><link rel=\"stylesheet\" "
      "href=\"/_preview/preview.css\">";
  if (auto pos = html.find("</head>"); pos != std::string::npos)
    html.insert(pos, script);
  else
    html = script + html;
  if (!banner.empty()) {
    if (auto pos = html.find("<body>"); pos != std::string::npos)
      html.insert(pos + 6, banner);
    else
      html = banner + html;
  }
  return html;
}

}  // namespace gongkai::server
