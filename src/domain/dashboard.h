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
#include <string_view>
#include <vector>

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
  std::string updated_by;  // the user whose write made this version
};

// Which version of which dashboard. Every change to a dashboard makes a new version and
// ids are never reused, so anything made from one version of a dashboard stays true of it.
struct DashboardKey {
  std::int64_t id = 0;
  std::int64_t version = 0;
};

// A stored dashboard read in place (from the database's row buffer), for writing a page
// of them out without copying each one first. Valid only while the call that hands it
// over lasts.
struct DashboardView {
  std::int64_t id = 0;
  std::string_view project_id;
  std::string_view user_id;
  std::string_view name;
  std::string_view data_json;
  std::int64_t version = 1;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::string_view updated_by;
};

DashboardView viewOf(const Dashboard& dashboard);
Dashboard copyOf(const DashboardView& view);

// One earlier version in a dashboard's history (the list shows no tiles).
struct DashboardVersionInfo {
  std::int64_t version = 0;
  std::string name;
  std::int64_t updated_at_ms = 0;
  std::string updated_by;
};

// Which stored versions a write may apply to: any, or one of a list (from If-Match and
// a body `version`). A write whose condition fails changes nothing.
struct VersionCondition {
  bool any = true;
  std::vector<std::int64_t> versions;  // when !any; empty means no version can match

  bool allows(std::int64_t version) const;

  // Narrows the condition to `version` as well (both must hold).
  void require(std::int64_t version);
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
  std::optional<std::int64_t> version;  // the version the client edited, when it says
};

// Validates a create body {project_id, user_id, name, data?}. `data` defaults to [].
// With `username_alias`, `username` stands for a missing user_id (the /api/v1 shape).
// Unknown fields, and id/version/timestamps, are ignored. Returns every problem found.
Result<NewDashboard, FieldErrors> parseNewDashboard(const boost::json::value& body,
                                                    bool username_alias = false);

// Validates an update body {name?, data?, version?}; name or data must be present.
// project_id and user_id in the body are ignored: a dashboard never changes owner.
Result<DashboardChanges, FieldErrors> parseDashboardChanges(const boost::json::value& body);

// Validates a restore body {version}.
Result<std::int64_t, FieldErrors> parseRestore(const boost::json::value& body);

// A new dashboard at version 1, created and last updated by its owner at `now_ms`; the
// store assigns the id.
Dashboard startDashboard(const NewDashboard& input, std::int64_t now_ms);

// Applies the fields present in `changes`.
void applyChanges(Dashboard& dashboard, const DashboardChanges& changes);

// Makes `dashboard` its next version, written at `now_ms` by `updated_by` (by its owner
// when empty).
void advanceVersion(Dashboard& dashboard, std::int64_t now_ms, std::string_view updated_by);

// Checks the owner identifiers given in a query string or body. Appends to `errors`.
void checkOwner(const std::optional<std::string>& project_id,
                const std::optional<std::string>& user_id, FieldErrors& errors);

}  // namespace autoql::domain
