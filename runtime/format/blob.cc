#include "format/blob.h"

#include <cmath>
#include <cstring>
#include <unordered_set>

#include "format/version.h"

namespace tern {
namespace {

constexpr uint64_t kMaxDim = uint64_t(1) << 32;

uint64_t dtype_bytes(fb::DType dtype) {
  switch (dtype) {
    case fb::DType::F32: return 4;
    case fb::DType::F16: return 2;
    case fb::DType::I8: return 1;
  }
  return 0;
}

Status check_tensor(const fb::Tensor& t, uint64_t data_begin, uint64_t data_end, const uint8_t* base,
                    TensorView* view) {
  const char* name = t.name()->c_str();
  view->name = std::string_view(t.name()->c_str(), t.name()->size());
  TERN_CHECK_OR_RETURN(t.dtype() >= fb::DType::MIN && t.dtype() <= fb::DType::MAX,
                       Code::kInvalidModel, "tensor '%s': unknown dtype %d", name, int(t.dtype()));
  TERN_CHECK_OR_RETURN(t.layout() >= fb::Layout::MIN && t.layout() <= fb::Layout::MAX,
                       Code::kInvalidModel, "tensor '%s': unknown layout %d", name, int(t.layout()));
  view->dtype = t.dtype();
  view->layout = t.layout();
  const auto* shape = t.shape();
  TERN_CHECK_OR_RETURN(shape->size() >= 1 && shape->size() <= 4, Code::kInvalidModel,
                       "tensor '%s': rank %u is not 1..4", name, shape->size());
  view->rank = int(shape->size());
  for (int i = 0; i < view->rank; ++i) {
    int64_t d = shape->Get(i);
    TERN_CHECK_OR_RETURN(d > 0 && uint64_t(d) < kMaxDim, Code::kInvalidModel,
                         "tensor '%s': dimension %d is %lld", name, i, (long long)d);
    view->shape[i] = d;
  }
  uint64_t expected = tensor_payload_bytes(view->dtype, view->layout, view->rank, view->shape);
  TERN_CHECK_OR_RETURN(expected != 0, Code::kInvalidModel,
                       "tensor '%s': layout %s is not valid for dtype %s and rank %d", name,
                       fb::EnumNameLayout(view->layout), fb::EnumNameDType(view->dtype), view->rank);
  TERN_CHECK_OR_RETURN(t.size() == expected, Code::kInvalidModel,
                       "tensor '%s': payload is %llu bytes, its shape needs %llu", name,
                       (unsigned long long)t.size(), (unsigned long long)expected);
  uint64_t off = t.offset();
  TERN_CHECK_OR_RETURN(off % 64 == 0, Code::kInvalidModel,
                       "tensor '%s': offset %llu is not 64-byte aligned", name,
                       (unsigned long long)off);
  TERN_CHECK_OR_RETURN(off >= data_begin && off <= data_end && t.size() <= data_end - off,
                       Code::kInvalidModel,
                       "tensor '%s': bytes [%llu, +%llu) lie outside the data segment [%llu, %llu)",
                       name, (unsigned long long)off, (unsigned long long)t.size(),
                       (unsigned long long)data_begin, (unsigned long long)data_end);
  view->data = base + off;
  view->bytes = t.size();
  view->quant_rel_error = t.quant_rel_error();

  const int64_t rows = view->shape[0];
  if (view->dtype == fb::DType::I8) {
    TERN_CHECK_OR_RETURN(t.scales() && int64_t(t.scales()->size()) == rows, Code::kInvalidModel,
                         "tensor '%s': int8 needs %lld scales, has %u", name, (long long)rows,
                         t.scales() ? t.scales()->size() : 0u);
    for (uint32_t i = 0; i < t.scales()->size(); ++i) {
      float s = t.scales()->Get(i);
      TERN_CHECK_OR_RETURN(std::isfinite(s) && s > 0, Code::kInvalidModel,
                           "tensor '%s': scale %u is %g, must be finite and positive", name, i, s);
    }
    view->scales = t.scales()->data();
    if (view->layout == fb::Layout::N16K4) {
      int64_t padded = (rows + 15) / 16 * 16;
      TERN_CHECK_OR_RETURN(t.col_sums() && int64_t(t.col_sums()->size()) == padded,
                           Code::kInvalidModel, "tensor '%s': needs %lld column sums, has %u", name,
                           (long long)padded, t.col_sums() ? t.col_sums()->size() : 0u);
      view->col_sums = reinterpret_cast<const int32_t*>(t.col_sums()->data());
    }
  } else {
    TERN_CHECK_OR_RETURN(!t.scales() || t.scales()->size() == 0, Code::kInvalidModel,
                         "tensor '%s': float tensor carries scales", name);
  }
  return Status();
}

}  // namespace

uint64_t tensor_payload_bytes(fb::DType dtype, fb::Layout layout, int rank, const int64_t* shape) {
  uint64_t elem = dtype_bytes(dtype);
  if (elem == 0 || rank < 1 || rank > 4) return 0;
  if (layout == fb::Layout::N16K4) {
    if (dtype != fb::DType::I8 || rank != 2) return 0;
    uint64_t n = (uint64_t(shape[0]) + 15) / 16 * 16, k = (uint64_t(shape[1]) + 3) / 4 * 4;
    return n * k;  // each < 2^32 + 16: no overflow in 64 bits
  }
  if (layout != fb::Layout::RowMajor) return 0;
  uint64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] <= 0 || uint64_t(shape[i]) >= kMaxDim) return 0;
    if (count > (uint64_t(1) << 40) / uint64_t(shape[i])) return 0;  // 1 TiB of elements: refuse
    count *= uint64_t(shape[i]);
  }
  return count * elem;
}

