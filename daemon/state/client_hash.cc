#include "daemon/state/client_hash.h"

#include <cstring>

namespace outcomes {
namespace {

constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
constexpr int kShift = 47;
constexpr uint64_t kSeed = 0x6f7574636f6d6573ULL;  // "outcomes"

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));  // little-endian hosts only (x86, arm64)
  return v;
}

}  // namespace

// MurmurHash64A by Austin Appleby (public domain).
uint64_t ClientHash(std::string_view key) {
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
