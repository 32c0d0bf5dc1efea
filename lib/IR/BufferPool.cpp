//===- BufferPool.cpp - Recycled tensor storage ---------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/BufferPool.h"

#include <iterator>

using namespace qlc;

namespace {
thread_local BufferPool *currentPool = nullptr;
/// Smaller buffers are cheap to allocate and not worth a lock.
constexpr size_t kMinPooledBytes = 4096;
} // namespace

BufferPool::BufferPool(size_t maxPooledBytes)
    : maxPooledBytes(maxPooledBytes) {}

std::shared_ptr<std::string> BufferPool::acquire(size_t bytes, bool *recycled) {
  if (recycled)
    *recycled = false;
  if (bytes >= kMinPooledBytes) {
    std::lock_guard<std::mutex> lock(mutex);
    // Best fit; a much larger buffer would waste its capacity.
    auto it = byCapacity.lower_bound(bytes);
    if (it != byCapacity.end() && it->first / 2 <= bytes) {
      // Of equal fits, the most recently released is likeliest in cache.
      it = std::prev(byCapacity.upper_bound(it->first));
      std::shared_ptr<std::string> buffer = std::move(it->second);
      pooledBytes -= it->first;
      byCapacity.erase(it);
      // Within the capacity: shrinking keeps the bytes, growing zero-fills
      // only the tail, and neither reallocates.
      buffer->resize(bytes);
      if (recycled)
        *recycled = true;
      return buffer;
    }
  }
  return std::make_shared<std::string>(bytes, '\0');
}

void BufferPool::recycle(std::shared_ptr<std::string> buffer) {
  if (!buffer || buffer.use_count() != 1 ||
      buffer->capacity() < kMinPooledBytes)
    return;
  size_t capacity = buffer->capacity();
  std::lock_guard<std::mutex> lock(mutex);
  if (pooledBytes + capacity > maxPooledBytes)
    return;
  pooledBytes += capacity;
  byCapacity.emplace(capacity, std::move(buffer));
}

BufferPool *BufferPool::getCurrent() { return currentPool; }

BufferPool::Scope::Scope(BufferPool &pool) : previous(currentPool) {
  currentPool = &pool;
}

BufferPool::Scope::~Scope() { currentPool = previous; }
