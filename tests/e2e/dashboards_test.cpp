// Dashboards over HTTP (DESIGN 3.2) as the Flask sample's README and the AutoQL Dashboard
// widget use them: create, list, read, replace, delete; tiles stored as the same JSON
// value; field validation; paging.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;

class Dashboards : public SharedServerTest {
 protected:
  // A fresh owner per test, so that lists only hold this test's dashboards.
  std::string project_ = uniqueId("project");
  std::string user_ = uniqueId("user");

  std::string listTarget(std::string_view extra = {}) const {
    return "/dashboards?project_id=" + project_ + "&user_id=" + user_ + std::string(extra);
  }

  ClientResponse create(std::string_view data_json = "[]", std::string_view name = "Sales") {
    return sendJson(client(), "POST", "/dashboards",
                    dashboardBody(project_, user_, name, data_json));
  }

  // Creates a dashboard with `data_json` and returns its stored tiles (via GET).
  json::value storedTiles(std::string_view data_json) {
    const auto created = create(data_json);
    EXPECT_EQ(created.status, 201u) << created.body;
    if (created.status != 201) {
      return nullptr;
    }
    const auto id = bodyJson(created).at("id").as_int64();
    const auto fetched = send(client(), "GET", "/dashboards/" + std::to_string(id));
    EXPECT_EQ(fetched.status, 200u) << fetched.body;
    return bodyJson(fetched).at("data");
  }
};

// Removes the runtime fields the server must strip, keeping every other key in order.
json::value withoutRuntimeFields(json::array tiles) {
  for (json::value& tile : tiles) {
    tile.as_object().stable_erase("queryResponse");
    tile.as_object().stable_erase("secondQueryResponse");
  }
  return tiles;
}

// A 412 must say which version is current: in ETag, or as current_version in the body.
::testing::AssertionResult namesCurrentVersion(const ClientResponse& response, int version) {
  const std::string quoted = "\"" + std::to_string(version) + "\"";
  const json::value body = bodyJson(response);
  const json::value* field =
      body.is_object() ? body.as_object().if_contains("current_version") : nullptr;
  const bool in_body = field != nullptr && (json::serialize(*field) == std::to_string(version) ||
                                            json::serialize(*field) == quoted);
  if (headerOf(response, "ETag") == quoted || in_body) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "the current version " << version << " is not named: " << response.body;
}

::testing::AssertionResult isIsoMillis(const json::value& value) {
  const json::string* text = value.if_string();
  // 2026-01-31T12:00:00.000Z
  if (text != nullptr && text->size() == 24 && (*text)[4] == '-' && (*text)[10] == 'T' &&
      (*text)[19] == '.' && text->back() == 'Z') {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << json::serialize(value) << " is not ISO 8601 with ms";
}

TEST_F(Dashboards, CreateReturns201WithLocationAndEtag) {
  const std::string tiles = R"([{"i":"t1","x":0,"y":0,"w":6,"h":5,"query":"sales"}])";
  const auto response = create(tiles, "Executive overview");

  ASSERT_EQ(response.status, 201u) << response.body;
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("application/json"));
  const json::value body = bodyJson(response);
  const std::int64_t id = body.at("id").as_int64();
  EXPECT_GT(id, 0);
  EXPECT_EQ(headerOf(response, "Location"), "/dashboards/" + std::to_string(id));
  EXPECT_EQ(headerOf(response, "ETag"), "\"1\"");
  EXPECT_EQ(body.at("project_id"), json::value(project_));
  EXPECT_EQ(body.at("user_id"), json::value(user_));
  EXPECT_EQ(body.at("name"), json::value("Executive overview"));
  EXPECT_TRUE(sameJson(parseJson(tiles), body.at("data")));
  EXPECT_EQ(body.at("version"), json::value(1));
  EXPECT_TRUE(isIsoMillis(body.at("created_at")));
  EXPECT_TRUE(isIsoMillis(body.at("updated_at")));
}

