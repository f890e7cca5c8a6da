// Per-release search state.
//
// SearchCache: answers already computed for one release, keyed by the normalised parameters.
// A township's searches repeat (the same few hundred words most days) and a published release
// never changes, so an answer stays right until the next release — which gets a new, empty
// cache with its Release object. Bounded LRU, sharded so threads rarely contend; concurrent
// requests for the same uncached answer compute it once and share it.
//
// DatabasePool: the release's open index handles. Xapian handles are not shared between threads
// and each keeps its own block cache, so a handle per server thread would mean as many cold
// handles and searches fighting over the cores after every start or release. The pool holds
// one handle per core: searches beyond that wait for one, and answers already cached are never
// held up.
//
// DocTable: the ranking and facet fields of every document (from the index's value streams),
// read once per release, so reranking and facet counting touch memory instead of the disk.
#pragma once
#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace Xapian {
class Database;
}

namespace gongkai::server {

struct SearchParams;
struct SearchResult;

// A computed answer: the result and its /api/search JSON body without took_ms.
struct SearchAnswer {
  std::shared_ptr<const SearchResult> result;
  std::string api_json;
};

class SearchCache {
 public:
  // `capacity` answers in all (0 disables the cache).
  explicit SearchCache(std::size_t capacity);
  ~SearchCache();
  std::size_t capacity() const { return m_capacity; }
  std::size_t size();

  // The cached answer for `key`, or compute() once (other threads asking meanwhile wait for it).
  // An exception from compute() reaches every waiter and nothing is cached.
  std::shared_ptr<const SearchAnswer> get(
      const std::string& key, const std::function<std::shared_ptr<const SearchAnswer>()>& compute);

  // The key of a parameter set: every field that changes the answer, unambiguously joined.
  static std::string key_of(const SearchParams& p);

 private:
  struct Pending;
  struct Shard {
    std::mutex mutex;
    std::list<std::pair<std::string, std::shared_ptr<const SearchAnswer>>> lru;  // front = newest
    std::unordered_map<std::string, decltype(lru)::iterator> index;
    std::unordered_map<std::string, std::shared_ptr<Pending>> pending;
  };
  Shard& shard_of(const std::string& key);

  std::size_t m_capacity;
  std::size_t m_per_shard;
  std::vector<std::unique_ptr<Shard>> m_shards;
};

// Facet families in the order of the value slots section, department, category, year, validity.
inline constexpr std::size_t k_facet_families = 5;

struct DocTable {
  // Indexed by the document's own id, which is unique across the index's parts and is what
  // Xapian 1.4 hands match spies and deciders (0 unused). A match set's ids are numbered
  // through the stub instead: own_id() converts them.
  std::size_t parts = 1;
  std::size_t own_id(std::size_t stub_id) const { return (stub_id - 1) / parts + 1; }
  std::vector<double> published;
  std::vector<std::uint8_t> valid;  // validity 有效
  std::vector<std::uint8_t> local;  // another locality's rule
  std::vector<std::string> title_key, exact_keys;
  std::array<std::vector<std::uint32_t>, k_facet_families>
      facet;  // value id per document (0: none)
  std::array<std::vector<std::string>, k_facet_families> facet_names;  // value id → value ("" at 0)
  // Copies a rebuild replaced or deleted (the index's hidden list): never an answer.
  std::vector<std::uint8_t> hidden;
  bool any_hidden = false;
};

class DatabasePool {
 public:
  // At most `size` handles (0: one per core).
  explicit DatabasePool(std::size_t size = 0);
  ~DatabasePool();
  DatabasePool(const DatabasePool&) = delete;
  DatabasePool& operator=(const DatabasePool&) = delete;

  class Lease {
   public:
    Lease(DatabasePool& pool, std::unique_ptr<Xapian::Database> db);
    Lease(Lease&&) = delete;
    ~Lease();  // returns the handle to the pool
    Xapian::Database& operator*() const { return *m_db; }

   private:
    DatabasePool& m_pool;
    std::unique_ptr<Xapian::Database> m_db;
  };

  // A free handle, or a new one from open() while fewer than `size` exist; else waits for one.
  // An exception from open() leaves the pool as it was.
  std::unique_ptr<Lease> acquire(const std::function<std::unique_ptr<Xapian::Database>()>& open);

 private:
  void give_back(std::unique_ptr<Xapian::Database> db);
  std::size_t m_size;
  std::mutex m_mutex;
  std::condition_variable m_freed;
  std::vector<std::unique_ptr<Xapian::Database>> m_free;
  std::size_t m_open = 0;  // handles in existence (free or leased) or being opened
};

// Everything a release's searches share.
struct SearchState {
  explicit SearchState(std::size_t cache_capacity) : cache(cache_capacity) {}
  SearchCache cache;
  DatabasePool databases;
  std::mutex table_mutex;
  std::shared_ptr<const DocTable> table;  // loaded when the release opens (prepare_search)
};

}  // namespace gongkai::server
