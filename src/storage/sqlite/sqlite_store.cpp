#include "storage/sqlite/sqlite_store.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <optional>
#include <utility>

#include "storage/found_row.h"
#include "storage/sqlite/sqlite_migrations.h"

namespace autoql::storage::sqlite {
namespace {

using domain::Dashboard;
using domain::Notification;
using domain::NotificationState;

constexpr std::string_view kDashboardColumns =
    "id, project_id, user_id, name, data, version, created_at, updated_at, updated_by";

// The row's columns in place; valid until the statement steps or resets.
domain::DashboardView viewDashboard(Statement& row) {
  domain::DashboardView d;
  d.id = row.integer(0);
  d.project_id = row.view(1);
  d.user_id = row.view(2);
  d.name = row.view(3);
  d.data_json = row.view(4);
  d.version = row.integer(5);
  d.created_at_ms = row.integer(6);
  d.updated_at_ms = row.integer(7);
  d.updated_by = row.view(8);
  return d;
}

Dashboard readDashboard(Statement& row) {
  return domain::copyOf(viewDashboard(row));
}

std::string select(std::string_view columns, std::string_view rest) {
  return "SELECT " + std::string(columns) + " " + std::string(rest);
}

// Loads one dashboard into `out`; throws nothing, leaves `out` empty when absent.
void loadDashboard(Connection& db, std::int64_t id, std::optional<Dashboard>& out) {
  ScopedStatement query(db, select(kDashboardColumns, "FROM dashboards WHERE id = ?"));
  query->bind(1, id);
  if (query->step()) {
    out = readDashboard(*query);
  }
}

// Copies the stored state of `d` into its history before it is overwritten.
void archiveVersion(Connection& db, const Dashboard& d) {
  ScopedStatement insert(db,
                         "INSERT INTO dashboard_versions (dashboard_id, version, name, data, "
                         "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, d.id);
  insert->bind(2, d.version);
  insert->bind(3, d.name);
  insert->bind(4, d.data_json);
  insert->bind(5, d.updated_at_ms);
  insert->bind(6, d.updated_by);
  insert->step();
}

void saveDashboard(Connection& db, const Dashboard& d) {
  ScopedStatement update(db,
                         "UPDATE dashboards SET name = ?, data = ?, version = ?, updated_at = ?, "
                         "updated_by = ? WHERE id = ?");
  update->bind(1, d.name);
  update->bind(2, d.data_json);
  update->bind(3, d.version);
  update->bind(4, d.updated_at_ms);
  update->bind(5, d.updated_by);
  update->bind(6, d.id);
  update->step();
}

NotificationState parseState(std::string_view text) {
  if (text == "ACKNOWLEDGED") {
    return NotificationState::kAcknowledged;
  }
  if (text == "DISMISSED") {
    return NotificationState::kDismissed;
  }
  return NotificationState::kUnacknowledged;
}

std::vector<std::string> parseUsers(const std::string& json_text) {
  std::vector<std::string> users;
  const boost::json::value parsed = boost::json::parse(json_text);
  for (const auto& user : parsed.as_array()) {
    users.emplace_back(user.as_string());
  }
  return users;
}

constexpr std::string_view kNotificationColumns =
    "seq, notification_id, data_alert_id, project_id, event, title, message, users, "
    "created_at, data_return_query, query_result, received_at, body_sha256";

Notification readNotification(Statement& row) {
  Notification n;
  n.seq = row.integer(0);
  n.notification_id = row.text(1);
  n.data_alert_id = row.text(2);
  n.project_id = row.text(3);
  n.event = row.text(4);
  n.title = row.text(5);
  n.message = row.text(6);
  n.users = parseUsers(row.text(7));
  n.created_at_ms = row.integer(8);
  n.data_return_query = row.text(9);
  n.query_result_json = row.text(10);
  n.received_at_ms = row.integer(11);
  n.body_sha256 = row.text(12);
  return n;
}

// Notification columns prefixed for a join with notification_recipients (alias r).
std::string joinedNotificationColumns() {
  std::string out;
  std::string_view rest = kNotificationColumns;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(", ");
    out += "n." + std::string(rest.substr(0, comma));
    if (comma == std::string_view::npos) {
      break;
    }
    out += ", ";
    rest.remove_prefix(comma + 2);
  }
  return out;
}

// Reads the rows of a feed query: the notification columns, then r.state.
std::vector<NotificationRecord> readFeedRows(Statement& rows) {
  std::vector<NotificationRecord> records;
  while (rows.step()) {
    records.push_back({readNotification(rows), parseState(rows.text(13))});
  }
  return records;
}

void insertDashboard(Connection& db, Dashboard& created) {
  ScopedStatement insert(db,
                         "INSERT INTO dashboards (project_id, user_id, name, data, version, "
                         "created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  insert->bind(1, created.project_id);
  insert->bind(2, created.user_id);
  insert->bind(3, created.name);
  insert->bind(4, created.data_json);
  insert->bind(5, created.version);
  insert->bind(6, created.created_at_ms);
  insert->bind(7, created.updated_at_ms);
  insert->bind(8, created.updated_by);
  insert->step();
  created.id = db.lastInsertRowId();
}

std::string usersJson(const Notification& n) {
  return boost::json::serialize(boost::json::value_from(n.users));
}

// Stores the notification and its recipients unless its id is stored already; then says
// whether the stored body is the same.
InsertResult insertNotificationRows(Connection& db, const Notification& n,
                                    const std::string& users_json) {
  InsertResult outcome;
  ScopedStatement insert(
      db,
      "INSERT INTO notifications (notification_id, data_alert_id, project_id, event, title, "
      "message, users, created_at, data_return_query, query_result, received_at, "
      "body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (notification_id) DO NOTHING");
  insert->bind(1, n.notification_id);
  insert->bind(2, n.data_alert_id);
  insert->bind(3, n.project_id);
  insert->bind(4, n.event);
  insert->bind(5, n.title);
  insert->bind(6, n.message);
  insert->bind(7, users_json);
  insert->bind(8, n.created_at_ms);
  insert->bind(9, n.data_return_query);
  insert->bind(10, n.query_result_json);
  insert->bind(11, n.received_at_ms);
  insert->bind(12, n.body_sha256);
  insert->step();

  if (db.changes() == 0) {
    ScopedStatement stored(db,
                           "SELECT body_sha256, seq FROM notifications WHERE notification_id = ?");
    stored->bind(1, n.notification_id);
    stored->step();
    outcome.outcome = stored->text(0) == n.body_sha256 ? InsertOutcome::kDuplicate
                                                       : InsertOutcome::kConflictingDuplicate;
    outcome.seq = stored->integer(1);
    return outcome;
  }

  outcome.seq = db.lastInsertRowId();
  ScopedStatement recipient(db,
                            "INSERT OR IGNORE INTO notification_recipients (notification_seq, "
                            "project_id, user_id, state, updated_at) VALUES (?, ?, ?, ?, ?)");
  for (const std::string& user : n.users) {
    recipient->bind(1, outcome.seq);
    recipient->bind(2, n.project_id);
    recipient->bind(3, user);
    recipient->bind(4, domain::stateName(NotificationState::kUnacknowledged));
    recipient->bind(5, n.received_at_ms);
    recipient->step();
    recipient->reset();
  }
  return outcome;
}

}  // namespace

Result<std::unique_ptr<Store>> SqliteStore::open(const std::string& path,
                                                 const StoreOptions& options) {
  try {
    return std::unique_ptr<Store>(new SqliteStore(path, options));
  } catch (const SqliteError& e) {
    return Error{Errc::kUnavailable, "cannot open " + path + ": " + e.what()};
  }
}

SqliteStore::SqliteStore(const std::string& path, const StoreOptions& options)
    : options_(options), path_(path), in_memory_(path == ":memory:") {
  auto connection = std::make_unique<Connection>(path, options.busy_timeout);
  if (!in_memory_) {
    // WAL lets readers run beside the writer; the mode is stored in the file.
    connection->exec("PRAGMA journal_mode = WAL");
  }
  Writer::Opener reopen;
  if (!in_memory_) {
    reopen = [path, busy_timeout = options.busy_timeout] {
      return std::make_unique<Connection>(path, busy_timeout);
    };
  }
  Writer::Committed committed;
  if (!in_memory_) {
    committed = [this] { endSnapshotsOfIdleReaders(); };
  }
  writer_ =
      std::make_unique<Writer>(std::move(connection), std::move(reopen), std::move(committed));
  if (!in_memory_) {
    snapshot_janitor_ = std::thread([this] { runSnapshotJanitor(); });
  }
}

SqliteStore::~SqliteStore() {
  writer_.reset();  // first: its last batches call back into the readers
  {
    std::lock_guard lock(readers_mutex_);
    closing_ = true;
  }
  janitor_wake_.notify_one();
  if (snapshot_janitor_.joinable()) {
    snapshot_janitor_.join();
  }
}

Result<int> SqliteStore::migrate() {
  int applied = 0;
  auto result = writer_->runAlone([&applied](Connection& db) { applied = applyMigrations(db); });
  if (!result) {
    return result.error();
  }
  return applied;
}

void SqliteStore::onNotificationStored(NotificationListener listener) {
  listener_ = std::move(listener);
}

std::size_t SqliteStore::connectionsInUse() const {
  std::lock_guard lock(readers_mutex_);
  return readers_open_ - idle_readers_.size();
}

Result<void> SqliteStore::ping() {
  return read([](Connection& db) {
    ScopedStatement query(db, "SELECT 1");
    query->step();
  });
}

std::unique_ptr<SqliteStore::Reader> SqliteStore::leaseReader() {
  std::unique_lock lock(readers_mutex_);
  for (;;) {
    if (!idle_readers_.empty()) {
      auto reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
    if (readers_open_ < options_.read_connections) {
      ++readers_open_;
      lock.unlock();
      try {
        auto reader = std::make_unique<Reader>();
        reader->connection = std::make_unique<Connection>(path_, options_.busy_timeout);
        return reader;
      } catch (...) {
        std::lock_guard relock(readers_mutex_);
        --readers_open_;
        throw;
      }
    }
    reader_returned_.wait(lock);
  }
}

void SqliteStore::returnReader(std::unique_ptr<Reader> reader) {
  bool wake_janitor = false;
  {
    std::lock_guard lock(readers_mutex_);
    wake_janitor = reader->open && janitor_waits_;
    idle_readers_.push_back(std::move(reader));
  }
  reader_returned_.notify_one();
  if (wake_janitor) {
    janitor_wake_.notify_one();
  }
}

void SqliteStore::useSnapshot(Reader& reader) const {
  // Read before the snapshot begins: a commit in between makes the snapshot newer than
  // its count says, which costs a needless renewal, never a stale read.
  const std::uint64_t commits = writer_->commits();
  const auto now = std::chrono::steady_clock::now();
  if (reader.open && reader.commits == commits && now - reader.began < kSnapshotReuse) {
    return;
  }
  endSnapshot(reader);
  // Deferred: the snapshot is taken by the first statement of the read.
  reader.connection->execPrepared("BEGIN");
  reader.open = true;
  reader.commits = commits;
  reader.began = now;
}

void SqliteStore::endSnapshot(Reader& reader) noexcept {
  if (!reader.open) {
    return;
  }
  reader.open = false;
  try {
    if (reader.connection->inTransaction()) {
      reader.connection->execPrepared("COMMIT");
    }
  } catch (const SqliteError&) {
    // Ending a read transaction does not fail; if it did, the next BEGIN reports it.
  }
}

void SqliteStore::endSnapshotsOfIdleReaders() {
  std::lock_guard lock(readers_mutex_);
  for (const auto& reader : idle_readers_) {
    endSnapshot(*reader);
  }
}

void SqliteStore::runSnapshotJanitor() {
  std::unique_lock lock(readers_mutex_);
  while (!closing_) {
    std::optional<std::chrono::steady_clock::time_point> oldest;
    for (const auto& reader : idle_readers_) {
      if (reader->open && (!oldest || reader->began < *oldest)) {
        oldest = reader->began;
      }
    }
    if (!oldest) {
      janitor_waits_ = true;
      janitor_wake_.wait(lock);
      janitor_waits_ = false;
      continue;
    }
    const auto due = *oldest + kSnapshotReuse;
    if (std::chrono::steady_clock::now() < due) {
      janitor_wake_.wait_until(lock, due);
      continue;
    }
    // No read could reuse these any more; the next one would renew them anyway.
    const auto now = std::chrono::steady_clock::now();
    for (const auto& reader : idle_readers_) {
      if (reader->open && now - reader->began >= kSnapshotReuse) {
        endSnapshot(*reader);
      }
    }
  }
}

Result<void> SqliteStore::read(const Writer::Work& work) {
  const auto start = QueryClock::now();
  auto result = readOn(work);
  timed("read", start);
  return result;
}

Result<void> SqliteStore::readOn(const Writer::Work& work) {
  if (in_memory_) {
    return writer_->runAlone(work);
  }
  try {
    auto reader = leaseReader();
    try {
      useSnapshot(*reader);
      work(*reader->connection);
    } catch (...) {
      // A failed read starts the next one afresh.
      endSnapshot(*reader);
      returnReader(std::move(reader));
      throw;
    }
    returnReader(std::move(reader));
    return Ok{};
  } catch (const SqliteError& e) {
    return e.toError();
  } catch (const std::exception& e) {
    return Error{Errc::kInternal, e.what()};
  }
}

Result<Dashboard> SqliteStore::createDashboard(const domain::NewDashboard& input) {
  Dashboard created = domain::startDashboard(input, options_.clock());
  auto result = write([&created](Connection& db) { insertDashboard(db, created); });
  if (!result) {
    return result.error();
  }
  return created;
}

void SqliteStore::createDashboardAsync(const domain::NewDashboard& input, DashboardDone done) {
  auto created = std::make_shared<Dashboard>(domain::startDashboard(input, options_.clock()));
  submit([created](Connection& db) { insertDashboard(db, *created); },
         [created, done = std::move(done)](Result<void> result) {
           if (!result) {
             return done(result.error());
           }
           done(std::move(*created));
         });
}

void SqliteStore::submit(Writer::Work work, Writer::Done done) {
  // The callback is copied first: a refused submit still has to answer through it.
  auto timed_done = [this, start = QueryClock::now(), done](Result<void> result) {
    timed("write", start);
    done(std::move(result));
  };
  if (!writer_->trySubmit(std::move(work), std::move(timed_done), options_.max_queued_writes)) {
    done(Error{Errc::kOverloaded, "the queue of writes waiting to commit is full"});
  }
}

Result<void> SqliteStore::visitDashboards(std::string_view project_id, std::string_view user_id,
                                          std::size_t limit, std::size_t offset,
                                          const DashboardHeld& held, const DashboardVisitor& each) {
  static const std::string kPage = select(kDashboardColumns,
                                          "FROM dashboards WHERE project_id = ? AND user_id = ? "
                                          "ORDER BY id DESC LIMIT ? OFFSET ?");
  // From the index alone (dashboards_by_owner_version covers it): no row is read.
  static const std::string kPageKeys =
      "SELECT id, version FROM dashboards WHERE project_id = ? AND user_id = ? "
      "ORDER BY id DESC LIMIT ? OFFSET ?";
  static const std::string kOne = select(kDashboardColumns, "FROM dashboards WHERE id = ?");

  const auto bindPage = [&](Statement& query) {
    query.bind(1, project_id);
    query.bind(2, user_id);
    query.bind(3, static_cast<std::int64_t>(limit));
    query.bind(4, static_cast<std::int64_t>(offset));
  };
  if (!held) {
    return read([&](Connection& db) {
      ScopedStatement page(db, kPage);
      bindPage(*page);
      while (page->step()) {
        each(viewDashboard(*page));
      }
    });
  }
  // The keys and the rows not held are read in one snapshot, so every key finds its row.
  return read([&](Connection& db) {
    ScopedStatement keys(db, kPageKeys);
    bindPage(*keys);
    while (keys->step()) {
      const domain::DashboardKey key{keys->integer(0), keys->integer(1)};
      if (held(key)) {
        continue;
      }
      ScopedStatement row(db, kOne);
      row->bind(1, key.id);
      if (row->step()) {
        each(viewDashboard(*row));
      }
    }
  });
}

Result<Dashboard> SqliteStore::getDashboard(std::int64_t id) {
  std::optional<Dashboard> found;
  auto result = read([&](Connection& db) { loadDashboard(db, id, found); });
  return foundRow(result, found);
}

Result<DashboardWrite> SqliteStore::changeDashboard(std::int64_t id,
                                                    const domain::VersionCondition& condition,
                                                    std::string_view updated_by,
                                                    const DashboardChange& change) {
  std::optional<Dashboard> stored;
  bool applied = false;
  bool changeable = true;
  const std::int64_t now = options_.clock();
  auto result = write([&](Connection& db) {
    loadDashboard(db, id, stored);
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
  });
  if (!result) {
    return result.error();
  }
  if (!stored || !changeable) {
    return notFound();
  }
  return DashboardWrite{std::move(*stored), applied};
}

Result<DashboardWrite> SqliteStore::updateDashboard(std::int64_t id,
                                                    const domain::DashboardChanges& changes,
                                                    const domain::VersionCondition& condition,
                                                    std::string_view updated_by) {
  return changeDashboard(id, condition, updated_by, [&changes](Connection&, Dashboard& d) {
    domain::applyChanges(d, changes);
    return true;
  });
}

Result<DashboardWrite> SqliteStore::restoreDashboardVersion(
    std::int64_t id, std::int64_t version, const domain::VersionCondition& condition,
    std::string_view updated_by) {
  return changeDashboard(id, condition, updated_by, [version](Connection& db, Dashboard& d) {
    if (version == d.version) {
      return true;  // restoring the current version records it again, unchanged
    }
    ScopedStatement query(db,
                          "SELECT name, data FROM dashboard_versions "
                          "WHERE dashboard_id = ? AND version = ?");
    query->bind(1, d.id);
    query->bind(2, version);
    if (!query->step()) {
      return false;
    }
    d.name = query->text(0);
    d.data_json = query->text(1);
    return true;
  });
}

Result<std::vector<domain::DashboardVersionInfo>> SqliteStore::listDashboardVersions(
    std::int64_t id) {
  std::vector<domain::DashboardVersionInfo> versions;
  bool exists = false;
  auto result = read([&](Connection& db) {
    ScopedStatement owner(db, "SELECT 1 FROM dashboards WHERE id = ?");
    owner->bind(1, id);
    exists = owner->step();
    if (!exists) {
      return;
    }
    ScopedStatement query(db,
                          "SELECT version, name, updated_at, updated_by FROM dashboard_versions "
                          "WHERE dashboard_id = ? ORDER BY version DESC");
    query->bind(1, id);
    while (query->step()) {
      versions.push_back({query->integer(0), query->text(1), query->integer(2), query->text(3)});
    }
  });
  if (!result) {
    return result.error();
  }
  if (!exists) {
    return notFound();
  }
  return versions;
}

Result<Dashboard> SqliteStore::getDashboardVersion(std::int64_t id, std::int64_t version) {
  std::optional<Dashboard> found;
  auto result = read([&](Connection& db) {
    loadDashboard(db, id, found);
    if (!found || found->version == version) {
      return;
    }
    ScopedStatement query(db,
                          "SELECT name, data, updated_at, updated_by FROM dashboard_versions "
                          "WHERE dashboard_id = ? AND version = ?");
    query->bind(1, id);
    query->bind(2, version);
    if (!query->step()) {
      found.reset();
      return;
    }
    found->version = version;
    found->name = query->text(0);
    found->data_json = query->text(1);
    found->updated_at_ms = query->integer(2);
    found->updated_by = query->text(3);
  });
  return foundRow(result, found);
}

Result<DashboardWrite> SqliteStore::deleteDashboard(std::int64_t id,
                                                    const domain::VersionCondition& condition) {
  std::optional<Dashboard> stored;
  bool deleted = false;
  auto result = write([&](Connection& db) {
    loadDashboard(db, id, stored);
    if (!stored || !condition.allows(stored->version)) {
      return;
    }
    ScopedStatement remove(db, "DELETE FROM dashboards WHERE id = ?");
    remove->bind(1, id);
    remove->step();
    deleted = true;
  });
  if (!result) {
    return result.error();
  }
  if (!stored) {
    return notFound();
  }
  return DashboardWrite{std::move(*stored), deleted};
}

Result<InsertResult> SqliteStore::insertNotification(const Notification& n) {
  InsertResult outcome;
  const std::string users_json = usersJson(n);
  auto result = write([&](Connection& db) { outcome = insertNotificationRows(db, n, users_json); });
  if (!result) {
    return result.error();
  }
  if (outcome.outcome == InsertOutcome::kInserted) {
    Notification stored = n;
    notifyStored(stored, outcome);
  }
  return outcome;
}

void SqliteStore::insertNotificationAsync(Notification n, InsertDone done) {
  struct Insert {
    Notification notification;
    std::string users_json;
    InsertResult outcome;
  };
  std::string users_json = usersJson(n);
  auto insert = std::make_shared<Insert>(Insert{std::move(n), std::move(users_json), {}});
  submit(
      [insert](Connection& db) {
        insert->outcome = insertNotificationRows(db, insert->notification, insert->users_json);
      },
      [this, insert, done = std::move(done)](Result<void> result) {
        if (!result) {
          return done(result.error());
        }
        notifyStored(insert->notification, insert->outcome);
        done(insert->outcome);
      });
}

// One process owns a SQLite file's writes, so its own commits are all there is to tell.
void SqliteStore::notifyStored(Notification& n, const InsertResult& outcome) const {
  if (outcome.outcome == InsertOutcome::kInserted && listener_) {
    n.seq = outcome.seq;
    listener_(n);
  }
}

Result<NotificationStanding> SqliteStore::findNotification(std::string_view notification_id,
                                                           std::string_view user_id) {
  // The notification by its unique index (which holds seq), the recipient by the
  // recipients' primary key: the notification's row is not read.
  static const std::string kStanding =
      "SELECT n.seq, r.state, r.project_id FROM notifications n "
      "LEFT JOIN notification_recipients r ON r.notification_seq = n.seq AND r.user_id = ? "
      "WHERE n.notification_id = ?";
  std::optional<NotificationStanding> standing;
  auto result = read([&](Connection& db) {
    ScopedStatement query(db, kStanding);
    query->bind(1, user_id);
    query->bind(2, notification_id);
    if (!query->step()) {
      return;
    }
    standing.emplace();
    standing->seq = query->integer(0);
    if (!user_id.empty() && !query->isNull(1)) {
      standing->state = parseState(query->text(1));
      standing->project_id = query->text(2);
    }
  });
  return foundRow(result, standing);
}

Result<NotificationRecord> SqliteStore::getNotification(std::string_view notification_id,
                                                        std::string_view user_id) {
  std::optional<NotificationRecord> record;
  auto result = read([&](Connection& db) {
    if (user_id.empty()) {
      ScopedStatement query(
          db, select(kNotificationColumns, "FROM notifications WHERE notification_id = ?"));
      query->bind(1, notification_id);
      if (query->step()) {
        record = NotificationRecord{readNotification(*query), std::nullopt};
      }
      return;
    }
    // The recipient's state in the same statement: one read transaction, not two.
    static const std::string kWithState =
        select(joinedNotificationColumns() + ", r.state",
               "FROM notifications n LEFT JOIN notification_recipients r "
               "ON r.notification_seq = n.seq AND r.user_id = ? WHERE n.notification_id = ?");
    ScopedStatement query(db, kWithState);
    query->bind(1, user_id);
    query->bind(2, notification_id);
    if (query->step()) {
      record = NotificationRecord{readNotification(*query), std::nullopt};
      if (!query->isNull(13)) {
        record->state = parseState(query->text(13));
      }
    }
  });
  return foundRow(result, record);
}

Result<std::vector<NotificationRecord>> SqliteStore::listFeed(const domain::FeedQuery& query) {
  static const std::string kAll =
      "SELECT " + joinedNotificationColumns() + ", r.state FROM notification_recipients r " +
      "JOIN notifications n ON n.seq = r.notification_seq " +
      "WHERE r.project_id = ?1 AND r.user_id = ?2 AND r.notification_seq < ?3 " +
      "ORDER BY r.notification_seq DESC LIMIT ?4";
  static const std::string kInState =
      "SELECT " + joinedNotificationColumns() + ", r.state FROM notification_recipients r " +
      "JOIN notifications n ON n.seq = r.notification_seq " +
      "WHERE r.project_id = ?1 AND r.user_id = ?2 AND r.state = ?5 AND " +
      "r.notification_seq < ?3 ORDER BY r.notification_seq DESC LIMIT ?4";

  std::vector<NotificationRecord> records;
  auto result = read([&](Connection& db) {
    ScopedStatement rows(db, query.state ? kInState : kAll);
    rows->bind(1, query.project_id);
    rows->bind(2, query.user_id);
    rows->bind(3, query.before_seq.value_or(INT64_MAX));
    rows->bind(4, static_cast<std::int64_t>(query.limit));
    if (query.state) {
      rows->bind(5, domain::stateName(*query.state));
    }
    records = readFeedRows(*rows);
  });
  if (!result) {
    return result.error();
  }
  return records;
}

Result<std::vector<NotificationRecord>> SqliteStore::feedSince(std::string_view project_id,
                                                               std::string_view user_id,
                                                               std::int64_t after_seq,
                                                               std::size_t limit) {
  static const std::string kSince =
      "SELECT " + joinedNotificationColumns() + ", r.state FROM notification_recipients r " +
      "JOIN notifications n ON n.seq = r.notification_seq " +
      "WHERE r.project_id = ? AND r.user_id = ? AND r.notification_seq > ? " +
      "ORDER BY r.notification_seq ASC LIMIT ?";

  std::vector<NotificationRecord> records;
  auto result = read([&](Connection& db) {
    ScopedStatement rows(db, kSince);
    rows->bind(1, project_id);
    rows->bind(2, user_id);
    rows->bind(3, after_seq);
    rows->bind(4, static_cast<std::int64_t>(limit));
    records = readFeedRows(*rows);
  });
  if (!result) {
    return result.error();
  }
  return records;
}

Result<NotificationRecord> SqliteStore::setNotificationState(std::string_view notification_id,
                                                             std::string_view project_id,
                                                             std::string_view user_id,
                                                             domain::NotificationState state) {
  bool changed = false;
  const std::int64_t now = options_.clock();
  auto result = write([&](Connection& db) {
    ScopedStatement update(db,
                           "UPDATE notification_recipients SET state = ?, updated_at = ? "
                           "WHERE project_id = ? AND user_id = ? AND notification_seq = "
                           "(SELECT seq FROM notifications WHERE notification_id = ?)");
    update->bind(1, domain::stateName(state));
    update->bind(2, now);
    update->bind(3, project_id);
    update->bind(4, user_id);
    update->bind(5, notification_id);
    update->step();
    changed = db.changes() > 0;
  });
  if (!result) {
    return result.error();
  }
  if (!changed) {
    return notFound();
  }
  return getNotification(notification_id, user_id);
}

Result<std::int64_t> SqliteStore::setAllNotificationStates(std::string_view project_id,
                                                           std::string_view user_id,
                                                           domain::NotificationState state,
                                                           std::optional<std::int64_t> before_ms) {
  std::int64_t changed = 0;
  const std::int64_t now = options_.clock();
  auto result = write([&](Connection& db) {
    ScopedStatement update(db,
                           "UPDATE notification_recipients SET state = ?1, updated_at = ?2 "
                           "WHERE project_id = ?3 AND user_id = ?4 AND state <> ?1 AND "
                           "notification_seq IN (SELECT seq FROM notifications "
                           "WHERE project_id = ?3 AND created_at < ?5)");
    update->bind(1, domain::stateName(state));
    update->bind(2, now);
    update->bind(3, project_id);
    update->bind(4, user_id);
    update->bind(5, before_ms.value_or(INT64_MAX));
    update->step();
    changed = db.changes();
  });
  if (!result) {
    return result.error();
  }
  return changed;
}

Result<void> SqliteStore::removeFromFeed(std::string_view notification_id,
                                         std::string_view project_id, std::string_view user_id) {
  bool removed = false;
  auto result = write([&](Connection& db) {
    ScopedStatement remove(db,
                           "DELETE FROM notification_recipients WHERE project_id = ? AND "
                           "user_id = ? AND notification_seq = "
                           "(SELECT seq FROM notifications WHERE notification_id = ?)");
    remove->bind(1, project_id);
    remove->bind(2, user_id);
    remove->bind(3, notification_id);
    remove->step();
    removed = db.changes() > 0;
  });
  if (!result) {
    return result.error();
  }
  if (!removed) {
    return notFound();
  }
  return Ok{};
}

Result<domain::StateCounts> SqliteStore::countFeed(std::string_view project_id,
                                                   std::string_view user_id) {
  domain::StateCounts counts;
  auto result = read([&](Connection& db) {
    ScopedStatement rows(db,
                         "SELECT state, COUNT(*) FROM notification_recipients "
                         "WHERE project_id = ? AND user_id = ? GROUP BY state");
    rows->bind(1, project_id);
    rows->bind(2, user_id);
    while (rows->step()) {
      const std::int64_t count = rows->integer(1);
      switch (parseState(rows->text(0))) {
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
  });
  if (!result) {
    return result.error();
  }
  return counts;
}

Result<std::string> SqliteStore::getQuickStartTopics(std::string_view project_id) {
  std::string topics = "[]";
  auto result = read([&](Connection& db) {
    ScopedStatement query(db, "SELECT topics FROM quick_start_topics WHERE project_id = ?");
    query->bind(1, project_id);
    if (query->step()) {
      topics = query->text(0);
    }
  });
  if (!result) {
    return result.error();
  }
  return topics;
}

Result<void> SqliteStore::putQuickStartTopics(std::string_view project_id,
                                              std::string_view topics_json) {
  const std::int64_t now = options_.clock();
  return write([&](Connection& db) {
    ScopedStatement upsert(db,
                           "INSERT INTO quick_start_topics (project_id, topics, updated_at) "
                           "VALUES (?1, ?2, ?3) ON CONFLICT (project_id) DO UPDATE SET "
                           "topics = excluded.topics, updated_at = excluded.updated_at");
    upsert->bind(1, project_id);
    upsert->bind(2, topics_json);
    upsert->bind(3, now);
    upsert->step();
  });
}

}  // namespace autoql::storage::sqlite
