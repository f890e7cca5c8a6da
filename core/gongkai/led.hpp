// LED screen text: what a controller shows, laid out for its hardware (channels.md, LED).
// Shared by the generator (static snapshots) and the server (live feeds). Widths are counted
// in half-width columns: ASCII is 1, everything else 2 — which in GB2312/GBK equals the encoded
// bytes. Encoding goes through ICU converters, never by hand.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gongkai/content.hpp"
#include "gongkai/datetime.hpp"

namespace gongkai::led {

// One thing a screen may show, with its window.
struct LedItem {
  std::string id;  // URL of the item
  std::string title;
  std::string text;  // the `led` text, or the title
  std::optional<DateTime> from, until;
  std::int64_t priority = 0;
  DateTime published;
};

bool on_display(const LedItem& item, const DateTime& now);
// Items on display at `now`: highest priority first, then newest, then id.
std::vector<LedItem> current_items(const std::vector<LedItem>& all, const DateTime& now);

struct Layout {
  int cols = 16;
  int rows = 1;
  std::string mode = "pages";     // lines | marquee | pages
  std::string charset = "utf-8";  // utf-8 | gbk | gb18030 | gb2312
  std::string fallback = "□";     // shown for characters the charset lacks
  bool crlf = true;
};

bool known_charset(const std::string& charset);
int columns_of(char32_t cp);
// Removes markup-unsafe and unshowable characters: control characters and tabs become spaces,
// emoji are dropped, `\` and `|` become ＼ and ｜, runs of spaces collapse.
std::u32string clean_text(std::string_view text);
// Replaces characters `charset` cannot encode by `fallback`.
std::u32string apply_charset(const std::u32string& text, const std::string& charset,
                             const std::u32string& fallback);
// Wraps to `cols` columns: ASCII letter/digit runs stay whole, no line starts with closing
// punctuation, every line padded with spaces to exactly `cols`.
std::vector<std::string> wrap(const std::u32string& text, int cols);
// The whole feed.txt body (UTF-8, before encoding).
std::string render_text(const std::vector<LedItem>& items, const Layout& layout);
// Encodes UTF-8 text in the layout's charset (ICU). Throws std::runtime_error.
std::string encode(const std::string& utf8, const std::string& charset);
std::string content_type_charset(const std::string& charset);  // "GB2312", "UTF-8", ...

// LED items of a content folder: notices with a display window, and other items that carry
// an `led` text and a window.
std::vector<LedItem> items_of(const Content& content);

}  // namespace gongkai::led
