// Binds a blob's tensors to a model's weight structs by canonical name, checking each shape and
// dtype against the config, and that no tensor is left unused.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "format/blob.h"
#include "ops/ops.h"
#include "tern/model.h"

namespace tern {

// A blob's activation as the runtime's, refused when unknown.
inline Status activation_from(fb::Activation a, Activation* out) {
  TERN_CHECK_OR_RETURN(a >= fb::Activation::MIN && a <= fb::Activation::MAX, Code::kInvalidModel,
                       "config: unknown activation %d", int(a));
  *out = Activation(int(a));
  return Status();
}

class Binder {
 public:
  explicit Binder(const Blob& blob) : blob_(blob) {}

  Status tensor(const std::string& name, std::initializer_list<int64_t> shape,
                const TensorView** out) {
    const TensorView* t = blob_.find(name);
    TERN_CHECK_OR_RETURN(t != nullptr, Code::kInvalidModel, "tensor '%s' is missing", name.c_str());
    used_.insert(t->name);
    bool match = t->rank == int(shape.size());
    for (size_t i = 0; match && i < shape.size(); ++i) match = t->shape[i] == shape.begin()[i];
    TERN_CHECK_OR_RETURN(match, Code::kInvalidModel, "tensor '%s': shape %s does not match %s",
                         name.c_str(), shape_str(t->rank, t->shape).c_str(),
                         shape_str(int(shape.size()), shape.begin()).c_str());
    *out = t;
    return Status();
  }

  Status f32(const std::string& name, int64_t dim, const float** out) {
    return f32(name, {dim}, out);
  }

  Status f32(const std::string& name, std::initializer_list<int64_t> shape, const float** out) {
    const TensorView* t = nullptr;
    TERN_RETURN_IF_ERROR(tensor(name, shape, &t));
    TERN_CHECK_OR_RETURN(t->dtype == fb::DType::F32, Code::kInvalidModel,
                         "tensor '%s': must be f32, is %s", name.c_str(),
                         fb::EnumNameDType(t->dtype));
    *out = static_cast<const float*>(t->data);
    return Status();
  }

  Status norm(const std::string& prefix, int64_t dim, Norm* out) {
    TERN_RETURN_IF_ERROR(f32(prefix + ".weight", dim, &out->weight));
    return f32(prefix + ".bias", dim, &out->bias);
  }

  // A Linear layer `prefix`.weight [out, in] and, unless without_bias, `prefix`.bias [out].
  Status linear(const std::string& prefix, int64_t out_dim, int64_t in_dim, Linear* out,
                bool without_bias = false) {
    TERN_RETURN_IF_ERROR(tensor(prefix + ".weight", {out_dim, in_dim}, &out->weight));
    const TensorView& w = *out->weight;
    bool ok = (w.dtype == fb::DType::I8 && w.layout == fb::Layout::N16K4) ||
              (w.dtype != fb::DType::I8 && w.layout == fb::Layout::RowMajor);
    TERN_CHECK_OR_RETURN(ok, Code::kInvalidModel,
                         "tensor '%s.weight': %s weights in layout %s are not supported",
                         prefix.c_str(), fb::EnumNameDType(w.dtype), fb::EnumNameLayout(w.layout));
    out->out = size_t(out_dim);
    out->in = size_t(in_dim);
    out->index = int(linears_.size());
    linears_.push_back(out);
    if (without_bias) return Status();
    return f32(prefix + ".bias", out_dim, &out->bias);
  }

  // Every Linear bound so far, by Linear::index (pointers into the weights being bound).
  const std::vector<const Linear*>& linears() const { return linears_; }

  Status embedding(const std::string& name, int64_t rows, int64_t dim, const TensorView** out) {
    TERN_RETURN_IF_ERROR(tensor(name, {rows, dim}, out));
    TERN_CHECK_OR_RETURN((*out)->layout == fb::Layout::RowMajor, Code::kInvalidModel,
                         "tensor '%s': embeddings must be row-major", name.c_str());
    return Status();
  }

  // Every tensor of the blob must have been claimed: an unknown one means a converter/runtime
  // mismatch, and silently ignoring weights would give wrong answers.
  Status all_used() const {
    for (const TensorView& t : blob_.tensors())
      TERN_CHECK_OR_RETURN(used_.count(t.name), Code::kInvalidModel,
                           "tensor '%.*s' is not used by this encoder (converter/runtime mismatch)",
                           int(t.name.size()), t.name.data());
    return Status();
  }

  static std::string shape_str(int rank, const int64_t* s) {
    std::string r = "[";
    for (int i = 0; i < rank; ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
  }

 private:
  const Blob& blob_;
  std::unordered_set<std::string_view> used_;
  std::vector<const Linear*> linears_;
};

}  // namespace tern