TEST_F(Dashboards, DataDefaultsToEmptyArray) {
  const std::string body =
      R"({"project_id":")" + project_ + R"(","user_id":")" + user_ + R"(","name":"No tiles"})";
  const auto response = sendJson(client(), "POST", "/dashboards", body);

  ASSERT_EQ(response.status, 201u) << response.body;
  EXPECT_TRUE(sameJson(json::array(), bodyJson(response).at("data")));
}

TEST_F(Dashboards, ListsOwnDashboardsNewestFirst) {
  const std::int64_t first = createDashboard(client(), project_, user_, "first");
  const std::int64_t second = createDashboard(client(), project_, user_, "second");
  const std::int64_t third = createDashboard(client(), project_, user_, "third");
  createDashboard(client(), project_, uniqueId("other-user"), "someone else's");
  createDashboard(client(), uniqueId("other-project"), user_, "another project");

  const auto response = send(client(), "GET", listTarget());

  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("application/json"));
  const json::value body = bodyJson(response);
  const json::array& list = body.as_array();
  ASSERT_EQ(list.size(), 3u) << response.body;
  EXPECT_EQ(list[0].at("id").as_int64(), third);
  EXPECT_EQ(list[1].at("id").as_int64(), second);
  EXPECT_EQ(list[2].at("id").as_int64(), first);
  EXPECT_EQ(list[0].at("name"), json::value("third"));
  EXPECT_TRUE(headerOf(response, "Link").empty());
}

// Pages are written from memory for dashboards listed before (api/rendered_dashboards.h):
// every list after a change must show each dashboard as GET shows it now.
TEST_F(Dashboards, ListsShowEveryChangeAtOnce) {
  std::vector<std::int64_t> ids;
  for (const char* name : {"first", "second", "third"}) {
    ids.push_back(createDashboard(client(), project_, user_, name));
  }
  const auto path = [](std::int64_t id) { return "/dashboards/" + std::to_string(id); };
  // Both shapes of the list, each twice (the second from memory), against GET of each id.
  const auto expectListsMatchGets = [&](const std::vector<std::int64_t>& listed) {
    json::array expected;
    for (auto it = listed.rbegin(); it != listed.rend(); ++it) {
      const auto fetched = send(client(), "GET", path(*it));
      ASSERT_EQ(fetched.status, 200u) << fetched.body;
      expected.push_back(bodyJson(fetched));
    }
    for (int round = 0; round < 2; ++round) {
      const auto root = send(client(), "GET", listTarget());
      ASSERT_EQ(root.status, 200u) << root.body;
      EXPECT_TRUE(sameJson(json::value(expected), bodyJson(root))) << root.body;
      const auto v1 = send(client(), "GET", "/api/v1" + listTarget());
      ASSERT_EQ(v1.status, 200u) << v1.body;
      EXPECT_TRUE(sameJson(json::value(expected), bodyJson(v1).at("items"))) << v1.body;
    }
  };
  expectListsMatchGets(ids);

  const auto renamed =
      sendJson(client(), "PUT", path(ids[1]), R"({"name":"second, renamed","data":[{"i":"new"}]})");
  ASSERT_EQ(renamed.status, 200u) << renamed.body;
  expectListsMatchGets(ids);

  const auto restored = sendJson(client(), "POST", path(ids[1]) + "/restore", R"({"version":1})");
  ASSERT_EQ(restored.status, 200u) << restored.body;
  EXPECT_EQ(bodyJson(restored).at("name"), json::value("second"));
  expectListsMatchGets(ids);

  ASSERT_EQ(send(client(), "DELETE", path(ids[0])).status, 204u);
  expectListsMatchGets({ids[1], ids[2]});
}

TEST_F(Dashboards, GetReturnsTheObjectWithEtag) {
  const auto created = create(R"([{"i":"a"}])", "Mine");
  ASSERT_EQ(created.status, 201u) << created.body;

  const auto response = send(client(), "GET", headerOf(created, "Location"));

  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(headerOf(response, "ETag"), "\"1\"");
  EXPECT_TRUE(sameJson(bodyJson(created), bodyJson(response)));
}

