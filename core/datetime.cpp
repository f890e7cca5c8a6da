#include "gongkai/datetime.hpp"

#include <cstdio>

namespace gongkai {

namespace {

struct Civil {
  int year, month, day, hour, minute, second, weekday;
};

Civil civil_from_epoch(std::int64_t epoch) {
  std::int64_t days = epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400;
  std::int64_t secs = epoch - days * 86400;
  const CivilDate c = civil_from_days(days);
  const int wd = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  return {c.year,
          c.month,
          c.day,
          static_cast<int>(secs / 3600),
          static_cast<int>((secs / 60) % 60),
          static_cast<int>(secs % 60),
          wd};
}

int read_digits(std::string_view s, std::size_t pos, std::size_t n, bool& ok) {
  if (pos + n > s.size()) {
    ok = false;
    return 0;
  }
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') {
      ok = false;
      return 0;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::int64_t days_from_civil(int year, int month, int day) {
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  return {y, m, d};
}

bool valid_civil_date(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  static const int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int limit = k_days[month - 1];
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && leap) limit = 29;
  return day <= limit;
}

DateTime DateTime::from_civil(int year, int month, int day, int hour, int minute, int second,
                              int offset_minutes, bool has_time) {
  DateTime dt;
  dt.epoch = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
             static_cast<std::int64_t>(offset_minutes) * 60;
  dt.offset_minutes = offset_minutes;
  dt.has_time = has_time;
  return dt;
}

DateTime DateTime::from_epoch(std::int64_t epoch, int offset_minutes) {
  DateTime dt;
  dt.epoch = epoch;
  dt.offset_minutes = offset_minutes;
  dt.has_time = true;
  return dt;
}

std::optional<DateTime> DateTime::parse(std::string_view s) {
  bool ok = true;
  const int y = read_digits(s, 0, 4, ok);
  const int mo = read_digits(s, 5, 2, ok);
  const int d = read_digits(s, 8, 2, ok);
  if (!ok || s.size() < 10 || s[4] != '-' || s[7] != '-' || !valid_civil_date(y, mo, d))
    return std::nullopt;
  if (s.size() == 10) return from_civil(y, mo, d, 0, 0, 0, k_default_offset_minutes, false);
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  const int h = read_digits(s, 11, 2, ok);
  const int mi = read_digits(s, 14, 2, ok);
  if (!ok || s.size() < 16 || s[13] != ':') return std::nullopt;
  std::size_t pos = 16;
  int sec = 0;
  if (pos < s.size() && s[pos] == ':') {
    sec = read_digits(s, pos + 1, 2, ok);
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {  // fractional seconds are accepted and dropped
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
  }
  if (!ok || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  int offset = k_default_offset_minutes;
  if (pos < s.size()) {
    if (s[pos] == 'Z' || s[pos] == 'z') {
      offset = 0;
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int oh = read_digits(s, pos + 1, 2, ok);
      const int om = read_digits(s, pos + 4, 2, ok);
      if (!ok || pos + 3 >= s.size() || s[pos + 3] != ':' || oh > 23 || om > 59)
        return std::nullopt;
      offset = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
      pos += 6;
    }
  }
  if (pos != s.size()) return std::nullopt;
  return from_civil(y, mo, d, h, mi, sec, offset, true);
}

int DateTime::year() const { return civil_from_epoch(epoch + offset_minutes * 60).year; }

std::string DateTime::date() const {
  const Civil c = civil_from_epoch(epoch + offset_minutes * 60);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

std::string DateTime::iso8601() const {
  const Civil c = civil_from_epoch(epoch + offset_minutes * 60);
  const int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month, c.day,
                c.hour, c.minute, c.second, offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

std::string DateTime::rfc822() const {
  static const char* k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const Civil c = civil_from_epoch(epoch + offset_minutes * 60);
  const int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d", k_days[c.weekday],
                c.day, k_months[c.month - 1], c.year, c.hour, c.minute, c.second,
                offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

std::string DateTime::compact() const {
  const Civil c = civil_from_epoch(epoch);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::int64_t DateTime::local_day_start() const {
  const Civil c = civil_from_epoch(epoch + offset_minutes * 60);
  return days_from_civil(c.year, c.month, c.day) * 86400 -
         static_cast<std::int64_t>(offset_minutes) * 60;
}

}  // namespace gongkai
