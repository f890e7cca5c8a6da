#include "indexer.hpp"

#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <unordered_map>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "gongkai/analysis.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/text.hpp"
#include "parallel.hpp"

namespace gongkai::gen {

namespace sch = gongkai::search;

namespace {

constexpr std::size_t k_stored_text = 64 * 1024;  // body text kept for snippets
constexpr std::size_t k_shard_size = 100;          // documents per shard (see write_search_index)

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
using TermCounts = std::unordered_map<std::string, Xapian::termcount>;

void count_text(TermCounts& terms, std::string_view text, bool title) {
  const Xapian::termcount w = title ? 3 : 1;
  for (const auto& c : sch::chunks(text)) {
    for (std::string& t : sch::chunk_terms(c)) {
      if (title) terms[std::string(sch::k_prefix_title) + t] += 1;
      terms[std::move(t)] += w;
    }
    for (std::string& n : sch::numeral_terms(c)) terms[std::move(n)] += 1;
    if (c.cjk && c.text.size() > 1) {
      std::vector<std::string> unigrams = sch::chunk_unigrams(c);
      if (title) {
        for (std::string& u : unigrams) {
          terms[std::string(sch::k_prefix_title) + u] += 1;
          terms[std::move(u)] += 1;
        }
      } else if (!unigrams.empty()) {
        terms[std::move(unigrams.back())] += 1;  // every other character starts a bigram
      }
    }
  }
}

void add_counted(Xapian::Document& doc, const TermCounts& terms) {
  for (const auto& [t, wdf] : terms) doc.add_term(t, wdf);
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
  terms.reserve(2048);
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
  doc.set_data(data.dump() + "\n" + truncate_utf8_bytes(f.text(), k_stored_text));
  if (sch::is_local_title(f.title, locality)) doc.add_value(sch::k_slot_local, "1");
  doc.add_value(sch::k_slot_exact_keys, sch::title_key(f.doc_no) + "\x1f" + sch::title_key(f.index_no));
  return doc;
}

}  // namespace

IndexStats write_search_index(const Content& c, const std::filesystem::path& dir, int threads, const std::filesystem::path& shard_cache) {
  auto dept_name = [&](const std::string& id) {
    const Department* d = c.site.department(id);
    return d ? d->name : id;
  };
  const auto started = std::chrono::steady_clock::now();
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

  // Xapian's cost of writing a batch grows faster than the batch (measured: 10,000 items in one
  // database 29 s, in shards of 100 about 4 s on two cores), so documents go into small shards
  // written in parallel, which one compaction then merges into the release's database. A
  // document's shard is a hash of its id, so an edit changes one shard and an added item does
  // not move the others; the shard count is a power of two that grows with the site.
  IndexStats stats;
  stats.documents = docs.size();
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&t0] {
    const auto t = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(t - t0).count();
    t0 = t;
    return ms;
  };
  std::size_t shard_count = 1;
  while (shard_count * k_shard_size < docs.size()) shard_count *= 2;
  stats.shards = shard_count;
  std::vector<std::vector<std::size_t>> members(shard_count);
  for (std::size_t i = 0; i < docs.size(); ++i) members[fnv1a64(docs[i].id) % shard_count].push_back(i);
  // A shard's name is the digest of everything its documents are made from.
  std::vector<std::string> names(shard_count);
  parallel_for(shard_count, threads, [&](std::size_t s, std::size_t) {
    Sha256 h;
    h.update(sch::k_analyzer);
    h.update(std::string_view("\0", 1));
    h.update(locality);
    for (std::size_t i : members[s]) {
      const DocFields& f = docs[i];
      for (const std::string* v : {&f.id, &f.url, &f.title, &f.section, &f.department_id, &f.department, &f.category_id,
                                   &f.category, &f.validity, &f.index_no, &f.doc_no, &f.text()}) {
        h.update(std::to_string(v->size()));
        h.update(std::string_view(":", 1));
        h.update(*v);
      }
      h.update(std::to_string(f.published.epoch) + "/" + std::to_string(f.published.offset_minutes));
    }
    char prefix[40];
    std::snprintf(prefix, sizeof prefix, "%zu-%06zu-", shard_count, s);
    names[s] = prefix + h.hex().substr(0, 24);
  });
  const bool cached = !shard_cache.empty();
  const std::filesystem::path shard_root = cached ? shard_cache : std::filesystem::path(dir.string() + ".shards");
  if (!cached) std::filesystem::remove_all(shard_root);
  std::filesystem::create_directories(shard_root);
  std::vector<std::size_t> to_write;
  for (std::size_t s = 0; s < shard_count; ++s)
    if (!cached || !std::filesystem::exists(shard_root / names[s] / "iamglass")) to_write.push_back(s);
  stats.shards_written = to_write.size();
  stats.prepare_ms = lap();
  parallel_for(to_write.size(), threads, [&](std::size_t k, std::size_t) {
    const std::size_t s = to_write[k];
    const std::filesystem::path tmp = shard_root / (".tmp-" + names[s]);
    std::filesystem::remove_all(tmp);
    {
      Xapian::WritableDatabase db(tmp.string(),
                                  Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS | Xapian::DB_NO_SYNC | Xapian::DB_NO_TERMLIST);
      db.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
      for (std::size_t i : members[s]) db.add_document(make_document(docs[i], locality));
      db.commit();
    }
    std::filesystem::remove_all(shard_root / names[s]);
    std::filesystem::rename(tmp, shard_root / names[s]);  // a shard is in the cache only when complete
  });
  stats.write_ms = lap();
  // Shards are merged into at most 16 groups (about 16 shards each) by compaction, and the
  // release's search folder is a stub database over the groups (XAPIANDB, which Xapian opens as
  // one database), with the group files hard-linked in. A group, like a shard, is named by what
  // it holds, so a rebuild compacts only the groups of changed shards: one edit costs one shard
  // and one group of ~1,400 documents, instead of a compaction of the whole index.
  const std::size_t group_count = std::min<std::size_t>(16, std::max<std::size_t>(1, shard_count / 16));
  const std::size_t per_group = shard_count / group_count;
  std::vector<std::string> group_names(group_count);
  for (std::size_t g = 0; g < group_count; ++g) {
    Sha256 h;
    for (std::size_t s = g * per_group; s < (g + 1) * per_group; ++s) h.update(names[s] + "\n");
    char prefix[40];
    std::snprintf(prefix, sizeof prefix, "group-%zu-%03zu-", group_count, g);
    group_names[g] = prefix + h.hex().substr(0, 24);
  }
  std::vector<std::size_t> groups_to_write;
  for (std::size_t g = 0; g < group_count; ++g)
    if (!std::filesystem::exists(shard_root / group_names[g] / "iamglass")) groups_to_write.push_back(g);
  stats.groups = group_count;
  stats.groups_written = groups_to_write.size();
  parallel_for(groups_to_write.size(), threads, [&](std::size_t k, std::size_t) {
    const std::size_t g = groups_to_write[k];
    const std::filesystem::path tmp = shard_root / (".tmp-" + group_names[g]);
    std::filesystem::remove_all(tmp);
    Xapian::Database group;
    for (std::size_t s = g * per_group; s < (g + 1) * per_group; ++s) group.add_database(Xapian::Database((shard_root / names[s]).string()));
    group.compact(tmp.string());
    std::filesystem::remove_all(shard_root / group_names[g]);
    std::filesystem::rename(tmp, shard_root / group_names[g]);
  });
  std::filesystem::create_directories(dir);
  std::string stub;
  for (std::size_t g = 0; g < group_count; ++g) {
    const std::string sub = "g" + std::to_string(g);
    std::filesystem::create_directory(dir / sub);
    for (const auto& e : std::filesystem::directory_iterator(shard_root / group_names[g])) {
      const std::filesystem::path to = dir / sub / e.path().filename();
      std::error_code ec;
      std::filesystem::create_hard_link(e.path(), to, ec);  // groups are never written again
      if (ec) std::filesystem::copy_file(e.path(), to);
    }
    stub += "glass " + sub + "\n";
  }
  write_file(dir / "XAPIANDB", stub);
  stats.compact_ms = lap();
  if (!cached) {
    std::filesystem::remove_all(shard_root);
  } else {  // keep exactly this build's shards and groups
    std::set<std::string> keep(names.begin(), names.end());
    keep.insert(group_names.begin(), group_names.end());
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(shard_root, ec))
      if (!keep.count(e.path().filename().string())) std::filesystem::remove_all(e.path(), ec);
  }
  stats.total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace gongkai::gen