const TensorView* Blob::find(std::string_view name) const {
  for (const TensorView& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Result<Blob> Blob::validate(const uint8_t* data, size_t size) {
  TERN_CHECK_OR_RETURN(data != nullptr, Code::kInvalidArgument, "blob: null buffer");
  TERN_CHECK_OR_RETURN(reinterpret_cast<uintptr_t>(data) % 64 == 0, Code::kInvalidArgument,
                       "blob: buffer address must be 64-byte aligned");
  TERN_CHECK_OR_RETURN(size >= 16, Code::kInvalidModel,
                       "blob: %zu bytes is too small to be a .tern file", size);
  TERN_CHECK_OR_RETURN(flatbuffers::BufferHasIdentifier(data, fb::ModelIdentifier(), true),
                       Code::kInvalidModel,
                       "blob: identifier is not 'TERN' (not a .tern file, or corrupt)");
  uint32_t table_size;
  std::memcpy(&table_size, data, 4);
  TERN_CHECK_OR_RETURN(uint64_t(table_size) + 4 <= size, Code::kInvalidModel,
                       "blob: header says %u bytes of tables but the file has %zu (truncated?)",
                       table_size, size);
  flatbuffers::Verifier verifier(data, size_t(table_size) + 4);
  TERN_CHECK_OR_RETURN(fb::VerifySizePrefixedModelBuffer(verifier), Code::kInvalidModel,
                       "blob: table structure is corrupt (flatbuffers verifier failed)");
  Blob blob;
  blob.size_ = size;
  blob.model_ = fb::GetSizePrefixedModel(data);
  const fb::Model& m = *blob.model_;
  TERN_CHECK_OR_RETURN(m.version_major() <= kFormatMajor, Code::kInvalidModel,
                       "blob: format version %u.%u is newer than this runtime's %d.%d; "
                       "upgrade tern or re-convert the model",
                       m.version_major(), m.version_minor(), kFormatMajor, kFormatMinor);
  TERN_CHECK_OR_RETURN(m.version_major() == kFormatMajor, Code::kInvalidModel,
                       "blob: format version %u.%u is older than the oldest this runtime reads "
                       "(%d.0); re-convert the model",
                       m.version_major(), m.version_minor(), kFormatMajor);
  uint64_t begin = m.data_offset(), bytes = m.data_size();
  TERN_CHECK_OR_RETURN(begin >= uint64_t(table_size) + 4 && begin <= size && bytes <= size - begin,
                       Code::kInvalidModel,
                       "blob: data segment [%llu, +%llu) does not fit in the file of %zu bytes "
                       "(truncated?)",
                       (unsigned long long)begin, (unsigned long long)bytes, size);
  std::unordered_set<std::string_view> names;
  blob.tensors_.resize(m.tensors()->size());
  for (uint32_t i = 0; i < m.tensors()->size(); ++i) {
    TERN_RETURN_IF_ERROR(check_tensor(*m.tensors()->Get(i), begin, begin + bytes, data,
                                      &blob.tensors_[i]));
    TERN_CHECK_OR_RETURN(names.insert(blob.tensors_[i].name).second, Code::kInvalidModel,
                         "blob: tensor '%s' appears twice", m.tensors()->Get(i)->name()->c_str());
  }
  return blob;
}

}  // namespace tern
