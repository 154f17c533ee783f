// Peak resident memory of this process, for the tools' reports (tern bench, tern-convert --report).
#pragma once

#include <cstddef>

namespace tern {

// Bytes: VmHWM from /proc/self/status, which (unlike getrusage's ru_maxrss) does not carry over the
// high-water mark of whatever process exec'd this one. 0 where /proc is not there.
size_t peak_rss_bytes();

}  // namespace tern
