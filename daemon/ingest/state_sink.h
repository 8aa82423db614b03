// StateSink: the AcceptedEventSink that gives the ingest pipeline's accepted
// events to the partition state (StateStore), as outcomesd does. Every call
// forwards to the store; Applier(id) is the consumer's cheaper path: the
// partition's StateStore::PartitionWriter, locked at the first event of a
// batch and unlocked by Release() (the pipeline releases at the end of every
// batch, so the partition's lock is held for one batch at most).
//
// Ownership: borrows the store, which must outlive the sink and every
// applier obtained from it.
// Thread safety: the sink's methods are as thread-safe as the store's (all
// are); an applier is used by one thread at a time (the consumer thread),
// as AcceptedEventSink::PartitionApplier requires.
#ifndef OUTCOMESD_DAEMON_INGEST_STATE_SINK_H_
#define OUTCOMESD_DAEMON_INGEST_STATE_SINK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/ingest/pipeline.h"
#include "daemon/state/state_store.h"

namespace outcomes {

class StateSink : public AcceptedEventSink {
 public:
  explicit StateSink(StateStore& store) : store_(store) {}

  void AssignPartition(const PartitionId& id) override;
  void RevokePartition(const PartitionId& id) override;
  void SetPartitionStatus(const PartitionId& id, bool ready,
                          DayNumber history_from) override;
  void Apply(const PartitionId& id, const EventView& event,
             DayNumber day) override;
  // The partition's writer, locked once per batch (see above).
  std::unique_ptr<PartitionApplier> Applier(const PartitionId& id) override;
  std::vector<std::string> Providers(const PartitionId& id) const override;
  uint64_t EvictionGeneration() const override;

 private:
  StateStore& store_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_STATE_SINK_H_
