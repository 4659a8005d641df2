// The single SQLite writer with group commit (DESIGN 5).
//
// SQLite allows one writer at a time, and a durable commit costs an fsync. Instead of
// each request paying its own, callers hand their work to this one thread, which runs
// everything queued so far in one BEGIN IMMEDIATE transaction, each job inside its own
// SAVEPOINT (so one failing job does not undo the others), then commits once and wakes
// every caller. A caller's run() returns only after the commit that holds its work is on
// disk. The batch is bounded by kMaxBatch and by what arrived while the previous commit
// was being written, so the wait a caller adds is at most about one commit.
//
// The writer checkpoints the write-ahead log itself, after a batch has been answered,
// rather than inside the COMMIT as SQLite would: `committed` first lets readers drop
// snapshots that the commit made stale, which would otherwise hold every checkpoint one
// commit behind for as long as reads and writes go on.
//
// trySubmit() is the same without the wait: the caller learns of the commit through a
// callback on the writer thread, so an HTTP I/O thread can hand over a write and go on
// serving other connections. Its queue is bounded by the caller's limit.
//
// run() and trySubmit() are safe to call from any number of threads, but not from a job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/sqlite/sqlite_connection.h"
#include "util/result.h"

namespace autoql::storage::sqlite {

class Writer {
 public:
  // Work runs on the writer thread inside the batch's transaction. It reports failure by
  // throwing SqliteError (its savepoint is then rolled back) and must touch nothing but
  // the connection and its own captures.
  using Work = std::function<void(Connection&)>;

  // Jobs committed together at most; bounds the latency one batch adds.
  static constexpr std::size_t kMaxBatch = 256;

  // Opens a new connection to the same database (see reopenIfReadOnly()).
  using Opener = std::function<std::unique_ptr<Connection>()>;

  // Called on the writer thread after each batch has committed, before the checkpoint
  // that may follow it and before any caller hears of the batch.
  using Committed = std::function<void()>;

  // Frames of the write-ahead log (4 KiB pages) after which the writer checkpoints; the
  // number SQLite's own automatic checkpoint uses.
  static constexpr int kCheckpointFrames = 1000;
  // Readers that never all pause at once keep the log from starting over, and it grows
  // without bound (SQLite's "checkpoint starvation"). Past this many frames the writer's
  // checkpoint waits up to kRestartWait for the readers to move past the log; readers
  // renew their snapshots within SqliteStore::kSnapshotReuse, so a few ms suffice, and
  // the writes that queue meanwhile fit in the queue.
  static constexpr int kRestartFrames = 2 * kCheckpointFrames;
  static constexpr std::chrono::milliseconds kRestartWait{10};

  // `reopen` may be empty (an in-memory database, which a new connection would not see).
  // `committed` may be empty.
  explicit Writer(std::unique_ptr<Connection> connection, Opener reopen = {},
                  Committed committed = {});

  // Runs the queued jobs, then stops the thread.
  ~Writer();

  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues `work` and blocks until its batch has committed (ok) or failed (the error of
  // its own job, or of the commit, which fails the whole batch).
  Result<void> run(Work work);

  // Queues `work` for the next batch and returns at once; `done` runs on the writer thread
  // once that batch has committed (ok) or failed, outside the writer's lock. Returns
  // false, queueing nothing, when `max_pending` jobs already wait or run.
  using Done = std::function<void(Result<void>)>;
  bool trySubmit(Work work, Done done, std::size_t max_pending);

  // Queues `work` to run alone, outside any transaction (migrations, which manage their
  // own, and reads of an in-memory database), and blocks until it has run.
  Result<void> runAlone(Work work);

  // How many batches (and jobs run alone) have finished, counted after their commit and
  // before any caller hears of it. A reader that sees the same count as when its snapshot
  // began has missed no commit of this writer.
  std::uint64_t commits() const { return commits_.load(std::memory_order_acquire); }

 private:
  struct Job;

  Result<void> enqueue(Work work, bool alone);
  void finish(std::deque<std::shared_ptr<Job>>& batch);
  void loop();
  void runBatch(std::deque<std::shared_ptr<Job>>& batch);
  void runAloneJob(Job& job);
  void reopenIfReadOnly();
  void checkpointIfDue();
  void keepSavepointJournalsInMemory(bool in_memory);

  std::unique_ptr<Connection> connection_;
  bool journals_in_memory_ = false;  // what connection_'s temp_store was last set to
  const Opener reopen_;
  const Committed committed_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::size_t pending_ = 0;  // jobs queued or in the batch being run
  bool stopping_ = false;
  std::atomic<std::uint64_t> commits_{0};
  std::thread thread_;
};

}  // namespace autoql::storage::sqlite
