#include "storage/sqlite/sqlite_migrations.h"

#include <array>
#include <cstdint>
#include <string_view>

#include "util/clock.h"

namespace autoql::storage::sqlite {
namespace {

struct Migration {
  std::int64_t version;
  std::string_view name;
  std::string_view sql;
};

// Append only: a released migration is never edited, a change is a new migration.
// Times are Unix milliseconds; JSON columns hold serialized text.
constexpr std::array<Migration, 5> kMigrations{{
    {1, "dashboards and notifications", R"sql(
CREATE TABLE dashboards (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused after a delete
  project_id  TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  name        TEXT NOT NULL,
  data        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX dashboards_by_owner ON dashboards (project_id, user_id, id DESC);

CREATE TABLE notifications (
  seq                INTEGER PRIMARY KEY AUTOINCREMENT,
  notification_id    TEXT NOT NULL UNIQUE,
  data_alert_id      TEXT NOT NULL,
  project_id         TEXT NOT NULL,
  event              TEXT NOT NULL,
  title              TEXT NOT NULL,
  message            TEXT NOT NULL,
  users              TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  data_return_query  TEXT NOT NULL,
  query_result       TEXT NOT NULL,
  received_at        INTEGER NOT NULL,
  body_sha256        TEXT NOT NULL
);

CREATE TABLE notification_recipients (
  notification_seq  INTEGER NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
  project_id        TEXT NOT NULL,
  user_id           TEXT NOT NULL,
  state             TEXT NOT NULL,
  updated_at        INTEGER NOT NULL,
  PRIMARY KEY (notification_seq, user_id)
);
CREATE INDEX notification_recipients_by_user
  ON notification_recipients (project_id, user_id, notification_seq DESC);
)sql"},
    {2, "dashboard history", R"sql(
ALTER TABLE dashboards ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
UPDATE dashboards SET updated_by = user_id;

-- Earlier versions only; the current one is the row in dashboards.
CREATE TABLE dashboard_versions (
  dashboard_id  INTEGER NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  version       INTEGER NOT NULL,
  name          TEXT NOT NULL,
  data          TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  updated_by    TEXT NOT NULL,
  PRIMARY KEY (dashboard_id, version)
);
)sql"},
    {3, "notification feed by state", R"sql(
CREATE INDEX notification_recipients_by_state
  ON notification_recipients (project_id, user_id, state, notification_seq DESC);
)sql"},
    {4, "query quick start topics", R"sql(
CREATE TABLE quick_start_topics (
  project_id  TEXT PRIMARY KEY,
  topics      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
)sql"},
    {5, "dashboard pages from the index", R"sql(
-- With the version in the index, a page's ids and versions are read without its rows:
-- the API writes the rows it already holds as JSON from memory (api/rendered_json.h).
CREATE INDEX dashboards_by_owner_version ON dashboards (project_id, user_id, id DESC, version);
DROP INDEX dashboards_by_owner;
)sql"},
}};

std::int64_t currentVersion(Connection& db) {
  ScopedStatement query(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  query->step();
  return query->integer(0);
}

}  // namespace

int applyMigrations(Connection& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");

  int applied = 0;
  for (const Migration& migration : kMigrations) {
    // The version is read again inside the write lock: another process may have applied
    // this migration since.
    db.exec("BEGIN IMMEDIATE");
    try {
      if (currentVersion(db) < migration.version) {
        db.exec(migration.sql);
        ScopedStatement record(
            db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
        record->bind(1, migration.version);
        record->bind(2, migration.name);
        record->bind(3, systemNowMillis());
        record->step();
        ++applied;
      }
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  }
  return applied;
}

}  // namespace autoql::storage::sqlite
