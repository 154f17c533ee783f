#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "checkpoint.h"

namespace tern::convert {
namespace {

// The handler may only use async-signal-safe calls: the path is a fixed buffer filled before
// the handler is installed, and unlink(2) and raise(3) are safe.
char g_temp_path[4096];
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[3];

extern "C" void remove_temp_and_reraise(int sig) {
  unlink(g_temp_path);
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_cleanup(const std::string& temp) {
  if (temp.size() >= sizeof(g_temp_path)) return;  // mkstemp succeeded, so this cannot happen
  std::memcpy(g_temp_path, temp.c_str(), temp.size() + 1);
  struct sigaction sa = {};
  sa.sa_handler = remove_temp_and_reraise;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
}

void remove_cleanup() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  temp_ = path_ + ".tmp-XXXXXX";
  fd_ = mkstemp(temp_.data());
  if (fd_ < 0) throw ConvertError(path_ + ": cannot create a file beside it: " + std::strerror(errno));
  // mkstemp makes the file 0600; a blob is an ordinary output, readable as the umask allows.
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(fd_, 0666 & ~mask);
  install_cleanup(temp_);
}

OutputFile::~OutputFile() {
  if (!committed_) discard();
}

void OutputFile::discard() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  unlink(temp_.c_str());
  remove_cleanup();
}

void OutputFile::write_at(uint64_t offset, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = pwrite(fd_, p, size, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw ConvertError(path_ + ": write failed: " + std::strerror(n < 0 ? errno : ENOSPC));
    p += n;
    offset += uint64_t(n);
    size -= size_t(n);
  }
}

void OutputFile::resize(uint64_t size) {
  if (ftruncate(fd_, off_t(size)) != 0) throw ConvertError(path_ + ": cannot set its size: " + std::strerror(errno));
}

void OutputFile::commit() {
  // fsync before rename: otherwise a crash soon after could leave the new name on an empty file.
  if (fsync(fd_) != 0) throw ConvertError(path_ + ": fsync failed: " + std::strerror(errno));
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) throw ConvertError(path_ + ": close failed: " + std::strerror(errno));
  if (rename(temp_.c_str(), path_.c_str()) != 0)
    throw ConvertError(path_ + ": cannot replace it: " + std::strerror(errno));
  committed_ = true;
  remove_cleanup();
}

}  // namespace tern::convert
