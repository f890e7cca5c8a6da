// The official working-day calendar (工作日) of mainland China: weekends, the 法定节假日 and the
// 调休 working weekends of the State Council General Office's yearly notices. Its data is
// core/data/workdays-cn.toml, compiled in (see that file for how to add a year).
//
// Counting follows the law's convention for periods (民法典第二百零一条; 期间开始的当日不计入):
// the day an event happens (a decision, the receipt of an application) is not counted; the
// period counts working days from the next day, and a deadline is the last of them.
//
// A year the data lacks counts Monday to Friday; covered() says which years are known, and
// missing_next_year() tells a build in December that next year's notice is still to be added.
#pragma once
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gongkai/datetime.hpp"

namespace gongkai::workdays {

// A civil date (a day of the calendar, no time, no zone), as a day number.
struct Date {
  std::int64_t days = 0;  // days since 1970-01-01 (days_from_civil)

  // Unchecked: the caller passes a valid date (valid_civil_date).
  static Date of(int year, int month, int day) { return {days_from_civil(year, month, day)}; }
  // "YYYY-MM-DD"; none for anything else or an impossible date.
  static std::optional<Date> parse(std::string_view text);
  // The day `t` falls on in its own offset (a value written without one: China Standard Time).
  static Date of(const DateTime& t);

  CivilDate civil() const { return civil_from_days(days); }
  int year() const { return civil().year; }
  int weekday() const;      // 0 Sunday … 6 Saturday
  std::string iso() const;  // YYYY-MM-DD

  Date operator+(std::int64_t n) const { return {days + n}; }
  Date operator-(std::int64_t n) const { return {days - n}; }
  friend auto operator<=>(const Date&, const Date&) = default;
};

// 补正 (政府信息公开条例第三十条): the agency asks the applicant to correct an unclear application.
struct Correction {
  Date requested;                 // the day the agency sent the 补正告知
  std::optional<Date> corrected;  // the day it received the corrected application; none: pending
};

// A calendar: the built-in one (official()), or one parsed from text of the data file's format.
class Calendar {
 public:
  // The compiled-in data (core/data/workdays-cn.toml), parsed and checked once. Throws
  // std::runtime_error if that data is malformed (the unit tests make sure it is not).
  static const Calendar& official();
  // Text in the format of workdays-cn.toml; none, with the reason in *error, if it is not.
  static std::optional<Calendar> parse(std::string_view toml, std::string* error = nullptr);

  // The data has the notice for `year` (the days of a notice's period that fall in the year
  // before, like 2022-12-31 in 2023's, are used, but do not make that year covered).
  bool covered(int year) const;
  // Every year from from.year() to to.year() without data, ascending; empty: all covered.
  std::vector<int> uncovered_years(Date from, Date to) const;
  int first_year() const;  // 0 for an empty calendar
  int last_year() const;
  // The notice's document number(s) for a covered year, else "".
  std::string notice(int year) const;

  // A weekday that is not a holiday, or a weekend day the notice makes a working day. In a year
  // without data: Monday to Friday.
  bool is_working_day(Date d) const;
  // The n-th working day after `d` (n >= 1; `d` itself never counts). n <= 0 gives `d`.
  Date add_working_days(Date d, int n) const;
  // The first working day strictly after `d`.
  Date next_working_day(Date d) const { return add_working_days(d, 1); }
  // `d` if it is a working day, else the next one. The 收到申请之日 of an application made
  // online (条例第三十一条第三项: 以双方确认之日为收到申请之日): our product rule is that the
  // system confirms it on the day it is submitted if that is a working day, else on the next
  // working day. The caller decides what counts as the submission day (it may treat an
  // application after office hours as submitted the next day by passing d + 1).
  Date working_day_on_or_after(Date d) const { return is_working_day(d) ? d : next_working_day(d); }
  // Working days after `from` up to and including `to` (0 when to <= from): a penalty decided
  // on D and published on the 7th working day after D gives 7.
  int working_days_between(Date from, Date to) const;

  // The reply deadline of a 依申请公开 application (条例第三十三条): 20 working days after the
  // day it was received, 40 with the one extension (延长的期限最长不得超过20个工作日).
  // With 补正 (条例第三十条, "答复期限自行政机关收到补正的申请之日起计算"), the clock stops on
  // the day 补正 is requested and starts again from zero the day the corrected application is
  // received: the period counts from the last correction's `corrected` day. None while the last
  // correction (by `requested`) is pending. Corrections requested before `received` are ignored.
  std::optional<Date> reply_due(Date received, const std::vector<Correction>& corrections,
                                bool extended) const;
  // The last day to send the one 补正告知 (条例第三十条: 自收到申请之日起7个工作日内).
  Date correction_notice_due(Date received) const { return add_working_days(received, 7); }

  // The year whose data a build on `today` needs and lacks: the next year from 1 December on,
  // or the current year itself once it has begun without data (only after the data's last year:
  // a clock set in the past, before the first year, is not warned about).
  std::optional<int> missing_next_year(Date today) const;

 private:
  std::map<int, std::string> m_notices;  // year -> notice
  std::vector<std::int64_t> m_holidays;  // day numbers, sorted
  std::vector<std::int64_t> m_workdays;  // day numbers, sorted
};

// The official calendar's functions, for callers that need no other.
inline bool covered(int year) { return Calendar::official().covered(year); }
inline bool is_working_day(Date d) { return Calendar::official().is_working_day(d); }
inline Date add_working_days(Date d, int n) { return Calendar::official().add_working_days(d, n); }
inline Date next_working_day(Date d) { return Calendar::official().next_working_day(d); }
inline int working_days_between(Date from, Date to) {
  return Calendar::official().working_days_between(from, to);
}
inline std::optional<int> missing_next_year(Date today) {
  return Calendar::official().missing_next_year(today);
}

// What a build says when missing_next_year() names a year: Chinese for the staff, then English.
std::string missing_year_message(int year);

}  // namespace gongkai::workdays