TEST_F(Dashboards, PutReplacesNameAndDataAndBumpsVersion) {
  const auto created = create(R"([{"i":"a"}])", "Before");
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string location = headerOf(created, "Location");

  const std::string tiles = R"([{"i":"b","x":1},{"i":"c","x":2}])";
  const auto updated =
      sendJson(client(), "PUT", location, R"({"name":"After","data":)" + tiles + "}");

  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_EQ(headerOf(updated, "ETag"), "\"2\"");
  const json::value body = bodyJson(updated);
  EXPECT_EQ(body.at("version"), json::value(2));
  EXPECT_EQ(body.at("name"), json::value("After"));
  EXPECT_TRUE(sameJson(parseJson(tiles), body.at("data")));
  EXPECT_EQ(body.at("id"), bodyJson(created).at("id"));
  EXPECT_EQ(body.at("created_at"), bodyJson(created).at("created_at"));

  const auto fetched = send(client(), "GET", location);
  EXPECT_EQ(headerOf(fetched, "ETag"), "\"2\"");
  EXPECT_TRUE(sameJson(body, bodyJson(fetched)));
}

TEST_F(Dashboards, PutWithCurrentIfMatchSucceeds) {
  const auto created = create();
  ASSERT_EQ(created.status, 201u) << created.body;

  const auto updated =
      send(client(), "PUT", headerOf(created, "Location"),
           {{"Content-Type", "application/json"}, {"If-Match", "\"1\""}}, R"({"name":"Renamed"})");

  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_EQ(headerOf(updated, "ETag"), "\"2\"");
}

TEST_F(Dashboards, PutWithStaleIfMatchIs412AndChangesNothing) {
  const auto created = create();
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string location = headerOf(created, "Location");
  ASSERT_EQ(sendJson(client(), "PUT", location, R"({"name":"Second"})").status, 200u);

  const auto stale =
      send(client(), "PUT", location, {{"Content-Type", "application/json"}, {"If-Match", "\"1\""}},
           R"({"name":"Lost update"})");

  EXPECT_TRUE(isProblem(stale, 412, "version_mismatch"));
  EXPECT_TRUE(namesCurrentVersion(stale, 2));
  const auto fetched = send(client(), "GET", location);
  EXPECT_EQ(bodyJson(fetched).at("name"), json::value("Second"));
  EXPECT_EQ(headerOf(fetched, "ETag"), "\"2\"");
}

TEST_F(Dashboards, PutWithStaleVersionFieldIs412AndChangesNothing) {
  const auto created = create();
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string location = headerOf(created, "Location");
  ASSERT_EQ(sendJson(client(), "PUT", location, R"({"name":"Second"})").status, 200u);

  const auto stale = sendJson(client(), "PUT", location, R"({"name":"Lost update","version":1})");

  EXPECT_TRUE(isProblem(stale, 412, "version_mismatch"));
  EXPECT_TRUE(namesCurrentVersion(stale, 2));
  EXPECT_EQ(bodyJson(send(client(), "GET", location)).at("name"), json::value("Second"));
}

TEST_F(Dashboards, DeleteAnswers204ThenGetAnswers404) {
  const auto created = create();
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string location = headerOf(created, "Location");

  const auto removed = send(client(), "DELETE", location);
  EXPECT_EQ(removed.status, 204u) << removed.body;
  EXPECT_TRUE(removed.body.empty());

  EXPECT_TRUE(isProblem(send(client(), "GET", location), 404, "not_found"));
  EXPECT_TRUE(isProblem(send(client(), "DELETE", location), 404, "not_found"));
  EXPECT_TRUE(listDashboardIds(client(), project_, user_).empty());
}

TEST_F(Dashboards, BodyFieldsNeverOverwriteIdOrVersion) {
  const std::string body = R"({"id":999999,"version":77,"created_at":"2000-01-01T00:00:00.000Z",)"
                           R"("unknown":true,"project_id":")" +
                           project_ + R"(","user_id":")" + user_ + R"(","name":"n"})";
  const auto response = sendJson(client(), "POST", "/dashboards", body);

  ASSERT_EQ(response.status, 201u) << response.body;
  const json::value created = bodyJson(response);
  EXPECT_NE(created.at("id"), json::value(999999));
  EXPECT_EQ(created.at("version"), json::value(1));
  EXPECT_NE(created.at("created_at"), json::value("2000-01-01T00:00:00.000Z"));
}

