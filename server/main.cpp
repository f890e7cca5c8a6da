// gongkai-serve: parses arguments and runs the App (app.cpp).
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <ctime>
#include <functional>
#include <string>
#include <thread>

#include <unistd.h>

#include <memory>

#include "app.hpp"
#include "staff.hpp"
#ifdef GONGKAI_PREVIEW
#include "preview.hpp"
#endif

namespace {

const char* k_usage =
    "usage: gongkai-serve [--output DIR] [--listen HOST:PORT] [--threads N] [--config FILE] [--now "
    "ISO8601]\n"
    "                     [--search-cache N] [--access-log] [--watch CONTENT_DIR]\n"
    "\n"
    "Serves OUTPUT/current: static files, /search, /api/search, /led/v1/…, /wechat, /healthz;\n"
    "or, when OUTPUT/platform/current exists, a platform: its pages at /, each unit under its\n"
    "prefix and /search across every unit (docs/platform.md).\n"
    "A new release is picked up without a restart.\n"
    "\n"
    "  --output DIR        output folder of gongkai-build (default: output)\n"
    "  --listen HOST:PORT  address to listen on (default: 127.0.0.1:8080; port 0 picks a free "
    "one)\n"
    "  --threads N         worker threads: requests answered at once (default: 16, or [limits] "
    "workers)\n"
    "  --search-cache N    search answers kept per release (default: 4096; 0 computes each one)\n"
    "  --now TIME          fixed clock, e.g. 2022-03-15T10:00:00+08:00 (previews, tests)\n"
    "  --config FILE       TOML with [limits] (connections, deadlines), [wechat] token, appid, "
    "aes_key\n"
    "                      and [wechat.menu]; [wechat.units.<id>] for a platform's unit\n"
    "                      (or GONGKAI_WECHAT_TOKEN, GONGKAI_WECHAT_APPID, "
    "GONGKAI_WECHAT_AES_KEY)\n"
    "  --database URL      the public forms' database: sqlite:FILE or postgresql://… (or\n"
    "                      [writes] database of --config); without one the forms are off\n"
    "  --staff-listen HOST:PORT  the staff console (intranet or VPN only; needs --database)\n"
    "  --access-log        log every request to stderr\n"
    "  --watch DIR         preview: build DIR, rebuild on every change, reload open pages\n"
    "  --themes DIR        themes folder for --watch (default: themes/ beside DIR)\n";

gongkai::server::App* g_app = nullptr;
gongkai::server::staff::StaffConsole* g_staff = nullptr;

void on_signal(int) {
  if (g_app) g_app->stop();
  if (g_staff) g_staff->stop();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gongkai;
  server::ServerOptions o;
  std::string listen = "127.0.0.1:8080";
  std::string config_file, watch, themes, staff_listen;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "gongkai-serve: " << name << " needs a value\n" << k_usage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << k_usage;
      return 0;
    } else if (a == "--output") {
      o.output_dir = value("--output");
    } else if (a == "--listen") {
      listen = value("--listen");
    } else if (a == "--threads") {
      const std::string v = value("--threads");
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (!end || *end || n < 1 || n > 256) {
        std::cerr << "gongkai-serve: --threads must be from 1 to 256\n";
        return 2;
      }
      o.threads = static_cast<int>(n);
    } else if (a == "--search-cache") {
      const std::string v = value("--search-cache");
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (!end || *end || v.empty() || n < 0 || n > 1000000) {
        std::cerr << "gongkai-serve: --search-cache must be from 0 to 1000000\n";
        return 2;
      }
      o.search_cache = static_cast<std::size_t>(n);
    } else if (a == "--now") {
      const std::string v = value("--now");
      o.now = DateTime::parse(v);
      if (!o.now) {
        std::cerr << "gongkai-serve: --now \"" << v << "\" is not a date or date-time\n";
        return 2;
      }
    } else if (a == "--staff-listen") {
      staff_listen = value("--staff-listen");
    } else if (a == "--database") {
      o.writes.database = value("--database");
    } else if (a == "--config") {
      config_file = value("--config");
    } else if (a == "--watch") {
      watch = value("--watch");
    } else if (a == "--themes") {
      themes = value("--themes");
    } else if (a == "--access-log") {
      o.access_log = true;
    } else {
      std::cerr << "gongkai-serve: unknown argument " << a << "\n" << k_usage;
      return 2;
    }
  }
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "gongkai-serve: --listen must be HOST:PORT\n";
    return 2;
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const int port = std::atoi(listen.substr(colon + 1).c_str());
  try {
    o.wechat = server::load_wechat_config(config_file);
    o.wechat_units = server::load_wechat_unit_configs(config_file);
    o.limits = server::load_connection_limits(config_file);
    const std::string database_flag = o.writes.database;
    o.writes = server::writes::load_writes_config(config_file);
    if (!database_flag.empty()) o.writes.database = database_flag;
  } catch (const std::exception& e) {
    std::cerr << "gongkai-serve: configuration: " << e.what() << "\n";
    return 2;
  }
