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

namespace {

// Replaces the password of user:password@ with "***".
std::string redactUserInfo(std::string_view url) {
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

// Replaces the value of a "password=" URL parameter (libpq accepts one) with "***".
std::string redactPasswordParameter(std::string url) {
  for (std::size_t at = url.find("password="); at != std::string::npos;
       at = url.find("password=", at + 1)) {
    if (at > 0 && url[at - 1] != '?' && url[at - 1] != '&') {
      continue;
    }
    const std::size_t start = at + 9;
    const std::size_t end = std::min(url.find('&', start), url.size());
    url.replace(start, end - start, "***");
  }
  return url;
}

}  // namespace

std::string redactUrl(std::string_view url) {
  return redactPasswordParameter(redactUserInfo(url));
}

Result<std::unique_ptr<Store>> openStore(std::string_view url, const StoreOptions& options) {
  if (!startsWith(url, kSqlitePrefix)) {
    return postgres::PgStore::open(std::string(url), options);
  }
  const std::string path(url.substr(kSqlitePrefix.size()));
  return sqlite::SqliteStore::open(path, options);
}

}  // namespace autoql::storage
