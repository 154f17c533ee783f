#pragma once

#include <cstddef>

namespace tern {

// A pointer and a length; never owns.
template <typename T>
struct Span {
  T* data = nullptr;
  size_t size = 0;

  T& operator[](size_t i) const { return data[i]; }
  T* begin() const { return data; }
  T* end() const { return data + size; }
};

}  // namespace tern
