// Preview (`gongkai-serve --watch CONTENT_DIR`): builds the content folder, watches it and the
// theme, rebuilds on every saved file and tells open pages to reload (server-sent events);
// when the content has errors the pages show the diagnostics. For staff at their desk — what
// `hugo server` gives Hugo users. Links the generator; the production server does not need it.
#pragma once
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace gongkai::server {

struct PreviewState {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t generation = 0;  // bumps after every build
  std::string banner_html;       // diagnostics of the last build ("" when clean)
  bool failed = false;
  std::atomic<bool> stopping{false};

  void publish(std::string banner, bool failed_build);
  // Waits until the generation differs from `seen` or `timeout` passes; returns the generation.
  std::uint64_t wait(std::uint64_t seen, std::chrono::milliseconds timeout);
};

class Preview {
 public:
  Preview(std::filesystem::path content_dir, std::filesystem::path output_dir, std::filesystem::path themes_dir);
  ~Preview();
  void start();  // first build, then the watcher thread
  void stop();
  PreviewState& state() { return m_state; }
  void rebuild();  // builds now (also used by tests)

 private:
  std::string fingerprint() const;

  std::filesystem::path m_content, m_output, m_themes;
  PreviewState m_state;
  std::thread m_thread;
};

// Adds the reload script (and the diagnostics banner) to an HTML page.
std::string inject_preview(std::string html, const std::string& banner);

}  // namespace gongkai::server
