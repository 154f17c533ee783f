// Status and Result<T>: how every fallible runtime call reports failure. No exceptions, and no heap:
// the message lives in a fixed buffer inside the Status, so an error path never allocates either.
#pragma once

#include <cstdio>
#include <new>
#include <utility>

#include "tern/export.h"

namespace tern {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller passed something wrong (options, inputs, ids out of range)
  kInvalidModel,     // the blob is corrupt, truncated, inconsistent or from a newer format
  kUnsupported,      // valid, but this build or CPU cannot do it (an ISA, a feature)
  kIo,               // the file system said no
  kResourceExhausted,  // arena too small, more tokens than planned
  kCancelled,        // the caller asked to stop (a token stream's callback returned false)
};  // values are stable (the C API's tern_status has the same numbers): new codes go last

TERN_API const char* code_name(Code code);

class TERN_API Status {
 public:
  Status() = default;
  // printf-style message: "what, where" ("tensor 'x': shape [3, 4] does not match hidden_size=8").
  static Status error(Code code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const char* message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  char message_[240] = {0};
};

template <typename T>
class Result {
 public:
  Result(T value) : has_value_(true) { new (&value_) T(std::move(value)); }  // NOLINT: implicit by design
  Result(Status status) : status_(status) {}                                // NOLINT
  Result(Result&& other) : status_(other.status_), has_value_(other.has_value_) {
    if (has_value_) new (&value_) T(std::move(other.value_));
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result() {
    if (has_value_) value_.~T();
  }

  bool ok() const { return has_value_; }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  T* operator->() { return &value_; }

 private:
  Status status_;
  bool has_value_ = false;
  union {
    T value_;
  };
};

}  // namespace tern

#define TERN_CHECK_OR_RETURN(cond, code, ...)                        \
  do {                                                               \
    if (!(cond)) return ::tern::Status::error(::tern::code, __VA_ARGS__); \
  } while (0)

#define TERN_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::tern::Status tern_status_ = (expr);   \
    if (!tern_status_.ok()) return tern_status_; \
  } while (0)
