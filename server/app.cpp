#include "app.hpp"
#include "json_text.hpp"

#include <httplib.h>

#include <chrono>
#include <iostream>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "gongkai/content.hpp"
#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/led.hpp"
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

struct App::Impl {
  ServerOptions opt;
  ReleaseManager releases;
  WechatService wechat;
  HttpServer http;

  static ConnectionLimits limits_of(const ServerOptions& o) {
    ConnectionLimits l = o.limits;
    if (o.threads > 0) l.workers = o.threads;
    l.max_body = k_max_body;
    return l;
  }

  explicit Impl(ServerOptions o)
      : opt(std::move(o)),
        releases(opt.output_dir, std::chrono::milliseconds(opt.release_poll_ms), opt.search_cache),
        wechat(opt.wechat),
        http(limits_of(opt)) {
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
      if (res.status == 404) return not_found(req, res);
      text_error(res, res.status, "error " + std::to_string(res.status));
    });
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

  std::shared_ptr<const Release> release_or_503(httplib::Response& res) {
    auto r = releases.current();
    if (!r) text_error(res, 503, "网站尚未发布 (no release has been published yet)");
    return r;
  }

  void not_found(const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_header("Cache-Control", "no-cache");
    auto r = releases.current();
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
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      auto r = releases.current();
      nlohmann::json j = {{"status", r ? "ok" : "no-release"},
                          {"release", r ? r->id : ""},
                          {"documents", r ? r->documents : 0}};
      res.status = r ? 200 : 503;
      res.set_header("Cache-Control", "no-store");
      res.set_content(j.dump(), "application/json; charset=utf-8");
    });
    http.Get(urls::api_search(),
             [this](const httplib::Request& req, httplib::Response& res) { api_search(req, res); });
    http.Get(urls::search(), [this](const httplib::Request& req, httplib::Response& res) {
      search_page(req, res);
    });
    http.Get("/prefs/elder",
             [](const httplib::Request& req, httplib::Response& res) { elder_toggle(req, res); });
    http.Get("/prefs/mode.css",
             [](const httplib::Request& req, httplib::Response& res) { mode_css(req, res); });
    http.Get(urls::led_screens(), [this](const httplib::Request& req, httplib::Response& res) {
      auto r = release_or_503(res);
      if (!r) return;
      send_cached(req, res, led_screens_json(r->led), "application/json; charset=utf-8",
                  "public, max-age=60");
    });
    http.Get(R"(/led/v1/feed\.(txt|json|rss))",
             [this](const httplib::Request& req, httplib::Response& res) {
               auto r = release_or_503(res);
               if (!r) return;
               int status = 400;
               std::string error;
               const auto lr = parse_led_params(r->led, req.params, status, error);
               if (!lr) return text_error(res, status, error);
               const LedResponse out = led_feed(r->led, *lr, req.matches[1], now(), r->base_url);
               send_cached(req, res, out.body, out.content_type, "public, max-age=5");
             });
    // Other /led/ paths are unknown feeds, but the build's static snapshots (/led/snapshot/) are
    // files of the site.
    http.Get(R"(/led/(?!snapshot/).*)", [](const httplib::Request&, httplib::Response& res) {
      text_error(res, 404, "unknown LED path; see " + urls::led_screens());
    });
    auto wechat_handler = [this](const httplib::Request& req, httplib::Response& res) {
      auto r = releases.current();
      const WechatReply reply = wechat.handle({req.method, req.params, req.body}, r.get(), now());
      res.status = reply.status;
      res.set_header("Cache-Control", "no-store");
      res.set_content(reply.body, reply.content_type);
    };
    http.Get(urls::wechat(), wechat_handler);
    http.Post(urls::wechat(), wechat_handler);
    http.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      serve_static(req, res);
    });
    for (const char* m : {"/.*"}) {
      http.Post(m, [](const httplib::Request&, httplib::Response& res) {
        text_error(res, 405, "method not allowed");
      });
      http.Put(m, [](const httplib::Request&, httplib::Response& res) {
        text_error(res, 405, "method not allowed");
      });
      http.Delete(m, [](const httplib::Request&, httplib::Response& res) {
        text_error(res, 405, "method not allowed");
      });
    }
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

  void serve_static(const httplib::Request& req, httplib::Response& res) {
    auto r = release_or_503(res);
    if (!r) return;
    const auto target = resolve_static(r->site, req.path);
    if (!target) return not_found(req, res);
    if (target->redirect_to_slash) {
      std::string loc = url_encode_path(req.path) + "/";
      res.set_redirect(loc, 301);
      return;
    }
    std::string body;
    try {
      body = read_file(target->file);
    } catch (const std::exception&) {
      return not_found(req, res);  // pruned between resolve and read
    }
    const std::string type = static_content_type(*r, req.path, target->file);
    const bool immutable_asset = starts_with(req.path, "/static/");
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

  void api_search(const httplib::Request& req, httplib::Response& res) {
    std::string error;
    const auto sp = parse_search_params(req.params, error);
    if (!sp) return json_error(res, 400, error);
    auto r = releases.current();
    if (!r) return json_error(res, 503, "no release has been published yet");
    SearchAnswerTimed a;
    try {
      a = search_answer(*r, *sp);
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

  void search_page(const httplib::Request& req, httplib::Response& res) {
    auto r = release_or_503(res);
    if (!r) return;
    using kainjow::mustache::data;
    using kainjow::mustache::list;
    std::string error;
    auto sp = parse_search_params(req.params, error);
    data d;
    SearchResult result;
    bool searched = false;
    if (!sp) {
      res.status = 400;
      d.set("error", error);
    } else {
      d.set("q", sp->q);
      if (!sp->q.empty() || !sp->section.empty() || !sp->department.empty() ||
          !sp->category.empty() || !sp->year.empty()) {
        try {
          result = run_search(*r, *sp);
          searched = true;
        } catch (const SearchUnavailable& e) {
          res.status = 503;
          d.set("error", std::string("搜索暂不可用：") + e.what());
        }
      }
    }
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
        x.set("section", section_label(h.section));
        x.set("department", h.department);
        x.set("published", h.published);
        x.set("doc_no", h.doc_no);
        x.set("invalid", h.validity != "有效" && !h.validity.empty());
        x.set("validity", h.validity);
        x.set("snippet", h.snippet);
        hits.push_back(x);
      }
      d.set("hits", hits);
      // Facet links keep the query and other filters, and toggle their own.
      auto link = [&](const std::string& key, const std::string& value) {
        std::string u = urls::search_query(sp->q);
        auto add = [&](const std::string& k, const std::string& v) {
          if (!v.empty()) u += "&" + k + "=" + url_encode_component(v);
        };
        add("section", key == "section" ? value : sp->section);
        add("department", key == "department" ? value : sp->department);
        add("category", key == "category" ? value : sp->category);
        add("year", key == "year" ? value : sp->year);
        add("validity", key == "validity" ? value : sp->validity);
        if (sp->sort != "relevance") add("sort", sp->sort);
        return u;
      };
      list facets;
      const std::vector<std::pair<std::string, std::string>> names = {{"section", "栏目"},
                                                                      {"department", "发布机构"},
                                                                      {"category", "主题分类"},
                                                                      {"year", "年份"},
                                                                      {"validity", "有效性"}};
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
          x.set("name", key == "section" ? section_label(v) : v);
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
                               !sp->category.empty() || !sp->year.empty() || !sp->validity.empty());
      d.set("clear_filters_url", urls::search_query(sp->q));
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
  m_impl->releases.current();  // open the published release before the first request
  return m_impl->http.serve();
}
void App::stop() { m_impl->http.shutdown(); }
void App::wait_until_ready() const {
  while (!m_impl->http.serving()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}
ConnectionStats App::connection_stats() const { return m_impl->http.stats(); }

}  // namespace gongkai::server
