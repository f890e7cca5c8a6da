#include "gongkai/workdays.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <toml++/toml.h>

namespace gongkai::workdays {

namespace detail {
extern const std::string_view k_data;  // core/data/workdays-cn.toml, generated workdays_data.cpp
}

std::optional<Date> Date::parse(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int v[3] = {0, 0, 0};
  const std::size_t start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i)
    for (std::size_t j = start[i]; j < start[i] + len[i]; ++j) {
      if (s[j] < '0' || s[j] > '9') return std::nullopt;
      v[i] = v[i] * 10 + (s[j] - '0');
    }
  if (!valid_civil_date(v[0], v[1], v[2])) return std::nullopt;
  return of(v[0], v[1], v[2]);
}

Date Date::of(const DateTime& t) {
  const std::int64_t local = t.epoch + static_cast<std::int64_t>(t.offset_minutes) * 60;
  return {local >= 0 ? local / 86400 : (local - 86399) / 86400};
}

int Date::weekday() const { return static_cast<int>(((days % 7) + 11) % 7); }

std::string Date::iso() const {
  const CivilDate c = civil();
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

const Calendar& Calendar::official() {
  static const Calendar calendar = [] {
    std::string error;
    auto c = parse(detail::k_data, &error);
    if (!c) throw std::runtime_error("core/data/workdays-cn.toml (compiled in): " + error);
    return std::move(*c);
  }();
  return calendar;
}

std::optional<Calendar> Calendar::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Calendar> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  toml::table root;
  try {
    root = toml::parse(text, std::string_view("workdays-cn.toml"));
  } catch (const toml::parse_error& e) {
    return fail("line " + std::to_string(e.source().begin.line) + ": " +
                std::string(e.description()));
  }
  Calendar c;
  std::map<std::int64_t, std::string> seen;  // day -> where it was listed, for duplicates
  for (auto&& [key, node] : root) {
    const std::string name(key.str());
    const std::string where = "[" + name + "]";
    if (name.size() != 4 ||
        !std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return fail(where + ": a table's name is the year of its notice (YYYY)");
    const int year = std::stoi(name);
    const toml::table* t = node.as_table();
    if (!t) return fail(where + ": must be a table");
    for (auto&& [k, v] : *t)
      if (k != "notice" && k != "holidays" && k != "workdays")
        return fail(where + ": unknown key \"" + std::string(k.str()) +
                    "\" (notice, holidays, workdays)");
    const auto notice = (*t)["notice"].value<std::string>();
    if (!notice || notice->empty())
      return fail(where + ": notice = \"国办发明电〔…〕…号\" missing");
    c.m_notices[year] = *notice;
    for (const char* list : {"holidays", "workdays"}) {
      const toml::array* a = (*t)[list].as_array();
      if (!a) return fail(where + ": " + list + " = [ \"YYYY-MM-DD\", … ] missing");
      for (const toml::node& e : *a) {
        std::optional<Date> d;
        if (auto s = e.value<std::string>())
          d = Date::parse(*s);
        else if (auto td = e.as_date())
          d = Date::of(td->get().year, td->get().month, td->get().day);
        if (!d) return fail(where + " " + list + ": not a date \"YYYY-MM-DD\"");
        if (d->year() < year - 1 || d->year() > year + 1)
          return fail(where + " " + list + ": " + d->iso() + " is not near the notice's year");
        const bool workday = std::string_view(list) == "workdays";
        if (workday && d->weekday() != 0 && d->weekday() != 6)
          return fail(where + " workdays: " + d->iso() +
                      " is a weekday; only a Saturday or Sunday becomes a 调休 working day");
        const auto [at, fresh] = seen.emplace(d->days, where + " " + list);
        if (!fresh)
          return fail(where + " " + list + ": " + d->iso() + " is already in " + at->second);
        (workday ? c.m_workdays : c.m_holidays).push_back(d->days);
      }
    }
  }
  std::sort(c.m_holidays.begin(), c.m_holidays.end());
  std::sort(c.m_workdays.begin(), c.m_workdays.end());
  return c;
}

bool Calendar::covered(int year) const { return m_notices.count(year) != 0; }

std::vector<int> Calendar::uncovered_years(Date from, Date to) const {
  if (to < from) std::swap(from, to);
  std::vector<int> out;
  for (int y = from.year(); y <= to.year(); ++y)
    if (!covered(y)) out.push_back(y);
  return out;
}

int Calendar::first_year() const { return m_notices.empty() ? 0 : m_notices.begin()->first; }
int Calendar::last_year() const { return m_notices.empty() ? 0 : m_notices.rbegin()->first; }

std::string Calendar::notice(int year) const {
  const auto it = m_notices.find(year);
  return it == m_notices.end() ? std::string() : it->second;
}

bool Calendar::is_working_day(Date d) const {
  if (std::binary_search(m_workdays.begin(), m_workdays.end(), d.days)) return true;
  if (std::binary_search(m_holidays.begin(), m_holidays.end(), d.days)) return false;
  const int wd = d.weekday();
  return wd != 0 && wd != 6;
}

Date Calendar::add_working_days(Date d, int n) const {
  while (n > 0) {
    d = d + 1;
    if (is_working_day(d)) --n;
  }
  return d;
}

int Calendar::working_days_between(Date from, Date to) const {
  int n = 0;
  for (Date d = from + 1; d <= to; d = d + 1)
    if (is_working_day(d)) ++n;
  return n;
}

std::optional<Date> Calendar::reply_due(Date received, const std::vector<Correction>& corrections,
                                        bool extended) const {
  const Correction* last = nullptr;
  for (const Correction& c : corrections)
    if (c.requested >= received && (!last || last->requested <= c.requested)) last = &c;
  Date start = received;
  if (last) {
    if (!last->corrected) return std::nullopt;  // the clock stands until the correction arrives
    start = *last->corrected;
  }
  return add_working_days(start, extended ? 40 : 20);
}

std::optional<int> Calendar::missing_next_year(Date today) const {
  const CivilDate c = today.civil();
  if (!covered(c.year) && c.year > last_year()) return c.year;
  if (c.month == 12 && !covered(c.year + 1) && c.year + 1 > last_year()) return c.year + 1;
  return std::nullopt;
}

std::string missing_year_message(int year) {
  const std::string y = std::to_string(year);
  return "节假日安排数据缺少 " + y +
         " 年（国务院办公厅通知发布后请更新 core/data/workdays-cn.toml 并重新构建 gongkai）/ the "
         "working-day calendar has no data for " +
         y +
         " (add the State Council's holiday notice to core/data/workdays-cn.toml and rebuild); " +
         "until then working days in " + y + " are counted Monday to Friday";
}

}  // namespace gongkai::workdays
