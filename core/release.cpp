#include "gongkai/release.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "gongkai/search_schema.hpp"
#include "gongkai/text.hpp"

namespace gongkai::contract {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path release_link_target(const std::string& id) { return fs::path(k_releases_dir) / id; }

namespace {

// Tree prefix -> folder of the release, for the files published beside the site.
struct Beside {
  const char* prefix;
  const char* dir;
};
constexpr Beside k_beside[] = {{k_server_prefix, k_server_dir}, {k_wechat_prefix, k_wechat_dir}};

}  // namespace

std::string published_path(std::string_view tree_path) {
  for (const Beside& b : k_beside)
    if (starts_with(tree_path, b.prefix))
      return std::string(b.dir) + "/" +
             std::string(tree_path.substr(std::string_view(b.prefix).size()));
  return std::string(k_site_dir) + "/" + std::string(tree_path);
}

std::optional<std::string> tree_path_of(std::string_view published) {
  const auto under = [&](const char* dir) -> std::optional<std::string_view> {
    const std::string d = std::string(dir) + "/";
    if (!starts_with(published, d)) return std::nullopt;
    return published.substr(d.size());
  };
  if (const auto rest = under(k_site_dir)) return std::string(*rest);
  for (const Beside& b : k_beside)
    if (const auto rest = under(b.dir)) return b.prefix + std::string(*rest);
  return std::nullopt;
}

std::string server_tree_path(std::string_view name) { return k_server_prefix + std::string(name); }

fs::path server_file(const fs::path& release_root, std::string_view name) {
  return release_root / k_server_dir / name;
}

// ---- release.json -----------------------------------------------------------------------------

std::string release_json(const ReleaseInfo& info) {
  const json j = {{"build_id", info.build_id}, {"now", info.now},
                  {"base_url", info.base_url}, {"documents", info.documents},
                  {"pages", info.pages},       {"generator", info.generator}};
  return j.dump(2) + "\n";
}

std::optional<ReleaseInfo> parse_release_json(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  ReleaseInfo info;
  info.build_id = j.value("build_id", std::string());
  info.now = j.value("now", std::string());
  info.base_url = j.value("base_url", std::string());
  info.documents = j.value("documents", std::size_t{0});
  info.pages = j.value("pages", std::size_t{0});
  info.generator = j.value("generator", std::string());
  return info;
}

// ---- wechat.json ------------------------------------------------------------------------------

std::string wechat_lists_json(const WechatLists& lists) {
  json latest = json::array();
  for (const ListEntry& e : lists.latest)
    latest.push_back(
        {{"title", e.title}, {"url", e.url}, {"summary", e.summary}, {"published", e.published}});
  json j = {{"title", lists.title}, {"latest", latest}};
  if (const auto& g = lists.guide)
    j["guide"] = {{"title", g->title}, {"url", g->url}, {"summary", g->summary}};
  return j.dump(1) + "\n";
}

WechatLists parse_wechat_lists(const std::string& text) {
  const json j = json::parse(text);
  auto entry = [](const json& e) {
    return ListEntry{e.value("title", ""), e.value("url", ""), e.value("summary", ""),
                     e.value("published", "")};
  };
  WechatLists lists;
  lists.title = j.value("title", "");
  for (const auto& e : j.value("latest", json::array())) lists.latest.push_back(entry(e));
  if (j.contains("guide")) lists.guide = entry(j["guide"]);
  return lists;
}

// ---- led.json ---------------------------------------------------------------------------------

LedScreenProfile led_screen_profile(const LedScreen& s) {
  LedScreenProfile p;
  p.id = s.id;
  p.charset = s.charset;
  p.mode = s.mode;
  p.width = static_cast<int>(s.width);
  p.height = static_cast<int>(s.height);
  p.font = static_cast<int>(s.font);
  p.cols = static_cast<int>(s.width / (s.font / 2));
  p.rows = static_cast<int>(s.height / s.font);
  return p;
}

json led_screen_json(const LedScreenProfile& s) {
  return {{"id", s.id},           {"width", s.width}, {"height", s.height}, {"font", s.font},
          {"charset", s.charset}, {"mode", s.mode},   {"cols", s.cols},     {"rows", s.rows}};
}

std::string led_json(const LedData& data) {
  json screens = json::array();
  for (const auto& s : data.screens) screens.push_back(led_screen_json(s));
  json items = json::array();
  for (const auto& it : data.items) {
    json j = {{"id", it.id},
              {"title", it.title},
              {"text", it.text},
              {"priority", it.priority},
              {"published", it.published.iso8601()}};
    if (it.from) j["display_from"] = it.from->iso8601();
    if (it.until) j["display_until"] = it.until->iso8601();
    if (it.until && !it.until->has_time) j["until_date_only"] = true;
    items.push_back(j);
  }
  return json({{"screens", screens}, {"items", items}}).dump(1) + "\n";
}

namespace {

std::optional<DateTime> led_time(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  auto dt = DateTime::parse(j.at(key).get<std::string>());
  if (!dt) throw std::runtime_error(std::string("bad time in led.json: ") + key);
  return dt;
}

}  // namespace

LedData parse_led_json(const std::string& text) {
  LedData d;
  const auto j = json::parse(text);
  for (const auto& s : j.at("screens")) {
    LedScreenProfile p;
    p.id = s.at("id");
    p.charset = s.at("charset");
    p.mode = s.at("mode");
    p.width = s.at("width");
    p.height = s.at("height");
    p.font = s.at("font");
    p.cols = s.at("cols");
    p.rows = s.at("rows");
    d.screens.push_back(p);
  }
  for (const auto& i : j.at("items")) {
    led::LedItem it;
    it.id = i.at("id");
    it.title = i.at("title");
    it.text = i.at("text");
    it.priority = i.at("priority");
    const auto published = DateTime::parse(i.at("published").get<std::string>());
    if (!published) throw std::runtime_error("bad time in led.json: published");
    it.published = *published;
    it.from = led_time(i, "display_from");
    it.until = led_time(i, "display_until");
    if (it.until && i.value("until_date_only", false)) it.until->has_time = false;
    d.items.push_back(it);
  }
  return d;
}

// ---- search/XAPIANDB --------------------------------------------------------------------------

std::string search_stub(std::size_t main_parts, bool delta) {
  std::string stub;
  for (std::size_t p = 0; p < main_parts; ++p) stub += "glass " + std::to_string(p) + "\n";
  if (delta) stub += std::string("glass ") + search::k_delta_part + "\n";
  return stub;
}

std::vector<std::string> search_stub_parts(std::string_view stub) {
  std::vector<std::string> parts;
  for (std::size_t pos = 0; pos < stub.size();) {
    std::size_t nl = stub.find('\n', pos);
    if (nl == std::string_view::npos) nl = stub.size();
    const std::string_view line = stub.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    parts.emplace_back(space == std::string_view::npos ? line : line.substr(space + 1));
  }
  return parts;
}

}  // namespace gongkai::contract
