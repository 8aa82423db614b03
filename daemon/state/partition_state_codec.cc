// PartitionState::Serialize / Deserialize: checkpoint format version 3.
//
//   "OSTS" varint(version)
//   key:       string(client hash key fingerprint, 16 bytes)   (since v2)
//   settings:  string(tz) varint(horizon) varint(max_groups)
//              varint(#dims) string(dim)...
//   epoch:     varint(has) [signed(epoch)]
//   groups:    per dimension: varint(#names) string(name)...
//   profiles:  varint(#profiles - 1) varint(packed)...   (id 0 implicit)
//   codes:     varint(#outcome codes) string(code)...      (since v3)
//   programs:  varint(#programs), each:
//     string(provider) string(program)
//     ring:    varint(#used slots), each varint(slot) signed(day) 7 x varint
//     groups:  varint(#rings), each varint(key) varint(#slots),
//              each varint(slot) varint(completions) varint(disenrollments)
//     funnels: varint(#clients), each fixed64(client hash)
//              varint(#refs) (varint(day) varint(profile bits))...
//              varint(#enrollments) varint(day)...
//     payments (since v3): varint(#marks), each fixed64(client)
//              signed(day) varint(kind << 1 | priority);
//              varint(#outcomes), each fixed64(client) signed(day)
//              varint(code << 1 | priority) fixed64(value bits)
//
// Version 2 (no payment marks) is not restored: payments would be missing,
// so the partition is rebuilt from Kafka like after any unusable checkpoint.
#include <algorithm>
#include <bit>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "daemon/state/byte_codec.h"
#include "daemon/state/partition_state.h"

namespace outcomes {
namespace {

constexpr std::string_view kMagic = "OSTS";
constexpr uint64_t kVersion = 3;
// Version 1 had no key fingerprint: its client hashes are the unkeyed
// MurmurHash64A of earlier builds, which no key reproduces.
constexpr uint64_t kUnkeyedVersion = 1;
constexpr absl::string_view kKeyChangedUrl =
    "type.outcomesd/partition_checkpoint.client_key_changed";

absl::Status KeyChanged(std::string what) {
  absl::Status s = absl::FailedPreconditionError(
      absl::StrCat("partition checkpoint's client hashes were made with ", what,
                   ": not restored (rebuilt from Kafka)"));
  s.SetPayload(kKeyChangedUrl, absl::Cord());
  return s;
}

std::string_view FingerprintView(const ClientHasher& hasher) {
  return {reinterpret_cast<const char*>(hasher.fingerprint().data()),
          hasher.fingerprint().size()};
}

void WriteRing(const DayRings& rings, ByteWriter& w) {
  std::vector<int> used;
  for (int s = 0; s < rings.horizon(); ++s) {
    if (rings.slot_day(s) != DayRings::kNoDay) used.push_back(s);
  }
  w.Varint(used.size());
  for (int s : used) {
    w.Varint(s);
    w.Signed(rings.slot_day(s));
    for (uint32_t c : rings.slot_counts(s)) w.Varint(c);
  }
  std::vector<GroupRingKey> keys = rings.GroupKeys();
  std::sort(keys.begin(), keys.end());
  w.Varint(keys.size());
  for (GroupRingKey key : keys) {
    w.Varint(key);
    w.Varint(used.size());
    for (int s : used) {
      const DayRings::GroupCounts& c = rings.group_slot(key, s);
      w.Varint(s);
      w.Varint(c[0]);
      w.Varint(c[1]);
    }
  }
}

void WriteFunnels(const FunnelTable& funnels, ByteWriter& w) {
  w.Varint(funnels.size());
  funnels.ForEach([&](uint64_t client, const FunnelView& f) {
    w.Fixed64(client);
    w.Varint(f.referrals.size());
    for (FunnelReferral r : f.referrals) {
      w.Varint(r.day);
      w.Varint(r.profile_bits);
    }
    w.Varint(f.enrollments.size());
    for (FunnelDay d : f.enrollments) w.Varint(d);
  });
}

void WritePayments(const PaymentLog& log, ByteWriter& w) {
  w.Varint(log.marks().size());
  for (const PaymentLog::Mark& m : log.marks()) {
    w.Fixed64(m.client);
    w.Signed(m.day);
    w.Varint((static_cast<uint64_t>(m.kind) << 1) | (m.priority ? 1 : 0));
  }
  w.Varint(log.outcomes().size());
  for (const PaymentLog::OutcomeMark& m : log.outcomes()) {
    w.Fixed64(m.client);
    w.Signed(m.day);
    w.Varint((static_cast<uint64_t>(m.code) << 1) | (m.priority ? 1 : 0));
    w.Fixed64(std::bit_cast<uint64_t>(m.value));
  }
}

absl::Status Corrupt(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("corrupt partition checkpoint: ", what));
}

bool ReadU32(ByteReader& r, uint32_t& out) {
  const uint64_t v = r.Varint();
  out = static_cast<uint32_t>(v);
  return r.ok() && v <= UINT32_MAX;
}

absl::Status ReadDaySlots(ByteReader& r, DayRings& rings) {
  const uint64_t n = r.Count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t slot = r.Varint();
    const int64_t day = r.Signed();
    DayRings::DayCounts counts;
    for (uint32_t& c : counts) {
      if (!ReadU32(r, c)) return Corrupt("ring count");
    }
    const int64_t h = rings.horizon();
    if (slot >= static_cast<uint64_t>(h) || day <= INT32_MIN ||
        day > INT32_MAX || ((day % h) + h) % h != static_cast<int64_t>(slot)) {
      return Corrupt("ring slot");
    }
    rings.RestoreSlot(static_cast<int>(slot), static_cast<DayNumber>(day),
                      counts);
  }
  return absl::OkStatus();
}

