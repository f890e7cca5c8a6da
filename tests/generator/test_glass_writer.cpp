// The direct glass writer against Xapian's own: the same documents written both ways must read
// back the same through the Xapian API (every term, posting, wdf, document length, value,
// statistic and search result), and Xapian's checker must find no error in the B-tree.
#include <catch2/catch.hpp>

#include <xapian.h>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "glass_writer.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/text.hpp"
#include "indexer.hpp"
#include "search_service.hpp"
#include "support.hpp"

using gongkai::test::TempDir;
namespace glass = gongkai::gen::glass;

// Xapian's exceptions are not std::exceptions: say what they are.
CATCH_TRANSLATE_EXCEPTION(const Xapian::Error& e) { return e.get_description(); }

namespace {

namespace sch = gongkai::search;

// The value slots compared: every slot the build writes (search_schema.hpp) is below this.
constexpr Xapian::valueno k_slots =
    1 +
    std::max({sch::k_slot_published, sch::k_slot_section, sch::k_slot_department,
              sch::k_slot_category, sch::k_slot_year, sch::k_slot_validity, sch::k_slot_title_key,
              sch::k_slot_exact_keys, sch::k_slot_local, sch::k_slot_display, sch::k_slot_text});
static_assert(k_slots == 11, "a new value slot: give the documents below a value in it");

struct Doc {
  std::vector<std::pair<std::string, std::uint32_t>> terms;    // may repeat a term
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;  // (two BMP code points, wdf)
  std::vector<std::pair<unsigned, std::string>> values;
};

std::string utf8(std::uint32_t c) {
  std::string s;
  gongkai::append_utf8(s, static_cast<char32_t>(c));
  return s;
}

// Xapian's checker (xapian-check, of xapian-tools) on a database: its exit status and report.
// Run as a program: Database::check() in libxapian 1.4.22 deletes one of its objects with the
// wrong size, which AddressSanitizer (the sanitizer build of the tests) stops on.
std::pair<int, std::string> xapian_check(const std::filesystem::path& db) {
  std::string out;
  FILE* p = ::popen(("xapian-check '" + db.string() + "' 2>&1").c_str(), "r");
  if (!p) return {-1, "cannot run xapian-check"};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Everything the Xapian API says about a database, as text (a difference shows where).
std::string describe(const std::string& path) {
  Xapian::Database db(path);
  std::ostringstream out;
  out << "docs " << db.get_doccount() << " last " << db.get_lastdocid() << " length "
      << db.get_total_length() << " bounds " << db.get_doclength_lower_bound() << ".."
      << db.get_doclength_upper_bound() << "\n";
  for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    out << "T " << *t << " tf " << t.get_termfreq() << " cf " << db.get_collection_freq(*t)
        << " wdf<= " << db.get_wdf_upper_bound(*t) << ":";
    for (auto p = db.postlist_begin(*t); p != db.postlist_end(*t); ++p)
      out << " " << *p << "/" << p.get_wdf() << "/" << p.get_doclength();
    out << "\n";
  }
  for (Xapian::valueno slot = 0; slot < k_slots; ++slot) {
    out << "V" << slot << " freq " << db.get_value_freq(slot) << " "
        << db.get_value_lower_bound(slot).size() << ":" << db.get_value_lower_bound(slot) << " "
        << db.get_value_upper_bound(slot) << ":";
    for (auto v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v)
      out << " " << v.get_docid() << "=" << (*v).size() << ":" << std::hash<std::string>{}(*v);
    out << "\n";
  }
  for (auto d = db.postlist_begin(""); d != db.postlist_end(""); ++d) {
    const Xapian::Document doc = db.get_document(*d);
    out << "D " << *d << " len " << db.get_doclength(*d) << " v3 " << doc.get_value(3).size();
    for (Xapian::valueno slot = 0; slot < k_slots; ++slot)
      out << " v" << slot << "=" << doc.get_value(slot).size() << ":"
          << std::hash<std::string>{}(doc.get_value(slot));
    out << " data " << doc.get_data().size() << "\n";
  }
  for (auto k = db.metadata_keys_begin(); k != db.metadata_keys_end(); ++k)
    out << "M " << *k << "=" << db.get_metadata(*k) << "\n";
  return out.str();
}

std::string search(const std::string& path, const std::vector<std::string>& terms) {
  Xapian::Database db(path);
  Xapian::Enquire enquire(db);
  enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end()));
  std::ostringstream out;
  const Xapian::MSet m = enquire.get_mset(0, 50);
  out << m.get_matches_estimated() << ":";
  for (auto it = m.begin(); it != m.end(); ++it) out << " " << *it << "@" << it.get_weight();
  return out.str();
}

