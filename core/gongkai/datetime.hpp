// Dates and date-times of the content format. Every value is an instant (UTC seconds) plus the
// offset it was written in, so it can be shown as the staff wrote it. Dates without a time are
// midnight; values without an offset are China Standard Time (+08:00), as a township means them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gongkai {

constexpr int k_default_offset_minutes = 8 * 60;

struct DateTime {
  std::int64_t epoch = 0;  // seconds since 1970-01-01T00:00:00Z
  int offset_minutes = k_default_offset_minutes;
  bool has_time = false;  // false: written as a plain date

  static DateTime from_civil(int year, int month, int day, int hour, int minute, int second,
                             int offset_minutes, bool has_time);
  // Accepts YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]; a space may replace T.
  static std::optional<DateTime> parse(std::string_view text);
  static DateTime from_epoch(std::int64_t epoch, int offset_minutes = k_default_offset_minutes);

  int year() const;
  std::string date() const;     // YYYY-MM-DD in the value's own offset
  std::string iso8601() const;  // YYYY-MM-DDTHH:MM:SS+08:00
  std::string rfc822() const;   // RSS: "Tue, 01 Mar 2022 08:00:00 +0800"
  std::string compact() const;  // 20220301T080000 (UTC), for build ids
  // Midnight at the start of this value's local day, as an epoch.
  std::int64_t local_day_start() const;

  friend bool operator<(const DateTime& a, const DateTime& b) { return a.epoch < b.epoch; }
  friend bool operator==(const DateTime& a, const DateTime& b) { return a.epoch == b.epoch; }
};

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int year, int month, int day);
// The inverse: the civil date of a day number (days since 1970-01-01).
struct CivilDate {
  int year = 1970, month = 1, day = 1;
};
CivilDate civil_from_days(std::int64_t days);
bool valid_civil_date(int year, int month, int day);

}  // namespace gongkai
