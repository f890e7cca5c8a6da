// The search schema, written once and used by the indexer (generator) and the search service
// (server): term prefixes, value slots, the analyser's name, and document data fields.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

namespace gongkai::search {

// Recorded in the index as metadata; the server refuses an index built with another analyser.
inline constexpr const char* k_analyzer_key = "gongkai.analyzer";
// Names the analyser and the document layout together; bump it when either changes.
inline constexpr const char* k_analyzer = "gongkai-cjk-8";

// The index folder (generator/indexer.cpp): a stub naming main parts 0, 1, ... and, after a
// rebuild, the delta part; the main parts' documents a later version replaced or deleted are
// listed in the hidden file, one docid (as numbered through the stub) per line, ascending.
inline constexpr const char* k_delta_part = "delta";
inline constexpr const char* k_hidden_file = "hidden.docids";

// The ids of a hidden list, or nothing when the text is not one (every line a positive number).
inline std::optional<std::vector<unsigned>> parse_hidden_ids(std::string_view text) {
  std::vector<unsigned> ids;
  for (std::size_t p = 0; p < text.size();) {
    std::size_t nl = text.find('\n', p);
    if (nl == std::string_view::npos) nl = text.size();
    unsigned d = 0;
    const auto [end, ec] = std::from_chars(text.data() + p, text.data() + nl, d);
    if (ec != std::errc() || end != text.data() + nl || d == 0) return std::nullopt;
    ids.push_back(d);
    p = nl + 1;
  }
  return ids;
}

// Term prefixes (Xapian convention: upper-case, boolean terms start with X).
inline constexpr const char* k_prefix_id = "Q";            // unique id: the item's URL
inline constexpr const char* k_prefix_title = "S";         // title terms (ranking)
inline constexpr const char* k_prefix_section = "XS";      // disclosure | notices | ...
inline constexpr const char* k_prefix_department = "XB";   // department id and name
inline constexpr const char* k_prefix_category = "XC";     // category id and name
inline constexpr const char* k_prefix_year = "XY";         // 2021
inline constexpr const char* k_prefix_validity = "XV";     // 有效 | 失效 | 废止
inline constexpr const char* k_prefix_doc_no = "XD";       // normalised 文号 (exact lookup)
inline constexpr const char* k_prefix_index_no = "XI";     // normalised 索引号 (exact lookup)
inline constexpr const char* k_prefix_exact_title = "XT";  // normalised whole title (exact lookup)

// Value slots.
inline constexpr unsigned k_slot_published = 0;  // sortable_serialise(epoch seconds)
inline constexpr unsigned k_slot_section = 1;
inline constexpr unsigned k_slot_department = 2;  // department name
inline constexpr unsigned k_slot_category = 3;    // category name
inline constexpr unsigned k_slot_year = 4;
inline constexpr unsigned k_slot_validity = 5;
inline constexpr unsigned k_slot_title_key = 6;  // normalised title (version grouping)
inline constexpr unsigned k_slot_exact_keys =
    7;  // normalised 文号 '\x1f' 索引号 (exact-lookup rerank)
inline constexpr unsigned k_slot_local =
    8;  // "1" when the title names another locality (地方性法规)

// What a hit displays is kept in two value slots, read only for the hits of a page; document
// data stays empty (glass deflates document data, not values: values are cheaper to write).
inline constexpr unsigned k_slot_display =
    9;  // one line of JSON: url, title, section, ... (display fields)
inline constexpr unsigned k_slot_text = 10;  // the body as plain text (up to 64 KB), for snippets

}  // namespace gongkai::search