void write_both(const std::vector<Doc>& docs, const std::vector<Xapian::docid>& ids,
                const std::string& ours, const std::string& xapians) {
  glass::PartWriter part(ours);
  part.set_metadata("gongkai.analyzer", "test-1");
  part.set_metadata("empty", "");
  Xapian::WritableDatabase db(
      xapians, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS | Xapian::DB_NO_SYNC);
  db.set_metadata("gongkai.analyzer", "test-1");
  for (std::size_t i = 0; i < docs.size(); ++i) {
    Xapian::Document doc;
    part.begin_document(ids[i]);
    std::vector<std::uint32_t> keys, wdfs;
    for (const auto& [key, wdf] : docs[i].pairs) {
      if (i % 2) part.add_pair(key, wdf);  // one at a time, or a document's at once
      keys.push_back(key);
      wdfs.push_back(wdf);
      doc.add_term(utf8(key >> 16) + utf8(key & 0xffff), wdf);
    }
    if (i % 2 == 0) part.add_pairs(keys.data(), wdfs.data(), keys.size());
    for (const auto& [term, wdf] : docs[i].terms) {
      part.add_term(term, wdf);
      doc.add_term(term, wdf);
    }
    for (const auto& [slot, value] : docs[i].values) {
      part.add_value(slot, value);
      doc.add_value(slot, value);
    }
    part.end_document();
    db.replace_document(ids[i], doc);
  }
  db.commit();
  db.close();
  part.write();
}

}  // namespace