// --- tiles are stored as the same JSON value ---

TEST_F(Dashboards, SampleTilesComeBackWithoutRuntimeFields) {
  // Sent as the bytes on disk: a re-serialization could hide how numbers are read.
  const std::string sample = readDataFile("dashboard-create.json");
  const auto response = sendJson(client(), "POST", "/dashboards", sample);
  ASSERT_EQ(response.status, 201u) << response.body;

  const json::value expected = withoutRuntimeFields(parseJson(sample).at("data").as_array());
  EXPECT_TRUE(sameJson(expected, bodyJson(response).at("data")));
  const auto fetched = send(client(), "GET", headerOf(response, "Location"));
  EXPECT_TRUE(sameJson(expected, bodyJson(fetched).at("data")));
  EXPECT_EQ(fetched.body.find("queryResponse"), std::string::npos);
}

TEST_F(Dashboards, KeepsExtremeDoublesNullsAndBigIntegers) {
  const json::value tiles =
      storedTiles(R"([{"i":"a","x":0,"y":1.7976931348623157e308,"w":6},{"i":"b","y":null},)"
                  R"({"i":"c","id":9007199254740993,"neg":-9223372036854775808,"small":5e-324}])");
  ASSERT_TRUE(tiles.is_array());
  ASSERT_EQ(tiles.as_array().size(), 3u);

  // Checked against the C library's reading of the text, not Boost.JSON's.
  EXPECT_EQ(tiles.at(0).at("y").kind(), json::kind::double_);
  EXPECT_EQ(tiles.at(0).at("y").to_number<double>(), std::numeric_limits<double>::max());
  EXPECT_TRUE(tiles.at(1).at("y").is_null());
  EXPECT_EQ(tiles.at(2).at("id").to_number<std::int64_t>(), 9007199254740993);
  EXPECT_EQ(tiles.at(2).at("neg").to_number<std::int64_t>(),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(tiles.at(2).at("small").to_number<double>(), std::numeric_limits<double>::denorm_min());
}

TEST_F(Dashboards, KeepsUnicodeStringsExactly) {
  const std::string text = "Caf\xC3\xA9 \xE2\x98\x95 \xE5\xA3\xB2\xE4\xB8\x8A \xF0\x9F\x98\x80";
  const json::value tiles =
      storedTiles(R"([{"title":")" + text + R"(","escaped":"\u00e9\ud83d\ude00\n\"q\""}])");
  ASSERT_TRUE(tiles.is_array());

  EXPECT_EQ(tiles.at(0).at("title").as_string(), text);
  EXPECT_EQ(tiles.at(0).at("escaped").as_string(), "\xC3\xA9\xF0\x9F\x98\x80\n\"q\"");
}

TEST_F(Dashboards, StripsRuntimeFieldsKeepingKeyOrder) {
  // The runtime fields sit in the middle of the tile: removing them must not move the
  // keys that follow.
  const json::value tiles =
      storedTiles(R"([{"i":"a","queryResponse":{"data":{"rows":[[1]]}},"x":0,"y":1,"w":2,"h":3},)"
                  R"({"i":"b","secondQueryResponse":{"rows":[]},"splitView":true,"z":null}])");

  EXPECT_TRUE(sameJson(parseJson(R"([{"i":"a","x":0,"y":1,"w":2,"h":3},)"
                                 R"({"i":"b","splitView":true,"z":null}])"),
                       tiles));
}

TEST_F(Dashboards, KeepsKeyOrderOfNestedObjects) {
  const std::string data = R"([{"z":1,"a":{"y":[3,2,1],"b":{"d":0,"c":0}},"m":"x"}])";
  EXPECT_TRUE(sameJson(parseJson(data), storedTiles(data)));
}

// --- validation ---

struct InvalidBodyCase {
  std::string label;
  std::string body;
  std::string field;  // the field errors[] must name
};

