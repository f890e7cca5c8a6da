// Runs fn(i, worker) for i in [0, n) on `threads` threads (the caller is worker 0), in
// interleaved order; the first exception is rethrown after every worker has stopped.
// `batch` items are taken at a time, and a worker is started per 64 items at most: right for
// many small items (files, pages). For a few large tasks (index shards) use parallel_groups.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gongkai {

template <typename Fn>
void parallel_for(std::size_t n, int threads, Fn&& fn, std::size_t batch = 16,
                  std::size_t per_worker = 64) {
  const std::size_t workers = std::max<std::size_t>(
      1, std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), n / per_worker + 1));
  if (workers == 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i, std::size_t{0});
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto run = [&](std::size_t w) {
    try {
      for (std::size_t start; (start = next.fetch_add(batch)) < n;)
        for (std::size_t i = start; i < n && i < start + batch; ++i) fn(i, w);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = n;
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

// Tasks in groups, each followed by a closing task: step(i, worker) for i in [0, n), one at a
// time and in order, where group g holds the steps [ends[g-1], ends[g]) (ends ascending, the last
// equal to n, no group empty); close(g, worker) runs as soon as every step of group g has
// finished, before any step not yet started. The first exception is rethrown after every worker
// has stopped; no task starts after it.
template <typename Step, typename Close>
void parallel_groups(const std::vector<std::size_t>& ends, int threads, Step&& step,
                     Close&& close) {
  const std::size_t n = ends.empty() ? 0 : ends.back();
  std::vector<std::size_t> left(ends.size());
  for (std::size_t g = 0; g < ends.size(); ++g) left[g] = ends[g] - (g ? ends[g - 1] : 0);
  std::mutex m;
  std::condition_variable cv;
  std::size_t next = 0, group = 0, closing = 0;  // next step; group of `next`; closes taken
  std::deque<std::size_t> ready;
  std::exception_ptr failure;
  auto run = [&](std::size_t w) {
    std::unique_lock<std::mutex> lock(m);
    while (!failure && closing < ends.size()) {
      try {
        if (!ready.empty()) {
          const std::size_t g = ready.front();
          ready.pop_front();
          ++closing;
          lock.unlock();
          close(g, w);
          lock.lock();
        } else if (next < n) {
          const std::size_t i = next++, g = group;
          if (next == ends[group]) ++group;
          lock.unlock();
          step(i, w);
          lock.lock();
          if (--left[g] == 0) {
            ready.push_back(g);
            cv.notify_one();
          }
        } else {
          cv.wait(lock);  // the last steps are running elsewhere
        }
      } catch (...) {
        if (!lock.owns_lock()) lock.lock();
        if (!failure) failure = std::current_exception();
        cv.notify_all();
      }
    }
    cv.notify_all();
  };
  std::vector<std::thread> pool;
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)),
                                                    std::max<std::size_t>(1, n));
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace gongkai
