#include "tern/version.h"

namespace tern {

const char* version() { return TERN_VERSION_STRING; }

}  // namespace tern
