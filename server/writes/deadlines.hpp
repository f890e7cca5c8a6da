// The public forms' deadlines over the official working-day calendar (gongkai/workdays.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gongkai::server::writes {

struct Deadline {
  std::string received;  // YYYY-MM-DD: the clock's day 0
  std::string due;       // YYYY-MM-DD: the last day
};

// An online 依申请公开 application submitted at `submitted` (epoch): received on the next working
// day after the day it was submitted (China Standard Time), as the issue of the platform reads
// 条例第三十一条第三项 (the agency confirms online applications the working day after), and due
// 20 working days after that (第三十三条).
Deadline application_deadline(std::int64_t submitted);

// A 留言 submitted at `submitted`: received that day; reviewed (受理 or 不予受理) by the end of
// the next `ack_days` working days.
Deadline message_ack_deadline(std::int64_t submitted, int ack_days = 1);

}  // namespace gongkai::server::writes
