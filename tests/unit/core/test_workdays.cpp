#include <catch2/catch.hpp>

#include "gongkai/workdays.hpp"

using namespace gongkai;
using workdays::Calendar;
using workdays::Correction;
using workdays::Date;

namespace {

Date d(int y, int m, int day) { return Date::of(y, m, day); }
const Calendar& cal() { return Calendar::official(); }

}  // namespace

TEST_CASE("workdays: the compiled-in calendar parses and covers 2020 to 2026, notice by notice") {
  REQUIRE_NOTHROW(Calendar::official());
  CHECK(cal().first_year() == 2020);
  CHECK(cal().last_year() == 2026);
  for (int y = 2020; y <= 2026; ++y) {
    INFO(y);
    CHECK(cal().covered(y));
    CHECK(cal().notice(y).find("国办发明电") == 0);
  }
  CHECK_FALSE(cal().covered(2019));
  CHECK_FALSE(cal().covered(2027));
  CHECK(cal().notice(2026) == "国办发明电〔2025〕7号");
  CHECK(cal().notice(2027).empty());
}

TEST_CASE("workdays: dates parse, print, know their weekday and the day of a date-time") {
  CHECK(Date::parse("2026-02-14") == d(2026, 2, 14));
  CHECK_FALSE(Date::parse("2026-02-30"));
  CHECK_FALSE(Date::parse("2026-2-14"));
  CHECK_FALSE(Date::parse("2026-02-14T10:00"));
  CHECK(d(2026, 2, 14).iso() == "2026-02-14");
  CHECK(d(2026, 2, 14).weekday() == 6);  // Saturday
  CHECK(d(1970, 1, 1).weekday() == 4);
  CHECK(d(1969, 12, 31).weekday() == 3);
  CHECK(d(2026, 12, 8).year() == 2026);
  // A date-time's day in its own offset: 23:30 in Beijing is still that day there.
  CHECK(Date::of(*DateTime::parse("2026-02-14T23:30:00+08:00")) == d(2026, 2, 14));
  CHECK(Date::of(*DateTime::parse("2026-02-14")) == d(2026, 2, 14));
  CHECK(Date::of(*DateTime::parse("2026-02-13T20:00:00Z")) == d(2026, 2, 13));
  CHECK(civil_from_days(days_from_civil(2024, 2, 29)).day == 29);
}

TEST_CASE("workdays: Spring Festival 2026, 9 days off between two working Saturdays") {
  // 国办发明电〔2025〕7号: "二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）
  // 放假调休，共9天。2月14日（周六）、2月28日（周六）上班。"
  CHECK(cal().is_working_day(d(2026, 2, 13)));  // Friday
  CHECK(cal().is_working_day(d(2026, 2, 14)));  // Saturday, 调休上班
  for (int day = 15; day <= 23; ++day) {
    INFO("2026-02-" << day);
    CHECK_FALSE(cal().is_working_day(d(2026, 2, day)));
  }
  CHECK(cal().is_working_day(d(2026, 2, 24)));       // Tuesday
  CHECK(cal().is_working_day(d(2026, 2, 28)));       // Saturday, 调休上班
  CHECK_FALSE(cal().is_working_day(d(2026, 3, 1)));  // Sunday
  CHECK(cal().next_working_day(d(2026, 2, 14)) == d(2026, 2, 24));
  CHECK(cal().working_days_between(d(2026, 2, 13), d(2026, 2, 24)) == 2);
}

TEST_CASE("workdays: National Day 2025, 10/1 to 10/8 off, 9/28 (Sunday) and 10/11 (Saturday) on") {
  // 国办发明电〔2024〕12号: "六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。
  // 9月28日（周日）、10月11日（周六）上班。"
  CHECK_FALSE(cal().is_working_day(d(2025, 9, 27)));  // Saturday
  CHECK(cal().is_working_day(d(2025, 9, 28)));        // Sunday, 调休上班
  CHECK(cal().is_working_day(d(2025, 9, 30)));
  for (int day = 1; day <= 8; ++day) {
    INFO("2025-10-0" << day);
    CHECK_FALSE(cal().is_working_day(d(2025, 10, day)));
  }
  CHECK(cal().is_working_day(d(2025, 10, 9)));         // Thursday
  CHECK(cal().is_working_day(d(2025, 10, 11)));        // Saturday, 调休上班
  CHECK_FALSE(cal().is_working_day(d(2025, 10, 12)));  // Sunday
  CHECK(cal().next_working_day(d(2025, 9, 30)) == d(2025, 10, 9));
}

