// A fixed set of threads running queued jobs, with a bounded queue: the
// HTTP server hands slow handlers here so its event thread never blocks.
//
// Thread safety: all methods are safe from any thread. Jobs run on the
// pool's threads, in submission order per thread.
#ifndef OUTCOMESD_DAEMON_HTTP_WORKER_POOL_H_
#define OUTCOMESD_DAEMON_HTTP_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace outcomes {

class WorkerPool {
 public:
  // REQUIRES: threads >= 1, max_queued >= 1.
  WorkerPool(int threads, int max_queued);
  ~WorkerPool();  // Stop().

  // Queues `job`; false (and `job` dropped) when the queue is full or the
  // pool is stopping.
  bool Submit(std::function<void()> job);
  // Runs every job already queued, then joins the threads. Later Submit()
  // calls fail. Idempotent.
  void Stop();

 private:
  void Run();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_WORKER_POOL_H_
