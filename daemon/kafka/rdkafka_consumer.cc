// librdkafka implementation of EventConsumer: a balanced consumer-group
// member using the batch API on the consumer queue.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon/base/json_log.h"
#include "daemon/kafka/rdkafka_clients.h"
#include "daemon/kafka/rdkafka_util.h"

namespace outcomes {
namespace {

using rdkafka::TopicPartitionListPtr;

constexpr int kBatchSize = 2048;
constexpr int kCommittedTimeoutMs = 10000;
constexpr absl::Duration kProbeInterval = absl::Seconds(1);
constexpr absl::Duration kUnreachableAfter = absl::Seconds(3);
// Close() was not called (an error path): how long the destructor may try.
constexpr absl::Duration kUnclosedTimeout = absl::Seconds(5);
// Releasing the client after the group was left (or given up on) takes
// milliseconds; it gets at least this long even when the deadline passed.
constexpr absl::Duration kDestroyGrace = absl::Milliseconds(500);

class RdKafkaConsumer : public EventConsumer {
 public:
  RdKafkaConsumer(RebalanceListener* listener) : listener_(listener) {}
  ~RdKafkaConsumer() override;

  absl::Status Start(const KafkaSettings& settings);
  absl::Status PollBatch(
      absl::Duration timeout,
      const std::function<void(absl::Span<const KafkaMessage>)>& handle)
      override;
  absl::Status CommitAsync(
      const std::vector<PartitionOffset>& offsets) override;
  absl::Status CommitSync(const std::vector<PartitionOffset>& offsets,
                          absl::Time deadline) override;
  std::vector<CommitResult> TakeCommitResults() override;
  bool AssignmentLost() override { return rd_kafka_assignment_lost(rk_) == 1; }
  bool Watermarks(const PartitionId& id, int64_t* low, int64_t* high) override;
  bool Reachable() override;
  void Close(absl::Time deadline, bool leave_group) override;

 private:
  static void CommitCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* offsets,
                             void* opaque);
  static void RebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions,
                                void* opaque);
  void OnAssign(rd_kafka_topic_partition_list_t* partitions);
  void OnRevoke(rd_kafka_topic_partition_list_t* partitions);

  // Moves what the consumer queue holds (up to kBatchSize messages) into
  // batch_; waits up to `timeout` only when it is empty. Returns the count,
  // or -1 on error (rd_kafka_last_error).
  ssize_t TakeQueued(absl::Duration timeout);

  // Sets each partition's offset to where replay must start.
  void FindReplayStarts(rd_kafka_topic_partition_list_t* partitions);

  RebalanceListener* listener_;
  absl::Duration replay_window_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  bool closed_ = false;
  // Finished asynchronous commits (appended by CommitCallback, which runs
  // on the polling thread).
  std::vector<CommitResult> commit_results_;
  // Liveness: a thread asks a broker for metadata every kProbeInterval;
  // Reachable() is false once none answered for kUnreachableAfter.
  void ProbeLoop();
  void StopProbe(bool wait);
  std::thread prober_;
  absl::Mutex probe_mu_;
  bool probe_stop_ ABSL_GUARDED_BY(probe_mu_) = false;
  std::atomic<int64_t> last_answer_ns_{0};
  // Watermarks queried in OnAssign, for Watermarks() until a fetch
  // response brings newer ones. Polling thread only.
  absl::flat_hash_map<PartitionId, std::pair<int64_t, int64_t>>
      assigned_watermarks_;
  std::vector<rd_kafka_message_t*> batch_ =
      std::vector<rd_kafka_message_t*>(kBatchSize);
  std::vector<KafkaMessage> messages_;  // views into batch_, for handle
};

RdKafkaConsumer::~RdKafkaConsumer() {
  if (rk_ == nullptr) return;
  if (!closed_) Close(absl::Now() + kUnclosedTimeout, /*leave_group=*/true);
}

