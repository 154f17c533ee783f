// Validates an untrusted .tern blob and gives typed, bounds-checked views of its tensors. Every
// check happens here, once, at load: after validate() succeeds, no later layer can read outside
// the blob by trusting a field of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tern/status.h"
#include "tern_generated.h"

namespace tern {

struct TensorView {
  std::string_view name;
  fb::DType dtype;
  fb::Layout layout;
  int rank = 0;
  int64_t shape[4] = {0, 0, 0, 0};
  const void* data = nullptr;   // inside the blob, 64-byte aligned
  uint64_t bytes = 0;
  const float* scales = nullptr;     // I8 only: [shape[0]]
  const int32_t* col_sums = nullptr; // I8 N16K4 only: [round_up(shape[0], 16)]
  float quant_rel_error = 0;
};

class Blob {
 public:
  // `data` must stay alive and unchanged for as long as the Blob and its views are used; it must be
  // 64-byte aligned (mmap and tern's loaders guarantee it).
  static Result<Blob> validate(const uint8_t* data, size_t size);

  const fb::Model& model() const { return *model_; }
  const std::vector<TensorView>& tensors() const { return tensors_; }
  size_t size() const { return size_; }
  // nullptr when absent.
  const TensorView* find(std::string_view name) const;

 private:
  const fb::Model* model_ = nullptr;
  size_t size_ = 0;
  std::vector<TensorView> tensors_;
};

// Bytes a tensor of this dtype/layout/shape occupies in the data segment; 0 when the combination is
// invalid or the count overflows.
uint64_t tensor_payload_bytes(fb::DType dtype, fb::Layout layout, int rank, const int64_t* shape);

}  // namespace tern
