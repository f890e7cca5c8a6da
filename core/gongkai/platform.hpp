// The district platform's contract between its builds and the server (docs/platform.md):
// the units a platform names, what a unit's release tells the platform pages about it
// (server/unit.json) and what the platform release tells the server (server/platform.json).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gongkai::contract {

inline constexpr const char* k_platform_toml = "platform.toml";  // beside the units' folders
inline constexpr const char* k_units_dir = "units";              // OUTPUT/units/<id>/
inline constexpr const char* k_platform_dir = "platform";        // OUTPUT/platform/
inline constexpr const char* k_unit_file = "unit.json";          // a unit release's server/
inline constexpr const char* k_platform_file = "platform.json";  // the platform release's server/

// 公开主体的类别, in the order the portal lists them.
inline const std::vector<std::string>& unit_kinds() {
  static const std::vector<std::string> k = {"区政府", "区政府部门", "乡镇", "街道"};
  return k;
}

// The district site's identity: its footer and meta tags on every page of every unit.
struct PlatformIdentity {
  std::string title, base_url, description;
  std::string org_name, site_code, icp, police_record, address, phone, email;
};

// A unit as the platform names it.
struct UnitRef {
  std::string id, name, short_name, kind, prefix;
  std::string output;  // its output folder, relative to the platform's OUTPUT: units/<id>
};

struct PlatformIndex {
  PlatformIdentity identity;
  std::vector<UnitRef> units;
  bool inspection_public = false;
};
std::string platform_json(const PlatformIndex& index);
// Throws std::runtime_error (or nlohmann::json::exception) when the text is not one.
PlatformIndex parse_platform_json(const std::string& text);

// What a unit's release tells the platform pages about the unit.
struct UnitSummary {
  UnitRef unit;
  std::string build_now;       // the build's clock (ISO 8601)
  std::string next_due;        // the first scheduled item's time (ISO 8601), "" when none
  std::string last_published;  // newest listed item's date (YYYY-MM-DD), "" when none
  std::size_t items = 0;       // listed items
  struct Column {  // 机构信息, 公开指南, 公开制度, 法定主动公开内容, 公开年报
    std::string key, title, url;  // url "" when the unit has no such page
    std::size_t items = 0;
  };
  std::vector<Column> columns;
  struct Entry {
    std::string title, url, published, section, category;
  };
  std::vector<Entry> latest;  // newest listed items first (at most 20)
  struct AnnualReport {
    int year = 0;
    std::string title, url, published;
  };
  std::vector<AnnualReport> annual_reports;  // by year
  struct Finding {
    std::string code;  // freshness | empty_column | late_penalty | consultation_result | other
    std::string where, message;
  };
  std::vector<Finding> findings;  // the unit build's inspection warnings
};
std::string unit_summary_json(const UnitSummary& summary);
// Throws std::runtime_error (or nlohmann::json::exception) when the text is not one.
UnitSummary parse_unit_summary(const std::string& text);

// A unit id: [a-z0-9-], 1 to 40 characters, not starting with '-'.
bool valid_unit_id(std::string_view id);
// A unit prefix: "/" + one or more segments of [a-z0-9-] each followed by "/", not "/".
bool valid_unit_prefix(std::string_view prefix);

}  // namespace gongkai::contract
