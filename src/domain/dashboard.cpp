#include "domain/dashboard.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <string_view>

#include "domain/json_text.h"

namespace autoql::domain {
namespace {

namespace json = boost::json;

// Query results the Dashboard widget attaches to tiles at run time. A tile can carry tens
// of thousands of result rows here; they are re-fetched on display, so never stored.
constexpr std::array<std::string_view, 2> kRuntimeTileFields{"queryResponse",
                                                             "secondQueryResponse"};

// Reads an optional string member. Records an error when present but not a string.
std::optional<std::string> optionalString(const json::object& body, std::string_view field,
                                          FieldErrors& errors) {
  const json::value* value = body.if_contains(field);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    errors.push_back({std::string(field), "must be a string"});
    return std::nullopt;
  }
  return std::string(value->get_string());
}

void checkString(const std::optional<std::string>& value, std::string_view field,
                 std::size_t max_chars, FieldErrors& errors) {
  if (!value) {
    errors.push_back({std::string(field), "is required"});
    return;
  }
  if (std::string problem = checkText(*value, max_chars); !problem.empty()) {
    errors.push_back({std::string(field), std::move(problem)});
  }
}

// Validates `data` as an array of objects and serializes it without runtime fields.
std::optional<std::string> tilesJson(const json::value& data, FieldErrors& errors) {
  if (!data.is_array()) {
    errors.push_back({"data", "must be an array of tile objects"});
    return std::nullopt;
  }

  const json::array& given = data.get_array();
  bool all_objects = true;
  bool has_runtime_fields = false;
  for (std::size_t i = 0; i < given.size() && !full(errors); ++i) {
    const json::object* tile = given[i].if_object();
    if (tile == nullptr) {
      errors.push_back({"data[" + std::to_string(i) + "]", "must be an object"});
      all_objects = false;
      continue;
    }
    for (std::string_view field : kRuntimeTileFields) {
      has_runtime_fields = has_runtime_fields || tile->contains(field);
    }
  }
  if (!all_objects) {
    return std::nullopt;
  }
  if (!has_runtime_fields) {
    return json::serialize(given);
  }

  // A copy without them, made in the document's own memory (parsed bodies have an arena).
  json::array tiles(given, data.storage());
  for (json::value& tile : tiles) {
    for (std::string_view field : kRuntimeTileFields) {
      tile.get_object().stable_erase(field);  // erase() would move the last key into the gap
    }
  }
  return json::serialize(tiles);
}

// Reads an optional positive integer version; records an error when it is anything else.
std::optional<std::int64_t> optionalVersion(const json::object& body, FieldErrors& errors) {
  const json::value* value = body.if_contains("version");
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (value->is_int64() && value->get_int64() >= 1) {
    return value->get_int64();
  }
  if (value->is_uint64() && value->get_uint64() <= INT64_MAX && value->get_uint64() >= 1) {
    return static_cast<std::int64_t>(value->get_uint64());
  }
  errors.push_back({"version", "must be a positive integer"});
  return std::nullopt;
}

const json::object* requireObject(const json::value& body, FieldErrors& errors) {
  const json::object* object = body.if_object();
  if (object == nullptr) {
    errors.push_back({"", "the body must be a JSON object"});
  }
  return object;
}

}  // namespace

bool VersionCondition::allows(std::int64_t version) const {
  return any || std::find(versions.begin(), versions.end(), version) != versions.end();
}

void VersionCondition::require(std::int64_t version) {
  if (any) {
    any = false;
    versions = {version};
    return;
  }
  const bool listed = allows(version);
  versions.clear();
  if (listed) {
    versions.push_back(version);
  }
}

DashboardView viewOf(const Dashboard& dashboard) {
  return {
      dashboard.id,        dashboard.project_id, dashboard.user_id,       dashboard.name,
      dashboard.data_json, dashboard.version,    dashboard.created_at_ms, dashboard.updated_at_ms,
      dashboard.updated_by};
}

