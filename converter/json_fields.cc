#include "json_fields.h"

#include <cmath>

#include "checkpoint.h"

namespace tern::convert {
namespace {

const nlohmann::json& empty_object() {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return kEmpty;
}

std::string range(int64_t lo, int64_t hi) { return std::to_string(lo) + ".." + std::to_string(hi); }

}  // namespace

int64_t json_int(const nlohmann::json& v, const std::string& what, int64_t lo, int64_t hi) {
  // Compared before any conversion: an unsigned above INT64_MAX must not wrap to a negative.
  bool ok = false;
  int64_t value = 0;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    ok = u <= uint64_t(std::numeric_limits<int64_t>::max()) && int64_t(u) >= lo && int64_t(u) <= hi;
    value = int64_t(u);
  } else if (v.is_number_integer()) {
    value = v.get<int64_t>();
    ok = value >= lo && value <= hi;
  }
  if (!ok) throw ConvertError(what + " is " + v.dump() + ", must be an integer in " + range(lo, hi));
  return value;
}

int64_t json_id_key(const std::string& key, const std::string& what, int64_t lo, int64_t hi) {
  // Digits only: std::stoi would take "12abc" as 12 and " -1" as -1.
  bool ok = !key.empty() && key.size() <= 18 && key.find_first_not_of("0123456789") == std::string::npos;
  const int64_t id = ok ? std::stoll(key) : 0;
  if (!ok || id < lo || id > hi)
    throw ConvertError(what + ": key '" + key + "' is not an id in " + range(lo, hi));
  return id;
}

std::string json_string(const nlohmann::json& v, const std::string& what) {
  if (!v.is_string()) throw ConvertError(what + " is " + v.dump() + ", must be a string");
  return v.get<std::string>();
}

bool json_bool(const nlohmann::json& v, const std::string& what) {
  if (!v.is_boolean()) throw ConvertError(what + " is " + v.dump() + ", must be true or false");
  return v.get<bool>();
}

float json_float(const nlohmann::json& v, const std::string& what) {
  // Finite as a double and as the float the blob stores, as number_or.
  const double d = v.is_number() ? v.get<double>() : NAN;
  if (!std::isfinite(d) || !std::isfinite(float(d)))
    throw ConvertError(what + " is " + v.dump() + ", must be a finite number");
  return float(d);
}

const nlohmann::json& json_array(const nlohmann::json& v, const std::string& what, bool optional) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (optional && v.is_null()) return kEmpty;
  if (!v.is_array()) throw ConvertError(what + " is " + v.dump().substr(0, 80) + ", must be an array");
  return v;
}

bool any_finite(float) { return true; }
bool positive(float v) { return v > 0; }

JsonFields::JsonFields(const nlohmann::json& object, std::string where)
    : obj_(object.is_null() ? empty_object() : object), where_(std::move(where)) {
  if (!obj_.is_object()) throw ConvertError(where_ + ": is " + std::string(obj_.type_name()) + ", not an object");
}

bool JsonFields::has(const std::string& key) const { return obj_.contains(key) && !obj_[key].is_null(); }

std::string JsonFields::field(const std::string& key) const { return where_ + ": '" + key + "'"; }

void JsonFields::throw_missing(const std::string& key) const {
  throw ConvertError(field(key) + " is missing");
}

float JsonFields::number_or(const std::string& key, float fallback, bool (*ok)(float), const char* rule) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = obj_[key];
  // Finite as a double and as the float the blob stores (1e39 is a finite double, an infinite float).
  const double d = v.is_number() ? v.get<double>() : NAN;
  const float f = float(d);
  if (!std::isfinite(d) || !std::isfinite(f) || !ok(f))
    throw ConvertError(field(key) + " is " + v.dump() + ", must be " + rule);
  return f;
}

bool JsonFields::boolean_or(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  if (!obj_[key].is_boolean()) throw ConvertError(field(key) + " is " + obj_[key].dump() + ", must be true or false");
  return obj_[key].get<bool>();
}

std::string JsonFields::string_or(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  if (!obj_[key].is_string()) throw ConvertError(field(key) + " is " + obj_[key].dump() + ", must be a string");
  return obj_[key].get<std::string>();
}

JsonFields JsonFields::object_or_empty(const std::string& key) const {
  if (!has(key)) return JsonFields(empty_object(), where_ + ": " + key);
  if (!obj_[key].is_object())
    throw ConvertError(field(key) + " is " + obj_[key].dump() + ", must be an object");
  return JsonFields(obj_[key], where_ + ": " + key);
}

}  // namespace tern::convert
