// The storage interface every engine implements (DESIGN 5). Handlers call it from the
// worker pool; every function blocks until its work is done (for writes: durably
// committed) and is safe to call from many threads at once. No function throws: failures
// come back as Error values (see util/result.h for what each code means).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/dashboard.h"
#include "domain/notification.h"
#include "util/result.h"

namespace autoql::storage {

enum class InsertOutcome {
  kInserted,
  kDuplicate,             // same notification_id, same body: a retry
  kConflictingDuplicate,  // same notification_id, different body: kept the first
};

struct InsertResult {
  InsertOutcome outcome = InsertOutcome::kInserted;
  std::int64_t seq = 0;  // the stored notification's sequence number (also for repeats)
};

// The result of a conditional dashboard write.
struct DashboardWrite {
  domain::Dashboard dashboard;  // the new state, or the stored one when not applied
  bool applied = true;          // false: the version condition failed, nothing changed
};

// A notification with the state of the recipient it was read for.
struct NotificationRecord {
  domain::Notification notification;
  std::optional<domain::NotificationState> state;  // nullopt: not read for a recipient
};

// Where one recipient's copy of a notification stands, without the notification's
// content: enough for a caller that holds the content already (see findNotification).
struct NotificationStanding {
  std::int64_t seq = 0;  // never reused; the content under it never changes
  // The recipient's state, and the project of the recipient's copy (the notification's
  // own); nullopt and empty when the notification was not addressed to the user asked
  // about, or no user was.
  std::optional<domain::NotificationState> state;
  std::string project_id;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies the migrations not yet recorded in schema_migrations; safe to run while other
  // processes do the same. Returns how many were applied.
  virtual Result<int> migrate() = 0;

  // Database connections in use by requests now, and the most there can be (metrics).
  virtual std::size_t connectionsInUse() const = 0;
  virtual std::size_t connectionLimit() const = 0;

  // True when a read is served from a local file with no network round trip and never
  // waits behind a write (SQLite in WAL mode), so that it may run on an I/O thread.
  virtual bool readsAreLocal() const = 0;

  // Calls `timer` with the time each database call took: "read" for a read, "write" for
  // a write until its commit is on disk (for SQLite, also the wait for its group
  // commit). Set once, before serving; the timer must be thread-safe and must not block.
  using QueryTimer = std::function<void(std::string_view kind, std::chrono::duration<double>)>;
  void onQueryTimed(QueryTimer timer) { query_timer_ = std::move(timer); }

  // Cheap round trip to the database, for readiness checks.
  virtual Result<void> ping() = 0;

  // Calls `listener` for every notification stored from now on, after its commit: by
  // this process, and, for an engine that several instances share, by any of them. Set
  // once, before serving; the listener runs on a store thread and must not block long.
  using NotificationListener = std::function<void(const domain::Notification&)>;
  virtual void onNotificationStored(NotificationListener listener) = 0;

  // Stores a new dashboard at version 1 and returns it with its id and timestamps.
  virtual Result<domain::Dashboard> createDashboard(const domain::NewDashboard& input) = 0;

  // The same, answered through `done`, called exactly once after the commit. A local
  // store (readsAreLocal()) queues the write and returns at once, calling `done` on its
  // writer thread, or kOverloaded at once when its queue of writes is full; the default
  // runs createDashboard() and calls `done` before returning, so it blocks like it.
  // `done` must not call the store (it may run on the thread that would serve the call).
  using DashboardDone = std::function<void(Result<domain::Dashboard>)>;
  virtual void createDashboardAsync(const domain::NewDashboard& input, DashboardDone done) {
    done(createDashboard(input));
  }

  // Calls `each` for the owner's dashboards, newest first, skipping `offset` and at most
  // `limit`, each read in place (the view is valid during its call only).
  //
  // A store that finds a page's ids and versions in an index, without reading the rows,
  // first asks `held` about each row in turn (when `held` is not empty). True means the
  // caller already holds what it needs of that version of the row, which is then neither
  // read nor passed to `each`. A store that reads whole rows in one go may never ask.
  // Neither callback may call the store.
  using DashboardHeld = std::function<bool(domain::DashboardKey)>;
  using DashboardVisitor = std::function<void(const domain::DashboardView&)>;
  virtual Result<void> visitDashboards(std::string_view project_id, std::string_view user_id,
                                       std::size_t limit, std::size_t offset,
                                       const DashboardHeld& held, const DashboardVisitor& each) = 0;

  // The same page, copied out.
  Result<std::vector<domain::Dashboard>> listDashboards(std::string_view project_id,
                                                        std::string_view user_id, std::size_t limit,
                                                        std::size_t offset) {
    std::vector<domain::Dashboard> page;
    auto visited = visitDashboards(project_id, user_id, limit, offset, {},
                                   [&page](const auto& view) { page.push_back(copyOf(view)); });
    if (!visited) {
      return visited.error();
    }
    return page;
  }

  // kNotFound when absent.
  virtual Result<domain::Dashboard> getDashboard(std::int64_t id) = 0;

