// librdkafka calls bounded by a deadline, for shutdown (rdkafka_util.h).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "daemon/base/json_log.h"
#include "daemon/kafka/rdkafka_util.h"

namespace outcomes::rdkafka {
namespace {

// Served in slices so rd_kafka_consumer_closed is looked at often.
constexpr int kCloseSliceMs = 50;

// Handles whose rd_kafka_destroy has not returned (DestroyUntil).
std::atomic<int> destroys_running{0};

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

rd_kafka_resp_err_t CommitResult(rd_kafka_event_t* event) {
  rd_kafka_resp_err_t err = rd_kafka_event_error(event);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return err;
  const rd_kafka_topic_partition_list_t* list =
      rd_kafka_event_topic_partition_list(event);
  for (int i = 0; list != nullptr && i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return list->elems[i].err;
    }
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace

int Ms(absl::Duration d) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(d), 0,
                                              std::numeric_limits<int>::max()));
}

int MsUntil(absl::Time deadline) { return Ms(deadline - absl::Now()); }

rd_kafka_resp_err_t CommitUntil(rd_kafka_t* rk,
                                const rd_kafka_topic_partition_list_t* offsets,
                                absl::Time deadline) {
  // The result comes as an OFFSET_COMMIT event on this queue (no callback:
  // the event API). Destroying the queue before it came is safe: librdkafka
  // drops replies to a destroyed queue.
  QueuePtr queue(rd_kafka_queue_new(rk));
  if (rd_kafka_resp_err_t err =
          rd_kafka_commit_queue(rk, offsets, queue.get(), nullptr, nullptr)) {
    return err;
  }
  while (true) {
    rd_kafka_event_t* event =
        rd_kafka_queue_poll(queue.get(), MsUntil(deadline));
    if (event == nullptr) return RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
      const rd_kafka_resp_err_t err = CommitResult(event);
      rd_kafka_event_destroy(event);
      return err;
    }
    rd_kafka_event_destroy(event);
  }
}

bool CloseConsumerUntil(rd_kafka_t* rk, absl::Time deadline,
                        RebalanceFn rebalance, void* opaque) {
  QueuePtr queue(rd_kafka_queue_new(rk));
  if (rd_kafka_error_t* error =
          rd_kafka_consumer_close_queue(rk, queue.get())) {
    Log(LogLevel::kWarning, "kafka consumer close",
        {{"error", rd_kafka_error_string(error)}});
    rd_kafka_error_destroy(error);
    return false;
  }
  // The event API, not rd_kafka_queue_poll_callback: the consumer queue is
  // forwarded here, and its queued messages have no callback (librdkafka
  // asserts on them). Like rd_kafka_consumer_close, drop all but the
  // rebalance.
  while (!rd_kafka_consumer_closed(rk)) {
    const int left = MsUntil(deadline);
    if (left == 0) return false;
    rd_kafka_event_t* event =
        rd_kafka_queue_poll(queue.get(), std::min(left, kCloseSliceMs));
    if (event == nullptr) continue;
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) {
      rebalance(rk, rd_kafka_event_error(event),
                rd_kafka_event_topic_partition_list(event), opaque);
    }
    rd_kafka_event_destroy(event);
  }
  return true;
}

bool DestroyUntil(rd_kafka_t* rk, int flags, absl::Time deadline) {
  auto done = std::make_shared<absl::Notification>();
  destroys_running.fetch_add(1);
  std::thread([rk, flags, done] {
    rd_kafka_destroy_flags(rk, flags);
    destroys_running.fetch_sub(1);
    done->Notify();
  }).detach();
  return done->WaitForNotificationWithDeadline(deadline);
}

}  // namespace outcomes::rdkafka

namespace outcomes {

bool KafkaClientsStillClosing() { return rdkafka::destroys_running.load() > 0; }

}  // namespace outcomes
