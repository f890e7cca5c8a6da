#include "search_cache.hpp"

#include <exception>

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

std::shared_ptr<const SearchAnswer> SearchCache::get(const std::string& key,
                                                     const std::function<std::shared_ptr<const SearchAnswer>()>& compute) {
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
  for (const std::string* f : {&p.q, &p.section, &p.department, &p.category, &p.year, &p.validity, &p.sort}) {
    k += std::to_string(f->size());  // length-prefixed: no value can forge a separator
    k += ':';
    k += *f;
  }
  k += std::to_string(p.page) + '/' + std::to_string(p.per_page);
  return k;
}

}  // namespace gongkai::server
