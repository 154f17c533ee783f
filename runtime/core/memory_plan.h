// Greedy memory planner: places buffers in one arena so that buffers whose lifetimes overlap never
// share bytes (the same idea as TFLite Micro's GreedyMemoryPlanner). Lifetimes are in abstract steps
// [first, last], inclusive. Planning happens once at session creation; nothing here runs in run().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tern {

constexpr size_t kArenaAlignment = 64;

// Byte counts for add(): products and sums that saturate at kTooLarge instead of wrapping. Options
// that fit a 64-bit size_t can exceed a 32-bit one; such a plan must be refused, not placed wrapped.
constexpr size_t kTooLarge = SIZE_MAX;
inline size_t mul_size(size_t a, size_t b) {
  size_t r;
  return __builtin_mul_overflow(a, b, &r) ? kTooLarge : r;
}
inline size_t add_size(size_t a, size_t b) {
  size_t r;
  return __builtin_add_overflow(a, b, &r) ? kTooLarge : r;
}
template <typename... T>
size_t product(size_t a, T... rest) {
  ((a = mul_size(a, size_t(rest))), ...);
  return a;
}

class MemoryPlan {
 public:
  // Returns the buffer's index, used to ask for its offset after plan(). kTooLarge (or any size
  // whose placement does not fit in size_t) makes the plan not fit(). `name` (a literal) is for
  // describe(); a `persistent` buffer is written outside a run (its inputs, or tables made at
  // creation) and never poisoned.
  int add(const char* name, size_t bytes, int first_step, int last_step, bool persistent = false);
  // Names for steps 0, 1, ... (literals), so that describe() prints lifetimes as phases.
  void name_steps(std::vector<const char*> names) { step_names_ = std::move(names); }
  // Assigns offsets: the persistent buffers first, one after another (the persistent section),
  // then the scratch section after them: largest buffers first, each at the lowest aligned offset
  // that does not overlap a placed buffer alive at the same time.
  void plan();
  size_t offset(int index) const { return buffers_[index].offset; }
  size_t total_bytes() const { return total_; }
  // False when the arena would exceed what size_t addresses: offsets and total are then meaningless.
  bool fits() const { return fits_; }
  // Sum of all buffer sizes: what the arena would need without sharing.
  size_t unshared_bytes() const;
  // The persistent section, then the scratch section: one line per buffer, by offset: name,
  // bytes, offset, lifetime in steps (by name when named).
  std::string describe() const;
  // Debug: fills every non-persistent buffer born at `step` with 0xFF bytes (NaN as floats, -1 as
  // ints), so that reading scratch before writing it shows in the results.
  void poison_born(uint8_t* arena, int step) const;

 private:
  struct Buffer {
    const char* name;
    size_t bytes, offset;
    int first, last;
    bool persistent;
  };
  std::vector<Buffer> buffers_;
  std::vector<const char*> step_names_;
  size_t persistent_ = 0;  // bytes of the persistent section, at offset 0
  size_t total_ = 0;
  bool fits_ = true;
};

inline size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace tern
