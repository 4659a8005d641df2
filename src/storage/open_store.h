// Chooses and opens the storage engine named by a database URL (DESIGN 2 and 5). Only
// the application wiring calls this; everything else sees the Store interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "storage/store.h"
#include "util/clock.h"
#include "util/result.h"

namespace autoql::storage {

struct StoreOptions {
  Clock clock = systemClock();
  // Connections for concurrent reads; the worker pool size is a good value.
  std::size_t read_connections = 4;
  // How long a statement waits for another process's lock before failing.
  std::chrono::milliseconds busy_timeout{5000};
  // Asynchronous writes that may wait for the SQLite writer; beyond, kOverloaded.
  std::size_t max_queued_writes = 256;
};

// Returns an empty string for a URL an engine accepts ("sqlite:PATH", "sqlite::memory:"),
// otherwise a description of what is wrong, for the start-up error line.
std::string checkDatabaseUrl(std::string_view url);

// `url` with any password replaced by "***", for logs.
std::string redactUrl(std::string_view url);

// Opens the store for `url`. Precondition: checkDatabaseUrl(url) is empty.
// kUnavailable when the database cannot be opened.
Result<std::unique_ptr<Store>> openStore(std::string_view url, const StoreOptions& options);

}  // namespace autoql::storage