Dashboard copyOf(const DashboardView& view) {
  return {view.id,
          std::string(view.project_id),
          std::string(view.user_id),
          std::string(view.name),
          std::string(view.data_json),
          view.version,
          view.created_at_ms,
          view.updated_at_ms,
          std::string(view.updated_by)};
}

Dashboard startDashboard(const NewDashboard& input, std::int64_t now_ms) {
  Dashboard dashboard;
  dashboard.project_id = input.project_id;
  dashboard.user_id = input.user_id;
  dashboard.name = input.name;
  dashboard.data_json = input.data_json;
  dashboard.created_at_ms = now_ms;
  dashboard.updated_at_ms = now_ms;
  dashboard.updated_by = input.user_id;
  return dashboard;
}

void applyChanges(Dashboard& dashboard, const DashboardChanges& changes) {
  if (changes.name) {
    dashboard.name = *changes.name;
  }
  if (changes.data_json) {
    dashboard.data_json = *changes.data_json;
  }
}

void advanceVersion(Dashboard& dashboard, std::int64_t now_ms, std::string_view updated_by) {
  dashboard.version += 1;
  dashboard.updated_at_ms = now_ms;
  dashboard.updated_by = updated_by.empty() ? dashboard.user_id : std::string(updated_by);
}

void checkOwner(const std::optional<std::string>& project_id,
                const std::optional<std::string>& user_id, FieldErrors& errors) {
  checkString(project_id, "project_id", kMaxProjectIdChars, errors);
  checkString(user_id, "user_id", kMaxUserIdChars, errors);
}

Result<NewDashboard, FieldErrors> parseNewDashboard(const json::value& body, bool username_alias) {
  FieldErrors errors;
  const json::object* object = requireObject(body, errors);
  if (object == nullptr) {
    return errors;
  }

  auto project_id = optionalString(*object, "project_id", errors);
  auto user_id = optionalString(*object, "user_id", errors);
  if (!user_id && username_alias && !object->contains("user_id")) {
    user_id = optionalString(*object, "username", errors);
  }
  auto name = optionalString(*object, "name", errors);
  checkOwner(project_id, user_id, errors);
  checkString(name, "name", kMaxDashboardNameChars, errors);

  std::optional<std::string> data_json = "[]";
  const json::value* data = object->if_contains("data");
  if (data != nullptr && !data->is_null()) {
    data_json = tilesJson(*data, errors);
  }

  if (!errors.empty()) {
    return errors;
  }
  return NewDashboard{std::move(*project_id), std::move(*user_id), std::move(*name),
                      std::move(*data_json)};
}

Result<DashboardChanges, FieldErrors> parseDashboardChanges(const json::value& body) {
  FieldErrors errors;
  const json::object* object = requireObject(body, errors);
  if (object == nullptr) {
    return errors;
  }

  DashboardChanges changes;
  changes.version = optionalVersion(*object, errors);
  changes.name = optionalString(*object, "name", errors);
  if (changes.name) {
    checkString(changes.name, "name", kMaxDashboardNameChars, errors);
  }
  if (const json::value* data = object->if_contains("data")) {
    changes.data_json = tilesJson(*data, errors);
  }

  const bool has_name = object->contains("name");
  const bool has_data = object->contains("data");
  if (!has_name && !has_data) {
    errors.push_back({"", "the body must contain name, data or both"});
  }
  if (!errors.empty()) {
    return errors;
  }
  return changes;
}

Result<std::int64_t, FieldErrors> parseRestore(const json::value& body) {
  FieldErrors errors;
  const json::object* object = requireObject(body, errors);
  if (object == nullptr) {
    return errors;
  }
  auto version = optionalVersion(*object, errors);
  if (!version && errors.empty()) {
    errors.push_back({"version", "is required"});
  }
  if (!errors.empty()) {
    return errors;
  }
  return *version;
}

}  // namespace autoql::domain
