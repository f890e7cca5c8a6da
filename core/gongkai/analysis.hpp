// Chinese text analysis shared by the indexer and the query side, so both always agree.
// Text is normalised (NFKC + case folding, zero-width characters dropped), then split into
// chunks: runs of CJK ideographs, and words of letters/digits. A CJK run yields its single
// characters and overlapping bigrams; a word yields itself. See docs/architecture.md.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace gongkai::search {

struct Chunk {
  bool cjk = false;
  std::u32string text;  // normalised code points
};

std::vector<Chunk> chunks(std::string_view text);  // normalises first
std::vector<Chunk> chunks_normalized(std::u32string_view normalized);

// Terms of one chunk: for CJK, bigrams (or the single character of a one-character chunk);
// for words, the word itself (at most 64 bytes).
std::vector<std::string> chunk_terms(const Chunk& c);
std::vector<std::string> chunk_unigrams(const Chunk& c);
// Non-overlapping two-character pieces covering a CJK chunk (遗产继承 → 遗产, 继承; an odd
// length ends with an overlapping pair: 行政复议法 → 行政, 复议, 议法). The relaxed query
// requires these, so words of a compound may stand apart in the text.
std::vector<std::string> chunk_pieces(const Chunk& c);
// Arabic values of Chinese numerals that count something (第二十四条 → 24, 十二周岁 → 12,
// 六十日 → 60), indexed as extra terms so 24 finds 第二十四条.
std::vector<std::string> numeral_terms(const Chunk& c);
// Value of a run of Chinese numerals (一…九, 十, 百, 千, 万, 零, 两, 〇); -1 if not a number.
long long chinese_number(std::u32string_view run);

// A title or query reduced to a comparison key: normalised, without spaces and punctuation,
// without a leading 中华人民共和国, with 《》 removed.
std::string title_key(std::string_view title);

// True when a title names a province, city or county (a local regulation such as
// 河南省实施《…》办法 or 济南市城市市容管理条例), unless it names `own_locality` (the site's own
// province or city, e.g. 天津). National laws and regulations rank above other places' rules.
bool is_local_title(std::string_view title, std::string_view own_locality);
// The locality of an organisation name: 天津市蓟州区邦均镇人民政府 → 天津.
std::string locality_of(std::string_view organization);

// Per-character folding used for snippet matching (full-width ASCII, case, ideographic space).
char32_t fold_char(char32_t cp);

// Everyday words mapped to the official terms laws and notices use (口语化检索).
// Returns the official expansions of a query chunk, if any.
std::vector<std::string> everyday_synonyms(const std::string& chunk_utf8);

}  // namespace gongkai::search
