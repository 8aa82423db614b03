#include "daemon/base/checked_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/base/internal/endian.h"
#include "absl/base/macros.h"
#include "absl/strings/str_cat.h"

namespace outcomes {
namespace {

constexpr size_t kHeaderSize = 4 + 4 + 8 + 4;

absl::Status OsError(const std::string& what, const std::string& path,
                     int err) {
  const std::string message =
      absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    default:
      return absl::UnavailableError(message);
  }
}

uint32_t Crc(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()),
            static_cast<uInt>(data.size())));
}

// Writes all of `data` to `fd`.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void SyncDirectory(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd =
      ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string EncodeCheckedFile(std::string_view magic, uint32_t version,
                              std::string_view payload) {
  ABSL_ASSERT(magic.size() == 4);
  std::string out(magic);
  char buf[8];
  absl::little_endian::Store32(buf, version);
  out.append(buf, 4);
  absl::little_endian::Store64(buf, payload.size());
  out.append(buf, 8);
  absl::little_endian::Store32(buf, Crc(payload));
  out.append(buf, 4);
  out.append(payload);
  return out;
}

absl::StatusOr<CheckedFile> DecodeCheckedFile(std::string_view data,
                                              std::string_view magic) {
  if (data.size() < kHeaderSize || data.substr(0, 4) != magic) {
    return absl::DataLossError("not a checked file (bad magic or too short)");
  }
  CheckedFile file;
  file.version = absl::little_endian::Load32(data.data() + 4);
  const uint64_t length = absl::little_endian::Load64(data.data() + 8);
  const uint32_t crc = absl::little_endian::Load32(data.data() + 16);
  if (length != data.size() - kHeaderSize) {
    return absl::DataLossError("truncated");
  }
  file.payload = std::string(data.substr(kHeaderSize));
  if (Crc(file.payload) != crc) return absl::DataLossError("checksum mismatch");
  return file;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return OsError("cannot open", path, errno);
  std::string data((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) return OsError("cannot read", path, errno);
  return data;
}

absl::Status WriteCheckedFile(const std::string& path, std::string_view magic,
                              uint32_t version, std::string_view payload) {
  const std::string data = EncodeCheckedFile(magic, version, payload);
  const std::string tmp = path + ".tmp";
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return OsError("cannot create", tmp, errno);
  const bool written = WriteAll(fd, data) && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return OsError("cannot write", tmp, write_errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(tmp.c_str());
    return OsError("cannot rename to", path, rename_errno);
  }
  SyncDirectory(path);
  return absl::OkStatus();
}

absl::StatusOr<CheckedFile> ReadCheckedFile(const std::string& path,
                                            std::string_view magic) {
  absl::StatusOr<std::string> data = ReadWholeFile(path);
  if (!data.ok()) return data.status();
  absl::StatusOr<CheckedFile> file = DecodeCheckedFile(*data, magic);
  if (!file.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", file.status().message()));
  }
  return file;
}

}  // namespace outcomes
