#include "search_service.hpp"

#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <array>
#include <functional>
#include <set>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "gongkai/analysis.hpp"
#include "gongkai/content.hpp"
#include "gongkai/release.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/text.hpp"
#include "json_text.hpp"
#include "search_cache.hpp"

namespace gongkai::server {

namespace sch = gongkai::search;

namespace {

constexpr std::size_t k_max_query_bytes = 1000;
constexpr Xapian::doccount k_rerank = 100;  // results reranked by title rules
constexpr Xapian::doccount k_facet_sample =
    300;  // documents the facet counts are taken from (counts are scaled)

// Opens the release's index, checking it was written by this version's analyser.
std::unique_ptr<Xapian::Database> open_database(const Release& r) {
  try {
    auto db = std::make_unique<Xapian::Database>(r.search_db.string());
    const std::string analyzer = db->get_metadata(sch::k_analyzer_key);
    if (analyzer != sch::k_analyzer) {
      std::cerr << "gongkai-serve: index of release " << r.id << " was built with analyser \""
                << analyzer << "\", this server needs \"" << sch::k_analyzer
                << "\"; rebuild the site\n";
      throw SearchUnavailable("the search index was built by another version; rebuild the site");
    }
    return db;
  } catch (const Xapian::Error& e) {
    throw SearchUnavailable("search index unavailable: " + e.get_msg());
  }
}

// A handle of the release's index from its pool, returned when the lease ends.
std::unique_ptr<DatabasePool::Lease> lease_database(const Release& release, SearchState& state) {
  return state.databases.acquire([&] { return open_database(release); });
}

Xapian::Query and_of(const std::vector<std::string>& terms) {
  if (terms.size() == 1) return Xapian::Query(terms[0]);
  return Xapian::Query(Xapian::Query::OP_AND, terms.begin(), terms.end());
}

struct QueryPlan {
  struct ChunkPlan {
    std::vector<std::string>
        bigrams;  // all overlapping bigrams (or the word, or the single character)
    std::vector<std::string> pieces;                 // non-overlapping pieces (relaxed requirement)
    std::vector<std::string> unigrams;               // single characters (most relaxed)
    std::vector<std::vector<std::string>> synonyms;  // official words (as their bigrams)
    std::string single;  // a one-character Chinese chunk: also matched by the bigrams it starts
  };
  std::vector<ChunkPlan> chunks;
  std::vector<std::string> boost_terms;  // every bigram/word of query and synonyms
  std::vector<std::string> title_terms;  // the same with the title prefix
};

QueryPlan plan_query(const std::string& q) {
  QueryPlan p;
  for (const auto& c : sch::chunks(q)) {
    QueryPlan::ChunkPlan cp;
    cp.bigrams = sch::chunk_terms(c);
    if (cp.bigrams.empty()) continue;
    cp.pieces = sch::chunk_pieces(c);
    cp.unigrams = c.cjk ? sch::chunk_unigrams(c) : cp.bigrams;
    if (c.cjk && c.text.size() == 1) cp.single = cp.bigrams.front();
    for (const std::string& s : sch::everyday_synonyms(to_utf8(c.text)))
      for (const auto& sc : sch::chunks(s)) cp.synonyms.push_back(sch::chunk_terms(sc));
    for (const auto& t : cp.bigrams) p.boost_terms.push_back(t);
    for (const auto& syn : cp.synonyms)
      for (const auto& t : syn) p.boost_terms.push_back(t);
    p.chunks.push_back(std::move(cp));
  }
  for (const auto& t : p.boost_terms) p.title_terms.push_back(std::string(sch::k_prefix_title) + t);
  return p;
}

// A chunk's requirement at a tier, OR-ed with its everyday-word synonyms.
Xapian::Query chunk_query(const QueryPlan::ChunkPlan& c, int tier) {
  Xapian::Query q = tier == 0 ? and_of(c.pieces) : and_of(c.unigrams);
  // Bodies carry a single character only where a run ends (see the indexer): elsewhere 税 is
  // found as the start of a bigram 税X.
  if (!c.single.empty())
    q = Xapian::Query(Xapian::Query::OP_OR, q,
                      Xapian::Query(Xapian::Query::OP_WILDCARD, c.single, 200,
                                    Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT));
  for (const auto& syn : c.synonyms) q = Xapian::Query(Xapian::Query::OP_OR, q, and_of(syn));
  return q;
}

// Tiers, strictest first: 0 every chunk's words (its two-character pieces; a run of the
// whole chunk is preferred by the ranking boost, not required), 1 every character in any
// order, 2 any word, 3 any character.
constexpr int k_last_tier = 3;

Xapian::Query tier_query(const QueryPlan& p, int tier) {
  std::vector<Xapian::Query> parts;
  if (tier <= 1) {
    for (const auto& c : p.chunks) parts.push_back(chunk_query(c, tier));
    return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
  }
  for (const auto& c : p.chunks) {
    parts.push_back(chunk_query(c, tier == 2 ? 0 : 1));
    for (const auto& t : tier == 2 ? c.pieces : c.unigrams) parts.emplace_back(t);
  }
  return Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
}

Xapian::Query filter_query(const SearchParams& sp) {
  std::vector<Xapian::Query> f;
  auto add = [&](const char* prefix, const std::string& v) {
    if (!v.empty()) f.emplace_back(std::string(prefix) + v);
  };
  add(sch::k_prefix_section, sp.section);
  add(sch::k_prefix_department, sp.department);
  add(sch::k_prefix_category, sp.category);
  add(sch::k_prefix_year, sp.year);
  add(sch::k_prefix_validity, sp.validity);
  if (f.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_AND, f.begin(), f.end());
}

// A document of a match set: the document table holding it and its own id there.
struct Located {
  const DocTable* table = nullptr;  // nullptr: outside every table
  std::size_t did = 0;
  int unit = -1;  // index into Corpus::units (-1: a site's own search)
};

struct Ranked {
  Xapian::docid did;
  double score;
  int tier;  // 3 exact title / doc no, 2 title contains query, 1 title contains a chunk, 0 other
  bool valid;
  bool local;  // another locality's rule: below national ones of the same tier
  double published;
  std::string key;
  Located at;
};

}  // namespace

std::optional<SearchParams> parse_search_params(
    const std::multimap<std::string, std::string>& params, std::string& error) {
  SearchParams sp;
  auto one = [&](const std::string& key, std::string& out) -> bool {
    auto [b, e] = params.equal_range(key);
    if (b == e) return true;
    if (std::next(b) != e) {
      error = "parameter " + key + " is given more than once";
      return false;
    }
    out = b->second;
    if (!valid_utf8(out)) {
      error = "parameter " + key + " is not valid UTF-8";
      return false;
    }
    if (out.size() > k_max_query_bytes) {
      error = "parameter " + key + " is too long (at most " + std::to_string(k_max_query_bytes) +
              " bytes)";
      return false;
    }
    return true;
  };
  std::string page, per_page;
  if (!one("q", sp.q) || !one("section", sp.section) || !one("department", sp.department) ||
      !one("category", sp.category) || !one("year", sp.year) || !one("validity", sp.validity) ||
      !one("unit", sp.unit) || !one("kind", sp.kind) || !one("sort", sp.sort) ||
      !one("page", page) || !one("per_page", per_page))
    return std::nullopt;
  sp.q = trim(sp.q);
  if (sp.sort.empty()) sp.sort = "relevance";
  static const std::set<std::string> k_sections = {
      section_name(Section::disclosure), section_name(Section::notices),
      section_name(Section::consultations), k_responsibilities_name, section_name(Section::pages)};
  if (!sp.section.empty() && !k_sections.count(sp.section)) {
    error = "section must be one of disclosure, notices, consultations, responsibilities, pages";
    return std::nullopt;
  }
  if (!sp.year.empty() &&
      (sp.year.size() != 4 || !std::all_of(sp.year.begin(), sp.year.end(), ::isdigit))) {
    error = "year must be four digits, such as 2021";
    return std::nullopt;
  }
  if (!sp.validity.empty() && sp.validity != "有效" && sp.validity != "失效" &&
      sp.validity != "废止") {
    error = "validity must be one of 有效, 失效, 废止";
    return std::nullopt;
  }
  if (sp.sort != "relevance" && sp.sort != "date") {
    error = "sort must be relevance or date";
    return std::nullopt;
  }
  auto number = [&](const std::string& s, const char* name, int lo, int hi, int& out) -> bool {
    if (s.empty()) return true;
    if (s.size() > 6 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
      error = std::string(name) + " must be a whole number from " + std::to_string(lo) + " to " +
              std::to_string(hi);
      return false;
    }
    const int v = std::stoi(s);
    if (v < lo || v > hi) {
      error =
          std::string(name) + " must be from " + std::to_string(lo) + " to " + std::to_string(hi);
      return false;
    }
    out = v;
    return true;
  };
  if (!number(page, "page", 1, 1000, sp.page) || !number(per_page, "per_page", 1, 50, sp.per_page))
    return std::nullopt;
  return sp;  // unknown parameters (tracking tags and the like) are ignored
}

std::string make_snippet(const std::string& text, const std::string& query, std::size_t length) {
  const std::u32string t = to_u32(text);
  std::u32string folded(t.size(), 0);
  for (std::size_t i = 0; i < t.size(); ++i)
    folded[i] = sch::fold_char(t[i] == '\n' || t[i] == '\r' || t[i] == '\t' ? U' ' : t[i]);
  // Needles: each query chunk, its bigrams, and single characters of one-character chunks.
  std::vector<std::u32string> needles;
  for (const auto& c : sch::chunks(query)) {
    needles.push_back(c.text);
    if (c.cjk && c.text.size() > 2)
      for (std::size_t i = 0; i + 1 < c.text.size(); ++i) needles.push_back(c.text.substr(i, 2));
  }
  std::sort(needles.begin(), needles.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<char> marked(t.size(), 0);
  std::vector<std::size_t> hits;
  for (const auto& n : needles) {
    if (n.empty()) continue;
    for (std::size_t pos = folded.find(n); pos != std::u32string::npos;
         pos = folded.find(n, pos + 1)) {
      hits.push_back(pos);
      for (std::size_t k = 0; k < n.size(); ++k) marked[pos + k] = 1;
      if (hits.size() > 2000) break;
    }
  }
  // The window with the most marked characters, starting a little before a hit.
  std::size_t start = 0;
  if (!hits.empty() && t.size() > length) {
    std::sort(hits.begin(), hits.end());
    std::vector<std::size_t> prefix(t.size() + 1, 0);
    for (std::size_t i = 0; i < t.size(); ++i) prefix[i + 1] = prefix[i] + (marked[i] ? 1 : 0);
    std::size_t best = 0, best_score = 0;
    for (std::size_t h : hits) {
      const std::size_t s = h > 20 ? h - 20 : 0;
      const std::size_t e = std::min(t.size(), s + length);
      const std::size_t score = prefix[e] - prefix[s];
      if (score > best_score) {
        best_score = score;
        best = s;
      }
    }
    start = best;
  }
  const std::size_t end = std::min(t.size(), start + length);
  std::string out;
  if (start > 0) out += "…";
  bool open = false;
  for (std::size_t i = start; i < end; ++i) {
    if (marked[i] && !open) {
      out += "<mark>";
      open = true;
    }
    if (!marked[i] && open) {
      out += "</mark>";
      open = false;
    }
    std::string ch;
    char32_t cp = t[i];
    if (cp == '\n' || cp == '\r' || cp == '\t') cp = ' ';
    append_utf8(ch, cp);
    out += html_escape(ch);
  }
  if (open) out += "</mark>";
  if (end < t.size()) out += "…";
  return out;
}

namespace {

// The ranking and facet fields of every document, read from the value streams.
std::shared_ptr<const DocTable> load_table(Xapian::Database& db, const std::filesystem::path& dir) {
  auto t = std::make_shared<DocTable>();
  // Parts named by the stub (generator/indexer.cpp); a plain database is one.
  if (std::ifstream stub(dir / contract::k_search_stub); stub) {
    const std::string text((std::istreambuf_iterator<char>(stub)),
                           std::istreambuf_iterator<char>());
    t->parts = std::max<std::size_t>(1, contract::search_stub_parts(text).size());
  }
  const std::size_t n = db.get_lastdocid() ? t->own_id(db.get_lastdocid()) + 1 : 1;
  // A rebuild's hidden list (own ids); one the builder would not accept hides nothing.
  t->hidden.assign(n, 0);
  if (std::ifstream in(dir / sch::k_hidden_file); in) {
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (unsigned d : sch::parse_hidden_ids(text).value_or(std::vector<unsigned>{}))
      if (d < n) t->hidden[d] = 1, t->any_hidden = true;
  }
  t->published.assign(n, 0);
  t->valid.assign(n, 0);
  t->local.assign(n, 0);
  t->title_key.assign(n, {});
  t->exact_keys.assign(n, {});
  auto each = [&](unsigned slot, const std::function<void(std::size_t, const std::string&)>& f) {
    for (auto it = db.valuestream_begin(slot); it != db.valuestream_end(slot); ++it)
      if (const std::size_t d = t->own_id(it.get_docid()); d < n) f(d, *it);
  };
  each(sch::k_slot_published, [&](std::size_t d, const std::string& v) {
    t->published[d] = Xapian::sortable_unserialise(v);
  });
  each(sch::k_slot_local, [&](std::size_t d, const std::string& v) { t->local[d] = v == "1"; });
  each(sch::k_slot_title_key, [&](std::size_t d, const std::string& v) { t->title_key[d] = v; });
  each(sch::k_slot_exact_keys, [&](std::size_t d, const std::string& v) { t->exact_keys[d] = v; });
  const std::array<unsigned, k_facet_families> slots = {sch::k_slot_section, sch::k_slot_department,
                                                        sch::k_slot_category, sch::k_slot_year,
                                                        sch::k_slot_validity};
  for (std::size_t f = 0; f < k_facet_families; ++f) {
    t->facet[f].assign(n, 0);
    t->facet_names[f] = {""};
    std::unordered_map<std::string, std::uint32_t> ids;
    each(slots[f], [&](std::size_t d, const std::string& v) {
      auto [it, fresh] = ids.emplace(v, static_cast<std::uint32_t>(t->facet_names[f].size()));
      if (fresh) t->facet_names[f].push_back(v);
      t->facet[f][d] = it->second;
    });
  }
  each(sch::k_slot_validity,
       [&](std::size_t d, const std::string& v) { t->valid[d] = v == "有效"; });
  return t;
}

std::shared_ptr<const DocTable> table_of(SearchState& state, Xapian::Database& db,
                                         const Release& release) {
  std::lock_guard<std::mutex> lock(state.table_mutex);
  if (!state.table) state.table = load_table(db, release.search_db);
  return state.table;
}

// Counts facet values of the documents the matcher examines, from the document table.
class TableFacetSpy : public Xapian::MatchSpy {
 public:
  explicit TableFacetSpy(const DocTable& t) : m_t(t) {
    for (std::size_t f = 0; f < k_facet_families; ++f) counts[f].assign(t.facet_names[f].size(), 0);
  }
  void operator()(const Xapian::Document& doc, double) override {
    const Xapian::docid did = doc.get_docid();
    if (did >= m_t.published.size() || m_t.hidden[did]) return;
    ++total;
    for (std::size_t f = 0; f < k_facet_families; ++f) ++counts[f][m_t.facet[f][did]];
  }
  std::array<std::vector<std::size_t>, k_facet_families> counts;
  std::size_t total = 0;

 private:
  const DocTable& m_t;
};

// Lets the matcher pass over the hidden copies, so that they count in no total either.
class NotHidden : public Xapian::MatchDecider {
 public:
  explicit NotHidden(const DocTable& t) : m_t(t) {}
  bool operator()(const Xapian::Document& doc) const override {
    const Xapian::docid did = doc.get_docid();
    return did >= m_t.hidden.size() || !m_t.hidden[did];
  }

 private:
  const DocTable& m_t;
};

const std::array<const char*, k_facet_families> k_facet_names = {"section", "department",
                                                                 "category", "year", "validity"};

// What one search runs over: a site's own index (one table: the matcher's spy and decider see
// its own ids), or several units' indexes added into one database. Xapian 1.4 hands spies and
// deciders a sub-database's own id, which cannot tell units apart, so across units hidden copies
// are dropped and facets counted from the match set itself.
struct Corpus {
  Xapian::Database* db = nullptr;
  const DocTable* single = nullptr;  // a site's own search
  struct Shard {
    const DocTable* table;
    std::size_t first, parts;  // its sub-databases: [first, first + parts) in add order
    int unit;
  };
  std::vector<Shard> shards;  // across units, in add order
  std::size_t sub_databases = 1;
  std::vector<const SearchUnit*> units;

  Located locate(Xapian::docid did) const {
    Located l;
    if (single) {
      l.table = single;
      l.did = single->own_id(did);
    } else {
      // Documents of sub-databases interleave: sub-database (did-1) % S holds it as (did-1)/S+1.
      const std::size_t sub = (did - 1) % sub_databases;
      const std::size_t local = (did - 1) / sub_databases + 1;
      for (const Shard& s : shards)
        if (sub >= s.first && sub < s.first + s.parts) {
          l.table = s.table;
          l.did = local;  // a part's own id is the unit's own id (DocTable::own_id)
          l.unit = s.unit;
          break;
        }
    }
    if (l.table && (l.did >= l.table->published.size() || l.table->hidden[l.did]))
      l.table = nullptr;
    return l;
  }
};

SearchResult search_corpus(const Corpus& corpus, const SearchParams& sp) {
  const auto t0 = std::chrono::steady_clock::now();
  SearchResult res;
  res.query = sp.q;
  res.page = sp.page;
  res.per_page = sp.per_page;
  Xapian::Database& db = *corpus.db;
  const bool across = corpus.single == nullptr;
  try {
    std::optional<NotHidden> not_hidden;
    if (!across && corpus.single->any_hidden) not_hidden.emplace(*corpus.single);
    const Xapian::MatchDecider* decider = not_hidden ? &*not_hidden : nullptr;
    Xapian::Enquire enquire(db);
    const Xapian::Query filter = filter_query(sp);
    const QueryPlan plan = plan_query(sp.q);
    const std::string qkey = sch::title_key(sp.q);

    // Exact lookups (文号, 索引号, whole title) come first whatever the text ranking says.
    Xapian::Query exact;
    if (!qkey.empty()) {
      std::vector<Xapian::Query> ex = {
          Xapian::Query(truncate_utf8_bytes(std::string(sch::k_prefix_doc_no) + qkey, 240)),
          Xapian::Query(truncate_utf8_bytes(std::string(sch::k_prefix_index_no) + qkey, 240)),
          Xapian::Query(truncate_utf8_bytes(std::string(sch::k_prefix_exact_title) + qkey, 240))};
      exact = Xapian::Query(Xapian::Query::OP_OR, ex.begin(), ex.end());
    }
    auto with_filter = [&](const Xapian::Query& q) {
      return filter.empty() ? q : Xapian::Query(Xapian::Query::OP_FILTER, q, filter);
    };
    // Every bigram of the query (so a run beats its words apart) and the title terms (so a
    // title match beats a body match) raise the documents the tier admits.
    auto boosted = [&](const Xapian::Query& text_query) {
      if (plan.boost_terms.empty()) return text_query;
      Xapian::Query body(Xapian::Query::OP_OR, plan.boost_terms.begin(), plan.boost_terms.end());
      Xapian::Query title(Xapian::Query::OP_OR, plan.title_terms.begin(), plan.title_terms.end());
      return Xapian::Query(
          Xapian::Query::OP_AND_MAYBE, text_query,
          Xapian::Query(Xapian::Query::OP_OR, body,
                        Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, title, 2.0)));
    };

    const Xapian::doccount offset = static_cast<Xapian::doccount>((sp.page - 1) * sp.per_page);
    const bool by_date = sp.sort == "date" || plan.chunks.empty();
    if (by_date) enquire.set_sort_by_value_then_relevance(sch::k_slot_published, true);
    const Xapian::doccount want =
        by_date ? static_cast<Xapian::doccount>(sp.per_page)
                : std::max<Xapian::doccount>(k_rerank,
                                             offset + static_cast<Xapian::doccount>(sp.per_page));
    // The strictest tier that matches anything answers; each tier is one pass of the matcher.
    // Across units the match set itself is the facet sample: at least k_facet_sample entries
    // from the top (the first page by date included), of which the first `want` are ranked.
    const Xapian::doccount first = by_date && !across ? offset : 0;
    const Xapian::doccount fetch =
        !across ? want : std::max<Xapian::doccount>(k_facet_sample, by_date ? offset + want : want);
    std::unique_ptr<TableFacetSpy> spy;
    Xapian::MSet mset;
    const int last_tier = plan.chunks.empty() ? 0 : k_last_tier;
    for (int tier = 0; tier <= last_tier; ++tier) {
      Xapian::Query q = plan.chunks.empty() ? Xapian::Query::MatchAll : tier_query(plan, tier);
      if (!plan.chunks.empty() && !exact.empty()) q = Xapian::Query(Xapian::Query::OP_OR, q, exact);
      enquire.set_query(with_filter(boosted(q)));
      enquire.clear_matchspies();
      if (!across) {
        spy = std::make_unique<TableFacetSpy>(*corpus.single);
        enquire.add_matchspy(spy.get());
      }
      mset = enquire.get_mset(first, fetch, k_facet_sample, nullptr, decider);
      res.tier = tier;
      if (mset.size() > 0 || mset.get_matches_upper_bound() > 0) break;
    }
    res.total = mset.get_matches_estimated();
    // The entries of the match set that may answer, with where their fields are.
    struct Entry {
      Xapian::docid did;
      double weight;
      Located at;
    };
    std::vector<Entry> entries;
    std::size_t dropped = 0;  // hidden copies among them (across units only)
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      const Located at = corpus.locate(*it);
      if (!at.table) {
        ++dropped;
        continue;
      }
      entries.push_back({*it, it.get_weight(), at});
    }
    if (across) {
      if (mset.size() == res.total)
        res.total -= std::min(res.total, static_cast<std::size_t>(dropped));
      else if (mset.size() > 0)
        res.total = static_cast<std::size_t>(
            static_cast<double>(res.total) * (mset.size() - dropped) / mset.size() + 0.5);
    }
    // The entries to rank: the first `want` of the match set (across units, of the sample).
    std::vector<Entry> top;
    {
      std::size_t seen = 0;
      const std::size_t from = by_date && across ? offset : 0;
      const std::size_t until = by_date && across ? offset + sp.per_page : want;
      for (auto it = mset.begin(); it != mset.end() && seen < until; ++it, ++seen)
        if (seen >= from)
          if (const Located at = corpus.locate(*it); at.table)
            top.push_back({*it, it.get_weight(), at});
    }
    std::vector<std::pair<Xapian::docid, Located>> order;
    if (by_date) {
      for (const Entry& e : top) order.emplace_back(e.did, e.at);
    } else {
      std::vector<std::string> chunk_keys;  // the query's Chinese words, for "title holds them all"
      for (const auto& c : sch::chunks(sp.q))
        if (c.cjk && c.text.size() > 1) chunk_keys.push_back(to_utf8(c.text));
      std::vector<Ranked> ranked_docs;
      for (const Entry& e : top) {
        const DocTable& table = *e.at.table;
        const std::size_t did = e.at.did;
        const bool local = table.local[did];
        Ranked r{e.did,
                 e.weight * (local ? 0.6 : 1.0),
                 0,
                 table.valid[did] != 0,
                 local,
                 table.published[did],
                 table.title_key[did],
                 e.at};
        if (!qkey.empty() && r.key == qkey)
          r.tier = 3;
        else if (!qkey.empty() && r.key.find(qkey) != std::string::npos)
          r.tier = 2;
        else if (!chunk_keys.empty() &&
                 std::all_of(chunk_keys.begin(), chunk_keys.end(), [&](const std::string& k) {
                   return r.key.find(k) != std::string::npos;
                 }))
          r.tier = 1;
        if (r.tier == 0 && !exact.empty()) {  // 文号 / 索引号 exact hits
          const std::string& keys = table.exact_keys[did];
          const auto sep = keys.find('\x1f');
          if (sep != std::string::npos &&
              ((sep > 0 && keys.compare(0, sep, qkey) == 0 && sep == qkey.size()) ||
               keys.compare(sep + 1, std::string::npos, qkey) == 0))
            r.tier = 3;
        }
        ranked_docs.push_back(std::move(r));
      }
      // Within a tier, versions in force first, then BM25; superseded versions sink below.
      std::stable_sort(ranked_docs.begin(), ranked_docs.end(),
                       [](const Ranked& a, const Ranked& b) {
                         if (a.tier != b.tier) return a.tier > b.tier;
                         if (a.valid != b.valid) return a.valid;
                         if (a.tier >= 1 && a.local != b.local) return !a.local;
                         if (a.tier >= 2 && a.key.size() != b.key.size())
                           return a.key.size() < b.key.size();  // the closest title
                         if (a.score != b.score) return a.score > b.score;
                         return a.published > b.published;
                       });
      // Items sharing a title: the newest version in force takes the best place.
      std::map<std::string, std::vector<std::size_t>> groups;
      for (std::size_t i = 0; i < ranked_docs.size(); ++i)
        if (!ranked_docs[i].key.empty()) groups[ranked_docs[i].key].push_back(i);
      for (auto& [key, idx] : groups) {
        if (idx.size() < 2) continue;
        std::vector<Ranked> members;
        for (std::size_t i : idx) members.push_back(ranked_docs[i]);
        std::stable_sort(members.begin(), members.end(), [](const Ranked& a, const Ranked& b) {
          if (a.valid != b.valid) return a.valid;
          return a.published > b.published;
        });
        for (std::size_t k = 0; k < idx.size(); ++k) ranked_docs[idx[k]] = members[k];
      }
      for (std::size_t i = offset;
           i < ranked_docs.size() && i < offset + static_cast<std::size_t>(sp.per_page); ++i)
        order.emplace_back(ranked_docs[i].did, ranked_docs[i].at);
      if (offset >= ranked_docs.size() && offset < res.total) {  // deep pages: plain BM25 order
        enquire.clear_matchspies();
        Xapian::MSet deep = enquire.get_mset(offset, static_cast<Xapian::doccount>(sp.per_page), 0,
                                             nullptr, decider);
        for (auto it = deep.begin(); it != deep.end(); ++it)
          if (const Located at = corpus.locate(*it); at.table) order.emplace_back(*it, at);
      }
    }
    // Facets are counted over the documents the matcher examined (at least k_facet_sample);
    // for larger result sets they are scaled to the estimated total ("约").
    if (!across) {
      const DocTable& table = *corpus.single;
      const double scale = spy->total > 0 && res.total > spy->total
                               ? static_cast<double>(res.total) / spy->total
                               : 1.0;
      for (std::size_t f = 0; f < k_facet_families; ++f) {
        auto& m = res.facets[k_facet_names[f]];
        for (std::size_t v = 1; v < spy->counts[f].size(); ++v)
          if (spy->counts[f][v] > 0 && !table.facet_names[f][v].empty())
            m[table.facet_names[f][v]] =
                static_cast<std::size_t>(static_cast<double>(spy->counts[f][v]) * scale + 0.5);
      }
    } else {
      // Counted by value name: each unit's table numbers its values its own way.
      std::map<std::string, std::map<std::string, std::size_t>> counts;
      for (std::size_t f = 0; f < k_facet_families; ++f) counts[k_facet_names[f]];
      counts["unit"];
      counts["kind"];
      for (const Entry& e : entries) {
        for (std::size_t f = 0; f < k_facet_families; ++f) {
          const std::string& v = e.at.table->facet_names[f][e.at.table->facet[f][e.at.did]];
          if (!v.empty()) ++counts[k_facet_names[f]][v];
        }
        const SearchUnit& u = *corpus.units[static_cast<std::size_t>(e.at.unit)];
        ++counts["unit"][u.id];
        ++counts["kind"][u.kind];
      }
      const double scale = !entries.empty() && res.total > entries.size()
                               ? static_cast<double>(res.total) / entries.size()
                               : 1.0;
      for (auto& [family, values] : counts) {
        auto& m = res.facets[family];
        for (const auto& [v, n] : values)
          m[v] = static_cast<std::size_t>(static_cast<double>(n) * scale + 0.5);
      }
    }
    for (const auto& [did, at] : order) {
      const Xapian::Document doc = db.get_document(did);
      const auto j = nlohmann::json::parse(doc.get_value(sch::k_slot_display), nullptr, false);
      if (!j.is_object()) continue;
      const std::string text = doc.get_value(sch::k_slot_text);
      SearchHit h;
      h.url = j.value("url", "");
      h.title = j.value("title", "");
      h.section = j.value("section", "");
      h.department = j.value("department", "");
      h.category = j.value("category", "");
      h.published = j.value("published", "");
      h.index_no = j.value("index_no", "");
      h.doc_no = j.value("doc_no", "");
      h.validity = j.value("validity", "");
      h.snippet = make_snippet(text, sp.q);
      if (at.unit >= 0) {
        const SearchUnit& u = *corpus.units[static_cast<std::size_t>(at.unit)];
        h.unit = u.id;
        h.unit_name = u.name;
      }
      res.hits.push_back(std::move(h));
    }
  } catch (const Xapian::DatabaseModifiedError&) {
    db.reopen();
    throw SearchUnavailable("the index changed during the search; try again");
  } catch (const Xapian::Error& e) {
    throw SearchUnavailable("search index unavailable: " + e.get_msg());
  }
  res.took_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

// A site's own search: its index with its table.
SearchResult compute_search(const Release& release, const SearchParams& sp, SearchState& state) {
  const auto lease = lease_database(release, state);
  Xapian::Database& db = **lease;
  std::shared_ptr<const DocTable> table;
  try {
    table = table_of(state, db, release);
  } catch (const Xapian::Error& e) {
    throw SearchUnavailable("search index unavailable: " + e.get_msg());
  }
  Corpus corpus;
  corpus.db = &db;
  corpus.single = table.get();
  return search_corpus(corpus, sp);
}

// `units`: a platform's units (cross-unit answers name each hit's unit and list the units).
std::string api_json_of(const SearchResult& result,
                        const std::vector<SearchUnit>* units = nullptr) {
  nlohmann::json hits = nlohmann::json::array();
  for (const auto& h : result.hits) {
    nlohmann::json x = {{"url", h.url},           {"title", h.title},
                        {"section", h.section},   {"department", h.department},
                        {"category", h.category}, {"published", h.published},
                        {"index_no", h.index_no}, {"doc_no", h.doc_no},
                        {"validity", h.validity}, {"snippet", h.snippet}};
    if (!h.unit.empty()) {
      x["unit"] = h.unit;
      x["unit_name"] = h.unit_name;
    }
    hits.push_back(std::move(x));
  }
  nlohmann::json j = {{"query", result.query}, {"total", result.total},
                      {"page", result.page},   {"per_page", result.per_page},
                      {"results", hits},       {"facets", result.facets}};
  if (units) {
    nlohmann::json u = nlohmann::json::object();
    for (const SearchUnit& x : *units) u[x.id] = {{"name", x.name}, {"kind", x.kind}};
    j["units"] = std::move(u);
  }
  return safe_json(j);
}

}  // namespace

SearchAnswerTimed search_answer(const Release& release, const SearchParams& sp) {
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<SearchState> state = release.search;
  if (!state) state = std::make_shared<SearchState>(0);  // a Release made by hand: nothing shared
  auto answer = state->cache.get(SearchCache::key_of(sp), [&] {
    auto a = std::make_shared<SearchAnswer>();
    auto r = std::make_shared<SearchResult>(compute_search(release, sp, *state));
    a->api_json = api_json_of(*r);
    a->result = std::move(r);
    return std::shared_ptr<const SearchAnswer>(std::move(a));
  });
  return {answer,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()};
}

void prepare_search(const Release& release) {
  if (!release.search) return;
  try {
    const auto lease = lease_database(release, *release.search);
    table_of(*release.search, **lease, release);
  } catch (const std::exception&) {
    // a missing or foreign index: every search says so
  } catch (const Xapian::Error&) {
  }
}

SearchResult run_search(const Release& release, const SearchParams& sp) {
  const SearchAnswerTimed a = search_answer(release, sp);
  SearchResult r = *a.answer->result;
  r.took_ms = a.took_ms;
  return r;
}

// ---- across a platform's units --------------------------------------------------------------

struct CombinedSearch::Impl {
  explicit Impl(std::size_t capacity) : cache(capacity) {}
  SearchCache cache;
  std::mutex mutex;
  bool prepared = false;
  struct Usable {
    std::size_t unit;  // index into units
    std::shared_ptr<const DocTable> table;
    std::size_t parts;  // its index's glass parts
  };
  std::vector<Usable> usable;  // the units that can search, in order
  // Handles per unit kind asked for ("": every unit): each its own set of added indexes.
  std::map<std::string, std::unique_ptr<DatabasePool>> pools;
};

CombinedSearch::CombinedSearch(std::vector<SearchUnit> units, std::size_t cache_capacity)
    : m_impl(std::make_unique<Impl>(cache_capacity)),
      m_units(std::move(units)),
      m_key(key_of(m_units)) {}

CombinedSearch::~CombinedSearch() = default;

std::string CombinedSearch::key_of(const std::vector<SearchUnit>& units) {
  std::string k;
  for (const SearchUnit& u : units)
    k += u.id + "=" + (u.release ? u.release->id : std::string()) + ";";
  return k;
}

SearchAnswerTimed CombinedSearch::answer(const SearchParams& sp_in) {
  const auto t0 = std::chrono::steady_clock::now();
  const SearchParams sp = sp_in;
  auto answer = m_impl->cache.get(SearchCache::key_of(sp), [&] {
    auto a = std::make_shared<SearchAnswer>();
    auto r = std::make_shared<SearchResult>();
    if (!sp.unit.empty()) {
      // One unit: exactly its own answer (from its own cache), its hits named.
      auto it = std::find_if(m_units.begin(), m_units.end(),
                             [&](const SearchUnit& u) { return u.id == sp.unit; });
      if (it == m_units.end()) throw SearchUnavailable("no such unit: " + sp.unit);
      if (!it->release) throw SearchUnavailable("unit " + sp.unit + " has not published yet");
      SearchParams own = sp;
      own.unit.clear();
      own.kind.clear();
      if (!sp.kind.empty() && sp.kind != it->kind) {
        r->query = sp.q;
        r->page = sp.page;
        r->per_page = sp.per_page;
      } else {
        *r = *search_answer(*it->release, own).answer->result;
        for (SearchHit& h : r->hits) {
          h.unit = it->id;
          h.unit_name = it->name;
        }
        if (r->total > 0) {
          r->facets["unit"][it->id] = r->total;
          r->facets["kind"][it->kind] = r->total;
        }
      }
    } else {
      *r = search_across(sp);
    }
    a->api_json = api_json_of(*r, &m_units);
    a->result = std::move(r);
    return std::shared_ptr<const SearchAnswer>(std::move(a));
  });
  return {answer,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()};
}

SearchResult CombinedSearch::run(const SearchParams& params) {
  const SearchAnswerTimed a = answer(params);
  SearchResult r = *a.answer->result;
  r.took_ms = a.took_ms;
  return r;
}

SearchResult CombinedSearch::search_across(const SearchParams& sp) {
  Impl& m = *m_impl;
  DatabasePool* pool = nullptr;
  std::vector<Impl::Usable> chosen;
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    if (!m.prepared) {
      // Each unit's index checked (analyser) and its table read through its own state, once.
      for (std::size_t i = 0; i < m_units.size(); ++i) {
        const SearchUnit& u = m_units[i];
        if (!u.release) continue;
        try {
          std::shared_ptr<SearchState> state = u.release->search;
          if (!state) state = std::make_shared<SearchState>(0);
          const auto lease = lease_database(*u.release, *state);
          auto table = table_of(*state, **lease, *u.release);
          m.usable.push_back({i, std::move(table), (**lease).size()});
        } catch (const SearchUnavailable& e) {
          std::cerr << "gongkai-serve: unit " << u.id << " (release " << u.release->id
                    << ") left out of the platform search: " << e.what() << "\n";
        } catch (const Xapian::Error& e) {
          std::cerr << "gongkai-serve: unit " << u.id << " (release " << u.release->id
                    << ") left out of the platform search: " << e.get_msg() << "\n";
        }
      }
      m.prepared = true;
    }
    if (m.usable.empty())
      throw SearchUnavailable("no unit of the platform has a usable search index yet");
    for (const Impl::Usable& x : m.usable)
      if (sp.kind.empty() || m_units[x.unit].kind == sp.kind) chosen.push_back(x);
    auto& p = m.pools[sp.kind];
    if (!p) p = std::make_unique<DatabasePool>();
    pool = p.get();
  }
  if (chosen.empty()) {  // no unit of that kind can search: nothing found, not an error
    SearchResult r;
    r.query = sp.q;
    r.page = sp.page;
    r.per_page = sp.per_page;
    return r;
  }
  const auto lease = pool->acquire([&] {
    try {
      auto db = std::make_unique<Xapian::Database>();
      for (const Impl::Usable& x : chosen)
        db->add_database(Xapian::Database(m_units[x.unit].release->search_db.string()));
      return db;
    } catch (const Xapian::Error& e) {
      throw SearchUnavailable("search index unavailable: " + e.get_msg());
    }
  });
  Corpus corpus;
  corpus.db = &**lease;
  for (const SearchUnit& u : m_units) corpus.units.push_back(&u);
  std::size_t first = 0;
  for (const Impl::Usable& x : chosen) {
    corpus.shards.push_back({x.table.get(), first, x.parts, static_cast<int>(x.unit)});
    first += x.parts;
  }
  corpus.sub_databases = std::max<std::size_t>(1, first);
  return search_corpus(corpus, sp);
}

}  // namespace gongkai::server
