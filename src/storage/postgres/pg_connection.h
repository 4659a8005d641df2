// RAII wrappers over libpq: one connection, and the results of parameterised queries.
// Every query sends its values as bound text parameters, never spliced into SQL. A
// Connection is used by one thread at a time (leased from the pool). Inside the
// PostgreSQL engine, failures are thrown as PgError and turned into Error values at the
// Store boundary; nothing else sees them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

struct pg_conn;
struct pg_result;

namespace autoql::storage::postgres {

class PgError : public std::runtime_error {
 public:
  PgError(Errc code, const std::string& what) : std::runtime_error(what), code_(code) {}

  Error toError() const { return {code_, what()}; }

 private:
  Errc code_;
};

// A query parameter: text, or SQL NULL.
using Param = std::optional<std::string>;

// Text of an integer parameter.
inline Param num(std::int64_t value) {
  return std::to_string(value);
}
inline Param text(std::string_view value) {
  return std::string(value);
}

class Rows {
 public:
  explicit Rows(pg_result* result);
  ~Rows();
  Rows(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  Rows& operator=(Rows&&) = delete;

  int size() const;
  bool empty() const { return size() == 0; }
  std::string text(int row, int column) const;
  // The value in libpq's result buffer: valid while these Rows are.
  std::string_view view(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  bool isNull(int row, int column) const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;

 private:
  pg_result* result_;
};

class Connection {
 public:
  // Connects with a libpq connection string or URL. Throws PgError (kUnavailable).
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with bound text parameters. Throws PgError: kUnavailable when the
  // connection is lost, the server refuses service, the disk is full or the database is
  // read-only; kConflict for unique violations; kInternal otherwise.
  Rows exec(std::string_view sql, const std::vector<Param>& params = {});

  // Runs several statements with no parameters (a migration). Throws like exec().
  void execScript(std::string_view sql);

  // False once the connection is known to be broken, or was refused a write because its
  // session is read-only; the pool then drops it.
  bool healthy() const;

  // True once a statement sent or received 1 MiB or more. libpq keeps its buffers at the
  // size of the largest message a connection has carried for as long as it is open, so
  // the pool closes such a connection rather than keep megabytes for every one it holds.
  bool carriedLargeMessage() const { return carried_large_; }

  // True once a write was refused because the session is read-only. The refusal happened
  // before anything was applied, so the work may be tried again on a new connection.
  bool readOnly() const { return read_only_; }

  // The socket, for waiting on notifications, and the notifications received so far
  // (channel payloads); consumeInput() reads what arrived.
  int socket() const;
  bool consumeInput();
  std::vector<std::string> takeNotifications();

 private:
  // Throws the PgError that `result` (owned, cleared here) describes.
  [[noreturn]] void fail(pg_result* result);

  // Notes when a statement's parameters or its result reach kLargeMessageBytes.
  void noteSize(const std::vector<Param>& params, const pg_result* result);

  pg_conn* conn_ = nullptr;
  bool read_only_ = false;
  bool carried_large_ = false;
};

}  // namespace autoql::storage::postgres
