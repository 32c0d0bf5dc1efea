//===- LogicalResult.h - Success/failure without a payload ------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// LLVM 14 has no LogicalResult (it lives in MLIR). Pattern matches use it:
// "did not apply" is not an error, so it must not be an llvm::Error.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_SUPPORT_LOGICALRESULT_H
#define QLC_SUPPORT_LOGICALRESULT_H

namespace qlc {

class [[nodiscard]] LogicalResult {
public:
  static LogicalResult success(bool ok = true) { return LogicalResult(ok); }
  static LogicalResult failure(bool fail = true) { return LogicalResult(!fail); }
  bool succeeded() const { return ok; }
  bool failed() const { return !ok; }

private:
  explicit LogicalResult(bool ok) : ok(ok) {}
  bool ok;
};

inline LogicalResult success() { return LogicalResult::success(); }
inline LogicalResult failure() { return LogicalResult::failure(); }
inline bool succeeded(LogicalResult r) { return r.succeeded(); }
inline bool failed(LogicalResult r) { return r.failed(); }

} // namespace qlc

#endif // QLC_SUPPORT_LOGICALRESULT_H
