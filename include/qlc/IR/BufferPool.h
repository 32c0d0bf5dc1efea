//===- BufferPool.h - Recycled tensor storage ------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The interpreter frees an intermediate tensor after its last reader and
// allocates a tensor of the same few sizes for the next node. A fresh
// multi-megabyte allocation costs page faults and a zero fill; a BufferPool
// keeps released storage instead and hands it back out, warm in cache.
// Tensor::uninitialized and the zero-filling Tensor constructor draw from
// the pool active on the calling thread (BufferPool::Scope); without one
// they allocate as before.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_BUFFERPOOL_H
#define QLC_IR_BUFFERPOOL_H

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace qlc {

class BufferPool {
public:
  /// Buffers beyond `maxPooledBytes` in total are freed, not kept.
  explicit BufferPool(size_t maxPooledBytes = size_t(1) << 30);

  /// A buffer of exactly `bytes` bytes. Its contents are unspecified when
  /// it is recycled (a pooled buffer whose capacity is at least `bytes` and
  /// at most twice that); otherwise it is newly allocated and zero-filled.
  /// `recycled`, when given, tells which of the two happened.
  std::shared_ptr<std::string> acquire(size_t bytes, bool *recycled = nullptr);
  /// Keeps `buffer` for reuse when nobody else holds it.
  void recycle(std::shared_ptr<std::string> buffer);

  /// The pool of the innermost Scope on this thread, or null.
  static BufferPool *getCurrent();

  /// Makes `pool` the calling thread's current pool until destroyed.
  class Scope {
  public:
    explicit Scope(BufferPool &pool);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    BufferPool *previous;
  };

private:
  mutable std::mutex mutex;
  std::multimap<size_t, std::shared_ptr<std::string>> byCapacity;
  size_t pooledBytes = 0, maxPooledBytes;
};

} // namespace qlc

#endif // QLC_IR_BUFFERPOOL_H
