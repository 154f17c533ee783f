// A string -> id hash index that the converter lays out in the blob, so that loading a tokenizer
// builds nothing: open addressing over a power-of-two number of slots, each an id or -1 (empty),
// FNV-1a hashing and linear probing, with the longest probe sequence recorded so that a lookup is
// bounded even in a corrupt blob. Lookups compare the candidate's string, so a hit is always a real
// match; a tampered table can only make a lookup miss.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tern/status.h"

namespace tern {

uint32_t string_hash(std::string_view s);

// The slots for keys key(i), i < count, where include(i) (first occurrence of a duplicate wins, as
// the tokenizers' dicts built in id order do), and the longest probe sequence.
struct StringIndexTable {
  std::vector<int32_t> slots;
  uint32_t max_probe = 0;
};
template <typename Key, typename Include>
StringIndexTable build_string_index(size_t count, Key&& key, Include&& include);

class StringIndex {
 public:
  // Checks the table read from a blob: power-of-two size, ids in [-1, count), probe bound.
  Status init(const int32_t* slots, size_t size, uint32_t max_probe, size_t count, const char* what);
  // Uses a table built at load (blobs written before the index existed); keeps it.
  void adopt(StringIndexTable table);

  // The id whose key(id) equals s, or -1.
  template <typename Key>
  int32_t find(std::string_view s, Key&& key) const {
    if (slots_ == nullptr) return -1;
    for (uint32_t i = string_hash(s) & mask_, probes = 0; probes <= max_probe_; i = (i + 1) & mask_, ++probes) {
      const int32_t id = slots_[i];
      if (id < 0) return -1;
      if (key(id) == s) return id;
    }
    return -1;
  }

 private:
  const int32_t* slots_ = nullptr;
  uint32_t mask_ = 0, max_probe_ = 0;
  std::vector<int32_t> owned_;
};

template <typename Key, typename Include>
StringIndexTable build_string_index(size_t count, Key&& key, Include&& include) {
  size_t size = 8;
  while (size < 2 * count) size *= 2;  // load factor <= 1/2: short probes
  StringIndexTable t;
  t.slots.assign(size, -1);
  const uint32_t mask = uint32_t(size - 1);
  for (size_t i = 0; i < count; ++i) {
    if (!include(i)) continue;
    const std::string_view s = key(int32_t(i));
    uint32_t slot = string_hash(s) & mask, probes = 0;
    bool duplicate = false;
    for (; t.slots[slot] >= 0; slot = (slot + 1) & mask, ++probes)
      if (key(t.slots[slot]) == s) {
        duplicate = true;
        break;
      }
    if (duplicate) continue;
    t.slots[slot] = int32_t(i);
    if (probes > t.max_probe) t.max_probe = probes;
  }
  return t;
}

}  // namespace tern
