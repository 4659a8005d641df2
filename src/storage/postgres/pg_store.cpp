#include "storage/postgres/pg_store.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "storage/found_row.h"
#include "storage/postgres/pg_migrations.h"
#include "util/log.h"

namespace autoql::storage::postgres {
namespace {

using domain::Dashboard;
using domain::Notification;
using domain::NotificationState;

// The channel on which every instance announces the sequence number of a notification
// it stored; NOTIFY is delivered at commit, so listeners never see an uncommitted row.
constexpr std::string_view kChannel = "autoql_notification";
// How long a lease waits for a free connection before the request gets 503.
constexpr std::chrono::milliseconds kLeaseWait{5000};
// How often the listener wakes to check for shutdown, and waits before reconnecting.
constexpr int kListenPollMillis = 250;
constexpr std::chrono::milliseconds kListenRetry{1000};
// How long start-up waits for the listener's first LISTEN.
constexpr std::chrono::seconds kListenStartWait{5};
// Notifications delivered per catch-up query; a longer backlog takes several rounds.
constexpr std::int64_t kCatchUpLimit = 1000;

constexpr std::string_view kDashboardColumns =
    "id, project_id, user_id, name, data, version, created_at, updated_at, updated_by";

// The row's columns in place; valid while `rows` is.
domain::DashboardView viewDashboard(const Rows& rows, int row) {
  domain::DashboardView d;
  d.id = rows.integer(row, 0);
  d.project_id = rows.view(row, 1);
  d.user_id = rows.view(row, 2);
  d.name = rows.view(row, 3);
  d.data_json = rows.view(row, 4);
  d.version = rows.integer(row, 5);
  d.created_at_ms = rows.integer(row, 6);
  d.updated_at_ms = rows.integer(row, 7);
  d.updated_by = rows.view(row, 8);
  return d;
}

Dashboard readDashboard(const Rows& rows, int row) {
  return domain::copyOf(viewDashboard(rows, row));
}

std::optional<Dashboard> loadDashboard(Connection& db, std::int64_t id, bool for_update) {
  auto rows = db.exec("SELECT " + std::string(kDashboardColumns) +
                          " FROM dashboards WHERE id = $1" + (for_update ? " FOR UPDATE" : ""),
                      {num(id)});
  if (rows.empty()) {
    return std::nullopt;
  }
  return readDashboard(rows, 0);
}

NotificationState parseState(std::string_view text) {
  return domain::parseStateName(text).value_or(NotificationState::kUnacknowledged);
}

constexpr std::string_view kNotificationColumns =
    "n.seq, n.notification_id, n.data_alert_id, n.project_id, n.event, n.title, n.message, "
    "n.users, n.created_at, n.data_return_query, n.query_result, n.received_at, n.body_sha256";

Notification readNotification(const Rows& rows, int row) {
  Notification n;
  n.seq = rows.integer(row, 0);
  n.notification_id = rows.text(row, 1);
  n.data_alert_id = rows.text(row, 2);
  n.project_id = rows.text(row, 3);
  n.event = rows.text(row, 4);
  n.title = rows.text(row, 5);
  n.message = rows.text(row, 6);
  const boost::json::value users = boost::json::parse(rows.text(row, 7));
  for (const auto& user : users.as_array()) {
    n.users.emplace_back(user.as_string());
  }
  n.created_at_ms = rows.integer(row, 8);
  n.data_return_query = rows.text(row, 9);
  n.query_result_json = rows.text(row, 10);
  n.received_at_ms = rows.integer(row, 11);
  n.body_sha256 = rows.text(row, 12);
  return n;
}

// Rows of a feed query: the notification columns, then r.state.
std::vector<NotificationRecord> readFeed(const Rows& rows) {
  std::vector<NotificationRecord> records;
  records.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    records.push_back({readNotification(rows, i), parseState(rows.text(i, 13))});
  }
  return records;
}

const std::string kFeedJoin = "SELECT " + std::string(kNotificationColumns) +
                              ", r.state FROM notification_recipients r "
                              "JOIN notifications n ON n.seq = r.notification_seq ";

void archiveVersion(Connection& db, const Dashboard& d) {
  db.exec(
      "INSERT INTO dashboard_versions (dashboard_id, version, name, data, updated_at, "
      "updated_by) VALUES ($1, $2, $3, $4, $5, $6)",
      {num(d.id), num(d.version), text(d.name), text(d.data_json), num(d.updated_at_ms),
       text(d.updated_by)});
}

void saveDashboard(Connection& db, const Dashboard& d) {
  db.exec(
      "UPDATE dashboards SET name = $1, data = $2, version = $3, updated_at = $4, "
      "updated_by = $5 WHERE id = $6",
      {text(d.name), text(d.data_json), num(d.version), num(d.updated_at_ms), text(d.updated_by),
       num(d.id)});
}

}  // namespace

