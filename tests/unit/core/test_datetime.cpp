#include <catch2/catch.hpp>

#include "gongkai/datetime.hpp"

using gongkai::DateTime;

TEST_CASE("datetime: ISO 8601 values parse to the right instant and print back") {
  struct Case {
    const char* text;
    const char* iso;
    const char* date;
  };
  const Case cases[] = {
      {"2022-03-15", "2022-03-15T00:00:00+08:00", "2022-03-15"},
      {"2022-03-15T10:00:00+08:00", "2022-03-15T10:00:00+08:00", "2022-03-15"},
      {"2022-03-15T02:00:00Z", "2022-03-15T02:00:00+00:00", "2022-03-15"},
      {"2022-03-15 23:30", "2022-03-15T23:30:00+08:00", "2022-03-15"},
      {"2020-02-29T12:00:00.250-05:00", "2020-02-29T12:00:00-05:00", "2020-02-29"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto dt = DateTime::parse(c.text);
    REQUIRE(dt);
    CHECK(dt->iso8601() == c.iso);
    CHECK(dt->date() == c.date);
  }
  CHECK(DateTime::parse("2022-03-15T10:00:00+08:00")->epoch ==
        DateTime::parse("2022-03-15T02:00:00Z")->epoch);
}

TEST_CASE("datetime: impossible dates and malformed text are rejected") {
  for (const char* bad :
       {"2021-02-29", "2022-13-01", "2022-00-10", "2022-04-31", "22-03-15", "2022/03/15",
        "2022-03-15T25:00", "2022-03-15T10:00:00+8", "2022-03-15x", ""}) {
    INFO(bad);
    CHECK_FALSE(DateTime::parse(bad));
  }
}

TEST_CASE("datetime: RFC 822 for RSS and the compact build-id form") {
  const auto dt = DateTime::parse("2022-03-01T08:00:00+08:00");
  REQUIRE(dt);
  CHECK(dt->rfc822() == "Tue, 01 Mar 2022 08:00:00 +0800");
  CHECK(dt->compact() == "20220301T000000Z");
  CHECK(dt->year() == 2022);
  CHECK(DateTime::parse("1969-12-31T23:59:59Z")->date() == "1969-12-31");
}