TEST_CASE("glass writer: a database Xapian reads exactly as the one it writes itself") {
  TempDir dir;
  std::mt19937 rng(20261127);
  auto pick = [&](std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
  };
  std::vector<Doc> docs;
  std::vector<Xapian::docid> ids;
  Xapian::docid id = 7;  // ids need not start at 1 nor be consecutive (a part of several)
  for (int i = 0; i < 1500; ++i) {
    Doc d;
    // Pair terms: common ones (long posting lists, several chunks), rare ones, and some also
    // added as strings (one posting list, wdf added up).
    for (int k = 0; k < 40; ++k)
      d.pairs.emplace_back((0x4e00u + pick(30)) << 16 | (0x4e00u + pick(400)), 1 + pick(3));
    d.pairs.emplace_back((0x4e00u + pick(3)) << 16 | 0x4e01u, 2);
    d.terms.emplace_back(utf8(0x4e00 + pick(3)) + utf8(0x4e01), 1);
    d.terms.emplace_back("ab", 1);  // two ASCII characters: a pair too
    // Words, prefixed boolean terms (wdf 0), a term with a zero byte, a long term.
    d.terms.emplace_back("word" + std::to_string(pick(50)), 1 + pick(5));
    d.terms.emplace_back("Q/item/" + std::to_string(i), 0);
    d.terms.emplace_back("XS" + std::string(i % 2 ? "notices" : "disclosure"), 0);
    d.terms.emplace_back(std::string("z\0z", 3) + std::to_string(i % 7), 1);
    if (i % 100 == 0) d.terms.emplace_back(std::string(240, 'L') + std::to_string(i / 100), 1);
    if (i % 500 == 0)
      d.terms.emplace_back(utf8(0x10000 + pick(10)) + utf8(0x4e00), 1);  // beyond the BMP: a string
    // Values: sortable-looking, short, absent, empty (no value), long (split into components),
    // very long ones make the B-tree three levels deep.
    d.values.emplace_back(0, Xapian::sortable_serialise(1.6e9 + i * 86400.0));
    if (i % 3) d.values.emplace_back(1, i % 2 ? "甲" : "乙丙");
    d.values.emplace_back(2, i % 4 ? "" : "党政办");  // mostly empty
    d.values.emplace_back(
        3, std::string(i % 10 == 0 ? 9000 : 1200 + pick(3000), static_cast<char>('a' + i % 26)));
    if (i == 1499) d.values.emplace_back(5, "only one");
    // The build's other slots (search_schema.hpp), as the indexer fills them: year, title key,
    // exact keys, the local flag (some documents only), display JSON, snippet text.
    d.values.emplace_back(sch::k_slot_year, std::to_string(2016 + i % 8));
    d.values.emplace_back(sch::k_slot_title_key, "邦均镇第" + std::to_string(i) + "号公开事项");
    d.values.emplace_back(sch::k_slot_exact_keys,
                          "津蓟邦政2021" + std::to_string(i % 40) + "号\x1f" + std::to_string(i));
    if (i % 7 == 0) d.values.emplace_back(sch::k_slot_local, "1");
    d.values.emplace_back(sch::k_slot_display, "{\"url\":\"/disclosure/" + std::to_string(i) +
                                                   "/\",\"title\":\"事项\"}");
    d.values.emplace_back(sch::k_slot_text,
                          std::string(200 + pick(600), static_cast<char>('A' + i % 26)));
    docs.push_back(std::move(d));
    ids.push_back(id);
    id += 1 + (i % 5 == 0);
  }
  const std::string ours = (dir / "ours").string(), xapians = (dir / "xapians").string();
  write_both(docs, ids, ours, xapians);

  const auto [status, report] = xapian_check(ours);
  INFO(report);
  CHECK(status == 0);
  CHECK(report.find("No errors found") != std::string::npos);
  const std::string a = describe(ours), b = describe(xapians);
  CHECK(a.size() > 100000);
  if (a != b) {  // the first difference, not two large texts
    std::size_t at = 0;
    while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
    const std::size_t from = a.rfind('\n', at) == std::string::npos ? 0 : a.rfind('\n', at) + 1;
    FAIL_CHECK("ours:    " << a.substr(from, 300) << "\nxapian's: " << b.substr(from, 300));
  }
  {  // every slot the build writes is compared above, and holds values here
    Xapian::Database written(ours);
    for (Xapian::valueno slot = 0; slot < k_slots; ++slot) {
      INFO("slot " << slot);
      CHECK(written.get_value_freq(slot) > 0);
    }
  }
  for (const auto& q : std::vector<std::vector<std::string>>{
           {utf8(0x4e00) + utf8(0x4e01)}, {"word3", "ab"}, {"XSnotices", "word7"}})
    CHECK(search(ours, q) == search(xapians, q));
  // The B-tree has two levels of branch blocks: the version file, after its magic, UUID and
  // revision, gives the postlist table's root block and its level (times 4).
  const std::string version = gongkai::test::read_text(dir / "ours/iamglass");
  std::size_t at = 33;
  auto varint = [&] {
    std::uint64_t v = 0;
    for (int shift = 0; at < version.size(); shift += 7) {
      const auto c = static_cast<unsigned char>(version[at++]);
      v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
      if (c < 0x80) break;
    }
    return v;
  };
  varint();  // root block
  CHECK(varint() >> 2 == 2);
  Xapian::Database db(ours);
  CHECK(db.get_doccount() == 1500);
  CHECK(db.get_metadata("gongkai.analyzer") == "test-1");
  CHECK(db.get_metadata("empty").empty());
}

TEST_CASE("glass writer: an empty database and a one-document one") {
  TempDir dir;
  {
    glass::PartWriter part(dir / "empty");
    part.set_metadata("k", "v");
    part.write();
  }
  CHECK(xapian_check(dir / "empty").first == 0);
  Xapian::Database empty((dir / "empty").string());
  CHECK(empty.get_doccount() == 0);
  CHECK(empty.get_metadata("k") == "v");
  CHECK(empty.allterms_begin() == empty.allterms_end());

  std::vector<Doc> one(1);
  one[0].terms = {{"x", 0}};  // only a boolean term: document length 0
  write_both(one, {1}, (dir / "ours").string(), (dir / "xapians").string());
  CHECK(xapian_check(dir / "ours").first == 0);
  CHECK(describe((dir / "ours").string()) == describe((dir / "xapians").string()));
}

