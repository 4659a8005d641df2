// A bounded pool of PostgreSQL connections. A request leases one for the length of its
// work and gives it back; broken connections are dropped and replaced on demand, so the
// store recovers by itself when the database comes back. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/postgres/pg_connection.h"

namespace autoql::storage::postgres {

class Pool {
 public:
  // At most `size` connections; a lease waits at most `wait` for one to come free.
  Pool(std::string url, std::size_t size, std::chrono::milliseconds wait);

  // Returns a connection. Throws PgError: kOverloaded when none came free in time,
  // kUnavailable when a new one cannot be opened.
  std::unique_ptr<Connection> lease();

  // Takes a connection back; a broken one, or one that carried a large message, is
  // closed instead (the next lease opens a new one).
  void giveBack(std::unique_ptr<Connection> connection);

  // Closes the idle connections, so that the next leases open new ones (which start with
  // the database's current settings).
  void closeIdle();

  std::size_t size() const { return size_; }
  std::size_t inUse() const;

 private:
  const std::string url_;
  const std::size_t size_;
  const std::chrono::milliseconds wait_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace autoql::storage::postgres