Result<std::unique_ptr<Store>> PgStore::open(const std::string& url, const StoreOptions& options) {
  try {
    Connection probe(url);
  } catch (const PgError& e) {
    return e.toError();
  }
  return std::unique_ptr<Store>(new PgStore(url, options));
}

PgStore::PgStore(const std::string& url, const StoreOptions& options)
    : url_(url), options_(options), pool_(url, options.read_connections, kLeaseWait) {}

PgStore::~PgStore() {
  stopping_ = true;
  if (listener_thread_.joinable()) {
    listener_thread_.join();
  }
}

void PgStore::release(std::unique_ptr<Connection> db, bool rollback) {
  if (!db) {
    return;
  }
  if (rollback && db->healthy()) {
    try {
      db->exec("ROLLBACK");
    } catch (const PgError&) {
      // The pool drops it if it broke.
    }
  }
  pool_.giveBack(std::move(db));
}

Result<void> PgStore::run(const std::function<void(Connection&)>& work, bool transaction) {
  const auto start = QueryClock::now();
  auto result = attempt(work, transaction);
  timed(transaction ? "write" : "read", start);
  return result;
}

Result<void> PgStore::attempt(const std::function<void(Connection&)>& work, bool transaction) {
  // A pooled connection can die while idle (the database restarted). Its first statement
  // then fails before anything was done, and the work is tried once more on a new one:
  // a read at any point, a transaction only when its BEGIN failed. A write refused because
  // the connection's session is read-only is tried once more too: nothing was applied, and
  // a new connection sees whether the database has been made writable since.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> db;
    bool begun = false;
    try {
      db = pool_.lease();
      if (transaction) {
        db->exec("BEGIN");
        begun = true;
      }
      work(*db);
      if (transaction) {
        db->exec("COMMIT");
      }
      pool_.giveBack(std::move(db));
      return Ok{};
    } catch (const PgError& e) {
      const bool read_only = db && db->readOnly();
      const bool again = db && attempt == 0 && (read_only || (!db->healthy() && !begun));
      release(std::move(db), transaction);
      if (read_only) {
        pool_.closeIdle();  // they started with the same default; the retry needs a new one
      }
      if (!again) {
        return e.toError();
      }
    } catch (const std::exception& e) {
      release(std::move(db), transaction);
      return Error{Errc::kInternal, e.what()};
    }
  }
}

Result<int> PgStore::migrate() {
  int applied = 0;
  auto result = run([&applied](Connection& db) { applied = applyMigrations(db); }, false);
  if (!result) {
    return result.error();
  }
  return applied;
}

Result<void> PgStore::ping() {
  return run([](Connection& db) { db.exec("SELECT 1"); }, false);
}

void PgStore::onNotificationStored(NotificationListener listener) {
  listener_ = std::move(listener);
  listener_thread_ = std::thread([this] { listen(); });

  // Serve only once LISTEN is in place, so that nothing stored after start-up is missed
  // (if the database is down, the listener catches up when it connects).
  std::unique_lock lock(listening_mutex_);
  listening_changed_.wait_for(lock, kListenStartWait, [this] { return listening_; });
}

void PgStore::catchUp(Connection& db, std::int64_t& last_seq) {
  auto rows = db.exec("SELECT " + std::string(kNotificationColumns) +
                          " FROM notifications n WHERE n.seq > $1 ORDER BY n.seq LIMIT $2",
                      {num(last_seq), num(kCatchUpLimit)});
  for (int i = 0; i < rows.size(); ++i) {
    Notification notification = readNotification(rows, i);
    last_seq = notification.seq;
    if (listener_) {
      listener_(notification);
    }
  }
}

void PgStore::deliverOne(Connection& db, const std::string& seq, std::int64_t& last_seq) {
  auto rows = db.exec(
      "SELECT " + std::string(kNotificationColumns) + " FROM notifications n WHERE n.seq = $1",
      {text(seq)});
  if (rows.empty()) {
    return;
  }
  Notification notification = readNotification(rows, 0);
  last_seq = std::max(last_seq, notification.seq);
  if (listener_) {
    listener_(notification);
  }
}