TEST_CASE("glass writer: documents out of order and bad terms are refused") {
  TempDir dir;
  glass::PartWriter part(dir / "db");
  part.begin_document(5);
  CHECK_THROWS_AS(part.add_term("", 1), std::invalid_argument);
  CHECK_THROWS_AS(part.add_term(std::string(246, 'x'), 1), std::invalid_argument);
  CHECK_THROWS_AS(part.add_pair(0x41, 1), std::invalid_argument);  // U+0000 first
  part.end_document();
  CHECK_THROWS_AS(part.begin_document(5), std::logic_error);
  CHECK_THROWS_AS(part.begin_document(4), std::logic_error);
}

// --index-writer: the full index of a build written by Xapian's writer and by the direct one.
namespace {

// The first line where two texts differ, from both (not two large texts).
std::string first_difference(const std::string& a, const std::string& b) {
  if (a == b) return "";
  std::size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  const std::size_t from = a.rfind('\n', at) == std::string::npos ? 0 : a.rfind('\n', at) + 1;
  return "first:  " + a.substr(from, 300) + "\nsecond: " + b.substr(from, 300);
}

// Everything the Xapian API says about a release's index (search/, the stub and its parts):
// each part's document count, last id and metadata; through the stub, the statistics, every
// term with its postings (id, wdf, document length, positions), every value slot the build
// writes (frequency, bounds, stream), and each document's data, length, values and term list
// (with wdf and positions; read through the postings, as the main parts have no term list).
std::string index_view(const std::filesystem::path& search) {
  std::ostringstream out;
  const std::string stub = gongkai::test::read_text(search / "XAPIANDB");
  out << "stub " << stub;
  std::istringstream lines(stub);
  for (std::string kind, name; lines >> kind >> name;) {
    Xapian::Database part((search / name).string());
    out << "part " << name << " docs " << part.get_doccount() << " last " << part.get_lastdocid()
        << "\n";
    for (auto k = part.metadata_keys_begin(); k != part.metadata_keys_end(); ++k)
      out << "  M " << *k << "=" << part.get_metadata(*k) << "\n";
  }
  Xapian::Database db(search.string());
  out << "docs " << db.get_doccount() << " last " << db.get_lastdocid() << " length "
      << db.get_total_length() << " bounds " << db.get_doclength_lower_bound() << ".."
      << db.get_doclength_upper_bound() << " positions " << db.has_positions() << "\n";
  std::map<Xapian::docid, std::string> terms_of;
  for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    out << "T " << *t << " tf " << t.get_termfreq() << " cf " << db.get_collection_freq(*t)
        << " wdf<= " << db.get_wdf_upper_bound(*t) << ":";
    for (auto p = db.postlist_begin(*t); p != db.postlist_end(*t); ++p) {
      std::string positions;
      for (auto q = db.positionlist_begin(*p, *t); q != db.positionlist_end(*p, *t); ++q)
        positions += "@" + std::to_string(*q);
      out << " " << *p << "/" << p.get_wdf() << "/" << p.get_doclength() << positions;
      terms_of[*p] += " " + *t + ":" + std::to_string(p.get_wdf()) + positions;
    }
    out << "\n";
  }
  for (Xapian::valueno slot = 0; slot < k_slots; ++slot) {
    out << "V" << slot << " freq " << db.get_value_freq(slot) << " "
        << db.get_value_lower_bound(slot) << " .. " << db.get_value_upper_bound(slot) << ":";
    for (auto v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v)
      out << " " << v.get_docid() << "=" << (*v).size() << ":" << std::hash<std::string>{}(*v);
    out << "\n";
  }
  for (auto d = db.postlist_begin(""); d != db.postlist_end(""); ++d) {
    const Xapian::Document doc = db.get_document(*d);
    // (Not values_count(): glass lists a document's slots in the term list, which they lack.)
    out << "D " << *d << " len " << db.get_doclength(*d) << " data " << doc.get_data() << "\n";
    for (Xapian::valueno slot = 0; slot < k_slots; ++slot)
      out << "  V" << slot << "=" << doc.get_value(slot) << "\n";
    out << "  terms" << terms_of[*d] << "\n";
  }
  return out.str();
}

