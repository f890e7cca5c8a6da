// How staff move an application or a 留言 through its states, over the working-day calendar:
// pure functions (no I/O) that check the action is allowed from the current state, change the
// record and describe the step as an Event (its public_note is what the lookup page shows).
// docs/public-writes.md, "Handling", lists the states and rules.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "gongkai/applications.hpp"
#include "store.hpp"

namespace gongkai::server::staff {

using Fields = std::multimap<std::string, std::string>;  // a POST's fields (httplib::Params)

// 条例第三十六条, in the rows of the annual report's table 三 (国办公开办函〔2021〕30号): the reply
// types and, for those that need one, their grounds.
using gongkai::reply_types;
using gongkai::ReplyType;  // gongkai/applications.hpp

struct Outcome {
  std::string error;  // "" when done
  store::Event event;
};

// Application actions: receive (受理), correction (补正, needs note), corrected (补正后的申请已收到),
// extend (延期, needs reason, once), answer (答复: reply_type, reply_ground when its type has grounds,
// reply_text), withdraw (撤回, needs note). now: epoch; actor: the staff username.
Outcome act_on_application(store::Application& a, const std::vector<store::Event>& history,
                           const std::string& action, const Fields& f, const std::string& actor,
                           std::int64_t now);

// The actions allowed from the application's state, in the order the console offers them.
std::vector<std::string> application_actions(const store::Application& a);

// 留言 deadlines: working days to review, to answer simple and complex messages, and the days
// (calendar) after which an unanswered one is flagged (the inspection's three months).
struct MessageRules {
  int simple_days = 5, complex_days = 15;  // (the review: [writes] message_ack_days)
  int warn_days = 60, error_days = 80;
};

// 留言 actions: accept (受理: complexity simple|complex), reject (不予受理: reason), assign (交办:
// department), extend (延期: reason, days), answer (答复: answer, department), close (办结).
// answer publishes the message when the writer consented: its masked text (writes::mask_personal_data).
Outcome act_on_message(store::Message& m, const std::string& action, const Fields& f,
                       const std::string& actor, std::int64_t now, const MessageRules& rules);
std::vector<std::string> message_actions(const store::Message& m);

// Flags for the console: "overdue" (past due), "due_soon" (due within 5 working days), or "".
std::string deadline_flag(const std::string& due_date, std::int64_t now);
// For an unanswered message: "error" after rules.error_days, "warn" after rules.warn_days, else "".
std::string age_flag(const store::Message& m, std::int64_t now, const MessageRules& rules);

}  // namespace gongkai::server::staff