  // When `condition` allows the stored version: keeps that version in the history,
  // applies `changes` as the next version by `updated_by` (the owner when empty), and
  // returns it. Otherwise
  // changes nothing and returns the stored state with applied = false.
  // kNotFound when absent.
  virtual Result<DashboardWrite> updateDashboard(std::int64_t id,
                                                 const domain::DashboardChanges& changes,
                                                 const domain::VersionCondition& condition,
                                                 std::string_view updated_by) = 0;

  // Deletes the dashboard and its history when `condition` allows its version; otherwise
  // changes nothing and returns applied = false. kNotFound when absent.
  virtual Result<DashboardWrite> deleteDashboard(std::int64_t id,
                                                 const domain::VersionCondition& condition) = 0;

  // The earlier versions of a dashboard, newest first. kNotFound when it is absent.
  virtual Result<std::vector<domain::DashboardVersionInfo>> listDashboardVersions(
      std::int64_t id) = 0;

  // One version, whole: an earlier one from the history, or the current one.
  // kNotFound when the dashboard or that version is absent.
  virtual Result<domain::Dashboard> getDashboardVersion(std::int64_t id, std::int64_t version) = 0;

  // Makes `version`'s name and tiles the next version (the history only grows), under
  // `condition` as updateDashboard. kNotFound when the dashboard or version is absent.
  virtual Result<DashboardWrite> restoreDashboardVersion(std::int64_t id, std::int64_t version,
                                                         const domain::VersionCondition& condition,
                                                         std::string_view updated_by) = 0;

  // Stores the notification and one UNACKNOWLEDGED state per distinct user, exactly once
  // per notification_id: a repeat changes nothing and says whether its body differed.
  virtual Result<InsertResult> insertNotification(const domain::Notification& notification) = 0;

  // The same, answered through `done` as createDashboardAsync() is. The listener has
  // been called for a new notification by the time `done` is.
  using InsertDone = std::function<void(Result<InsertResult>)>;
  virtual void insertNotificationAsync(domain::Notification notification, InsertDone done) {
    done(insertNotification(notification));
  }

  // Returns the notification, with the state of `user_id` when it is not empty and the
  // user is a recipient. kNotFound when absent.
  virtual Result<NotificationRecord> getNotification(std::string_view notification_id,
                                                     std::string_view user_id) = 0;

  // The same, without the content: only what getNotification would return as `seq`, the
  // state and (for a recipient) the project, read from indexes. kNotFound when absent.
  virtual Result<NotificationStanding> findNotification(std::string_view notification_id,
                                                        std::string_view user_id) = 0;

  // One page of a recipient's feed (see FeedQuery), each with the recipient's state.
  // Served by an index: the cost does not grow with the size of the table.
  virtual Result<std::vector<NotificationRecord>> listFeed(const domain::FeedQuery& query) = 0;

  // The recipient's notifications stored after `after_seq`, oldest first, at most
  // `limit`: what a live stream missed while disconnected.
  virtual Result<std::vector<NotificationRecord>> feedSince(std::string_view project_id,
                                                            std::string_view user_id,
                                                            std::int64_t after_seq,
                                                            std::size_t limit) = 0;

  // Sets the state for one recipient. kNotFound when the notification does not exist in
  // that user's feed (of that project).
  virtual Result<NotificationRecord> setNotificationState(std::string_view notification_id,
                                                          std::string_view project_id,
                                                          std::string_view user_id,
                                                          domain::NotificationState state) = 0;

  // Sets the state of every notification in the user's feed, or only of those created
  // before `before_ms`. Returns how many changed.
  virtual Result<std::int64_t> setAllNotificationStates(std::string_view project_id,
                                                        std::string_view user_id,
                                                        domain::NotificationState state,
                                                        std::optional<std::int64_t> before_ms) = 0;

  // Removes the notification from one user's feed; others keep it. kNotFound when it is
  // not in that feed.
  virtual Result<void> removeFromFeed(std::string_view notification_id, std::string_view project_id,
                                      std::string_view user_id) = 0;

  // The project's Query Quick Start topics as a serialized JSON array; "[]" when the
  // project has none.
  virtual Result<std::string> getQuickStartTopics(std::string_view project_id) = 0;

  // Replaces the project's topics with `topics_json` (a validated, serialized array).
  virtual Result<void> putQuickStartTopics(std::string_view project_id,
                                           std::string_view topics_json) = 0;

  // Counts the user's notifications by state.
  virtual Result<domain::StateCounts> countFeed(std::string_view project_id,
                                                std::string_view user_id) = 0;

 protected:
  using QueryClock = std::chrono::steady_clock;

  // Reports a call of `kind` that started at `start` to the query timer, if there is one.
  void timed(std::string_view kind, QueryClock::time_point start) const {
    if (query_timer_) {
      query_timer_(kind, QueryClock::now() - start);
    }
  }

 private:
  QueryTimer query_timer_;
};

}  // namespace autoql::storage
