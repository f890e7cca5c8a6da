#include "handling.hpp"

#include <algorithm>

#include "gongkai/datetime.hpp"
#include "gongkai/text.hpp"
#include "gongkai/workdays.hpp"
#include "privacy.hpp"

namespace gongkai::server::staff {
namespace {

using workdays::Date;

std::string field(const Fields& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : trim(it->second);
}

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Text a member of staff typed: valid UTF-8, within a length; "" and an error otherwise.
std::string text(const Fields& f, const std::string& k, std::size_t max, std::string& error,
                 const std::string& label, bool required) {
  const std::string v = field(f, k);
  if (!valid_utf8(v)) {
    error = label + "含有无法识别的字符";
    return "";
  }
  if (required && v.empty()) error = "请填写" + label;
  if (chars(v) > max) error = label + "不能超过 " + std::to_string(max) + " 个字";
  return v;
}

Date today_of(std::int64_t now) { return Date::of(DateTime::from_epoch(now)); }

store::Event event_of(const std::string& id, const std::string& actor, std::int64_t now,
                      const std::string& action, const std::string& note,
                      const std::string& detail = "") {
  store::Event e;
  e.object_id = id;
  e.at = now;
  e.actor = actor;
  e.action = action;
  e.public_note = note;
  e.detail = detail;
  return e;
}

// The 补正 periods so far, from the history (each correction event opens one, the next
// corrected event closes it).
std::vector<workdays::Correction> corrections_of(const std::vector<store::Event>& history) {
  std::vector<workdays::Correction> out;
  for (const auto& e : history) {
    if (e.action == "correction") out.push_back({today_of(e.at), std::nullopt});
    if (e.action == "corrected" && !out.empty() && !out.back().corrected)
      out.back().corrected = today_of(e.at);
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::vector<std::string> application_actions(const store::Application& a) {
  if (a.status == "submitted") return {"receive", "correction", "answer", "withdraw"};
  if (a.status == "received")
    return a.extended ? std::vector<std::string>{"correction", "answer", "withdraw"}
                      : std::vector<std::string>{"correction", "extend", "answer", "withdraw"};
  if (a.status == "extended") return {"answer", "withdraw"};
  if (a.status == "correction") return {"corrected", "answer", "withdraw"};
  return {};
}

Outcome act_on_application(store::Application& a, const std::vector<store::Event>& history,
                           const std::string& action, const Fields& f, const std::string& actor,
                           std::int64_t now) {
  Outcome out;
  const auto allowed = application_actions(a);
  if (std::find(allowed.begin(), allowed.end(), action) == allowed.end()) {
    out.error = "当前状态下不能进行此操作 (action \"" + action + "\" is not allowed now)";
    return out;
  }
  const auto& cal = workdays::Calendar::official();
  const Date today = today_of(now);
  const auto received = Date::parse(a.received_date);
  auto recompute_due = [&](const std::vector<workdays::Correction>& cs) {
    if (!received) return;
    const auto due = cal.reply_due(*received, cs, a.extended);
    a.due_date = due ? due->iso() : "";
  };
  std::string error;
  if (action == "receive") {
    a.status = "received";
    out.event = event_of(a.id, actor, now, action, "申请已受理，答复期限为 " + a.due_date + "。");
  } else if (action == "correction") {
    const std::string note = text(f, "note", 1000, error, "补正内容", true);
    if (!error.empty()) return {error, {}};
    if (received && today > cal.correction_notice_due(*received))
      return {"补正告知应在收到申请之日起 7 个工作日内（" +
                  cal.correction_notice_due(*received).iso() + " 前）一次性发出（条例第三十条）",
              {}};
    if (std::any_of(history.begin(), history.end(),
                    [](const store::Event& e) { return e.action == "correction"; }))
      return {"补正告知只能一次性发出（条例第三十条）", {}};
    a.status = "correction";
    a.due_date = "";
    out.event =
        event_of(a.id, actor, now, action,
                 "请补正申请：" + note + "。答复期限暂停计算，自收到补正后的申请之日起重新计算。");
  } else if (action == "corrected") {
    auto cs = corrections_of(history);
    if (!cs.empty() && !cs.back().corrected) cs.back().corrected = today;
    a.status = a.extended ? "extended" : "received";
    recompute_due(cs);
    out.event =
        event_of(a.id, actor, now, action, "已收到补正后的申请，答复期限为 " + a.due_date + "。");
  } else if (action == "extend") {
    const std::string reason = text(f, "reason", 500, error, "延期理由", true);
    if (!error.empty()) return {error, {}};
    a.extended = true;
    a.status = "extended";
    recompute_due(corrections_of(history));
    out.event =
        event_of(a.id, actor, now, action,
                 "因" + reason + "，答复期限延长至 " + a.due_date + "（条例第三十三条）。", reason);
  } else if (action == "answer") {
    const std::string type = field(f, "reply_type");
    auto it = std::find_if(reply_types().begin(), reply_types().end(),
                           [&](const ReplyType& t) { return t.name == type; });
    if (it == reply_types().end()) return {"请选择答复类型", {}};
    const std::string ground = field(f, "reply_ground");
    if (!it->grounds.empty() &&
        std::find(it->grounds.begin(), it->grounds.end(), ground) == it->grounds.end())
      return {"“" + type + "”须选择理由（依据）", {}};
    const std::string reply = text(f, "reply_text", 20000, error, "答复内容", true);
    if (!error.empty()) return {error, {}};
    a.status = "answered";
    a.reply_type = type;
    a.reply_ground = it->grounds.empty() ? "" : ground;
    a.reply_text = reply;
    a.answered_date = today.iso();
    out.event = event_of(
        a.id, actor, now, action,
        "已答复：" + type + (a.reply_ground.empty() ? "" : "（" + a.reply_ground + "）") + "。");
  } else if (action == "withdraw") {
    const std::string note = text(f, "note", 500, error, "撤回说明", true);
    if (!error.empty()) return {error, {}};
    a.status = "withdrawn";
    out.event = event_of(a.id, actor, now, action, "申请人已撤回申请。", note);
  }
  a.updated_at = now;
  return out;
}

std::vector<std::string> message_actions(const store::Message& m) {
  if (m.status == "pending") return {"accept", "reject"};
  if (m.status == "accepted" || m.status == "in_progress") return {"assign", "extend", "answer"};
  if (m.status == "answered") return {"close"};
  return {};
}

Outcome act_on_message(store::Message& m, const std::string& action, const Fields& f,
                       const std::string& actor, std::int64_t now, const MessageRules& rules) {
  Outcome out;
  const auto allowed = message_actions(m);
  if (std::find(allowed.begin(), allowed.end(), action) == allowed.end()) {
    out.error = "当前状态下不能进行此操作 (action \"" + action + "\" is not allowed now)";
    return out;
  }
  const auto& cal = workdays::Calendar::official();
  const Date today = today_of(now);
  std::string error;
  if (action == "accept") {
    const std::string c = field(f, "complexity");
    if (c != "simple" && c != "complex") return {"请选择简单事项或复杂事项", {}};
    m.complexity = c;
    m.status = "accepted";
    m.due_date =
        cal.add_working_days(today, c == "simple" ? rules.simple_days : rules.complex_days).iso();
    out.event = event_of(m.id, actor, now, action, "留言已受理，将在 " + m.due_date + " 前答复。");
  } else if (action == "reject") {
    const std::string reason = text(f, "reason", 500, error, "不予受理的理由或应去的渠道", true);
    if (!error.empty()) return {error, {}};
    m.status = "rejected";
    m.reject_reason = reason;
    out.event = event_of(m.id, actor, now, action, "不予受理：" + reason);
  } else if (action == "assign") {
    const std::string d = text(f, "department", 100, error, "承办部门", true);
    if (!error.empty()) return {error, {}};
    m.department = d;
    m.status = "in_progress";
    out.event = event_of(m.id, actor, now, action, "已交由" + d + "办理。");
  } else if (action == "extend") {
    const std::string reason = text(f, "reason", 500, error, "延期理由", true);
    if (!error.empty()) return {error, {}};
    const std::string days_text = field(f, "days");
    int days = 0;
    if (days_text.size() > 2 || days_text.empty() ||
        !std::all_of(days_text.begin(), days_text.end(), is_digit) ||
        (days = std::stoi(days_text)) < 1 || days > 30)
      return {"延长的工作日数应为 1 到 30", {}};
    const auto due = Date::parse(m.due_date);
    m.due_date = cal.add_working_days(due ? *due : today, days).iso();
    out.event = event_of(m.id, actor, now, action,
                         "因" + reason + "，答复期限延长至 " + m.due_date + "。", reason);
  } else if (action == "answer") {
    const std::string answer = text(f, "answer", 10000, error, "答复内容", true);
    if (!error.empty()) return {error, {}};
    const std::string d = text(f, "department", 100, error, "答复部门", false);
    if (!error.empty()) return {error, {}};
    if (!d.empty()) m.department = d;
    m.answer = answer;
    m.answered_date = today.iso();
    m.status = "answered";
    m.published_body = m.consent_publish ? writes::mask_personal_data(m.body, m.name) : "";
    out.event = event_of(m.id, actor, now, action, "已答复。");
  } else if (action == "close") {
    m.status = "closed";
    out.event = event_of(m.id, actor, now, action, "已办结。");
  }
  m.updated_at = now;
  return out;
}

std::string deadline_flag(const std::string& due_date, std::int64_t now) {
  const auto due = Date::parse(due_date);
  if (!due) return "";
  const Date today = today_of(now);
  if (today > *due) return "overdue";
  if (workdays::Calendar::official().working_days_between(today, *due) <= 5) return "due_soon";
  return "";
}

std::string age_flag(const store::Message& m, std::int64_t now, const MessageRules& rules) {
  if (m.status == "answered" || m.status == "closed" || m.status == "rejected") return "";
  const std::int64_t days = (now - m.submitted_at) / 86400;
  if (days >= rules.error_days) return "error";
  if (days >= rules.warn_days) return "warn";
  return "";
}

}  // namespace gongkai::server::staff
