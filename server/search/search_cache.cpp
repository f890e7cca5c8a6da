#include "search_cache.hpp"

#include <xapian.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "search_service.hpp"

namespace gongkai::server {

namespace {
constexpr std::size_t k_shards = 16;
}

struct SearchCache::Pending {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::shared_ptr<const SearchAnswer> answer;
  std::exception_ptr error;
};

SearchCache::SearchCache(std::size_t capacity)
    : m_capacity(capacity), m_per_shard(capacity == 0 ? 0 : (capacity + k_shards - 1) / k_shards) {
  for (std::size_t i = 0; i < k_shards; ++i) m_shards.push_back(std::make_unique<Shard>());
}

SearchCache::~SearchCache() = default;

SearchCache::Shard& SearchCache::shard_of(const std::string& key) {
  return *m_shards[std::hash<std::string>{}(key) % k_shards];
}

std::shared_ptr<const SearchAnswer> SearchCache::get(
    const std::string& key, const std::function<std::shared_ptr<const SearchAnswer>()>& compute) {
  if (m_capacity == 0) return compute();
  Shard& s = shard_of(key);
  std::shared_ptr<Pending> pending;
  bool mine = false;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (auto it = s.index.find(key); it != s.index.end()) {
      s.lru.splice(s.lru.begin(), s.lru, it->second);  // now the newest
      return it->second->second;
    }
    auto& p = s.pending[key];
    if (!p) {
      p = std::make_shared<Pending>();
      mine = true;
    }
    pending = p;
  }
  if (!mine) {  // someone is computing this answer: wait for it
    std::unique_lock<std::mutex> lock(pending->mutex);
    pending->done_cv.wait(lock, [&] { return pending->done; });
    if (pending->error) std::rethrow_exception(pending->error);
    return pending->answer;
  }
  std::shared_ptr<const SearchAnswer> answer;
  std::exception_ptr error;
  try {
    answer = compute();
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.pending.erase(key);
    if (answer) {
      s.lru.emplace_front(key, answer);
      s.index[key] = s.lru.begin();
      while (s.lru.size() > m_per_shard) {
        s.index.erase(s.lru.back().first);
        s.lru.pop_back();
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(pending->mutex);
    pending->done = true;
    pending->answer = answer;
    pending->error = error;
  }
  pending->done_cv.notify_all();
  if (error) std::rethrow_exception(error);
  return answer;
}

DatabasePool::DatabasePool(std::size_t size)
    : m_size(size != 0 ? size : std::max<std::size_t>(1, std::thread::hardware_concurrency())) {}

DatabasePool::~DatabasePool() = default;

DatabasePool::Lease::Lease(DatabasePool& pool, std::unique_ptr<Xapian::Database> db)
    : m_pool(pool), m_db(std::move(db)) {}

DatabasePool::Lease::~Lease() { m_pool.give_back(std::move(m_db)); }

std::unique_ptr<DatabasePool::Lease> DatabasePool::acquire(
    const std::function<std::unique_ptr<Xapian::Database>()>& open) {
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_freed.wait(lock, [&] { return !m_free.empty() || m_open < m_size; });
    if (!m_free.empty()) {
      auto db = std::move(m_free.back());
      m_free.pop_back();
      return std::make_unique<Lease>(*this, std::move(db));
    }
    ++m_open;  // this thread opens one (outside the lock: opening reads the disk)
  }
  std::unique_ptr<Xapian::Database> db;
  std::exception_ptr error;
  try {
    db = open();
  } catch (...) {
    error = std::current_exception();
  }
  if (!db) {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      --m_open;
    }
    m_freed.notify_one();
    if (error) std::rethrow_exception(error);
    throw std::runtime_error("search index could not be opened");
  }
  return std::make_unique<Lease>(*this, std::move(db));
}

void DatabasePool::give_back(std::unique_ptr<Xapian::Database> db) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_free.push_back(std::move(db));
  }
  m_freed.notify_one();
}

std::size_t SearchCache::size() {
  std::size_t n = 0;
  for (auto& s : m_shards) {
    std::lock_guard<std::mutex> lock(s->mutex);
    n += s->lru.size();
  }
  return n;
}

std::string SearchCache::key_of(const SearchParams& p) {
  std::string k;
  for (const std::string* f : {&p.q, &p.section, &p.department, &p.category, &p.year, &p.validity,
                               &p.unit, &p.kind, &p.sort}) {
    k += std::to_string(f->size());  // length-prefixed: no value can forge a separator
    k += ':';
    k += *f;
  }
  k += std::to_string(p.page) + '/' + std::to_string(p.per_page);
  return k;
}

}  // namespace gongkai::server
