#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "checkpoint.h"

namespace tern::convert {

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConvertError(path + ": cannot open");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

nlohmann::json read_json(const std::string& path, bool optional) {
  if (optional && !file_exists(path)) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    // The parser's own words say where (and show the text read last, e.g. a NaN or Infinity,
    // which Python writes and JSON does not have); its "[json.exception...]" tag says nothing.
    std::string why = e.what();
    const size_t tag = why.find("] ");
    if (why.rfind("[json.exception", 0) == 0 && tag != std::string::npos) why = why.substr(tag + 2);
    throw ConvertError(path + ": not valid JSON: " + why);
  }
}

TensorMap read_weights_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConvertError(path + ": cannot open");
  unsigned char head[9] = {0};
  f.read(reinterpret_cast<char*>(head), 9);
  // By structure, not by the first byte alone: a safetensors header length can start with 0x80.
  if (head[0] == 'P' && head[1] == 'K') return read_torch_file(path);  // zip
  if (head[8] == '{') return read_safetensors(path);                    // u64 length, then JSON
  if (head[0] == 0x80) return read_torch_file(path);                    // legacy pickle (PROTO)
  throw ConvertError(path + ": not a safetensors file nor a torch checkpoint");
}

// model.safetensors.index.json / pytorch_model.bin.index.json: {"weight_map": {tensor: file}}.
static uint64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

static TensorMap read_sharded(const std::string& dir, const std::string& index_path, uint64_t* file_bytes) {
  const nlohmann::json index = read_json(index_path);
  if (!index.contains("weight_map") || !index["weight_map"].is_object())
    throw ConvertError(index_path + ": no weight_map");
  std::set<std::string> files;
  for (auto& [name, file] : index["weight_map"].items()) {
    std::string f = file.get<std::string>();
    if (f.find('/') != std::string::npos || f == "..")
      throw ConvertError(index_path + ": shard name '" + f + "' leaves the directory");
    files.insert(f);
  }
  TensorMap all;
  for (const std::string& f : files) {
    TensorMap part = read_weights_file(dir + "/" + f);
    *file_bytes += file_size(dir + "/" + f);
    for (auto& [name, t] : part) {
      if (all.count(name)) throw ConvertError(dir + ": tensor '" + name + "' appears in two shards");
      all.emplace(name, std::move(t));
    }
  }
  for (auto& [name, file] : index["weight_map"].items())
    if (!all.count(name))
      throw ConvertError(index_path + ": tensor '" + name + "' is not in " + file.get<std::string>());
  return all;
}

TensorMap read_checkpoint(const std::string& path, uint64_t* file_bytes) {
  uint64_t ignored = 0;
  if (!file_bytes) file_bytes = &ignored;
  *file_bytes = 0;
  auto one_file = [&](const std::string& file) {
    TensorMap t = read_weights_file(file);
    *file_bytes = file_size(file);
    return t;
  };
  if (!dir_exists(path)) return one_file(path);
  for (const char* index : {"model.safetensors.index.json", "pytorch_model.bin.index.json"})
    if (file_exists(path + "/" + index)) return read_sharded(path, path + "/" + index, file_bytes);
  for (const char* file : {"model.safetensors", "pytorch_model.bin"})
    if (file_exists(path + "/" + file)) return one_file(path + "/" + file);
  throw ConvertError(path + ": no model.safetensors, pytorch_model.bin or shard index found");
}

}  // namespace tern::convert