void PgStore::listen() {
  static const auto log = componentLogger("store");
  std::int64_t last_seq = -1;  // unknown until the first connection
  while (!stopping_) {
    try {
      Connection db(url_);
      db.exec("LISTEN " + std::string(kChannel));
      if (last_seq < 0) {
        last_seq = db.exec("SELECT COALESCE(MAX(seq), 0) FROM notifications").integer(0, 0);
      } else {
        // What was stored while this listener was away. (A row that took a sequence number
        // before the disconnect and commits only now is not seen: the stream's
        // Last-Event-ID replay still has it.)
        catchUp(db, last_seq);
      }
      {
        std::lock_guard lock(listening_mutex_);
        listening_ = true;
      }
      listening_changed_.notify_all();

      while (!stopping_) {
        pollfd socket{db.socket(), POLLIN, 0};
        if (::poll(&socket, 1, kListenPollMillis) < 0 || !db.consumeInput()) {
          throw PgError(Errc::kUnavailable, "the notification listener lost its connection");
        }
        for (const std::string& payload : db.takeNotifications()) {
          // Each payload names one stored notification. Sequence numbers are taken at
          // insert but committed in any order, so each is read by itself: reading "all
          // after the highest seen" would skip one that commits late.
          deliverOne(db, payload, last_seq);
        }
      }
    } catch (const PgError& e) {
      log->warn("notification listener: {}; retrying", e.what());
      for (int waited = 0; waited < 4 && !stopping_; ++waited) {
        std::this_thread::sleep_for(kListenRetry / 4);
      }
    }
  }
}

Result<Dashboard> PgStore::createDashboard(const domain::NewDashboard& input) {
  Dashboard created = domain::startDashboard(input, options_.clock());
  auto result = run(
      [&created](Connection& db) {
        auto rows = db.exec(
            "INSERT INTO dashboards (project_id, user_id, name, data, version, created_at, "
            "updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            {text(created.project_id), text(created.user_id), text(created.name),
             text(created.data_json), num(created.version), num(created.created_at_ms),
             num(created.updated_at_ms), text(created.updated_by)});
        created.id = rows.integer(0, 0);
      },
      true);
  if (!result) {
    return result.error();
  }
  return created;
}

Result<void> PgStore::visitDashboards(std::string_view project_id, std::string_view user_id,
                                      std::size_t limit, std::size_t offset,
                                      const DashboardHeld& /*held*/, const DashboardVisitor& each) {
  // The whole rows come in one round trip; asking for the ids first and then for the rows
  // not held would take two, and a snapshot shared by both.
  //
  // The rows are visited after the connection is back in the pool, and never twice: a
  // query that failed and was tried again visited nothing the first time.
  std::optional<Rows> rows;
  auto result = run(
      [&](Connection& db) {
        rows.emplace(
            db.exec("SELECT " + std::string(kDashboardColumns) +
                        " FROM dashboards WHERE project_id = $1 AND user_id = $2 "
                        "ORDER BY id DESC LIMIT $3 OFFSET $4",
                    {text(project_id), text(user_id), num(static_cast<std::int64_t>(limit)),
                     num(static_cast<std::int64_t>(offset))}));
      },
      false);
  if (!result) {
    return result.error();
  }
  for (int i = 0; i < rows->size(); ++i) {
    each(viewDashboard(*rows, i));
  }
  return Ok{};
}

Result<Dashboard> PgStore::getDashboard(std::int64_t id) {
  std::optional<Dashboard> found;
  auto result = run([&](Connection& db) { found = loadDashboard(db, id, false); }, false);
  return foundRow(result, found);
}

Result<DashboardWrite> PgStore::changeDashboard(
    std::int64_t id, const domain::VersionCondition& condition, std::string_view updated_by,
    const std::function<bool(Connection&, Dashboard&)>& change) {
  std::optional<Dashboard> stored;
  bool applied = false;
  bool changeable = true;
  const std::int64_t now = options_.clock();
  auto result = run(
      [&](Connection& db) {
        // FOR UPDATE makes concurrent writers of one dashboard, on any instance, queue up:
        // each sees the version the previous one committed.
        stored = loadDashboard(db, id, true);
        if (!stored || !condition.allows(stored->version)) {
          return;
        }
        const Dashboard previous = *stored;
        changeable = change(db, *stored);
        if (!changeable) {
          return;
        }
        archiveVersion(db, previous);
        domain::advanceVersion(*stored, now, updated_by);
        saveDashboard(db, *stored);
        applied = true;
      },
      true);
  if (!result) {
    return result.error();
  }
  if (!stored || !changeable) {
    return notFound();
  }
  return DashboardWrite{std::move(*stored), applied};
}

