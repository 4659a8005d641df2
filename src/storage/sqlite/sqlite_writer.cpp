#include "storage/sqlite/sqlite_writer.h"

#include <exception>
#include <optional>
#include <utility>

namespace autoql::storage::sqlite {

struct Writer::Job {
  Work work;
  Done on_done;  // set for trySubmit(): called instead of waking a waiting caller
  bool alone = false;
  std::optional<Error> error;  // set when this job, or its batch, failed
  bool done = false;
  std::condition_variable finished;
};

Writer::Writer(std::unique_ptr<Connection> connection, Opener reopen, Committed committed)
    : connection_(std::move(connection)),
      reopen_(std::move(reopen)),
      committed_(std::move(committed)),
      thread_([this] { loop(); }) {
  connection_->takeOverCheckpoints();
}

Writer::~Writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

Result<void> Writer::run(Work work) {
  return enqueue(std::move(work), false);
}

Result<void> Writer::runAlone(Work work) {
  return enqueue(std::move(work), true);
}

Result<void> Writer::enqueue(Work work, bool alone) {
  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->alone = alone;

  std::unique_lock lock(mutex_);
  if (stopping_) {
    return Error{Errc::kUnavailable, "the store is closing"};
  }
  queue_.push_back(job);
  ++pending_;
  wake_.notify_one();
  job->finished.wait(lock, [&] { return job->done; });

  if (job->error) {
    return *job->error;
  }
  return Ok{};
}

bool Writer::trySubmit(Work work, Done done, std::size_t max_pending) {
  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->on_done = std::move(done);
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || pending_ >= max_pending) {
      return false;
    }
    queue_.push_back(std::move(job));
    ++pending_;
  }
  wake_.notify_one();
  return true;
}

// Wakes the callers waiting in run() and calls the callbacks of trySubmit(), the latter
// outside the lock: they may queue more work.
void Writer::finish(std::deque<std::shared_ptr<Job>>& batch) {
  {
    std::lock_guard lock(mutex_);
    pending_ -= batch.size();
    for (const auto& job : batch) {
      job->done = true;
      if (!job->on_done) {
        job->finished.notify_one();
      }
    }
  }
  for (const auto& job : batch) {
    if (!job->on_done) {
      continue;
    }
    Result<void> result = Ok{};
    if (job->error) {
      result = *job->error;
    }
    try {
      job->on_done(std::move(result));
    } catch (...) {
      // A callback reports its own failures; this keeps one from ending the writer.
    }
  }
}

void Writer::loop() {
  for (;;) {
    std::deque<std::shared_ptr<Job>> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      // A job that runs alone is a batch of its own; the others gather up to the next one.
      do {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (!batch.front()->alone && !queue_.empty() && !queue_.front()->alone &&
               batch.size() < kMaxBatch);
    }

    reopenIfReadOnly();
    if (batch.front()->alone) {
      runAloneJob(*batch.front());
    } else {
      runBatch(batch);
    }
    commits_.fetch_add(1, std::memory_order_release);
    if (committed_) {
      committed_();
    }
    finish(batch);
    checkpointIfDue();
  }
}

// A connection opened while the file was read-only stays so; once the file can be written
// again only a new connection can write to it. Trying one before each batch while that is
// so lets writes resume without a restart.
void Writer::reopenIfReadOnly() {
  if (!reopen_ || !connection_->readOnly()) {
    return;
  }
  try {
    auto fresh = reopen_();
    if (!fresh->readOnly()) {
      connection_ = std::move(fresh);
      connection_->takeOverCheckpoints();
      journals_in_memory_ = false;
    }
  } catch (const SqliteError&) {
    // Still not openable: the batch runs on the old connection and reports the fault.
  }
}

// After the batch's answers have gone out: a checkpoint of a full log writes and syncs
// megabytes, which the next batch waits for but no caller of this one does.
void Writer::checkpointIfDue() {
  const int frames = connection_->walFrames();
  if (frames < kCheckpointFrames) {
    return;
  }
  try {
    connection_->checkpoint(frames >= kRestartFrames ? kRestartWait : std::chrono::milliseconds{});
  } catch (const SqliteError&) {
    // A checkpoint that fails (a full disk) is tried again after the next commit.
  }
}

// Where a transaction keeps its savepoint journal, read by SQLite when it begins. Every
// job of a batch runs in a savepoint, whose journal keeps the original of the pages the
// job changes until the batch commits: a few pages a job, which at SQLite's default of
// 64 KiB in memory spilled to a temporary file for most batches, at two system calls a
// page (webhooks: 22k/s with the spill, 28k/s without, on the same machine). In memory a
// journal is bounded by the batch (kMaxBatch jobs, whose bodies are bounded by the
// server's --max-body-memory). Jobs run alone (migrations) keep the default: a migration
// that builds an index over a million rows would hold about 35 MB of journal. The spill
// threshold itself (SQLITE_CONFIG_STMTJRNL_SPILL) stays at its default; see
// configureLibrary for why a larger one fails.
void Writer::keepSavepointJournalsInMemory(bool in_memory) {
  if (journals_in_memory_ != in_memory) {
    connection_->exec(in_memory ? "PRAGMA temp_store = MEMORY" : "PRAGMA temp_store = DEFAULT");
    journals_in_memory_ = in_memory;
  }
}

void Writer::runAloneJob(Job& job) {
  try {
    keepSavepointJournalsInMemory(false);
    job.work(*connection_);
  } catch (const SqliteError& e) {
    job.error = e.toError();
  } catch (const std::exception& e) {
    job.error = Error{Errc::kInternal, e.what()};
  }
}

void Writer::runBatch(std::deque<std::shared_ptr<Job>>& batch) {
  Connection& db = *connection_;
  auto failAll = [&batch](const Error& error) {
    for (const auto& job : batch) {
      if (!job->error) {
        job->error = error;
      }
    }
  };

  try {
    keepSavepointJournalsInMemory(true);
    db.exec("BEGIN IMMEDIATE");
    for (const auto& job : batch) {
      db.execPrepared("SAVEPOINT job");
      try {
        job->work(db);
        db.execPrepared("RELEASE job");
      } catch (const SqliteError& e) {
        job->error = e.toError();
      } catch (const std::exception& e) {
        job->error = Error{Errc::kInternal, e.what()};
      }
      if (!job->error) {
        continue;
      }

      // Some errors (a full disk, an I/O error) make SQLite roll back the whole
      // transaction: then nothing of this batch will be committed.
      if (!db.inTransaction()) {
        failAll(*job->error);
        return;
      }
      db.exec("ROLLBACK TO job; RELEASE job");
    }
    db.exec("COMMIT");
  } catch (const SqliteError& e) {
    failAll(e.toError());
    if (db.inTransaction()) {
      try {
        db.exec("ROLLBACK");
      } catch (const SqliteError&) {
        // The connection is unusable; the next batch's BEGIN reports it.
      }
    }
  }
}

}  // namespace autoql::storage::sqlite
