#include "storage/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

namespace autoql::storage::postgres {
namespace {

// A write refused because the session is read-only (default_transaction_read_only, or
// a hot standby).
constexpr std::string_view kReadOnlyTransaction = "25006";

// What counts as a large message (see Connection::carriedLargeMessage).
constexpr std::size_t kLargeMessageBytes = 1024 * 1024;

// SQLSTATE classes that mean "the database cannot serve now", not "this request is
// wrong": connection exceptions (08), insufficient resources such as a full disk (53),
// operator intervention such as a shutdown (57), serialization failures / deadlocks (40),
// and a database that is read-only.
Errc classify(const char* sqlstate) {
  if (sqlstate == nullptr) {
    return Errc::kUnavailable;  // no SQLSTATE: the connection itself failed
  }
  const std::string_view state(sqlstate);
  if (state == "23505") {
    return Errc::kConflict;
  }
  if (state == kReadOnlyTransaction) {
    return Errc::kUnavailable;
  }
  const std::string_view cls = state.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || cls == "40") {
    return Errc::kUnavailable;
  }
  return Errc::kInternal;
}

// libpq's messages end in a newline and may span lines; a log line wants one line.
std::string oneLine(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  while (!message.empty() && message.back() == ' ') {
    message.pop_back();
  }
  return message;
}

}  // namespace

Rows::Rows(pg_result* result) : result_(result) {}

Rows::~Rows() {
  PQclear(result_);
}

Rows::Rows(Rows&& other) noexcept : result_(other.result_) {
  other.result_ = nullptr;
}

int Rows::size() const {
  return PQntuples(result_);
}

std::string Rows::text(int row, int column) const {
  return std::string(view(row, column));
}

std::string_view Rows::view(int row, int column) const {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::int64_t Rows::integer(int row, int column) const {
  const char* value = PQgetvalue(result_, row, column);
  std::int64_t out = 0;
  std::from_chars(value, value + std::strlen(value), out);
  return out;
}

bool Rows::isNull(int row, int column) const {
  return PQgetisnull(result_, row, column) == 1;
}

std::int64_t Rows::affected() const {
  const char* count = PQcmdTuples(result_);
  std::int64_t out = 0;
  std::from_chars(count, count + std::strlen(count), out);
  return out;
}

Connection::Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = oneLine(conn_ ? PQerrorMessage(conn_) : "out of memory");
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError(Errc::kUnavailable, "cannot connect to PostgreSQL: " + message);
  }
  // Server notices ("relation already exists, skipping") are not errors; libpq would
  // print them on standard error.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
  PQfinish(conn_);
}

Rows Connection::exec(std::string_view sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& param : params) {
    values.push_back(param ? param->c_str() : nullptr);
  }
  const std::string statement(sql);
  pg_result* result = PQexecParams(conn_, statement.c_str(), static_cast<int>(values.size()),
                                   nullptr, values.data(), nullptr, nullptr, /*resultFormat=*/0);
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    noteSize(params, result);
    return Rows(result);
  }
  fail(result);
}

void Connection::noteSize(const std::vector<Param>& params, const pg_result* result) {
  std::size_t bytes = 0;
  for (const Param& param : params) {
    bytes += param ? param->size() : 0;
  }
  const int rows = PQntuples(result);
  const int columns = PQnfields(result);
  for (int row = 0; row < rows && bytes < kLargeMessageBytes; ++row) {
    for (int column = 0; column < columns; ++column) {
      bytes += static_cast<std::size_t>(PQgetlength(result, row, column));
    }
  }
  if (bytes >= kLargeMessageBytes) {
    carried_large_ = true;
  }
}

void Connection::execScript(std::string_view sql) {
  const std::string script(sql);
  pg_result* result = PQexec(conn_, script.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    PQclear(result);
    return;
  }
  fail(result);
}

void Connection::fail(pg_result* result) {
  const char* sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  // A session keeps the read-only default it started with: once the database is made
  // writable again only new connections see it, so this one is not reused.
  if (sqlstate != nullptr && sqlstate == kReadOnlyTransaction) {
    read_only_ = true;
  }
  const Errc code = classify(sqlstate);
  const std::string message = oneLine(PQerrorMessage(conn_));
  PQclear(result);
  throw PgError(code, message);
}

bool Connection::healthy() const {
  return !read_only_ && PQstatus(conn_) == CONNECTION_OK;
}

int Connection::socket() const {
  return PQsocket(conn_);
}

bool Connection::consumeInput() {
  return PQconsumeInput(conn_) == 1;
}

std::vector<std::string> Connection::takeNotifications() {
  std::vector<std::string> payloads;
  while (PGnotify* notify = PQnotifies(conn_)) {
    payloads.emplace_back(notify->extra);
    PQfreemem(notify);
  }
  return payloads;
}

}  // namespace autoql::storage::postgres
