// Dashboard bodies: the strict JSON parser, then every validator a dashboard body meets
// (create, with and without the /api/v1 `username` alias; update; restore) and the
// version rules applied to what they accept. Each input is one body, as a client sends it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "domain/dashboard.h"
#include "domain/json_text.h"
#include "fuzz_service.h"

namespace {

namespace domain = autoql::domain;

constexpr std::int64_t kCreatedMs = 1000;
constexpr std::int64_t kUpdatedMs = 2000;

// What validated tile data must be: a JSON array of objects, without the runtime query
// results (they are dropped before storage), that parses back under the same depth limit.
void checkTiles(std::string_view data_json) {
  auto data = domain::parseJson(data_json);
  if (!data || !data->is_array()) {
    autoql::fuzz::fail("validated data is not a JSON array");
  }
  for (const auto& tile : data->get_array()) {
    if (!tile.is_object()) {
      autoql::fuzz::fail("a validated tile is not an object");
    }
    if (tile.get_object().contains("queryResponse") ||
        tile.get_object().contains("secondQueryResponse")) {
      autoql::fuzz::fail("a validated tile kept its runtime query results");
    }
  }
}

void checkName(std::string_view name) {
  if (!domain::checkText(name, domain::kMaxDashboardNameChars).empty()) {
    autoql::fuzz::fail("a validated name breaks the name rules");
  }
}

void fuzzCreate(const boost::json::value& body, bool username_alias) {
  auto created = domain::parseNewDashboard(body, username_alias);
  if (!created) {
    return;
  }
  checkName(created->name);
  checkTiles(created->data_json);
  const domain::Dashboard dashboard = domain::startDashboard(*created, kCreatedMs);
  if (dashboard.version != 1 || dashboard.updated_by != created->user_id) {
    autoql::fuzz::fail("a new dashboard does not start at version 1 by its owner");
  }
}

void fuzzUpdate(const boost::json::value& body) {
  auto changes = domain::parseDashboardChanges(body);
  if (!changes) {
    return;
  }
  if (!changes->name && !changes->data_json) {
    autoql::fuzz::fail("an update without name or data was accepted");
  }
  if (changes->name) {
    checkName(*changes->name);
  }
  if (changes->data_json) {
    checkTiles(*changes->data_json);
  }

  domain::Dashboard dashboard =
      domain::startDashboard({"project", "owner", "name", "[]"}, kCreatedMs);
  domain::applyChanges(dashboard, *changes);
  domain::advanceVersion(dashboard, kUpdatedMs, "editor");
  if (dashboard.version != 2 || dashboard.updated_at_ms != kUpdatedMs) {
    autoql::fuzz::fail("an update did not make exactly the next version");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = domain::parseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!body) {
    return 0;
  }
  fuzzCreate(*body, /*username_alias=*/false);
  fuzzCreate(*body, /*username_alias=*/true);
  fuzzUpdate(*body);
  if (auto version = domain::parseRestore(*body); version && *version < 1) {
    autoql::fuzz::fail("a restore body named a version below 1");
  }
  return 0;
}
