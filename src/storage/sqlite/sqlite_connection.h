// RAII wrappers over one SQLite connection and its prepared statements. A Connection is
// used by one thread at a time (the writer thread, or a reader that leased it from the
// pool). Inside the SQLite engine, failures are thrown as SqliteError and turned into
// Error values at the Store boundary (sqlite_store.cpp); nothing else sees them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace autoql::storage::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}

  int code() const { return code_; }

  // Maps the SQLite result code to the store's error codes: lock time-outs, I/O errors,
  // a full disk and a read-only file are kUnavailable; constraints kConflict.
  Error toError() const;

 private:
  int code_;
};

// A prepared statement, reset and unbound when the Statement::Use that ran it ends.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds by 1-based index. Text is not copied: it must stay alive until reset().
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);

  // Steps once. Returns true while a row is available.
  bool step();

  std::int64_t integer(int column) const;
  std::string text(int column) const;
  // The column's text in SQLite's own buffer: valid until the next step() or reset().
  std::string_view view(int column) const;
  bool isNull(int column) const;

  void reset();

 private:
  void check(int rc) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for a private in-memory
  // one) with foreign keys on, synchronous=FULL and the given busy timeout.
  // Throws SqliteError when the file cannot be opened.
  Connection(const std::string& path, std::chrono::milliseconds busy_timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements with no parameters and no results.
  void exec(std::string_view sql);

  // Runs one statement with no parameters and no results, prepared once and kept: for
  // those the writer runs for every job (SAVEPOINT, RELEASE).
  void execPrepared(std::string_view sql);

  // Returns the statement for `sql`, prepared once per connection and kept. The caller
  // must reset() it when done (ScopedStatement does).
  Statement& prepare(std::string_view sql);

  std::int64_t lastInsertRowId() const;
  int changes() const;
  bool inTransaction() const;

  // True when SQLite could only open the file for reading (it was read-only then); every
  // write on this connection fails with SQLITE_READONLY, even once the file is writable.
  bool readOnly() const;

  // Stops SQLite from checkpointing inside this connection's COMMIT (its automatic
  // checkpoint); the owner calls checkpoint() when walFrames() says so instead.
  void takeOverCheckpoints();
  // Frames in the write-ahead log after this connection's last commit.
  int walFrames() const { return wal_frames_; }
  // Copies what no reader still needs into the database file (PASSIVE). With a `wait`,
  // also waits that long at most for every reader to move past the log, then starts the
  // log over (RESTART). A checkpoint cut short by readers is not an error.
  void checkpoint(std::chrono::milliseconds wait = {});

 private:
  // Looked up by string_view, so that finding a kept statement allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>{}(sql);
    }
  };

  sqlite3* db_ = nullptr;
  std::chrono::milliseconds busy_timeout_;
  int wal_frames_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> statements_;
};

// Resets a cached statement when it goes out of scope, however the scope is left.
class ScopedStatement {
 public:
  ScopedStatement(Connection& connection, std::string_view sql)
      : statement_(connection.prepare(sql)) {}
  ~ScopedStatement() { statement_.reset(); }
  ScopedStatement(const ScopedStatement&) = delete;
  ScopedStatement& operator=(const ScopedStatement&) = delete;

  Statement* operator->() { return &statement_; }
  Statement& operator*() { return statement_; }

 private:
  Statement& statement_;
};

}  // namespace autoql::storage::sqlite