// Ranked results through Xapian (ids and weights, to the last bit) for single terms, pairs
// (OR and AND), a phrase-like AND of a title's bigrams, filters and a sort by date; and the
// server's answers (tiers, hits, snippets, facets) for a set of visitor queries.
std::string searches_view(const std::filesystem::path& search,
                          const std::vector<std::string>& queries) {
  Xapian::Database db(search.string());
  std::vector<std::string> terms;  // every 7th term that is not a boolean one
  std::size_t n = 0;
  for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t)
    if (!(*t).empty() && !((*t)[0] == 'X' || (*t)[0] == 'Q') && n++ % 7 == 0) terms.push_back(*t);
  std::vector<Xapian::Query> asked;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    asked.emplace_back(terms[i]);
    if (i + 1 < terms.size()) {
      asked.emplace_back(Xapian::Query::OP_OR, Xapian::Query(terms[i]),
                         Xapian::Query(terms[i + 1]));
      asked.emplace_back(Xapian::Query::OP_AND, Xapian::Query(terms[i]),
                         Xapian::Query(terms[i + 1]));
      asked.emplace_back(Xapian::Query::OP_FILTER, Xapian::Query(terms[i]),
                         Xapian::Query("XSdisclosure"));
    }
  }
  std::ostringstream out;
  out.precision(17);
  for (const Xapian::Query& q : asked) {
    for (bool by_date : {false, true}) {
      Xapian::Enquire enquire(db);
      enquire.set_query(q);
      if (by_date) enquire.set_sort_by_value_then_relevance(sch::k_slot_published, true);
      const Xapian::MSet m = enquire.get_mset(0, 20);
      out << q.get_description() << (by_date ? " by date" : "") << " ~" << m.get_matches_estimated()
          << ":";
      for (auto it = m.begin(); it != m.end(); ++it) out << " " << *it << "@" << it.get_weight();
      out << "\n";
    }
  }
  gongkai::server::Release release;  // made by hand: no answer cache
  release.root = search.parent_path();
  release.id = release.root.filename().string();
  release.site = release.root / "site";
  release.search_db = search;
  for (const std::string& q : queries) {
    for (const char* sort : {"relevance", "date"}) {
      std::string error;
      const auto params = gongkai::server::parse_search_params(
          {{"q", q}, {"sort", sort}, {"per_page", "20"}}, error);
      REQUIRE(params);
      const gongkai::server::SearchResult r = gongkai::server::run_search(release, *params);
      out << "Q " << q << " " << sort << " total " << r.total << " tier " << r.tier << "\n";
      for (const auto& h : r.hits)
        out << "  " << h.url << " | " << h.title << " | " << h.snippet << "\n";
      for (const auto& [facet, counts] : r.facets)
        for (const auto& [value, count] : counts)
          out << "  F " << facet << " " << value << " " << count << "\n";
    }
  }
  return out.str();
}

// Builds `content` with the given writer into `out`; the index stage's progress line.
std::string build_with(const std::filesystem::path& content, const std::filesystem::path& out,
                       gongkai::gen::IndexWriter writer,
                       gongkai::gen::BuildResult* result = nullptr, int threads = 2) {
  std::string index_line;
  const auto r = gongkai::test::build_site(content, out, "2026-11-26T10:00:00+08:00",
                                           [&](gongkai::gen::BuildOptions& o) {
                                             o.index_writer = writer;
                                             o.threads = threads;
                                             o.progress = [&](const std::string& line) {
                                               if (line.find("index: ") != std::string::npos)
                                                 index_line = line;
                                             };
                                           });
  CHECK(r.exit_code == 0);
  if (result) *result = r;
  return index_line;
}

