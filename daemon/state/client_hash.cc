#include "daemon/state/client_hash.h"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace outcomes {
namespace {

static_assert(ClientHasher::kKeyBytes == crypto_shorthash_KEYBYTES);
static_assert(crypto_shorthash_BYTES == sizeof(uint64_t));

// BLAKE2b personalizations (16 bytes each): one per use, so that the key
// and its fingerprint are unrelated outputs of the same input.
constexpr char kKeyPersonal[] = "outcomesd-ckey01";
constexpr char kFingerprintPersonal[] = "outcomesd-kfpr01";
static_assert(sizeof(kKeyPersonal) - 1 ==
              crypto_generichash_blake2b_PERSONALBYTES);
static_assert(sizeof(kFingerprintPersonal) - 1 ==
              crypto_generichash_blake2b_PERSONALBYTES);

// Public by design: the default key protects nothing (see the header).
constexpr std::string_view kDefaultSecret =
    "outcomesd default client hash key: not secret, set --privacy.key_file";

// sodium_init() exactly once (a function-local static: thread-safe).
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

template <size_t N>
void Blake2b(std::string_view in, const char* personal,
             std::array<uint8_t, N>& out) {
  static_assert(N >= crypto_generichash_blake2b_BYTES_MIN);
  crypto_generichash_blake2b_salt_personal(
      out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()),
      in.size(), /*key=*/nullptr, 0, /*salt=*/nullptr,
      reinterpret_cast<const unsigned char*>(personal));
}

// Constants of MurmurHash64A (StableIdHash).
constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
constexpr int kShift = 47;
constexpr uint64_t kSeed = 0x6f7574636f6d6573ULL;  // "outcomes"

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));  // little-endian hosts only (x86, arm64)
  return v;
}

}  // namespace

ClientHasher::ClientHasher() : ClientHasher(Secret{}, kDefaultSecret) {
  is_default_ = true;
}

ClientHasher::ClientHasher(Secret, std::string_view secret) {
  if (!SodiumReady()) {
    // An invariant of the platform, not an input: FromSecret checked it
    // already for every hasher but the default one.
    std::fputs("outcomesd: sodium_init() failed\n", stderr);
    std::abort();
  }
  Blake2b(secret, kKeyPersonal, key_);
  Blake2b(
      std::string_view(reinterpret_cast<const char*>(key_.data()), key_.size()),
      kFingerprintPersonal, fingerprint_);
}

absl::StatusOr<ClientHasher> ClientHasher::FromSecret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes || secret.size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key is ", secret.size(), " bytes; it must be ",
                     kMinSecretBytes, " to ", kMaxSecretBytes,
                     " bytes (e.g. head -c 32 /dev/urandom > FILE)"));
  }
  if (!SodiumReady()) return absl::InternalError("sodium_init() failed");
  return ClientHasher(Secret{}, secret);
}

uint64_t ClientHasher::Hash(std::string_view client_key) const {
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out,
                   reinterpret_cast<const unsigned char*>(client_key.data()),
                   client_key.size(), key_.data());
  uint64_t h = 0;
  for (int i = 7; i >= 0; --i) h = (h << 8) | out[i];  // one load on x86
  return h;
}

std::string ClientHasher::FingerprintHex() const {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(fingerprint_.data()), fingerprint_.size()));
}

absl::StatusOr<ClientHasher> LoadClientHasher(const std::string& path) {
  const std::string flag = absl::StrCat("--privacy.key_file=", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot open: ", std::strerror(errno)));
  }
  std::string secret(ClientHasher::kMaxSecretBytes + 1, '\0');
  in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read: ", std::strerror(errno)));
  }
  secret.resize(static_cast<size_t>(in.gcount()));
  absl::StatusOr<ClientHasher> hasher = ClientHasher::FromSecret(secret);
  sodium_memzero(secret.data(), secret.size());
  if (!hasher.ok()) {
    if (secret.empty()) {
      return absl::InvalidArgumentError(flag + ": empty file");
    }
    if (secret.size() > ClientHasher::kMaxSecretBytes) {  // read was capped
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": more than ", ClientHasher::kMaxSecretBytes,
                       " bytes: not a key file"));
    }
    return absl::Status(hasher.status().code(),
                        absl::StrCat(flag, ": ", hasher.status().message()));
  }
  return hasher;
}

// MurmurHash64A by Austin Appleby (public domain).
uint64_t StableIdHash(std::string_view key) {
  const size_t len = key.size();
  uint64_t h = kSeed ^ (len * kMul);
  const char* p = key.data();
  const char* end = p + (len / 8) * 8;
  for (; p != end; p += 8) {
    uint64_t k = Load64(p);
    k *= kMul;
    k ^= k >> kShift;
    k *= kMul;
    h ^= k;
    h *= kMul;
  }
  const size_t rest = len & 7;
  if (rest != 0) {
    uint64_t tail = 0;
    for (size_t i = 0; i < rest; ++i) {
      tail |= static_cast<uint64_t>(static_cast<unsigned char>(p[i]))
              << (8 * i);
    }
    h ^= tail;
    h *= kMul;
  }
  h ^= h >> kShift;
  h *= kMul;
  h ^= h >> kShift;
  return h;
}

}  // namespace outcomes
