// Files that must never be trusted blindly: checkpoints and alert state in
// --state.dir. Each is one framed payload
//
//   magic (4 bytes) | version (u32 LE) | length (u64 LE) | crc32 (u32 LE) |
//   payload (length bytes)
//
// written atomically (temporary file in the same directory, fsync, rename,
// fsync of the directory), so a crash leaves either the old or the new file,
// and read back only when magic, length and checksum agree.
//
// Thread safety: the functions are thread-safe; concurrent writers of one
// path must be serialized by the caller.
#ifndef OUTCOMESD_DAEMON_BASE_CHECKED_FILE_H_
#define OUTCOMESD_DAEMON_BASE_CHECKED_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace outcomes {

struct CheckedFile {
  uint32_t version = 0;
  std::string payload;
};

// The framed bytes of `payload` (the file's whole content).
// REQUIRES: magic.size() == 4.
std::string EncodeCheckedFile(std::string_view magic, uint32_t version,
                              std::string_view payload);
// DataLoss when `data` is not a file of `magic`, is truncated or fails its
// checksum.
absl::StatusOr<CheckedFile> DecodeCheckedFile(std::string_view data,
                                              std::string_view magic);

// The whole content of `path`. NotFound when it does not exist; the OS
// error otherwise (Unavailable, PermissionDenied).
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// REQUIRES: magic.size() == 4. Errors: the OS error (e.g. a read-only or
// full file system) as Unavailable, PermissionDenied or ResourceExhausted.
absl::Status WriteCheckedFile(const std::string& path, std::string_view magic,
                              uint32_t version, std::string_view payload);

// NotFound when `path` does not exist; Unavailable/PermissionDenied when it
// cannot be read; DataLoss when it is not a file of `magic`, is truncated or
// fails its checksum. The version is returned as written: the caller
// decides which it understands.
absl::StatusOr<CheckedFile> ReadCheckedFile(const std::string& path,
                                            std::string_view magic);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_CHECKED_FILE_H_
