//===- DnnlSupport.cpp - oneDNN engine and threading for kernels ----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Kernels/DnnlSupport.h"

#include <cstdint>
#include <omp.h>

using namespace qlc;
using namespace qlc::interp;

dnnl::engine &interp::getDnnlEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

void interp::setDnnlThreads(unsigned threads) {
  int n = threads < 1 ? 1 : static_cast<int>(threads);
  if (omp_get_max_threads() != n)
    omp_set_num_threads(n);
}

dnnl::memory::desc interp::getPlainDesc(llvm::ArrayRef<int64_t> shape) {
  using tag = dnnl::memory::format_tag;
  size_t rank = shape.size();
  tag t = rank == 3 ? tag::ncw : rank == 4 ? tag::nchw : tag::ncdhw;
  return dnnl::memory::desc(dnnl::memory::dims(shape.begin(), shape.end()),
                            dnnl::memory::data_type::f32, t);
}

/// oneDNN asks for 64-byte aligned buffers for its vector kernels; a
/// std::string's data is only 16-byte aligned.
static constexpr size_t kAlignment = 64;

static void *alignUp(char *p) {
  auto address = reinterpret_cast<uintptr_t>(p);
  return p + (kAlignment - address % kAlignment) % kAlignment;
}

DnnlOpaqueTensor::DnnlOpaqueTensor(const dnnl::memory::desc &desc,
                                   llvm::ArrayRef<int64_t> shape)
    : storage(Tensor::uninitialized(
          ElementType::UInt8,
          {static_cast<int64_t>(desc.get_size() + kAlignment)})),
      memory(desc, getDnnlEngine(), alignUp(storage.getMutableRawData())),
      shape(shape.begin(), shape.end()) {}

Tensor DnnlOpaqueTensor::toTensor() const {
  Tensor t = Tensor::uninitialized(ElementType::Float, shape);
  dnnl::memory plain(getPlainDesc(shape), getDnnlEngine(),
                     t.getMutableRawData());
  dnnl::stream stream(getDnnlEngine());
  dnnl::reorder(memory, plain)
      .execute(stream, const_cast<dnnl::memory &>(memory), plain);
  stream.wait();
  return t;
}

dnnl::primitive_attr interp::makeStrictAttr() {
  dnnl::primitive_attr attr;
  attr.set_fpmath_mode(dnnl::fpmath_mode::strict);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void interp::sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                   float alpha, const float *a, int64_t lda, const float *b,
                   int64_t ldb, float beta, float *c, int64_t ldc,
                   unsigned threads) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) { // no products: C = beta * C (oneDNN wants k >= 1)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  setDnnlThreads(threads);
  // dnnl_sgemm is row-major and only fails on invalid arguments, which the
  // callers rule out.
  dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a, lda, b,
             ldb, beta, c, ldc);
}
