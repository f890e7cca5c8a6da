#include "gongkai/led.hpp"

#include <unicode/ucnv.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "gongkai/text.hpp"

namespace gongkai::led {

namespace {

bool is_ascii_word(char32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
}

bool is_closing(char32_t cp) {
  static const std::u32string k_closing = U"，。、；：！？）》」』】〕〉”’…,.;:!?)]}%";
  return k_closing.find(cp) != std::u32string::npos;
}

bool is_emoji(char32_t cp) {
  return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) || cp == 0xFE0F ||
         cp == 0xFE0E || cp == 0x200D || (cp >= 0x1F1E6 && cp <= 0x1F1FF) ||
         (cp >= 0xE0020 && cp <= 0xE007F) || (cp >= 0x2B00 && cp <= 0x2BFF);
}

const char* icu_name(const std::string& charset) {
  if (charset == "gb2312") return "ibm-1383";  // EUC-CN: GB2312 proper, no GBK extensions
  if (charset == "gbk") return "windows-936";
  if (charset == "gb18030") return "gb18030";
  return "utf-8";
}

struct ConverterDeleter {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using Converter = std::unique_ptr<UConverter, ConverterDeleter>;

Converter open_converter(const std::string& charset, bool stop_on_unmappable) {
  UErrorCode status = U_ZERO_ERROR;
  Converter c(ucnv_open(icu_name(charset), &status));
  if (U_FAILURE(status))
    throw std::runtime_error(std::string("ICU has no converter for ") + charset);
  if (stop_on_unmappable) {
    ucnv_setFromUCallBack(c.get(), UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  }
  return c;
}

bool encodable(UConverter* c, char32_t cp) {
  UChar buf[2];
  int32_t n = 0;
  if (cp >= 0x10000) {
    buf[0] = static_cast<UChar>(0xD7C0 + (cp >> 10));
    buf[1] = static_cast<UChar>(0xDC00 | (cp & 0x3FF));
    n = 2;
  } else {
    buf[0] = static_cast<UChar>(cp);
    n = 1;
  }
  char out[16];
  UErrorCode status = U_ZERO_ERROR;
  ucnv_reset(c);
  ucnv_fromUChars(c, out, sizeof out, buf, n, &status);
  return U_SUCCESS(status);
}

}  // namespace

bool on_display(const LedItem& item, const DateTime& now) {
  if (!item.until) return false;  // screens never show open-ended content
  const DateTime from = item.from ? *item.from : item.published;
  if (now < from) return false;
  const std::int64_t end =
      item.until->has_time ? item.until->epoch : item.until->local_day_start() + 86400;
  return now.epoch < end;
}

std::vector<LedItem> current_items(const std::vector<LedItem>& all, const DateTime& now) {
  std::vector<LedItem> out;
  for (const auto& it : all)
    if (on_display(it, now)) out.push_back(it);
  std::sort(out.begin(), out.end(), [](const LedItem& a, const LedItem& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.published.epoch != b.published.epoch) return a.published.epoch > b.published.epoch;
    return a.id < b.id;
  });
  return out;
}

bool known_charset(const std::string& c) {
  return c == "utf-8" || c == "gbk" || c == "gb18030" || c == "gb2312";
}

int columns_of(char32_t cp) { return cp < 0x80 ? 1 : 2; }

std::u32string clean_text(std::string_view text) {
  std::u32string out;
  for (char32_t cp : to_u32(text)) {
    if (cp == '\\')
      cp = U'＼';
    else if (cp == '|')
      cp = U'｜';
    else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029)
      cp = ' ';
    else if (is_emoji(cp) || cp == 0xFFFD || (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF)
      continue;
    if (cp == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += cp;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::u32string apply_charset(const std::u32string& text, const std::string& charset,
                             const std::u32string& fallback) {
  if (charset == "utf-8" || charset == "gb18030") return text;  // both encode every code point
  Converter c = open_converter(charset, true);
  std::u32string out;
  std::map<char32_t, bool> cache;
  for (char32_t cp : text) {
    if (cp < 0x80) {
      out += cp;
      continue;
    }
    auto it = cache.find(cp);
    const bool ok = it != cache.end() ? it->second : (cache[cp] = encodable(c.get(), cp));
    if (ok)
      out += cp;
    else
      out += fallback;
  }
  return out;
}

std::vector<std::string> wrap(const std::u32string& text, int cols) {
  // Tokens: an ASCII letter/digit run, or one character.
  std::vector<std::u32string> tokens;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t j = i + 1;
    if (is_ascii_word(text[i]))
      while (j < text.size() && is_ascii_word(text[j])) ++j;
    tokens.push_back(text.substr(i, j - i));
    i = j;
  }
  auto width = [](const std::u32string& t) {
    int w = 0;
    for (char32_t cp : t) w += columns_of(cp);
    return w;
  };
  std::vector<std::vector<std::u32string>> lines(1);
  int used = 0;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    std::u32string tok = tokens[k];
    const int w = width(tok);
    if (used + w <= cols) {
      if (!(used == 0 && tok == U" ")) {  // no line starts with a space
        lines.back().push_back(tok);
        used += w;
      }
      continue;
    }
    if (w > cols) {  // a word longer than a line: split it hard
      for (char32_t cp : tok) {
        if (used + columns_of(cp) > cols) {
          lines.emplace_back();
          used = 0;
        }
        lines.back().push_back(std::u32string(1, cp));
        used += columns_of(cp);
      }
      continue;
    }
    // A new line; closing punctuation takes the previous token along (禁则).
    // (Only when both fit on the new line: an exact width beats the rule on very narrow screens.)
    std::vector<std::u32string> carry;
    if (is_closing(tok[0]) && lines.back().size() > 1 && width(lines.back().back()) + w <= cols) {
      carry.push_back(lines.back().back());
      lines.back().pop_back();
    }
    lines.emplace_back();
    used = 0;
    for (auto& c : carry) {
      lines.back().push_back(c);
      used += width(c);
    }
    if (tok != U" ") {
      lines.back().push_back(tok);
      used += w;
    }
  }
  std::vector<std::string> out;
  for (const auto& l : lines) {
    std::u32string s;
    int w = 0;
    for (const auto& t : l) {
      s += t;
      w += width(t);
    }
    if (s.empty()) continue;
    s.append(static_cast<std::size_t>(std::max(0, cols - w)), U' ');
    out.push_back(to_utf8(s));
  }
  return out;
}

std::string render_text(const std::vector<LedItem>& items, const Layout& layout) {
  const std::string eol = layout.crlf ? "\r\n" : "\n";
  const std::u32string fallback = to_u32(layout.fallback);
  std::string out;
  if (layout.mode == "marquee") {
    std::u32string line;
    for (const auto& it : items) {
      if (!line.empty()) line += U"　　";
      line += clean_text(it.text);
    }
    return to_utf8(apply_charset(line, layout.charset, fallback)) + (line.empty() ? "" : eol);
  }
  for (const auto& it : items) {
    const std::u32string text = apply_charset(clean_text(it.text), layout.charset, fallback);
    if (layout.mode == "lines") {
      out += to_utf8(text) + eol;
      continue;
    }
    // pages: each item starts on a new page; its last page is filled with blank lines.
    std::vector<std::string> lines = wrap(text, layout.cols);
    if (lines.empty()) continue;
    while (layout.rows > 0 && lines.size() % static_cast<std::size_t>(layout.rows) != 0)
      lines.push_back(std::string(static_cast<std::size_t>(layout.cols), ' '));
    for (const auto& l : lines) out += l + eol;
  }
  return out;
}

std::string encode(const std::string& utf8, const std::string& charset) {
  if (charset == "utf-8") return utf8;
  Converter c = open_converter(charset, false);
  UErrorCode status = U_ZERO_ERROR;
  std::string out(utf8.size() * 2 + 16, '\0');
  // utf8 -> UTF-16 -> charset through ICU's pivot.
  const int32_t n =
      ucnv_convert(icu_name(charset), "utf-8", out.data(), static_cast<int32_t>(out.size()),
                   utf8.data(), static_cast<int32_t>(utf8.size()), &status);
  if (U_FAILURE(status)) throw std::runtime_error(std::string("cannot encode text as ") + charset);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string content_type_charset(const std::string& charset) {
  if (charset == "gb2312") return "GB2312";
  if (charset == "gbk") return "GBK";
  if (charset == "gb18030") return "GB18030";
  return "UTF-8";
}

std::vector<LedItem> items_of(const Content& c) {
  std::vector<LedItem> out;
  for (const Item& it : c.items) {
    if (!it.is_public()) continue;
    const bool eligible =
        it.section == Section::notices ? (it.display_from || it.display_until) : !it.led.empty();
    if (!eligible) continue;
    LedItem l;
    l.id = it.url;
    l.title = it.title;
    l.text = it.led.empty() ? it.title : it.led;
    l.from = it.display_from;
    l.until = it.display_until;
    l.priority = it.priority;
    l.published = it.published;
    out.push_back(l);
  }
  std::sort(out.begin(), out.end(), [](const LedItem& a, const LedItem& b) { return a.id < b.id; });
  return out;
}

}  // namespace gongkai::led
