// Text helpers shared by generator and server: escaping, UTF-8 iteration and validation,
// URL encoding, trimming, NFKC normalisation (ICU).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gongkai {

std::string html_escape(std::string_view s);  // & < > " '  (also safe for XML text and attributes)
std::string url_encode_component(std::string_view s);  // RFC 3986 unreserved kept
// Percent-encodes what is not allowed in a URL path; keeps '/', unreserved and UTF-8 as %XX.
std::string url_encode_path(std::string_view s);
std::string trim(std::string_view s);
// The ASCII digits of s, in order: a 公安备案 number's record code for its beian.gov.cn link.
std::string digits_of(std::string_view s);
// s with every `from` (not empty) replaced by `to`.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::vector<std::string> split(std::string_view s, char sep);

// UTF-8
bool valid_utf8(std::string_view s);
// Decodes one code point at `pos` and advances it; invalid bytes yield U+FFFD and advance by one.
char32_t next_code_point(std::string_view s, std::size_t& pos);
void append_utf8(std::string& out, char32_t cp);
std::u32string to_u32(std::string_view s);
std::string to_utf8(std::u32string_view s);
// Cuts s to at most max_bytes without splitting a character.
std::string truncate_utf8_bytes(std::string_view s, std::size_t max_bytes);
// Cuts s to at most max_chars code points, appending `ellipsis` when cut.
std::string truncate_chars(std::string_view s, std::size_t max_chars,
                           std::string_view ellipsis = "…");
bool is_cjk(char32_t cp);  // CJK ideographs (unified, extensions, compatibility)

// NFKC + case folding (full-width letters/digits to ASCII, ideographic space to space),
// and zero-width characters removed. Used for search text and title comparison.
std::string normalize_for_search(std::string_view s);

// Lower-case hex of bytes.
std::string to_hex(const unsigned char* data, std::size_t n);

}  // namespace gongkai
