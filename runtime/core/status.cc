#include "tern/status.h"

#include <cstdarg>

namespace tern {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kInvalidModel: return "invalid model";
    case Code::kUnsupported: return "unsupported";
    case Code::kIo: return "i/o error";
    case Code::kResourceExhausted: return "resource exhausted";
    case Code::kCancelled: return "cancelled";
  }
  return "unknown";
}

Status Status::error(Code code, const char* fmt, ...) {
  Status s;
  s.code_ = code;
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(s.message_, sizeof(s.message_), fmt, args);
  va_end(args);
  return s;
}

}  // namespace tern
