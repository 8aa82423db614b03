#include "daemon/ingest/pipeline.h"

#include <algorithm>
#include <utility>

namespace outcomes {
namespace {

// Debian's Abseil has its own string_view type.
absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

// AcceptedEventSink::Applier's default: the sink's Apply, per event.
class ForwardingApplier : public AcceptedEventSink::PartitionApplier {
 public:
  ForwardingApplier(AcceptedEventSink& sink, PartitionId id)
      : sink_(sink), id_(std::move(id)) {}
  void Apply(const EventView& event, DayNumber day) override {
    sink_.Apply(id_, event, day);
  }

 private:
  AcceptedEventSink& sink_;
  const PartitionId id_;
};

}  // namespace

std::unique_ptr<AcceptedEventSink::PartitionApplier> AcceptedEventSink::Applier(
    const PartitionId& id) {
  return std::make_unique<ForwardingApplier>(*this, id);
}

IngestPipeline::IngestPipeline(const ValidationSettings& settings,
                               const Clock& clock, IngestMetrics& metrics,
                               AcceptedEventSink& sink,
                               DeadLetterSink& dead_letters,
                               ProviderGate* providers)
    : settings_(settings),
      clock_(clock),
      metrics_(metrics),
      sink_(sink),
      dead_letters_(dead_letters),
      gate_(providers),
      decoder_(settings) {
  BeginBatch();
}

void IngestPipeline::Assign(const PartitionOffset& start, DedupeIndex dedupe,
                            std::optional<DayNumber> history_from) {
  EndBatch();
  Revoke(start.id);
  PartitionIngest p{std::move(dedupe),         start.next_offset,
                    start.next_offset,         PartitionProgress{start.id},
                    PartitionProviders(gate_), nullptr};
  PartitionProgress& progress = p.progress;
  progress.low_watermark = start.low_watermark;
  const bool replays =
      start.replay_from >= 0 && start.replay_from < start.next_offset;
  progress.position = replays ? start.replay_from : start.next_offset;
  progress.replay_until = replays ? start.next_offset : -1;
  progress.rebuilt = !replays;
  if (history_from) {
    progress.history_from = *history_from;
  } else {
    // Reading starts at the start of a log that lost its beginning: the
    // first event read says how far back the history goes.
    progress.history_known =
        start.low_watermark <= 0 ||
        (progress.position >= 0 && progress.position > start.low_watermark);
  }
  p.dedupe.EvictBefore(today_ - settings_.horizon_days + 1);
  partitions_.push_back(std::move(p));
  sink_.AssignPartition(start.id);
  partitions_.back().applier = sink_.Applier(start.id);
  // A restored checkpoint's providers take their slots (even past the
  // limit: restored state is never cut).
  partitions_.back().providers.Reset(sink_.Providers(start.id));
}

void IngestPipeline::Revoke(const PartitionId& id) {
  auto it = std::find_if(
      partitions_.begin(), partitions_.end(),
      [&id](const PartitionIngest& p) { return p.progress.id == id; });
  if (it == partitions_.end()) return;
  EndBatch();
  partitions_.erase(it);
  sink_.RevokePartition(id);
}

void IngestPipeline::SyncProviders() {
  if (gate_ == nullptr) return;
  // Read before the providers: an eviction after it is seen next batch.
  // Events are applied on this thread only, so no provider can gain state
  // between Providers() and Reset().
  const uint64_t generation = sink_.EvictionGeneration();
  if (generation == eviction_generation_) return;
  eviction_generation_ = generation;
  for (PartitionIngest& p : partitions_) {
    p.providers.Reset(sink_.Providers(p.progress.id));
  }
}

void IngestPipeline::EndBatch() {
  for (PartitionIngest& p : partitions_) p.applier->Release();
}

void IngestPipeline::BeginBatch() {
  EndBatch();
  SyncProviders();
  now_ = clock_.Now();
  const DayNumber today = DayOf(now_, settings_.timezone);
  if (today == today_) return;
  today_ = today;
  for (PartitionIngest& p : partitions_) {
    p.dedupe.EvictBefore(today_ - settings_.horizon_days + 1);
  }
}

IngestPipeline::PartitionIngest* IngestPipeline::Find(std::string_view topic,
                                                      int32_t partition) {
  // Fetched messages come in runs of one partition: try the last one first.
  if (last_found_ < partitions_.size()) {
    PartitionIngest& p = partitions_[last_found_];
    if (p.progress.id.partition == partition && p.progress.id.topic == topic) {
      return &p;
    }
  }
  // A consumer owns few partitions: a linear scan beats hashing the topic.
  for (size_t i = 0; i < partitions_.size(); ++i) {
    PartitionIngest& p = partitions_[i];
    if (p.progress.id.partition == partition && p.progress.id.topic == topic) {
      last_found_ = i;
      return &p;
    }
  }
  return nullptr;
}

const IngestPipeline::PartitionIngest* IngestPipeline::Find(
    const PartitionId& id) const {
  for (const PartitionIngest& p : partitions_) {
    if (p.progress.id == id) return &p;
  }
  return nullptr;
}

void IngestPipeline::Advance(PartitionIngest& p, const KafkaMessage& message,
                             const DecodeResult& result) {
  PartitionProgress& progress = p.progress;
  progress.position = message.offset + 1;
  if (!progress.rebuilt && progress.position >= progress.replay_until) {
    progress.rebuilt = true;
  }
  if (progress.history_known) return;
  if (result.ok) {
    progress.history_known = true;
    const DayNumber horizon_start = today_ - settings_.horizon_days + 1;
    progress.history_from =
        result.day <= horizon_start ? kHistoryComplete : result.day;
  } else if (result.reason == RejectReason::kTooOld) {
    progress.history_known = true;  // the log reaches past the horizon
    progress.history_from = kHistoryComplete;
  }
}

void IngestPipeline::Process(const KafkaMessage& message) {
  PartitionIngest* p = Find(message.topic, message.partition);
  if (p == nullptr) {
    // Not ours (a stale message after revocation): leave it for the owner.
    return;
  }
  if (message.offset < p->progress.replay_until) {
    Replay(*p, message);
    return;
  }
  p->next_offset = message.offset + 1;
  const DecodeResult result = decoder_.Decode(message.value, now_);
  Advance(*p, message, result);
  if (!result.ok) {
    Reject(message, result.reason, result.detail);
    return;
  }
  const EventView& event = decoder_.event();
  const absl::string_view provider = AbslView(event.provider_id());
  if (message.key != event.provider_id()) {
    Reject(message, RejectReason::kKeyMismatch,
           "message key is not the event's provider_id");
    return;
  }
  if (std::optional<RejectReason> r = p->providers.Judge(provider)) {
    Reject(message, *r,
           *r == RejectReason::kUnknownProvider
               ? "provider_id is not listed in --providers.file"
               : "new provider_id while --providers.max providers have state");
    return;
  }
  if (!Insert(p->dedupe, event.event_id(), result.day)) {
    ++pending_.duplicates;
    return;
  }
  p->applier->Apply(event, result.day);
  p->providers.Applied(provider);
  ++pending_.accepted[event.type()];
}

void IngestPipeline::ProcessBatch(absl::Span<const KafkaMessage> messages) {
  Peeked next;
  for (size_t i = 0; i < messages.size(); ++i) {
    current_ = next;  // messages[i]'s, when it was peeked
    next = i + 1 < messages.size() ? Prefetch(messages[i + 1]) : Peeked{};
    Process(messages[i]);
  }
  current_ = {};
}

IngestPipeline::Peeked IngestPipeline::Prefetch(const KafkaMessage& message) {
  const std::optional<std::string_view> id = PeekEventId(message.value);
  if (!id) return {};
  PartitionIngest* p = Find(message.topic, message.partition);
  if (p == nullptr) return {};
  return {*id, p->dedupe.Prefetch(*id)};
}

bool IngestPipeline::Insert(DedupeIndex& dedupe, std::string_view event_id,
                            DayNumber day) {
  // The same bytes as the id peeked in this message (the decoder views the
  // message): its hash is known already.
  const Peeked peeked = std::exchange(current_, Peeked{});
  if (event_id.data() == peeked.id.data() &&
      event_id.size() == peeked.id.size()) {
    return dedupe.InsertHash(peeked.hash, day);
  }
  return dedupe.Insert(event_id, day);
}

void IngestPipeline::Reject(const KafkaMessage& message, RejectReason reason,
                            std::string_view detail) {
  ++pending_.rejected[static_cast<int>(reason)];
  dead_letters_.Send(message, RejectReasonName(reason), detail);
}

void IngestPipeline::Replay(PartitionIngest& p, const KafkaMessage& message) {
  const DecodeResult result = decoder_.Decode(message.value, now_);
  Advance(p, message, result);
  const EventView& event = decoder_.event();
  if (!result.ok || message.key != event.provider_id()) return;
  const absl::string_view provider = AbslView(event.provider_id());
  // Judged like a live message (same list, same limit), so a rebuild
  // creates no state a live read would have rejected.
  if (p.providers.Judge(provider)) return;
  if (!p.dedupe.Insert(event.event_id(), result.day)) return;
  p.applier->Apply(event, result.day);
  p.providers.Applied(provider);
  ++pending_.replayed;
}

void IngestPipeline::FlushMetrics() {
  for (int t = v1::EVENT_TYPE_REFERRAL; t < kEventTypeCount; ++t) {
    if (pending_.accepted[t] == 0) continue;
    metrics_.accepted(static_cast<v1::EventType>(t))
        .Increment(static_cast<double>(pending_.accepted[t]));
  }
  for (int r = 0; r < kRejectReasonCount; ++r) {
    if (pending_.rejected[r] == 0) continue;
    metrics_.rejected(static_cast<RejectReason>(r))
        .Increment(static_cast<double>(pending_.rejected[r]));
  }
  if (pending_.duplicates > 0) {
    metrics_.duplicates().Increment(static_cast<double>(pending_.duplicates));
  }
  if (pending_.replayed > 0) {
    metrics_.replayed().Increment(static_cast<double>(pending_.replayed));
  }
  pending_ = PendingCounts{};
}

std::vector<PartitionOffset> IngestPipeline::Uncommitted() const {
  std::vector<PartitionOffset> out;
  for (const PartitionIngest& p : partitions_) {
    if (p.next_offset != p.committed_offset) {
      out.push_back({p.progress.id, p.next_offset});
    }
  }
  return out;
}

void IngestPipeline::MarkCommitted(
    const std::vector<PartitionOffset>& offsets) {
  for (const PartitionOffset& o : offsets) {
    PartitionIngest* p = Find(o.id.topic, o.id.partition);
    // Results of asynchronous commits may arrive out of order.
    if (p != nullptr) {
      p->committed_offset = std::max(p->committed_offset, o.next_offset);
    }
  }
}

std::vector<PartitionOffset> IngestPipeline::Positions() const {
  std::vector<PartitionOffset> out;
  out.reserve(partitions_.size());
  for (const PartitionIngest& p : partitions_) {
    out.push_back({p.progress.id, p.next_offset});
  }
  return out;
}

int64_t IngestPipeline::Position(const PartitionId& id) const {
  const PartitionIngest* p = Find(id);
  return p == nullptr ? -1 : p->next_offset;
}

std::vector<PartitionProgress> IngestPipeline::Progress() const {
  std::vector<PartitionProgress> out;
  out.reserve(partitions_.size());
  for (const PartitionIngest& p : partitions_) {
    out.push_back(p.progress);
    out.back().next_offset = p.next_offset;
    out.back().committed_offset = p.committed_offset;
  }
  return out;
}

const DedupeIndex* IngestPipeline::Dedupe(const PartitionId& id) const {
  const PartitionIngest* p = Find(id);
  return p == nullptr ? nullptr : &p->dedupe;
}

}  // namespace outcomes
