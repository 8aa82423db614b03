#include "daemon/checkpointer.h"

#include <filesystem>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/base/checked_file.h"
#include "daemon/base/json_log.h"
#include "daemon/state/byte_codec.h"

namespace outcomes {
namespace {

constexpr std::string_view kMagic = "OCKP";
constexpr uint32_t kVersion = 1;

constexpr const char* kFailureNames[] = {"missing",    "unreadable", "corrupt",
                                         "version",    "stale",      "write",
                                         "key_changed"};
static_assert(std::size(kFailureNames) ==
              static_cast<size_t>(CheckpointFailure::kKeyChanged) + 1);

struct Contents {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  DayNumber history_from = kHistoryComplete;
  std::string_view state;
  std::string_view dedupe;
};

std::string Encode(const PartitionId& id, int64_t offset,
                   DayNumber history_from, std::string_view state,
                   std::string_view dedupe) {
  std::string out;
  ByteWriter w(&out);
  w.String(id.topic);
  w.Signed(id.partition);
  w.Signed(offset);
  w.Signed(history_from);
  w.String(state);
  w.String(dedupe);
  return out;
}

std::optional<Contents> Decode(std::string_view payload) {
  ByteReader r(payload);
  Contents c;
  c.topic = std::string(r.String());
  c.partition = static_cast<int32_t>(r.Signed());
  c.offset = r.Signed();
  c.history_from = static_cast<DayNumber>(r.Signed());
  c.state = r.String();
  c.dedupe = r.String();
  if (!r.done()) return std::nullopt;
  return c;
}

prometheus::Gauge& NewGauge(prometheus::Registry& r, const char* name,
                            const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

Checkpointer::Checkpointer(CheckpointSettings settings, StateStore& store,
                           const Clock& clock, prometheus::Registry& registry)
    : settings_(std::move(settings)),
      store_(store),
      clock_(clock),
      failures_(prometheus::BuildCounter()
                    .Name("outcomes_checkpoint_failures_total")
                    .Help("Partition checkpoints not used (missing, "
                          "unreadable, corrupt, version, stale, key_changed) "
                          "or not written (write); each is rebuilt from "
                          "Kafka.")
                    .Register(registry)),
      restores_(prometheus::BuildCounter()
                    .Name("outcomes_checkpoint_restores_total")
                    .Help("Partitions whose state was restored from a "
                          "checkpoint on assignment.")
                    .Register(registry)
                    .Add({})),
      age_seconds_(NewGauge(registry, "outcomes_checkpoint_age_seconds",
                            "Age of the oldest checkpoint that is behind "
                            "its partition's committed offset (0: all "
                            "current).")),
      bytes_(NewGauge(registry, "outcomes_checkpoint_bytes",
                      "Size of the latest checkpoints of the assigned "
                      "partitions, summed.")),
      write_seconds_(prometheus::BuildHistogram()
                         .Name("outcomes_checkpoint_write_seconds")
                         .Help("Time to serialize and write one partition's "
                               "checkpoint.")
                         .Register(registry)
                         .Add({},
                              prometheus::Histogram::BucketBoundaries{
                                  0.001, 0.01, 0.05, 0.1, 0.5, 1, 5})),
      writable_(NewGauge(registry, "outcomes_state_dir_writable",
                         "0 when the last checkpoint could not be written "
                         "to --state.dir (read-only or full), else 1.")) {
  for (const char* reason : kFailureNames) failures_.Add({{"reason", reason}});
  writable_.Set(1);
}

std::string Checkpointer::PathOf(const PartitionId& id) const {
  return absl::StrCat(settings_.dir, "/partitions/", id.topic, "-",
                      id.partition, ".ckpt");
}

void Checkpointer::Fail(CheckpointFailure reason, const PartitionId& id,
                        const std::string& detail) {
  const char* name = kFailureNames[static_cast<int>(reason)];
  failures_.Add({{"reason", name}}).Increment();
  const char* msg =
      reason == CheckpointFailure::kWrite ? "checkpoint not written"
      : reason == CheckpointFailure::kKeyChanged
          ? "checkpoint not used: made with another client hash key "
            "(--privacy.key_file); rebuilding the partition from kafka"
          : "checkpoint not used: rebuilding the partition from kafka";
  Log(reason == CheckpointFailure::kMissing ? LogLevel::kInfo
                                            : LogLevel::kWarning,
      msg,
      {{"partition", id.ToString()}, {"reason", name}, {"detail", detail}});
}

std::optional<RestoredPartition> Checkpointer::Restore(PartitionOffset& start) {
  // Without a committed offset the partition is read from its start and
  // counted anew: a checkpoint's events would count twice.
  if (start.next_offset < 0) return std::nullopt;
  const PartitionId& id = start.id;
  absl::StatusOr<CheckedFile> file = ReadCheckedFile(PathOf(id), kMagic);
  if (!file.ok()) {
    const absl::Status& s = file.status();
    Fail(absl::IsNotFound(s)   ? CheckpointFailure::kMissing
         : absl::IsDataLoss(s) ? CheckpointFailure::kCorrupt
                               : CheckpointFailure::kUnreadable,
         id, std::string(s.message()));
    return std::nullopt;
  }
  if (file->version != kVersion) {
    Fail(CheckpointFailure::kVersion, id,
         absl::StrCat("format version ", file->version));
    return std::nullopt;
  }
  const std::optional<Contents> c = Decode(file->payload);
  if (!c || c->topic != id.topic || c->partition != id.partition) {
    Fail(CheckpointFailure::kCorrupt, id, "content does not decode");
    return std::nullopt;
  }
  if (c->offset > start.next_offset ||
      (start.low_watermark > 0 && c->offset < start.low_watermark)) {
    Fail(CheckpointFailure::kStale, id,
         absl::StrCat("covers offset ", c->offset, "; committed ",
                      start.next_offset, ", low watermark ",
                      start.low_watermark));
    return std::nullopt;
  }
  absl::StatusOr<DedupeIndex> dedupe = DedupeIndex::Deserialize(c->dedupe);
  absl::Status restored =
      dedupe.ok() ? store_.Restore(id, c->state) : dedupe.status();
  if (!restored.ok()) {
    Fail(IsClientKeyChanged(restored) ? CheckpointFailure::kKeyChanged
                                      : CheckpointFailure::kCorrupt,
         id, std::string(restored.message()));
    return std::nullopt;
  }
  start.replay_from = c->offset < start.next_offset ? c->offset : -1;
  restores_.Increment();
  written_[id] = Written{c->offset, clock_.Now(), file->payload.size()};
  Log(LogLevel::kInfo, "checkpoint restored",
      {{"partition", id.ToString()},
       {"offset", c->offset},
       {"replay", start.next_offset - c->offset}});
  return RestoredPartition{*std::move(dedupe), c->history_from};
}

absl::Status Checkpointer::WriteOne(const IngestPipeline& pipeline,
                                    const PartitionProgress& p) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> state = store_.Checkpoint(p.id);
  const DedupeIndex* dedupe = pipeline.Dedupe(p.id);
  if (!state.ok()) return state.status();
  if (dedupe == nullptr) return absl::NotFoundError("partition not assigned");
  const std::string payload = Encode(
      p.id, p.committed_offset, p.history_known ? p.history_from : INT32_MAX,
      *state, dedupe->Serialize());
  std::error_code ec;
  std::filesystem::create_directories(settings_.dir + "/partitions", ec);
  if (absl::Status s =
          WriteCheckedFile(PathOf(p.id), kMagic, kVersion, payload);
      !s.ok()) {
    return s;
  }
  written_[p.id] = Written{p.committed_offset, clock_.Now(), payload.size()};
  write_seconds_.Observe(absl::ToDoubleSeconds(absl::Now() - start));
  return absl::OkStatus();
}

void Checkpointer::Write(const IngestPipeline& pipeline, bool force) {
  const absl::Time now = clock_.Now();
  absl::Duration behind = absl::ZeroDuration();  // oldest checkpoint behind
  for (const PartitionProgress& p : pipeline.Progress()) {
    Written& w = written_[p.id];
    if (w.offset != p.committed_offset && w.at != absl::InfinitePast()) {
      behind = std::max(behind, now - w.at);
    }
    if (!p.rebuilt || p.next_offset < 0 ||
        p.committed_offset != p.next_offset) {
      continue;  // the state is not (only) what the committed offset covers
    }
    if (w.offset == p.committed_offset) continue;
    if (!force && now - w.at < settings_.interval) continue;
    if (absl::Status s = WriteOne(pipeline, p); !s.ok()) {
      w.at = now;  // retried after the interval, not at every call
      Fail(CheckpointFailure::kWrite, p.id, std::string(s.message()));
      writable_.Set(0);
      absl::MutexLock lock(&mu_);
      state_dir_problem_ = std::string(s.message());
      continue;
    }
    writable_.Set(1);
    absl::MutexLock lock(&mu_);
    state_dir_problem_.clear();
  }
  age_seconds_.Set(absl::ToDoubleSeconds(behind));
  size_t bytes = 0;
  for (const auto& [id, w] : written_) bytes += w.bytes;
  bytes_.Set(static_cast<double>(bytes));
}

void Checkpointer::Forget(const PartitionId& id) { written_.erase(id); }

std::string Checkpointer::StateDirProblem() const {
  absl::MutexLock lock(&mu_);
  return state_dir_problem_;
}

}  // namespace outcomes
