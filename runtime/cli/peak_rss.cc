#include "cli/peak_rss.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tern {

size_t peak_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  size_t kb = 0;
  while (std::fgets(line, sizeof(line), f))
    if (std::strncmp(line, "VmHWM:", 6) == 0) kb = size_t(std::strtoull(line + 6, nullptr, 10));
  std::fclose(f);
  return kb * 1024;
}

}  // namespace tern
