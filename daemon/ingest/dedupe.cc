#include "daemon/ingest/dedupe.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"

namespace outcomes {
namespace {

constexpr char kMagic[4] = {'O', 'D', 'D', '1'};
constexpr size_t kEntrySize = sizeof(uint64_t) + sizeof(DayNumber);

// A stable (process-independent) 64-bit FNV-1a hash with a final mix, so a
// checkpoint written by one process is valid in the next.
uint64_t StableHash(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

constexpr size_t kInitialCapacity = 1024;

uint64_t NonZeroHash(std::string_view s) {
  const uint64_t h = StableHash(s);
  return h == 0 ? 1 : h;
}

}  // namespace

void DedupeIndex::Rehash(size_t capacity) {
  const HugeArray<Slot> old = std::move(slots_);
  slots_ = HugeArray<Slot>(capacity);
  mask_ = capacity - 1;
  size_ = 0;
  for (const Slot& s : old) {
    if (s.hash != 0) InsertNew(s.hash, s.day);
  }
}

void DedupeIndex::InsertNew(uint64_t hash, DayNumber day) {
  size_t i = hash & mask_;
  while (slots_[i].hash != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{hash, day};
  ++size_;
}

uint64_t DedupeIndex::Hash(std::string_view event_id) {
  return NonZeroHash(event_id);
}

uint64_t DedupeIndex::Prefetch(std::string_view event_id) const {
  const uint64_t hash = NonZeroHash(event_id);
  if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  return hash;
}

bool DedupeIndex::InsertHash(uint64_t hash, DayNumber day) {
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    Rehash(std::max(kInitialCapacity, slots_.size() * 2));
  }
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.hash == hash) {
      if (s.day < day) s.day = day;
      return false;
    }
    if (s.hash == 0) {
      s = Slot{hash, day};
      ++size_;
      return true;
    }
  }
}

void DedupeIndex::EvictBefore(DayNumber oldest_kept_day) {
  const HugeArray<Slot> old = std::move(slots_);
  size_t kept = 0;
  for (const Slot& s : old) {
    if (s.hash != 0 && s.day >= oldest_kept_day) ++kept;
  }
  size_t capacity = kInitialCapacity;
  while (kept * 4 > capacity * 3 / 2) capacity *= 2;  // room to grow again
  slots_ = HugeArray<Slot>(capacity);
  mask_ = capacity - 1;
  size_ = 0;
  for (const Slot& s : old) {
    if (s.hash != 0 && s.day >= oldest_kept_day) InsertNew(s.hash, s.day);
  }
}

std::string DedupeIndex::Serialize() const {
  std::string out(kMagic, sizeof(kMagic));
  out.reserve(sizeof(kMagic) + size_ * kEntrySize);
  for (const Slot& s : slots_) {
    if (s.hash == 0) continue;
    const uint64_t hash = s.hash;
    const DayNumber day = s.day;
    out.append(reinterpret_cast<const char*>(&hash), sizeof(hash));
    out.append(reinterpret_cast<const char*>(&day), sizeof(day));
  }
  return out;
}

absl::StatusOr<DedupeIndex> DedupeIndex::Deserialize(std::string_view data) {
  if (data.size() < sizeof(kMagic) ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0 ||
      (data.size() - sizeof(kMagic)) % kEntrySize != 0) {
    return absl::DataLossError("dedupe checkpoint is corrupt");
  }
  DedupeIndex index;
  const size_t count = (data.size() - sizeof(kMagic)) / kEntrySize;
  size_t capacity = kInitialCapacity;
  while ((count + 1) * 4 > capacity * 3) capacity *= 2;
  index.Rehash(capacity);
  const char* p = data.data() + sizeof(kMagic);
  for (size_t i = 0; i < count; ++i, p += kEntrySize) {
    uint64_t hash;
    DayNumber day;
    std::memcpy(&hash, p, sizeof(hash));
    std::memcpy(&day, p + sizeof(hash), sizeof(day));
    if (hash == 0) return absl::DataLossError("dedupe checkpoint is corrupt");
    index.InsertNew(hash, day);
  }
  return index;
}

}  // namespace outcomes