// Compares the two releases' indexes (both must have one).
void check_same_index(const std::filesystem::path& direct, const std::filesystem::path& xapian,
                      const std::vector<std::string>& queries) {
  using gongkai::test::read_text;
  CHECK(read_text(direct / "current/search/docs.sha256") ==
        read_text(xapian / "current/search/docs.sha256"));
  const std::string a = index_view(direct / "current/search"),
                    b = index_view(xapian / "current/search");
  CHECK(a.size() > 10000);
  const std::string index_difference = first_difference(a, b);
  CHECK(index_difference == "");
  const std::string s = searches_view(direct / "current/search", queries);
  const std::string t = searches_view(xapian / "current/search", queries);
  CHECK(s.find("@") != std::string::npos);      // Xapian's searches find something
  CHECK(s.find("\n  /") != std::string::npos);  // and so do the server's
  const std::string search_difference = first_difference(s, t);
  CHECK(search_difference == "");
}

}  // namespace

TEST_CASE("index writers: the example site's index by Xapian's writer equals the direct one's") {
  TempDir dir;
  gongkai::gen::BuildResult direct, xapian;
  const std::string direct_line = build_with(GONGKAI_EXAMPLE_CONTENT, dir / "direct",
                                             gongkai::gen::IndexWriter::direct, &direct);
  const std::string xapian_line = build_with(GONGKAI_EXAMPLE_CONTENT, dir / "xapian",
                                             gongkai::gen::IndexWriter::xapian, &xapian);
  CHECK(direct_line.find("by the direct writer") != std::string::npos);
  CHECK(xapian_line.find("by the xapian writer") != std::string::npos);
  CHECK(gongkai::test::diagnostic_lines(xapian).empty());
  CHECK(direct.release_id == xapian.release_id);  // the index writer changes no published byte
  CHECK(gongkai::test::read_text(dir / "direct/current/files.sha256") ==
        gongkai::test::read_text(dir / "xapian/current/files.sha256"));
  check_same_index(dir / "direct", dir / "xapian",
                   {"预算", "村务公开", "宅基地", "低保", "安全生产法 2021", "政府信息公开指南",
                    "行政处罚", "邦均镇", "津蓟邦政", "环境", "zz", "2022年", "规划"});
}

TEST_CASE("index writers: parts compacted from several Xapian shards equal the direct ones") {
  // 900 items on two threads: two parts of 450 documents, three shards of 150 each, committed
  // every 50; posting lists longer than a chunk; values of every kind.
  TempDir dir;
  gongkai::test::write_text(dir / "content/site.toml", gongkai::test::minimal_site_toml());
  const char* words[] = {"宅基地审批", "低保名单", "村务公开", "财政预算",
                         "安全生产",   "河道治理", "道路维修"};
  for (int i = 0; i < 900; ++i) {
    const std::string year = std::to_string(2016 + i % 8);
    std::string body = "第" + std::to_string(i) + "号事项。";
    for (int k = 0; k <= i % 5; ++k)
      body += std::string(words[(i + k) % 7]) + "的有关情况说明，编号" + std::to_string(i * 7 + k) +
              "。";
    if (i % 9 == 0) body += std::string(3000, 'x') + " 长文。";
    gongkai::test::write_text(
        dir / ("content/disclosure/" + year + "/item-" + std::to_string(i) + ".md"),
        "+++\ntitle = \"" + std::string(i % 11 == 0 ? "河北省" : "邦均镇") + words[i % 7] + "第" +
            std::to_string(i) + "号\"\ndepartment = \"" + (i % 3 ? "dzb" : "zhdd") +
            "\"\ncategory = \"" + (i % 2 ? "fzzf" : "xzzf") + "\"\npublished = " + year + "-0" +
            std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10) + "\n" +
            (i % 13 == 0 ? "validity = \"失效\"\n" : "") + "+++\n" + body + "\n");
  }
  const std::string direct_line =
      build_with(dir / "content", dir / "direct", gongkai::gen::IndexWriter::direct);
  const std::string xapian_line =
      build_with(dir / "content", dir / "xapian", gongkai::gen::IndexWriter::xapian);
  CHECK(xapian_line.find("900 written afresh in 2 parts by the xapian writer") !=
        std::string::npos);
  CHECK(direct_line.find("900 written afresh in 2 parts by the direct writer") !=
        std::string::npos);
  CHECK(!std::filesystem::exists(dir / "xapian/current/search.shards"));
  for (const char* part : {"0", "1"})
    CHECK(xapian_check(dir / "xapian/current/search" / part).first == 0);
  check_same_index(
      dir / "direct", dir / "xapian",
      {"宅基地", "低保名单", "财政预算 2020", "河道", "道路维修 编号", "长文", "说明"});
}

