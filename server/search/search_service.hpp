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
  std::string sort = "relevance";  // relevance | date
  int page = 1;
  int per_page = 10;
};

// Validates raw query parameters; on failure returns nullopt and sets `error` (a 400 message).
std::optional<SearchParams> parse_search_params(
    const std::multimap<std::string, std::string>& params, std::string& error);

struct SearchHit {
  std::string url, title, section, department, category, published, index_no, doc_no, validity;
  std::string snippet;  // HTML: escaped text with <mark> runs
};

struct SearchResult {
  std::string query;
  std::size_t total = 0;
  int page = 1, per_page = 10;
  double took_ms = 0;
  int tier = 0;  // 0 all words, 1 all characters in any order, 2 any word, 3 any character
  std::vector<SearchHit> hits;
  std::map<std::string, std::map<std::string, std::size_t>>
      facets;  // section/department/category/year/validity
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

// Snippet of about `length` characters around the best match of `query` in `text`.
std::string make_snippet(const std::string& text, const std::string& query,
                         std::size_t length = 120);

}  // namespace gongkai::server