absl::Status RdKafkaConsumer::Start(const KafkaSettings& settings) {
  replay_window_ = settings.replay_window;
  const KafkaProperties defaults = {{"bootstrap.servers", settings.brokers},
                                    {"group.id", settings.group},
                                    {"auto.offset.reset", "earliest"},
                                    {"max.partition.fetch.bytes", "65536"},
                                    // librdkafka 2.0 checks these limits on
                                    // the shared consumer queue (all
                                    // partitions together) and, once one is
                                    // reached, stops fetching for a fixed
                                    // second (no fetch.queue.backoff.ms until
                                    // 2.1). 100,000 messages (the default)
                                    // drain in ~0.1 s during a catch-up, so
                                    // the consumer starved 90 % of each
                                    // second; keep about a second of work
                                    // queued instead, bounded at 64 MiB.
                                    {"queued.min.messages", "1000000"},
                                    {"queued.max.messages.kbytes", "65536"},
                                    {"client.id", "outcomesd"}};
  const KafkaProperties forced = {{"enable.auto.commit", "false"},
                                  {"enable.auto.offset.store", "false"},
                                  {"enable.partition.eof", "false"}};
  KafkaProperties base = defaults;
  base.insert(base.end(), settings.extra.begin(), settings.extra.end());
  auto conf = rdkafka::MakeConf(base, forced);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_rebalance_cb(conf->get(), &RebalanceCallback);
  rd_kafka_conf_set_offset_commit_cb(conf->get(), &CommitCallback);
  char error[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), error, sizeof(error));
  if (rk_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", error));
  }
  conf->release();  // owned by rk_ now
  rd_kafka_poll_set_consumer(rk_);
  queue_ = rd_kafka_queue_get_consumer(rk_);
  TopicPartitionListPtr topics(
      rd_kafka_topic_partition_list_new(settings.topics.size()));
  for (const std::string& topic : settings.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(),
                                      RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get())) {
    return absl::UnavailableError(
        absl::StrCat("kafka subscribe: ", rd_kafka_err2str(err)));
  }
  last_answer_ns_.store(absl::ToUnixNanos(absl::Now()));
  prober_ = std::thread([this] { ProbeLoop(); });
  return absl::OkStatus();
}

void RdKafkaConsumer::RebalanceCallback(
    rd_kafka_t* rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<RdKafkaConsumer*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->OnAssign(partitions);
  } else {
    self->OnRevoke(partitions);
  }
}

void RdKafkaConsumer::OnAssign(rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_resp_err_t err =
      rd_kafka_committed(rk_, partitions, kCommittedTimeoutMs);
  if (err) {
    Log(LogLevel::kWarning, "could not read committed offsets",
        {{"error", rd_kafka_err2str(err)}});
  }
  std::vector<PartitionOffset> assigned;
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& tp = partitions->elems[i];
    PartitionOffset a{PartitionId{tp.topic, tp.partition},
                      tp.offset >= 0 ? tp.offset : -1, -1};
    int64_t high = -1;
    if (rd_kafka_query_watermark_offsets(
            rk_, tp.topic, tp.partition, &a.low_watermark, &high,
            kCommittedTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      a.low_watermark = -1;
    } else {
      assigned_watermarks_[a.id] = {a.low_watermark, high};
    }
    assigned.push_back(std::move(a));
  }
  FindReplayStarts(partitions);
  for (int i = 0; i < partitions->cnt; ++i) {
    PartitionOffset& a = assigned[i];
    const int64_t replay = partitions->elems[i].offset;
    if (a.next_offset >= 0 && replay >= 0 && replay < a.next_offset) {
      a.replay_from = replay;
    }
  }
  listener_->OnAssigned(assigned);  // may restore checkpoints
  for (int i = 0; i < partitions->cnt; ++i) {
    const PartitionOffset& a = assigned[i];
    partitions->elems[i].offset = a.replay_from >= 0 ? a.replay_from
                                  : a.next_offset >= 0
                                      ? a.next_offset
                                      : RD_KAFKA_OFFSET_INVALID;
  }
  rd_kafka_assign(rk_, partitions);
}

