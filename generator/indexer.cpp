#include "indexer.hpp"

#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "gongkai/analysis.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/text.hpp"
#include "parallel.hpp"
#include "raw_tags.hpp"

namespace gongkai::gen {

namespace sch = gongkai::search;

namespace {

constexpr std::size_t k_stored_text = 64 * 1024;  // body text kept for snippets
constexpr std::size_t k_shard_batch = 50;          // documents per commit inside a shard
constexpr std::size_t k_docs_per_part = 12800;     // a part more per this many documents, up to 4

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
    for (int i = 0; i < times; ++i) bigrams.push_back((static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint64_t>(b));
  }
};

void count_text(TermCounts& terms, std::string_view text, bool title) {
  for (const auto& c : sch::chunks(text)) {
    if (c.cjk && c.text.size() > 1) {
      for (std::size_t i = 0; i + 1 < c.text.size(); ++i) {
        if (title) terms.other[std::string(sch::k_prefix_title) + to_utf8(std::u32string_view(c.text).substr(i, 2))] += 1;
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
    if (count[((keys.empty() ? 0 : keys[0]) >> shift & 0xffu) + 1] == keys.size()) continue;  // one value: in order
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

void add_counted(Xapian::Document& doc, TermCounts& terms) {
  std::string t;
  auto add = [&](char32_t a, char32_t b, std::size_t wdf) {
    t.clear();
    append_utf8(t, a);
    append_utf8(t, b);
    doc.add_term(t, static_cast<Xapian::termcount>(wdf));
  };
  const bool bmp = std::all_of(terms.bigrams.begin(), terms.bigrams.end(),
                               [](std::uint64_t k) { return (k >> 32) < 0x10000u && (k & 0xffffffffu) < 0x10000u; });
  if (bmp) {  // nearly always: two code points of the Basic Multilingual Plane in 32 bits
    thread_local std::vector<std::uint32_t> keys, scratch;
    keys.clear();
    for (std::uint64_t k : terms.bigrams) keys.push_back(static_cast<std::uint32_t>(((k >> 32) << 16) | (k & 0xffffu)));
    radix_sort(keys, scratch);
    for_each_run(keys, [&](std::uint32_t k, std::size_t n) { add(static_cast<char32_t>(k >> 16), static_cast<char32_t>(k & 0xffffu), n); });
  } else {
    std::sort(terms.bigrams.begin(), terms.bigrams.end());
    for_each_run(terms.bigrams, [&](std::uint64_t k, std::size_t n) {
      add(static_cast<char32_t>(k >> 32), static_cast<char32_t>(k & 0xffffffffu), n);
    });
  }
  for (const auto& [term, wdf] : terms.other) doc.add_term(term, wdf);
}

struct DocFields {
  std::string id, url, title, section, department_id, department, category_id, category, validity = "有效",
      index_no, doc_no;
  DateTime published;
  // The body text: the item's own (no copy) or, with laws appended, one of its own.
  const std::string* text_ref = nullptr;
  std::string text_own;
  const std::string& text() const { return text_ref ? *text_ref : text_own; }
};

Xapian::Document make_document(const DocFields& f, const std::string& locality) {
  Xapian::Document doc;
  TermCounts terms;
  terms.bigrams.reserve(4096);
  terms.other.reserve(256);
  count_text(terms, f.title, true);
  count_text(terms, f.text(), false);
  add_counted(doc, terms);
  doc.add_boolean_term(std::string(sch::k_prefix_id) + f.id);
  doc.add_boolean_term(std::string(sch::k_prefix_section) + f.section);
  if (!f.department_id.empty()) doc.add_boolean_term(std::string(sch::k_prefix_department) + f.department_id);
  if (!f.department.empty()) doc.add_boolean_term(std::string(sch::k_prefix_department) + f.department);
  if (!f.category_id.empty()) doc.add_boolean_term(std::string(sch::k_prefix_category) + f.category_id);
  if (!f.category.empty()) doc.add_boolean_term(std::string(sch::k_prefix_category) + f.category);
  const std::string year = std::to_string(f.published.year());
  doc.add_boolean_term(std::string(sch::k_prefix_year) + year);
  doc.add_term(year);  // "安全生产法 2021" means the 2021 version
  doc.add_boolean_term(std::string(sch::k_prefix_validity) + f.validity);
  if (!f.doc_no.empty()) doc.add_boolean_term(truncate_utf8_bytes(std::string(sch::k_prefix_doc_no) + sch::title_key(f.doc_no), 240));
  if (!f.index_no.empty()) doc.add_boolean_term(truncate_utf8_bytes(std::string(sch::k_prefix_index_no) + sch::title_key(f.index_no), 240));
  const std::string key = sch::title_key(f.title);
  doc.add_boolean_term(truncate_utf8_bytes(std::string(sch::k_prefix_exact_title) + key, 240));
  doc.add_value(sch::k_slot_published, Xapian::sortable_serialise(static_cast<double>(f.published.epoch)));
  doc.add_value(sch::k_slot_section, f.section);
  doc.add_value(sch::k_slot_department, f.department);
  doc.add_value(sch::k_slot_category, f.category);
  doc.add_value(sch::k_slot_year, year);
  doc.add_value(sch::k_slot_validity, f.validity);
  doc.add_value(sch::k_slot_title_key, key);
  nlohmann::json data = {{"url", f.url}, {"title", f.title}, {"section", f.section}, {"department", f.department},
                         {"category", f.category}, {"published", f.published.date()}, {"index_no", f.index_no},
                         {"doc_no", f.doc_no}, {"validity", f.validity}};
  doc.add_value(sch::k_slot_display, data.dump());
  doc.add_value(sch::k_slot_text, truncate_utf8_bytes(f.text(), k_stored_text));
  if (sch::is_local_title(f.title, locality)) doc.add_value(sch::k_slot_local, "1");
  doc.add_value(sch::k_slot_exact_keys, sch::title_key(f.doc_no) + "\x1f" + sch::title_key(f.index_no));
  return doc;
}

}  // namespace

IndexStats write_search_index(const Content& c, const std::filesystem::path& dir, int threads, const std::filesystem::path& previous,
                              const std::filesystem::path& workspace, const std::function<void()>& tail) {
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
      f.url = "/responsibilities/" + l.department + "/#item-" + std::to_string(i);
      f.id = f.url;
      f.title = r.name;
      f.section = "responsibilities";
      f.department_id = l.department;
      f.department = dept_name(l.department);
      f.published = l.updated;
      f.index_no = r.code;
      f.text_own = r.type + "\n" + r.basis + "\n" + r.subject + "\n" + r.office + "\n" + r.duties + "\n" +
               r.accountability + "\n" + r.supervision;
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
    for (const std::string* v : {&f.id, &f.url, &f.title, &f.section, &f.department_id, &f.department, &f.category_id,
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
  // database: the main parts search/0, search/1, ..., written afresh by a full build (shards
  // compacted into one part per core, the parts at the same time, see below) and never changed
  // after, and, once a rebuild has changed anything, search/delta.
  // The main parts have no term list: Xapian needs a document's term list only to replace or
  // delete it, and writing it was ~1.2 s of CPU of a 10,000-item build (~9 %) and a third of
  // the index's bytes. A rebuild therefore writes each added or changed document into the delta
  // part (which has its term list, so it is itself updated in place) and hides the main parts'
  // copy of each changed or deleted document: hidden.docids lists their ids, and the server's
  // matcher skips them (search_service.cpp).
  // Document ids: each document has one id of its own across all parts (a full write numbers
  // them 1, 2, ... and the compaction keeps them; the delta part continues after the largest).
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
      stub = read_file(root / "XAPIANDB");
    } catch (const std::exception&) {
      return std::nullopt;
    }
    Layout l;
    for (std::size_t pos = 0; pos < stub.size();) {
      std::size_t nl = stub.find('\n', pos);
      if (nl == std::string::npos) nl = stub.size();
      const std::string line = stub.substr(pos, nl - pos);
      pos = nl + 1;
      if (!starts_with(line, "glass ") || line.find('/') != std::string::npos || !l.delta.empty()) return std::nullopt;
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
      if (nl - pos > 66) before.emplace(listed.substr(pos + 66, nl - pos - 66), listed.substr(pos, 64));
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
    const Xapian::doccount delta_docs = old.delta.empty() ? 0 : Xapian::Database(old.delta.string()).get_doccount();
    // Changing a document costs several times writing it afresh, and hidden copies still count
    // in the search statistics: past an eighth of the site (site.toml renamed a department, say,
    // or many edits since the last full write) a full write is quicker and exact again.
    if ((changed.size() + removed.size() + hidden.size() + delta_docs) * 8 > docs.size() + 64) return false;
    if (!own) {  // copied only now that it is known to be worth it
      fs::remove_all(dir);
      fs::create_directories(dir);
      for (const auto& e : fs::recursive_directory_iterator(previous)) {
        const fs::path to = dir / e.path().lexically_relative(previous);
        if (e.is_directory()) fs::create_directories(to);
        else if (e.is_regular_file() && e.path().filename() != "flintlock") fs::copy_file(e.path(), to);
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
    const RawTags raw;  // the delta part's term lists stored uncompressed (see raw_tags.cpp)
    Xapian::WritableDatabase delta((dir / sch::k_delta_part).string(),
                                   Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS | Xapian::DB_NO_SYNC);
    if (old.delta.empty()) delta.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
    else if (delta.get_metadata(sch::k_analyzer_key) != sch::k_analyzer) return false;
    total += delta.get_doccount();
    if (total != before.size() + hidden.size()) return false;
    Xapian::docid next_id = delta.get_lastdocid();
    for (const auto& db : mains) next_id = std::max(next_id, db.get_lastdocid());
    auto hide = [&](const std::string& term) {
      for (const auto& db : mains)
        for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it) hidden.insert(*it);
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
    if (hidden.empty()) fs::remove(dir / sch::k_hidden_file);
    else write_file_atomic(dir / sch::k_hidden_file, text);
    std::string stub;
    for (std::size_t p = 0; p < mains.size(); ++p) stub += "glass " + std::to_string(p) + "\n";
    stub += std::string("glass ") + sch::k_delta_part + "\n";
    write_file_atomic(dir / "XAPIANDB", stub);
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
    // Afresh. Xapian's cost of writing a batch grows faster than the batch (measured: 10,000
    // items in one database 29 s, in shards of 100 about 4 s on two cores), so documents go
    // into small shards written in parallel, which one compaction merges into the database.
    // A shard is committed every k_shard_batch documents: Xapian gathers a batch's postings in
    // a std::map per term, and in a map of a 50-document batch's terms the lookups stay in the
    // cache. Shards of 200 committed every 50 documents took 0.35-0.5 s less CPU than shards of
    // 100 committed once (10,000 items, 4 turns each; 4.61-4.71 s against 4.83-4.96 s wall).
    stats.in_place = false;
    stats.copied = false;
    fs::remove_all(dir);
    // Shards go to the caller's workspace when given, where their folders and files stay from
    // build to build (emptied, not deleted): on ext4 without a journal, every inode deleted in
    // the last minutes is stepped over, one buffer lookup each, by every file created after it
    // (recently_deleted() in fs/ext4/ialloc.c), and a full build creates ~25,000.
    const bool keep_slots = !workspace.empty();
    const fs::path shard_root = keep_slots ? workspace : fs::path(dir.string() + ".shards");
    if (!keep_slots) fs::remove_all(shard_root);
    fs::create_directories(shard_root);
    // Similar documents share a shard (same section, category and department): a shard then
    // holds fewer distinct terms, which makes both writing it and the compaction cheaper
    // (measured at 1,000 items: 10 % fewer instructions for the whole index; 10,000 items:
    // 8.0 s instead of 9.2 s). The order is stable, so a full build stays deterministic.
    std::vector<std::size_t> order(docs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(docs[a].section, docs[a].category_id, docs[a].department_id) <
             std::tie(docs[b].section, docs[b].category_id, docs[b].department_id);
    });
    const std::size_t shard_count = std::max<std::size_t>(1, (docs.size() + k_index_shard_size - 1) / k_index_shard_size);
    stats.shards = shard_count;
    std::vector<std::vector<std::size_t>> members(shard_count);
    for (std::size_t k = 0; k < order.size(); ++k) members[k * shard_count / order.size()].push_back(order[k]);
    // Document ids are unique across the parts, 1, 2, ... in shard order, kept by the compaction
    // (see "Document ids" above).
    std::vector<Xapian::docid> first_id(shard_count, 1);
    for (std::size_t k = 1; k < shard_count; ++k) first_id[k] = first_id[k - 1] + static_cast<Xapian::docid>(members[k - 1].size());
    // Each part is compacted from consecutive shards as soon as they are written, while the
    // next shards are, and its shards are emptied at once. A shard's files are written and read
    // once; freeing them early lets the next shards reuse their memory. On this VM, page-cache
    // writes into memory the build has not used before cost about five times as much (the host
    // hands it out afresh): at 50,000 items the shards alone are 0.8 GB.
    // Xapian searches the parts as one database through the stub. More parts on a larger site
    // free shards earlier, up to four; the last part is half the size of the others, as its
    // compaction is left on its own at the end. Searches the server's answer cache misses are a
    // little slower over two parts than over one (1,230-1,415 rps against 1,456-1,467, 10,000
    // items + laws); cached answers, most of the traffic, are not affected.
    const std::size_t part_count = std::min<std::size_t>(
        shard_count, std::max<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), std::min<std::size_t>(4, (docs.size() + k_docs_per_part - 1) / k_docs_per_part)));
    stats.parts = part_count;
    std::vector<std::size_t> ends(part_count);
    for (std::size_t p = 0; p + 1 < part_count; ++p)
      ends[p] = std::max<std::size_t>(p + 1, (2 * (p + 1) * shard_count) / (2 * part_count - 1));
    ends.back() = shard_count;
    fs::create_directories(dir);
    auto shard_dir = [&](std::size_t s) { return shard_root / std::to_string(s); };
    double compact_ms = 0;
    std::mutex compact_mutex;
    parallel_groups(
        ends, threads,
        [&](std::size_t s, std::size_t) {
          Xapian::WritableDatabase db(shard_dir(s).string(),
                                      Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS | Xapian::DB_NO_SYNC |
                                          Xapian::DB_NO_TERMLIST);
          db.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
          Xapian::docid id = first_id[s];
          std::size_t in_batch = 0;
          for (std::size_t i : members[s]) {
            db.replace_document(id++, make_document(docs[i], locality));
            if (++in_batch % k_shard_batch == 0) db.commit();
          }
          db.commit();
        },
        [&](std::size_t p, std::size_t) {
          const auto compaction = std::chrono::steady_clock::now();
          const std::size_t first = p ? ends[p - 1] : 0;
          {
            Xapian::Database all;
            for (std::size_t s = first; s < ends[p]; ++s) all.add_database(Xapian::Database(shard_dir(s).string()));
            all.compact((dir / std::to_string(p)).string(), Xapian::DBCOMPACT_NO_RENUMBER);
          }
          // Emptied, not deleted, when kept from build to build (see above).
          for (std::size_t s = first; s < ends[p]; ++s) {
            if (!keep_slots) {
              fs::remove_all(shard_dir(s));
              continue;
            }
            for (const auto& f : fs::directory_iterator(shard_dir(s)))
              if (f.path().extension() == ".glass") fs::resize_file(f.path(), 0);
          }
          std::lock_guard<std::mutex> lock(compact_mutex);
          compact_ms += since(compaction);
        },
        tail);
    stats.write_ms = since(started);
    std::string stub;
    for (std::size_t p = 0; p < part_count; ++p) stub += "glass " + std::to_string(p) + "\n";
    write_file_atomic(dir / "XAPIANDB", stub);
    if (keep_slots) {
      for (const auto& e : fs::directory_iterator(shard_root)) {
        const std::string name = e.path().filename().string();
        const bool slot = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
        if (!slot || std::stoul(name) >= shard_count) fs::remove_all(e.path());  // a larger site's shards
      }
    } else {
      fs::remove_all(shard_root);
    }
    stats.compact_ms = compact_ms;
    stats.written = docs.size();
  }
  std::vector<std::size_t> order(docs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return docs[a].id < docs[b].id; });
  std::string listed = header + "\n";
  listed.reserve(docs.size() * 110);
  for (std::size_t i : order) listed.append(digests[i]).append("  ").append(docs[i].id).append("\n");
  write_file_atomic(dir / "docs.sha256", listed);
  stats.total_ms = since(started);
  return stats;
}

}  // namespace gongkai::gen
