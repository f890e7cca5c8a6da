// The direct glass writer against Xapian's own: the same documents written both ways must read
// back the same through the Xapian API (every term, posting, wdf, document length, value,
// statistic and search result), and Xapian's checker must find no error in the B-tree.
#include <catch2/catch.hpp>

#include <xapian.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "glass_writer.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/text.hpp"
#include "support.hpp"

using gongkai::test::TempDir;
namespace glass = gongkai::gen::glass;

namespace {

namespace sch = gongkai::search;

// The value slots compared: every slot the build writes (search_schema.hpp) is below this.
constexpr Xapian::valueno k_slots =
    1 + std::max({sch::k_slot_published, sch::k_slot_section, sch::k_slot_department,
                  sch::k_slot_category, sch::k_slot_year, sch::k_slot_validity,
                  sch::k_slot_title_key, sch::k_slot_exact_keys, sch::k_slot_local,
                  sch::k_slot_display, sch::k_slot_text});
static_assert(k_slots == 11, "a new value slot: give the documents below a value in it");

struct Doc {
  std::vector<std::pair<std::string, std::uint32_t>> terms;  // may repeat a term
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
  out << "docs " << db.get_doccount() << " last " << db.get_lastdocid() << " length " << db.get_total_length() << " bounds "
      << db.get_doclength_lower_bound() << ".." << db.get_doclength_upper_bound() << "\n";
  for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    out << "T " << *t << " tf " << t.get_termfreq() << " cf " << db.get_collection_freq(*t) << " wdf<= " << db.get_wdf_upper_bound(*t)
        << ":";
    for (auto p = db.postlist_begin(*t); p != db.postlist_end(*t); ++p) out << " " << *p << "/" << p.get_wdf() << "/" << p.get_doclength();
    out << "\n";
  }
  for (Xapian::valueno slot = 0; slot < k_slots; ++slot) {
    out << "V" << slot << " freq " << db.get_value_freq(slot) << " " << db.get_value_lower_bound(slot).size() << ":"
        << db.get_value_lower_bound(slot) << " " << db.get_value_upper_bound(slot) << ":";
    for (auto v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v) out << " " << v.get_docid() << "=" << (*v).size() << ":" << std::hash<std::string>{}(*v);
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
  for (auto k = db.metadata_keys_begin(); k != db.metadata_keys_end(); ++k) out << "M " << *k << "=" << db.get_metadata(*k) << "\n";
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

void write_both(const std::vector<Doc>& docs, const std::vector<Xapian::docid>& ids, const std::string& ours, const std::string& xapians) {
  glass::PartWriter part(ours);
  part.set_metadata("gongkai.analyzer", "test-1");
  part.set_metadata("empty", "");
  Xapian::WritableDatabase db(xapians, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS | Xapian::DB_NO_SYNC);
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
  auto pick = [&](std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); };
  std::vector<Doc> docs;
  std::vector<Xapian::docid> ids;
  Xapian::docid id = 7;  // ids need not start at 1 nor be consecutive (a part of several)
  for (int i = 0; i < 1500; ++i) {
    Doc d;
    // Pair terms: common ones (long posting lists, several chunks), rare ones, and some also
    // added as strings (one posting list, wdf added up).
    for (int k = 0; k < 40; ++k) d.pairs.emplace_back((0x4e00u + pick(30)) << 16 | (0x4e00u + pick(400)), 1 + pick(3));
    d.pairs.emplace_back((0x4e00u + pick(3)) << 16 | 0x4e01u, 2);
    d.terms.emplace_back(utf8(0x4e00 + pick(3)) + utf8(0x4e01), 1);
    d.terms.emplace_back("ab", 1);  // two ASCII characters: a pair too
    // Words, prefixed boolean terms (wdf 0), a term with a zero byte, a long term.
    d.terms.emplace_back("word" + std::to_string(pick(50)), 1 + pick(5));
    d.terms.emplace_back("Q/item/" + std::to_string(i), 0);
    d.terms.emplace_back("XS" + std::string(i % 2 ? "notices" : "disclosure"), 0);
    d.terms.emplace_back(std::string("z\0z", 3) + std::to_string(i % 7), 1);
    if (i % 100 == 0) d.terms.emplace_back(std::string(240, 'L') + std::to_string(i / 100), 1);
    if (i % 500 == 0) d.terms.emplace_back(utf8(0x10000 + pick(10)) + utf8(0x4e00), 1);  // beyond the BMP: a string
    // Values: sortable-looking, short, absent, empty (no value), long (split into components),
    // very long ones make the B-tree three levels deep.
    d.values.emplace_back(0, Xapian::sortable_serialise(1.6e9 + i * 86400.0));
    if (i % 3) d.values.emplace_back(1, i % 2 ? "甲" : "乙丙");
    d.values.emplace_back(2, i % 4 ? "" : "党政办");  // mostly empty
    d.values.emplace_back(3, std::string(i % 10 == 0 ? 9000 : 1200 + pick(3000), static_cast<char>('a' + i % 26)));
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
  for (const auto& q : std::vector<std::vector<std::string>>{{utf8(0x4e00) + utf8(0x4e01)}, {"word3", "ab"}, {"XSnotices", "word7"}})
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
