// Search over a release's Xapian index: parameter validation, the tiered Chinese query
// (phrases → all terms → any term), title-aware reranking, facets and snippets.
// Xapian objects are not thread-safe: each thread keeps its own database handle per release.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "release.hpp"

namespace gongkai::server {

struct SearchParams {
  std::string q;
  std::string section, department, category, year, validity;
  // A platform's cross-unit search only (ignored by a site's own): one unit's id, a unit kind.
  std::string unit, kind;
  std::string sort = "relevance";  // relevance | date
  int page = 1;
  int per_page = 10;
};

// Validates raw query parameters; on failure returns nullopt and sets `error` (a 400 message).
std::optional<SearchParams> parse_search_params(
    const std::multimap<std::string, std::string>& params, std::string& error);

struct SearchHit {
  std::string url, title, section, department, category, published, index_no, doc_no, validity;
  std::string snippet;          // HTML: escaped text with <mark> runs
  std::string unit, unit_name;  // the hit's unit in a platform's cross-unit search, else ""
};

struct SearchResult {
  std::string query;
  std::size_t total = 0;
  int page = 1, per_page = 10;
  double took_ms = 0;
  int tier = 0;  // 0 all words, 1 all characters in any order, 2 any word, 3 any character
  std::vector<SearchHit> hits;
  std::map<std::string, std::map<std::string, std::size_t>>
      facets;  // section/department/category/year/validity (+ unit, kind across units)
};

class SearchUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws SearchUnavailable when the release has no usable index (missing, or another analyser).
// Answers come from the release's cache when the same parameters were asked before.
SearchResult run_search(const Release& release, const SearchParams& params);

struct SearchAnswer;
struct SearchAnswerTimed {
  std::shared_ptr<const SearchAnswer> answer;  // result and its JSON body (see search_cache.hpp)
  double took_ms = 0;                          // this request's time, cached or not
};
SearchAnswerTimed search_answer(const Release& release, const SearchParams& params);

// Opens a handle of the release's index and reads its document table, so that the first
// searches of a new release do not pay for it. Errors are left for the searches to report.
void prepare_search(const Release& release);

// One unit of a platform's cross-unit search: its current release and its identity.
struct SearchUnit {
  std::shared_ptr<const Release> release;  // nullptr: nothing published yet (skipped)
  std::string id, name, kind;
};

// The cross-unit search of a platform over a fixed set of unit releases: one Xapian database
// made of every unit's index parts, so ranking statistics are shared. Units without a usable
// index (none, or another analyser) are skipped and logged once. Answers are cached here; a new
// unit release means a new CombinedSearch (key() names the releases). Thread-safe.
class CombinedSearch {
 public:
  CombinedSearch(std::vector<SearchUnit> units, std::size_t cache_capacity);
  ~CombinedSearch();
  // "<unit id>=<release id>;" per unit, in order: equal keys answer alike.
  static std::string key_of(const std::vector<SearchUnit>& units);
  const std::string& key() const { return m_key; }
  const std::vector<SearchUnit>& units() const { return m_units; }
  // params.unit: that unit's own answer (its release's search) with the unit named in each hit;
  // params.kind: only the units of that kind. Throws SearchUnavailable when no unit can search,
  // or when params.unit names a unit whose index is unusable. The caller validates unit and kind.
  SearchAnswerTimed answer(const SearchParams& params);
  SearchResult run(const SearchParams& params);  // the same, timed like run_search

 private:
  SearchResult search_across(const SearchParams& params);
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::vector<SearchUnit> m_units;
  std::string m_key;
};

// Snippet of about `length` characters around the best match of `query` in `text`.
std::string make_snippet(const std::string& text, const std::string& query,
                         std::size_t length = 120);

}  // namespace gongkai::server
