#include "staff.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <iostream>
#include <kainjow/mustache.hpp>
#include <thread>

#include "config_file.hpp"
#include "gongkai/datetime.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/text.hpp"
#include "guard.hpp"
#include "http_server.hpp"
#include "password.hpp"
#include "store.hpp"

namespace gongkai::server::staff {
namespace {

using kainjow::mustache::data;
using kainjow::mustache::list;

constexpr const char* k_session_cookie = "gk_staff";

const char* k_csp =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

const char* k_css =
    R"(body{font:15px/1.6 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#f6f6f6}
header{background:#7d1414;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header a,header button{color:#fff}header form{margin:0 0 0 auto}header button{background:none;border:1px solid #fff;padding:2px 8px;cursor:pointer}
main{max-width:1100px;margin:0 auto;padding:16px;background:#fff}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
.flag-overdue,.flag-error{background:#a61b1b;color:#fff;padding:0 4px}.flag-due_soon,.flag-warn{background:#f0c000;padding:0 4px}
.error{background:#fff0f0;border:2px solid #a61b1b;padding:8px}.ok{background:#f0fff0;border:2px solid #1b7d1b;padding:8px}
form.action{border:1px solid #ccc;padding:8px;margin:8px 0}label{display:block;margin-top:6px}
textarea,input[type=text],input[type=password],select{width:100%;max-width:640px;box-sizing:border-box;font:inherit}
dl.facts{display:grid;grid-template-columns:10em 1fr;gap:2px 12px}dl.facts dt{font-weight:bold}
.pre{white-space:pre-wrap})";

const char* k_layout = R"(<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>{{title}} - 政务公开工作台</title>
<link rel="stylesheet" href="/static/staff.css"></head><body>
<header><strong>政务公开工作台</strong>{{#user}}<a href="/">待办</a><a href="/responses">征求意见反馈</a><a href="/audit">操作日志</a>
<span>{{user}}（{{unit_label}}）</span><form method="post" action="/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">退出</button></form>{{/user}}</header>
<main id="main">{{#flash}}<p class="ok" role="status">{{flash}}</p>{{/flash}}{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
{{{body}}}</main></body></html>
)";

const char* k_login = R"(<h1>登录</h1>
<form method="post" action="/login"><input type="hidden" name="csrf" value="{{login_csrf}}">
<label for="u">用户名</label><input type="text" id="u" name="username" value="{{username}}" autocomplete="username" required>
<label for="p">密码</label><input type="password" id="p" name="password" autocomplete="current-password" required>
<p><button type="submit">登录</button></p></form>)";

const char* k_dashboard = R"(<h1>依申请公开</h1>
<table><thead><tr><th>编号</th><th>单位</th><th>申请人</th><th>状态</th><th>收到申请之日</th><th>答复期限</th></tr></thead><tbody>
{{#applications}}<tr><td><a href="/applications/{{id}}">{{id}}</a></td><td>{{unit}}</td><td>{{name}}</td><td>{{status}}</td><td>{{received}}</td><td>{{due}} {{#flag}}<span class="flag-{{flag}}">{{flag_label}}</span>{{/flag}}</td></tr>{{/applications}}
</tbody></table>{{^applications}}<p>没有申请。</p>{{/applications}}
<h1>留言</h1>
<table><thead><tr><th>编号</th><th>单位</th><th>类型</th><th>标题</th><th>状态</th><th>期限</th></tr></thead><tbody>
{{#messages}}<tr><td><a href="/messages/{{id}}">{{id}}</a></td><td>{{unit}}</td><td>{{type}}</td><td>{{subject}}</td><td>{{status}}</td><td>{{due}} {{#flag}}<span class="flag-{{flag}}">{{flag_label}}</span>{{/flag}}</td></tr>{{/messages}}
</tbody></table>{{^messages}}<p>没有留言。</p>{{/messages}})";

const char* k_application = R"(<h1>{{a.id}}（{{status}}）</h1>
<dl class="facts"><dt>单位</dt><dd>{{a.unit}}</dd><dt>申请人类型</dt><dd>{{a.applicant_type}}</dd><dt>姓名或名称</dt><dd>{{a.name}}</dd>
<dt>证件</dt><dd>{{a.id_type}} {{a.id_number}}</dd><dt>统一社会信用代码</dt><dd>{{a.credit_code}}</dd><dt>联系人</dt><dd>{{a.contact_person}}</dd>
<dt>联系电话</dt><dd>{{a.phone}}</dd><dt>电子邮箱</dt><dd>{{a.email}}</dd><dt>通信地址</dt><dd>{{a.address}} {{a.postcode}}</dd>
<dt>所需信息</dt><dd class="pre">{{a.description}}</dd><dt>提供形式</dt><dd>{{a.form}}</dd><dt>获取方式</dt><dd>{{a.delivery}}</dd>
<dt>收到申请之日</dt><dd>{{a.received_date}}</dd><dt>答复期限</dt><dd>{{a.due_date}}{{#a.extended}}（已延期）{{/a.extended}}</dd>
{{#a.reply_type}}<dt>答复类型</dt><dd>{{a.reply_type}} {{a.reply_ground}}</dd><dt>答复内容</dt><dd class="pre">{{a.reply_text}}</dd>{{/a.reply_type}}</dl>
{{#files}}<p>附件：{{name}}（{{size}} 字节，SHA-256 {{sha256}}）</p>{{/files}}
<h2>办理记录</h2><ol>{{#events}}<li>{{when}} {{actor}}：{{note}}{{#detail}}（{{detail}}）{{/detail}}</li>{{/events}}</ol>
{{#can_receive}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="receive"><button type="submit">受理</button></form>{{/can_receive}}
{{#can_correction}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="correction">
<label for="c-note">需要补正的内容（一次性告知）</label><textarea id="c-note" name="note" rows="3" required></textarea><button type="submit">告知补正</button></form>{{/can_correction}}
{{#can_corrected}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="corrected"><button type="submit">已收到补正后的申请</button></form>{{/can_corrected}}
{{#can_extend}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="extend">
<label for="e-reason">延期理由</label><input type="text" id="e-reason" name="reason" required><button type="submit">延长答复期限 20 个工作日</button></form>{{/can_extend}}
{{#can_answer}}<form class="action" method="post" enctype="multipart/form-data"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="answer">
<label for="r-type">答复类型（条例第三十六条）</label><select id="r-type" name="reply_type">{{#reply_types}}<option>{{name}}</option>{{/reply_types}}</select>
<label for="r-ground">理由（不予公开、无法提供、不予处理、其他处理须选择）</label><select id="r-ground" name="reply_ground"><option value="">无</option>{{#reply_grounds}}<option value="{{ground}}">{{type}}：{{ground}}</option>{{/reply_grounds}}</select>
<label for="r-text">答复内容</label><textarea id="r-text" name="reply_text" rows="6" required></textarea>
<label for="r-file">答复书或所申请的信息（附件，可选，不超过 10 MB；申请人凭查询码下载）</label><input type="file" id="r-file" name="reply_file"><button type="submit">答复</button></form>{{/can_answer}}
{{#can_withdraw}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="withdraw">
<label for="w-note">撤回说明</label><input type="text" id="w-note" name="note" required><button type="submit">申请人撤回</button></form>{{/can_withdraw}})";

const char* k_message = R"(<h1>{{m.id}}（{{status}}）</h1>
<dl class="facts"><dt>单位</dt><dd>{{m.unit}}</dd><dt>类型</dt><dd>{{m.type}}</dd><dt>相关村或部门</dt><dd>{{m.related}}</dd><dt>标题</dt><dd>{{m.subject}}</dd>
<dt>内容</dt><dd class="pre">{{m.body}}</dd><dt>留言人</dt><dd>{{m.name}} {{m.phone}} {{m.email}}</dd><dt>同意公开</dt><dd>{{#m.consent_publish}}是{{/m.consent_publish}}{{^m.consent_publish}}否{{/m.consent_publish}}</dd>
<dt>期限</dt><dd>{{m.due_date}}</dd><dt>承办部门</dt><dd>{{m.department}}</dd>{{#m.answer}}<dt>答复</dt><dd class="pre">{{m.answer}}</dd>{{/m.answer}}
{{#m.published_body}}<dt>公开文本</dt><dd class="pre">{{m.published_body}}</dd>{{/m.published_body}}</dl>
<h2>办理记录</h2><ol>{{#events}}<li>{{when}} {{actor}}：{{note}}{{#detail}}（{{detail}}）{{/detail}}</li>{{/events}}</ol>
{{#can_accept}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="accept">
<label for="a-c">办理类型</label><select id="a-c" name="complexity"><option value="simple">简单事项（{{simple_days}} 个工作日）</option><option value="complex">复杂事项（{{complex_days}} 个工作日）</option></select><button type="submit">受理</button></form>{{/can_accept}}
{{#can_reject}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="reject">
<label for="j-r">不予受理的理由，或应去的渠道</label><input type="text" id="j-r" name="reason" required><button type="submit">不予受理</button></form>{{/can_reject}}
{{#can_assign}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="assign">
<label for="s-d">承办部门</label><input type="text" id="s-d" name="department" required><button type="submit">交办</button></form>{{/can_assign}}
{{#can_extend}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="extend">
<label for="x-r">延期理由</label><input type="text" id="x-r" name="reason" required><label for="x-d">延长工作日数</label><input type="text" id="x-d" name="days" value="5" required><button type="submit">延期</button></form>{{/can_extend}}
{{#can_answer}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="answer">
<label for="n-d">答复部门</label><input type="text" id="n-d" name="department" value="{{m.department}}"><label for="n-a">答复内容</label><textarea id="n-a" name="answer" rows="6" required></textarea><button type="submit">答复</button></form>{{/can_answer}}
{{#can_close}}<form class="action" method="post"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="updated" value="{{updated}}"><input type="hidden" name="action" value="close"><button type="submit">办结</button></form>{{/can_close}})";

const char* k_responses = R"(<h1>征求意见反馈</h1>
<form method="get" action="/responses"><label for="c">征求意见（单位/编号）</label><input type="text" id="c" name="consultation" value="{{consultation}}" placeholder="consultations/2026/heating/"><button type="submit">查看</button></form>
{{#consultation}}<p>共收到意见 {{total}} 条，采纳 {{adopted}} 条。<a href="/responses.csv?consultation={{consultation_q}}">导出 CSV</a></p>
<table><thead><tr><th>时间</th><th>单位</th><th>意见</th><th>姓名或单位</th><th>联系方式</th><th>采纳</th></tr></thead><tbody>
{{#responses}}<tr><td>{{when}}</td><td>{{unit}}</td><td class="pre">{{body}}</td><td>{{name}}</td><td>{{contact}}</td><td><form method="post" action="/responses/{{id}}"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="consultation" value="{{consultation}}"><select name="adopted" aria-label="采纳情况"><option value=""{{#undecided}} selected{{/undecided}}>未定</option><option value="yes"{{#yes}} selected{{/yes}}>采纳</option><option value="no"{{#no}} selected{{/no}}>未采纳</option></select><button type="submit">保存</button></form></td></tr>{{/responses}}
</tbody></table>{{/consultation}})";

const char* k_audit =
    R"(<h1>操作日志</h1><table><thead><tr><th>时间</th><th>操作人</th><th>单位</th><th>操作</th><th>对象</th><th>说明</th></tr></thead><tbody>
{{#entries}}<tr><td>{{when}}</td><td>{{actor}}</td><td>{{unit}}</td><td>{{action}}</td><td>{{object}}</td><td>{{detail}}</td></tr>{{/entries}}</tbody></table>)";

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("no random bytes");
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : raw) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

std::string cookie_value(const std::string& header, const std::string& name) {
  const std::string key = name + "=";
  for (const std::string& part : split(header, ';')) {
    const std::string p = trim(part);
    if (starts_with(p, key)) return p.substr(key.size());
  }
  return "";
}

// A POST's fields: the urlencoded ones, and the text parts of a multipart form (the answer form
// carries the reply's file).
Fields fields_of(const httplib::Request& req) {
  Fields f(req.params.begin(), req.params.end());
  for (const auto& [name, part] : req.files)
    if (part.filename.empty()) f.emplace(name, part.content);
  return f;
}

std::string field_of(const Fields& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : it->second;
}

constexpr std::size_t k_max_attachment = 10
                                         << 20;  // 10 MiB: a scanned reply letter and its annexes

bool same(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string when_text(std::int64_t epoch) {
  const std::string iso = DateTime::from_epoch(epoch).iso8601();
  return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

const char* app_status(const std::string& s) {
  if (s == "submitted") return "待受理";
  if (s == "received") return "办理中";
  if (s == "correction") return "补正中";
  if (s == "extended") return "已延期";
  if (s == "answered") return "已答复";
  if (s == "withdrawn") return "已撤回";
  return "未知";
}

const char* msg_status(const std::string& s) {
  if (s == "pending") return "待审核";
  if (s == "accepted") return "已受理";
  if (s == "rejected") return "不予受理";
  if (s == "in_progress") return "办理中";
  if (s == "answered") return "已答复";
  if (s == "closed") return "办结";
  return "未知";
}

const char* flag_label(const std::string& f) {
  if (f == "overdue") return "已超期";
  if (f == "due_soon") return "5 个工作日内到期";
  if (f == "error") return "即将超过三个月未答复";
  if (f == "warn") return "超过 60 天未答复";
  return "";
}

// CSV cell (RFC 4180), with a leading ' for cells a spreadsheet would read as a formula.
std::string csv_cell(const std::string& s) {
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  return "\"" + replace_all(v, "\"", "\"\"") + "\"";
}

}  // namespace

StaffConfig load_staff_config(const std::filesystem::path& file) {
  StaffConfig c;
  if (file.empty()) return c;
  const toml::table t = parse_config_file(file);
  const toml::table* s = t["staff"].as_table();
  if (!s) return c;
  for (auto&& entry : *s) {
    // Not a structured binding: clang 14 cannot capture one in the lambdas.
    const toml::node& v = entry.second;
    const std::string key(entry.first.str());
    const std::string where = file.string() + ":" + std::to_string(v.source().begin.line) + ":" +
                              std::to_string(v.source().begin.column) + ": ";
    auto number = [&](std::int64_t lo, std::int64_t hi) {
      const auto n = v.value<std::int64_t>();
      if (!v.is_integer() || !n || *n < lo || *n > hi)
        throw std::runtime_error(where + "[staff] " + key + " must be a whole number from " +
                                 std::to_string(lo) + " to " + std::to_string(hi));
      return *n;
    };
    if (key == "secure_cookies") {
      if (!v.is_boolean())
        throw std::runtime_error(where + "[staff] secure_cookies must be true or false");
      c.secure_cookies = *v.value<bool>();
    } else if (key == "max_failures")
      c.max_failures = static_cast<int>(number(1, 100));
    else if (key == "lock_seconds")
      c.lock_seconds = number(1, 86400);
    else if (key == "address_attempts")
      c.address_attempts = static_cast<int>(number(1, 10000));
    else if (key == "address_window")
      c.address_window = number(1, 86400);
    else if (key == "session_seconds")
      c.session_seconds = number(60, 7 * 86400);
    else if (key == "message_simple_days")
      c.messages.simple_days = static_cast<int>(number(1, 60));
    else if (key == "message_complex_days")
      c.messages.complex_days = static_cast<int>(number(1, 90));
    else if (key == "message_warn_days")
      c.messages.warn_days = static_cast<int>(number(1, 365));
    else if (key == "message_error_days")
      c.messages.error_days = static_cast<int>(number(1, 365));
    else
      throw std::runtime_error(where + "unknown key [staff] " + key);
  }
  return c;
}

struct StaffConsole::Impl {
  store::Store& db;
  StaffConfig cfg;
  std::function<std::int64_t()> clock;
  HttpServer http;
  writes::FormGuard login_guard{""};
  writes::RateLimiter attempts;

  static ConnectionLimits limits() {
    ConnectionLimits l;
    l.workers = 4;
    l.max_connections = 512;
    l.max_body = 12 << 20;  // a reply's attachment (10 MiB) in a multipart form
    l.body_timeout = 120;   // on the intranet; a slow upload still ends
    return l;
  }

  Impl(store::Store& s, StaffConfig c, std::function<std::int64_t()> clk)
      : db(s),
        cfg(std::move(c)),
        clock(std::move(clk)),
        http(limits()),
        attempts(cfg.address_attempts, cfg.address_window) {
    http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Content-Security-Policy", k_csp},
                              {"X-Frame-Options", "DENY"},
                              {"Cache-Control", "no-store"}});
    http.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown error";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          std::cerr << "gongkai-serve staff: error on " << req.method << " " << req.path << ": "
                    << what << "\n";
          res.status = 503;
          res.set_content("暂时无法处理，请稍后再试 (temporarily unavailable)\n",
                          "text/plain; charset=utf-8");
        });
    routes();
  }

  struct Who {
    store::StaffUser user;
    store::Session session;
  };

  std::optional<Who> who(const httplib::Request& req) {
    const std::string token = cookie_value(req.get_header_value("Cookie"), k_session_cookie);
    if (token.size() != 64) return std::nullopt;
    auto s = db.session(sha256_hex(token), clock());
    if (!s) return std::nullopt;
    auto u = db.user(s->username);
    if (!u || u->disabled) return std::nullopt;
    return Who{*u, *s};
  }

  bool sees(const Who& w, const std::string& unit) const {
    return w.user.unit == "*" || w.user.unit == unit;
  }

  void audit(const std::string& actor, const std::string& unit, const std::string& action,
             const std::string& object, const std::string& detail) {
    store::AuditEntry e;
    e.at = clock();
    e.actor = actor;
    e.unit = unit;
    e.action = action;
    e.object_id = object;
    e.detail = detail;
    db.audit(e);
  }

  void render(httplib::Response& res, int status, const std::string& title,
              const std::string& body_template, data d, const Who* w) {
    d.set("title", title);
    if (w) {
      d.set("user", w->user.display_name.empty() ? w->user.username : w->user.display_name);
      d.set("unit_label", w->user.unit == "*" ? std::string("全部单位") : w->user.unit);
      d.set("csrf", w->session.csrf);
    }
    const std::string body = kainjow::mustache::mustache(body_template).render(d);
    d.set("body", body);
    res.status = status;
    res.set_content(kainjow::mustache::mustache(k_layout).render(d), "text/html; charset=utf-8");
  }

  void login_page(const httplib::Request& req, httplib::Response& res, int status,
                  const std::string& error, const std::string& username) {
    std::string cookie = writes::FormGuard::cookie_of(req.get_header_value("Cookie"));
    if (cookie.empty()) {
      cookie = writes::FormGuard::new_cookie();
      res.set_header("Set-Cookie", writes::FormGuard::set_cookie(cookie, cfg.secure_cookies));
    }
    data d;
    d.set("login_csrf", login_guard.token("staff-login", cookie, clock()));
    d.set("username", username);
    if (!error.empty()) d.set("error", error);
    render(res, status, "登录", k_login, d, nullptr);
  }

  // A POST of a signed-in member of staff: the session's CSRF token and a same-origin request.
  std::optional<Who> post_guard(const httplib::Request& req, httplib::Response& res) {
    auto w = who(req);
    if (!w) {
      res.status = 401;
      res.set_content("请先登录 (sign in first)\n", "text/plain; charset=utf-8");
      return std::nullopt;
    }
    const std::string problem = writes::cross_site_problem(req.get_header_value("Origin"),
                                                           req.get_header_value("Sec-Fetch-Site"),
                                                           req.get_header_value("Host"));
    const std::string field = field_of(fields_of(req), "csrf");
    if (!problem.empty() || !same(field, w->session.csrf)) {
      audit(w->user.username, w->user.unit, "csrf_refused", req.path, problem);
      res.status = 403;
      res.set_content("表单凭证无效，请刷新页面后重试 (CSRF token missing or wrong)\n",
                      "text/plain; charset=utf-8");
      return std::nullopt;
    }
    return w;
  }

  void routes() {
    http.Get("/static/staff.css", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "public, max-age=3600");
      res.set_content(k_css, "text/css; charset=utf-8");
    });
    http.Get("/login", [this](const httplib::Request& req, httplib::Response& res) {
      login_page(req, res, 200, "", "");
    });
    http.Post("/login",
              [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
    http.Post("/logout", [this](const httplib::Request& req, httplib::Response& res) {
      auto w = post_guard(req, res);
      if (!w) return;
      db.delete_session(w->session.token_hash);
      audit(w->user.username, w->user.unit, "logout", "", "");
      res.set_header("Set-Cookie", std::string(k_session_cookie) +
                                       "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
      res.set_redirect("/login", 303);
    });
    http.Get("/",
             [this](const httplib::Request& req, httplib::Response& res) { dashboard(req, res); });
    http.Get(R"(/applications/([A-Za-z0-9-]{1,40}))",
             [this](const httplib::Request& req, httplib::Response& res) {
               application(req, res, "", 200);
             });
    http.Post(R"(/applications/([A-Za-z0-9-]{1,40}))",
              [this](const httplib::Request& req, httplib::Response& res) {
                application_action(req, res);
              });
    http.Get(R"(/messages/([A-Za-z0-9-]{1,40}))",
             [this](const httplib::Request& req, httplib::Response& res) {
               message(req, res, "", 200);
             });
    http.Post(
        R"(/messages/([A-Za-z0-9-]{1,40}))",
        [this](const httplib::Request& req, httplib::Response& res) { message_action(req, res); });
    http.Get("/responses",
             [this](const httplib::Request& req, httplib::Response& res) { responses(req, res); });
    http.Get("/responses.csv", [this](const httplib::Request& req, httplib::Response& res) {
      responses_csv(req, res);
    });
    http.Post(R"(/responses/([0-9]{1,18}))",
              [this](const httplib::Request& req, httplib::Response& res) {
                response_adopted(req, res);
              });
    http.Get("/audit", [this](const httplib::Request& req, httplib::Response& res) {
      auto w = who(req);
      if (!w) return res.set_redirect("/login", 303);
      list entries;
      for (const auto& e : db.audit_log(w->user.unit == "*" ? "" : w->user.unit, 500)) {
        data x;
        x.set("when", when_text(e.at));
        x.set("actor", e.actor);
        x.set("unit", e.unit);
        x.set("action", e.action);
        x.set("object", e.object_id);
        x.set("detail", e.detail);
        entries.push_back(x);
      }
      data d;
      d.set("entries", entries);
      render(res, 200, "操作日志", k_audit, d, &*w);
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      res.set_content(res.status == 404 ? "404 未找到 (not found)\n"
                                        : "error " + std::to_string(res.status) + "\n",
                      "text/plain; charset=utf-8");
    });
  }

  void login(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t now = clock();
    const std::string addr = writes::client_address(req.remote_addr, "", "", {});
    const std::string username =
        req.has_param("username") ? trim(req.get_param_value("username")) : "";
    const std::string password = req.has_param("password") ? req.get_param_value("password") : "";
    if (!attempts.allow(addr, now)) {
      res.set_header("Retry-After",
                     std::to_string(std::max<std::int64_t>(1, attempts.retry_after(addr, now))));
      audit(username.substr(0, 64), "", "login_throttled", "", addr);
      return login_page(req, res, 429, "登录尝试过于频繁，请稍后再试 (too many attempts)", "");
    }
    const std::string cookie = writes::FormGuard::cookie_of(req.get_header_value("Cookie"));
    const std::string field = req.has_param("csrf") ? req.get_param_value("csrf") : "";
    if (const std::string p = login_guard.check("staff-login", cookie, field, now); !p.empty())
      return login_page(req, res, 403, p, "");
    if (username.empty() || username.size() > 64 || password.size() > 1024)
      return login_page(req, res, 400, "请输入用户名和密码", "");
    auto u = db.user(username);
    if (u && u->locked_until > now) {
      audit(username, u->unit, "login_locked", "", addr);
      res.set_header("Retry-After", std::to_string(u->locked_until - now));
      return login_page(req, res, 429,
                        "该账号因多次登录失败已暂时锁定，请 " +
                            std::to_string((u->locked_until - now + 59) / 60) + " 分钟后再试",
                        username);
    }
    // A missing user costs the same as a wrong password (no timing hint of who exists).
    static const std::string dummy = hash_password("gongkai-dummy-password");
    const bool ok = verify_password(u ? u->password_hash : dummy, password) && u && !u->disabled;
    if (!ok) {
      if (u) {
        u->failed_logins += 1;
        if (u->failed_logins >= cfg.max_failures) {
          u->locked_until = now + cfg.lock_seconds;
          u->failed_logins = 0;
        }
        db.update_user(*u);
      }
      audit(username, u ? u->unit : "", "login_failed", "", addr);
      return login_page(req, res, 401, "用户名或密码不正确", username);
    }
    u->failed_logins = 0;
    u->locked_until = 0;
    db.update_user(*u);
    const std::string token = random_hex(32);
    store::Session s;
    s.token_hash = sha256_hex(token);
    s.username = u->username;
    s.csrf = random_hex(16);
    s.created_at = now;
    s.expires_at = now + cfg.session_seconds;
    db.delete_expired_sessions(now);
    db.add_session(s);
    audit(u->username, u->unit, "login", "", addr);
    res.set_header("Set-Cookie", std::string(k_session_cookie) + "=" + token +
                                     "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                     std::to_string(cfg.session_seconds) +
                                     (cfg.secure_cookies ? "; Secure" : ""));
    res.set_redirect("/", 303);
  }

  void dashboard(const httplib::Request& req, httplib::Response& res) {
    auto w = who(req);
    if (!w) return res.set_redirect("/login", 303);
    const std::int64_t now = clock();
    store::ListQuery q;
    q.unit = w->user.unit;
    q.limit = 500;
    list apps, msgs;
    for (const auto& a : db.applications(q)) {
      data x;
      x.set("id", a.id);
      x.set("unit", a.unit);
      x.set("name", a.name);
      x.set("status", std::string(app_status(a.status)));
      x.set("received", a.received_date);
      x.set("due", a.due_date);
      const bool open =
          a.status != "answered" && a.status != "withdrawn" && a.status != "correction";
      const std::string flag = open ? deadline_flag(a.due_date, now) : "";
      x.set("flag", flag);
      x.set("flag_label", std::string(flag_label(flag)));
      apps.push_back(x);
    }
    for (const auto& m : db.messages(q)) {
      data x;
      x.set("id", m.id);
      x.set("unit", m.unit);
      x.set("type", m.type);
      x.set("subject", m.subject);
      x.set("status", std::string(msg_status(m.status)));
      x.set("due", m.due_date);
      std::string flag = age_flag(m, now, cfg.messages);
      if (flag.empty() && m.status != "answered" && m.status != "closed" && m.status != "rejected")
        flag = deadline_flag(m.due_date, now);
      x.set("flag", flag);
      x.set("flag_label", std::string(flag_label(flag)));
      msgs.push_back(x);
    }
    data d;
    d.set("applications", apps);
    d.set("messages", msgs);
    render(res, 200, "待办", k_dashboard, d, &*w);
  }

  static list events_list(const std::vector<store::Event>& events) {
    list l;
    for (const auto& e : events) {
      if (e.public_note.empty() && e.detail.empty()) continue;
      data x;
      x.set("when", when_text(e.at));
      x.set("actor", e.actor == "public" ? std::string("申请人") : e.actor);
      x.set("note", e.public_note);
      x.set("detail", e.detail);
      l.push_back(x);
    }
    return l;
  }

  // Another unit's record is "not found", as if it did not exist.
  void application(const httplib::Request& req, httplib::Response& res, const std::string& flash,
                   int status) {
    auto w = who(req);
    if (!w) return res.set_redirect("/login", 303);
    const std::string id = req.matches[1];
    auto a = db.application(id);
    if (!a || !sees(*w, a->unit)) {
      res.status = 404;
      res.set_content("没有这个申请 (no such application)\n", "text/plain; charset=utf-8");
      return;
    }
    audit(w->user.username, a->unit, "view", id, "");
    data d;
    data ad;
    ad.set("id", a->id);
    ad.set("unit", a->unit);
    ad.set("applicant_type", a->applicant_type);
    ad.set("name", a->name);
    ad.set("id_type", a->id_type);
    ad.set("id_number", a->id_number);
    ad.set("credit_code", a->credit_code);
    ad.set("contact_person", a->contact_person);
    ad.set("phone", a->phone);
    ad.set("email", a->email);
    ad.set("address", a->address);
    ad.set("postcode", a->postcode);
    ad.set("description", a->description);
    ad.set("form", a->form);
    ad.set("delivery", a->delivery);
    ad.set("received_date", a->received_date);
    ad.set("due_date", a->due_date);
    ad.set("extended", a->extended);
    ad.set("reply_type", a->reply_type);
    ad.set("reply_ground", a->reply_ground);
    ad.set("reply_text", a->reply_text);
    d.set("a", ad);
    d.set("status", std::string(app_status(a->status)));
    d.set("events", events_list(db.events(id)));
    list files;
    for (const auto& f : db.attachments(id)) {
      data x;
      x.set("name", f.name);
      x.set("size", std::to_string(f.size));
      x.set("sha256", f.sha256);
      files.push_back(x);
    }
    d.set("files", files);
    d.set("updated", std::to_string(a->updated_at));
    for (const auto& act : application_actions(*a)) d.set("can_" + act, true);
    list types, grounds;
    for (const auto& t : reply_types()) {
      data x;
      x.set("name", t.name);
      types.push_back(x);
      for (const auto& g : t.grounds) {
        data y;
        y.set("type", t.name);
        y.set("ground", g);
        grounds.push_back(y);
      }
    }
    d.set("reply_types", types);
    d.set("reply_grounds", grounds);
    if (!flash.empty()) d.set(status < 400 ? "flash" : "error", flash);
    render(res, status, a->id, k_application, d, &*w);
  }

  void application_action(const httplib::Request& req, httplib::Response& res) {
    auto w = post_guard(req, res);
    if (!w) return;
    const std::string id = req.matches[1];
    auto a = db.application(id);
    if (!a || !sees(*w, a->unit)) {
      res.status = 404;
      res.set_content("没有这个申请 (no such application)\n", "text/plain; charset=utf-8");
      return;
    }
    const Fields f = fields_of(req);
    const std::string action = field_of(f, "action");
    const std::string updated = field_of(f, "updated");
    if (updated != std::to_string(a->updated_at))
      return application(req, res, "该申请已被他人更新，请查看最新状态后重新操作", 409);
    // The reply's file, with the answer only.
    std::optional<store::Attachment> file;
    if (action == "answer" && req.has_file("reply_file") &&
        !req.get_file_value("reply_file").filename.empty()) {
      const auto& part = req.get_file_value("reply_file");
      if (part.content.size() > k_max_attachment)
        return application(req, res, "附件不能超过 10 MB", 413);
      const std::string name = trim(part.filename);
      if (!valid_utf8(name) || name.size() > 200 ||
          name.find_first_of("/\\\r\n") != std::string::npos)
        return application(req, res, "附件文件名无效", 400);
      file = store::Attachment{};
      file->object_id = id;
      file->name = name;
      file->content_type = part.content_type.substr(0, 100);
      file->actor = w->user.username;
      file->data = part.content;
    }
    const std::int64_t expected = a->updated_at;
    const auto history = db.events(id);
    Outcome o = act_on_application(*a, history, action, f, w->user.username, clock());
    if (!o.error.empty()) return application(req, res, o.error, 400);
    if (file) o.event.detail = "附件：" + file->name;
    if (!db.update_application(*a, expected, o.event))
      return application(req, res, "该申请已被他人更新，请查看最新状态后重新操作", 409);
    if (file) db.add_attachment(*file);
    audit(w->user.username, a->unit, "application_" + action, id,
          o.event.public_note + (file ? " 附件：" + file->name : ""));
    application(req, res, "已保存", 200);
  }

  void message(const httplib::Request& req, httplib::Response& res, const std::string& flash,
               int status) {
    auto w = who(req);
    if (!w) return res.set_redirect("/login", 303);
    const std::string id = req.matches[1];
    auto m = db.message(id);
    if (!m || !sees(*w, m->unit)) {
      res.status = 404;
      res.set_content("没有这条留言 (no such message)\n", "text/plain; charset=utf-8");
      return;
    }
    audit(w->user.username, m->unit, "view", id, "");
    data d, md;
    md.set("id", m->id);
    md.set("unit", m->unit);
    md.set("type", m->type);
    md.set("related", m->related);
    md.set("subject", m->subject);
    md.set("body", m->body);
    md.set("name", m->name);
    md.set("phone", m->phone);
    md.set("email", m->email);
    md.set("consent_publish", m->consent_publish);
    md.set("due_date", m->due_date);
    md.set("department", m->department);
    md.set("answer", m->answer);
    md.set("published_body", m->published_body);
    d.set("m", md);
    d.set("status", std::string(msg_status(m->status)));
    d.set("events", events_list(db.events(id)));
    d.set("updated", std::to_string(m->updated_at));
    d.set("simple_days", std::to_string(cfg.messages.simple_days));
    d.set("complex_days", std::to_string(cfg.messages.complex_days));
    for (const auto& act : message_actions(*m)) d.set("can_" + act, true);
    if (!flash.empty()) d.set(status < 400 ? "flash" : "error", flash);
    render(res, status, m->id, k_message, d, &*w);
  }

  void message_action(const httplib::Request& req, httplib::Response& res) {
    auto w = post_guard(req, res);
    if (!w) return;
    const std::string id = req.matches[1];
    auto m = db.message(id);
    if (!m || !sees(*w, m->unit)) {
      res.status = 404;
      res.set_content("没有这条留言 (no such message)\n", "text/plain; charset=utf-8");
      return;
    }
    const Fields f = fields_of(req);
    const std::string action = field_of(f, "action");
    const std::string updated = field_of(f, "updated");
    if (updated != std::to_string(m->updated_at))
      return message(req, res, "该留言已被他人更新，请查看最新状态后重新操作", 409);
    const std::int64_t expected = m->updated_at;
    Outcome o = act_on_message(*m, action, f, w->user.username, clock(), cfg.messages);
    if (!o.error.empty()) return message(req, res, o.error, 400);
    if (!db.update_message(*m, expected, o.event))
      return message(req, res, "该留言已被他人更新，请查看最新状态后重新操作", 409);
    audit(w->user.username, m->unit, "message_" + action, id, o.event.public_note);
    message(req, res, "已保存", 200);
  }

  std::vector<store::ConsultationResponse> visible_responses(const Who& w,
                                                             const std::string& consultation) {
    return db.responses(w.user.unit == "*" ? "" : w.user.unit, consultation);
  }

  void responses(const httplib::Request& req, httplib::Response& res) {
    auto w = who(req);
    if (!w) return res.set_redirect("/login", 303);
    const std::string c =
        req.has_param("consultation") ? trim(req.get_param_value("consultation")) : "";
    data d;
    if (!c.empty() && c.size() <= 300 && valid_utf8(c)) {
      const auto rs = visible_responses(*w, c);
      list l;
      std::size_t adopted = 0;
      for (const auto& r : rs) {
        data x;
        x.set("id", std::to_string(r.id));
        x.set("when", when_text(r.submitted_at));
        x.set("unit", r.unit);
        x.set("body", r.body);
        x.set("name", r.name);
        x.set("contact", r.contact);
        x.set("undecided", !r.adopted.has_value());
        x.set("yes", r.adopted.has_value() && *r.adopted);
        x.set("no", r.adopted.has_value() && !*r.adopted);
        x.set("csrf", w->session.csrf);
        x.set("consultation", c);
        adopted += r.adopted.value_or(false);
        l.push_back(x);
      }
      d.set("consultation", c);
      d.set("consultation_q", url_encode_component(c));
      d.set("responses", l);
      d.set("total", std::to_string(rs.size()));
      d.set("adopted", std::to_string(adopted));
    }
    render(res, 200, "征求意见反馈", k_responses, d, &*w);
  }

  void responses_csv(const httplib::Request& req, httplib::Response& res) {
    auto w = who(req);
    if (!w) {
      res.status = 401;
      res.set_content("请先登录 (sign in first)\n", "text/plain; charset=utf-8");
      return;
    }
    const std::string c =
        req.has_param("consultation") ? trim(req.get_param_value("consultation")) : "";
    if (c.empty() || c.size() > 300 || !valid_utf8(c)) {
      res.status = 400;
      res.set_content("consultation= is required\n", "text/plain; charset=utf-8");
      return;
    }
    std::string out =
        "\xEF\xBB\xBF时间,单位,征求意见,意见,姓名或单位,联系方式,采纳\r\n";  // BOM: Excel reads UTF-8
    for (const auto& r : visible_responses(*w, c))
      out += csv_cell(when_text(r.submitted_at)) + "," + csv_cell(r.unit) + "," +
             csv_cell(r.consultation) + "," + csv_cell(r.body) + "," + csv_cell(r.name) + "," +
             csv_cell(r.contact) + "," +
             csv_cell(r.adopted ? (*r.adopted ? "采纳" : "未采纳") : "") + "\r\n";
    audit(w->user.username, w->user.unit, "export_responses", c, "");
    res.set_header("Content-Disposition", "attachment; filename=\"responses.csv\"");
    res.set_content(out, "text/csv; charset=utf-8");
  }

  void response_adopted(const httplib::Request& req, httplib::Response& res) {
    auto w = post_guard(req, res);
    if (!w) return;
    const std::int64_t id = std::stoll(req.matches[1]);
    const std::string c = req.has_param("consultation") ? req.get_param_value("consultation") : "";
    const auto rs = visible_responses(*w, c);
    if (std::none_of(rs.begin(), rs.end(), [&](const auto& r) { return r.id == id; })) {
      res.status = 404;
      res.set_content("没有这条意见 (no such response)\n", "text/plain; charset=utf-8");
      return;
    }
    const std::string v = req.has_param("adopted") ? req.get_param_value("adopted") : "";
    std::optional<bool> adopted;
    if (v == "yes")
      adopted = true;
    else if (v == "no")
      adopted = false;
    else if (!v.empty()) {
      res.status = 400;
      res.set_content("adopted must be yes, no or empty\n", "text/plain; charset=utf-8");
      return;
    }
    db.set_response_adopted(id, adopted);
    audit(w->user.username, w->user.unit, "response_adopted", std::to_string(id), v);
    res.set_redirect("/responses?consultation=" + url_encode_component(c), 303);
  }
};

StaffConsole::StaffConsole(store::Store& store, StaffConfig config,
                           std::function<std::int64_t()> clock)
    : m_impl(std::make_unique<Impl>(store, std::move(config), std::move(clock))) {}
StaffConsole::~StaffConsole() = default;
int StaffConsole::bind(const std::string& host, int port) {
  return m_impl->http.listen_on(host, port);
}
bool StaffConsole::run() { return m_impl->http.serve(); }
void StaffConsole::stop() { m_impl->http.shutdown(); }
void StaffConsole::wait_until_ready() const {
  while (!m_impl->http.serving()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

}  // namespace gongkai::server::staff
