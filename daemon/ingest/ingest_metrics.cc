#include "daemon/ingest/ingest_metrics.h"

#include <string>

namespace outcomes {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Family<prometheus::Counter>& AcceptedFamily(
    prometheus::Registry& r) {
  return BuildCounter()
      .Name("outcomes_events_total")
      .Help("Accepted service events, by type.")
      .Register(r);
}

prometheus::Family<prometheus::Counter>& RejectedFamily(
    prometheus::Registry& r) {
  return BuildCounter()
      .Name("outcomes_events_rejected_total")
      .Help(
          "Rejected service events (copied to the dead-letter topic), by "
          "reason.")
      .Register(r);
}

prometheus::Counter& SimpleCounter(prometheus::Registry& r, const char* name,
                                   const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge& SimpleGauge(prometheus::Registry& r, const char* name,
                               const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : duplicates_(SimpleCounter(registry, "outcomes_events_duplicate_total",
                                "Events whose event_id was seen before "
                                "within the horizon; ignored.")),
      ready_(SimpleGauge(registry, "outcomes_ready",
                         "1 when partitions are assigned, the backlog is "
                         "caught up and the daemon is serving.")),
      replayed_(SimpleCounter(registry, "outcomes_events_replayed_total",
                              "Messages re-read on partition assignment to "
                              "rebuild state; already counted by an earlier "
                              "owner.")),
      dead_letter_failures_(SimpleCounter(
          registry, "outcomes_dead_letter_failures_total",
          "Rejected events that could not be written to the dead-letter "
          "topic (their offsets are not committed).")),
      commit_failures_(SimpleCounter(registry,
                                     "outcomes_kafka_commit_failures_total",
                                     "Failed Kafka offset commits.")),
      batch_seconds_(
          BuildHistogram()
              .Name("outcomes_batch_processing_seconds")
              .Help("Time to decode, validate and apply one "
                    "consumed batch.")
              .Register(registry)
              .Add({},
                   prometheus::Histogram::BucketBoundaries{
                       0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1})),
      assigned_partitions_(SimpleGauge(registry,
                                       "outcomes_kafka_assigned_partitions",
                                       "Kafka partitions owned by this "
                                       "instance.")),
      lag_family_(BuildGauge()
                      .Name("outcomes_kafka_consumer_lag")
                      .Help("Messages between the high watermark and the "
                            "next offset to process, per partition.")
                      .Register(registry)),
      history_family_(BuildGauge()
                          .Name("outcomes_history_complete")
                          .Help("1 when the partition's retained Kafka log "
                                "reaches back to the start of the horizon "
                                "(or its first offset is 0), else 0: goals "
                                "on the missing days are not judged.")
                          .Register(registry)) {
  auto& accepted = AcceptedFamily(registry);
  for (int t = v1::EVENT_TYPE_REFERRAL; t < kEventTypeCount; ++t) {
    accepted_[t] =
        &accepted.Add({{"type", EventTypeName(static_cast<v1::EventType>(t))}});
  }
  auto& rejected = RejectedFamily(registry);
  for (int r = 0; r < kRejectReasonCount; ++r) {
    rejected_[r] = &rejected.Add({{"reason", kRejectReasonNames[r]}});
  }
}

double IngestMetrics::TotalAccepted() const {
  double total = 0;
  for (const prometheus::Counter* c : accepted_) {
    if (c != nullptr) total += c->Value();
  }
  return total;
}

double IngestMetrics::TotalRejected() const {
  double total = 0;
  for (const prometheus::Counter* c : rejected_) total += c->Value();
  return total;
}

prometheus::Gauge& IngestMetrics::lag(const PartitionId& id) {
  return lag_family_.Add(
      {{"topic", id.topic}, {"partition", std::to_string(id.partition)}});
}

prometheus::Gauge& IngestMetrics::history_complete(const PartitionId& id) {
  return history_family_.Add(
      {{"topic", id.topic}, {"partition", std::to_string(id.partition)}});
}

void IngestMetrics::RemovePartition(const PartitionId& id) {
  lag_family_.Remove(&lag(id));
  history_family_.Remove(&history_complete(id));
}

}  // namespace outcomes
