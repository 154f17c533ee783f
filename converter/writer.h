// Applies the weights policy to a ModelSpec and writes the .tern blob: a size-prefixed flatbuffer
// followed by the 64-byte aligned data segment.
#pragma once

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "model_spec.h"
#include "output_file.h"

namespace tern::convert {

struct WeightsPolicy {
  fb::DType weights = fb::DType::I8;  // for Linear weights and embedding tables
  std::vector<std::pair<std::string, std::regex>> keep_float;  // f32 where a name matches
};

struct TensorReport {
  std::string name, sources, dtype, shape;
  float rel_error, max_abs_error;
};

struct BlobSummary {
  size_t file_bytes = 0, data_bytes = 0;
  std::vector<TensorReport> tensors;
};

// Called after each tensor is written: tensors written, of total, and their bytes so far.
using Progress = std::function<void(size_t done, size_t total, uint64_t bytes)>;

// Writes the blob into `out` (its temporary file); the caller commits it.
BlobSummary write_blob(const ModelSpec& spec, std::unique_ptr<fb::TokenizerT> tokenizer,
                       const WeightsPolicy& policy, OutputFile& out, const Progress& progress = nullptr);

}  // namespace tern::convert
