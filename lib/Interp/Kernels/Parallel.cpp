//===- Parallel.cpp - Parallel-for over a shared worker pool --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A minimal pool: a FIFO of tasks served by long-lived workers. Each
// parallelFor posts its chunks and waits on its own latch, so concurrent
// interpreters on different threads share the workers without waiting for
// each other's work. The pool is a function-local static, created on first
// use and joined at exit.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Parallel.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using namespace qlc;
using namespace qlc::interp;

namespace {

/// Set on pool workers: a parallelFor from inside a task runs inline.
thread_local bool isPoolWorker = false;

/// Upper bound on workers, whatever a caller asks for.
constexpr unsigned kMaxWorkers = 256;

class WorkerPool {
public:
  static WorkerPool &get() {
    static WorkerPool pool;
    return pool;
  }

  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    cv.notify_all();
    for (std::thread &t : workers)
      t.join();
  }

  /// Grows the pool to at least `n` workers.
  void reserve(unsigned n) {
    n = std::min(n, kMaxWorkers);
    std::lock_guard<std::mutex> lock(mutex);
    while (workers.size() < n)
      workers.emplace_back([this] { workerLoop(); });
  }

  void submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      queue.push_back(std::move(task));
    }
    cv.notify_one();
  }

private:
  void workerLoop() {
    isPoolWorker = true;
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty())
          return; // stopping and drained
        task = std::move(queue.front());
        queue.pop_front();
      }
      task();
    }
  }

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  std::vector<std::thread> workers;
  bool stopping = false;
};

/// Counts finished chunks of one parallelFor.
class Latch {
public:
  explicit Latch(unsigned count) : pending(count) {}
  void countDown() {
    std::lock_guard<std::mutex> lock(mutex);
    if (--pending == 0)
      cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [this] { return pending == 0; });
  }

private:
  std::mutex mutex;
  std::condition_variable cv;
  unsigned pending;
};

} // namespace

unsigned interp::getNumChunks(unsigned threads, int64_t n, int64_t minChunk) {
  if (n <= 0)
    return 0;
  minChunk = std::max<int64_t>(minChunk, 1);
  int64_t byGrain = (n + minChunk - 1) / minChunk;
  int64_t chunks = std::min<int64_t>(std::max(threads, 1u), byGrain);
  return static_cast<unsigned>(std::min<int64_t>(chunks, kMaxWorkers + 1));
}

void interp::parallelFor(unsigned threads, int64_t n, int64_t minChunk,
                         llvm::function_ref<void(int64_t, int64_t)> fn) {
  unsigned chunks = getNumChunks(threads, n, minChunk);
  if (chunks == 0)
    return;
  if (chunks == 1 || isPoolWorker) {
    fn(0, n);
    return;
  }
  // Chunk c covers [c*n/chunks, (c+1)*n/chunks): sizes differ by at most 1.
  auto bound = [&](unsigned c) {
    return n / chunks * c + n % chunks * c / chunks;
  };
  WorkerPool &pool = WorkerPool::get();
  pool.reserve(chunks - 1);
  Latch latch(chunks - 1);
  for (unsigned c = 1; c < chunks; ++c) {
    int64_t begin = bound(c), end = bound(c + 1);
    pool.submit([&fn, &latch, begin, end] {
      fn(begin, end);
      latch.countDown();
    });
  }
  fn(0, bound(1));
  latch.wait();
}
