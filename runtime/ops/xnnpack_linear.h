// XNNPACK's f32 fully-connected operators for the Linear layers whose weights stay in float (F32,
// or F16 widened to f32 for packing). One set per session: Debian 12's XNNPACK (a 2022 snapshot)
// has no weights cache, so every operator packs its own copy of its layer's weights at creation.
// That copy lives outside the arena; bytes() reports it.
//
// Why XNNPACK for these layers: measured faster than tern's own f32 kernels on ARM and x86, at
// every M; for F16 weights only from 4 rows, below which tern's kernel reading half the bytes wins
// (the numbers are in xnnpack_linear.cc).
//
// Built from xnnpack_linear.cc with TERN_WITH_XNNPACK, else from xnnpack_linear_off.cc (no
// operators; run() always declines).
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "tern/status.h"

namespace tern {

struct Linear;

class XnnpackLinears {
 public:
  // One operator per F32/F16 Linear of `linears` (indexed by Linear::index; the Linears must
  // outlive the result). Null, without error, when none has float weights or XNNPACK is not built.
  static Result<std::unique_ptr<XnnpackLinears>> create(const std::vector<const Linear*>& linears);
  ~XnnpackLinears();

  // y[M, out] (row stride ldy) = x[M, in] (row stride ldx) W^T + b with op's operator, on `pool`
  // (null: the calling thread). Returns false, having done nothing, when op has no operator or the
  // call's strides are not the dense ones the operator was created with (an operator's strides are
  // fixed at creation; only the heads' calls on the first token of each sequence differ), or, for
  // F16 weights, M < 4. The caller then runs tern's kernel. No epilogue: the caller applies it.
  bool run(const Linear& op, const float* x, size_t ldx, size_t M, float* y, size_t ldy, pthreadpool_t pool) const;

  size_t bytes() const { return bytes_; }        // what XNNPACK allocated for the operators
  size_t operators() const { return operators_; }

  // Allocations XNNPACK made through tern's allocator in this process (tests check that run()
  // makes none). 0 without XNNPACK.
  static size_t allocations();

 private:
  XnnpackLinears() = default;
  std::vector<void*> ops_;  // xnn_operator_t by Linear::index; null for int8 Linears
  size_t bytes_ = 0, operators_ = 0;
};

}  // namespace tern
