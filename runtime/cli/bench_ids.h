// Input ids for `tern bench`: fixed pseudo-random ids, the same on every run and platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tern::cli {

// `count` ids in [0, vocab): above the first five (where the special tokens usually are) when the
// vocabulary has more than five ids, anywhere in it otherwise. `vocab` must be at least 1 (a
// loaded model's is).
std::vector<int64_t> bench_ids(size_t count, int vocab);

}  // namespace tern::cli
