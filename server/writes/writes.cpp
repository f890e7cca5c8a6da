#include "writes.hpp"

#include <httplib.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <semaphore>
#include <kainjow/mustache.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "deadlines.hpp"
#include "forms.hpp"
#include "gongkai/datetime.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/text.hpp"
#include "config_file.hpp"
#include "guard.hpp"
#include "privacy.hpp"
#include "store.hpp"

namespace gongkai::server::writes {
namespace {

using kainjow::mustache::data;
using kainjow::mustache::list;

// What the unit's release says the forms need (generator/render/render.cpp, render_form_shell).
struct UnitInfo {
  std::string org, phone, address, email, guide_url;
  std::vector<std::string> related;
  struct Consultation {
    std::string id, title, url, closes_text;
    std::int64_t opens = 0, closes = 0;
  };
  std::vector<Consultation> consultations;
};

UnitInfo unit_info(const UnitContext& u) {
  UnitInfo info;
  if (!u.forms_json || u.forms_json->empty()) return info;
  const auto j = nlohmann::json::parse(*u.forms_json, nullptr, false);
  if (!j.is_object()) return info;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  info.org = str("org");
  info.phone = str("phone");
  info.address = str("address");
  info.email = str("email");
  info.guide_url = str("guide_url");
  if (auto it = j.find("related"); it != j.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) info.related.push_back(v.get<std::string>());
  if (auto it = j.find("consultations"); it != j.end() && it->is_array())
    for (const auto& c : *it) {
      if (!c.is_object()) continue;
      UnitInfo::Consultation x;
      x.id = c.value("id", "");
      x.title = c.value("title", "");
      x.url = c.value("url", "");
      x.closes_text = c.value("closes_text", "");
      x.opens = c.value("opens", std::int64_t{0});
      x.closes = c.value("closes", std::int64_t{0});
      if (!x.id.empty()) info.consultations.push_back(std::move(x));
    }
  return info;
}

// Lookup secrets: 10 characters a person can copy from paper (no 0/O, 1/I/L).
std::string new_secret() {
  static const char* alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";  // 31
  std::string s;
  unsigned char b[32];
  while (s.size() < 10) {
    if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("no random bytes (RAND_bytes)");
    for (unsigned char c : b)
      if (c < 248 && s.size() < 10) s += alphabet[c % 31];
  }
  return s;
}

// The secret is random (about 49 bits) and lookups are rate-limited: a plain hash is enough, and
// it is known before the store assigns the id, so the record is written once.
std::string secret_hash(const std::string& secret) {
  std::string up;
  for (char c : trim(secret)) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return sha256_hex("gongkai-lookup:" + up);
}

const char* application_status_label(const std::string& s) {
  if (s == "submitted") return "已提交，等待受理";
  if (s == "received") return "已受理，正在办理";
  if (s == "correction") return "需要补正（答复期限暂停计算）";
  if (s == "extended") return "已延长答复期限，正在办理";
  if (s == "answered") return "已答复";
  if (s == "withdrawn") return "已撤回";
  return "办理中";
}

const char* message_status_label(const std::string& s) {
  if (s == "pending") return "待审核";
  if (s == "accepted") return "已受理";
  if (s == "rejected") return "不予受理";
  if (s == "in_progress") return "办理中";
  if (s == "answered") return "已答复";
  if (s == "closed") return "办结";
  return "办理中";
}

list choices(const std::vector<std::string>& values, const std::string& current) {
  list l;
  for (const auto& v : values) {
    data x;
    x.set("value", v);
    x.set("selected", v == current);
    l.push_back(x);
  }
  return l;
}

std::string when_text(std::int64_t epoch) {
  const std::string iso = DateTime::from_epoch(epoch).iso8601();  // YYYY-MM-DDTHH:MM:SS+08:00
  return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

}  // namespace

struct WritesService::Impl {
  WritesConfig cfg;
  std::function<std::int64_t()> clock;
  std::unique_ptr<store::Store> db;
  FormGuard guard;
  RateLimiter posts, lookups;
  std::counting_semaphore<1024> in_flight;

  Impl(WritesConfig c, std::function<std::int64_t()> clk)
      : cfg(std::move(c)),
        clock(std::move(clk)),
        guard(cfg.secret),
        posts(cfg.post_limit, cfg.post_window),
        lookups(cfg.lookup_limit, cfg.lookup_window),
        in_flight(std::clamp(cfg.max_in_flight, 1, 1024)) {
    if (!cfg.database.empty()) db = store::Store::open(cfg.database);
  }