TEST_CASE("workdays: 2023's New Year holiday begins on 2022-12-31, across the year end") {
  // 国办发明电〔2022〕16号: "一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。"
  CHECK(cal().is_working_day(d(2022, 12, 30)));        // Friday
  CHECK_FALSE(cal().is_working_day(d(2022, 12, 31)));  // Saturday
  CHECK_FALSE(cal().is_working_day(d(2023, 1, 1)));
  CHECK_FALSE(cal().is_working_day(d(2023, 1, 2)));  // Monday
  CHECK(cal().next_working_day(d(2022, 12, 30)) == d(2023, 1, 3));
  CHECK(cal().working_days_between(d(2022, 12, 29), d(2023, 1, 3)) == 2);
  CHECK(cal().uncovered_years(d(2022, 12, 1), d(2023, 1, 31)).empty());
}

TEST_CASE(
    "workdays: 调休 Saturdays and Sundays are working days, and so is the extended 2020 Spring "
    "Festival") {
  // 国办发明电〔2019〕16号: "四、劳动节：5月1日至5日放假调休，共5天。4月26日（星期日）、
  // 5月9日（星期六）上班。"
  CHECK(cal().is_working_day(d(2020, 4, 26)));
  CHECK(cal().is_working_day(d(2020, 5, 9)));
  // 国办发明电〔2020〕27号: "六、中秋节：9月19日至21日放假调休，共3天。9月18日（星期六）上班。"
  CHECK(cal().is_working_day(d(2021, 9, 18)));
  // 国办发明电〔2021〕11号: "三、清明节：4月3日至5日放假调休，共3天。4月2日（星期六）上班。"
  CHECK(cal().is_working_day(d(2022, 4, 2)));
  // 国办发明电〔2023〕7号: "四、劳动节：……4月28日（星期日）、5月11日（星期六）上班。"
  CHECK(cal().is_working_day(d(2024, 5, 11)));
  CHECK_FALSE(cal().is_working_day(d(2024, 5, 12)));  // the Sunday after: an ordinary weekend
  // "鼓励各单位……安排职工在除夕（2月9日）休息": encouraged only, so still a working day.
  CHECK(cal().is_working_day(d(2024, 2, 9)));
  // 国办发明电〔2020〕1号 extended the 2020 Spring Festival "至2月2日……2月3日（星期一）起正常
  // 上班": 1月31日 and the formerly working Saturday 2月1日 are days off.
  CHECK_FALSE(cal().is_working_day(d(2020, 1, 31)));
  CHECK_FALSE(cal().is_working_day(d(2020, 2, 1)));
  CHECK(cal().is_working_day(d(2020, 1, 19)));  // Sunday, 调休上班 (unchanged)
  CHECK(cal().next_working_day(d(2020, 1, 23)) == d(2020, 2, 3));
}

TEST_CASE(
    "workdays: counting leaves out the starting day, and add_working_days and between agree") {
  // 期间开始的当日不计入: a decision on Monday 2022-02-14 is 1 working day old on Tuesday.
  CHECK(cal().working_days_between(d(2022, 2, 14), d(2022, 2, 14)) == 0);
  CHECK(cal().working_days_between(d(2022, 2, 14), d(2022, 2, 15)) == 1);
  CHECK(cal().working_days_between(d(2022, 2, 15), d(2022, 2, 14)) == 0);
  CHECK(cal().add_working_days(d(2022, 2, 14), 0) == d(2022, 2, 14));
  CHECK(cal().add_working_days(d(2022, 2, 18), 1) == d(2022, 2, 21));  // Friday -> Monday
  for (int n = 1; n <= 45; ++n) {
    INFO(n);
    const Date due = cal().add_working_days(d(2025, 9, 22), n);
    CHECK(cal().is_working_day(due));
    CHECK(cal().working_days_between(d(2025, 9, 22), due) == n);
  }
}

