// torch.save files, read without executing anything: a small unpickler that knows the opcodes
// torch uses and accepts only the globals that rebuild tensors and ordered dicts; any other global
// is refused by name. Zip format (torch >= 1.6) and the legacy format are both read.
#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <set>

#include "checkpoint.h"

namespace tern::convert {

void decode_elements(const std::string& dtype, const uint8_t* src, int64_t count, float* out,
                     const std::string& what);
int64_t dtype_size(const std::string& dtype);

namespace {

struct Value;
// Values point at each other with plain pointers into an arena that owns them all (Values below).
// With shared_ptr, freeing 200,000 nested lists recursed once per level and overflowed the stack,
// and a list appended to itself (a pickle can do that through the memo) was a cycle that leaked.
// The arena frees every value in one flat loop whatever the nesting or the cycles, so neither the
// depth nor the shape of the object graph needs a limit; nothing here walks the graph recursively.
using ValuePtr = Value*;

struct StorageRef {
  std::string key, dtype;
  int64_t numel = 0;
};

struct Value {
  enum Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kStorage,
              kTensor, kMark } kind = kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;                                   // string, or "module.name" for a global
  std::vector<ValuePtr> items;                     // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> dict; // ordered
  StorageRef storage;                              // storage, or a tensor's storage
  int64_t offset = 0;
  std::vector<int64_t> size, stride;
};

// Owns every value of one file's pickles; pointers stay valid until it is destroyed (a deque
// never moves its elements when it grows).
class Values {
 public:
  ValuePtr make(Value::Kind k) {
    values_.emplace_back();
    values_.back().kind = k;
    return &values_.back();
  }

 private:
  std::deque<Value> values_;
};

const std::set<std::string> kStorageTypes = {
    "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
    "torch.LongStorage",  "torch.IntStorage",  "torch.ShortStorage",    "torch.CharStorage",
    "torch.ByteStorage",  "torch.BoolStorage"};

std::string storage_dtype(const std::string& type) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"torch.FloatStorage", "F32"}, {"torch.HalfStorage", "F16"}, {"torch.BFloat16Storage", "BF16"},
      {"torch.DoubleStorage", "F64"}, {"torch.LongStorage", "I64"}, {"torch.IntStorage", "I32"},
      {"torch.ShortStorage", "I16"}, {"torch.CharStorage", "I8"}, {"torch.ByteStorage", "U8"},
      {"torch.BoolStorage", "BOOL"}};
  for (const auto& [t, d] : kMap)
    if (type == t) return d;
  throw ConvertError("unsupported storage type " + type);
}

class Unpickler {
 public:
  // `values` owns what load() returns and must outlive every use of it.
  Unpickler(const uint8_t* data, size_t size, std::string what, Values& values)
      : p_(data), end_(data + size), what_(std::move(what)), values_(values) {}

  ValuePtr load();
  size_t consumed(const uint8_t* base) const { return size_t(p_ - base); }