absl::Status ReadGroupRings(ByteReader& r, const GroupInterner& groups,
                            DayRings& rings) {
  const uint64_t keys = r.Count();
  for (uint64_t i = 0; i < keys && r.ok(); ++i) {
    const uint64_t key = r.Varint();
    const uint64_t d = key >> 8, g = key & 0xff;
    if (key > 0xffff || d >= static_cast<uint64_t>(groups.num_dimensions()) ||
        g == 0 || g > groups.group_names(d).size()) {
      return Corrupt("group ring key");
    }
    const uint64_t slots = r.Count();
    for (uint64_t j = 0; j < slots && r.ok(); ++j) {
      const uint64_t slot = r.Varint();
      DayRings::GroupCounts c;
      if (!ReadU32(r, c[0]) || !ReadU32(r, c[1]) ||
          slot >= static_cast<uint64_t>(rings.horizon())) {
        return Corrupt("group ring slot");
      }
      rings.RestoreGroupSlot(static_cast<GroupRingKey>(key),
                             static_cast<int>(slot), c);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadRing(ByteReader& r, const GroupInterner& groups,
                      DayRings& rings) {
  if (absl::Status st = ReadDaySlots(r, rings); !st.ok()) return st;
  if (absl::Status st = ReadGroupRings(r, groups, rings); !st.ok()) return st;
  return r.ok() ? absl::OkStatus() : Corrupt("ring truncated");
}

absl::Status ReadFunnels(ByteReader& r, size_t num_profiles,
                         FunnelTable& funnels) {
  const uint64_t n = r.Count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t client = r.Fixed64();
    const uint64_t refs = r.Count();
    for (uint64_t j = 0; j < refs && r.ok(); ++j) {
      const uint64_t day = r.Varint(), bits = r.Varint();
      if (day > 0xffff || bits > 0xffff ||
          (bits & FunnelReferral::kMaxProfile) >= num_profiles) {
        return Corrupt("referral");
      }
      funnels.AddReferral(
          client, {static_cast<FunnelDay>(day), static_cast<uint16_t>(bits)});
    }
    const uint64_t enrolls = r.Count();
    for (uint64_t j = 0; j < enrolls && r.ok(); ++j) {
      const uint64_t day = r.Varint();
      if (day > 0xffff) return Corrupt("enrollment");
      funnels.AddEnrollment(client, static_cast<FunnelDay>(day));
    }
  }
  return r.ok() ? absl::OkStatus() : Corrupt("funnels truncated");
}

bool ReadDay(ByteReader& r, DayNumber& day) {
  const int64_t d = r.Signed();
  day = static_cast<DayNumber>(d);
  return r.ok() && d > INT32_MIN && d <= INT32_MAX;
}

absl::Status ReadPayments(ByteReader& r, size_t num_codes, PaymentLog& log) {
  const uint64_t marks = r.Count();
  for (uint64_t i = 0; i < marks && r.ok(); ++i) {
    PaymentLog::Mark m;
    m.client = r.Fixed64();
    const bool day_ok = ReadDay(r, m.day);
    const uint64_t bits = r.Varint();
    if (!day_ok || (bits >> 1) >= kOutcome) return Corrupt("payment mark");
    m.kind = static_cast<uint8_t>(bits >> 1);
    m.priority = (bits & 1) != 0;
    log.Add(m);
  }
  const uint64_t outcomes = r.Count();
  for (uint64_t i = 0; i < outcomes && r.ok(); ++i) {
    PaymentLog::OutcomeMark m;
    m.client = r.Fixed64();
    const bool day_ok = ReadDay(r, m.day);
    const uint64_t bits = r.Varint();
    const uint64_t code = bits >> 1;
    m.value = std::bit_cast<double>(r.Fixed64());
    if (!day_ok || !r.ok() || (code >= num_codes && code != kOtherCode)) {
      return Corrupt("payment outcome");
    }
    m.code = static_cast<OutcomeCodeId>(code);
    m.priority = (bits & 1) != 0;
    log.AddOutcome(m);
  }
  return r.ok() ? absl::OkStatus() : Corrupt("payments truncated");
}

}  // namespace

bool IsClientKeyChanged(const absl::Status& status) {
  return status.GetPayload(kKeyChangedUrl).has_value();
}

void PartitionState::WriteHeader(ByteWriter& w) const {
  w.Varint(kVersion);
  w.String(FingerprintView(settings_.client_hasher));
  w.String(settings_.timezone.name());
  w.Varint(settings_.horizon_days);
  w.Varint(settings_.max_groups_per_dimension);
  w.Varint(settings_.dimensions.size());
  for (const std::string& d : settings_.dimensions) w.String(d);
  w.Varint(epoch_.has_value());
  if (epoch_.has_value()) w.Signed(*epoch_);
  for (int d = 0; d < groups_.num_dimensions(); ++d) {
    w.Varint(groups_.group_names(d).size());
    for (const std::string& name : groups_.group_names(d)) w.String(name);
  }
  w.Varint(groups_.profiles().size() - 1);
  for (size_t i = 1; i < groups_.profiles().size(); ++i) {
    w.Varint(groups_.profiles()[i]);
  }
  w.Varint(outcome_codes_.size());
  for (const std::string& code : outcome_codes_) w.String(code);
}

std::string PartitionState::Serialize() const {
  Flush();
  std::string out(kMagic);
  ByteWriter w(&out);
  WriteHeader(w);
  std::vector<const ProgramState*> programs;
  for (const auto& [key, p] : programs_) programs.push_back(p.get());
  std::sort(programs.begin(), programs.end(), [](auto* a, auto* b) {
    return std::tie(a->provider, a->program) <
           std::tie(b->provider, b->program);
  });
  w.Varint(programs.size());
  for (const ProgramState* p : programs) {
    w.String(p->provider);
    w.String(p->program);
    WriteRing(p->rings, w);
    WriteFunnels(p->funnels, w);
    WritePayments(p->payments, w);
  }
  return out;
}

absl::StatusOr<PartitionState> PartitionState::Deserialize(
    std::string_view data, const StateSettings& settings) {
  PartitionState state(settings);
  if (absl::Status st = state.RestoreFrom(data); !st.ok()) return st;
  return state;
}

absl::Status PartitionState::RestoreFrom(std::string_view data) {
  if (data.substr(0, kMagic.size()) != kMagic) return Corrupt("bad magic");
  ByteReader r(data.substr(kMagic.size()));
  const uint64_t version = r.Varint();
  if (r.ok() && version == kUnkeyedVersion) {
    return KeyChanged("the unkeyed hash of format version 1");
  }
  if (r.ok() && version != kVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("unsupported partition checkpoint version ", version));
  }
  const std::string_view fingerprint = r.String();
  if (!r.ok()) return Corrupt("header");
  if (fingerprint != FingerprintView(settings_.client_hasher)) {
    return KeyChanged(absl::StrCat(
        "another key (--privacy.key_file): fingerprint ",
        absl::BytesToHexString(
            absl::string_view(fingerprint.data(), fingerprint.size())),
        ", this process ", settings_.client_hasher.FingerprintHex()));
  }
  const std::string_view tz = r.String();
  const uint64_t horizon = r.Varint();
  const uint64_t max_groups = r.Varint();
  const uint64_t num_dims = r.Count();
  bool same =
      r.ok() && tz == settings_.timezone.name() &&
      horizon == static_cast<uint64_t>(settings_.horizon_days) &&
      max_groups == static_cast<uint64_t>(settings_.max_groups_per_dimension) &&
      num_dims == settings_.dimensions.size();
  for (uint64_t d = 0; same && d < num_dims; ++d) {
    same = r.String() == settings_.dimensions[d] && r.ok();
  }
  if (!r.ok()) return Corrupt("header");
  if (!same) {
    return absl::FailedPreconditionError(
        "partition checkpoint was written with other timezone, horizon, "
        "dimensions or group cap");
  }
  if (r.Varint() != 0) epoch_ = static_cast<DayNumber>(r.Signed());
  return RestoreBody(r);
}

