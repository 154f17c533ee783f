// The blob's destination, replaced atomically: bytes go to a temporary file beside it (same
// directory, so the same filesystem, where rename(2) is atomic) that takes the destination's name
// only on commit(). Until then the destination, if it exists, is untouched; on any failure the
// temporary file is removed, so a failed conversion leaves neither a partial blob nor a stray file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tern::convert {

class OutputFile {
 public:
  // Creates the temporary file (throws ConvertError naming the path when the directory is not
  // writable). SIGINT, SIGTERM and SIGHUP remove it before the process ends, until commit() or
  // destruction. One OutputFile at a time per process.
  explicit OutputFile(std::string path);
  ~OutputFile();  // removes the temporary file unless committed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write_at(uint64_t offset, const void* data, size_t size);
  // Sets the file's size: bytes never written read as zeros.
  void resize(uint64_t size);
  // The temporary file: complete once every write_at() is done, for checks before commit().
  const std::string& temp_path() const { return temp_; }
  const std::string& path() const { return path_; }
  // Flushes the bytes to disk, then renames the temporary file over the destination.
  void commit();

 private:
  void discard();
  std::string path_, temp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace tern::convert