TEST_CASE("workdays: a 20-working-day reply period across Golden Week 2025, and its extension") {
  // Received Monday 2025-09-22. Working days: 9/23–9/26 (4), 9/28 Sunday 调休 (5), 9/29–9/30 (7),
  // 10/1–10/8 off, 10/9–10/10 (9), 10/11 Saturday 调休 (10), 10/13–10/17 (15), 10/20–10/24 (20).
  // Monday to Friday would have said 2025-10-20.
  CHECK(cal().reply_due(d(2025, 9, 22), {}, false) == d(2025, 10, 24));
  // 条例第三十三条: "延长的期限最长不得超过20个工作日": 10/27–11/21 are 20 more.
  CHECK(cal().reply_due(d(2025, 9, 22), {}, true) == d(2025, 11, 21));
}

TEST_CASE("workdays: 补正 restarts the reply period from the corrected application's receipt") {
  // Received Monday 2026-09-14. 条例第三十条: the 补正告知 within 7 working days: 9/15–9/18 (4),
  // 9/20 Sunday 调休 (5, 国办发明电〔2025〕7号 "9月20日（周日）……上班"), 9/21, 9/22 (7).
  CHECK(cal().correction_notice_due(d(2026, 9, 14)) == d(2026, 9, 22));
  // Without 补正: 9/15–9/18, 9/20, 9/21–9/24 (9), 中秋 9/25–9/27 off, 9/28–9/30 (12),
  // 国庆 10/1–10/7 off, 10/8, 10/9 (14), 10/10 Saturday 调休 (15), 10/12–10/16 (20).
  CHECK(cal().reply_due(d(2026, 9, 14), {}, false) == d(2026, 10, 16));
  CHECK(cal().reply_due(d(2026, 9, 14), {}, true) == d(2026, 11, 13));
  // 补正 asked on 9/18 and still pending: the clock stands, there is no due date.
  const Correction pending{d(2026, 9, 18), std::nullopt};
  CHECK_FALSE(cal().reply_due(d(2026, 9, 14), {pending}, false));
  // "答复期限自行政机关收到补正的申请之日起计算": corrected application received Friday 10/9;
  // count from zero: 10/10 Saturday 调休 (1), 10/12–10/16 (6), …, 11/2–11/5 (20).
  const Correction done{d(2026, 9, 18), d(2026, 10, 9)};
  CHECK(cal().reply_due(d(2026, 9, 14), {done}, false) == d(2026, 11, 5));
  CHECK(cal().reply_due(d(2026, 9, 14), {done}, true) ==
        cal().add_working_days(d(2026, 11, 5), 20));
  // Only the last correction counts; one "requested" before receipt is not a correction of it.
  const Correction later{d(2026, 10, 12), d(2026, 10, 16)};
  CHECK(cal().reply_due(d(2026, 9, 14), {done, later}, false) ==
        cal().add_working_days(d(2026, 10, 16), 20));
  const Correction stale{d(2026, 9, 1), std::nullopt};
  CHECK(cal().reply_due(d(2026, 9, 14), {stale}, false) == d(2026, 10, 16));
}

TEST_CASE("workdays: the receipt day of an online application submitted on a day off") {
  // Our rule for 条例第三十一条第三项 (以双方确认之日为收到申请之日): the submission day if it
  // is a working day, else the next working day.
  CHECK(cal().working_day_on_or_after(d(2026, 2, 22)) == d(2026, 2, 24));  // 春节 Sunday
  CHECK(cal().working_day_on_or_after(d(2026, 2, 14)) == d(2026, 2, 14));  // 调休 Saturday
  CHECK(cal().working_day_on_or_after(d(2026, 3, 2)) == d(2026, 3, 2));
  // After hours on Friday 2026-02-13, the caller passes the next day: that Saturday works.
  CHECK(cal().working_day_on_or_after(d(2026, 2, 13) + 1) == d(2026, 2, 14));
}

TEST_CASE("workdays: the 7-working-day penalty rule around National Day") {
  // Decided Friday 2025-09-26, published Monday 2025-10-13: 9/28 Sunday 调休 (1), 9/29, 9/30 (3),
  // 10/1–10/8 off, 10/9, 10/10 (5), 10/11 Saturday 调休 (6), 10/13 (7): on time. Monday to
  // Friday counted 11 and called it late.
  CHECK(cal().working_days_between(d(2025, 9, 26), d(2025, 10, 13)) == 7);
  CHECK(cal().working_days_between(d(2025, 9, 26), d(2025, 10, 14)) == 8);
  // The reverse: decided Thursday 2026-02-26, published Monday 2026-03-09: 2/27 (1), 2/28
  // Saturday 调休 (2), 3/2–3/6 (7), 3/9 (8): late, where Monday to Friday counted 7.
  CHECK(cal().working_days_between(d(2026, 2, 26), d(2026, 3, 9)) == 8);
}

