// LED parameters and text of any bytes: validation, cleaning, wrapping, charsets.
#include "fuzz_support.hpp"
#include "gongkai/led.hpp"
#include "gongkai/text.hpp"
#include "led_feed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto cut = input.find('\n');
  const std::string query = input.substr(0, cut),
                    text = cut == std::string::npos ? "" : input.substr(cut + 1);
  gongkai::server::LedData d;
  d.screens.push_back({"hall", "gb2312", "pages", 64, 16, 16, 8, 1});
  gongkai::led::LedItem item;
  item.id = "/notices/a/";
  item.text = text;
  item.until = gongkai::DateTime::parse("2030-01-01");
  d.items.push_back(item);
  const auto params = fuzz::query_params(query);
  int status = 0;
  std::string error;
  if (auto req = gongkai::server::parse_led_params(d, params, status, error)) {
    for (const char* f : {"txt", "json", "rss"})
      gongkai::server::led_feed(d, *req, f, *gongkai::DateTime::parse("2022-03-15"), "https://x/");
    if (req->layout.mode == "pages")
      for (const auto& line :
           gongkai::led::wrap(gongkai::led::clean_text(text), req->layout.cols)) {
        int w = 0;
        for (char32_t cp : gongkai::to_u32(line)) w += gongkai::led::columns_of(cp);
        if (w != req->layout.cols) __builtin_trap();  // every line exactly cols wide
      }
  }
  return 0;
}
