#include "gongkai/platform.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace gongkai::contract {

using nlohmann::json;

namespace {

json unit_ref_json(const UnitRef& u) {
  return {{"id", u.id},     {"name", u.name},     {"short_name", u.short_name},
          {"kind", u.kind}, {"prefix", u.prefix}, {"output", u.output}};
}

UnitRef unit_ref(const json& j) {
  UnitRef u;
  u.id = j.value("id", std::string());
  u.name = j.value("name", std::string());
  u.short_name = j.value("short_name", std::string());
  u.kind = j.value("kind", std::string());
  u.prefix = j.value("prefix", std::string());
  u.output = j.value("output", std::string());
  if (!valid_unit_id(u.id) || !valid_unit_prefix(u.prefix))
    throw std::runtime_error("a unit without a valid id and prefix");
  return u;
}

json object_of(const std::string& text, const char* what) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) throw std::runtime_error(std::string(what) + " is not a JSON object");
  return j;
}

}  // namespace

std::string platform_json(const PlatformIndex& p) {
  const PlatformIdentity& i = p.identity;
  json units = json::array();
  for (const UnitRef& u : p.units) units.push_back(unit_ref_json(u));
  const json j = {{"identity",
                   {{"title", i.title},
                    {"base_url", i.base_url},
                    {"description", i.description},
                    {"org_name", i.org_name},
                    {"site_code", i.site_code},
                    {"icp", i.icp},
                    {"police_record", i.police_record},
                    {"address", i.address},
                    {"phone", i.phone},
                    {"email", i.email}}},
                  {"inspection_public", p.inspection_public},
                  {"units", units}};
  return j.dump(2) + "\n";
}

PlatformIndex parse_platform_json(const std::string& text) {
  const json j = object_of(text, "platform.json");
  PlatformIndex p;
  const json id = j.value("identity", json::object());
  PlatformIdentity& i = p.identity;
  i.title = id.value("title", std::string());
  i.base_url = id.value("base_url", std::string());
  i.description = id.value("description", std::string());
  i.org_name = id.value("org_name", std::string());
  i.site_code = id.value("site_code", std::string());
  i.icp = id.value("icp", std::string());
  i.police_record = id.value("police_record", std::string());
  i.address = id.value("address", std::string());
  i.phone = id.value("phone", std::string());
  i.email = id.value("email", std::string());
  p.inspection_public = j.value("inspection_public", false);
  for (const json& u : j.value("units", json::array())) p.units.push_back(unit_ref(u));
  return p;
}

std::string unit_summary_json(const UnitSummary& s) {
  json columns = json::array(), latest = json::array(), reports = json::array(),
       findings = json::array();
  for (const auto& c : s.columns)
    columns.push_back({{"key", c.key}, {"title", c.title}, {"url", c.url}, {"items", c.items}});
  for (const auto& e : s.latest)
    latest.push_back({{"title", e.title},
                      {"url", e.url},
                      {"published", e.published},
                      {"section", e.section},
                      {"category", e.category}});
  for (const auto& r : s.annual_reports)
    reports.push_back(
        {{"year", r.year}, {"title", r.title}, {"url", r.url}, {"published", r.published}});
  for (const auto& f : s.findings)
    findings.push_back({{"code", f.code}, {"where", f.where}, {"message", f.message}});
  const json j = {{"unit", unit_ref_json(s.unit)},
                  {"build_now", s.build_now},
                  {"next_due", s.next_due},
                  {"last_published", s.last_published},
                  {"items", s.items},
                  {"columns", columns},
                  {"latest", latest},
                  {"annual_reports", reports},
                  {"findings", findings}};
  return j.dump(1) + "\n";
}

UnitSummary parse_unit_summary(const std::string& text) {
  const json j = object_of(text, "unit.json");
  UnitSummary s;
  s.unit = unit_ref(j.value("unit", json::object()));
  s.build_now = j.value("build_now", std::string());
  s.next_due = j.value("next_due", std::string());
  s.last_published = j.value("last_published", std::string());
  s.items = j.value("items", std::size_t{0});
  for (const json& c : j.value("columns", json::array()))
    s.columns.push_back({c.value("key", std::string()), c.value("title", std::string()),
                         c.value("url", std::string()), c.value("items", std::size_t{0})});
  for (const json& e : j.value("latest", json::array()))
    s.latest.push_back({e.value("title", std::string()), e.value("url", std::string()),
                        e.value("published", std::string()), e.value("section", std::string()),
                        e.value("category", std::string())});
  for (const json& r : j.value("annual_reports", json::array()))
    s.annual_reports.push_back({r.value("year", 0), r.value("title", std::string()),
                                r.value("url", std::string()),
                                r.value("published", std::string())});
  for (const json& f : j.value("findings", json::array()))
    s.findings.push_back({f.value("code", std::string()), f.value("where", std::string()),
                          f.value("message", std::string())});
  return s;
}

bool valid_unit_id(std::string_view id) {
  if (id.empty() || id.size() > 40 || id[0] == '-') return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool valid_unit_prefix(std::string_view p) {
  if (p.size() < 3 || p.front() != '/' || p.back() != '/' || p.size() > 120) return false;
  std::size_t seg = 0;
  for (std::size_t i = 1; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '/') {
      if (seg == 0) return false;
      seg = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      ++seg;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace gongkai::contract
