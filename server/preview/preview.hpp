// Preview (`gongkai-serve --watch CONTENT_DIR`): builds the content folder, watches it and the
// theme, rebuilds on every saved file and tells open pages to reload (server-sent events);
// when the content has errors the pages show the diagnostics. For staff at their desk — what
// `hugo server` gives Hugo users. Links the generator; the production server does not need it.
#pragma once
#include <filesystem>
#include <string>
#include <thread>

#include "preview_state.hpp"

namespace gongkai::server {

class Preview {
 public:
  // `themes_dir` empty: found as gongkai-build finds it (themes/ beside the content folder, …).
  Preview(std::filesystem::path content_dir, std::filesystem::path output_dir,
          std::filesystem::path themes_dir);
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

}  // namespace gongkai::server
