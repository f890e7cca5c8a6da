#include "led_export.hpp"

#include <nlohmann/json.hpp>

#include "gongkai/led.hpp"
#include "gongkai/release.hpp"
#include "gongkai/urls.hpp"

namespace gongkai::gen {

void write_led(const Content& c, const DateTime& now, OutputTree& out) {
  // The server's copy: screen profiles and every LED item (gongkai/release.hpp).
  contract::LedData data;
  for (const auto& s : c.site.led_screens) data.screens.push_back(contract::led_screen_profile(s));
  data.items = led::items_of(c);
  out.add(contract::server_tree_path(contract::k_led_file), contract::led_json(data));

  const auto& items = data.items;
  const auto current = led::current_items(items, now);
  for (const auto& s : c.site.led_screens) {
    const contract::LedScreenProfile profile = contract::led_screen_profile(s);
    led::Layout layout;
    layout.cols = profile.cols;
    layout.rows = profile.rows;
    layout.mode = s.mode;
    layout.charset = s.charset;
    const std::string text = led::render_text(current, layout);
    out.add(urls::tree_path(urls::led_snapshot(s.id, "txt")), led::encode(text, s.charset));
    nlohmann::json feed = {{"screen", s.id},
                           {"as_of", now.iso8601()},
                           {"cols", layout.cols},
                           {"rows", layout.rows},
                           {"mode", s.mode},
                           {"charset", s.charset},
                           {"items", nlohmann::json::array()}};
    for (const auto& it : current) {
      nlohmann::json x = {
          {"id", it.id},
          {"text", it.text},
          {"priority", it.priority},
          {"lines",
           led::wrap(led::apply_charset(led::clean_text(it.text), s.charset, U"□"), layout.cols)}};
      if (it.from) x["display_from"] = it.from->iso8601();
      if (it.until) x["display_until"] = it.until->iso8601();
      feed["items"].push_back(x);
    }
    out.add(urls::tree_path(urls::led_snapshot(s.id, "json")), feed.dump(1) + "\n");
  }
}

}  // namespace gongkai::gen
