// The checkpoint readers on mutated files: truncated anywhere and bytes flipped. Each read must
// either succeed or throw ConvertError; anything else (a crash, another exception, a huge
// allocation) fails. Run under ASan to catch out-of-bounds reads as well.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "checkpoint.h"
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
      tc::read_weights_file(scratch);
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

}  // namespace

TEST_SUITE("checkpoint_fuzz") {
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
}
