#include "app.hpp"
#include "json_text.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <iostream>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "gongkai/content.hpp"
#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/led.hpp"
#include "gongkai/platform.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "http_server.hpp"
#include "led_feed.hpp"
#include "release.hpp"
#include "search_cache.hpp"
#include "search_service.hpp"
#include "static_files.hpp"
#include "wechat.hpp"

namespace gongkai::server {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_body = 64 * 1024;

const char* k_csp =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src "
    "'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

void text_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(message + "\n", "text/plain; charset=utf-8");
}

void json_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(safe_json(nlohmann::json({{"error", message}})),
                  "application/json; charset=utf-8");
}

std::string etag_of(std::string_view body) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(fnv1a64(body)));
  return buf;
}

// Sends body with an ETag, answering If-None-Match with 304.
void send_cached(const httplib::Request& req, httplib::Response& res, std::string body,
                 const std::string& type, const std::string& cache_control) {
  const std::string etag = etag_of(body);
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", cache_control);
  const std::string inm = req.get_header_value("If-None-Match");
  if (!inm.empty() &&
      (inm == etag || inm == "W/" + etag || inm.find(etag) != std::string::npos || inm == "*")) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::move(body), type);
}

// A search section's label: the site's own (gongkai/content.hpp), the name when unknown.
std::string section_label(const std::string& s) {
  const bool known = section_of_name(s) || s == k_responsibilities_name;
  return known ? column_title(s) : s;
}

}  // namespace

// A site the server answers: a site of its own at "/", or on a platform (docs/platform.md) a
// unit under its prefix or the platform's own pages at "/".
struct Host {
  std::string prefix = "/";
  contract::UnitRef unit;  // a platform's unit; id "" for the root
  bool platform_root = false;
  // Shared with the same unit of the next platform release (a PlatformState is never changed
  // once made: requests may still be reading the previous one).
  std::shared_ptr<ReleaseManager> releases;
  std::shared_ptr<WechatService> wechat;  // a unit's own account (unconfigured: 404)
};

// What the platform release names, read again whenever the platform release changes.
struct PlatformState {
  std::string release_id;
  std::vector<std::shared_ptr<Host>> units;      // as platform.json lists them
  std::vector<std::shared_ptr<Host>> by_prefix;  // longest prefix first
  const Host* find(const std::string& id) const {
    for (const auto& h : units)
      if (h->unit.id == id) return h.get();
    return nullptr;
  }
};

// Where a request goes: the host and the path inside its site.
struct Route {
  Host* host = nullptr;
  std::string local;      // the request path without the unit's prefix ("/..." )
  bool redirect = false;  // the prefix without its trailing slash
  std::shared_ptr<const PlatformState> platform;  // keeps the host alive (platform mode)
};

struct App::Impl {
  enum class Mode { unknown, site, platform };

  ServerOptions opt;
  Host site;           // OUTPUT/current: a site of its own
  Host platform_root;  // OUTPUT/platform/current: the platform's pages
  WechatService wechat;
  HttpServer http;
  std::atomic<Mode> m_mode{Mode::unknown};
  std::mutex m_platform_mutex;
  std::shared_ptr<const PlatformState> m_platform;
  std::mutex m_combined_mutex;
  std::shared_ptr<CombinedSearch> m_combined;
  std::unique_ptr<writes::WritesService> forms;  // the public write paths (writes.hpp)

  static ConnectionLimits limits_of(const ServerOptions& o) {
    ConnectionLimits l = o.limits;
    if (o.threads > 0) l.workers = o.threads;
    l.max_body = k_max_body;
    return l;
  }

  std::shared_ptr<ReleaseManager> manager(const fs::path& dir) const {
    return std::make_shared<ReleaseManager>(dir, std::chrono::milliseconds(opt.release_poll_ms),
                                            opt.search_cache);
  }