absl::Status PartitionState::RestoreBody(ByteReader& r) {
  for (int d = 0; d < groups_.num_dimensions() && r.ok(); ++d) {
    const uint64_t n = r.Count();
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      if (!groups_.RestoreGroup(d, r.String())) return Corrupt("group name");
    }
  }
  const uint64_t profiles = r.Count();
  for (uint64_t i = 0; i < profiles && r.ok(); ++i) {
    if (!groups_.RestoreProfile(r.Varint())) return Corrupt("profile");
  }
  const uint64_t codes = r.Count();
  for (uint64_t i = 0; i < codes && r.ok(); ++i) {
    const std::string code(r.String());
    if (!r.ok() || outcome_codes_.size() >= kMaxOutcomeCodes ||
        InternCode(code) != outcome_codes_.size() - 1) {
      return Corrupt("outcome code");
    }
  }
  const uint64_t programs = r.Count();
  for (uint64_t i = 0; i < programs && r.ok(); ++i) {
    const std::string_view provider = r.String();
    const std::string_view program = r.String();
    if (!r.ok() || programs_.contains(KeyView{provider, program})) {
      return Corrupt("program");
    }
    ProgramState& p = Program(provider, program);
    if (absl::Status st = ReadRing(r, groups_, p.rings); !st.ok()) return st;
    absl::Status st = ReadFunnels(r, groups_.profiles().size(), p.funnels);
    if (!st.ok()) return st;
    st = ReadPayments(r, outcome_codes_.size(), p.payments);
    if (!st.ok()) return st;
    for (int s = 0; s < p.rings.horizon(); ++s) {
      max_day_ = std::max(max_day_, p.rings.slot_day(s));  // kNoDay: minimal
    }
  }
  if (!r.done()) return Corrupt("trailing or truncated data");
  return absl::OkStatus();
}

}  // namespace outcomes
