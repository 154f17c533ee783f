#include <doctest/doctest.h>

#include <cstdint>

#include "core/memory_plan.h"

using tern::MemoryPlan;

TEST_SUITE("memory_plan") {
  TEST_CASE("buffers alive at the same time never overlap; disjoint lifetimes share") {
    MemoryPlan p;
    int a = p.add("buf", 1000, 0, 2);
    int b = p.add("buf", 500, 1, 3);
    int c = p.add("buf", 800, 3, 4);  // after a dies: may reuse a's bytes
    int d = p.add("buf", 100, 0, 4);
    p.plan();
    auto overlap = [&](int x, int y, size_t nx, size_t ny) {
      return p.offset(x) < p.offset(y) + ny && p.offset(y) < p.offset(x) + nx;
    };
    CHECK_FALSE(overlap(a, b, 1024, 512));
    CHECK_FALSE(overlap(a, d, 1024, 128));
    CHECK_FALSE(overlap(b, c, 512, 832));
    CHECK_FALSE(overlap(b, d, 512, 128));
    CHECK_FALSE(overlap(c, d, 832, 128));
    CHECK(p.total_bytes() < p.unshared_bytes());
    for (int i : {a, b, c, d}) CHECK(p.offset(i) % 64 == 0);
  }

  TEST_CASE("sizes beyond size_t are refused, not wrapped (reachable on 32-bit targets)") {
    CHECK(tern::product(SIZE_MAX / 2 + 1, 2) == tern::kTooLarge);
    CHECK(tern::product(SIZE_MAX / 2 + 1, 2, 0) == 0);  // saturation never hides an exact zero
    CHECK(tern::product(1000, 1000, 4) == 4000000);
    MemoryPlan fits;
    fits.add("fits", 1000, 0, 1);
    fits.plan();
    CHECK(fits.fits());
    MemoryPlan huge;
    huge.add("huge", tern::product(SIZE_MAX / 2 + 1, 2), 0, 1);
    huge.plan();
    CHECK_FALSE(huge.fits());
    MemoryPlan together;  // each fits, both alive at once do not
    together.add("half", SIZE_MAX / 2, 0, 1);
    together.add("half", SIZE_MAX / 2, 1, 2);
    together.plan();
    CHECK_FALSE(together.fits());
  }
}