  // ---- pages ----------------------------------------------------------------------------------

  void page(const UnitContext& u, const std::string& local, const std::string& title, data body,
            int status, httplib::Response& res) {
    body.set("root", u.prefix);
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    if (!u.page_template || u.page_template->empty() || !u.forms_template ||
        u.forms_template->empty()) {
      // A release built before the forms existed: plain text, still the right status.
      res.set_content(title + "\n", "text/plain; charset=utf-8");
      return;
    }
    const std::string inner = kainjow::mustache::mustache(*u.forms_template).render(body);
    data slots;
    slots.set("title", title);
    slots.set("url", u.prefix + local.substr(1));
    slots.set("canonical", u.base_url + local.substr(1));
    slots.set("body", inner);
    res.set_content(kainjow::mustache::mustache(*u.page_template).render(slots),
                    "text/html; charset=utf-8");
  }

  void notice(const UnitContext& u, const std::string& local, const std::string& heading,
              const std::string& message, int status, httplib::Response& res,
              const std::string& back = "") {
    const UnitInfo info = unit_info(u);
    data d;
    d.set("notice", true);
    d.set("heading", heading);
    d.set("message", message);
    std::string offline;
    if (!info.phone.empty()) offline += "电话 " + info.phone;
    if (!info.address.empty()) offline += (offline.empty() ? "" : "；") + ("地址 " + info.address);
    if (!offline.empty()) d.set("offline", info.org + "：" + offline);
    d.set("back_url", back.empty() ? u.prefix : back);
    page(u, local, heading, d, status, res);
  }

  // The form's CSRF cookie: the request's when it has a good one, else a new one (Set-Cookie).
  std::string form_cookie(const httplib::Request& req, httplib::Response& res) {
    std::string c = FormGuard::cookie_of(req.get_header_value("Cookie"));
    if (c.empty()) {
      c = FormGuard::new_cookie();
      res.set_header("Set-Cookie", FormGuard::set_cookie(c, cfg.secure_cookies));
    }
    return c;
  }

  std::string address(const httplib::Request& req) const {
    return client_address(req.remote_addr, req.get_header_value("X-Forwarded-For"),
                          req.get_header_value("X-Real-IP"), cfg.trusted_proxies);
  }

  // The defences of every POST, in order; false when it has answered (403, 429, 400).
  bool guarded(const UnitContext& u, const std::string& local, const std::string& form,
               const httplib::Request& req, httplib::Response& res) {
    const std::int64_t now = clock();
    const std::string addr = address(req);
    const std::string key = form + "|" + addr;
    if (!posts.allow(key, now)) {
      const std::int64_t wait = std::max<std::int64_t>(1, posts.retry_after(key, now));
      res.set_header("Retry-After", std::to_string(wait));
      notice(u, local, "提交过于频繁",
             "同一地址提交过于频繁，请 " + std::to_string((wait + 59) / 60) +
                 " 分钟后再试 (too many submissions from this address)",
             429, res);
      return false;
    }
    if (const std::string p = cross_site_problem(req.get_header_value("Origin"),
                                                 req.get_header_value("Sec-Fetch-Site"),
                                                 req.get_header_value("Host"));
        !p.empty()) {
      notice(u, local, "提交被拒绝", p, 403, res);
      return false;
    }
    const std::string field = req.has_param(k_csrf_field) ? req.get_param_value(k_csrf_field) : "";
    const std::string cookie = FormGuard::cookie_of(req.get_header_value("Cookie"));
    if (const std::string p = guard.check(form_key(u, form), cookie, field, now); !p.empty()) {
      notice(u, local, "提交被拒绝", p, 403, res, u.prefix + local.substr(1));
      return false;
    }
    if (honeypot_filled(req.params)) {
      notice(u, local, "提交被拒绝", "表单填写异常，请重新打开表单后提交 (form refused)", 400, res);
      return false;
    }
    return true;
  }

  static std::string form_key(const UnitContext& u, const std::string& form) {
    return u.unit_id + "/" + form;
  }