Result<DashboardWrite> PgStore::updateDashboard(std::int64_t id,
                                                const domain::DashboardChanges& changes,
                                                const domain::VersionCondition& condition,
                                                std::string_view updated_by) {
  return changeDashboard(id, condition, updated_by, [&changes](Connection&, Dashboard& d) {
    domain::applyChanges(d, changes);
    return true;
  });
}

Result<DashboardWrite> PgStore::restoreDashboardVersion(std::int64_t id, std::int64_t version,
                                                        const domain::VersionCondition& condition,
                                                        std::string_view updated_by) {
  return changeDashboard(id, condition, updated_by, [version](Connection& db, Dashboard& d) {
    if (version == d.version) {
      return true;
    }
    auto rows = db.exec(
        "SELECT name, data FROM dashboard_versions WHERE dashboard_id = $1 AND version = $2",
        {num(d.id), num(version)});
    if (rows.empty()) {
      return false;
    }
    d.name = rows.text(0, 0);
    d.data_json = rows.text(0, 1);
    return true;
  });
}

Result<DashboardWrite> PgStore::deleteDashboard(std::int64_t id,
                                                const domain::VersionCondition& condition) {
  std::optional<Dashboard> stored;
  bool deleted = false;
  auto result = run(
      [&](Connection& db) {
        stored = loadDashboard(db, id, true);
        if (!stored || !condition.allows(stored->version)) {
          return;
        }
        db.exec("DELETE FROM dashboards WHERE id = $1", {num(id)});
        deleted = true;
      },
      true);
  if (!result) {
    return result.error();
  }
  if (!stored) {
    return notFound();
  }
  return DashboardWrite{std::move(*stored), deleted};
}

Result<std::vector<domain::DashboardVersionInfo>> PgStore::listDashboardVersions(std::int64_t id) {
  std::vector<domain::DashboardVersionInfo> versions;
  bool exists = false;
  auto result = run(
      [&](Connection& db) {
        exists = !db.exec("SELECT 1 FROM dashboards WHERE id = $1", {num(id)}).empty();
        if (!exists) {
          return;
        }
        auto rows = db.exec(
            "SELECT version, name, updated_at, updated_by FROM dashboard_versions "
            "WHERE dashboard_id = $1 ORDER BY version DESC",
            {num(id)});
        for (int i = 0; i < rows.size(); ++i) {
          versions.push_back(
              {rows.integer(i, 0), rows.text(i, 1), rows.integer(i, 2), rows.text(i, 3)});
        }
      },
      true);
  if (!result) {
    return result.error();
  }
  if (!exists) {
    return notFound();
  }
  return versions;
}

Result<Dashboard> PgStore::getDashboardVersion(std::int64_t id, std::int64_t version) {
  std::optional<Dashboard> found;
  auto result = run(
      [&](Connection& db) {
        found = loadDashboard(db, id, false);
        if (!found || found->version == version) {
          return;
        }
        auto rows = db.exec(
            "SELECT name, data, updated_at, updated_by FROM dashboard_versions "
            "WHERE dashboard_id = $1 AND version = $2",
            {num(id), num(version)});
        if (rows.empty()) {
          found.reset();
          return;
        }
        found->version = version;
        found->name = rows.text(0, 0);
        found->data_json = rows.text(0, 1);
        found->updated_at_ms = rows.integer(0, 2);
        found->updated_by = rows.text(0, 3);
      },
      true);
  return foundRow(result, found);
}