  explicit Impl(ServerOptions o) : opt(std::move(o)), wechat(opt.wechat), http(limits_of(opt)) {
    site.releases = manager(opt.output_dir);
    platform_root.platform_root = true;
    platform_root.releases = manager(opt.output_dir / contract::k_platform_dir);
    http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "strict-origin-when-cross-origin"},
                              {"Content-Security-Policy", k_csp},
                              {"X-Frame-Options", "DENY"}});
    http.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown error";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          std::cerr << "gongkai-serve: error on " << req.method << " " << req.path << ": " << what
                    << "\n";
          text_error(res, 503, "暂时无法处理请求，请稍后再试 (temporarily unavailable)");
        });
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 404) return not_found(route(req.path), res);
      text_error(res, res.status, "error " + std::to_string(res.status));
    });
    forms = std::make_unique<writes::WritesService>(opt.writes, [this] { return now().epoch; });
    if (opt.access_log)
      http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        std::cerr << req.method << " " << req.target << " " << res.status << "\n";
      });
    routes();
  }

  DateTime now() const {
    if (opt.clock) return opt.clock();
    if (opt.now) return *opt.now;
    const auto t = std::chrono::system_clock::now().time_since_epoch();
    return DateTime::from_epoch(std::chrono::duration_cast<std::chrono::seconds>(t).count());
  }

  // ---- hosts and routing ----------------------------------------------------------------------

  // A platform when OUTPUT/platform/current holds a platform.json, else a site of its own; decided
  // by the first release found (until then every request looks again).
  Mode mode() {
    Mode m = m_mode.load();
    if (m != Mode::unknown) return m;
    std::error_code ec;
    const fs::path platform_current =
        opt.output_dir / contract::k_platform_dir / contract::k_current_link;
    if (fs::exists(contract::server_file(platform_current, contract::k_platform_file), ec))
      m = Mode::platform;
    else if (fs::exists(opt.output_dir / contract::k_current_link, ec))
      m = Mode::site;
    else
      return Mode::site;  // nothing published yet: answered as a site (503)
    m_mode.store(m);
    std::cerr << "gongkai-serve: serving "
              << (m == Mode::platform ? "a platform" : "a site of its own") << " from "
              << opt.output_dir.string() << "\n";
    return m;
  }

  // The units of the current platform release; its platform.json is read once per release.
  std::shared_ptr<const PlatformState> platform_state() {
    auto r = platform_root.releases->current();
    std::lock_guard<std::mutex> lock(m_platform_mutex);
    if (!r) {
      if (!m_platform) m_platform = std::make_shared<PlatformState>();
      return m_platform;
    }
    if (m_platform && m_platform->release_id == r->id) return m_platform;
    auto fresh = std::make_shared<PlatformState>();
    fresh->release_id = r->id;
    try {
      const contract::PlatformIndex index = contract::parse_platform_json(
          read_file(contract::server_file(r->root, contract::k_platform_file)));
      for (const contract::UnitRef& u : index.units) {
        const fs::path out(u.output);
        const bool safe_output =
            !u.output.empty() && out.is_relative() &&
            std::none_of(out.begin(), out.end(), [](const fs::path& c) { return c == ".."; });
        if (!contract::valid_unit_id(u.id) || !contract::valid_unit_prefix(u.prefix) ||
            !safe_output) {
          std::cerr << "gongkai-serve: platform release " << r->id << ": unit \"" << u.id
                    << "\" left out (bad id, prefix or output folder)\n";
          continue;
        }
        auto host = std::make_shared<Host>();
        host->prefix = u.prefix;
        host->unit = u;
        if (m_platform)  // a unit kept from the previous platform release keeps its releases
          for (const auto& h : m_platform->units)
            if (h->unit.id == u.id && h->unit.output == u.output) {
              host->releases = h->releases;
              host->wechat = h->wechat;
            }
        if (!host->releases) {
          host->releases = manager(opt.output_dir / out);
          auto it = opt.wechat_units.find(u.id);
          host->wechat = std::make_shared<WechatService>(
              it != opt.wechat_units.end() ? it->second : WechatConfig{});
        }
        fresh->units.push_back(std::move(host));
      }
    } catch (const std::exception& e) {
      std::cerr << "gongkai-serve: platform release " << r->id << ": cannot read "
                << contract::k_platform_file << ": " << e.what() << "\n";
      if (m_platform) {  // keep the units known so far
        fresh->units = m_platform->units;
      }
    }
    fresh->by_prefix = fresh->units;
    std::stable_sort(
        fresh->by_prefix.begin(), fresh->by_prefix.end(),
        [](const auto& a, const auto& b) { return a->prefix.size() > b->prefix.size(); });
    std::cerr << "gongkai-serve: platform release " << r->id << ": " << fresh->units.size()
              << " unit(s)\n";
    m_platform = fresh;
    return m_platform;
  }

  // The longest unit prefix the path is under, else the root's site.
  Route route(const std::string& path) {
    Route rt;
    if (mode() != Mode::platform) {
      rt.host = &site;
      rt.local = path;
      return rt;
    }
    rt.platform = platform_state();
    for (const auto& h : rt.platform->by_prefix) {
      if (starts_with(path, h->prefix)) {
        rt.host = h.get();
        rt.local = path.substr(h->prefix.size() - 1);
        return rt;
      }
      if (path.size() + 1 == h->prefix.size() && starts_with(h->prefix, path)) {
        rt.host = h.get();
        rt.local = "/";
        rt.redirect = true;
        return rt;
      }
    }
    rt.host = &platform_root;
    rt.local = path;
    return rt;
  }

  // A URL of the host's site: "/x" under its prefix.
  static std::string under(const Host& h, const std::string& url) {
    return h.prefix + url.substr(1);
  }

  // The cross-unit search over the units' current releases: a new one when any of them changed.
  std::shared_ptr<CombinedSearch> combined(const PlatformState& p) {
    std::vector<SearchUnit> units;
    for (const auto& h : p.units)
      units.push_back({h->releases->current(), h->unit.id, h->unit.name, h->unit.kind});
    const std::string key = CombinedSearch::key_of(units);
    std::lock_guard<std::mutex> lock(m_combined_mutex);
    if (!m_combined || m_combined->key() != key)
      m_combined = std::make_shared<CombinedSearch>(std::move(units), opt.search_cache);
    return m_combined;
  }

  std::shared_ptr<const Release> release_or_503(const Route& rt, httplib::Response& res) {
    auto r = rt.host->releases->current();
    if (!r) text_error(res, 503, "网站尚未发布 (no release has been published yet)");
    return r;
  }

  void not_found(const Route& rt, httplib::Response& res) {
    res.status = 404;
    res.set_header("Cache-Control", "no-cache");
    auto r = rt.host->releases->current();
    if (r && !r->not_found_page.empty())
      res.set_content(r->not_found_page, "text/html; charset=utf-8");
    else
      res.set_content("404 页面未找到 (not found)\n", "text/plain; charset=utf-8");
  }

  void routes() {
    if (opt.preview) {
      http.Get("/_preview/reload.js", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        res.set_content(
            "// gongkai preview: reload when the site is rebuilt\n"
            "(function () { var es = new EventSource('/_preview/events');\n"
            "  es.onmessage = function () { location.reload(); }; })();\n",
            "text/javascript; charset=utf-8");
      });
      http.Get("/_preview/preview.css", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(
            ".preview-diagnostics{background:#fff3f3;border:3px solid "
            "#a61b1b;color:#222;padding:8px 16px;font:14px/1.6 monospace;}"
            ".preview-diagnostics li{white-space:pre-wrap;}",
            "text/css; charset=utf-8");
      });
      http.Get("/_preview/events", [this](const httplib::Request&, httplib::Response& res) {
        PreviewState* state = opt.preview;
        const std::uint64_t start = state->wait(~0ULL, std::chrono::milliseconds(0));
        res.set_header("Cache-Control", "no-store");
        res.set_chunked_content_provider(
            "text/event-stream", [state, start](size_t, httplib::DataSink& sink) {
              const std::uint64_t g = state->wait(start, std::chrono::seconds(15));
              if (state->stopping) return false;
              const std::string msg = g != start ? "data: reload\n\n" : ": keep-alive\n\n";
              if (!sink.write(msg.data(), msg.size())) return false;
              if (g != start) {
                sink.done();
                return true;
              }
              return true;
            });
      });
    }
    // Platform-level paths, then everything else by host (dispatch()).
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) { healthz(res); });
    http.Get("/prefs/elder",
             [](const httplib::Request& req, httplib::Response& res) { elder_toggle(req, res); });
    http.Get("/prefs/mode.css",
             [](const httplib::Request& req, httplib::Response& res) { mode_css(req, res); });
    http.Get(R"(/.*)",
             [this](const httplib::Request& req, httplib::Response& res) { dispatch(req, res); });
    http.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      const Route rt = route(req.path);
      if (!rt.redirect && rt.local == urls::wechat()) return wechat_callback(rt, req, res);
      if (!rt.redirect && writes::WritesService::handles(rt.local))
        return public_form(rt, req, res);
      text_error(res, 405, "method not allowed");
    });
    for (const char* m : {"/.*"}) {
      http.Put(m, [](const httplib::Request&, httplib::Response& res) {
        text_error(res, 405, "method not allowed");
      });
      http.Delete(m, [](const httplib::Request&, httplib::Response& res) {
        text_error(res, 405, "method not allowed");
      });
    }
  }

  // A GET (or HEAD) by the host it falls under and the path inside that host's site.
  void dispatch(const httplib::Request& req, httplib::Response& res) {
    const Route rt = route(req.path);
    if (rt.redirect) return res.set_redirect(url_encode_path(rt.host->prefix), 301);
    const std::string& path = rt.local;
    if (path == urls::api_search()) return api_search(rt, req, res);
    if (path == urls::search()) return search_page(rt, req, res);
    if (path == urls::led_screens()) {
      auto r = release_or_503(rt, res);
      if (!r) return;
      return send_cached(req, res, led_screens_json(r->led, rt.host->prefix),
                         "application/json; charset=utf-8", "public, max-age=60");
    }
    static const std::string k_feed = "/led/v1/feed.";
    if (starts_with(path, k_feed)) {
      const std::string format = path.substr(k_feed.size());
      if (format == "txt" || format == "json" || format == "rss") return led(rt, req, res, format);
    }
    // Other /led/ paths are unknown feeds, but the build's static snapshots (/led/snapshot/) are
    // files of the site.
    if (starts_with(path, "/led/") && !starts_with(path, "/led/snapshot/"))
      return text_error(res, 404, "unknown LED path; see " + under(*rt.host, urls::led_screens()));
    if (path == urls::wechat()) return wechat_callback(rt, req, res);
    if (writes::WritesService::handles(path)) return public_form(rt, req, res);
    serve_static(rt, req, res);
  }

  // A unit's public forms (依申请公开, 留言, 征求意见 responses). The platform's own pages have
  // none: each 公开主体 takes its own applications.
  void public_form(const Route& rt, const httplib::Request& req, httplib::Response& res) {
    if (rt.host->platform_root) return not_found(rt, res);
    auto r = release_or_503(rt, res);
    if (!r) return;
    writes::UnitContext u;
    u.unit_id = rt.host == &site ? "site" : rt.host->unit.id;
    u.prefix = rt.host->prefix;
    u.base_url = r->base_url;
    u.page_template = &r->form_page_template;
    u.forms_template = &r->forms_template;
    u.forms_json = &r->forms_json;
    forms->handle(u, rt.local, req, res);
  }

  void healthz(httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    if (mode() != Mode::platform) {
      auto r = site.releases->current();
      nlohmann::json j = {{"status", r ? "ok" : "no-release"},
                          {"release", r ? r->id : ""},
                          {"documents", r ? r->documents : 0}};
      res.status = r ? 200 : 503;
      return res.set_content(j.dump(), "application/json; charset=utf-8");
    }
    const auto p = platform_state();
    auto pr = platform_root.releases->current();
    bool any = pr != nullptr;
    std::size_t documents = 0;
    nlohmann::json units = nlohmann::json::array();
    for (const auto& h : p->units) {
      auto r = h->releases->current();
      any = any || r;
      if (r) documents += r->documents;
      units.push_back({{"id", h->unit.id},
                       {"prefix", h->unit.prefix},
                       {"status", r ? "ok" : "no-release"},
                       {"release", r ? r->id : ""},
                       {"documents", r ? r->documents : 0}});
    }
    nlohmann::json j = {{"status", any ? "ok" : "no-release"},
                        {"mode", "platform"},
                        {"release", pr ? pr->id : ""},
                        {"documents", documents},
                        {"platform", {{"release", pr ? pr->id : ""}}},
                        {"units", units}};
    res.status = any ? 200 : 503;
    res.set_content(j.dump(), "application/json; charset=utf-8");
  }

  void led(const Route& rt, const httplib::Request& req, httplib::Response& res,
           const std::string& format) {
    auto r = release_or_503(rt, res);
    if (!r) return;
    int status = 400;
    std::string error;
    const auto lr = parse_led_params(r->led, req.params, status, error);
    if (!lr) return text_error(res, status, error);
    const LedResponse out = led_feed(r->led, *lr, format, now(), r->base_url);
    send_cached(req, res, out.body, out.content_type, "public, max-age=5");
  }

  void wechat_callback(const Route& rt, const httplib::Request& req, httplib::Response& res) {
    auto r = rt.host->releases->current();
    const WechatRequest wr{req.method, req.params, req.body};
    WechatReply reply;
    if (rt.host == &site) {
      reply = wechat.handle(wr, r.get(), now());
    } else if (rt.host->platform_root) {
      // The platform-wide account searches every unit.
      WechatScope scope;
      auto p = rt.platform;
      scope.search = [this, p](const SearchParams& sp) { return combined(*p)->run(sp); };
      scope.browse_url = "/xxgk/";
      reply = wechat.handle(wr, r.get(), now(), scope);
    } else {
      // A unit's account: the unit's own hits first, the platform's when it has none.
      WechatScope scope;
      scope.root = rt.host->prefix;
      auto p = rt.platform;
      scope.search = [this, p, r](const SearchParams& sp) {
        SearchResult own = run_search(*r, sp);
        if (!own.hits.empty()) return own;
        try {
          return combined(*p)->run(sp);
        } catch (const SearchUnavailable&) {
          return own;
        }
      };
      reply = rt.host->wechat->handle(wr, r.get(), now(), scope);
    }
    res.status = reply.status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(reply.body, reply.content_type);
  }

  // A screen's static snapshot text is in the screen's charset (led_export.cpp), not UTF-8.
  static std::string static_content_type(const Release& r, const std::string& path,
                                         const std::filesystem::path& file) {
    if (starts_with(path, "/led/snapshot/"))
      for (const auto& screen : r.led.screens)
        if (path == urls::led_snapshot(screen.id, "txt"))
          return "text/plain; charset=" + led::content_type_charset(screen.charset);
    return content_type_for(file);
  }

  void serve_static(const Route& rt, const httplib::Request& req, httplib::Response& res) {
    auto r = release_or_503(rt, res);
    if (!r) return;
    const std::string& path = rt.local;
    const auto target = resolve_static(r->site, path);
    if (!target) return not_found(rt, res);
    if (target->redirect_to_slash) {
      std::string loc = url_encode_path(req.path) + "/";
      res.set_redirect(loc, 301);
      return;
    }
    std::string body;
    try {
      body = read_file(target->file);
    } catch (const std::exception&) {
      return not_found(rt, res);  // pruned between resolve and read
    }
    const std::string type = static_content_type(*r, path, target->file);
    const bool immutable_asset = starts_with(path, "/static/");
    if (opt.preview && starts_with(type, "text/html")) {
      std::string banner;
      {
        std::lock_guard<std::mutex> lock(opt.preview->mutex);
        banner = opt.preview->banner_html;
      }
      body = inject_preview(std::move(body), banner);
      res.set_header("Cache-Control", "no-store");
      res.set_content(body, type);
      return;
    }
    send_cached(req, res, std::move(body), type,
                immutable_asset ? "public, max-age=3600" : "public, no-cache");
  }

  // ---- search ---------------------------------------------------------------------------------

  // The search parameters for the host: unit and kind only at a platform's root, where they must
  // name a unit and a kind of the platform.
  std::optional<SearchParams> search_params(const Route& rt, const httplib::Request& req,
                                            std::string& error) {
    auto sp = parse_search_params(req.params, error);
    if (!sp) return sp;
    if (!rt.host->platform_root) {
      sp->unit.clear();
      sp->kind.clear();
      return sp;
    }
    if (!sp->unit.empty() && !rt.platform->find(sp->unit)) {
      std::string ids;
      for (const auto& h : rt.platform->units) ids += (ids.empty() ? "" : ", ") + h->unit.id;
      error = "unit \"" + sp->unit + "\" is not a unit of this platform (" + ids + ")";
      return std::nullopt;
    }
    const auto& kinds = contract::unit_kinds();
    if (!sp->kind.empty() && std::find(kinds.begin(), kinds.end(), sp->kind) == kinds.end()) {
      error = "kind must be one of 乡镇, 街道, 区政府部门, 区政府";
      return std::nullopt;
    }
    return sp;
  }

  // Throws SearchUnavailable.
  SearchAnswerTimed answer(const Route& rt, const Release& r, const SearchParams& sp) {
    if (rt.host->platform_root) return combined(*rt.platform)->answer(sp);
    return search_answer(r, sp);
  }

  void api_search(const Route& rt, const httplib::Request& req, httplib::Response& res) {
    std::string error;
    const auto sp = search_params(rt, req, error);
    if (!sp) return json_error(res, 400, error);
    auto r = rt.host->releases->current();
    if (!r) return json_error(res, 503, "no release has been published yet");
    SearchAnswerTimed a;
    try {
      a = answer(rt, *r, *sp);
    } catch (const SearchUnavailable& e) {
      return json_error(res, 503, e.what());
    }
    // The cached body ends with '}': took_ms (this request's time) goes last.
    const std::string& body = a.answer->api_json;
    char took[48];
    std::snprintf(took, sizeof took, ",\"took_ms\":%.2f}", std::round(a.took_ms * 100) / 100);
    std::string out;
    out.reserve(body.size() + sizeof took);
    out.append(body, 0, body.size() - 1).append(took);
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::move(out), "application/json; charset=utf-8");
  }

  void search_page(const Route& rt, const httplib::Request& req, httplib::Response& res) {
    auto r = release_or_503(rt, res);
    if (!r) return;
    using kainjow::mustache::data;
    using kainjow::mustache::list;
    const bool across = rt.host->platform_root;
    std::string error;
    auto sp = search_params(rt, req, error);
    data d;
    SearchResult result;
    bool searched = false;
    if (!sp) {
      res.status = 400;
      d.set("error", error);
    } else {
      d.set("q", sp->q);
      if (!sp->q.empty() || !sp->section.empty() || !sp->department.empty() ||
          !sp->category.empty() || !sp->year.empty() || !sp->unit.empty() || !sp->kind.empty()) {
        try {
          const SearchAnswerTimed a = answer(rt, *r, *sp);
          result = *a.answer->result;
          result.took_ms = a.took_ms;
          searched = true;
        } catch (const SearchUnavailable& e) {
          res.status = 503;
          d.set("error", std::string("搜索暂不可用：") + e.what());
        }
      }
    }
    // A unit's name as the results show it: its short name when it has one.
    auto unit_label = [&](const std::string& id) {
      const Host* h = rt.platform ? rt.platform->find(id) : nullptr;
      if (!h) return id;
      return h->unit.short_name.empty() ? h->unit.name : h->unit.short_name;
    };
    // A theme whose results template does not name the unit gets it before the section.
    const bool theme_names_unit = r->search_results_template.find("unit_name") != std::string::npos;
    d.set("searched", searched);
    if (searched) {
      d.set("total", std::to_string(result.total));
      d.set("took_ms", std::to_string(static_cast<int>(result.took_ms * 10) / 10.0).substr(0, 4));
      d.set("none", result.hits.empty());
      d.set("relaxed", result.tier >= 2);
      list hits;
      for (const auto& h : result.hits) {
        data x;
        x.set("url", h.url);
        x.set("title", h.title);
        std::string section = section_label(h.section);
        if (!h.unit.empty()) {
          x.set("unit", h.unit);
          x.set("unit_name", h.unit_name);
          if (!theme_names_unit) section = unit_label(h.unit) + " · " + section;
        }
        x.set("section", section);
        x.set("department", h.department);
        x.set("published", h.published);
        x.set("doc_no", h.doc_no);
        x.set("invalid", h.validity != "有效" && !h.validity.empty());
        x.set("validity", h.validity);
        x.set("snippet", h.snippet);
        hits.push_back(x);
      }
      d.set("hits", hits);
      const std::string search_base = under(*rt.host, urls::search_query(sp->q));
      // Facet links keep the query and other filters, and toggle their own.
      auto link = [&](const std::string& key, const std::string& value) {
        std::string u = search_base;
        auto add = [&](const std::string& k, const std::string& v) {
          if (!v.empty()) u += "&" + k + "=" + url_encode_component(v);
        };
        add("unit", key == "unit" ? value : sp->unit);
        add("kind", key == "kind" ? value : sp->kind);
        add("section", key == "section" ? value : sp->section);
        add("department", key == "department" ? value : sp->department);
        add("category", key == "category" ? value : sp->category);
        add("year", key == "year" ? value : sp->year);
        add("validity", key == "validity" ? value : sp->validity);
        if (sp->sort != "relevance") add("sort", sp->sort);
        return u;
      };
      list facets;
      std::vector<std::pair<std::string, std::string>> names = {{"section", "栏目"},
                                                                {"department", "发布机构"},
                                                                {"category", "主题分类"},
                                                                {"year", "年份"},
                                                                {"validity", "有效性"}};
      if (across) names.insert(names.begin(), {{"unit", "公开主体"}, {"kind", "主体类别"}});
      for (const auto& [key, label] : names) {
        auto it = result.facets.find(key);
        if (it == result.facets.end() || it->second.empty()) continue;
        data f;
        f.set("label", label);
        list values;
        std::string current = key == "section"      ? sp->section
                              : key == "department" ? sp->department
                              : key == "category"   ? sp->category
                              : key == "year"       ? sp->year
                              : key == "unit"       ? sp->unit
                              : key == "kind"       ? sp->kind
                                                    : sp->validity;
        if (!current.empty()) {
          data all;
          all.set("name", "全部");
          all.set("url", link(key, ""));
          values.push_back(all);
        }
        std::vector<std::pair<std::string, std::size_t>> vals(it->second.begin(), it->second.end());
        if (key == "year")
          std::reverse(vals.begin(), vals.end());
        else
          std::stable_sort(vals.begin(), vals.end(),
                           [](const auto& a, const auto& b) { return a.second > b.second; });
        for (const auto& [v, n] : vals) {
          data x;
          x.set("name", key == "section" ? section_label(v) : key == "unit" ? unit_label(v) : v);
          x.set("count", std::to_string(n));
          x.set("url", link(key, v));
          x.set("current", v == current);
          values.push_back(x);
        }
        f.set("values", values);
        facets.push_back(f);
      }
      d.set("facets", facets);
      d.set("has_filters", !sp->section.empty() || !sp->department.empty() ||
                               !sp->category.empty() || !sp->year.empty() ||
                               !sp->validity.empty() || !sp->unit.empty() || !sp->kind.empty());
      d.set("clear_filters_url", search_base);
      d.set("sort_date", sp->sort == "date");
      d.set("sort_relevance_url", link("", ""));
      std::string date_url = link("", "");
      if (sp->sort != "date") date_url += "&sort=date";
      d.set("sort_date_url", date_url);
      const int pages = static_cast<int>(
          std::min<std::size_t>(1000, (result.total + sp->per_page - 1) / sp->per_page));
      if (pages > 1) {
        std::string base = link("", "");
        if (sp->sort == "date" && base.find("sort=") == std::string::npos) base += "&sort=date";
        if (sp->page > 1) d.set("prev_url", base + "&page=" + std::to_string(sp->page - 1));
        if (sp->page < pages) d.set("next_url", base + "&page=" + std::to_string(sp->page + 1));
        d.set("page", std::to_string(sp->page));
        d.set("pages", std::to_string(pages));
        d.set("paged", true);
      }
    }
    // The theme's results template fills the page template's slots: q (title, header search box)
    // and results.
    std::string page;
    if (!r->search_results_template.empty())
      page = kainjow::mustache::mustache(r->search_results_template).render(d);
    if (!r->search_page_template.empty()) {
      data slots;
      if (sp && !sp->q.empty()) slots.set("q", sp->q);  // an empty string would open {{#q}}
      slots.set("results", page);
      page = kainjow::mustache::mustache(r->search_page_template).render(slots);
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(page, "text/html; charset=utf-8");
  }

  // 长者模式 (elderly mode) without JavaScript: a link sets a cookie and goes back; every page
  // links /prefs/mode.css, which carries the large-type rules while the cookie is set.
  static void elder_toggle(const httplib::Request& req, httplib::Response& res) {
    const bool on = req.get_param_value("on") != "0";
    std::string back = req.get_param_value("back");
    if (back.empty() || back[0] != '/' ||
        (back.size() > 1 && (back[1] == '/' || back[1] == '\\')) ||
        back.find_first_of("\r\n") != std::string::npos || back.size() > 1000)
      back = "/";
    res.set_header("Set-Cookie", on ? "gk_elder=1; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
                                    : "gk_elder=0; Path=/; Max-Age=0; SameSite=Lax; HttpOnly");
    res.set_header("Cache-Control", "no-store");
    res.set_redirect(url_encode_path(back), 303);
  }

  static void mode_css(const httplib::Request& req, httplib::Response& res) {
    const std::string cookie = req.get_header_value("Cookie");
    const bool elder = cookie.find("gk_elder=1") != std::string::npos;
    res.set_header("Cache-Control", "private, no-cache");
    res.set_header("Vary", "Cookie");
    res.set_content(elder ? "@import url(\"/static/elder.css\");\n" : "/* 标准模式 */\n",
                    "text/css; charset=utf-8");
  }
};

App::App(ServerOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}
App::~App() = default;

int App::bind(const std::string& host, int port) { return m_impl->http.listen_on(host, port); }

bool App::run() {
  // Open the published releases before the first request.
  if (m_impl->mode() == Impl::Mode::platform) {
    for (const auto& h : m_impl->platform_state()->units) h->releases->current();
  } else {
    m_impl->site.releases->current();
  }
  return m_impl->http.serve();
}
void App::stop() { m_impl->http.shutdown(); }
void App::wait_until_ready() const {
  while (!m_impl->http.serving()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}
ConnectionStats App::connection_stats() const { return m_impl->http.stats(); }
store::Store* App::store() const { return m_impl->forms->store(); }

}  // namespace gongkai::server
