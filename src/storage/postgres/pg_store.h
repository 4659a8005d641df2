// The PostgreSQL engine of the Store (DESIGN 5), for many stateless instances on one
// database: a bounded libpq connection pool, bound parameters only, each write in one
// transaction, migrations under an advisory lock, and LISTEN/NOTIFY so that every
// instance hears of each stored notification. Tile data and query results are `json`
// (kept as sent: jsonb would reorder keys); the users list is `jsonb`.
// Thread-safe, as the Store interface requires.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/open_store.h"
#include "storage/postgres/pg_pool.h"
#include "storage/store.h"

namespace autoql::storage::postgres {

class PgStore final : public Store {
 public:
  // Connects once to check the URL. kUnavailable when the database cannot be reached.
  static Result<std::unique_ptr<Store>> open(const std::string& url, const StoreOptions& options);
  ~PgStore() override;

  Result<int> migrate() override;
  Result<void> ping() override;
  bool readsAreLocal() const override { return false; }
  std::size_t connectionsInUse() const override { return pool_.inUse(); }
  std::size_t connectionLimit() const override { return pool_.size(); }
  void onNotificationStored(NotificationListener listener) override;

  Result<domain::Dashboard> createDashboard(const domain::NewDashboard& input) override;
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
  PgStore(const std::string& url, const StoreOptions& options);

  // Runs `work` on a leased connection; with `transaction`, inside BEGIN/COMMIT (rolled
  // back when it throws). Turns PgError and other exceptions into Error values.
  Result<void> run(const std::function<void(Connection&)>& work, bool transaction);
  // run() without the timing: tries the work, and once more on a new connection when the
  // first one turned out dead or read-only.
  Result<void> attempt(const std::function<void(Connection&)>& work, bool transaction);

  // Gives a connection back to the pool, rolling back first when asked.
  void release(std::unique_ptr<Connection> db, bool rollback);

  Result<DashboardWrite> changeDashboard(
      std::int64_t id, const domain::VersionCondition& condition, std::string_view updated_by,
      const std::function<bool(Connection&, domain::Dashboard&)>& change);

  // Listens for notifications stored by any instance and hands them to the listener.
  // After a reconnect it first delivers what was stored while it was away.
  void listen();

  // Delivers the notifications stored after `last_seq` (at most a page), advancing it.
  void catchUp(Connection& db, std::int64_t& last_seq);

  // Delivers the notification with sequence `seq` (a NOTIFY payload).
  void deliverOne(Connection& db, const std::string& seq, std::int64_t& last_seq);

  const std::string url_;
  StoreOptions options_;
  Pool pool_;
  NotificationListener listener_;
  std::atomic<bool> stopping_{false};
  std::mutex listening_mutex_;
  std::condition_variable listening_changed_;
  bool listening_ = false;  // the first LISTEN is in place
  std::thread listener_thread_;
};

}  // namespace autoql::storage::postgres
