// Per-partition checkpoints in --state.dir (docs/design.md, "State through
// restarts, rebalances and faults", "Checkpoints").
//
// A checkpoint is one partition's funnel state and dedupe index together
// with the committed offset it covers and how complete its Kafka history
// was, in a checked file (daemon/base/checked_file.h: atomic, checksummed,
// versioned) at DIR/partitions/TOPIC-PARTITION.ckpt. It is written after a
// commit, at most every `interval` per partition, and at revocation and
// shutdown, only for a partition whose state is rebuilt and whose processed
// offset is committed, so the state is exactly the events below that offset.
//
// On assignment a checkpoint is used when its offset C satisfies
// low watermark <= C <= committed offset: the state is restored and only
// [C, committed) is replayed. Otherwise, or when the file is missing,
// unreadable, corrupt or of an unknown version, or its client hashes were
// made with another key (key_changed: they would not match new events'
// hashes, and funnels would silently split), it is counted in
// outcomes_checkpoint_failures_total{reason}, logged, and the partition is
// rebuilt from Kafka as if there were none. Nothing here stops the daemon:
// a read-only or full state dir sets outcomes_state_dir_writable to 0 and
// is reported by StateDirProblem() (shown by /readyz).
//
// Thread safety: Restore, Write and Forget on the consumer thread only;
// StateDirProblem from any thread.
// Ownership: borrows the store, clock and registry; they must outlive it.
#ifndef OUTCOMESD_DAEMON_CHECKPOINTER_H_
#define OUTCOMESD_DAEMON_CHECKPOINTER_H_

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/base/clock.h"
#include "daemon/ingest/consumer_loop.h"
#include "daemon/state/state_store.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace outcomes {

struct CheckpointSettings {
  std::string dir;  // --state.dir; REQUIRES: not empty
  absl::Duration interval = absl::Seconds(30);  // --checkpoint.interval
};

// Why a checkpoint was not used or not written (label `reason`).
enum class CheckpointFailure {
  kMissing,     // a committed offset but no checkpoint file
  kUnreadable,  // I/O error reading it
  kCorrupt,     // bad magic, truncated, checksum or content
  kVersion,     // a format version this build does not know
  kStale,       // offset outside [low watermark, committed offset]
  kWrite,       // could not be written (read-only or full state dir)
  kKeyChanged,  // its client hashes were made with another
                // --privacy.key_file key (or the unkeyed hash of format 1)
};

class Checkpointer : public PartitionCheckpoints {
 public:
  Checkpointer(CheckpointSettings settings, StateStore& store,
               const Clock& clock, prometheus::Registry& registry);

  // PartitionCheckpoints:
  std::optional<RestoredPartition> Restore(PartitionOffset& start) override;
  void Write(const IngestPipeline& pipeline, bool force) override;
  void Forget(const PartitionId& id) override;

  // "" when the state dir is writable (as far as the last write knows),
  // else the last write error.
  std::string StateDirProblem() const;

 private:
  struct Written {
    int64_t offset = -1;
    absl::Time at = absl::InfinitePast();
    size_t bytes = 0;
  };
  std::string PathOf(const PartitionId& id) const;
  void Fail(CheckpointFailure reason, const PartitionId& id,
            const std::string& detail);
  absl::Status WriteOne(const IngestPipeline& pipeline,
                        const PartitionProgress& p);

  const CheckpointSettings settings_;
  StateStore& store_;
  const Clock& clock_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Counter& restores_;
  prometheus::Gauge& age_seconds_;
  prometheus::Gauge& bytes_;
  prometheus::Histogram& write_seconds_;
  prometheus::Gauge& writable_;
  absl::flat_hash_map<PartitionId, Written> written_;  // consumer thread
  mutable absl::Mutex mu_;
  std::string state_dir_problem_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CHECKPOINTER_H_
