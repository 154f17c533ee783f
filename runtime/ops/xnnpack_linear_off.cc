// XnnpackLinears for builds without XNNPACK (-DTERN_WITH_XNNPACK=OFF): no operators, so every
// float Linear runs tern's own kernels.
#include "ops/xnnpack_linear.h"

namespace tern {

Result<std::unique_ptr<XnnpackLinears>> XnnpackLinears::create(const std::vector<const Linear*>&) {
  return std::unique_ptr<XnnpackLinears>();
}

XnnpackLinears::~XnnpackLinears() = default;

bool XnnpackLinears::run(const Linear&, const float*, size_t, size_t, float*, size_t, pthreadpool_t) const {
  return false;
}

size_t XnnpackLinears::allocations() { return 0; }

}  // namespace tern
