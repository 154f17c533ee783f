// The checkpoint readers on mutated files: truncated anywhere and bytes flipped. Each read must
// either succeed or throw ConvertError; anything else (a crash, another exception, a huge
// allocation) fails. Run under ASan to catch out-of-bounds reads as well.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include "checkpoint.h"
#include "json_fields.h"
#include "model_spec.h"
#include "test_util.h"

using namespace tern::test;
namespace tc = tern::convert;

namespace {

void mutate_and_read(const std::string& source, const std::string& scratch, int flips) {
  const std::vector<uint8_t> good = read_file(source);
  std::mt19937 rng(11);
  size_t refused = 0, trials = 0;
  auto attempt = [&](const std::vector<uint8_t>& bytes) {
    FILE* f = std::fopen(scratch.c_str(), "wb");
    REQUIRE(f != nullptr);
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    ++trials;
    try {
      // Decoded too: the readers only check extents, the bytes are read later, from the mapping.
      for (const auto& [name, t] : tc::read_weights_file(scratch)) t.floats();
    } catch (const tc::ConvertError&) {
      ++refused;
    }
  };
  for (size_t size = 0; size < good.size(); size += 1 + good.size() / 150)
    attempt(std::vector<uint8_t>(good.begin(), good.begin() + long(size)));
  for (int trial = 0; trial < flips; ++trial) {
    auto bytes = good;
    // Flips concentrate in the first 4 KiB, where headers, pickles and directories live.
    const size_t span = std::min<size_t>(bytes.size(), trial % 2 ? 4096 : bytes.size());
    for (int k = 0; k < 1 + trial % 3; ++k) bytes[rng() % span] ^= uint8_t(1u << (rng() % 8));
    attempt(bytes);
  }
  MESSAGE(source, ": ", refused, " of ", trials, " mutated files refused, none crashed");
  CHECK(refused > 0);
}


// A legacy torch.save file of one F32 tensor 'w' viewing a 4-element storage with this offset,
// size and stride: the view's metadata comes from the file, so a corrupt one can say anything.
std::vector<uint8_t> legacy_checkpoint(int64_t offset, const std::vector<int64_t>& size,
                                       const std::vector<int64_t>& stride) {
  std::string p;
  auto str = [&](const std::string& s) {  // BINUNICODE
    const uint32_t n = uint32_t(s.size());
    p += 'X';
    p.append(reinterpret_cast<const char*>(&n), 4);
    p += s;
  };
  auto int64 = [&](int64_t v) {  // LONG1, 8 bytes little-endian
    p += "\x8a\x08";
    p.append(reinterpret_cast<const char*>(&v), 8);
  };
  auto ints = [&](const std::vector<int64_t>& vs) {
    p += '(';
    for (int64_t v : vs) int64(v);
    p += 't';
  };
  p += std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);  // magic
  p += "\x80\x02M\xe9\x03.";                                                            // protocol 1001
  p += "\x80\x02}.";                                                                      // sys_info
  p += "\x80\x02}(";
  str("w");
  p += "ctorch._utils\n_rebuild_tensor_v2\n(";
  p += '(';
  str("storage");
  p += "ctorch\nFloatStorage\n";
  str("0");
  str("cpu");
  p += "K\x04NtQ";  // persistent id ('storage', FloatStorage, '0', 'cpu', 4, None)
  int64(offset);
  ints(size);
  ints(stride);
  p += "\x89}tRu.";  // requires_grad=False, no hooks; REDUCE; SETITEMS
  p += "\x80\x02(";  // storage keys
  str("0");
  p += "l.";
  const uint64_t numel = 4;
  p.append(reinterpret_cast<const char*>(&numel), 8);
  const float values[4] = {1, 2, 3, 4};
  p.append(reinterpret_cast<const char*>(values), sizeof(values));
  return std::vector<uint8_t>(p.begin(), p.end());
}