TEST_CASE("workdays: a year without data counts Monday to Friday, and says so") {
  // 2019 and 2028 are not in the data: their holidays are unknown here.
  CHECK_FALSE(cal().covered(2019));
  CHECK(cal().is_working_day(d(2019, 10, 1)));        // Tuesday (国庆 in fact, but no data)
  CHECK_FALSE(cal().is_working_day(d(2019, 10, 5)));  // Saturday
  CHECK(cal().is_working_day(d(2028, 10, 2)));        // Monday
  CHECK(cal().working_days_between(d(2028, 9, 29), d(2028, 10, 9)) == 6);
  CHECK(cal().uncovered_years(d(2026, 12, 20), d(2027, 1, 10)) == std::vector<int>{2027});
  CHECK(cal().uncovered_years(d(2019, 12, 20), d(2020, 1, 10)) == std::vector<int>{2019});
  CHECK(cal().uncovered_years(d(2021, 1, 1), d(2025, 12, 31)).empty());
  CHECK(cal().uncovered_years(d(2027, 1, 10), d(2026, 12, 20)) == std::vector<int>{2027});
}

TEST_CASE("workdays: from 1 December a build is told that next year's notice is missing") {
  CHECK_FALSE(cal().missing_next_year(d(2026, 11, 30)));
  CHECK(cal().missing_next_year(d(2026, 12, 1)) == 2027);
  CHECK(cal().missing_next_year(d(2026, 12, 31)) == 2027);
  CHECK(cal().missing_next_year(d(2027, 3, 1)) == 2027);  // "or later": the year has begun
  CHECK(cal().missing_next_year(d(2028, 12, 8)) == 2028);
  CHECK_FALSE(cal().missing_next_year(d(2025, 12, 8)));  // 2026 is in the data
  CHECK_FALSE(cal().missing_next_year(d(2019, 12, 8)));  // 2020 is
  CHECK_FALSE(cal().missing_next_year(d(2018, 6, 1)));   // a clock in the past: not warned
  CHECK(workdays::missing_next_year(d(2026, 12, 8)) == 2027);
  const std::string m = workdays::missing_year_message(2027);
  CHECK(m.find("节假日安排数据缺少 2027 年") == 0);
  CHECK(m.find("core/data/workdays-cn.toml") != std::string::npos);
  CHECK(m.find("the working-day calendar has no data for 2027") != std::string::npos);
}

TEST_CASE("workdays: a calendar's data is checked when it is parsed") {
  std::string error;
  const auto ok = Calendar::parse(R"(
[2030]
notice = "国办发明电〔2029〕1号"
holidays = ["2030-01-01", 2030-01-02]
workdays = ["2029-12-29"]
)",
                                  &error);
  INFO(error);
  REQUIRE(ok);
  CHECK(ok->covered(2030));
  CHECK_FALSE(ok->covered(2029));
  CHECK_FALSE(ok->is_working_day(d(2030, 1, 2)));  // a TOML date works too
  CHECK(ok->is_working_day(d(2029, 12, 29)));      // Saturday, in the year before

  auto rejects = [](const std::string& text, const std::string& why) {
    std::string e;
    CHECK_FALSE(Calendar::parse(text, &e));
    INFO(e);
    CHECK(e.find(why) != std::string::npos);
  };
  const std::string head = "[2030]\nnotice = \"n\"\n";
  rejects(head + "holidays = []\nworkdays = [\"2030-01-07\"]\n", "is a weekday");
  rejects(head + "holidays = [\"2030-01-05\"]\nworkdays = [\"2030-01-05\"]\n", "already in");
  rejects(head + "holidays = [\"2030-02-30\"]\nworkdays = []\n", "not a date");
  rejects(head + "holidays = [\"2032-01-01\"]\nworkdays = []\n", "not near");
  rejects(head + "holiday = []\nholidays = []\nworkdays = []\n", "unknown key \"holiday\"");
  rejects(head + "holidays = []\n", "workdays");
  rejects("[2030]\nholidays = []\nworkdays = []\n", "notice");
  rejects("[next]\nnotice = \"n\"\nholidays = []\nworkdays = []\n", "year of its notice");
  rejects("[2030\n", "line 1");
}
