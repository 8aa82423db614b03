#include "daemon/dedupe.h"

#include <cstring>

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

}  // namespace

bool DedupeIndex::Insert(std::string_view event_id, DayNumber day) {
  auto [it, inserted] = seen_.try_emplace(StableHash(event_id), day);
  if (!inserted && it->second < day) it->second = day;
  return inserted;
}

void DedupeIndex::EvictBefore(DayNumber oldest_kept_day) {
  absl::erase_if(seen_, [oldest_kept_day](const auto& entry) {
    return entry.second < oldest_kept_day;
  });
}

std::string DedupeIndex::Serialize() const {
  std::string out(kMagic, sizeof(kMagic));
  out.reserve(sizeof(kMagic) + seen_.size() * kEntrySize);
  for (const auto& [hash, day] : seen_) {
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
  index.seen_.reserve(count);
  const char* p = data.data() + sizeof(kMagic);
  for (size_t i = 0; i < count; ++i, p += kEntrySize) {
    uint64_t hash;
    DayNumber day;
    std::memcpy(&hash, p, sizeof(hash));
    std::memcpy(&day, p + sizeof(hash), sizeof(day));
    index.seen_.emplace(hash, day);
  }
  return index;
}

}  // namespace outcomes
