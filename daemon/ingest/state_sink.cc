#include "daemon/ingest/state_sink.h"

#include <optional>
#include <utility>

namespace outcomes {
namespace {

// Takes the partition's lock at the first event after a Release().
class WriterApplier : public AcceptedEventSink::PartitionApplier {
 public:
  explicit WriterApplier(StateStore::PartitionWriter writer)
      : writer_(std::move(writer)) {}
  void Apply(const EventView& event, DayNumber day) override {
    if (!locked_) locked_.emplace(writer_.Lock());
    locked_->Apply(event, day);
  }
  void Release() override { locked_.reset(); }

 private:
  StateStore::PartitionWriter writer_;
  std::optional<StateStore::PartitionWriter::Locked> locked_;
};

}  // namespace

void StateSink::AssignPartition(const PartitionId& id) { store_.Assign(id); }

void StateSink::RevokePartition(const PartitionId& id) { store_.Revoke(id); }

void StateSink::SetPartitionStatus(const PartitionId& id, bool ready,
                                   DayNumber history_from) {
  store_.SetStatus(id, ready, history_from);
}

void StateSink::Apply(const PartitionId& id, const EventView& event,
                      DayNumber day) {
  store_.Apply(id, event, day);
}

std::unique_ptr<AcceptedEventSink::PartitionApplier> StateSink::Applier(
    const PartitionId& id) {
  return std::make_unique<WriterApplier>(store_.Writer(id));
}

std::vector<std::string> StateSink::Providers(const PartitionId& id) const {
  return store_.Providers(id);
}

uint64_t StateSink::EvictionGeneration() const {
  return store_.eviction_generation();
}

}  // namespace outcomes
