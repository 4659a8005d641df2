#include "storage/sqlite/sqlite_connection.h"

#include <sqlite3.h>

namespace autoql::storage::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(rc, message);
}

}  // namespace

Error SqliteError::toError() const {
  switch (code_ & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
      return {Errc::kUnavailable, what()};
    case SQLITE_CONSTRAINT:
      return {Errc::kConflict, what()};
    default:
      return {Errc::kInternal, what()};
  }
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    fail(db, rc);
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

void Statement::check(int rc) const {
  if (rc != SQLITE_OK) {
    fail(db_, rc);
  }
}

void Statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value));
}

void Statement::bind(int index, std::string_view text) {
  check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  fail(db_, rc);
}

bool Statement::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
  return std::string(view(column));
}

std::string_view Statement::view(int column) const {
  // Text first, then its size in bytes: the order SQLite documents for a stable pointer.
  const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return bytes != nullptr ? std::string_view(bytes, static_cast<std::size_t>(size))
                          : std::string_view();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

namespace {

// Settings of the SQLite library itself, made once before the first connection opens it.
// Memory statistics are off: with them on, every allocation SQLite makes takes one
// process-wide mutex, which concurrent readers on different threads then queue on.
//
// The savepoint journal's spill threshold (SQLITE_CONFIG_STMTJRNL_SPILL) stays at its
// default of 64 KiB. A larger one kept more batches' journals in memory, but SQLite 3.40
// moves a journal that outgrows it to disk in writes of the threshold's size, and its
// Unix file layer does not write more than 128 KiB at once: such a journal failed with
// SQLITE_FULL, so one edit of a dashboard of 9 MB, or a migration that builds an index
// over a large table, could never commit (test StoreTest.CommitsEditsOfLargeDashboards).
void configureLibrary() {
  static const bool kConfigured = [] {
    // Refused (SQLITE_MISUSE) if something in the process initialised SQLite before;
    // then the library keeps its defaults, which are correct, only slower.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)kConfigured;
}

}  // namespace

Connection::Connection(const std::string& path, std::chrono::milliseconds busy_timeout)
    : busy_timeout_(busy_timeout) {
  configureLibrary();
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const SqliteError error(rc, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw error;
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));

  // FULL: a commit is on disk before it returns, so a 2xx is never sent for a write that a
  // power cut could undo (in WAL mode NORMAL would only fsync at checkpoints).
  exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
}

Connection::~Connection() {
  statements_.clear();  // statements must be finalized before the connection closes
  sqlite3_close_v2(db_);
}

void Connection::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    fail(db_, rc);
  }
}

void Connection::execPrepared(std::string_view sql) {
  ScopedStatement statement(*this, sql);
  statement->step();
}

Statement& Connection::prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, sql)).first;
  }
  return *it->second;
}

std::int64_t Connection::lastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
  return sqlite3_changes(db_);
}

bool Connection::inTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

bool Connection::readOnly() const {
  return sqlite3_db_readonly(db_, "main") == 1;
}

void Connection::takeOverCheckpoints() {
  // Replaces the hook with which SQLite runs its automatic checkpoint.
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Connection*>(self)->wal_frames_ = frames;
        return SQLITE_OK;
      },
      this);
}

void Connection::checkpoint(std::chrono::milliseconds wait) {
  int rc = SQLITE_OK;
  if (wait.count() > 0) {
    sqlite3_busy_timeout(db_, static_cast<int>(wait.count()));
    rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_.count()));
  } else {
    rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    fail(db_, rc);
  }
  wal_frames_ = 0;
}

}  // namespace autoql::storage::sqlite