Result<InsertResult> PgStore::insertNotification(const Notification& n) {
  InsertResult outcome;
  const std::string users_json = boost::json::serialize(boost::json::value_from(n.users));
  auto result = run(
      [&](Connection& db) {
        auto inserted = db.exec(
            "INSERT INTO notifications (notification_id, data_alert_id, project_id, event, "
            "title, message, users, created_at, data_return_query, query_result, received_at, "
            "body_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
            "ON CONFLICT (notification_id) DO NOTHING RETURNING seq",
            {text(n.notification_id), text(n.data_alert_id), text(n.project_id), text(n.event),
             text(n.title), text(n.message), text(users_json), num(n.created_at_ms),
             text(n.data_return_query), text(n.query_result_json), num(n.received_at_ms),
             text(n.body_sha256)});
        if (inserted.empty()) {
          auto stored =
              db.exec("SELECT body_sha256, seq FROM notifications WHERE notification_id = $1",
                      {text(n.notification_id)});
          outcome.outcome = stored.text(0, 0) == n.body_sha256
                                ? InsertOutcome::kDuplicate
                                : InsertOutcome::kConflictingDuplicate;
          outcome.seq = stored.integer(0, 1);
          return;
        }
        outcome.seq = inserted.integer(0, 0);
        db.exec(
            "INSERT INTO notification_recipients (notification_seq, project_id, user_id, state, "
            "updated_at) SELECT $1, $2, u, $3, $4 FROM jsonb_array_elements_text($5::jsonb) "
            "AS u ON CONFLICT DO NOTHING",
            {num(outcome.seq), text(n.project_id),
             text(domain::stateName(NotificationState::kUnacknowledged)), num(n.received_at_ms),
             text(users_json)});
        db.exec("SELECT pg_notify($1, $2)", {text(kChannel), num(outcome.seq)});
      },
      true);
  if (!result) {
    return result.error();
  }
  return outcome;
}

Result<NotificationRecord> PgStore::getNotification(std::string_view notification_id,
                                                    std::string_view user_id) {
  std::optional<NotificationRecord> record;
  auto result = run(
      [&](Connection& db) {
        auto rows = db.exec("SELECT " + std::string(kNotificationColumns) +
                                " FROM notifications n WHERE n.notification_id = $1",
                            {text(notification_id)});
        if (rows.empty()) {
          return;
        }
        record = NotificationRecord{readNotification(rows, 0), std::nullopt};
        if (user_id.empty()) {
          return;
        }
        auto state = db.exec(
            "SELECT state FROM notification_recipients WHERE notification_seq = $1 AND "
            "user_id = $2",
            {num(record->notification.seq), text(user_id)});
        if (!state.empty()) {
          record->state = parseState(state.text(0, 0));
        }
      },
      true);
  return foundRow(result, record);
}

Result<NotificationStanding> PgStore::findNotification(std::string_view notification_id,
                                                       std::string_view user_id) {
  std::optional<NotificationStanding> standing;
  auto result = run(
      [&](Connection& db) {
        auto rows = db.exec(
            "SELECT n.seq, r.state, r.project_id FROM notifications n "
            "LEFT JOIN notification_recipients r ON r.notification_seq = n.seq AND "
            "r.user_id = $2 WHERE n.notification_id = $1",
            {text(notification_id), text(user_id)});
        if (rows.empty()) {
          return;
        }
        standing.emplace();
        standing->seq = rows.integer(0, 0);
        if (!user_id.empty() && !rows.isNull(0, 1)) {
          standing->state = parseState(rows.text(0, 1));
          standing->project_id = rows.text(0, 2);
        }
      },
      true);
  return foundRow(result, standing);
}

Result<std::vector<NotificationRecord>> PgStore::listFeed(const domain::FeedQuery& query) {
  std::vector<NotificationRecord> records;
  auto result = run(
      [&](Connection& db) {
        std::vector<Param> params{text(query.project_id), text(query.user_id),
                                  num(query.before_seq.value_or(INT64_MAX)),
                                  num(static_cast<std::int64_t>(query.limit))};
        std::string sql = kFeedJoin +
                          "WHERE r.project_id = $1 AND r.user_id = $2 AND "
                          "r.notification_seq < $3 ";
        if (query.state) {
          sql += "AND r.state = $5 ";
          params.push_back(text(domain::stateName(*query.state)));
        }
        records = readFeed(db.exec(sql + "ORDER BY r.notification_seq DESC LIMIT $4", params));
      },
      false);
  if (!result) {
    return result.error();
  }
  return records;
}

Result<std::vector<NotificationRecord>> PgStore::feedSince(std::string_view project_id,
                                                           std::string_view user_id,
                                                           std::int64_t after_seq,
                                                           std::size_t limit) {
  std::vector<NotificationRecord> records;
  auto result = run(
      [&](Connection& db) {
        records = readFeed(db.exec(kFeedJoin + "WHERE r.project_id = $1 AND r.user_id = $2 AND "
                                               "r.notification_seq > $3 "
                                               "ORDER BY r.notification_seq ASC LIMIT $4",
                                   {text(project_id), text(user_id), num(after_seq),
                                    num(static_cast<std::int64_t>(limit))}));
      },
      false);
  if (!result) {
    return result.error();
  }
  return records;
}

