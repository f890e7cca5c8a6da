#include "theme.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

bool Theme::load(const fs::path& dir, Diagnostics& diags) {
  m_dir = dir;
  bool ok = true;
  Sha256 h;
  std::vector<fs::path> files;
  if (fs::is_directory(dir / "templates"))
    for (const auto& e : fs::directory_iterator(dir / "templates"))
      if (e.is_regular_file() && e.path().extension() == ".mustache") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    std::string text = read_file(p);
    h.update(p.filename().string());
    h.update(text);
    kainjow::mustache::mustache tmpl(text);
    if (!tmpl.is_valid()) {
      diags.error(p.string(), 0, 0, "template error: " + tmpl.error_message());
      ok = false;
      continue;
    }
    const std::string name = p.stem().string();
    m_sources[name] = text;
    m_templates.emplace(name, std::move(tmpl));
  }
  if (fs::is_directory(dir / "static")) {
    std::vector<fs::path> assets;
    for (const auto& e : fs::recursive_directory_iterator(dir / "static"))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') assets.push_back(e.path());
    std::sort(assets.begin(), assets.end());
    for (const auto& p : assets) {
      const std::string rel = "static/" + fs::relative(p, dir / "static").generic_string();
      m_assets[rel] = p;
      h.update(rel);
      h.update(read_file(p));
    }
  }
  m_fingerprint = h.hex();
  return ok;
}

std::string Theme::render(const std::string& name, const data& d) const {
  auto it = m_templates.find(name);
  if (it == m_templates.end())
    throw std::runtime_error("theme " + m_dir.string() + " has no template " + name + ".mustache");
  return it->second.render(d);
}

data to_data(const nlohmann::json& v) {
  using View = nlohmann::json;
  using kainjow::mustache::list;
  switch (v.type()) {
    case View::value_t::object: {
      data d;
      for (const auto& [k, x] : v.items()) d.set(k, to_data(x));
      return d;
    }
    case View::value_t::array: {
      list l;
      for (const auto& x : v) l.push_back(to_data(x));
      return data(l);
    }
    case View::value_t::boolean: return data(v.get<bool>());
    case View::value_t::string: return data(v.get_ref<const std::string&>());
    case View::value_t::null: return data(false);
    default: return data(v.dump());
  }
}

}  // namespace gongkai::gen
