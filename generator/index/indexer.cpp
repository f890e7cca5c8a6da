#include "indexer.hpp"

#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "gongkai/analysis.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/release.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "glass_writer.hpp"
#include "gongkai/parallel.hpp"

namespace gongkai::gen {

namespace sch = gongkai::search;

namespace fs = std::filesystem;

// glass_writer.cpp writes Xapian 1.4's glass format (cmake/Dependencies.cmake states the range
// of xapian-core it was checked with). Built with another Xapian, only --index-writer=xapian
// (or auto) writes a full index.
constexpr bool k_direct_writer_built = XAPIAN_MAJOR_VERSION == 1 && XAPIAN_MINOR_VERSION == 4;

namespace {

// The direct writer's format check, run once per process (the Xapian library does not change
// while it runs), or what a test told it to assume.
std::mutex problem_mutex;
std::optional<std::string> known_problem;

std::string cached_direct_writer_problem(const fs::path& scratch) {
  std::lock_guard<std::mutex> lock(problem_mutex);
  if (!known_problem) known_problem = direct_writer_problem(scratch);
  return *known_problem;
}

// A part the direct writer wrote that Xapian does not read back as written.
struct Unreadable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double thread_cpu_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

constexpr std::size_t k_stored_text = 64 * 1024;  // body text kept for snippets
constexpr std::size_t k_docs_per_part = 12800;    // a part more per this many documents, up to 4
constexpr std::size_t k_docs_per_small_part =
    200;  // a small site: a part per this many documents or fewer
constexpr std::size_t k_xapian_shard = 200;  // Xapian's writer: documents per shard
constexpr std::size_t k_xapian_batch = 50;   // ... and per commit inside a shard

// Single characters are indexed for titles, but in bodies only where a run ends: every other
// character of a body starts a bigram, so a one-character query reaches it through the bigrams
// it starts (server). Body unigrams were a third of all postings and of the indexing time and
// changed no ranking of the quality sets (57 queries over 304 and over 2,154 laws).
// No positions: a query's overlapping bigrams all present (行政/政处/处罚) already means the
// characters occur as a run, which is what phrase matching would buy, at a fraction of the
// index size and writing time (see README "Search").
// Terms are counted first and added once each with their wdf: Xapian keeps a document's terms
// in a std::map, and one insertion per distinct term instead of per occurrence was a large part
// of the indexing profile.
//
// CJK bigrams, nine in ten of a document's terms, are counted as 64-bit keys (two code points)
// in a vector that is sorted once: no string and no hash-map node per occurrence. Sorting by
// code point is sorting by UTF-8 bytes, so Xapian receives them in its own order (a std::map
// filled in order is quicker to fill and to walk: adding them unsorted, from a hash table, took
// more CPU than the sort saved). The other
// terms (single characters, words, numerals, title terms) are few and go through a small map.
// Xapian adds up the wdf of a term added twice, so the two never need merging.
struct TermCounts {
  std::vector<std::uint64_t> bigrams;  // one entry per occurrence
  std::unordered_map<std::string, Xapian::termcount> other;
  void bigram(char32_t a, char32_t b, int times = 1) {
    for (int i = 0; i < times; ++i)
      bigrams.push_back((static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint64_t>(b));
  }
};

void count_text(TermCounts& terms, std::string_view text, bool title) {
  for (const auto& c : sch::chunks(text)) {
    if (c.cjk && c.text.size() > 1) {
      for (std::size_t i = 0; i + 1 < c.text.size(); ++i) {
        if (title)
          terms.other[std::string(sch::k_prefix_title) +
                      to_utf8(std::u32string_view(c.text).substr(i, 2))] += 1;
        terms.bigram(c.text[i], c.text[i + 1], title ? 3 : 1);
      }
    } else {
      for (std::string& t : sch::chunk_terms(c)) {
        if (title) terms.other[std::string(sch::k_prefix_title) + t] += 1;
        terms.other[std::move(t)] += title ? 3 : 1;
      }
    }
    for (std::string& n : sch::numeral_terms(c)) terms.other[std::move(n)] += 1;
    if (c.cjk && c.text.size() > 1) {
      if (title) {
        // Single characters of a title are indexed, plain and as title terms.
        for (std::string& u : sch::chunk_unigrams(c)) {
          terms.other[std::string(sch::k_prefix_title) + u] += 1;
          terms.other[std::move(u)] += 1;
        }
      } else {
        // In a body, only where a run ends: every other character starts a bigram.
        terms.other[to_utf8(std::u32string_view(c.text).substr(c.text.size() - 1))] += 1;
      }
    }
  }
}

// Sorts 32-bit keys: four counting passes of a byte each (LSD radix sort), several times
// quicker than std::sort on a document's ~1,500 bigrams (sorting was 5 % of a full build).
void radix_sort(std::vector<std::uint32_t>& keys, std::vector<std::uint32_t>& scratch) {
  scratch.resize(keys.size());
  for (int shift = 0; shift < 32; shift += 8) {
    std::size_t count[257] = {};
    for (std::uint32_t k : keys) ++count[((k >> shift) & 0xffu) + 1];
    if (count[((keys.empty() ? 0 : keys[0]) >> shift & 0xffu) + 1] == keys.size())
      continue;  // one value: in order
    for (std::size_t i = 1; i < 257; ++i) count[i] += count[i - 1];
    for (std::uint32_t k : keys) scratch[count[(k >> shift) & 0xffu]++] = k;
    keys.swap(scratch);
  }
}

// Calls f(key, count) once per run of equal keys of a sorted vector.
template <typename Key, typename F>
void for_each_run(const std::vector<Key>& sorted, F&& f) {
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    f(sorted[i], j - i);
    i = j;
  }
}

// A document's terms and values go to a sink: a Xapian::Document (the delta part, written by
// Xapian) or a glass::PartWriter (the main parts, written directly). Both receive the same.
struct DocumentSink {
  Xapian::Document& doc;
  std::string t;
  void pair(char32_t a, char32_t b, std::size_t wdf) {
    t.clear();
    append_utf8(t, a);
    append_utf8(t, b);
    doc.add_term(t, static_cast<Xapian::termcount>(wdf));
  }
  void pairs(const std::vector<std::uint32_t>& keys, const std::vector<std::uint32_t>& wdfs) {
    for (std::size_t i = 0; i < keys.size(); ++i)
      pair(static_cast<char32_t>(keys[i] >> 16), static_cast<char32_t>(keys[i] & 0xffffu), wdfs[i]);
  }
  void term(const std::string& term, Xapian::termcount wdf) { doc.add_term(term, wdf); }
  void value(Xapian::valueno slot, const std::string& v) { doc.add_value(slot, v); }
};

struct PartSink {
  glass::PartWriter& part;
  std::string t;
  void pair(char32_t a, char32_t b, std::size_t wdf) {
    if (a < 0x10000 && b < 0x10000) {
      part.add_pair(static_cast<std::uint32_t>(a) << 16 | static_cast<std::uint32_t>(b),
                    static_cast<std::uint32_t>(wdf));
      return;
    }
    t.clear();
    append_utf8(t, a);
    append_utf8(t, b);
    part.add_term(t, static_cast<std::uint32_t>(wdf));
  }
  void pairs(const std::vector<std::uint32_t>& keys, const std::vector<std::uint32_t>& wdfs) {
    part.add_pairs(keys.data(), wdfs.data(), keys.size());
  }
  void term(const std::string& term, Xapian::termcount wdf) { part.add_term(term, wdf); }
  void value(Xapian::valueno slot, const std::string& v) { part.add_value(slot, v); }
};

template <typename Sink>
void add_counted(Sink& sink, TermCounts& terms) {
  const bool bmp = std::all_of(terms.bigrams.begin(), terms.bigrams.end(), [](std::uint64_t k) {
    return (k >> 32) < 0x10000u && (k & 0xffffffffu) < 0x10000u;
  });
  if (bmp) {  // nearly always: two code points of the Basic Multilingual Plane in 32 bits
    thread_local std::vector<std::uint32_t> keys, scratch;
    keys.clear();
    for (std::uint64_t k : terms.bigrams)
      keys.push_back(static_cast<std::uint32_t>(((k >> 32) << 16) | (k & 0xffffu)));
    radix_sort(keys, scratch);
    thread_local std::vector<std::uint32_t> runs, counts;  // each pair once, with its count
    runs.clear();
    counts.clear();
    for_each_run(keys, [&](std::uint32_t k, std::size_t n) {
      runs.push_back(k);
      counts.push_back(static_cast<std::uint32_t>(n));
    });
    sink.pairs(runs, counts);
  } else {
    std::sort(terms.bigrams.begin(), terms.bigrams.end());
    for_each_run(terms.bigrams, [&](std::uint64_t k, std::size_t n) {
      sink.pair(static_cast<char32_t>(k >> 32), static_cast<char32_t>(k & 0xffffffffu), n);
    });
  }
  for (const auto& [term, wdf] : terms.other) sink.term(term, wdf);
}

struct DocFields {
  std::string id, url, title, section, department_id, department, category_id, category,
      validity = "有效", index_no, doc_no;
  DateTime published;
  // The body text: the item's own (no copy) or, with laws appended, one of its own.
  const std::string* text_ref = nullptr;
  std::string text_own;
  const std::string& text() const { return text_ref ? *text_ref : text_own; }
};

template <typename Sink>
void emit_document(const DocFields& f, const std::string& locality, Sink& sink) {
  TermCounts terms;
  terms.bigrams.reserve(4096);
  terms.other.reserve(256);
  count_text(terms, f.title, true);
  count_text(terms, f.text(), false);
  add_counted(sink, terms);
  sink.term(std::string(sch::k_prefix_id) + f.id, 0);
  sink.term(std::string(sch::k_prefix_section) + f.section, 0);
  if (!f.department_id.empty())
    sink.term(std::string(sch::k_prefix_department) + f.department_id, 0);
  if (!f.department.empty()) sink.term(std::string(sch::k_prefix_department) + f.department, 0);
  if (!f.category_id.empty()) sink.term(std::string(sch::k_prefix_category) + f.category_id, 0);
  if (!f.category.empty()) sink.term(std::string(sch::k_prefix_category) + f.category, 0);
  const std::string year = std::to_string(f.published.year());
  sink.term(std::string(sch::k_prefix_year) + year, 0);
  sink.term(year, 1);  // "安全生产法 2021" means the 2021 version
  sink.term(std::string(sch::k_prefix_validity) + f.validity, 0);
  if (!f.doc_no.empty())
    sink.term(
        truncate_utf8_bytes(std::string(sch::k_prefix_doc_no) + sch::title_key(f.doc_no), 240), 0);
  if (!f.index_no.empty())
    sink.term(
        truncate_utf8_bytes(std::string(sch::k_prefix_index_no) + sch::title_key(f.index_no), 240),
        0);
  const std::string key = sch::title_key(f.title);
  sink.term(truncate_utf8_bytes(std::string(sch::k_prefix_exact_title) + key, 240), 0);
  sink.value(sch::k_slot_published,
             Xapian::sortable_serialise(static_cast<double>(f.published.epoch)));
  sink.value(sch::k_slot_section, f.section);
  sink.value(sch::k_slot_department, f.department);
  sink.value(sch::k_slot_category, f.category);
  sink.value(sch::k_slot_year, year);
  sink.value(sch::k_slot_validity, f.validity);
  sink.value(sch::k_slot_title_key, key);
  nlohmann::json data = {{"url", f.url},           {"title", f.title},
                         {"section", f.section},   {"department", f.department},
                         {"category", f.category}, {"published", f.published.date()},
                         {"index_no", f.index_no}, {"doc_no", f.doc_no},
                         {"validity", f.validity}};
  sink.value(sch::k_slot_display, data.dump());
  sink.value(sch::k_slot_text, truncate_utf8_bytes(f.text(), k_stored_text));
  if (sch::is_local_title(f.title, locality)) sink.value(sch::k_slot_local, "1");
  sink.value(sch::k_slot_exact_keys,
             sch::title_key(f.doc_no) + "\x1f" + sch::title_key(f.index_no));
}

Xapian::Document make_document(const DocFields& f, const std::string& locality) {
  Xapian::Document doc;
  DocumentSink sink{doc, {}};
  emit_document(f, locality, sink);
  return doc;
}

// The value slots a document may have: every slot search_schema.hpp names is below this.
constexpr Xapian::valueno k_value_slots =
    1 +
    std::max({sch::k_slot_published, sch::k_slot_section, sch::k_slot_department,
              sch::k_slot_category, sch::k_slot_year, sch::k_slot_validity, sch::k_slot_title_key,
              sch::k_slot_exact_keys, sch::k_slot_local, sch::k_slot_display, sch::k_slot_text});

// Documents for the format check: made of the same parts as the site's (emit_document), with
// every value slot, long and short posting lists, a value long enough to be split, a term
// beyond the Basic Multilingual Plane, an empty department and category.
std::vector<DocFields> probe_documents() {
  std::vector<DocFields> docs;
  for (int i = 0; i < 24; ++i) {
    DocFields f;
    f.url = "/disclosure/2021/probe-" + std::to_string(i) + "/";
    f.id = f.url;
    f.title = i % 3 == 0 ? "河南省实施《中华人民共和国土地管理法》办法"
                         : "邦均镇第" + std::to_string(i) + "号公开事项";
    f.section = i % 2 ? "disclosure" : "responsibilities";
    if (i % 4) {
      f.department_id = "dzb";
      f.department = "党政办";
      f.category_id = "zcwj";
      f.category = "政策文件";
    }
    f.validity = i % 5 ? "有效" : "失效";
    f.doc_no = i % 2 ? "津蓟邦政〔2021〕" + std::to_string(i) + "号" : "";
    f.index_no = "11120225-2021-" + std::to_string(1000 + i);
    f.published = DateTime::from_epoch(1600000000 + 86400LL * i);
    f.text_own = "第" + std::to_string(i) + "条 本镇预算公开，ABC 123，一百二十万元。𠀀𠀁\n";
    for (int k = 0; k < (i % 6 == 0 ? 120 : 3); ++k)
      f.text_own += "村务公开目录第" + std::to_string(k) + "项；";
    docs.push_back(std::move(f));
  }
  return docs;
}

// Everything the Xapian API says about a database, as lines of text.
std::string api_view(const Xapian::Database& db) {
  std::string out = "docs " + std::to_string(db.get_doccount()) + " last " +
                    std::to_string(db.get_lastdocid()) + " length " +
                    std::to_string(db.get_total_length()) + "\n";
  for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    out += "T " + *t + " " + std::to_string(t.get_termfreq()) + " " +
           std::to_string(db.get_collection_freq(*t)) + ":";
    for (auto p = db.postlist_begin(*t); p != db.postlist_end(*t); ++p) {
      out += " " + std::to_string(*p) + "/" + std::to_string(p.get_wdf()) + "/" +
             std::to_string(p.get_doclength());
      for (auto q = db.positionlist_begin(*p, *t); q != db.positionlist_end(*p, *t); ++q)
        out += "@" + std::to_string(*q);
    }
    out += "\n";
  }
  for (Xapian::valueno slot = 0; slot < k_value_slots; ++slot) {
    out += "V" + std::to_string(slot) + " " + std::to_string(db.get_value_freq(slot)) + " " +
           db.get_value_lower_bound(slot) + " " + db.get_value_upper_bound(slot) + ":";
    for (auto v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v)
      out += " " + std::to_string(v.get_docid()) + "=" + *v;
    out += "\n";
  }
  for (auto d = db.postlist_begin(""); d != db.postlist_end(""); ++d) {
    const Xapian::Document doc = db.get_document(*d);
    out += "D " + std::to_string(*d) + " " + std::to_string(db.get_doclength(*d)) + " " +
           doc.get_data() + "\n";
  }
  for (auto k = db.metadata_keys_begin(); k != db.metadata_keys_end(); ++k)
    out += "M " + *k + "=" + db.get_metadata(*k) + "\n";
  return out;
}

}  // namespace

