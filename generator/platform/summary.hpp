// What a platform unit's release tells the platform pages about it (server/unit.json,
// gongkai/platform.hpp): its columns, newest items, annual reports and inspection findings.
#pragma once
#include "gongkai/content.hpp"
#include "gongkai/datetime.hpp"
#include "gongkai/diagnostics.hpp"
#include "gongkai/platform.hpp"
#include "render.hpp"

namespace gongkai::gen {

// The unit's annual report of a year: a disclosure item filed under a category named
// 年度报告 (or with id ndbg), or tagged 年度报告; its year is the first "YYYY年" of its title,
// else the year before its publication.
bool is_annual_report(const Content& content, const Item& item);
int annual_report_year(const Item& item);

contract::UnitSummary summarize_unit(const Content& content, const Listing& listing,
                                     const Diagnostics& diagnostics, const contract::UnitRef& unit,
                                     const DateTime& now);

}  // namespace gongkai::gen
