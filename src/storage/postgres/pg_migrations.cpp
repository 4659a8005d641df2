#include "storage/postgres/pg_migrations.h"

#include <array>
#include <string_view>

#include "util/clock.h"

namespace autoql::storage::postgres {
namespace {

// An arbitrary constant that names "autoql-backend migrations" among advisory locks.
constexpr std::string_view kMigrationLock = "7263511294";

struct Migration {
  std::int64_t version;
  std::string_view name;
  std::string_view sql;
};

// Append only, numbered like the SQLite migrations so both engines report the same
// versions. Times are Unix milliseconds.
constexpr std::array<Migration, 4> kMigrations{{
    {1, "dashboards and notifications", R"sql(
CREATE TABLE dashboards (
  id          BIGSERIAL PRIMARY KEY,
  project_id  TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  name        TEXT NOT NULL,
  data        JSON NOT NULL,
  version     BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE INDEX dashboards_by_owner ON dashboards (project_id, user_id, id DESC);

CREATE TABLE notifications (
  seq                BIGSERIAL PRIMARY KEY,
  notification_id    TEXT NOT NULL UNIQUE,
  data_alert_id      TEXT NOT NULL,
  project_id         TEXT NOT NULL,
  event              TEXT NOT NULL,
  title              TEXT NOT NULL,
  message            TEXT NOT NULL,
  users              JSONB NOT NULL,
  created_at         BIGINT NOT NULL,
  data_return_query  TEXT NOT NULL,
  query_result       JSON NOT NULL,
  received_at        BIGINT NOT NULL,
  body_sha256        TEXT NOT NULL
);

CREATE TABLE notification_recipients (
  notification_seq  BIGINT NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
  project_id        TEXT NOT NULL,
  user_id           TEXT NOT NULL,
  state             TEXT NOT NULL,
  updated_at        BIGINT NOT NULL,
  PRIMARY KEY (notification_seq, user_id)
);
CREATE INDEX notification_recipients_by_user
  ON notification_recipients (project_id, user_id, notification_seq DESC);
)sql"},
    {2, "dashboard history", R"sql(
ALTER TABLE dashboards ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
UPDATE dashboards SET updated_by = user_id;
CREATE TABLE dashboard_versions (
  dashboard_id  BIGINT NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  version       BIGINT NOT NULL,
  name          TEXT NOT NULL,
  data          JSON NOT NULL,
  updated_at    BIGINT NOT NULL,
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
  topics      JSON NOT NULL,
  updated_at  BIGINT NOT NULL
);
)sql"},
}};

}  // namespace

int applyMigrations(Connection& db) {
  int applied = 0;
  for (const Migration& migration : kMigrations) {
    db.exec("BEGIN");
    try {
      // The lock is released with the transaction; whoever waited reads the new version.
      db.exec("SELECT pg_advisory_xact_lock(" + std::string(kMigrationLock) + ")");
      db.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
      auto current = db.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (current.integer(0, 0) < migration.version) {
        db.execScript(migration.sql);
        db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                {num(migration.version), text(migration.name), num(systemNowMillis())});
        ++applied;
      }
      db.exec("COMMIT");
    } catch (...) {
      try {
        db.exec("ROLLBACK");
      } catch (const PgError&) {
        // The connection is gone; the caller reports the first error.
      }
      throw;
    }
  }
  return applied;
}

}  // namespace autoql::storage::postgres