void RdKafkaConsumer::FindReplayStarts(
    rd_kafka_topic_partition_list_t* partitions) {
  const int64_t since_ms = absl::ToUnixMillis(absl::Now() - replay_window_);
  for (int i = 0; i < partitions->cnt; ++i) {
    partitions->elems[i].offset = replay_window_ > absl::ZeroDuration()
                                      ? since_ms
                                      : RD_KAFKA_OFFSET_INVALID;
  }
  if (replay_window_ <= absl::ZeroDuration()) return;
  if (rd_kafka_resp_err_t err =
          rd_kafka_offsets_for_times(rk_, partitions, kCommittedTimeoutMs)) {
    Log(LogLevel::kWarning, "cannot find replay offsets by time",
        {{"error", rd_kafka_err2str(err)}});
  }
  // No offset by time (a broker without timestamp lookup, or no message that
  // new): replay all that is retained; events past the horizon are dropped.
  for (int i = 0; i < partitions->cnt; ++i) {
    auto& tp = partitions->elems[i];
    if (tp.offset >= 0 && tp.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    int64_t low = -1, high = -1;
    tp.offset = rd_kafka_query_watermark_offsets(
                    rk_, tp.topic, tp.partition, &low, &high,
                    kCommittedTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR
                    ? low
                    : RD_KAFKA_OFFSET_INVALID;
  }
}

void RdKafkaConsumer::OnRevoke(rd_kafka_topic_partition_list_t* partitions) {
  std::vector<PartitionId> revoked;
  for (int i = 0; i < partitions->cnt; ++i) {
    revoked.push_back(PartitionId{partitions->elems[i].topic,
                                  partitions->elems[i].partition});
    assigned_watermarks_.erase(revoked.back());
  }
  listener_->OnRevoked(revoked);
  rd_kafka_assign(rk_, nullptr);
}

ssize_t RdKafkaConsumer::TakeQueued(absl::Duration timeout) {
  // What is queued already, without waiting: a batch API call with a
  // timeout waits until the batch is full, leaving the thread idle while
  // the fetcher could have handed over the messages that were there.
  ssize_t n =
      rd_kafka_consume_batch_queue(queue_, 0, batch_.data(), batch_.size());
  if (n != 0 || timeout <= absl::ZeroDuration()) return n;
  // Idle: wait for one message (or a callback), then take what came too.
  rd_kafka_message_t* first = rd_kafka_consume_queue(
      queue_, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (first == nullptr) return 0;  // timed out
  batch_[0] = first;
  n = rd_kafka_consume_batch_queue(queue_, 0, batch_.data() + 1,
                                   batch_.size() - 1);
  return n < 0 ? 1 : n + 1;
}

absl::Status RdKafkaConsumer::PollBatch(
    absl::Duration timeout,
    const std::function<void(absl::Span<const KafkaMessage>)>& handle) {
  const ssize_t n = TakeQueued(timeout);
  if (n < 0) {
    return absl::UnavailableError(absl::StrCat(
        "kafka consume: ", rd_kafka_err2str(rd_kafka_last_error())));
  }
  messages_.clear();
  for (ssize_t i = 0; i < n; ++i) {
    const rd_kafka_message_t* m = batch_[i];
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        Log(LogLevel::kWarning, "kafka consume error",
            {{"error", rd_kafka_message_errstr(m)}});
      }
      continue;
    }
    messages_.push_back(
        {rd_kafka_topic_name(m->rkt), m->partition, m->offset,
         std::string_view(static_cast<const char*>(m->key), m->key_len),
         std::string_view(static_cast<const char*>(m->payload), m->len)});
  }
  if (!messages_.empty()) handle(messages_);
  for (ssize_t i = 0; i < n; ++i) rd_kafka_message_destroy(batch_[i]);
  return absl::OkStatus();
}

TopicPartitionListPtr OffsetList(const std::vector<PartitionOffset>& offsets) {
  TopicPartitionListPtr list(rd_kafka_topic_partition_list_new(offsets.size()));
  for (const PartitionOffset& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.id.topic.c_str(),
                                      o.id.partition)
        ->offset = o.next_offset;
  }
  return list;
}

absl::Status CommitError(rd_kafka_resp_err_t err) {
  const std::string message =
      absl::StrCat("kafka commit: ", rd_kafka_err2str(err));
  return err == RD_KAFKA_RESP_ERR__TIMED_OUT
             ? absl::DeadlineExceededError(message)
             : absl::UnavailableError(message);
}

absl::Status RdKafkaConsumer::CommitAsync(
    const std::vector<PartitionOffset>& offsets) {
  if (offsets.empty()) return absl::OkStatus();
  // The result comes to CommitCallback, from a later PollBatch.
  if (rd_kafka_resp_err_t err =
          rd_kafka_commit(rk_, OffsetList(offsets).get(), /*async=*/1)) {
    return CommitError(err);
  }
  return absl::OkStatus();
}