TEST_F(Dashboards, RefusesInvalidFieldsNamingThem) {
  const std::string owner = R"("project_id":")" + project_ + R"(","user_id":")" + user_ + "\"";
  const std::vector<InvalidBodyCase> cases = {
      {"missing name", "{" + owner + "}", "name"},
      {"empty name", "{" + owner + R"(,"name":""})", "name"},
      {"name not a string", "{" + owner + R"(,"name":5})", "name"},
      {"name of 257 characters", "{" + owner + R"(,"name":")" + repeat('n', 257) + "\"}", "name"},
      {"name of 257 code points",
       "{" + owner + R"(,"name":")" + repeat('n', 255) + "\xC3\xA9\xE2\x98\x95\"}", "name"},
      {"missing project_id", R"({"user_id":"u","name":"n"})", "project_id"},
      {"project_id of 513 characters",
       R"({"project_id":")" + repeat('p', 513) + R"(","user_id":"u","name":"n"})", "project_id"},
      {"missing user_id", R"({"project_id":"p","name":"n"})", "user_id"},
      {"user_id of 257 characters",
       R"({"project_id":"p","user_id":")" + repeat('u', 257) + R"(","name":"n"})", "user_id"},
      {"data an object", "{" + owner + R"(,"name":"n","data":{"i":"a"}})", "data"},
      {"data a string", "{" + owner + R"(,"name":"n","data":"[]"})", "data"},
      {"data with a number", "{" + owner + R"(,"name":"n","data":[{"i":"a"},1]})", "data[1]"},
      {"data with an array", "{" + owner + R"(,"name":"n","data":[[]]})", "data[0]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    const auto response = sendJson(client(), "POST", "/dashboards", c.body);
    EXPECT_TRUE(isValidationError(response, c.field));
  }
  EXPECT_TRUE(listDashboardIds(client(), project_, user_).empty());
}

TEST_F(Dashboards, AcceptsLongestAllowedValues) {
  const std::string name = repeat('n', 255) + "\xE2\x98\x95";  // 256 code points
  const std::string body = dashboardBody(repeat('p', 512), repeat('u', 256), name);
  const auto response = sendJson(client(), "POST", "/dashboards", body);

  ASSERT_EQ(response.status, 201u) << response.body;
  EXPECT_EQ(bodyJson(response).at("name").as_string(), name);
}

TEST_F(Dashboards, RefusesBodyThatIsNotAnObject) {
  for (const std::string& body : std::vector<std::string>{"[]", "\"text\"", "42", "null"}) {
    SCOPED_TRACE(body);
    const auto response = sendJson(client(), "POST", "/dashboards", body);
    EXPECT_TRUE(isProblem(response, 400, "validation_failed"));
  }
}

TEST_F(Dashboards, RefusesNonJsonContentTypeWith415) {
  const auto response = send(client(), "POST", "/dashboards", {{"Content-Type", "text/plain"}},
                             dashboardBody(project_, user_, "n"));
  EXPECT_TRUE(isProblem(response, 415, "unsupported_media_type"));
  EXPECT_TRUE(listDashboardIds(client(), project_, user_).empty());
}

TEST_F(Dashboards, PutValidatesItsBody) {
  const std::int64_t id = createDashboard(client(), project_, user_, "n");
  const std::string target = "/dashboards/" + std::to_string(id);

  EXPECT_TRUE(isValidationError(sendJson(client(), "PUT", target, R"({"name":""})"), "name"));
  EXPECT_TRUE(isValidationError(sendJson(client(), "PUT", target, R"({"name":"n","data":[1]})"),
                                "data[0]"));
  EXPECT_TRUE(isProblem(sendJson(client(), "PUT", target, "{"), 400, "invalid_json"));
  EXPECT_EQ(headerOf(send(client(), "GET", target), "ETag"), "\"1\"");
}

TEST_F(Dashboards, PutOnMissingDashboardAnswers404) {
  const auto response = sendJson(client(), "PUT", "/dashboards/999999999", R"({"name":"n"})");
  EXPECT_TRUE(isProblem(response, 404, "not_found"));
}

TEST_F(Dashboards, ListRequiresTheOwner) {
  EXPECT_TRUE(isValidationError(send(client(), "GET", "/dashboards?project_id=p"), "user_id"));
  EXPECT_TRUE(isValidationError(send(client(), "GET", "/dashboards?user_id=u"), "project_id"));
  EXPECT_TRUE(isValidationError(send(client(), "GET", "/dashboards"), "user_id"));
}

