// The public forms' fields: what each asks (条例 Art. 29 for 依申请公开; 互动交流 for 留言; 征求意见
// responses), read from a POST's fields and checked, with a message per field that the page shows
// beside it (the form comes back with what was typed, nothing lost). Pure functions: no I/O.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "gongkai/applications.hpp"
#include "store.hpp"

namespace gongkai::server::writes {

using Params = std::multimap<std::string, std::string>;  // httplib::Params

struct FieldError {
  std::string field, message;
};

// The choices the forms offer, in their order.
using gongkai::applicant_types;                   // table 三's columns (gongkai/applications.hpp)
const std::vector<std::string>& id_types();       // 居民身份证, 护照, ...
const std::vector<std::string>& info_forms();     // 纸质, 电子文档, ...
const std::vector<std::string>& delivery_ways();  // 邮寄, 电子邮件, 当面领取, ...
const std::vector<std::string>& message_types();  // 咨询, 建议, 投诉, 求助
bool is_organisation(const std::string& applicant_type);

bool valid_phone(const std::string& s);  // mainland mobile, or a landline with area code
bool valid_email(const std::string& s);

// One field's text: trimmed, valid UTF-8, no control characters (line breaks only where
// multiline), at most max_chars characters.
std::string field_text(const Params& p, const std::string& name);

struct ApplicationForm {
  store::Application application;  // the fields as typed (trimmed)
  std::vector<FieldError> errors;
};
ApplicationForm read_application(const Params& p);

struct MessageForm {
  store::Message message;
  std::vector<FieldError> errors;
};
// related_choices: the unit's villages and departments (names) the message may name.
MessageForm read_message(const Params& p, const std::vector<std::string>& related_choices);

struct ResponseForm {
  store::ConsultationResponse response;
  std::vector<FieldError> errors;
};
ResponseForm read_response(const Params& p);

// The honeypot: true when a bot filled the field people never see.
bool honeypot_filled(const Params& p);

}  // namespace gongkai::server::writes
