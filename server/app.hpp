// The gongkai-serve application: limits, security headers, logging, the exception handler and
// the routes table over the hosts: one site (OUTPUT/current), or a platform (OUTPUT/platform/current
// and one ReleaseManager per unit, docs/platform.md). Owns the httplib server. Nothing escapes a handler:
// every failure becomes a 4xx with a message, or 503 when the release cannot answer.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gongkai/datetime.hpp"
#include "limits.hpp"
#include "preview_state.hpp"
#include "wechat.hpp"
#include "writes.hpp"

namespace httplib {
class Server;
}

namespace gongkai::server {

struct ServerOptions {
  std::filesystem::path output_dir = "output";
  int threads = 0;                  // workers (requests answered at once); 0: limits.workers
  ConnectionLimits limits;          // connections, deadlines, buffers: [limits] of --config
  std::optional<DateTime> now;      // fixed clock (tests, previews); wall clock when empty
  std::function<DateTime()> clock;  // overrides both (tests move it)
  bool access_log = false;
  int release_poll_ms = 200;
  std::size_t search_cache = 4096;  // answers kept per release (0: compute every search)
  PreviewState* preview = nullptr;  // set by --watch: reload script, diagnostics, /_preview/events
  WechatConfig wechat;              // secrets: environment or --config, never the content folder
  // A platform's per-unit accounts by unit id ([wechat.units.<id>] of --config), at <prefix>wechat.
  std::map<std::string, WechatConfig> wechat_units;
  // The public forms' database and defences ([writes] of --config, --database).
  writes::WritesConfig writes;
};

class App {
 public:
  explicit App(ServerOptions options);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Binds; port 0 picks a free port. Returns the bound port, or -1.
  int bind(const std::string& host, int port);
  // Serves until stop(); returns false when the server could not run.
  bool run();
  void stop();
  void wait_until_ready() const;
  ConnectionStats connection_stats() const;
  // The public forms' database (null when none is configured): the staff console shares it.
  store::Store* store() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace gongkai::server