std::optional<IndexWriter> parse_index_writer(std::string_view name) {
  if (name == "direct") return IndexWriter::direct;
  if (name == "xapian") return IndexWriter::xapian;
  if (name == "auto") return IndexWriter::automatic;
  return std::nullopt;
}

const char* index_writer_name(IndexWriter writer) {
  switch (writer) {
    case IndexWriter::direct: return "direct";
    case IndexWriter::xapian: return "xapian";
    case IndexWriter::automatic: return "auto";
  }
  return "?";
}

void assume_direct_writer_problem(std::optional<std::string> problem) {
  std::lock_guard<std::mutex> lock(problem_mutex);
  known_problem = std::move(problem);
}

std::string direct_writer_problem(const fs::path& scratch) {
  if (!k_direct_writer_built || Xapian::major_version() != 1 || Xapian::minor_version() != 4)
    return std::string("Xapian ") + Xapian::version_string() + " (built with " + XAPIAN_VERSION +
           "), but the direct writer writes Xapian 1.4's glass format";
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  struct Cleanup {
    const fs::path& dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{scratch};
  const std::string locality = "天津";
  const std::vector<DocFields> docs = probe_documents();
  const fs::path theirs = scratch / "xapian", ours = scratch / "direct";
  std::string why;
  try {
    {
      // As the shards of Xapian's writer: glass, no term list.
      Xapian::WritableDatabase db(theirs.string(), Xapian::DB_CREATE_OR_OVERWRITE |
                                                       Xapian::DB_BACKEND_GLASS |
                                                       Xapian::DB_NO_SYNC | Xapian::DB_NO_TERMLIST);
      db.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
      for (std::size_t i = 0; i < docs.size(); ++i)
        db.replace_document(static_cast<Xapian::docid>(i + 1), make_document(docs[i], locality));
      db.commit();
    }
    // The format Xapian writes, hence the one it reads: glass's magic and GLASS_FORMAT_VERSION.
    if (!glass::format_supported(theirs, &why)) return why;
    glass::PartWriter part(ours);
    part.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
    PartSink sink{part, {}};
    for (std::size_t i = 0; i < docs.size(); ++i) {
      part.begin_document(static_cast<std::uint32_t>(i + 1));
      emit_document(docs[i], locality, sink);
      part.end_document();
    }
    part.write();
    // What the direct writer wrote, read by this Xapian, must be what Xapian wrote itself.
    const std::string want = api_view(Xapian::Database(theirs.string()));
    const std::string got = api_view(Xapian::Database(ours.string()));
    if (got != want) {
      std::size_t at = 0;
      while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
      const std::size_t line =
          want.rfind('\n', at) == std::string::npos ? 0 : want.rfind('\n', at) + 1;
      why = "Xapian " + std::string(Xapian::version_string()) +
            " reads a test database of the direct writer differently from its own, from \"" +
            want.substr(line, std::min<std::size_t>(80, want.find('\n', line) - line)) + "\"";
    }
  } catch (const Xapian::DatabaseCreateError& e) {  // the folder, not the format: no answer
    throw std::runtime_error("search index format check: " + e.get_description());
  } catch (const Xapian::DatabaseLockError& e) {
    throw std::runtime_error("search index format check: " + e.get_description());
  } catch (const Xapian::Error& e) {
    why = "Xapian " + std::string(Xapian::version_string()) +
          " fails on a test database: " + e.get_description();
  }
  return why;
}

IndexStats write_search_index(const Content& c, const std::filesystem::path& dir, int threads,
                              const std::filesystem::path& previous, IndexWriter writer) {
  auto dept_name = [&](const std::string& id) {
    const Department* d = c.site.department(id);
    return d ? d->name : id;
  };
  const std::string locality = sch::locality_of(c.site.organization.name);
  std::vector<DocFields> docs;
  for (const Item& it : c.items) {
    if (!it.is_public()) continue;
    DocFields f;
    f.id = it.url;
    f.url = it.url;
    f.title = it.title;
    f.section = section_name(it.section);
    f.department_id = it.department;
    f.department = it.department.empty() ? "" : dept_name(it.department);
    f.category_id = it.category;
    if (const Category* cat = c.site.category(it.category)) f.category = cat->name;
    f.validity = it.validity;
    f.index_no = it.index_no;
    f.doc_no = it.doc_no;
    f.published = it.published;
    if (it.laws.empty()) {
      f.text_ref = &it.text;
    } else {
      f.text_own = it.text;
      for (const auto& l : it.laws) f.text_own += "\n" + l;
    }
    docs.push_back(std::move(f));
  }
  for (const auto& l : c.lists) {
    int i = 0;
    for (const auto& r : l.items) {
      ++i;
      DocFields f;
      f.url = urls::responsibility_item(l.department, i);
      f.id = f.url;
      f.title = r.name;
      f.section = k_responsibilities_name;
      f.department_id = l.department;
      f.department = dept_name(l.department);
      f.published = l.updated;
      f.index_no = r.code;
      f.text_own = r.type + "\n" + r.basis + "\n" + r.subject + "\n" + r.office + "\n" + r.duties +
                   "\n" + r.accountability + "\n" + r.supervision;
      docs.push_back(std::move(f));
    }
  }

  IndexStats stats;
  stats.documents = docs.size();
  const auto started = std::chrono::steady_clock::now();
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  namespace fs = std::filesystem;

  // A document's digest covers everything it is made from; docs.sha256 beside the database
  // lists them, so that the next build knows which documents of this database to change.
  std::vector<std::string> digests(docs.size());
  parallel_for(docs.size(), threads, [&](std::size_t i, std::size_t) {
    const DocFields& f = docs[i];
    Sha256 h;
    for (const std::string* v :
         {&f.id, &f.url, &f.title, &f.section, &f.department_id, &f.department, &f.category_id,
          &f.category, &f.validity, &f.index_no, &f.doc_no, &f.text()}) {
      h.update(std::to_string(v->size()));
      h.update(std::string_view(":", 1));
      h.update(*v);
    }
    h.update(std::to_string(f.published.epoch) + "/" + std::to_string(f.published.offset_minutes));
    digests[i] = h.hex();
  });
  const std::string header = std::string("gongkai-docs 1 ") + sch::k_analyzer + " " + locality;

  // The index is a stub folder (search/XAPIANDB) naming its parts, which Xapian searches as one
  // database: the main parts search/0, search/1, ..., written afresh by a full build (a part
  // per core, at the same time, see below) and never changed after, and, once a rebuild has
  // changed anything, search/delta.
  // The main parts have no term list: Xapian needs a document's term list only to replace or
  // delete it, and it would be a third of the index's bytes. A rebuild therefore writes each
  // added or changed document into the delta part (which has its term list, so it is itself
  // updated in place) and hides the main parts' copy of each changed or deleted document:
  // hidden.docids lists their ids, and the server's matcher skips them (search_service.cpp).
  // Document ids: each document has one id of its own across all parts (a full write numbers
  // them 1, 2, ... through the parts; the delta part continues after the largest).
  // Xapian 1.4 hands match deciders and spies the id inside the part, not the one numbered
  // through the stub (part p of n: (id - 1) * n + p + 1), so only ids unique across the parts
  // say which document a decider or spy is looking at.
  struct Layout {
    std::vector<fs::path> mains;
    fs::path delta;  // empty: none
  };
  auto layout_of = [](const fs::path& root) -> std::optional<Layout> {
    std::string stub;
    try {
      stub = read_file(root / contract::k_search_stub);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    Layout l;
    for (std::size_t pos = 0; pos < stub.size();) {
      std::size_t nl = stub.find('\n', pos);
      if (nl == std::string::npos) nl = stub.size();
      const std::string line = stub.substr(pos, nl - pos);
      pos = nl + 1;
      if (!starts_with(line, "glass ") || line.find('/') != std::string::npos || !l.delta.empty())
        return std::nullopt;
      const std::string name = line.substr(6);
      if (!fs::exists(root / name / "iamglass")) return std::nullopt;
      if (name == sch::k_delta_part) {
        if (!fs::exists(root / name / "termlist.glass")) return std::nullopt;
        l.delta = root / name;
      } else if (name == std::to_string(l.mains.size())) {
        l.mains.push_back(root / name);
      } else {
        return std::nullopt;
      }
    }
    if (l.mains.empty()) return std::nullopt;
    return l;
  };

  // In place: the index of an earlier build (the recycled release's own, or a copy of the
  // current release's) is brought up to date through the delta part and the hidden list.
  auto in_place = [&]() -> bool {
    // The index to start from: the recycled release's own, else the current release's.
    std::optional<Layout> layout = layout_of(dir);
    const bool own = layout.has_value();
    const fs::path from = own ? dir : previous;
    if (!own && (previous.empty() || !(layout = layout_of(previous)))) return false;
    const Layout old = *layout;
    std::string listed;
    try {
      listed = read_file(from / "docs.sha256");
    } catch (const std::exception&) {
      return false;
    }
    std::unordered_map<std::string, std::string> before;  // id -> digest
    std::size_t pos = listed.find('\n');
    if (pos == std::string::npos || listed.substr(0, pos) != header) return false;
    for (++pos; pos < listed.size();) {
      std::size_t nl = listed.find('\n', pos);
      if (nl == std::string::npos) nl = listed.size();
      if (nl - pos > 66)
        before.emplace(listed.substr(pos + 66, nl - pos - 66), listed.substr(pos, 64));
      pos = nl + 1;
    }
    std::vector<std::size_t> changed;
    std::unordered_set<std::string> present;
    for (std::size_t i = 0; i < docs.size(); ++i) {
      present.insert(docs[i].id);
      auto it = before.find(docs[i].id);
      if (it == before.end() || it->second != digests[i]) changed.push_back(i);
    }
    std::vector<std::string> removed;
    for (const auto& [id, digest] : before)
      if (!present.count(id)) removed.push_back(id);
    std::set<Xapian::docid> hidden;
    if (fs::exists(from / sch::k_hidden_file)) {
      const auto ids = sch::parse_hidden_ids(read_file(from / sch::k_hidden_file));
      if (!ids) return false;  // not ours: written afresh
      hidden.insert(ids->begin(), ids->end());
    }
    const Xapian::doccount delta_docs =
        old.delta.empty() ? 0 : Xapian::Database(old.delta.string()).get_doccount();
    // Changing a document costs several times writing it afresh, and hidden copies still count
    // in the search statistics: past an eighth of the site (site.toml renamed a department, say,
    // or many edits since the last full write) a full write is quicker and exact again.
    if ((changed.size() + removed.size() + hidden.size() + delta_docs) * 8 > docs.size() + 64)
      return false;
    if (!own) {  // copied only now that it is known to be worth it
      fs::remove_all(dir);
      fs::create_directories(dir);
      for (const auto& e : fs::recursive_directory_iterator(previous)) {
        const fs::path to = dir / e.path().lexically_relative(previous);
        if (e.is_directory())
          fs::create_directories(to);
        else if (e.is_regular_file() && e.path().filename() != "flintlock")
          fs::copy_file(e.path(), to);
      }
      stats.copied = true;
    }
    std::sort(removed.begin(), removed.end());
    std::vector<Xapian::Database> mains;
    Xapian::doccount total = 0;
    for (std::size_t p = 0; p < old.mains.size(); ++p) {
      mains.emplace_back((dir / std::to_string(p)).string());
      if (mains.back().get_metadata(sch::k_analyzer_key) != sch::k_analyzer) return false;
      total += mains.back().get_doccount();
    }
    Xapian::WritableDatabase delta(
        (dir / sch::k_delta_part).string(),
        Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS | Xapian::DB_NO_SYNC);
    if (old.delta.empty())
      delta.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
    else if (delta.get_metadata(sch::k_analyzer_key) != sch::k_analyzer)
      return false;
    total += delta.get_doccount();
    if (total != before.size() + hidden.size()) return false;
    Xapian::docid next_id = delta.get_lastdocid();
    for (const auto& db : mains) next_id = std::max(next_id, db.get_lastdocid());
    auto hide = [&](const std::string& term) {
      for (const auto& db : mains)
        for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it)
          hidden.insert(*it);
    };
    for (const std::string& id : removed) {
      const std::string term = std::string(sch::k_prefix_id) + id;
      hide(term);
      if (delta.term_exists(term)) delta.delete_document(term);
    }
    for (std::size_t i : changed) {
      const std::string term = std::string(sch::k_prefix_id) + docs[i].id;
      hide(term);
      auto in_delta = delta.postlist_begin(term);
      const Xapian::docid id = in_delta != delta.postlist_end(term) ? *in_delta : ++next_id;
      delta.replace_document(id, make_document(docs[i], locality));
    }
    delta.commit();
    std::string text;
    for (Xapian::docid d : hidden) text += std::to_string(d) + "\n";
    if (hidden.empty())
      fs::remove(dir / sch::k_hidden_file);
    else
      write_file_atomic(dir / sch::k_hidden_file, text);
    write_file_atomic(dir / contract::k_search_stub, contract::search_stub(mains.size(), true));
    stats.written = changed.size();
    stats.removed = removed.size();
    stats.in_place = true;
    return true;
  };

  bool done = false;
  try {
    done = in_place();
  } catch (const Xapian::Error&) {
    done = false;  // an unreadable or unexpected database: written afresh below
  }
  if (!done) {
    // Afresh: each part is written directly as a glass database (glass_writer.hpp), its
    // documents' postings gathered in memory and the B-tree written in one pass, the parts in
    // parallel; or, with IndexWriter::xapian (or automatic, when the direct writer cannot be
    // used), by Xapian's own writer, which is several times slower (a std::map node per term
    // and document in its inverter, a B-tree merge per term at each commit).
    stats.in_place = false;
    stats.copied = false;
    fs::remove_all(dir);
    // Similar documents are neighbours (same section, category and department): documents
    // are numbered in this order, 1, 2, ..., and the order is stable, so a full build stays
    // deterministic.
    std::vector<std::size_t> order(docs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(docs[a].section, docs[a].category_id, docs[a].department_id) <
             std::tie(docs[b].section, docs[b].category_id, docs[b].department_id);
    });
    // Xapian searches the parts as one database through the stub; a part per thread, more on
    // a large site (up to 4), so that a part's postings in memory stay small. Searches the
    // server's answer cache misses are a little slower over two parts than over one
    // (1,230-1,415 rps against 1,456-1,467, 10,000 items + laws); cached answers, most of the
    // traffic, are not affected.
    const std::size_t part_count = std::max<std::size_t>(
        1, std::min<std::size_t>(
               (docs.size() + k_docs_per_small_part - 1) / k_docs_per_small_part,
               std::max<std::size_t>(static_cast<std::size_t>(std::max(1, threads)),
                                     std::min<std::size_t>(4, (docs.size() + k_docs_per_part - 1) /
                                                                  k_docs_per_part))));
    stats.parts = part_count;
    // Part p holds the documents order[begin(p), begin(p + 1)), ids begin(p) + 1, ...; both
    // writers number and split them alike.
    auto begin = [&](std::size_t p) { return p * docs.size() / part_count; };
    std::mutex cpu_mutex;
    auto add_cpu = [&](double cpu_started) {
      const double cpu = thread_cpu_ms() - cpu_started;
      std::lock_guard<std::mutex> lock(cpu_mutex);
      stats.cpu_ms += cpu;
    };
    // Read back by Xapian at once: a Xapian that no longer reads a part fails here, not the
    // server later.
    auto read_back = [&](std::size_t p) {
      const Xapian::Database written((dir / std::to_string(p)).string());
      const std::size_t expected = begin(p + 1) - begin(p);
      if (written.get_doccount() != expected ||
          written.get_metadata(sch::k_analyzer_key) != sch::k_analyzer)
        throw Unreadable("search index part " + std::to_string(p) + ": Xapian reads " +
                         std::to_string(written.get_doccount()) + " documents of " +
                         std::to_string(expected));
    };
    auto write_direct = [&] {
      std::vector<std::size_t> ends(part_count);  // a group of one step per part
      std::iota(ends.begin(), ends.end(), std::size_t{1});
      parallel_groups(
          ends, threads,
          [&](std::size_t p, std::size_t) {
            const double cpu_started = thread_cpu_ms();
            glass::PartWriter part(dir / std::to_string(p));
            part.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
            PartSink sink{part, {}};
            for (std::size_t k = begin(p); k < begin(p + 1); ++k) {
              part.begin_document(static_cast<std::uint32_t>(k + 1));
              emit_document(docs[order[k]], locality, sink);
              part.end_document();
            }
            part.write();
            read_back(p);
            add_cpu(cpu_started);
          },
          [](std::size_t, std::size_t) {});
    };

    // Xapian's writer: Xapian's cost of writing a batch grows faster than the batch, so each
    // part's documents go into shards of k_xapian_shard documents, written in parallel and
    // committed every k_xapian_batch documents (a batch's postings, a std::map per term, then
    // stay in the cache), without term lists; a part is compacted from its shards as soon as
    // they are written, keeping the documents' ids, and the shards are removed.
    auto write_with_xapian = [&] {
      const fs::path shard_root = dir.string() + ".shards";
      fs::remove_all(shard_root);
      fs::create_directories(shard_root);
      // Shard s holds order[shard_begin[s], shard_begin[s + 1]); part p the shards
      // [ends[p - 1], ends[p]).
      std::vector<std::size_t> shard_begin, ends;
      for (std::size_t p = 0; p < part_count; ++p) {
        const std::size_t n = begin(p + 1) - begin(p);
        const std::size_t shards =
            std::max<std::size_t>(1, (n + k_xapian_shard - 1) / k_xapian_shard);
        for (std::size_t j = 0; j < shards; ++j) shard_begin.push_back(begin(p) + j * n / shards);
        ends.push_back(shard_begin.size());
      }
      shard_begin.push_back(docs.size());
      auto shard_dir = [&](std::size_t s) { return (shard_root / std::to_string(s)).string(); };
      parallel_groups(
          ends, threads,
          [&](std::size_t s, std::size_t) {
            const double cpu_started = thread_cpu_ms();
            Xapian::WritableDatabase db(shard_dir(s),
                                        Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS |
                                            Xapian::DB_NO_SYNC | Xapian::DB_NO_TERMLIST);
            db.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
            for (std::size_t k = shard_begin[s]; k < shard_begin[s + 1]; ++k) {
              db.replace_document(static_cast<Xapian::docid>(k + 1),
                                  make_document(docs[order[k]], locality));
              if ((k - shard_begin[s] + 1) % k_xapian_batch == 0) db.commit();
            }
            db.commit();
            db.close();
            add_cpu(cpu_started);
          },
          [&](std::size_t p, std::size_t) {
            const double cpu_started = thread_cpu_ms();
            const std::size_t first = p ? ends[p - 1] : 0;
            {
              Xapian::Database all;
              for (std::size_t s = first; s < ends[p]; ++s)
                all.add_database(Xapian::Database(shard_dir(s)));
              all.compact((dir / std::to_string(p)).string(), Xapian::DBCOMPACT_NO_RENUMBER);
            }
            for (std::size_t s = first; s < ends[p]; ++s) fs::remove_all(shard_dir(s));
            read_back(p);
            add_cpu(cpu_started);
          });
      fs::remove_all(shard_root);
    };

    // The direct writer unless asked for Xapian's; when it cannot be used, `auto` gives way
    // to Xapian's writer and `direct` stops the build.
    IndexWriter used = writer == IndexWriter::xapian ? IndexWriter::xapian : IndexWriter::direct;
    auto cannot_write_directly = [&](const std::string& why) {
      if (writer == IndexWriter::direct)
        throw std::runtime_error("the direct search index writer cannot be used: " + why +
                                 " (build with --index-writer=xapian, or auto)");
      used = IndexWriter::xapian;
      stats.warning =
          "the search index was written by Xapian's own writer (--index-writer=auto), "
          "as the direct writer cannot be used: ";
      stats.warning += why;
    };
    if (used == IndexWriter::direct) {
      const std::string problem = cached_direct_writer_problem(fs::path(dir.string() + ".probe"));
      if (!problem.empty()) cannot_write_directly(problem);
    }
    fs::create_directories(dir);
    if (used == IndexWriter::direct) {
      std::string failed;
      try {
        write_direct();
      } catch (const Xapian::Error& e) {
        failed = "Xapian cannot read a part it wrote: " + e.get_description();
      } catch (const Unreadable& e) {
        failed = e.what();
      }
      if (!failed.empty()) {
        cannot_write_directly(failed);
        fs::remove_all(dir);
        fs::create_directories(dir);
        stats.cpu_ms = 0;
      }
    }
    if (used == IndexWriter::xapian) {
      try {
        write_with_xapian();
      } catch (const Xapian::Error& e) {  // not a std::exception: the build reports only those
        throw std::runtime_error("search index: Xapian: " + e.get_description());
      }
    }
    stats.writer = used;
    stats.write_ms = since(started);
    write_file_atomic(dir / contract::k_search_stub, contract::search_stub(part_count, false));
    stats.written = docs.size();
  }
  std::vector<std::size_t> order(docs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return docs[a].id < docs[b].id; });
  std::string listed = header + "\n";
  listed.reserve(docs.size() * 110);
  for (std::size_t i : order)
    listed.append(digests[i]).append("  ").append(docs[i].id).append("\n");
  write_file_atomic(dir / "docs.sha256", listed);
  stats.total_ms = since(started);
  return stats;
}

}  // namespace gongkai::gen
