#include "storage/open_store.h"

#include "storage/sqlite/sqlite_store.h"

namespace autoql::storage {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string checkDatabaseUrl(std::string_view url) {
  if (startsWith(url, kSqlitePrefix)) {
    if (url.size() == kSqlitePrefix.size()) {
      return "sqlite: needs a path, as in sqlite:autoql.db or sqlite::memory:";
    }
    return {};
  }
  if (startsWith(url, "postgresql:") || startsWith(url, "postgres:")) {
    return "the PostgreSQL engine is not available in this build yet; use sqlite:PATH";
  }
  return "unknown database URL scheme; use sqlite:PATH or sqlite::memory:";
}

Result<std::unique_ptr<Store>> openStore(std::string_view url, const StoreOptions& options) {
  const std::string path(url.substr(kSqlitePrefix.size()));
  return sqlite::SqliteStore::open(path, options);
}

}  // namespace autoql::storage
