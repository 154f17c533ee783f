// Typed reads of JSON config fields. Each refuses a bad value with one message naming the file,
// the field and the value ("/m/config.json: 'vocab_size' is 4294968396, must be an integer in
// 1..2147483647"). nlohmann's get<int>() narrows silently (2^32 + 1100 reads as 1100) and its type
// errors name nothing, so no integer leaves a JSON document except through json_int().
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace tern::convert {

// `v` as an integer in [lo, hi]; otherwise throws ConvertError "<what> is <v>, must be ...".
// `what` names the file and field. The single narrowing point for JSON integers.
int64_t json_int(const nlohmann::json& v, const std::string& what, int64_t lo, int64_t hi);

// An object's fields; `where` is the file, plus a path inside it for nested objects
// ("/m/config.json: task_specific_params.summarization"). Refers to `object`, which must outlive it
// (null reads as an empty object).
class JsonFields {
 public:
  JsonFields(const nlohmann::json& object, std::string where);

  const std::string& where() const { return where_; }
  const nlohmann::json& json() const { return obj_; }
  // Present and not null (HF configs write null for "unset").
  bool has(const std::string& key) const;
  // "<where>: 'key'", for messages.
  std::string field(const std::string& key) const;

  // Required integer in [lo, hi] (clamped to T's range).
  template <typename T = int>
  T integer(const std::string& key, int64_t lo = std::numeric_limits<T>::min(),
            int64_t hi = std::numeric_limits<T>::max()) const {
    static_assert(std::is_signed_v<T>, "JSON integers are read as signed");
    if (!has(key)) throw_missing(key);
    return T(json_int(obj_[key], field(key), std::max<int64_t>(lo, std::numeric_limits<T>::min()),
                      std::min<int64_t>(hi, std::numeric_limits<T>::max())));
  }
  // Optional integer: `fallback` when absent or null.
  template <typename T = int>
  T integer_or(const std::string& key, T fallback, int64_t lo = std::numeric_limits<T>::min(),
               int64_t hi = std::numeric_limits<T>::max()) const {
    return has(key) ? integer<T>(key, lo, hi) : fallback;
  }
  // Optional number, finite as a float and accepted by `ok`; `rule` says what `ok` wants
  // ("a number in (0, 1)") for the message.
  float number_or(const std::string& key, float fallback, bool (*ok)(float), const char* rule) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  std::string string_or(const std::string& key, const std::string& fallback) const;
  // A nested object, or an empty one when absent or null; throws when it is something else.
  JsonFields object_or_empty(const std::string& key) const;

 private:
  [[noreturn]] void throw_missing(const std::string& key) const;
  const nlohmann::json& obj_;
  std::string where_;
};

// An array element or other value that is no object field: a string, a boolean, a number finite as
// a float; otherwise throws ConvertError "<what> is <v>, must be ...".
std::string json_string(const nlohmann::json& v, const std::string& what);
bool json_bool(const nlohmann::json& v, const std::string& what);
float json_float(const nlohmann::json& v, const std::string& what);
// An array (or null/absent: empty, when `optional`); throws when it is something else.
const nlohmann::json& json_array(const nlohmann::json& v, const std::string& what, bool optional = false);

// An object key that is a decimal id ("32099" in added_tokens_decoder, "0" in id2label), in
// [lo, hi]; `what` names the file and the object.
int64_t json_id_key(const std::string& key, const std::string& what, int64_t lo, int64_t hi);

// Any number is finite here (for JsonFields::number_or).
bool any_finite(float);
bool positive(float);

}  // namespace tern::convert
