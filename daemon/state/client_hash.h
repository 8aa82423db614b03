// Hashes of the ids outcomesd keeps (docs/design.md, "Safe to expose").
//
// ClientHasher: the keyed 64-bit hash of a client_key. Funnels store this
// hash instead of the key, so no client_key is ever kept in memory or in a
// checkpoint. It is SipHash-2-4 (libsodium crypto_shorthash) under a 16-byte
// secret key derived from --privacy.key_file, so that a stolen checkpoint
// cannot be reversed by hashing guessed ids (case numbers are low-entropy):
// without the key, a guess cannot be checked. The hash is stable across
// processes and builds for one key (checkpoints outlive the process), unlike
// absl::Hash. Two clients of one provider+program collide with probability
// about n^2 / 2^65 (n clients): 3e-8 at a million clients; a collision
// merges their funnels.
//
// StableIdHash: an unkeyed hash (MurmurHash64A, fixed seed) for ids that are
// not personal and are published anyway (provider_id, program_id: metric
// labels). Never for client_key.
//
// Thread safety: ClientHasher is immutable after construction; all methods
// are const and thread-safe. Copying it copies the key (16 bytes).
// libsodium stays behind this header (linked PRIVATE by outcomes_state).
#ifndef OUTCOMESD_DAEMON_STATE_CLIENT_HASH_H_
#define OUTCOMESD_DAEMON_STATE_CLIENT_HASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace outcomes {

class ClientHasher {
 public:
  static constexpr size_t kKeyBytes = 16;          // SipHash-2-4 key
  static constexpr size_t kFingerprintBytes = 16;  // see fingerprint()
  // Bounds on the secret (a key file's bytes): at least 128 bits when it
  // is random; at most 4 KiB, so that a wrong path (a device, a log file)
  // is an error instead of a long read.
  static constexpr size_t kMinSecretBytes = 16;
  static constexpr size_t kMaxSecretBytes = 4096;

  // The default key: derived like FromSecret from a fixed, public string,
  // so that restarts without --privacy.key_file still match their own
  // checkpoints. It protects nothing against guessing (anyone can derive
  // it); main logs a warning when it is used.
  ClientHasher();

  // The key derived from `secret` (any bytes, e.g. a key file's content,
  // used exactly: a trailing newline is part of it) with BLAKE2b
  // (crypto_generichash, personalized for this use). InvalidArgument when
  // the secret is shorter than kMinSecretBytes or longer than
  // kMaxSecretBytes; Internal when libsodium cannot be initialized.
  static absl::StatusOr<ClientHasher> FromSecret(std::string_view secret);

  // The keyed hash of `client_key`: SipHash-2-4 output read little-endian.
  uint64_t Hash(std::string_view client_key) const;

  // A one-way fingerprint of the key (BLAKE2b of it, personalized apart
  // from the key derivation): recorded in checkpoints to tell which key
  // their hashes were made with; safe to store and log (it does not reveal
  // the key nor help to check guessed client ids).
  const std::array<uint8_t, kFingerprintBytes>& fingerprint() const {
    return fingerprint_;
  }
  // fingerprint() as 32 lowercase hex digits, for log lines.
  std::string FingerprintHex() const;
  // True for the default (public) key.
  bool is_default() const { return is_default_; }

 private:
  struct Secret {};
  ClientHasher(Secret, std::string_view secret);

  std::array<uint8_t, kKeyBytes> key_{};
  std::array<uint8_t, kFingerprintBytes> fingerprint_{};
  bool is_default_ = false;
};

// Reads `path` (at most ClientHasher::kMaxSecretBytes + 1 bytes) and
// returns ClientHasher::FromSecret of its content. Errors name the flag and
// the path and say what is wrong (missing, unreadable, empty, too short,
// too long), never any of the file's bytes.
absl::StatusOr<ClientHasher> LoadClientHasher(const std::string& path);

// MurmurHash64A (fixed seed) of a non-personal id. Not for client_key.
uint64_t StableIdHash(std::string_view id);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_CLIENT_HASH_H_
