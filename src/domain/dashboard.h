// Dashboards: the stored entity and the validation of the bodies that create and change
// one (DESIGN 3.2). Tiles are opaque JSON objects kept as serialized text; the only
// change made to them is dropping the runtime query results the widget attaches.
// Pure functions, safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "domain/validation.h"
#include "util/result.h"

namespace autoql::domain {

constexpr std::size_t kMaxDashboardNameChars = 256;

struct Dashboard {
  std::int64_t id = 0;
  std::string project_id;
  std::string user_id;
  std::string name;
  std::string data_json;  // a JSON array of tile objects, serialized
  std::int64_t version = 1;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

// A validated POST body.
struct NewDashboard {
  std::string project_id;
  std::string user_id;
  std::string name;
  std::string data_json;
};

// A validated PUT body: each field present replaces the stored one, each absent keeps it.
struct DashboardChanges {
  std::optional<std::string> name;
  std::optional<std::string> data_json;
};

// Validates a create body {project_id, user_id, name, data?}. `data` defaults to [].
// Unknown fields, and id/version/timestamps, are ignored. Returns every problem found.
Result<NewDashboard, FieldErrors> parseNewDashboard(const boost::json::value& body);

// Validates an update body {name?, data?}; at least one of them must be present.
// project_id and user_id in the body are ignored: a dashboard never changes owner.
Result<DashboardChanges, FieldErrors> parseDashboardChanges(const boost::json::value& body);

// Checks the owner identifiers given in a query string or body. Appends to `errors`.
void checkOwner(const std::optional<std::string>& project_id,
                const std::optional<std::string>& user_id, FieldErrors& errors);

}  // namespace autoql::domain
