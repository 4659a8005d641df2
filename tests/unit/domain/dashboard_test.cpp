// Dashboard body validation: defaults, field-level errors, ignored fields, and tiles that
// come back as the same JSON value less their runtime query results.
#include "domain/dashboard.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace autoql::domain {
namespace {

namespace json = boost::json;

std::vector<std::string> fields(const FieldErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors) {
    out.push_back(error.field);
  }
  return out;
}

TEST(Dashboard, DataDefaultsToEmptyArray) {
  auto parsed = parseNewDashboard(json::parse(R"({"project_id":"p","user_id":"u","name":"n"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->data_json, "[]");
  EXPECT_EQ(parsed->project_id, "p");
}

TEST(Dashboard, StripsRuntimeFieldsAndKeepsTheRest) {
  const auto body = json::parse(R"({"project_id":"p","user_id":"u","name":"n","data":[
      {"i":"a","x":0,"y":1.7976931348623157e308,"queryResponse":{"rows":[[1]]},"w":6},
      {"i":"b","y":null,"secondQueryResponse":{},"big":9007199254740993,"t":"売上"}]})");
  auto parsed = parseNewDashboard(body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(json::parse(parsed->data_json),
            json::parse(R"([{"i":"a","x":0,"y":1.7976931348623157e308,"w":6},
                            {"i":"b","y":null,"big":9007199254740993,"t":"売上"}])"));
}

TEST(Dashboard, TilesWithoutRuntimeFieldsAreKeptAsGiven) {
  const auto body = json::parse(R"({"project_id":"p","user_id":"u","name":"n","data":[
      {"w":6,"i":"a","dataConfig":{"queryResponse":1}},{"t":"x"}]})");
  auto parsed = parseNewDashboard(body);
  ASSERT_TRUE(parsed.ok());
  // A nested queryResponse is not a tile's runtime field.
  EXPECT_EQ(parsed->data_json, R"([{"w":6,"i":"a","dataConfig":{"queryResponse":1}},{"t":"x"}])");
}

TEST(Dashboard, ReportsEveryInvalidField) {
  auto parsed = parseNewDashboard(json::parse(R"({"user_id":5,"name":"","data":[{},3]})"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(fields(parsed.error()),
            (std::vector<std::string>{"user_id", "project_id", "user_id", "name", "data[1]"}));
}

TEST(Dashboard, EnforcesLengths) {
  const std::string name_256(256, 'n');
  const std::string name_257(257, 'n');
  const std::string project_513(513, 'p');
  auto body = [](const std::string& project, const std::string& name) {
    return json::value{{"project_id", project}, {"user_id", "u"}, {"name", name}};
  };
  EXPECT_TRUE(parseNewDashboard(body("p", name_256)).ok());
  EXPECT_FALSE(parseNewDashboard(body("p", name_257)).ok());
  EXPECT_FALSE(parseNewDashboard(body(project_513, "n")).ok());
  EXPECT_TRUE(parseNewDashboard(body(std::string(512, 'p'), "n")).ok());
}

TEST(Dashboard, RefusesDataThatIsNotAnArray) {
  auto parsed = parseNewDashboard(
      json::parse(R"({"project_id":"p","user_id":"u","name":"n","data":{"i":"a"}})"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(fields(parsed.error()), std::vector<std::string>{"data"});
}

TEST(Dashboard, RefusesBodiesThatAreNotObjects) {
  EXPECT_FALSE(parseNewDashboard(json::parse("[]")).ok());
  EXPECT_FALSE(parseDashboardChanges(json::parse("\"name\"")).ok());
}

TEST(Dashboard, ChangesKeepWhatIsAbsent) {
  auto only_name = parseDashboardChanges(json::parse(R"({"name":"renamed"})"));
  ASSERT_TRUE(only_name.ok());
  EXPECT_EQ(only_name->name, "renamed");
  EXPECT_FALSE(only_name->data_json.has_value());

  auto only_data = parseDashboardChanges(json::parse(R"({"data":[]})"));
  ASSERT_TRUE(only_data.ok());
  EXPECT_FALSE(only_data->name.has_value());
  EXPECT_EQ(only_data->data_json, "[]");
}

TEST(Dashboard, ChangesNeedNameOrData) {
  EXPECT_FALSE(parseDashboardChanges(json::parse(R"({"user_id":"someone-else"})")).ok());
  EXPECT_FALSE(parseDashboardChanges(json::parse(R"({"data":null})")).ok());
}

}  // namespace
}  // namespace autoql::domain

namespace autoql::domain {
namespace {

TEST(VersionCondition, AnyAllowsEveryVersion) {
  VersionCondition condition;
  EXPECT_TRUE(condition.allows(1));
  EXPECT_TRUE(condition.allows(42));
}

TEST(VersionCondition, RequireNarrowsToOneVersion) {
  VersionCondition condition;
  condition.require(3);
  EXPECT_TRUE(condition.allows(3));
  EXPECT_FALSE(condition.allows(4));
}

TEST(VersionCondition, DisagreeingConditionsAllowNothing) {
  VersionCondition condition;
  condition.any = false;
  condition.versions = {2, 3};
  condition.require(5);
  EXPECT_FALSE(condition.allows(2));
  EXPECT_FALSE(condition.allows(5));
}

TEST(Dashboard, ChangesCarryTheEditedVersion) {
  auto changes = parseDashboardChanges(json::parse(R"({"name":"n","version":4})"));
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->version, 4);
  for (const char* bad : {R"({"name":"n","version":0})", R"({"name":"n","version":"4"})",
                          R"({"name":"n","version":1.5})"}) {
    EXPECT_FALSE(parseDashboardChanges(json::parse(bad)).ok()) << bad;
  }
}

TEST(Dashboard, RestoreNeedsAVersion) {
  EXPECT_EQ(*parseRestore(json::parse(R"({"version":2})")), 2);
  EXPECT_FALSE(parseRestore(json::parse(R"({})")).ok());
  EXPECT_FALSE(parseRestore(json::parse(R"({"version":-1})")).ok());
}

TEST(Dashboard, UsernameStandsForUserIdInTheV1Shape) {
  const auto body = json::parse(R"({"project_id":"p","username":"alice","name":"n"})");
  EXPECT_FALSE(parseNewDashboard(body).ok());
  auto parsed = parseNewDashboard(body, /*username_alias=*/true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->user_id, "alice");
  EXPECT_EQ(parsed->data_json, "[]");
}

}  // namespace
}  // namespace autoql::domain