#ifdef GONGKAI_PREVIEW
  std::unique_ptr<server::Preview> preview;
#else
  std::unique_ptr<int> preview;  // never set: this gongkai-serve has no preview
#endif
  std::filesystem::path preview_output;
  if (!watch.empty()) {
#ifndef GONGKAI_PREVIEW
    std::cerr << "gongkai-serve: --watch needs a gongkai-serve built with preview (cmake "
                 "-DGONGKAI_PREVIEW=ON); "
                 "this one only serves published releases\n";
    return 2;
#else
    if (!std::filesystem::is_directory(watch)) {
      std::cerr << "gongkai-serve: --watch " << watch << " is not a folder\n";
      return 2;
    }
    if (o.output_dir ==
        "output") {  // preview builds go to a scratch folder unless --output is given
      char tmpl[] = "/tmp/gongkai-preview-XXXXXX";
      if (!::mkdtemp(tmpl)) return 2;
      o.output_dir = preview_output = tmpl;
    }
    preview = std::make_unique<server::Preview>(watch, o.output_dir, themes);
    preview->start();
    o.preview = &preview->state();
    o.release_poll_ms = 0;
#endif
  }
  try {
    server::App app(o);
    const int bound = app.bind(host, port);
    if (bound < 0) {
      std::cerr << "gongkai-serve: cannot listen on " << listen << " (in use, or not allowed)\n";
      return 2;
    }
    // The staff console: its own listener, same database, its own thread.
    std::unique_ptr<server::staff::StaffConsole> staff;
    std::thread staff_thread;
    if (!staff_listen.empty()) {
      if (!app.store()) {
        std::cerr << "gongkai-serve: --staff-listen needs a database (--database or [writes] "
                     "database)\n";
        return 2;
      }
      const auto c = staff_listen.rfind(':');
      std::string shost = c == std::string::npos ? "" : staff_listen.substr(0, c);
      if (shost.size() > 2 && shost.front() == '[' && shost.back() == ']')
        shost = shost.substr(1, shost.size() - 2);
      std::function<std::int64_t()> clock = [fixed = o.now] {
        if (fixed) return fixed->epoch;
        return static_cast<std::int64_t>(std::time(nullptr));
      };
      staff = std::make_unique<server::staff::StaffConsole>(
          *app.store(), server::staff::load_staff_config(config_file), clock);
      const int sport = c == std::string::npos ? -1 : std::atoi(staff_listen.substr(c + 1).c_str());
      const int sbound = sport < 0 ? -1 : staff->bind(shost, sport);
      if (sbound < 0) {
        std::cerr << "gongkai-serve: cannot listen on " << staff_listen
                  << " for the staff console\n";
        return 2;
      }
      std::cerr << "gongkai-serve: staff console on http://" << shost << ":" << sbound << "/\n";
      g_staff = staff.get();
      staff_thread = std::thread([&staff] { staff->run(); });
    }
    g_app = &app;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    std::cerr << "gongkai-serve: listening on http://"
              << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":" << bound
              << "/ serving " << o.output_dir.string() << "/current\n";
    const bool ok = app.run();
    if (staff) {
      staff->stop();
      staff_thread.join();
    }
#ifdef GONGKAI_PREVIEW
    if (preview) preview->stop();
#endif
    if (!preview_output.empty()) std::filesystem::remove_all(preview_output);
    return ok ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "gongkai-serve: " << e.what() << "\n";
    return 2;
  }
}