std::string read_error(const std::vector<uint8_t>& bytes, const std::string& scratch) {
  FILE* f = std::fopen(scratch.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  try {
    for (const auto& [name, t] : tc::read_weights_file(scratch)) t.floats();
  } catch (const tc::ConvertError& e) {
    return e.what();
  }
  return "";
}


// `n` empty lists pushed, then n - 1 APPENDs: each list inside the one below it, `n` levels deep.
std::string nested_lists(int n) {
  std::string p = "\x80\x02";
  p.append(size_t(n), ']');
  p.append(size_t(n - 1), 'a');
  return p + '.';
}

// A zip of stored entries, as torch writes them (no compression, no data descriptors).
std::vector<uint8_t> stored_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string z, dir;
  auto put = [](std::string& s, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s += char(i < 8 ? (v >> (8 * i)) & 0xff : 0);  // n may exceed 8: zeros
  };
  for (const auto& [name, bytes] : entries) {
    const uint64_t local = z.size();
    put(z, 0x04034b50, 4), put(z, 0, 22), put(z, name.size(), 2), put(z, 0, 2);
    z += name + bytes;
    put(dir, 0x02014b50, 4), put(dir, 0, 16), put(dir, bytes.size(), 4), put(dir, bytes.size(), 4);
    put(dir, name.size(), 2), put(dir, 0, 12), put(dir, local, 4);
    dir += name;
  }
  const uint64_t dir_offset = z.size();
  z += dir;
  put(z, 0x06054b50, 4), put(z, 0, 4), put(z, entries.size(), 2), put(z, entries.size(), 2);
  put(z, dir.size(), 4), put(z, dir_offset, 4), put(z, 0, 2);
  return std::vector<uint8_t>(z.begin(), z.end());
}

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace

TEST_SUITE("checkpoint_fuzz") {
  // Seen while writing tests/fuzz/config_fuzz.cc, where this config is a timeout: the label names
  // were made from num_labels before the classifier's shape was checked, 2^31 - 1 strings (64 GB).
  TEST_CASE("a config's num_labels of 2^31 - 1 is refused, not 2^31 - 1 label names") {
    nlohmann::json config = tc::read_json(data("bert_small/ckpt_safetensors/config.json"));
    config.erase("id2label");
    config.erase("label2id");
    config["num_labels"] = 2147483647;
    tc::TensorMap tensors = tc::read_checkpoint(data("bert_small/ckpt_safetensors"));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && UINTPTR_MAX > 0xffffffffu
    // 1 GiB more address space than now: the names overran it in a second (std::bad_alloc). The
    // sanitizers reserve terabytes of shadow address space, so there the limit cannot be set.
    std::ifstream statm("/proc/self/statm");
    uint64_t pages = 0;
    statm >> pages;
    struct rlimit old_limit;
    REQUIRE(getrlimit(RLIMIT_AS, &old_limit) == 0);
    struct rlimit limit = old_limit;
    limit.rlim_cur = pages * uint64_t(sysconf(_SC_PAGESIZE)) + (uint64_t(1) << 30);
    REQUIRE(setrlimit(RLIMIT_AS, &limit) == 0);
#endif
    std::string error;
    try {
      tc::encoder_spec(tc::JsonFields(config, "config.json"), tensors, data("bert_small/ckpt_safetensors"));
    } catch (const tc::ConvertError& e) {
      error = e.what();
    } catch (const std::bad_alloc&) {
      error = "std::bad_alloc";
    }
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && UINTPTR_MAX > 0xffffffffu
    REQUIRE(setrlimit(RLIMIT_AS, &old_limit) == 0);
#endif
    // num_labels is bounded before anything is made from it (the runtime's limit, 2^20).
    CHECK_MESSAGE(error.find("'num_labels' is 2147483647") != std::string::npos, error);
  }

  TEST_CASE("a safetensors header length whose first byte is 0x80 is not taken for a pickle") {
    std::vector<uint8_t> bytes = read_file(data("bert_small/ckpt_safetensors/model.safetensors"));
    uint64_t len = 0;
    std::memcpy(&len, bytes.data(), 8);
    const uint64_t padded = (len + 256) / 256 * 256 + 0x80;  // JSON allows trailing spaces
    std::vector<uint8_t> out(8);
    std::memcpy(out.data(), &padded, 8);
    out.insert(out.end(), bytes.begin() + 8, bytes.begin() + 8 + long(len));
    out.insert(out.end(), padded - len, ' ');
    out.insert(out.end(), bytes.begin() + 8 + long(len), bytes.end());
    const std::string path = blob("header80.safetensors");
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
    REQUIRE(out[0] == 0x80);
    CHECK(tc::read_weights_file(path).size() == tc::read_weights_file(data("bert_small/ckpt_safetensors/model.safetensors")).size());
  }

  TEST_CASE("safetensors") {
    mutate_and_read(data("bert_small/ckpt_safetensors/model.safetensors"), blob("fuzz.safetensors"), 300);
  }
  TEST_CASE("torch zip") {
    mutate_and_read(data("torch_encoder/ckpt_zip/pytorch_model.bin"), blob("fuzz_zip.bin"), 300);
  }
  TEST_CASE("torch legacy") {
    mutate_and_read(data("torch_encoder/ckpt_legacy/pytorch_model.bin"), blob("fuzz_legacy.bin"), 300);
  }

  TEST_CASE("torch views whose extent overflows 64 bits are refused, not wrapped into the storage") {
    const std::string scratch = blob("view.bin");
    // The file is well formed: a transposed view of the storage reads.
    REQUIRE(read_error(legacy_checkpoint(0, {2, 2}, {1, 2}), scratch).empty());
    CHECK(tc::read_weights_file(scratch).at("w").floats() == std::vector<float>{1, 3, 2, 4});
    const int64_t big = int64_t(1) << 62;
    // (5 - 1) * 2^62 wraps to 0 in 64 bits: the view would look like one element at offset 0.
    CHECK(read_error(legacy_checkpoint(0, {5}, {big}), scratch).find("reads outside its storage") != std::string::npos);
    // Each product fits, their sum wraps to a negative offset: 2^62 + 2^62 = 2^63.
    CHECK(read_error(legacy_checkpoint(0, {2, 2}, {big, big}), scratch).find("reads outside its storage") != std::string::npos);
    // The offset plus the extent wraps, and (last + 1) * 4 bytes wraps.
    CHECK(read_error(legacy_checkpoint(INT64_MAX, {2}, {1}), scratch).find("reads outside its storage") != std::string::npos);
    CHECK(read_error(legacy_checkpoint(big, {1}, {1}), scratch).find("reads outside its storage") != std::string::npos);
  }

  TEST_CASE("zip64 offsets near 2^64 are refused, not wrapped back into the file") {
    std::vector<uint8_t> bytes = read_file(data("torch_encoder/ckpt_zip/pytorch_model.bin"));
    const size_t eocd = bytes.size() - 22;  // the end record, no archive comment
    uint32_t sig = 0;
    std::memcpy(&sig, &bytes[eocd], 4);
    REQUIRE(sig == 0x06054b50);
    // A zip64 locator just before the end record, pointing 8 bytes short of 2^64: offset + 56 wraps.
    std::vector<uint8_t> locator(20, 0);
    const uint32_t locator_sig = 0x07064b50;
    const uint64_t far = ~uint64_t(0) - 7;
    std::memcpy(&locator[0], &locator_sig, 4);
    std::memcpy(&locator[8], &far, 8);
    bytes.insert(bytes.begin() + long(eocd), locator.begin(), locator.end());
    CHECK(read_error(bytes, blob("zip64.bin")).find("bad zip64 record") != std::string::npos);
  }
  TEST_CASE("200,000 nested lists are refused without a stack overflow, plain and in a zip") {
    // The reader used to free such a pickle one recursive call per level (SIGSEGV).
    const std::string deep = nested_lists(200000);
    CHECK(read_error(bytes_of(deep), blob("deep.pkl")).find("bad magic number") != std::string::npos);
    const auto zip = stored_zip({{"archive/data.pkl", deep}});
    CHECK(read_error(zip, blob("deep.zip")).find("not a state dict") != std::string::npos);
    // The same zip with one level is refused the same way: the builder above is a valid zip.
    CHECK(read_error(stored_zip({{"archive/data.pkl", nested_lists(2)}}), blob("deep.zip")).find("not a state dict") != std::string::npos);
  }

  TEST_CASE("a list that contains itself is freed") {
    // [x, <the list itself>] with x a 4 MB string: MEMOIZE, BINGET of the list, APPEND. With
    // reference counting this was a cycle: every read leaked the list and its 4 MB.
    std::string p = "\x80\x04]\x94";
    const uint32_t n = 4 << 20;
    p += 'X';
    p.append(reinterpret_cast<const char*>(&n), 4);
    p.append(n, 'x');
    p.append("ah\0a.", 5);  // APPEND the string, BINGET 0 (the list), APPEND it to itself
    const auto zip = stored_zip({{"archive/data.pkl", p}});
    CHECK(read_error(zip, blob("cycle.zip")).find("not a state dict") != std::string::npos);
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    // LeakSanitizer reports the leak in ASan builds; elsewhere glibc's counters show it.
    auto in_use = [] {
      const struct mallinfo2 m = mallinfo2();
      return m.uordblks + m.hblkhd;
    };
    const size_t before = in_use();
    for (int i = 0; i < 20; ++i) (void)read_error(zip, blob("cycle.zip"));
    CHECK(in_use() < before + (8u << 20));  // 20 leaked reads would hold 80 MB
#endif
  }
}