absl::Status RdKafkaConsumer::CommitSync(
    const std::vector<PartitionOffset>& offsets, absl::Time deadline) {
  if (offsets.empty()) return absl::OkStatus();
  // Not rd_kafka_commit(async=0): that waits for the coordinator until the
  // session times out (45 s by default) when no broker answers.
  if (rd_kafka_resp_err_t err =
          rdkafka::CommitUntil(rk_, OffsetList(offsets).get(), deadline)) {
    return CommitError(err);
  }
  return absl::OkStatus();
}

void RdKafkaConsumer::CommitCallback(rd_kafka_t*, rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* offsets,
                                     void* opaque) {
  auto* self = static_cast<RdKafkaConsumer*>(opaque);
  // Asynchronous commits only (CommitSync's come as events on a queue of
  // its own); NO_OFFSET: nothing to do.
  if (offsets == nullptr || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  CommitResult result;
  for (int i = 0; i < offsets->cnt; ++i) {
    const auto& tp = offsets->elems[i];
    if (!err && tp.err) err = tp.err;
    result.offsets.push_back(
        {PartitionId{tp.topic, tp.partition}, tp.offset, -1});
  }
  if (err) {
    result.status = absl::UnavailableError(
        absl::StrCat("kafka commit: ", rd_kafka_err2str(err)));
  }
  self->commit_results_.push_back(std::move(result));
}

std::vector<EventConsumer::CommitResult> RdKafkaConsumer::TakeCommitResults() {
  return std::exchange(commit_results_, {});
}

bool RdKafkaConsumer::Watermarks(const PartitionId& id, int64_t* low,
                                 int64_t* high) {
  if (rd_kafka_get_watermark_offsets(rk_, id.topic.c_str(), id.partition, low,
                                     high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      *high >= 0) {
    return true;  // from the latest fetch response
  }
  // No fetch response yet (the first one of an idle partition comes after
  // fetch.wait.max.ms): the watermarks queried at assignment.
  auto it = assigned_watermarks_.find(id);
  if (it == assigned_watermarks_.end()) return false;
  std::tie(*low, *high) = it->second;
  return true;
}

bool RdKafkaConsumer::Reachable() {
  return absl::Now() - absl::FromUnixNanos(last_answer_ns_.load()) <
         kUnreachableAfter;
}

void RdKafkaConsumer::ProbeLoop() {
  while (true) {
    {
      absl::MutexLock lock(&probe_mu_);
      if (probe_mu_.AwaitWithTimeout(absl::Condition(&probe_stop_),
                                     kProbeInterval)) {
        return;
      }
    }
    // Metadata of the topics this handle knows: one request to any broker.
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk_, 0, nullptr, &md,
                          static_cast<int>(absl::ToInt64Milliseconds(
                              kProbeInterval))) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      last_answer_ns_.store(absl::ToUnixNanos(absl::Now()));
      rd_kafka_metadata_destroy(md);
    }
  }
}

void RdKafkaConsumer::StopProbe(bool wait) {
  {
    absl::MutexLock lock(&probe_mu_);
    probe_stop_ = true;
  }
  if (wait && prober_.joinable()) prober_.join();
}

void RdKafkaConsumer::Close(absl::Time deadline, bool leave_group) {
  closed_ = true;
  StopProbe(/*wait=*/false);  // its last probe ends while the group is left
  const bool left = leave_group && rdkafka::CloseConsumerUntil(
                                       rk_, deadline, &RebalanceCallback, this);
  if (!left) {
    Log(LogLevel::kWarning,
        leave_group ? "kafka consumer group not left in time"
                    : "no kafka broker answers: group not left",
        {{"note",
          "the coordinator reassigns the partitions after the session "
          "timeout; uncommitted messages are read again there"}});
  }
  StopProbe(/*wait=*/true);
  rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
  // Already closed, or given up on: either way no second close (which would
  // wait for the coordinator again).
  if (!rdkafka::DestroyUntil(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE,
                             std::max(deadline, absl::Now() + kDestroyGrace))) {
    Log(LogLevel::kWarning, "kafka consumer not released in time");
  }
  rk_ = nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventConsumer>> NewRdKafkaConsumer(
    const KafkaSettings& settings, RebalanceListener* listener) {
  auto consumer = std::make_unique<RdKafkaConsumer>(listener);
  if (absl::Status s = consumer->Start(settings); !s.ok()) return s;
  return consumer;
}

}  // namespace outcomes
