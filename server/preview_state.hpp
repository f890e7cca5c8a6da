// What the serving code knows of a preview (gongkai-serve --watch, preview.hpp): the state of the
// last build that open pages wait on, and the reload script added to pages. The serving code
// needs nothing else of the preview, so it does not link the generator.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

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

// Adds the reload script (and the diagnostics banner) to an HTML page.
std::string inject_preview(std::string html, const std::string& banner);

}  // namespace gongkai::server