 private:
  ValuePtr make(Value::Kind k) { return values_.make(k); }
  [[noreturn]] void fail(const std::string& msg) { throw ConvertError(what_ + ": pickle: " + msg); }
  void need(size_t n) {
    if (size_t(end_ - p_) < n) fail("truncated");
  }
  template <typename T>
  T read() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  std::string read_bytes(size_t n) {
    need(n);
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  std::string read_line() {
    const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(p_, '\n', size_t(end_ - p_)));
    if (!nl) fail("truncated");
    std::string s(reinterpret_cast<const char*>(p_), size_t(nl - p_));
    p_ = nl + 1;
    return s;
  }
  ValuePtr pop() {
    if (stack_.empty()) fail("stack underflow");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) fail("no mark");
    size_t m = marks_.back();
    marks_.pop_back();
    if (m > stack_.size()) fail("bad mark");
    std::vector<ValuePtr> items(stack_.begin() + std::ptrdiff_t(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  ValuePtr global(const std::string& module, const std::string& name);
  ValuePtr reduce(const ValuePtr& fn, const ValuePtr& args);
  ValuePtr persistent(const ValuePtr& pid);
  static std::vector<int64_t> ints(const ValuePtr& v, const std::string& what);

  const uint8_t* p_;
  const uint8_t* end_;
  std::string what_;
  Values& values_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint32_t, ValuePtr> memo_;
};

ValuePtr Unpickler::global(const std::string& module, const std::string& name) {
  const std::string full = module + "." + name;
  static const std::set<std::string> kAllowed = {
      "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
      "torch._utils._rebuild_parameter"};
  if (!kAllowed.count(full) && !kStorageTypes.count(full))
    fail("refusing global '" + full + "': only torch tensor and OrderedDict reconstruction is read");
  ValuePtr v = make(Value::kGlobal);
  v->s = full;
  return v;
}

std::vector<int64_t> Unpickler::ints(const ValuePtr& v, const std::string& what) {
  std::vector<int64_t> r;
  if (v->kind != Value::kTuple) throw ConvertError(what + ": expected a tuple of ints");
  for (const ValuePtr& x : v->items) {
    if (x->kind != Value::kInt) throw ConvertError(what + ": expected a tuple of ints");
    r.push_back(x->i);
  }
  return r;
}

ValuePtr Unpickler::reduce(const ValuePtr& fn, const ValuePtr& args) {
  if (fn->kind != Value::kGlobal || args->kind != Value::kTuple) fail("REDUCE of a non-global");
  const auto& a = args->items;
  if (fn->s == "collections.OrderedDict") return make(Value::kDict);
  if (fn->s == "torch._utils._rebuild_parameter") {
    if (a.empty() || a[0]->kind != Value::kTensor) fail("_rebuild_parameter without a tensor");
    return a[0];
  }
  if (fn->s == "torch._utils._rebuild_tensor_v2" || fn->s == "torch._utils._rebuild_tensor") {
    if (a.size() < 4 || a[0]->kind != Value::kStorage || a[1]->kind != Value::kInt)
      fail(fn->s + " with unexpected arguments");
    ValuePtr t = make(Value::kTensor);
    t->storage = a[0]->storage;
    t->offset = a[1]->i;
    t->size = ints(a[2], what_);
    t->stride = ints(a[3], what_);
    return t;
  }
  fail("cannot call '" + fn->s + "'");
}

ValuePtr Unpickler::persistent(const ValuePtr& pid) {
  // ('storage', storage_type, key, location, numel[, view_metadata])
  if (pid->kind != Value::kTuple || pid->items.size() < 5 || pid->items[0]->s != "storage" ||
      pid->items[1]->kind != Value::kGlobal || pid->items[4]->kind != Value::kInt)
    fail("unexpected persistent id");
  if (pid->items.size() > 5 && pid->items[5]->kind != Value::kNone)
    fail("storage views (legacy view_metadata) are not supported");
  ValuePtr s = make(Value::kStorage);
  s->storage.dtype = storage_dtype(pid->items[1]->s);
  s->storage.key = pid->items[2]->s;
  s->storage.numel = pid->items[4]->i;
  return s;
}

ValuePtr Unpickler::load() {
  for (;;) {
    const uint8_t op = read<uint8_t>();
    switch (op) {
      case 0x80: read<uint8_t>(); break;               // PROTO
      case 0x95: read<uint64_t>(); break;              // FRAME
      case '.': return pop();                          // STOP
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case 'N': stack_.push_back(make(Value::kNone)); break;
      case 0x88: case 0x89: {                          // NEWTRUE, NEWFALSE
        ValuePtr v = make(Value::kBool);
        v->i = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'J': case 'K': case 'M': {                  // BININT, BININT1, BININT2
        ValuePtr v = make(Value::kInt);
        v->i = op == 'J' ? read<int32_t>() : op == 'K' ? read<uint8_t>() : read<uint16_t>();
        stack_.push_back(v);
        break;
      }
      case 0x8a: {                                     // LONG1
        uint8_t n = read<uint8_t>();
        std::string b = read_bytes(n);
        if (n > 8) {  // only the legacy format's magic number is this big: keep its bytes
          ValuePtr x = make(Value::kInt);
          x->s = b;
          stack_.push_back(x);
          break;
        }
        int64_t v = 0;
        for (int k = n - 1; k >= 0; --k) v = (v << 8) | uint8_t(b[size_t(k)]);
        if (n > 0 && n < 8 && (uint8_t(b[n - 1]) & 0x80)) v -= int64_t(1) << (8 * n);
        ValuePtr x = make(Value::kInt);
        x->i = v;
        stack_.push_back(x);
        break;
      }
      case 'G': {                                      // BINFLOAT (big-endian double)
        uint64_t bits = 0;
        std::string b = read_bytes(8);
        for (char c : b) bits = (bits << 8) | uint8_t(c);
        ValuePtr v = make(Value::kFloat);
        std::memcpy(&v->f, &bits, 8);
        stack_.push_back(v);
        break;
      }
      case 'X': case 0x8c: case 'T': case 'U': case 'B': case 'C': {  // strings and bytes
        size_t n = op == 'X' || op == 'T' || op == 'B' ? read<uint32_t>() : read<uint8_t>();
        ValuePtr v = make(Value::kString);
        v->s = read_bytes(n);
        stack_.push_back(v);
        break;
      }
      case 0x8d: {                                     // BINUNICODE8
        uint64_t n = read<uint64_t>();
        if (n > uint64_t(end_ - p_)) fail("truncated");
        ValuePtr v = make(Value::kString);
        v->s = read_bytes(size_t(n));
        stack_.push_back(v);
        break;
      }
      case ')': stack_.push_back(make(Value::kTuple)); break;
      case ']': stack_.push_back(make(Value::kList)); break;
      case '}': stack_.push_back(make(Value::kDict)); break;
      case 't': case 'l': case 'd': {                  // TUPLE, LIST, DICT from mark
        std::vector<ValuePtr> items = pop_mark();
        ValuePtr v = make(op == 't' ? Value::kTuple : op == 'l' ? Value::kList : Value::kDict);
        if (op == 'd') {
          if (items.size() % 2) fail("odd DICT");
          for (size_t k = 0; k < items.size(); k += 2) v->dict.emplace_back(items[k], items[k + 1]);
        } else {
          v->items = std::move(items);
        }
        stack_.push_back(v);
        break;
      }
      case 0x85: case 0x86: case 0x87: {               // TUPLE1..3
        size_t n = size_t(op - 0x84);
        if (stack_.size() < n) fail("stack underflow");
        ValuePtr v = make(Value::kTuple);
        v->items.assign(stack_.end() - std::ptrdiff_t(n), stack_.end());
        stack_.resize(stack_.size() - n);
        stack_.push_back(v);
        break;
      }
      case 'a': {                                      // APPEND
        ValuePtr x = pop();
        if (stack_.empty() || stack_.back()->kind != Value::kList) fail("APPEND to a non-list");
        stack_.back()->items.push_back(x);
        break;
      }
      case 'e': {                                      // APPENDS
        std::vector<ValuePtr> items = pop_mark();
        if (stack_.empty() || stack_.back()->kind != Value::kList) fail("APPENDS to a non-list");
        for (auto& x : items) stack_.back()->items.push_back(x);
        break;
      }
      case 's': {                                      // SETITEM
        ValuePtr v = pop(), k = pop();
        if (stack_.empty() || stack_.back()->kind != Value::kDict) fail("SETITEM on a non-dict");
        stack_.back()->dict.emplace_back(k, v);
        break;
      }
      case 'u': {                                      // SETITEMS
        std::vector<ValuePtr> items = pop_mark();
        if (items.size() % 2 || stack_.empty() || stack_.back()->kind != Value::kDict)
          fail("bad SETITEMS");
        for (size_t k = 0; k < items.size(); k += 2)
          stack_.back()->dict.emplace_back(items[k], items[k + 1]);
        break;
      }
      case 'q': memo_[read<uint8_t>()] = stack_.empty() ? fail("memo of nothing"), nullptr : stack_.back(); break;
      case 'r': memo_[read<uint32_t>()] = stack_.empty() ? fail("memo of nothing"), nullptr : stack_.back(); break;
      case 0x94: {                                     // MEMOIZE
        if (stack_.empty()) fail("memo of nothing");
        uint32_t id = uint32_t(memo_.size());
        memo_[id] = stack_.back();
        break;
      }
      case 'h': case 'j': {                            // BINGET, LONG_BINGET
        uint32_t id = op == 'h' ? read<uint8_t>() : read<uint32_t>();
        auto it = memo_.find(id);
        if (it == memo_.end()) fail("unknown memo id");
        stack_.push_back(it->second);
        break;
      }
      case 'c': {                                      // GLOBAL "module\nname\n"
        std::string module = read_line();
        std::string name = read_line();
        stack_.push_back(global(module, name));
        break;
      }
      case 0x93: {                                     // STACK_GLOBAL
        ValuePtr name = pop(), module = pop();
        if (name->kind != Value::kString || module->kind != Value::kString) fail("bad STACK_GLOBAL");
        stack_.push_back(global(module->s, name->s));
        break;
      }
      case 'R': {                                      // REDUCE
        ValuePtr args = pop(), fn = pop();
        stack_.push_back(reduce(fn, args));
        break;
      }
      case 'Q': stack_.push_back(persistent(pop())); break;  // BINPERSID
      case 'b': pop(); break;  // BUILD: state of an OrderedDict (_metadata) or tensor; not needed
      default: {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "0x%02x", op);
        fail(std::string("unsupported opcode ") + hex);
      }
    }
  }
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConvertError(path + ": cannot open");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// Materializes every tensor of the state dict from `storage(key)` (bytes of one storage).
template <typename GetStorage>
TensorMap collect(const ValuePtr& root, const std::string& path, GetStorage&& storage) {
  if (root->kind != Value::kDict) throw ConvertError(path + ": not a state dict (top level is not a dict)");
  TensorMap out;
  for (const auto& [k, v] : root->dict) {
    if (k->kind != Value::kString) throw ConvertError(path + ": state dict key is not a string");
    if (v->kind != Value::kTensor)
      throw ConvertError(path + ": '" + k->s + "' is not a tensor (a full pickled model? save its state_dict())");
    const std::string what = path + ": tensor '" + k->s + "'";
    const std::string& bytes = storage(v->storage);
    const int64_t elem = dtype_size(v->storage.dtype);
    SourceTensor t;
    t.dtype = v->storage.dtype;
    t.shape = v->size;
    if (t.shape.size() != v->stride.size()) throw ConvertError(what + ": size and stride differ in rank");
    // Check the extent before allocating: a corrupt size must not become a huge allocation, and
    // size * stride of a corrupt file must not wrap (checked arithmetic: any overflow is refused).
    int64_t n = 1, last = v->offset, span = 0;
    bool wraps = false;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0 || v->stride[d] < 0 || (t.shape[d] > 0 && n > (int64_t(1) << 40) / t.shape[d]))
        throw ConvertError(what + ": invalid size or stride");
      n *= t.shape[d];
      if (t.shape[d] > 0)
        wraps |= __builtin_mul_overflow(t.shape[d] - 1, v->stride[d], &span) ||
                 __builtin_add_overflow(last, span, &last);
    }
    int64_t end = 0;  // bytes up to the last element read
    if (n > 0 && (v->offset < 0 || wraps || __builtin_add_overflow(last, 1, &end) ||
                  __builtin_mul_overflow(end, elem, &end) || end > int64_t(bytes.size())))
      throw ConvertError(what + ": reads outside its storage (corrupt file)");
    // A 32-bit size_t holds fewer elements than the bound above (stride 0 repeats one element).
    if (uint64_t(n) > t.data.max_size()) throw ConvertError(what + ": too many elements for this machine");
    t.data.resize(size_t(n));
    // Strided gather: any view layout, bounds-checked against the storage.
    std::vector<int64_t> idx(t.shape.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = v->offset;
      for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * v->stride[d];
      if (off < 0 || (off + 1) * elem > int64_t(bytes.size()))
        throw ConvertError(what + ": reads outside its storage (corrupt file)");
      decode_elements(t.dtype, reinterpret_cast<const uint8_t*>(bytes.data()) + off * elem, 1,
                      &t.data[size_t(i)], what);
      for (size_t d = idx.size(); d-- > 0;) {
        if (++idx[d] < t.shape[d]) break;
        idx[d] = 0;
      }
    }
    out.emplace(k->s, std::move(t));
  }
  return out;
}

// --- zip (torch >= 1.6): stored entries only, zip64 aware ---
struct ZipEntry {
  uint64_t offset, size;
  uint16_t method;
};

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::map<std::string, ZipEntry> zip_directory(const std::vector<uint8_t>& f, const std::string& path) {
  const size_t n = f.size();
  if (n < 22) throw ConvertError(path + ": truncated zip");
  size_t eocd = std::string::npos;
  for (size_t i = n - 22 + 1; i-- > 0 && n - i <= 22 + 65535;)
    if (le(&f[i], 4) == 0x06054b50) { eocd = i; break; }
  if (eocd == std::string::npos) throw ConvertError(path + ": zip end record not found (truncated?)");
  uint64_t count = le(&f[eocd + 10], 2), cd_offset = le(&f[eocd + 16], 4);
  if (eocd >= 20 && le(&f[eocd - 20], 4) == 0x07064b50) {  // zip64 locator
    uint64_t z = le(&f[eocd - 20 + 8], 8);
    if (z > n || n - z < 56 || le(&f[z], 4) != 0x06064b50) throw ConvertError(path + ": bad zip64 record");
    count = le(&f[z + 32], 8);
    cd_offset = le(&f[z + 48], 8);
  }
  std::map<std::string, ZipEntry> entries;
  uint64_t p = cd_offset;
  for (uint64_t e = 0; e < count; ++e) {
    // Offsets come from the file (64-bit in zip64): compared by subtraction, so none can wrap.
    if (p > n || n - p < 46 || le(&f[p], 4) != 0x02014b50) throw ConvertError(path + ": corrupt zip directory");
    uint16_t method = uint16_t(le(&f[p + 10], 2));
    uint64_t csize = le(&f[p + 20], 4), usize = le(&f[p + 24], 4), local = le(&f[p + 42], 4);
    uint64_t name_len = le(&f[p + 28], 2), extra_len = le(&f[p + 30], 2), comment_len = le(&f[p + 32], 2);
    if (n - p - 46 < name_len + extra_len) throw ConvertError(path + ": corrupt zip directory");
    std::string name(reinterpret_cast<const char*>(&f[p + 46]), name_len);
    // zip64 extra field: the 0xFFFFFFFF fields, in order usize, csize, offset.
    const uint64_t extra_end = p + 46 + name_len + extra_len;
    for (uint64_t x = p + 46 + name_len; x + 4 <= extra_end;) {
      uint64_t id = le(&f[x], 2), len = le(&f[x + 2], 2), q = x + 4;
      const uint64_t field_end = std::min(x + 4 + len, extra_end);  // a field may claim more
      if (id == 1) {
        if (usize == 0xFFFFFFFF && q + 8 <= field_end) usize = le(&f[q], 8), q += 8;
        if (csize == 0xFFFFFFFF && q + 8 <= field_end) csize = le(&f[q], 8), q += 8;
        if (local == 0xFFFFFFFF && q + 8 <= field_end) local = le(&f[q], 8), q += 8;
      }
      x += 4 + len;
    }
    if (local > n || n - local < 30 || le(&f[local], 4) != 0x04034b50) throw ConvertError(path + ": corrupt zip entry " + name);
    uint64_t data = local + 30 + le(&f[local + 26], 2) + le(&f[local + 28], 2);
    if (data > n || csize > n - data) throw ConvertError(path + ": zip entry '" + name + "' is truncated");
    entries[name] = ZipEntry{data, csize, method};
    p += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

TensorMap read_zip(const std::vector<uint8_t>& f, const std::string& path) {
  auto entries = zip_directory(f, path);
  std::string prefix;
  for (const auto& [name, e] : entries)
    if (name.size() >= 9 && name.compare(name.size() - 9, 9, "/data.pkl") == 0)
      prefix = name.substr(0, name.size() - 8);
  if (prefix.empty()) throw ConvertError(path + ": zip has no data.pkl (not a torch checkpoint)");
  auto entry = [&](const std::string& name) -> std::string {
    auto it = entries.find(name);
    if (it == entries.end()) throw ConvertError(path + ": zip entry '" + name + "' is missing");
    if (it->second.method != 0)
      throw ConvertError(path + ": zip entry '" + name + "' is compressed; torch writes stored entries");
    return std::string(reinterpret_cast<const char*>(&f[it->second.offset]), it->second.size);
  };
  std::string pkl = entry(prefix + "data.pkl");
  Values values;
  Unpickler u(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size(), path, values);
  ValuePtr root = u.load();
  std::map<std::string, std::string> cache;
  return collect(root, path, [&](const StorageRef& s) -> const std::string& {
    auto it = cache.find(s.key);
    if (it == cache.end()) it = cache.emplace(s.key, entry(prefix + "data/" + s.key)).first;
    return it->second;
  });
}

// --- legacy torch.save: magic, protocol, sys_info, the object, storage keys, then raw storages ---
TensorMap read_legacy(const std::vector<uint8_t>& f, const std::string& path) {
  const uint8_t* base = f.data();
  size_t pos = 0;
  Values values;
  auto next = [&]() {
    Unpickler u(base + pos, f.size() - pos, path, values);
    ValuePtr v = u.load();
    pos += u.consumed(base + pos);
    return v;
  };
  ValuePtr magic = next();
  // torch.serialization's MAGIC_NUMBER 0x1950a86a20f9469cfc6c, pickled little-endian.
  static const char kMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
  if (magic->kind != Value::kInt || magic->s != std::string(kMagic, 10))
    throw ConvertError(path + ": not a legacy torch checkpoint (bad magic number)");
  next();  // protocol version
  next();  // sys_info
  ValuePtr root = next();
  ValuePtr keys = next();
  if (keys->kind != Value::kList) throw ConvertError(path + ": legacy storage key list missing");
  if (root->kind != Value::kDict) throw ConvertError(path + ": not a state dict (top level is not a dict)");
  // Each storage's element size is known only from the tensors that use it.
  std::map<std::string, int64_t> elem_size;
  for (const auto& kv : root->dict)
    if (kv.second->kind == Value::kTensor)
      elem_size[kv.second->storage.key] = dtype_size(kv.second->storage.dtype);
  std::map<std::string, std::string> storages;
  for (const ValuePtr& k : keys->items) {
    if (k->kind != Value::kString) throw ConvertError(path + ": bad storage key");
    if (!elem_size.count(k->s)) throw ConvertError(path + ": storage " + k->s + " is used by no tensor");
    if (pos + 8 > f.size()) throw ConvertError(path + ": truncated before storage " + k->s);
    const uint64_t numel = le(base + pos, 8);
    pos += 8;
    if (numel > (f.size() - pos) / uint64_t(elem_size[k->s]))
      throw ConvertError(path + ": storage " + k->s + " is truncated");
    const size_t bytes = size_t(numel) * size_t(elem_size[k->s]);
    storages[k->s] = std::string(reinterpret_cast<const char*>(base + pos), bytes);
    pos += bytes;
  }
  return collect(root, path, [&](const StorageRef& s) -> const std::string& {
    auto it = storages.find(s.key);
    if (it == storages.end()) throw ConvertError(path + ": storage " + s.key + " is missing");
    return it->second;
  });
}

}  // namespace

TensorMap read_torch_file(const std::string& path) { return read_torch_bytes(read_all(path), path); }

TensorMap read_torch_bytes(const std::vector<uint8_t>& f, const std::string& path) {
  if (f.size() >= 4 && le(f.data(), 4) == 0x04034b50) return read_zip(f, path);
  if (f.size() >= 2 && f[0] == 0x80) return read_legacy(f, path);
  throw ConvertError(path + ": neither a torch zip checkpoint nor a legacy torch.save file");
}

}  // namespace tern::convert
