#include "cli/bench_ids.h"

namespace tern::cli {

std::vector<int64_t> bench_ids(size_t count, int vocab) {
  // `x % (vocab - 5)` divided by zero at vocab 5 and wrapped below it to ids outside the vocabulary.
  const uint64_t first = vocab > 5 ? 5 : 0, span = uint64_t(vocab) - first;
  std::vector<int64_t> ids(count);
  uint64_t x = 88172645463325252ull;  // xorshift64
  for (auto& id : ids) x ^= x << 13, x ^= x >> 7, x ^= x << 17, id = int64_t(first + x % span);
  return ids;
}

}  // namespace tern::cli
