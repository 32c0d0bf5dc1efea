//===- Parallel.h - Parallel-for over a shared worker pool ------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels split their work with parallelFor, which honours
// KernelContext::threads: the range is cut into at most `threads` contiguous
// chunks, the calling thread runs the first and a process-wide pool of
// workers (grown lazily, never beyond the largest thread count requested)
// runs the others. A parallelFor issued from inside a worker runs inline, so
// nesting can never deadlock. Chunks are contiguous and deterministic: a
// kernel whose chunks write disjoint outputs gives bit-identical results for
// every thread count.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_PARALLEL_H
#define QLC_LIB_INTERP_KERNELS_PARALLEL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace qlc {
namespace interp {

/// Runs `fn(begin, end)` over disjoint chunks covering [0, n). Uses at most
/// `threads` threads and gives each at least `minChunk` items (so small
/// ranges stay on the calling thread). Returns after every chunk finished.
void parallelFor(unsigned threads, int64_t n, int64_t minChunk,
                 llvm::function_ref<void(int64_t begin, int64_t end)> fn);

/// The number of chunks parallelFor would use; lets a kernel allocate
/// per-chunk scratch space up front.
unsigned getNumChunks(unsigned threads, int64_t n, int64_t minChunk);

/// Items per chunk below which splitting does not pay for the hand-off to a
/// worker (~10 µs); for cheap elementwise work.
constexpr int64_t kElementwiseGrain = 1 << 15;

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_PARALLEL_H
