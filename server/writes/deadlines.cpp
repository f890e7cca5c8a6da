#include "deadlines.hpp"

#include "gongkai/datetime.hpp"
#include "gongkai/workdays.hpp"

namespace gongkai::server::writes {

Deadline application_deadline(std::int64_t submitted) {
  const auto& cal = workdays::Calendar::official();
  const workdays::Date day = workdays::Date::of(DateTime::from_epoch(submitted));
  const workdays::Date received = cal.next_working_day(day);
  const auto due = cal.reply_due(received, {}, false);
  return {received.iso(), due ? due->iso() : ""};
}

Deadline message_ack_deadline(std::int64_t submitted, int ack_days) {
  const auto& cal = workdays::Calendar::official();
  const workdays::Date day = workdays::Date::of(DateTime::from_epoch(submitted));
  return {day.iso(), cal.add_working_days(day, ack_days).iso()};
}

}  // namespace gongkai::server::writes
