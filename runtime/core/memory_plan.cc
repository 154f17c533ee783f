#include "core/memory_plan.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace tern {

int MemoryPlan::add(const char* name, size_t bytes, int first_step, int last_step, bool persistent) {
  if (bytes > kTooLarge - kArenaAlignment) {  // align_up would wrap
    fits_ = false;
    bytes = 0;
  }
  buffers_.push_back({name, align_up(bytes, kArenaAlignment), 0, first_step, last_step, persistent});
  return static_cast<int>(buffers_.size()) - 1;
}

std::string MemoryPlan::describe() const {
  std::vector<const Buffer*> order;
  for (const Buffer& b : buffers_)
    if (b.bytes) order.push_back(&b);
  std::stable_sort(order.begin(), order.end(), [](const Buffer* a, const Buffer* b) { return a->offset < b->offset; });
  auto step = [&](int i) {
    return i >= 0 && size_t(i) < step_names_.size() ? std::string(step_names_[size_t(i)]) : std::to_string(i);
  };
  std::string out;
  char line[200];
  for (bool persistent : {true, false}) {
    std::snprintf(line, sizeof line, "  %s section: %zu bytes\n", persistent ? "persistent" : "scratch",
                  persistent ? persistent_ : total_ - persistent_);
    out += line;
    for (const Buffer* b : order) {
      if (b->persistent != persistent) continue;
      const std::string life = b->first == b->last ? step(b->first) : step(b->first) + ".." + step(b->last);
      std::snprintf(line, sizeof line, "    %-16s %12zu bytes at %12zu, %s\n", b->name, b->bytes, b->offset,
                    life.c_str());
      out += line;
    }
  }
  return out;
}

void MemoryPlan::poison_born(uint8_t* arena, int step) const {
  for (const Buffer& b : buffers_)
    if (b.first == step && !b.persistent && b.bytes) std::memset(arena + b.offset, 0xFF, b.bytes);
}

size_t MemoryPlan::unshared_bytes() const {
  size_t sum = 0;
  for (const Buffer& b : buffers_) sum = add_size(sum, b.bytes);
  return sum;
}

void MemoryPlan::plan() {
  std::vector<int> order(buffers_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  // Persistent ones first, in the order added; then the largest first (ties in the order added).
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (buffers_[a].persistent != buffers_[b].persistent) return buffers_[a].persistent;
    return !buffers_[a].persistent && buffers_[a].bytes > buffers_[b].bytes;
  });
  std::vector<int> placed;
  total_ = persistent_ = 0;
  for (int i : order) {
    Buffer& b = buffers_[i];
    if (b.persistent) {  // one after another: the section is never shared
      b.offset = persistent_;
      total_ = persistent_ = add_size(persistent_, b.bytes);
      continue;
    }
    // Collect placed buffers alive at the same time, sorted by offset, and take the first gap.
    std::vector<int> live;
    for (int j : placed) {
      const Buffer& p = buffers_[j];
      if (p.first <= b.last && b.first <= p.last) live.push_back(j);
    }
    std::sort(live.begin(), live.end(),
              [&](int x, int y) { return buffers_[x].offset < buffers_[y].offset; });
    size_t candidate = persistent_;
    for (int j : live) {
      const Buffer& p = buffers_[j];
      if (add_size(candidate, b.bytes) <= p.offset) break;
      candidate = std::max(candidate, add_size(p.offset, p.bytes));
    }
    b.offset = candidate;
    total_ = std::max(total_, add_size(candidate, b.bytes));
    placed.push_back(i);
  }
  if (total_ > kTooLarge - kArenaAlignment) fits_ = false;  // the arena is allocated aligned up
}

}  // namespace tern
