// The search-quality set over the law fixture (tests/fixtures/laws, laws-queries.tsv) and its
// scores, shared by the single-site test and the platform's cross-unit one.
#pragma once
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gongkai/text.hpp"

namespace gongkai::test {

struct QualityCase {
  std::string kind, query;
  std::vector<std::string> expected;  // URLs
};

// The queries; url_of turns a fixture file's stem into the URL its page has.
inline std::vector<QualityCase> load_quality_queries(
    const std::function<std::string(const std::string&)>& url_of) {
  std::ifstream in(std::string(GONGKAI_TEST_DIR) + "/fixtures/laws-queries.tsv");
  std::vector<QualityCase> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    REQUIRE(cols.size() == 3);
    QualityCase c{cols[0], cols[1], {}};
    for (const auto& stem : split(cols[2], '|')) c.expected.push_back(url_of(stem));
    out.push_back(c);
  }
  return out;
}

struct QualityHit {
  std::string url, title, published;
};

// Scores every case against the hits `search` returns for its query (best first), WARNs the
// misses and the summary, and checks the floors: MRR@10 ≥ 0.85, hit@3 ≥ 0.90, no empty answer.
inline void check_search_quality(
    const std::vector<QualityCase>& cases,
    const std::function<std::vector<QualityHit>(const std::string&)>& search) {
  REQUIRE(cases.size() >= 40);
  double rr_sum = 0;
  int hit3 = 0, zero = 0;
  std::map<std::string, std::pair<double, int>> by_kind;
  for (const auto& c : cases) {
    const auto hits = search(c.query);
    int rank = 0;
    for (std::size_t i = 0; i < hits.size() && i < 10 && !rank; ++i)
      for (const auto& e : c.expected)
        if (hits[i].url == e) rank = static_cast<int>(i) + 1;
    if (hits.empty()) ++zero;
    const double rr = rank ? 1.0 / rank : 0.0;
    rr_sum += rr;
    if (rank && rank <= 3) ++hit3;
    by_kind[c.kind].first += rr;
    by_kind[c.kind].second += 1;
    if (rank != 1) {
      std::ostringstream top;
      for (std::size_t i = 0; i < hits.size() && i < 3; ++i)
        top << " [" << (i + 1) << "] " << hits[i].title << " " << hits[i].published;
      WARN("query " << c.query << ": expected at rank " << rank << "; top:" << top.str());
    }
  }
  const double mrr = rr_sum / static_cast<double>(cases.size());
  const double h3 = static_cast<double>(hit3) / static_cast<double>(cases.size());
  std::ostringstream summary;
  summary << "queries=" << cases.size() << " MRR@10=" << mrr << " hit@3=" << h3 << " zero=" << zero;
  for (const auto& [k, v] : by_kind) summary << " " << k << "=" << v.first / v.second;
  WARN(summary.str());
  CHECK(mrr >= 0.85);
  CHECK(h3 >= 0.90);
  CHECK(zero == 0);
}

}  // namespace gongkai::test
