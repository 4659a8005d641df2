// A fixed set of threads that run blocking work (database calls, JSON parsing of large
// bodies) off the HTTP I/O threads. The queue is bounded: when it is full, trySubmit()
// refuses the job so that the caller can answer 503 instead of queueing without bound.
// All public functions are safe to call from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace autoql {

class WorkerPool {
 public:
  // Starts `threads` workers (at least one) with room for `queue_capacity` waiting jobs.
  WorkerPool(std::size_t threads, std::size_t queue_capacity);

  // Finishes the queued jobs, then joins the workers.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`. Returns false, without running it, when the queue is full or the pool
  // is stopping. A job must not throw; one that does is caught and dropped.
  bool trySubmit(std::function<void()> job);

  // Stops taking jobs, runs what is queued, joins the workers. Idempotent.
  void stop();

  std::size_t threadCount() const { return threads_.size(); }

 private:
  void run();

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace autoql
