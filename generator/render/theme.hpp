// A theme: Mustache templates (kainjow) under themes/<name>/templates/ and static assets under
// themes/<name>/static/, copied to /static/ in the site. Staff edit these files; a template error
// is reported with the template's path. Rendering is const and thread-safe per Theme copy.
#pragma once
#include <filesystem>
#include <kainjow/mustache.hpp>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "gongkai/diagnostics.hpp"

namespace gongkai::gen {

using kainjow::mustache::data;

// A view model built as JSON, as Mustache data (objects, lists, strings; null is false).
data to_data(const nlohmann::json& view);

class Theme {
 public:
  // Loads every *.mustache of the theme. Template syntax errors become diagnostics.
  bool load(const std::filesystem::path& dir, Diagnostics& diags);
  // Renders `name` (without .mustache) with `d`; throws std::runtime_error when missing.
  std::string render(const std::string& name, const data& d) const;
  bool has(const std::string& name) const { return m_templates.count(name) > 0; }
  const std::filesystem::path& dir() const { return m_dir; }
  // Static assets: site-relative path ("static/style.css") -> source file.
  const std::map<std::string, std::filesystem::path>& assets() const { return m_assets; }
  // Raw template text (published with the release so the server can render search pages).
  const std::string& source(const std::string& name) const { return m_sources.at(name); }
  // Hash of every template and asset: a theme change invalidates every page.
  const std::string& fingerprint() const { return m_fingerprint; }

 private:
  std::filesystem::path m_dir;
  std::map<std::string, std::string> m_sources;
  mutable std::map<std::string, kainjow::mustache::mustache> m_templates;
  std::map<std::string, std::filesystem::path> m_assets;
  std::string m_fingerprint;
};

}  // namespace gongkai::gen
