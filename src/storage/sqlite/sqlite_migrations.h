// The SQLite schema as numbered migrations, and the runner that applies the missing ones
// and records each in schema_migrations (DESIGN 5). Called by the writer's owner only.
#pragma once

#include "storage/sqlite/sqlite_connection.h"

namespace autoql::storage::sqlite {

// Applies, in order, every migration newer than the highest recorded one, each in its own
// BEGIN IMMEDIATE transaction, so processes migrating at once apply each exactly once.
// Returns how many were applied. Throws SqliteError.
int applyMigrations(Connection& db);

}  // namespace autoql::storage::sqlite
