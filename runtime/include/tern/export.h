// TERN_API marks the public C and C++ API: libtern is compiled with hidden visibility, so these are
// the only symbols a shared libtern exports (internals stay private to the library).
#pragma once

#if defined(__GNUC__)
#define TERN_API __attribute__((visibility("default")))
#else
#define TERN_API
#endif