TEST_F(Dashboards, RefusesBadPagingParameters) {
  for (const std::string& query : std::vector<std::string>{"&limit=abc", "&limit=5000", "&limit=-1",
                                                           "&limit=1.5", "&limit=", "&offset=x"}) {
    SCOPED_TRACE(query);
    const auto response = send(client(), "GET", listTarget(query));
    const std::string field = query.find("limit") != std::string::npos ? "limit" : "offset";
    EXPECT_TRUE(isValidationError(response, field));
  }
}

TEST_F(Dashboards, PagesWithLinkHeader) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.insert(ids.begin(), createDashboard(client(), project_, user_, "d" + std::to_string(i)));
  }

  std::vector<std::int64_t> seen;
  std::string target = listTarget("&limit=2");
  int pages = 0;
  while (!target.empty() && pages < 10) {
    ++pages;
    const auto response = send(client(), "GET", target);
    ASSERT_EQ(response.status, 200u) << response.body;
    const json::value body = bodyJson(response);
    const json::array& page = body.as_array();
    EXPECT_LE(page.size(), 2u);
    for (const json::value& dashboard : page) {
      seen.push_back(dashboard.at("id").as_int64());
    }
    // Link: </dashboards?...>; rel="next"
    const std::string link = headerOf(response, "Link");
    target.clear();
    if (!link.empty()) {
      EXPECT_NE(link.find("rel=\"next\""), std::string::npos) << link;
      ASSERT_EQ(link.front(), '<') << link;
      target = link.substr(1, link.find('>') - 1);
    }
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, ids);
}

TEST_F(Dashboards, LargeDashboardsEndAPageEarlyWithALinkToTheRest) {
  // Newest first: two small, three of 6 MB, two small. The page ends after the dashboard
  // that takes it past 16 MiB (the third large one), and its Link carries on from there.
  const std::string tile = R"([{"i":"t","title":")" + repeat('x', 6'000'000) + R"("}])";
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    const bool large = i >= 2 && i < 5;
    const auto created = create(large ? tile : "[]", "d" + std::to_string(i));
    ASSERT_EQ(created.status, 201u) << created.body.substr(0, 300);
    ids.insert(ids.begin(), bodyJson(created).at("id").as_int64());
  }

  std::vector<std::int64_t> seen;
  std::vector<std::size_t> page_sizes;
  std::string target = listTarget();
  while (!target.empty() && page_sizes.size() < 5) {
    const auto response = send(client(), "GET", target);
    ASSERT_EQ(response.status, 200u) << response.body.substr(0, 300);
    EXPECT_LT(response.body.size(), 16u * 1024 * 1024 + 6'100'000);
    const json::value body = bodyJson(response);
    for (const json::value& dashboard : body.as_array()) {
      seen.push_back(dashboard.at("id").as_int64());
    }
    page_sizes.push_back(body.as_array().size());
    const std::string link = headerOf(response, "Link");
    target = link.empty() ? "" : link.substr(1, link.find('>') - 1);
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{5, 2}));
  EXPECT_EQ(seen, ids);
}

TEST_F(Dashboards, FullLastPageHasNoLink) {
  createDashboard(client(), project_, user_, "a");
  createDashboard(client(), project_, user_, "b");

  const auto response = send(client(), "GET", listTarget("&limit=2"));
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(bodyJson(response).as_array().size(), 2u);
  EXPECT_TRUE(headerOf(response, "Link").empty());

  const auto beyond = send(client(), "GET", listTarget("&limit=2&offset=10"));
  ASSERT_EQ(beyond.status, 200u) << beyond.body;
  EXPECT_TRUE(bodyJson(beyond).as_array().empty());
}

TEST_F(Dashboards, NonNumericOrZeroIdIsNotFound) {
  for (const std::string& id :
       std::vector<std::string>{"abc", "0", "-1", "1.0", "99999999999999999999"}) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(isProblem(send(client(), "GET", "/dashboards/" + id), 404, "not_found"));
  }
}

}  // namespace
}  // namespace autoql::e2e
