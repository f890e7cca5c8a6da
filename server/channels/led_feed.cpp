#include "led_feed.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>
#include <stdexcept>

#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"

namespace gongkai::server {

namespace {

bool parse_int(const std::string& s, int lo, int hi, int& out) {
  if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
  const int v = std::stoi(s);
  if (v < lo || v > hi) return false;
  out = v;
  return true;
}

}  // namespace

LedData parse_led_data(const std::string& text) { return contract::parse_led_json(text); }

std::optional<LedRequest> parse_led_params(const LedData& data,
                                           const std::multimap<std::string, std::string>& params,
                                           int& status, std::string& error) {
  status = 400;
  static const char* k_known[] = {"screen", "charset", "fallback", "mode",  "cols", "rows",
                                  "width",  "height",  "font",     "limit", "eol"};
  std::map<std::string, std::string> p;
  for (const auto& [key, v] : params) {
    const std::string k = key;  // (a structured binding cannot be captured by clang 14)
    if (std::find_if(std::begin(k_known), std::end(k_known),
                     [&](const char* x) { return k == x; }) == std::end(k_known))
      continue;
    if (p.count(k)) {
      error = "parameter " + k + " is given more than once";
      return std::nullopt;
    }
    if (!valid_utf8(v) || v.size() > 64) {
      error = "parameter " + k + " is not valid";
      return std::nullopt;
    }
    p[k] = v;
  }
  LedRequest r;
  if (auto it = p.find("screen"); it != p.end()) {
    for (const auto& s : data.screens)
      if (s.id == it->second) r.screen = s;
    if (!r.screen) {
      status = 404;
      const bool plain = it->second.size() <= 32 &&
                         std::all_of(it->second.begin(), it->second.end(), [](unsigned char c) {
                           return std::isalnum(c) || c == '-' || c == '_';
                         });
      error = (plain ? "unknown screen \"" + it->second + "\"" : std::string("unknown screen")) +
              "; see " + urls::led_screens();
      return std::nullopt;
    }
    r.layout.cols = r.screen->cols;
    r.layout.rows = r.screen->rows;
    r.layout.mode = r.screen->mode;
    r.layout.charset = r.screen->charset;
  }
  if (auto it = p.find("charset"); it != p.end()) {
    std::string cs = it->second;
    std::transform(cs.begin(), cs.end(), cs.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (cs == "utf8") cs = "utf-8";
    if (!led::known_charset(cs)) {
      error = "charset must be one of utf-8, gbk, gb18030, gb2312";
      return std::nullopt;
    }
    r.layout.charset = cs;
  }
  if (auto it = p.find("mode"); it != p.end()) {
    if (it->second != "lines" && it->second != "marquee" && it->second != "pages") {
      error = "mode must be one of lines, marquee, pages";
      return std::nullopt;
    }
    r.layout.mode = it->second;
  }
  if (auto it = p.find("fallback"); it != p.end()) {
    const std::u32string f = to_u32(it->second);
    if (f.size() != 1 || f[0] < 0x20 || f[0] == 0x7F) {
      error = "fallback must be one visible character";
      return std::nullopt;
    }
    r.layout.fallback = it->second;
  }
  const bool has_geometry = p.count("width") || p.count("height") || p.count("font");
  if (has_geometry) {
    int w = r.screen ? r.screen->width : 0, h = r.screen ? r.screen->height : 0,
        f = r.screen ? r.screen->font : 16;
    if ((p.count("width") && !parse_int(p["width"], 8, 4096, w)) ||
        (p.count("height") && !parse_int(p["height"], 8, 4096, h)) ||
        (p.count("font") && !parse_int(p["font"], 8, 256, f))) {
      error = "width and height must be 8 to 4096 px, font 8 to 256 px";
      return std::nullopt;
    }
    if (!w || !h || f > h || f / 2 > w) {
      error = "the font does not fit the screen (give width, height and font)";
      return std::nullopt;
    }
    r.layout.cols = w / (f / 2);
    r.layout.rows = h / f;
  }
  if (p.count("cols") && !parse_int(p["cols"], 2, 512, r.layout.cols)) {
    error = "cols must be from 2 to 512";
    return std::nullopt;
  }
  if (p.count("rows") && !parse_int(p["rows"], 1, 64, r.layout.rows)) {
    error = "rows must be from 1 to 64";
    return std::nullopt;
  }
  if (auto it = p.find("limit"); it != p.end()) {
    int l = 0;
    if (!parse_int(it->second, 1, 100, l)) {
      error = "limit must be from 1 to 100";
      return std::nullopt;
    }
    r.limit = static_cast<std::size_t>(l);
  }
  if (auto it = p.find("eol"); it != p.end()) {
    if (it->second != "crlf" && it->second != "lf") {
      error = "eol must be crlf or lf";
      return std::nullopt;
    }
    r.layout.crlf = it->second == "crlf";
  }
  return r;
}

LedResponse led_feed(const LedData& data, const LedRequest& req, const std::string& format,
                     const DateTime& now, const std::string& base_url) {
  auto items = led::current_items(data.items, now);
  if (items.size() > req.limit) items.resize(req.limit);
  const led::Layout& layout = req.layout;
  const std::string cs = led::content_type_charset(layout.charset);
  const std::u32string fallback = to_u32(layout.fallback);
  if (format == "txt")
    return {led::encode(led::render_text(items, layout), layout.charset),
            "text/plain; charset=" + cs};
  if (format == "json") {
    nlohmann::json j = {{"as_of", now.iso8601()},    {"cols", layout.cols},
                        {"rows", layout.rows},       {"mode", layout.mode},
                        {"charset", layout.charset}, {"items", nlohmann::json::array()}};
    if (req.screen) j["screen"] = req.screen->id;
    for (const auto& it : items) {
      const std::u32string text =
          led::apply_charset(led::clean_text(it.text), layout.charset, fallback);
      nlohmann::json x = {{"id", it.id},
                          {"title", it.title},
                          {"text", to_utf8(text)},
                          {"priority", it.priority},
                          {"url", urls::absolute(base_url, it.id)},
                          {"lines", led::wrap(text, layout.cols)}};
      if (it.from) x["display_from"] = it.from->iso8601();
      if (it.until) x["display_until"] = it.until->iso8601();
      j["items"].push_back(x);
    }
    std::string body;
    for (char c : j.dump()) {  // no raw markup characters in JSON
      if (c == '<')
        body += "\\u003c";
      else if (c == '>')
        body += "\\u003e";
      else
        body += c;
    }
    return {body, "application/json; charset=utf-8"};  // JSON is UTF-8 by definition
  }
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto rss = doc.append_child("rss");
  rss.append_attribute("version") = "2.0";
  auto ch = rss.append_child("channel");
  ch.append_child("title").text() = "LED";
  ch.append_child("link").text() = (base_url.empty() ? "/" : base_url).c_str();
  ch.append_child("description").text() = "LED screen feed";
  ch.append_child("lastBuildDate").text() = now.rfc822().c_str();
  ch.append_child("ttl").text() = "1";
  for (const auto& it : items) {
    const std::string text =
        to_utf8(led::apply_charset(led::clean_text(it.text), layout.charset, fallback));
    auto x = ch.append_child("item");
    x.append_child("title").text() = text.c_str();
    x.append_child("link").text() = urls::absolute(base_url, it.id).c_str();
    x.append_child("guid").text() = it.id.c_str();
    x.append_child("description").text() = text.c_str();
    x.append_child("pubDate").text() = (it.from ? *it.from : it.published).rfc822().c_str();
  }
  std::ostringstream ss;
  doc.save(ss, "  ", pugi::format_default, pugi::encoding_utf8);
  return {ss.str(), "application/rss+xml; charset=utf-8"};
}

std::string led_screens_json(const LedData& data, const std::string& root) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : data.screens) {
    nlohmann::json j = contract::led_screen_json(s);
    j["feed"] = root + urls::led_screen_feed(s.id).substr(1);
    arr.push_back(std::move(j));
  }
  return nlohmann::json({{"screens", arr}}).dump();
}

}  // namespace gongkai::server