  static void set_errors(data& d, const std::vector<FieldError>& errors) {
    list l;
    std::map<std::string, std::string> first;
    for (const auto& e : errors) {
      data x;
      x.set("field", e.field);
      x.set("message", e.message);
      l.push_back(x);
      first.emplace(e.field, e.message);
    }
    d.set("errors", l);
    d.set("has_errors", !errors.empty());
    for (const auto& [field, message] : first) d.set("e_" + field, message);
  }

  // ---- 依申请公开 -------------------------------------------------------------------------------

  void apply_form(const UnitContext& u, const std::string& local, const httplib::Request& req,
                  httplib::Response& res, const store::Application& v,
                  const std::vector<FieldError>& errors, int status) {
    const UnitInfo info = unit_info(u);
    data d;
    d.set("apply", true);
    d.set("org", info.org);
    d.set("csrf", guard.token(form_key(u, "apply"), form_cookie(req, res), clock()));
    data values;
    values.set("name", v.name);
    values.set("id_number", v.id_number);
    values.set("credit_code", v.credit_code);
    values.set("contact_person", v.contact_person);
    values.set("phone", v.phone);
    values.set("email", v.email);
    values.set("address", v.address);
    values.set("postcode", v.postcode);
    values.set("description", v.description);
    d.set("v", values);
    d.set("applicant_types", choices(applicant_types(), v.applicant_type));
    d.set("id_types", choices(id_types(), v.id_type));
    d.set("info_forms", choices(info_forms(), v.form));
    d.set("delivery_ways", choices(delivery_ways(), v.delivery));
    set_errors(d, errors);
    page(u, local, "政府信息公开申请", d, status, res);
  }

  void apply(const UnitContext& u, const std::string& local, const httplib::Request& req,
             httplib::Response& res) {
    if (!db) return off(u, local, req, res, "在线申请");
    if (req.method != "POST") return apply_form(u, local, req, res, {}, {}, 200);
    if (!guarded(u, local, "apply", req, res)) return;
    ApplicationForm f = read_application(req.params);
    if (!f.errors.empty()) return apply_form(u, local, req, res, f.application, f.errors, 400);
    store::Application a = std::move(f.application);
    const std::int64_t now = clock();
    a.unit = u.unit_id;
    a.submitted_at = now;
    a.updated_at = now;
    a.source_address = address(req);
    a.status = "submitted";
    const Deadline dl = application_deadline(now);
    a.received_date = dl.received;
    a.due_date = dl.due;
    const std::string secret = new_secret();
    a.secret_hash = secret_hash(secret);
    const std::string id = db->create_application(
        a, "申请已提交。收到申请之日为 " + dl.received + "，答复期限为 " + dl.due + "。");
    data d;
    d.set("receipt", true);
    d.set("heading", "申请已提交");
    d.set("message", "您的政府信息公开申请已提交" +
                         std::string(unit_info(u).org.empty() ? "" : "至") + unit_info(u).org +
                         "。");
    d.set("number", id);
    d.set("secret", secret);
    d.set("received", dl.received);
    d.set("due", dl.due);
    d.set("lookup_url", u.prefix + std::string("apply/lookup/"));
    page(u, local, "申请已提交", d, 201, res);
  }

  // The database cannot take the POST now (busy, or down): 503 with Retry-After, and a form comes
  // back with everything that was typed, so nothing is lost; other pages say so.
  void unavailable(const UnitContext& u, const std::string& local, const httplib::Request& req,
                   httplib::Response& res, const std::string& message, int retry_after) {
    const std::vector<FieldError> why = {{"form", message}};
    if (req.method == "POST" && local == "/apply/")
      apply_form(u, local, req, res, read_application(req.params).application, why, 503);
    else if (req.method == "POST" && local == "/messages/new/")
      message_form(u, local, req, res, read_message(req.params, unit_info(u).related).message, why,
                   503);
    else
      notice(u, local, "暂时无法处理", message, 503, res);
    res.set_header("Retry-After", std::to_string(retry_after));
  }

  // The forms are off: no database is configured. GETs say how else to apply; POSTs are 503.
  void off(const UnitContext& u, const std::string& local, const httplib::Request& req,
           httplib::Response& res, const std::string& what) {
    notice(u, local, what + "暂未开通",
           "本网站暂未开通" + what + "，请通过以下方式办理 (online forms are not enabled)",
           req.method == "POST" ? 503 : 200, res);
  }

