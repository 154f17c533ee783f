// Greedy memory planner: places buffers in one arena so that buffers whose lifetimes overlap never
// share bytes (the same idea as TFLite Micro's GreedyMemoryPlanner). Lifetimes are in abstract steps
// [first, last], inclusive. Planning happens once at session creation; nothing here runs in run().
#pragma once

#include <cstddef>
#include <vector>

namespace tern {

constexpr size_t kArenaAlignment = 64;

class MemoryPlan {
 public:
  // Returns the buffer's index, used to ask for its offset after plan().
  int add(size_t bytes, int first_step, int last_step);
  // Assigns offsets: largest buffers first, each at the lowest aligned offset that does not overlap
  // a placed buffer alive at the same time.
  void plan();
  size_t offset(int index) const { return buffers_[index].offset; }
  size_t total_bytes() const { return total_; }
  // Sum of all buffer sizes: what the arena would need without sharing.
  size_t unshared_bytes() const;

 private:
  struct Buffer {
    size_t bytes, offset;
    int first, last;
  };
  std::vector<Buffer> buffers_;
  size_t total_ = 0;
};

inline size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace tern
