#include "storage/open_store.h"

#include "storage/postgres/pg_store.h"
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
  if (startsWith(url, "postgresql://") || startsWith(url, "postgres://")) {
    return {};
  }
  return "unknown database URL scheme; use sqlite:PATH, sqlite::memory: or postgresql://...";
}

std::string redactUrl(std::string_view url) {
  // postgresql://user:password@host/...: the password runs from the first ':' after the
  // scheme's "//" to the '@' that ends the user information.
  const std::size_t start = url.find("://");
  if (start == std::string_view::npos) {
    return std::string(url);
  }
  const std::size_t at = url.find('@', start + 3);
  const std::size_t colon = url.find(':', start + 3);
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) {
    return std::string(url);
  }
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

Result<std::unique_ptr<Store>> openStore(std::string_view url, const StoreOptions& options) {
  if (!startsWith(url, kSqlitePrefix)) {
    return postgres::PgStore::open(std::string(url), options);
  }
  const std::string path(url.substr(kSqlitePrefix.size()));
  return sqlite::SqliteStore::open(path, options);
}

}  // namespace autoql::storage
