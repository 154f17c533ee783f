#include "text/string_index.h"

namespace tern {

uint32_t string_hash(std::string_view s) {  // FNV-1a, 32-bit
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

Status StringIndex::init(const int32_t* slots, size_t size, uint32_t max_probe, size_t count, const char* what) {
  TERN_CHECK_OR_RETURN(size >= 2 && (size & (size - 1)) == 0 && size <= (size_t(1) << 30) && size >= count,
                       Code::kInvalidModel, "tokenizer: %s index of %zu slots for %zu entries", what, size, count);
  TERN_CHECK_OR_RETURN(max_probe < size, Code::kInvalidModel, "tokenizer: %s index probe bound %u >= %zu slots",
                       what, max_probe, size);
  for (size_t i = 0; i < size; ++i)
    TERN_CHECK_OR_RETURN(slots[i] >= -1 && int64_t(slots[i]) < int64_t(count), Code::kInvalidModel,
                         "tokenizer: %s index slot %zu holds id %d, outside %zu entries", what, i, slots[i], count);
  slots_ = slots;
  mask_ = uint32_t(size - 1);
  max_probe_ = max_probe;
  return Status();
}

void StringIndex::adopt(StringIndexTable table) {
  owned_ = std::move(table.slots);
  slots_ = owned_.data();
  mask_ = uint32_t(owned_.size() - 1);
  max_probe_ = table.max_probe;
}

}  // namespace tern