Result<NotificationRecord> PgStore::setNotificationState(std::string_view notification_id,
                                                         std::string_view project_id,
                                                         std::string_view user_id,
                                                         NotificationState state) {
  std::int64_t changed = 0;
  auto result = run(
      [&](Connection& db) {
        changed = db.exec(
                        "UPDATE notification_recipients SET state = $1, updated_at = $2 "
                        "WHERE project_id = $3 AND user_id = $4 AND notification_seq = "
                        "(SELECT seq FROM notifications WHERE notification_id = $5)",
                        {text(domain::stateName(state)), num(options_.clock()), text(project_id),
                         text(user_id), text(notification_id)})
                      .affected();
      },
      true);
  if (!result) {
    return result.error();
  }
  if (changed == 0) {
    return notFound();
  }
  return getNotification(notification_id, user_id);
}

Result<std::int64_t> PgStore::setAllNotificationStates(std::string_view project_id,
                                                       std::string_view user_id,
                                                       NotificationState state,
                                                       std::optional<std::int64_t> before_ms) {
  std::int64_t changed = 0;
  auto result = run(
      [&](Connection& db) {
        changed = db.exec(
                        "UPDATE notification_recipients SET state = $1, updated_at = $2 "
                        "WHERE project_id = $3 AND user_id = $4 AND state <> $1 AND "
                        "notification_seq IN (SELECT seq FROM notifications "
                        "WHERE project_id = $3 AND created_at < $5)",
                        {text(domain::stateName(state)), num(options_.clock()), text(project_id),
                         text(user_id), num(before_ms.value_or(INT64_MAX))})
                      .affected();
      },
      true);
  if (!result) {
    return result.error();
  }
  return changed;
}

Result<void> PgStore::removeFromFeed(std::string_view notification_id, std::string_view project_id,
                                     std::string_view user_id) {
  std::int64_t removed = 0;
  auto result = run(
      [&](Connection& db) {
        removed = db.exec(
                        "DELETE FROM notification_recipients WHERE project_id = $1 AND "
                        "user_id = $2 AND notification_seq = "
                        "(SELECT seq FROM notifications WHERE notification_id = $3)",
                        {text(project_id), text(user_id), text(notification_id)})
                      .affected();
      },
      true);
  if (!result) {
    return result.error();
  }
  if (removed == 0) {
    return notFound();
  }
  return Ok{};
}

Result<std::string> PgStore::getQuickStartTopics(std::string_view project_id) {
  std::string topics = "[]";
  auto result = run(
      [&](Connection& db) {
        auto rows = db.exec("SELECT topics FROM quick_start_topics WHERE project_id = $1",
                            {text(project_id)});
        if (!rows.empty()) {
          topics = rows.text(0, 0);
        }
      },
      false);
  if (!result) {
    return result.error();
  }
  return topics;
}

Result<void> PgStore::putQuickStartTopics(std::string_view project_id,
                                          std::string_view topics_json) {
  return run(
      [&](Connection& db) {
        db.exec(
            "INSERT INTO quick_start_topics (project_id, topics, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (project_id) DO UPDATE SET topics = excluded.topics, "
            "updated_at = excluded.updated_at",
            {text(project_id), text(topics_json), num(options_.clock())});
      },
      true);
}

Result<domain::StateCounts> PgStore::countFeed(std::string_view project_id,
                                               std::string_view user_id) {
  domain::StateCounts counts;
  auto result = run(
      [&](Connection& db) {
        auto rows = db.exec(
            "SELECT state, COUNT(*) FROM notification_recipients WHERE project_id = $1 AND "
            "user_id = $2 GROUP BY state",
            {text(project_id), text(user_id)});
        for (int i = 0; i < rows.size(); ++i) {
          const std::int64_t count = rows.integer(i, 1);
          switch (parseState(rows.text(i, 0))) {
            case NotificationState::kUnacknowledged:
              counts.unacknowledged = count;
              break;
            case NotificationState::kAcknowledged:
              counts.acknowledged = count;
              break;
            case NotificationState::kDismissed:
              counts.dismissed = count;
              break;
          }
        }
      },
      false);
  if (!result) {
    return result.error();
  }
  return counts;
}

}  // namespace autoql::storage::postgres
