#include "gongkai/content.hpp"

namespace gongkai {

namespace {
template <class T>
const T* find_by_id(const std::vector<T>& v, const std::string& id) {
  for (const auto& x : v)
    if (x.id == id) return &x;
  return nullptr;
}
}  // namespace

const Department* SiteConfig::department(const std::string& id) const {
  return find_by_id(departments, id);
}
const Category* SiteConfig::category(const std::string& id) const {
  return find_by_id(categories, id);
}
const Village* SiteConfig::village(const std::string& id) const { return find_by_id(villages, id); }

const char* section_name(Section s) {
  switch (s) {
    case Section::disclosure: return "disclosure";
    case Section::notices: return "notices";
    case Section::consultations: return "consultations";
    case Section::pages: return "pages";
  }
  return "";
}

const char* section_title(Section s) {
  switch (s) {
    case Section::disclosure: return "政府信息公开";
    case Section::notices: return "普法宣传";
    case Section::consultations: return "征求意见";
    case Section::pages: return "网站页面";
  }
  return "";
}

std::optional<Section> section_of_name(std::string_view name) {
  for (Section s : {Section::disclosure, Section::notices, Section::consultations, Section::pages})
    if (name == section_name(s)) return s;
  return std::nullopt;
}

const char* column_title(std::string_view column) {
  if (const auto s = section_of_name(column)) return section_title(*s);
  if (column == k_responsibilities_name) return k_responsibilities_title;
  if (column == "home") return "首页";
  if (column == "search") return "站内搜索";
  if (column == "interact") return "互动交流";
  return "";
}

const char* const k_power_types[10] = {"行政许可", "行政处罚",    "行政强制", "行政征收",
                                       "行政给付", "行政检查",    "行政确认", "行政奖励",
                                       "行政裁决", "其他行政权力"};

bool is_power_type(const std::string& s) {
  for (const char* t : k_power_types)
    if (s == t) return true;
  return false;
}

std::string power_types_list() {
  std::string out;
  for (const char* t : k_power_types) {
    if (!out.empty()) out += ", ";
    out += t;
  }
  return out;
}

}  // namespace gongkai