TEST_CASE("index writers: the direct writer's format check passes with this Xapian") {
  TempDir dir;
  const auto started = std::chrono::steady_clock::now();
  CHECK(gongkai::gen::direct_writer_problem(dir / "probe") == "");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  WARN("format check: " << ms << " ms");
  CHECK_FALSE(std::filesystem::exists(dir / "probe"));  // removed again
  // The version file Xapian writes carries the magic and the format the direct writer writes.
  {
    Xapian::WritableDatabase db((dir / "db").string(),
                                Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS);
    db.commit();
  }
  std::string why;
  CHECK(glass::format_supported(dir / "db", &why));
  CHECK(why.empty());
  std::string version = gongkai::test::read_text(dir / "db/iamglass");
  version[15] = static_cast<char>(version[15] + 1);  // GLASS_FORMAT_VERSION 2016-03-14 -> -15
  gongkai::test::write_text(dir / "db/iamglass", version);
  CHECK_FALSE(glass::format_supported(dir / "db", &why));
  CHECK(why == "glass format 2016-03-15, the direct writer writes 2016-03-14");
  version[3] = 'x';  // not glass's magic
  gongkai::test::write_text(dir / "db/iamglass", version);
  CHECK_FALSE(glass::format_supported(dir / "db", &why));
  CHECK(why.find("is not a glass version file") != std::string::npos);
  CHECK_FALSE(glass::format_supported(dir / "none", &why));
  CHECK(why.find("no glass version file") != std::string::npos);
}

TEST_CASE("index writers: a failed format check stops direct, and auto falls back to xapian") {
  struct Assume {  // what the check answers in this test only
    Assume() {
      gongkai::gen::assume_direct_writer_problem(
          "glass format 2030-01-01, the direct writer writes 2016-03-14");
    }
    ~Assume() { gongkai::gen::assume_direct_writer_problem(std::nullopt); }
  } assume;
  TempDir dir;
  const auto stopped = gongkai::test::build_site(
      GONGKAI_EXAMPLE_CONTENT, dir / "direct", "2026-11-26T10:00:00+08:00",
      [](gongkai::gen::BuildOptions& o) { o.index_writer = gongkai::gen::IndexWriter::direct; });
  CHECK(stopped.exit_code == 2);
  CHECK(stopped.environment_error.find("glass format 2030-01-01") != std::string::npos);
  CHECK(stopped.environment_error.find("--index-writer=xapian") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "direct/current"));  // nothing published
  gongkai::gen::BuildResult fell_back;
  const std::string line = build_with(GONGKAI_EXAMPLE_CONTENT, dir / "auto",
                                      gongkai::gen::IndexWriter::automatic, &fell_back);
  CHECK(line.find("by the xapian writer") != std::string::npos);
  const auto warnings = gongkai::test::diagnostic_lines(fell_back);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("search: warning: the search index was written by Xapian's own writer") ==
        0);
  CHECK(warnings[0].find("glass format 2030-01-01") != std::string::npos);
  // Xapian's writer asked for: no check, no warning.
  gongkai::gen::BuildResult xapian;
  build_with(GONGKAI_EXAMPLE_CONTENT, dir / "xapian", gongkai::gen::IndexWriter::xapian, &xapian);
  CHECK(gongkai::test::diagnostic_lines(xapian).empty());
  CHECK(index_view(dir / "auto/current/search") == index_view(dir / "xapian/current/search"));
}
