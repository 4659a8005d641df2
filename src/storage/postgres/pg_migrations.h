// The PostgreSQL schema as numbered migrations, applied under a transaction-scoped
// advisory lock so that instances starting at the same moment apply each exactly once.
#pragma once

#include "storage/postgres/pg_connection.h"

namespace autoql::storage::postgres {

// Applies the migrations newer than those recorded in schema_migrations, each in its own
// transaction holding the advisory lock. Returns how many were applied. Throws PgError.
int applyMigrations(Connection& db);

}  // namespace autoql::storage::postgres
