#include "led_export.hpp"

#include <nlohmann/json.hpp>

#include "gongkai/led.hpp"

namespace gongkai::gen {

namespace {

nlohmann::json screen_json(const LedScreen& s) {
  const int cols = static_cast<int>(s.width / (s.font / 2));
  const int rows = static_cast<int>(s.height / s.font);
  return {{"id", s.id}, {"width", s.width}, {"height", s.height}, {"font", s.font}, {"charset", s.charset},
          {"mode", s.mode}, {"cols", cols}, {"rows", rows}};
}

}  // namespace

void write_led(const Content& c, const DateTime& now, OutputTree& out) {
  const auto items = led::items_of(c);
  nlohmann::json screens = nlohmann::json::array();
  for (const auto& s : c.site.led_screens) screens.push_back(screen_json(s));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& it : items) {
    nlohmann::json j = {{"id", it.id}, {"title", it.title}, {"text", it.text}, {"priority", it.priority},
                        {"published", it.published.iso8601()}};
    if (it.from) j["display_from"] = it.from->iso8601();
    if (it.until) j["display_until"] = it.until->iso8601();
    if (it.until && !it.until->has_time) j["until_date_only"] = true;
    list.push_back(j);
  }
  out.add("_server/led.json", nlohmann::json({{"screens", screens}, {"items", list}}).dump(1) + "\n");

  const auto current = led::current_items(items, now);
  for (const auto& s : c.site.led_screens) {
    led::Layout layout;
    layout.cols = static_cast<int>(s.width / (s.font / 2));
    layout.rows = static_cast<int>(s.height / s.font);
    layout.mode = s.mode;
    layout.charset = s.charset;
    const std::string text = led::render_text(current, layout);
    out.add("led/snapshot/" + s.id + ".txt", led::encode(text, s.charset));
    nlohmann::json feed = {{"screen", s.id}, {"as_of", now.iso8601()}, {"cols", layout.cols}, {"rows", layout.rows},
                           {"mode", s.mode}, {"charset", s.charset}, {"items", nlohmann::json::array()}};
    for (const auto& it : current) {
      nlohmann::json x = {{"id", it.id}, {"text", it.text}, {"priority", it.priority},
                          {"lines", led::wrap(led::apply_charset(led::clean_text(it.text), s.charset, U"□"), layout.cols)}};
      if (it.from) x["display_from"] = it.from->iso8601();
      if (it.until) x["display_until"] = it.until->iso8601();
      feed["items"].push_back(x);
    }
    out.add("led/snapshot/" + s.id + ".json", feed.dump(1) + "\n");
  }
}

}  // namespace gongkai::gen