  void lookup(const UnitContext& u, const std::string& local, const httplib::Request& req,
              httplib::Response& res, bool application) {
    const std::string heading = application ? "依申请公开办理进度查询" : "留言办理进度查询";
    if (!db) return off(u, local, req, res, application ? "在线申请" : "在线留言");
    data d;
    d.set("lookup", true);
    d.set("heading", heading);
    d.set("action", u.prefix + local.substr(1));
    if (req.method != "POST") return page(u, local, heading, d, 200, res);
    const std::int64_t now = clock();
    const std::string key = "lookup|" + address(req);
    if (!lookups.allow(key, now)) {
      res.set_header("Retry-After",
                     std::to_string(std::max<std::int64_t>(1, lookups.retry_after(key, now))));
      d.set("problem", "查询过于频繁，请稍后再试 (too many lookups from this address)");
      return page(u, local, heading, d, 429, res);
    }
    const std::string number = field_text(req.params, "number");
    const std::string secret = field_text(req.params, "secret");
    d.set("number", number);
    auto refuse = [&] {
      d.set("problem", "编号或查询码不正确，请核对后重试");
      page(u, local, heading, d, 404, res);
    };
    if (number.empty() || number.size() > 40 || secret.empty() || secret.size() > 20 ||
        !valid_utf8(number))
      return refuse();
    list history;
    if (application) {
      auto a = db->application(number);
      if (!a || a->unit != u.unit_id || a->secret_hash.empty() ||
          a->secret_hash != secret_hash(secret))
        return refuse();
      // A file of the answer: POSTed with the number and secret, sent as a download.
      const std::string file = field_text(req.params, "file");
      if (!file.empty()) {
        if (a->status != "answered" || file.size() > 18 ||
            !std::all_of(file.begin(), file.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
          return refuse();
        auto f = db->attachment(std::stoll(file));
        if (!f || f->object_id != number) return refuse();
        res.status = 200;
        res.set_header("Cache-Control", "no-store");
        res.set_header("Content-Disposition", "attachment; filename=\"reply\"; filename*=UTF-8''" +
                                                  url_encode_component(f->name));
        res.set_content(f->data, "application/octet-stream");
        return;
      }
      d.set("status", application_status_label(a->status));
      d.set("received", a->received_date);
      d.set("due", a->due_date);
      d.set("reply_type", a->reply_type);
      d.set("answer", a->reply_text);
      list files;
      if (a->status == "answered")
        for (const auto& f : db->attachments(number)) {
          data x;
          x.set("id", std::to_string(f.id));
          x.set("name", f.name);
          x.set("size", std::to_string((f.size + 1023) / 1024) + " KB");
          x.set("number", number);
          x.set("secret", secret);
          x.set("action", u.prefix + local.substr(1));
          files.push_back(x);
        }
      d.set("files", files);
    } else {
      auto m = db->message(number);
      if (!m || m->unit != u.unit_id || m->secret_hash.empty() ||
          m->secret_hash != secret_hash(secret))
        return refuse();
      d.set("status", message_status_label(m->status));
      d.set("received", m->received_date);
      d.set("due", m->due_date);
      d.set("reply_type", std::string());
      d.set("answer", m->status == "rejected" ? m->reject_reason : m->answer);
    }
    for (const auto& e : db->events(number)) {
      if (e.public_note.empty()) continue;
      data x;
      x.set("when", when_text(e.at));
      x.set("note", e.public_note);
      history.push_back(x);
    }
    d.set("history", history);
    d.set("found", true);
    page(u, local, heading, d, 200, res);
  }

  // ---- 留言 -------------------------------------------------------------------------------------

  void message_form(const UnitContext& u, const std::string& local, const httplib::Request& req,
                    httplib::Response& res, const store::Message& v,
                    const std::vector<FieldError>& errors, int status) {
    const UnitInfo info = unit_info(u);
    data d;
    d.set("message_form", true);
    d.set("org", info.org);
    d.set("csrf", guard.token(form_key(u, "message"), form_cookie(req, res), clock()));
    data values;
    values.set("subject", v.subject);
    values.set("body", v.body);
    values.set("name", v.name);
    values.set("phone", v.phone);
    values.set("email", v.email);
    values.set("consent_publish", v.consent_publish);
    d.set("v", values);
    d.set("message_types", choices(message_types(), v.type));
    d.set("related", choices(info.related, v.related));
    set_errors(d, errors);
    page(u, local, "我要留言", d, status, res);
  }

  void message_new(const UnitContext& u, const std::string& local, const httplib::Request& req,
                   httplib::Response& res) {
    if (!db) return off(u, local, req, res, "在线留言");
    if (req.method != "POST") return message_form(u, local, req, res, {}, {}, 200);
    if (!guarded(u, local, "message", req, res)) return;
    MessageForm f = read_message(req.params, unit_info(u).related);
    if (!f.errors.empty()) return message_form(u, local, req, res, f.message, f.errors, 400);
    store::Message m = std::move(f.message);
    const std::int64_t now = clock();
    m.unit = u.unit_id;
    m.submitted_at = now;
    m.updated_at = now;
    m.source_address = address(req);
    m.status = "pending";
    const Deadline dl = message_ack_deadline(now, cfg.message_ack_days);
    m.received_date = dl.received;
    m.due_date = dl.due;
    const std::string secret = new_secret();
    m.secret_hash = secret_hash(secret);
    const std::string id = db->create_message(m, "留言已提交，将在 " + dl.due + " 前完成审核。");
    data d;
    d.set("receipt", true);
    d.set("heading", "留言已提交");
    d.set("message",
          "您的留言已提交，我们将在 " + dl.due + " 前完成审核，一般在受理后 5 个工作日内答复。");
    d.set("number", id);
    d.set("secret", secret);
    d.set("received", std::string());
    d.set("due", std::string());
    d.set("lookup_url", u.prefix + std::string("messages/lookup/"));
    page(u, local, "留言已提交", d, 201, res);
  }

  // 互动交流: the answered messages whose writers agreed to publish them (masked), newest first,
  // and the monthly figures the inspection rules ask for, over the last 12 months.
  void messages_home(const UnitContext& u, const std::string& local, const httplib::Request& req,
                     httplib::Response& res) {
    (void)req;
    if (!db)
      return notice(u, local, "互动交流", "本网站暂未开通在线留言，请通过以下方式联系我们。", 200,
                    res);
    store::ListQuery q;
    q.unit = u.unit_id;
    q.limit = 100000;
    const std::vector<store::Message> all = db->messages(q);
    const std::int64_t now = clock();
    data d;
    d.set("messages_home", true);
    d.set("org", unit_info(u).org);
    list published;
    for (const auto& m : all) {
      const bool answered = m.status == "answered" || m.status == "closed";
      if (!answered || !m.consent_publish || m.published_body.empty()) continue;
      if (published.size() >= 50) break;
      data x;
      x.set("id", m.id);
      x.set("type", m.type);
      x.set("subject", mask_personal_data(m.subject, m.name));
      x.set("body", m.published_body);
      x.set("received", DateTime::from_epoch(m.submitted_at).date());
      x.set("answered", m.answered_date);
      x.set("department", m.department);
      x.set("answer", mask_personal_data(m.answer, m.name));
      published.push_back(x);
    }
    d.set("published", published);
    d.set("has_published", !published.empty());
    // Months: received (submitted in the month), answered (answered in the month), in progress
    // (received in the month and not yet answered, refused or closed), overdue (of those
    // received in the month: answered after the due date, or still open past it), average days
    // from receipt to answer of those answered in the month.
    struct Month {
      int received = 0, answered = 0, open = 0, overdue = 0;
      std::int64_t days = 0;
    };
    std::map<std::string, Month> months;
    const std::string today = DateTime::from_epoch(now).date();
    auto month_of = [](const std::string& date) { return date.substr(0, 7); };
    std::vector<std::string> keys;
    {
      const DateTime t = DateTime::from_epoch(now);
      int y = t.year(), mo = std::stoi(t.date().substr(5, 2));
      for (int k = 0; k < 12; ++k) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%04d-%02d", y, mo);
        keys.emplace_back(buf);
        months[buf];
        if (--mo == 0) {
          mo = 12;
          --y;
        }
      }
    }
    for (const auto& m : all) {
      const std::string got = DateTime::from_epoch(m.submitted_at).date();
      const bool done = m.status == "answered" || m.status == "closed";
      const bool refused = m.status == "rejected";
      if (auto it = months.find(month_of(got)); it != months.end()) {
        ++it->second.received;
        if (!done && !refused) ++it->second.open;
        const std::string end = done ? m.answered_date : today;
        if (!refused && !m.due_date.empty() && end > m.due_date) ++it->second.overdue;
      }
      if (done && !m.answered_date.empty())
        if (auto it = months.find(month_of(m.answered_date)); it != months.end()) {
          ++it->second.answered;
          if (auto a = DateTime::parse(m.answered_date))
            it->second.days += std::max<std::int64_t>(
                0, (a->local_day_start() - DateTime::from_epoch(m.submitted_at).local_day_start()) /
                       86400);
        }
    }
    list rows;
    for (const auto& k : keys) {
      const Month& m = months[k];
      data x;
      x.set("month", k);
      x.set("received", std::to_string(m.received));
      x.set("answered", std::to_string(m.answered));
      x.set("open", std::to_string(m.open));
      x.set("overdue", std::to_string(m.overdue));
      char avg[16] = "—";
      if (m.answered) std::snprintf(avg, sizeof avg, "%.1f", double(m.days) / m.answered);
      x.set("average", std::string(avg));
      rows.push_back(x);
    }
    d.set("months", rows);
    page(u, local, "互动交流", d, 200, res);
  }

  // ---- 征求意见 responses -----------------------------------------------------------------------

  void respond(const UnitContext& u, const std::string& local, const httplib::Request& req,
               httplib::Response& res) {
    const UnitInfo info = unit_info(u);
    // local: /consultations/.../respond/ ; the consultation's id is its url without the root.
    const std::string consultation_url =
        local.substr(0, local.size() - std::string("respond/").size());
    const UnitInfo::Consultation* c = nullptr;
    for (const auto& x : info.consultations)
      if ("/" + x.id == consultation_url) c = &x;
    if (!c)
      return notice(u, local, "页面未找到", "没有这项征求意见 (no such consultation)", 404, res);
    const std::int64_t now = clock();
    if (now < c->opens || now >= c->closes)
      return notice(
          u, local, "不在征求意见期内",
          "《" + c->title + "》" +
              (now < c->opens ? "尚未开始征求意见" : "的征求意见已于 " + c->closes_text + " 截止") +
              "，不再接受在线意见。",
          403, res, u.prefix + c->url.substr(u.prefix.size()));
    if (!db) return off(u, local, req, res, "在线提交意见");
    auto form = [&](const store::ConsultationResponse& v, const std::vector<FieldError>& errors,
                    int status) {
      data d;
      d.set("response_form", true);
      d.set("consultation_title", c->title);
      d.set("consultation_url", c->url);
      d.set("closes", c->closes_text);
      d.set("action", u.prefix + local.substr(1));
      d.set("csrf", guard.token(form_key(u, "respond:" + c->id), form_cookie(req, res), clock()));
      data values;
      values.set("body", v.body);
      values.set("name", v.name);
      values.set("contact", v.contact);
      d.set("v", values);
      set_errors(d, errors);
      page(u, local, "提交意见", d, status, res);
    };
    if (req.method != "POST") return form({}, {}, 200);
    if (!guarded(u, local, "respond:" + c->id, req, res)) return;
    ResponseForm f = read_response(req.params);
    if (!f.errors.empty()) return form(f.response, f.errors, 400);
    store::ConsultationResponse r = std::move(f.response);
    r.unit = u.unit_id;
    r.consultation = c->id;
    r.submitted_at = now;
    r.source_address = address(req);
    db->add_response(r);
    data d;
    d.set("receipt", true);
    d.set("heading", "意见已提交");
    d.set("message", "感谢您对《" + c->title + "》提出意见。意见采纳情况将在征求意见结束后公布。");
    page(u, local, "意见已提交", d, 201, res);
  }
};

WritesConfig load_writes_config(const std::filesystem::path& file) {
  WritesConfig c;
  if (const char* v = std::getenv("GONGKAI_WRITES_SECRET")) c.secret = v;
  if (file.empty()) return c;
  const toml::table t = parse_config_file(file);
  const toml::table* w = t["writes"].as_table();
  if (!w) return c;
  auto where = [&](const toml::node& n) {
    return file.string() + ":" + std::to_string(n.source().begin.line) + ":" +
           std::to_string(n.source().begin.column) + ": ";
  };
  for (auto&& entry : *w) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in the lambdas.
    const toml::node& v = entry.second;
    const std::string key(entry.first.str());
    auto text = [&]() {
      if (!v.is_string())
        throw std::runtime_error(where(v) + "[writes] " + key + " must be a string");
      return *v.value<std::string>();
    };
    auto number = [&](std::int64_t lo, std::int64_t hi) {
      const auto n = v.value<std::int64_t>();
      if (!v.is_integer() || !n || *n < lo || *n > hi)
        throw std::runtime_error(where(v) + "[writes] " + key + " must be a whole number from " +
                                 std::to_string(lo) + " to " + std::to_string(hi));
      return *n;
    };
    if (key == "database")
      c.database = text();
    else if (key == "secret")
      c.secret = text();
    else if (key == "post_limit")
      c.post_limit = static_cast<int>(number(1, 100000));
    else if (key == "post_window")
      c.post_window = number(1, 86400 * 7);
    else if (key == "lookup_limit")
      c.lookup_limit = static_cast<int>(number(1, 100000));
    else if (key == "lookup_window")
      c.lookup_window = number(1, 86400 * 7);
    else if (key == "max_in_flight")
      c.max_in_flight = static_cast<int>(number(1, 1024));
    else if (key == "message_ack_days")
      c.message_ack_days = static_cast<int>(number(1, 30));
    else if (key == "secure_cookies") {
      if (!v.is_boolean())
        throw std::runtime_error(where(v) + "[writes] secure_cookies must be true or false");
      c.secure_cookies = *v.value<bool>();
    } else if (key == "trusted_proxies") {
      const toml::array* a = v.as_array();
      if (!a)
        throw std::runtime_error(where(v) + "[writes] trusted_proxies must be a list of addresses");
      c.trusted_proxies.clear();
      for (auto&& x : *a) {
        if (!x.is_string())
          throw std::runtime_error(where(x) +
                                   "[writes] trusted_proxies must be a list of addresses");
        c.trusted_proxies.push_back(*x.value<std::string>());
      }
    } else {
      throw std::runtime_error(
          where(v) + "unknown key [writes] " + key +
          " (database, secret, trusted_proxies, post_limit, post_window, "
          "lookup_limit, lookup_window, secure_cookies, max_in_flight, message_ack_days)");
    }
  }
  return c;
}

WritesService::WritesService(WritesConfig config, std::function<std::int64_t()> clock)
    : m_impl(std::make_unique<Impl>(std::move(config), std::move(clock))) {}
WritesService::~WritesService() = default;

store::Store* WritesService::store() const { return m_impl->db.get(); }

bool WritesService::handles(const std::string& p) {
  return p == "/apply/" || p == "/apply/lookup/" || p == "/messages/" || p == "/messages/new/" ||
         p == "/messages/lookup/" ||
         (starts_with(p, "/consultations/") && ends_with(p, "/respond/"));
}

void WritesService::handle(const UnitContext& u, const std::string& p, const httplib::Request& req,
                           httplib::Response& res) {
  if (req.method != "GET" && req.method != "HEAD" && req.method != "POST") {
    res.status = 405;
    res.set_content("method not allowed\n", "text/plain; charset=utf-8");
    return;
  }
  // A POST holds one of max_in_flight slots while it reads or writes the database.
  struct Slot {
    std::counting_semaphore<1024>* s = nullptr;
    ~Slot() {
      if (s) s->release();
    }
  } slot;
  if (req.method == "POST") {
    // No waiting for a slot: a waiting POST would hold a worker too.
    if (!m_impl->in_flight.try_acquire())
      return m_impl->unavailable(
          u, p, req, res, "系统繁忙，本次提交未保存，请稍后再次提交 (busy: nothing was saved)", 5);
    slot.s = &m_impl->in_flight;
  }
  try {
    if (p == "/apply/") return m_impl->apply(u, p, req, res);
    if (p == "/apply/lookup/") return m_impl->lookup(u, p, req, res, true);
    if (p == "/messages/new/") return m_impl->message_new(u, p, req, res);
    if (p == "/messages/lookup/") return m_impl->lookup(u, p, req, res, false);
    if (p == "/messages/") {
      if (req.method == "POST") {
        res.status = 405;
        res.set_content("method not allowed\n", "text/plain; charset=utf-8");
        return;
      }
      return m_impl->messages_home(u, p, req, res);
    }
    return m_impl->respond(u, p, req, res);
  } catch (const store::StoreError& e) {
    std::cerr << "gongkai-serve: database: " << e.what() << "\n";
    res = httplib::Response();
    m_impl->unavailable(
        u, p, req, res,
        "系统暂时无法保存或查询，本次提交未保存，请稍后再次提交 (database unavailable)", 30);
  }
}

}  // namespace gongkai::server::writes
