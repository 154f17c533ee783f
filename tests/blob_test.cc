// Untrusted blobs: every corruption is an error with a message, never a crash or an out-of-bounds
// read (run these under ASan/valgrind to see the latter).
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "format/blob.h"
#include "format/version.h"
#include "tern/model.h"
#include "tern/tern.h"
#include "tern/version.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

// Copies bytes into 64-byte aligned memory (as mmap would give) and tries to load them.
Status try_load(const std::vector<uint8_t>& bytes, size_t size) {
  void* mem = std::aligned_alloc(64, (size + 64) / 64 * 64);
  if (size) std::memcpy(mem, bytes.data(), size);
  Status s;
  {
    auto model = Model::from_buffer(mem, size);  // released before its bytes
    if (!model.ok()) s = model.status();
  }
  std::free(mem);
  return s;
}

}  // namespace

TEST_SUITE("blob") {
  TEST_CASE("a valid blob loads") {
    auto bytes = read_file(blob("bert_zip_int8.tern"));
    CHECK(try_load(bytes, bytes.size()).ok());
  }

  TEST_CASE("bad identifier") {
    auto bytes = read_file(blob("bert_zip_int8.tern"));
    bytes[8] = 'X';
    Status s = try_load(bytes, bytes.size());
    CHECK(s.code() == Code::kInvalidModel);
    CHECK(std::string(s.message()).find("identifier") != std::string::npos);
  }

  TEST_CASE("truncated anywhere") {
    auto bytes = read_file(blob("bert_zip_int8.tern"));
    for (size_t size = 0; size < bytes.size(); size += (size < 4096 ? 7 : 997)) {
      CAPTURE(size);
      CHECK(try_load(bytes, size).code() == Code::kInvalidModel);
    }
  }

  TEST_CASE("flipped bytes in the tables: error or a consistent model, never a crash") {
    auto good = read_file(blob("bert_zip_int8.tern"));
    uint32_t table;
    std::memcpy(&table, good.data(), 4);
    std::mt19937 rng(1);
    size_t errors = 0;
    for (int trial = 0; trial < 3000; ++trial) {
      auto bytes = good;
      for (int k = 0; k < 1 + trial % 4; ++k) bytes[rng() % (table + 4)] ^= uint8_t(1u << (rng() % 8));
      errors += !try_load(bytes, bytes.size()).ok();
    }
    MESSAGE(errors, " of 3000 corrupted blobs refused (the rest changed only values such as labels "
            "or vocab text)");
    CHECK(errors > 1000);
  }

  TEST_CASE("a future major version is refused with both versions named") {
    auto bytes = read_file(blob("bert_zip_int8.tern"));
    auto model = fb::UnPackSizePrefixedModel(bytes.data());
    model->version_major = uint16_t(kFormatMajor + 1);
    flatbuffers::FlatBufferBuilder fbb;
    fbb.ForceDefaults(true);
    fbb.FinishSizePrefixed(fb::Model::Pack(fbb, model.get()), fb::ModelIdentifier());
    REQUIRE(fbb.GetSize() <= model->data_offset);  // same table size: the data segment still fits
    std::memcpy(bytes.data(), fbb.GetBufferPointer(), fbb.GetSize());
    Status s = try_load(bytes, bytes.size());
    CHECK(s.code() == Code::kInvalidModel);
    const std::string msg = s.message();
    CHECK(msg.find(std::to_string(kFormatMajor + 1) + ".") != std::string::npos);
    CHECK(msg.find("newer") != std::string::npos);
  }

  TEST_CASE("the versions: tern/version.h, tern_version(), tern::version() and the converter's blobs agree") {
    const std::string v = std::to_string(TERN_VERSION_MAJOR) + "." + std::to_string(TERN_VERSION_MINOR) + "." +
                          std::to_string(TERN_VERSION_PATCH);
    CHECK(v == TERN_VERSION_STRING);
    CHECK(std::string(tern_version()) == v);
    CHECK(std::string(tern::version()) == v);
    CHECK(std::string(TERN_FORMAT_VERSION_STRING) ==
          std::to_string(TERN_FORMAT_VERSION_MAJOR) + "." + std::to_string(TERN_FORMAT_VERSION_MINOR));
    auto bytes = read_file(blob("bert_zip_int8.tern"));
    const fb::Model* m = fb::GetSizePrefixedModel(bytes.data());
    CHECK(m->version_major() == TERN_FORMAT_VERSION_MAJOR);
    CHECK(m->version_minor() == TERN_FORMAT_VERSION_MINOR);
  }

  TEST_CASE("semantic checks: tensor outside the file, bad scale, wrong shape") {
    auto bytes = read_file(blob("bert_zip_int8.tern"));
    auto repack = [&](auto&& edit) {
      auto model = fb::UnPackSizePrefixedModel(bytes.data());
      edit(*model);
      flatbuffers::FlatBufferBuilder fbb;
      fbb.ForceDefaults(true);
      fbb.FinishSizePrefixed(fb::Model::Pack(fbb, model.get()), fb::ModelIdentifier());
      auto out = bytes;
      REQUIRE(fbb.GetSize() <= model->data_offset);
      std::memcpy(out.data(), fbb.GetBufferPointer(), fbb.GetSize());
      return try_load(out, out.size());
    };
    CHECK(repack([](fb::ModelT& m) { m.tensors[3]->offset += uint64_t(1) << 30; }).code() == Code::kInvalidModel);
    CHECK(repack([](fb::ModelT& m) { m.tensors[3]->offset += 8; }).code() == Code::kInvalidModel);
    CHECK(repack([](fb::ModelT& m) {
            for (auto& t : m.tensors) if (!t->scales.empty()) { t->scales[0] = -1; break; }
          }).code() == Code::kInvalidModel);
    CHECK(repack([](fb::ModelT& m) { m.encoder->hidden_size = 65; }).code() == Code::kInvalidModel);
    CHECK(repack([](fb::ModelT& m) { m.encoder->num_heads = 3; }).code() == Code::kInvalidModel);
    CHECK(repack([](fb::ModelT& m) { m.tensors.pop_back(); }).code() == Code::kInvalidModel);
    CHECK(repack([](fb::ModelT& m) { m.tokenizer->wordpiece->unk_id = 5000; }).code() == Code::kInvalidModel);
  }
}
