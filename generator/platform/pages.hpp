// The platform's own pages (docs/platform.md), built from the units' summaries only: the
// district home, 政府信息公开 entry, 年报专栏, combined latest list and feeds, the sitemap index,
// the cross-unit search page's templates, and the inspection report (政务公开办).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gongkai/datetime.hpp"
#include "gongkai/diagnostics.hpp"
#include "gongkai/platform.hpp"
#include "platform.hpp"

namespace gongkai::gen {

struct PlatformPagesInput {
  const PlatformConfig& platform;
  // Aligned with platform.index.units: the summary of each unit's current release (nullopt:
  // never published).
  const std::vector<std::optional<contract::UnitSummary>>& units;
  std::filesystem::path theme_dir;
  DateTime now;
};

// One unit's row of the inspection report.
struct UnitInspection {
  contract::UnitRef unit;
  bool published = false;
  std::string last_published;
  int days_since = -1;  // since the last publication (-1: never)
  std::vector<contract::UnitSummary::Finding> freshness, empty_columns, late_penalties,
      consultations, other;
  int missing_report = 0;  // the year whose annual report is due (by 31 January) and missing
};
std::vector<UnitInspection> inspect_units(const PlatformPagesInput& in);
// The year whose annual report is due by now: the previous year from 1 February on
// (条例 Art. 49: by 31 January), 0 before any is due.
int annual_report_due_year(const DateTime& now);
std::string inspection_text(const std::vector<UnitInspection>& rows);
std::string inspection_csv(const std::vector<UnitInspection>& rows);

// Renders and publishes the platform pages into `output` (OUTPUT/platform); returns the release.
std::string publish_platform_pages(const PlatformPagesInput& in,
                                   const std::filesystem::path& output, Diagnostics& diags);

}  // namespace gongkai::gen
