#include "daemon/state/funnel_table.h"

#include <algorithm>

namespace outcomes {
namespace {

FunnelDay DayOf(FunnelReferral r) { return r.day; }
FunnelDay DayOf(FunnelDay d) { return d; }

// Inserts `value` into the sorted array data[0..n) (capacity > n), after
// entries of the same day so arrival order is kept among equals.
template <typename T>
void InsertSorted(T* data, uint8_t& n, T value) {
  int i = n;
  while (i > 0 && DayOf(data[i - 1]) > DayOf(value)) {
    data[i] = data[i - 1];
    --i;
  }
  data[i] = value;
  ++n;
}

template <typename T>
void InsertSorted(std::vector<T>& v, T value) {
  auto it = std::upper_bound(
      v.begin(), v.end(), value,
      [](const T& a, const T& b) { return DayOf(a) < DayOf(b); });
  v.insert(it, value);
}

// Drops entries before min_day from a sorted vector.
template <typename T>
void DropBefore(std::vector<T>& v, FunnelDay min_day) {
  auto it = std::find_if(v.begin(), v.end(),
                         [&](const T& x) { return DayOf(x) >= min_day; });
  v.erase(v.begin(), it);
}

// Drops entries before min_day from the sorted array data[0..n).
template <typename T>
void DropBefore(T* data, uint8_t& n, FunnelDay min_day) {
  int k = 0;
  while (k < n && DayOf(data[k]) < min_day) ++k;
  for (int i = k; i < n; ++i) data[i - k] = data[i];
  n = static_cast<uint8_t>(n - k);
}

// Load limits: grow 1.5x past 3/4 full; EvictBefore re-sizes to 5/8 full.
constexpr size_t kMinCapacity = 8;
size_t MaxSize(size_t capacity) { return capacity - capacity / 4; }
size_t CapacityFor(size_t size) {
  return std::max(kMinCapacity, size + size * 3 / 5 + 1);
}

}  // namespace

FunnelTable::Record& FunnelTable::FindOrInsert(uint64_t client) {
  if (size_ >= MaxSize(capacity_)) {
    Rehash(std::max<size_t>(kMinCapacity, capacity_ + capacity_ / 2));
  }
  size_t i = Home(client);
  while (true) {
    Slot& s = slots_[i];
    if (Empty(s.record)) {
      s.client = client;
      ++size_;
      return s.record;
    }
    if (s.client == client) return s.record;
    if (++i == capacity_) i = 0;
  }
}

FunnelTable::Slot* FunnelTable::AllocateSlots(size_t capacity) {
  return new Slot[capacity]();  // value-initialized: empty
}

void FunnelTable::FreeSlots(Slot* slots, size_t capacity) { delete[] slots; }

void FunnelTable::Rehash(size_t capacity) {
  Slot* const old = slots_;
  const size_t old_capacity = capacity_;
  slots_ = AllocateSlots(capacity);
  capacity_ = static_cast<uint32_t>(capacity);
  for (size_t j = 0; j < old_capacity; ++j) {
    const Slot& s = old[j];
    if (Empty(s.record)) continue;
    size_t i = Home(s.client);
    while (!Empty(slots_[i].record)) {
      if (++i == capacity_) i = 0;
    }
    slots_[i] = s;
  }
  FreeSlots(old, old_capacity);
}

FunnelTable::Spilled& FunnelTable::Spill(uint64_t client, Record& record) {
  if (spilled_ == nullptr) {
    spilled_ = std::make_unique<absl::flat_hash_map<uint64_t, Spilled>>();
  }
  Spilled& s = (*spilled_)[client];
  s.referrals.assign(record.referrals, record.referrals + record.num_referrals);
  s.enrollments.assign(record.enrollments,
                       record.enrollments + record.num_enrollments);
  record.num_referrals = Record::kSpilled;
  record.num_enrollments = 0;
  return s;
}

void FunnelTable::AddReferral(uint64_t client, FunnelReferral referral) {
  Record& record = FindOrInsert(client);
  if (record.num_referrals == Record::kSpilled) {
    InsertSorted((*spilled_)[client].referrals, referral);
  } else if (record.num_referrals < 2) {
    InsertSorted(record.referrals, record.num_referrals, referral);
  } else {
    InsertSorted(Spill(client, record).referrals, referral);
  }
}

void FunnelTable::AddEnrollment(uint64_t client, FunnelDay day) {
  Record& record = FindOrInsert(client);
  if (record.num_referrals == Record::kSpilled) {
    InsertSorted((*spilled_)[client].enrollments, day);
  } else if (record.num_enrollments < 2) {
    InsertSorted(record.enrollments, record.num_enrollments, day);
  } else {
    InsertSorted(Spill(client, record).enrollments, day);
  }
}

FunnelView FunnelTable::View(uint64_t client, const Record& record) const {
  if (record.num_referrals == Record::kSpilled) {
    const Spilled& s = spilled_->at(client);
    return {s.referrals, s.enrollments};
  }
  return {absl::MakeConstSpan(record.referrals, record.num_referrals),
          absl::MakeConstSpan(record.enrollments, record.num_enrollments)};
}

bool FunnelTable::EvictClient(uint64_t client, Record& record,
                              FunnelDay min_day) {
  if (record.num_referrals != Record::kSpilled) {
    DropBefore(record.referrals, record.num_referrals, min_day);
    DropBefore(record.enrollments, record.num_enrollments, min_day);
    return record.num_referrals == 0 && record.num_enrollments == 0;
  }
  auto it = spilled_->find(client);
  Spilled& s = it->second;
  DropBefore(s.referrals, min_day);
  DropBefore(s.enrollments, min_day);
  if (s.referrals.size() > 2 || s.enrollments.size() > 2) return false;
  record = Record{};
  for (FunnelReferral r : s.referrals) {
    InsertSorted(record.referrals, record.num_referrals, r);
  }
  for (FunnelDay d : s.enrollments) {
    InsertSorted(record.enrollments, record.num_enrollments, d);
  }
  spilled_->erase(it);
  return record.num_referrals == 0 && record.num_enrollments == 0;
}

void FunnelTable::EvictBefore(FunnelDay min_day) {
  size_t evicted = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    Slot& s = slots_[i];
    if (Empty(s.record)) continue;
    // An emptied record frees its slot; the probe chains through it are
    // repaired by the rebuild below.
    evicted += EvictClient(s.client, s.record, min_day);
  }
  size_ -= static_cast<uint32_t>(evicted);
  if (size_ == 0) {
    *this = FunnelTable();
  } else if (evicted != 0) {
    Rehash(CapacityFor(size_));
  }
}

}  // namespace outcomes
