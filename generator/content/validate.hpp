// Validation after loading: index numbers (索引号), Markdown bodies rendered with their links
// resolved to published URLs (a link to a missing file or a draft is an error), personal data
// (privacy), freshness rules and attachment sizes. Work whose inputs did not change is taken
// from the item memo's records.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gongkai/content.hpp"
#include "gongkai/datetime.hpp"
#include "gongkai/diagnostics.hpp"
#include "statutory.hpp"

namespace gongkai::gen {

class Memo;  // incremental/memo.hpp (content links it privately: the layers above do not see it)
struct ItemRecord;

struct ValidateInputs {
  std::filesystem::path content_dir;
  std::string prefix;  // of paths in diagnostics
  DateTime now;
  int threads = 2;
  // Table 三 of a year from the server's database (gongkai-build --database); empty: the build
  // has none, and the reports say table 三 is not computed. Called on the calling thread only;
  // what it throws ends the validation.
  std::function<ApplicationTable(int year)> application_table;
};

// Returns the annual reports: every year content counts in and every year a shortcode names
// (the shortcodes are expanded into bodies here). `records` is
// aligned with content.items (empty: nothing remembered, nothing recorded).
std::map<int, YearReport> validate_content(Content& content, const ValidateInputs& in,
                                           std::vector<ItemRecord>& records, Diagnostics& diags);

}  // namespace gongkai::gen
