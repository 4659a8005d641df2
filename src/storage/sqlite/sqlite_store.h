// The SQLite engine of the Store (DESIGN 5): WAL, synchronous=FULL, one group-committing
// writer thread (sqlite_writer.h) and a pool of reader connections, so reads never wait
// behind a commit. An in-memory database has one connection, so its reads go through
// the writer too. Thread-safe, as the Store interface requires.
//
// A reader leaves its read transaction open after a read, and the next read on that
// connection uses the same snapshot when the writer has committed nothing since and the
// snapshot is younger than kSnapshotReuse. Beginning and ending a read transaction takes
// the WAL index's locks (a process-wide mutex and fcntl calls), which cost more than a
// point read itself. Every commit of this process is seen by the next read; a commit of
// another process (a `topics import`) within kSnapshotReuse. Idle readers' snapshots end
// at each commit of the writer (before it checkpoints) and, when nothing commits, after
// kSnapshotReuse, so that none holds back a checkpoint.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/open_store.h"
#include "storage/sqlite/sqlite_connection.h"
#include "storage/sqlite/sqlite_writer.h"
#include "storage/store.h"

namespace autoql::storage::sqlite {

class SqliteStore final : public Store {
 public:
  // How long a read transaction may be reused.
  static constexpr std::chrono::milliseconds kSnapshotReuse{2};

  ~SqliteStore() override;

  // Opens `path` (":memory:" for a private in-memory database) in WAL mode.
  // kUnavailable when it cannot be opened.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const StoreOptions& options);

  Result<int> migrate() override;
  Result<void> ping() override;
  // An in-memory database reads through the writer, behind its commits.
  bool readsAreLocal() const override { return !in_memory_; }
  std::size_t connectionsInUse() const override;
  std::size_t connectionLimit() const override { return options_.read_connections + 1; }
  void onNotificationStored(NotificationListener listener) override;

  Result<domain::Dashboard> createDashboard(const domain::NewDashboard& input) override;
  void createDashboardAsync(const domain::NewDashboard& input, DashboardDone done) override;
  Result<void> visitDashboards(std::string_view project_id, std::string_view user_id,
                               std::size_t limit, std::size_t offset, const DashboardHeld& held,
                               const DashboardVisitor& each) override;
  Result<domain::Dashboard> getDashboard(std::int64_t id) override;
  Result<DashboardWrite> updateDashboard(std::int64_t id, const domain::DashboardChanges& changes,
                                         const domain::VersionCondition& condition,
                                         std::string_view updated_by) override;
  Result<DashboardWrite> deleteDashboard(std::int64_t id,
                                         const domain::VersionCondition& condition) override;
  Result<std::vector<domain::DashboardVersionInfo>> listDashboardVersions(std::int64_t id) override;
  Result<domain::Dashboard> getDashboardVersion(std::int64_t id, std::int64_t version) override;
  Result<DashboardWrite> restoreDashboardVersion(std::int64_t id, std::int64_t version,
                                                 const domain::VersionCondition& condition,
                                                 std::string_view updated_by) override;

  Result<InsertResult> insertNotification(const domain::Notification& notification) override;
  void insertNotificationAsync(domain::Notification notification, InsertDone done) override;
  Result<NotificationRecord> getNotification(std::string_view notification_id,
                                             std::string_view user_id) override;
  Result<NotificationStanding> findNotification(std::string_view notification_id,
                                                std::string_view user_id) override;
  Result<std::vector<NotificationRecord>> listFeed(const domain::FeedQuery& query) override;
  Result<std::vector<NotificationRecord>> feedSince(std::string_view project_id,
                                                    std::string_view user_id,
                                                    std::int64_t after_seq,
                                                    std::size_t limit) override;
  Result<NotificationRecord> setNotificationState(std::string_view notification_id,
                                                  std::string_view project_id,
                                                  std::string_view user_id,
                                                  domain::NotificationState state) override;
  Result<std::int64_t> setAllNotificationStates(std::string_view project_id,
                                                std::string_view user_id,
                                                domain::NotificationState state,
                                                std::optional<std::int64_t> before_ms) override;
  Result<void> removeFromFeed(std::string_view notification_id, std::string_view project_id,
                              std::string_view user_id) override;
  Result<std::string> getQuickStartTopics(std::string_view project_id) override;
  Result<void> putQuickStartTopics(std::string_view project_id,
                                   std::string_view topics_json) override;
  Result<domain::StateCounts> countFeed(std::string_view project_id,
                                        std::string_view user_id) override;

 private:
  SqliteStore(const std::string& path, const StoreOptions& options);

  // Runs `work` on a reader connection (or on the writer for an in-memory database).
  Result<void> read(const Writer::Work& work);
  // read() without the timing.
  Result<void> readOn(const Writer::Work& work);

  // Runs `work` in the writer's next group commit.
  Result<void> write(const Writer::Work& work) {
    const auto start = QueryClock::now();
    auto result = writer_->run(work);
    timed("write", start);
    return result;
  }

  // Queues `work` for the writer's next group commit; `done` runs after it, on the writer
  // thread, or at once with kOverloaded when max_queued_writes are waiting.
  void submit(Writer::Work work, Writer::Done done);

  // Tells the listener of a notification this process has just stored, with its
  // sequence number set.
  void notifyStored(domain::Notification& n, const InsertResult& outcome) const;

  // Runs `change` on the stored dashboard under `condition` in one write; see
  // updateDashboard. `change` returns false when the dashboard cannot be changed that
  // way (a missing version to restore): the write reports kNotFound.
  using DashboardChange = std::function<bool(Connection&, domain::Dashboard&)>;
  Result<DashboardWrite> changeDashboard(std::int64_t id, const domain::VersionCondition& condition,
                                         std::string_view updated_by,
                                         const DashboardChange& change);

  // A reader connection and the read transaction it may have left open.
  struct Reader {
    std::unique_ptr<Connection> connection;
    bool open = false;          // a read transaction is open
    std::uint64_t commits = 0;  // the writer's commits() when it began
    std::chrono::steady_clock::time_point began;
  };
  std::unique_ptr<Reader> leaseReader();
  void returnReader(std::unique_ptr<Reader> reader);
  // Keeps the reader's snapshot if it may be reused, else begins a new one.
  void useSnapshot(Reader& reader) const;
  static void endSnapshot(Reader& reader) noexcept;
  // Called by the writer after each commit, which makes every idle reader's snapshot
  // stale: ended now, none holds back the checkpoint that may follow.
  void endSnapshotsOfIdleReaders();
  // The loop of snapshot_janitor_: when nothing commits, ends the snapshots of idle
  // readers once they are too old to be reused.
  void runSnapshotJanitor();

  StoreOptions options_;
  NotificationListener listener_;
  std::string path_;
  bool in_memory_;
  std::unique_ptr<Writer> writer_;

  mutable std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<std::unique_ptr<Reader>> idle_readers_;
  std::size_t readers_open_ = 0;
  std::condition_variable janitor_wake_;
  bool janitor_waits_ = false;  // for a snapshot to be left open, with no deadline
  bool closing_ = false;
  std::thread snapshot_janitor_;
};

}  // namespace autoql::storage::sqlite
