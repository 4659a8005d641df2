// Dashboards beyond plain create/read/replace (DESIGN 3.2): conditional writes with If-Match
// or a body `version` (and twenty writers racing for one version), the version history and
// restore, large dashboards at the body limit, doubles kept bit for bit, list paging with
// encoded Link headers, the /api/v1 shape, and field validation with mass assignment.
#include <bit>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <latch>
#include <limits>
#include <random>
#include <regex>
#include <thread>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string quoted(std::int64_t version) {
  return "\"" + std::to_string(version) + "\"";
}

// Content-Type: application/json, and If-Match when `if_match` is not empty.
std::vector<Header> jsonHeaders(std::string_view if_match = {}) {
  std::vector<Header> headers{{"Content-Type", "application/json"}};
  if (!if_match.empty()) {
    headers.push_back({"If-Match", std::string(if_match)});
  }
  return headers;
}

// Checks a 412 version_mismatch that names `current` as the integer `current_version` of
// its body and in its ETag.
::testing::AssertionResult isVersionMismatch(const ClientResponse& response, std::int64_t current) {
  auto problem = isProblem(response, 412, "version_mismatch");
  if (!problem) {
    return problem;
  }
  const json::value body = parseJson(response.body);
  const json::value* field = body.as_object().if_contains("current_version");
  if (field == nullptr || !field->is_int64() || field->get_int64() != current) {
    return ::testing::AssertionFailure()
           << "current_version is not the integer " << current << ": " << response.body;
  }
  if (headerOf(response, "ETag") != quoted(current)) {
    return ::testing::AssertionFailure()
           << "ETag is '" << headerOf(response, "ETag") << "', not " << quoted(current);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult isIsoMillis(const json::value& value) {
  static const std::regex kIso(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
  const json::string* text = value.if_string();
  if (text != nullptr && std::regex_match(text->begin(), text->end(), kIso)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << json::serialize(value) << " is not ISO 8601 with ms";
}

// Removes the runtime fields the server must strip, keeping every other key in order.
json::array withoutRuntimeFields(json::array tiles) {
  for (json::value& tile : tiles) {
    tile.as_object().stable_erase("queryResponse");
    tile.as_object().stable_erase("secondQueryResponse");
  }
  return tiles;
}

// Percent-encodes every byte but the unreserved characters of RFC 3986.
std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

// The target of a `Link: <target>; rel="next"` header, or "" when there is none.
std::string nextTarget(const ClientResponse& response) {
  const std::string link = headerOf(response, "Link");
  if (link.empty()) {
    return "";
  }
  EXPECT_NE(link.find("rel=\"next\""), std::string::npos) << link;
  const std::size_t end = link.find('>');
  if (link.front() != '<' || end == std::string::npos) {
    ADD_FAILURE() << "not a Link header: " << link;
    return "";
  }
  return link.substr(1, end - 1);
}

std::vector<std::int64_t> idsOf(const json::array& dashboards) {
  std::vector<std::int64_t> ids;
  for (const json::value& dashboard : dashboards) {
    ids.push_back(dashboard.at("id").as_int64());
  }
  return ids;
}

class DashboardFixture : public SharedServerTest {
 protected:
  // A fresh owner per test, so that lists only hold this test's dashboards.
  std::string project_ = uniqueId("project");
  std::string user_ = uniqueId("user");

  // Creates a dashboard and returns its path ("/dashboards/<id>"), or "" after a failure.
  std::string create(std::string_view name = "v1", std::string_view data = R"([{"i":"a"}])") {
    const auto response =
        sendJson(client(), "POST", "/dashboards", dashboardBody(project_, user_, name, data));
    EXPECT_EQ(response.status, 201u) << response.body;
    EXPECT_EQ(headerOf(response, "ETag"), "\"1\"");
    return response.status == 201 ? headerOf(response, "Location") : "";
  }

  ClientResponse put(const std::string& path, std::string_view body,
                     std::string_view if_match = {}) {
    return send(client(), "PUT", path, jsonHeaders(if_match), body);
  }

  ClientResponse restore(const std::string& path, std::string_view body,
                         std::string_view if_match = {}) {
    return send(client(), "POST", path + "/restore", jsonHeaders(if_match), body);
  }

  ClientResponse get(const std::string& path) { return send(client(), "GET", path); }

  std::string listTarget(std::string_view extra = {}) const {
    return "/dashboards?project_id=" + project_ + "&user_id=" + user_ + std::string(extra);
  }
};

// --- conditional writes ---

class DashboardConditional : public DashboardFixture {};

TEST_F(DashboardConditional, EveryDashboardResponseCarriesTheVersionAsEtag) {
  const std::string path = create("Tagged");
  ASSERT_FALSE(path.empty());

  EXPECT_EQ(headerOf(get(path), "ETag"), "\"1\"");
  const auto updated = put(path, R"({"name":"Tagged again"})");
  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_EQ(headerOf(updated, "ETag"), "\"2\"");
  EXPECT_EQ(headerOf(get(path), "ETag"), "\"2\"");
  const auto restored = restore(path, R"({"version":1})");
  ASSERT_EQ(restored.status, 200u) << restored.body;
  EXPECT_EQ(headerOf(restored, "ETag"), "\"3\"");
  EXPECT_EQ(bodyJson(restored).at("version"), json::value(3));
  EXPECT_EQ(headerOf(get(path), "ETag"), "\"3\"");
}

TEST_F(DashboardConditional, StaleIfMatchIs412AndChangesNothing) {
  const std::string path = create("One", R"([{"i":"a","x":1}])");
  ASSERT_FALSE(path.empty());
  ASSERT_EQ(put(path, R"({"name":"Two"})").status, 200u);
  const auto before = get(path);

  for (const std::string& if_match :
       std::vector<std::string>{"\"1\"", "\"3\"", "\"1\", \"3\"", "W/\"2\"", "\"abc\""}) {
    SCOPED_TRACE(if_match);
    const auto stale = put(path, R"({"name":"Lost update","data":[]})", if_match);
    EXPECT_TRUE(isVersionMismatch(stale, 2));
  }

  const auto after = get(path);
  EXPECT_EQ(after.body, before.body) << "a refused write changed the dashboard";
  EXPECT_EQ(headerOf(after, "ETag"), "\"2\"");
}

TEST_F(DashboardConditional, StaleBodyVersionIs412AndChangesNothing) {
  const std::string path = create("One");
  ASSERT_FALSE(path.empty());
  ASSERT_EQ(put(path, R"({"name":"Two"})").status, 200u);
  const auto before = get(path);

  EXPECT_TRUE(isVersionMismatch(put(path, R"({"name":"Lost","version":1})"), 2));
  EXPECT_TRUE(isVersionMismatch(put(path, R"({"name":"Lost","version":3})"), 2));
  // Both conditions must hold: a current If-Match does not excuse a stale body version.
  EXPECT_TRUE(isVersionMismatch(put(path, R"({"name":"Lost","version":1})", "\"2\""), 2));

  EXPECT_EQ(get(path).body, before.body);
}

TEST_F(DashboardConditional, CurrentIfMatchOrBodyVersionIsApplied) {
  const std::string path = create("One");
  ASSERT_FALSE(path.empty());

  const auto by_header = put(path, R"({"name":"Two"})", "\"1\"");
  ASSERT_EQ(by_header.status, 200u) << by_header.body;
  EXPECT_EQ(headerOf(by_header, "ETag"), "\"2\"");

  const auto by_body = put(path, R"({"name":"Three","version":2})");
  ASSERT_EQ(by_body.status, 200u) << by_body.body;
  EXPECT_EQ(headerOf(by_body, "ETag"), "\"3\"");

  const auto listed = put(path, R"({"name":"Four"})", "\"1\", \"3\"");
  ASSERT_EQ(listed.status, 200u) << listed.body;
  EXPECT_EQ(bodyJson(listed).at("name"), json::value("Four"));
  EXPECT_EQ(bodyJson(listed).at("version"), json::value(4));
}

TEST_F(DashboardConditional, WithoutConditionLastWriteWins) {
  const std::string path = create("Shared");
  ASSERT_FALSE(path.empty());
  // Two editors read version 1; neither sends a condition (the official clients do not).
  auto other = server().client();
  ASSERT_EQ(get(path).status, 200u);
  ASSERT_EQ(send(*other, "GET", path).status, 200u);

  const auto first = put(path, R"({"name":"First editor","data":[{"i":"1"}]})");
  ASSERT_EQ(first.status, 200u) << first.body;
  const auto second =
      send(*other, "PUT", path, jsonHeaders(), R"({"name":"Second editor","data":[{"i":"2"}]})");
  ASSERT_EQ(second.status, 200u) << second.body;

  const json::value stored = bodyJson(get(path));
  EXPECT_EQ(stored.at("name"), json::value("Second editor"));
  EXPECT_TRUE(sameJson(parseJson(R"([{"i":"2"}])"), stored.at("data")));
  EXPECT_EQ(stored.at("version"), json::value(3));
}

TEST_F(DashboardConditional, IfMatchStarIsUnconditional) {
  const std::string path = create("Star");
  ASSERT_FALSE(path.empty());
  ASSERT_EQ(put(path, R"({"name":"Two"})").status, 200u);

  const auto response = put(path, R"({"name":"Three"})", "*");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(headerOf(response, "ETag"), "\"3\"");
  EXPECT_EQ(bodyJson(get(path)).at("name"), json::value("Three"));
}

TEST_F(DashboardConditional, TwentyRacingConditionalPutsHaveExactlyOneWinner) {
  constexpr int kWriters = 20;
  const std::string path = create("Race");
  ASSERT_FALSE(path.empty());

  // Every writer connects first, so that the latch releases twenty ready requests.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kWriters; ++i) {
    clients.push_back(server().client());
    ASSERT_EQ(send(*clients.back(), "GET", "/healthz").status, 200u);
  }

  std::vector<ClientResponse> responses(kWriters);
  std::vector<std::string> errors(kWriters);
  std::latch start(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      const std::string body = R"({"name":"writer )" + std::to_string(i) + R"("})";
      const std::vector<Header> headers = jsonHeaders("\"1\"");
      start.arrive_and_wait();
      auto response = clients[i]->send("PUT", path, headers, body);
      if (response) {
        responses[i] = std::move(response).value();
      } else {
        errors[i] = response.error();
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }

  int won = 0;
  int refused = 0;
  int winner = -1;
  for (int i = 0; i < kWriters; ++i) {
    SCOPED_TRACE("writer " + std::to_string(i));
    EXPECT_TRUE(errors[i].empty()) << errors[i];
    if (responses[i].status == 200) {
      ++won;
      winner = i;
      EXPECT_EQ(headerOf(responses[i], "ETag"), "\"2\"");
    } else if (responses[i].status == 412) {
      ++refused;
      EXPECT_TRUE(isVersionMismatch(responses[i], 2));
    } else {
      ADD_FAILURE() << "unexpected " << responses[i].status << " " << responses[i].body;
    }
  }
  std::cout << "[ race     ] " << kWriters << " PUTs with If-Match \"1\": " << won << " x 200, "
            << refused << " x 412, " << kWriters - won - refused << " other\n";
  EXPECT_EQ(won, 1);
  EXPECT_EQ(refused, kWriters - 1);

  const auto stored = get(path);
  EXPECT_EQ(headerOf(stored, "ETag"), "\"2\"");
  EXPECT_EQ(bodyJson(stored).at("version"), json::value(2));
  if (winner >= 0) {
    EXPECT_EQ(bodyJson(stored).at("name"), json::value("writer " + std::to_string(winner)));
  }
  const json::value history = bodyJson(get(path + "/versions"));
  ASSERT_TRUE(history.is_array()) << json::serialize(history);
  EXPECT_EQ(history.as_array().size(), 1u) << json::serialize(history);
}

TEST_F(DashboardConditional, DeleteHonoursIfMatch) {
  const std::string path = create("Delete me");
  ASSERT_FALSE(path.empty());
  ASSERT_EQ(put(path, R"({"name":"Two"})").status, 200u);

  const auto stale = send(client(), "DELETE", path, {{"If-Match", "\"1\""}});
  EXPECT_TRUE(isVersionMismatch(stale, 2));
  const auto kept = get(path);
  EXPECT_EQ(kept.status, 200u) << kept.body;
  EXPECT_EQ(bodyJson(kept).at("name"), json::value("Two"));

  const auto removed = send(client(), "DELETE", path, {{"If-Match", "\"2\""}});
  EXPECT_EQ(removed.status, 204u) << removed.body;
  EXPECT_TRUE(isProblem(get(path), 404, "not_found"));
}

// --- history and restore ---

class DashboardHistory : public DashboardFixture {
 protected:
  const std::string data1_ = R"([{"i":"one","x":0,"title":"Ventes totales €","n":null}])";
  const std::string data2_ = R"([{"i":"two","x":1},{"i":"two-b","y":2.5}])";
  const std::string data3_ = R"([{"i":"three","dataConfig":{"a":[1,2,3]}}])";

  // A dashboard at version 3: "First" (data1_), "Second" (data2_), "Third" (data3_).
  std::string createThreeVersions() {
    const std::string path = create("First", data1_);
    if (path.empty()) {
      return path;
    }
    EXPECT_EQ(put(path, R"({"name":"Second","data":)" + data2_ + "}").status, 200u);
    EXPECT_EQ(put(path, R"({"name":"Third","data":)" + data3_ + "}").status, 200u);
    return path;
  }

  // The versions listed by GET {path}/versions, in order.
  std::vector<std::int64_t> listedVersions(const std::string& path) {
    const auto response = get(path + "/versions");
    EXPECT_EQ(response.status, 200u) << response.body;
    std::vector<std::int64_t> versions;
    const json::value body = bodyJson(response);
    if (!body.is_array()) {
      ADD_FAILURE() << "not an array: " << response.body;
      return versions;
    }
    for (const json::value& entry : body.as_array()) {
      versions.push_back(entry.at("version").as_int64());
    }
    return versions;
  }
};

TEST_F(DashboardHistory, ListsEarlierVersionsNewestFirst) {
  const std::string path = createThreeVersions();
  ASSERT_FALSE(path.empty());

  const auto response = get(path + "/versions");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(headerOf(response, "Content-Type").starts_with("application/json"));
  const json::value body = bodyJson(response);
  ASSERT_TRUE(body.is_array()) << response.body;
  const json::array& history = body.as_array();
  ASSERT_EQ(history.size(), 2u) << response.body;

  const std::vector<std::pair<std::int64_t, std::string>> expected = {{2, "Second"}, {1, "First"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    const json::object& entry = history[i].as_object();
    EXPECT_EQ(entry.at("version"), json::value(expected[i].first));
    EXPECT_EQ(entry.at("name"), json::value(expected[i].second));
    EXPECT_TRUE(isIsoMillis(entry.at("updated_at")));
    ASSERT_TRUE(entry.contains("updated_by")) << json::serialize(entry);
    EXPECT_TRUE(entry.at("updated_by").is_string()) << json::serialize(entry);
  }
  EXPECT_EQ(history[1].at("updated_by"), json::value(user_)) << "version 1 is the creator's";
}

TEST_F(DashboardHistory, EachVersionReadsAsItWas) {
  const std::string path = createThreeVersions();
  ASSERT_FALSE(path.empty());
  const json::value current = bodyJson(get(path));

  const std::vector<std::tuple<int, std::string, std::string>> expected = {{1, "First", data1_},
                                                                           {2, "Second", data2_}};
  for (const auto& [version, name, data] : expected) {
    SCOPED_TRACE(version);
    const auto response = get(path + "/versions/" + std::to_string(version));
    ASSERT_EQ(response.status, 200u) << response.body;
    const json::value old = bodyJson(response);
    EXPECT_EQ(old.at("version"), json::value(version));
    EXPECT_EQ(old.at("name"), json::value(name));
    EXPECT_TRUE(sameJson(parseJson(data), old.at("data")));
    EXPECT_EQ(old.at("id"), current.at("id"));
    EXPECT_EQ(old.at("project_id"), current.at("project_id"));
    EXPECT_EQ(old.at("user_id"), current.at("user_id"));
    EXPECT_EQ(old.at("created_at"), current.at("created_at"));
  }

  const auto latest = get(path + "/versions/3");
  ASSERT_EQ(latest.status, 200u) << latest.body;
  EXPECT_TRUE(sameJson(current, bodyJson(latest)));

  for (std::string_view missing : {"99", "4", "0", "abc", "-1"}) {
    SCOPED_TRACE(missing);
    EXPECT_TRUE(isProblem(get(path + "/versions/" + std::string(missing)), 404, "not_found"));
  }
}

TEST_F(DashboardHistory, RestoreMakesTheOldVersionCurrentAsANewVersion) {
  const std::string path = createThreeVersions();
  ASSERT_FALSE(path.empty());

  const auto restored = restore(path, R"({"version":1})");

  ASSERT_EQ(restored.status, 200u) << restored.body;
  EXPECT_EQ(headerOf(restored, "ETag"), "\"4\"");
  const json::value body = bodyJson(restored);
  EXPECT_EQ(body.at("version"), json::value(4));
  EXPECT_EQ(body.at("name"), json::value("First"));
  EXPECT_TRUE(sameJson(parseJson(data1_), body.at("data")));

  const auto fetched = get(path);
  EXPECT_EQ(headerOf(fetched, "ETag"), "\"4\"");
  EXPECT_TRUE(sameJson(body, bodyJson(fetched)));
  EXPECT_EQ(listedVersions(path), (std::vector<std::int64_t>{3, 2, 1}));
  const json::value third = bodyJson(get(path + "/versions/3"));
  EXPECT_EQ(third.at("name"), json::value("Third"));
  EXPECT_TRUE(sameJson(parseJson(data3_), third.at("data")));
}

TEST_F(DashboardHistory, RestoreRefusalsChangeNothing) {
  const std::string path = createThreeVersions();
  ASSERT_FALSE(path.empty());
  const auto before = get(path);

  EXPECT_TRUE(isProblem(restore(path, R"({"version":99})"), 404, "not_found"));
  EXPECT_TRUE(isValidationError(restore(path, "{}"), "version"));
  EXPECT_TRUE(isValidationError(restore(path, R"({"name":"First"})"), "version"));
  EXPECT_TRUE(isVersionMismatch(restore(path, R"({"version":1})", "\"2\""), 3));
  EXPECT_TRUE(isProblem(restore("/dashboards/999999999", R"({"version":1})"), 404, "not_found"));

  EXPECT_EQ(get(path).body, before.body);
  EXPECT_EQ(listedVersions(path), (std::vector<std::int64_t>{2, 1}));

  const auto current = restore(path, R"({"version":2})", "\"3\"");
  ASSERT_EQ(current.status, 200u) << current.body;
  EXPECT_EQ(bodyJson(current).at("name"), json::value("Second"));
  EXPECT_EQ(headerOf(current, "ETag"), "\"4\"");
}

TEST_F(DashboardHistory, DeleteRemovesTheHistory) {
  const std::string path = createThreeVersions();
  ASSERT_FALSE(path.empty());

  const auto removed = send(client(), "DELETE", path);
  ASSERT_EQ(removed.status, 204u) << removed.body;

  EXPECT_TRUE(isProblem(get(path + "/versions"), 404, "not_found"));
  EXPECT_TRUE(isProblem(get(path + "/versions/1"), 404, "not_found"));
  EXPECT_TRUE(isProblem(restore(path, R"({"version":1})"), 404, "not_found"));
}

// --- a large dashboard at the body limit ---

std::string uuid(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) {
      out += '-';
    }
    out += kHex[rng() & 0xF];
  }
  return out;
}

// A number with a few decimals, as a grid layout writes them (e.g. 3.1 + a random part),
// read with std::from_chars so that it is the double nearest to its text.
double layoutNumber(std::mt19937_64& rng, unsigned whole_max) {
  const std::string text = std::to_string(rng() % whole_max) + ".1" + std::to_string(rng() % 1000);
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

const std::vector<std::string>& tileTexts() {
  static const std::vector<std::string> texts = {
      "Umsatz nach Monat – Q3 ☕",
      "Ventes totales (€) par région",
      "売上高 月別 📈",
      "Продажи по месяцам",
      "Ψηφιακές πωλήσεις ανά κανάλι",
      "ventas por categoría",
      "\"quoted\" \\ back\tslash\n",
      "עסקאות לפי לקוח",
  };
  return texts;
}

// A query result as the widget attaches it to a tile at run time: `rows` rows.
json::object queryResponse(std::mt19937_64& rng, std::size_t rows) {
  json::array data_rows;
  for (std::size_t r = 0; r < rows; ++r) {
    data_rows.push_back(json::array{"2024-" + std::to_string(1 + r % 12), layoutNumber(rng, 100000),
                                    tileTexts()[rng() % 8],
                                    static_cast<std::int64_t>(rng() % 5000)});
  }
  json::object columns_data{{"rows", std::move(data_rows)}};
  columns_data["columns"] =
      json::array{json::object{{"name", "month"}, {"type", "DATE"}, {"groupable", true}},
                  json::object{{"name", "sales"}, {"type", "DOLLAR_AMT"}},
                  json::object{{"name", "region"}, {"type", "STRING"}},
                  json::object{{"name", "count"}, {"type", "QUANTITY"}}};
  columns_data["sql"] = json::array{"select month, sum(sales) from orders group by month"};
  columns_data["interpretation"] = "total sales by month";
  return json::object{{"data", json::object{{"reference_id", "1.1.210"},
                                            {"message", "Success"},
                                            {"data", std::move(columns_data)}}}};
}

// One dashboard tile as the AutoQL Dashboard widget saves it, with its runtime results.
json::object makeTile(std::mt19937_64& rng, std::size_t index, std::size_t rows) {
  json::object tile;
  tile["key"] = uuid(rng);
  tile["i"] = uuid(rng);
  tile["w"] = static_cast<std::int64_t>(3 + rng() % 10);
  tile["h"] = static_cast<std::int64_t>(2 + rng() % 6);
  tile["x"] = static_cast<std::int64_t>(rng() % 12);
  tile["y"] = layoutNumber(rng, 400);
  tile["minW"] = 3;
  tile["minH"] = 2;
  tile["query"] = tileTexts()[index % 8] + " #" + std::to_string(index);
  tile["title"] = tileTexts()[(index + 3) % 8];
  tile["displayType"] = index % 3 == 0 ? "column_line" : "table";
  tile["queryResponse"] = queryResponse(rng, rows);
  tile["dataConfig"] =
      json::object{{"tableConfig", json::object{{"numberColumnIndices", json::array{1, 3}},
                                                {"stringColumnIndices", json::array{0, 2}},
                                                {"numberColumnIndex", 1},
                                                {"stringColumnIndex", 0}}},
                   {"legendColumnIndex", nullptr},
                   {"seriesColumnIndex", static_cast<std::int64_t>(index % 4)},
                   {"scale", layoutNumber(rng, 10)}};
  tile["isNewTile"] = false;
  tile["skipQueryValidation"] = true;
  tile["selectedSuggestion"] = nullptr;
  if (index % 5 == 0) {
    tile["splitView"] = true;
    tile["secondQueryResponse"] = queryResponse(rng, rows / 4);
    tile["secondDisplayType"] = "pie";
  }
  tile["queryValidationSelections"] = json::array{};
  return tile;
}

json::array makeTiles(std::mt19937_64& rng, std::size_t count, std::size_t rows) {
  json::array tiles;
  for (std::size_t i = 0; i < count; ++i) {
    tiles.push_back(makeTile(rng, i, rows));
  }
  return tiles;
}

TEST(LargeDashboard, SavesAtTheBodyLimitAndRefusesOneByteMore) {
  constexpr std::size_t kTiles = 800;
  constexpr std::size_t kRowsPerTile = 40;
  const std::string project = uniqueId("project");
  const std::string user = uniqueId("user");
  std::mt19937_64 rng(20260131);

  json::array tiles_a = makeTiles(rng, kTiles, kRowsPerTile);
  json::array tiles_b = makeTiles(rng, kTiles, kRowsPerTile);
  const std::string post_body = json::serialize(
      json::object{{"project_id", project}, {"user_id", user}, {"name", "Big"}, {"data", tiles_a}});
  std::string put_body = json::serialize(json::object{{"name", "Bigger"}, {"data", tiles_b}});
  // The PUT body sets the limit, so it must not be smaller than the POST body. The padding
  // goes into a runtime field, which is stripped.
  if (put_body.size() < post_body.size()) {
    tiles_b.back().as_object()["queryResponse"].as_object()["padding"] =
        std::string(post_body.size() - put_body.size() + 100, 'p');
    put_body = json::serialize(json::object{{"name", "Bigger"}, {"data", tiles_b}});
  }
  const std::size_t limit = put_body.size();
  ASSERT_GE(post_body.size(), 2'500'000u) << "the generated dashboard is too small";
  std::cout << "[ sizes    ] POST body " << post_body.size() << " B, PUT body = --max-body "
            << limit << " B, " << kTiles << " tiles\n";

  ServerProcess server({.extra_args = {"--max-body", std::to_string(limit)}});
  ASSERT_TRUE(server.ready()) << server.failure();

  const auto created =
      send(*server.client(), "POST", "/dashboards", jsonHeaders(), std::string_view(post_body));
  ASSERT_EQ(created.status, 201u) << created.body.substr(0, 500);
  const std::string path = headerOf(created, "Location");
  const json::value expected_a = withoutRuntimeFields(tiles_a);
  EXPECT_TRUE(sameJson(expected_a, bodyJson(created).at("data")));
  const auto fetched_a = send(*server.client(), "GET", path);
  ASSERT_EQ(fetched_a.status, 200u);
  EXPECT_TRUE(sameJson(expected_a, bodyJson(fetched_a).at("data")));
  EXPECT_EQ(fetched_a.body.find("queryResponse"), std::string::npos);
  std::cout << "[ sizes    ] stored dashboard as served: " << fetched_a.body.size() << " B\n";

  // Exactly at the limit: accepted.
  const auto replaced = send(*server.client(), "PUT", path, jsonHeaders(), put_body);
  ASSERT_EQ(replaced.status, 200u) << replaced.body.substr(0, 500);
  const auto before = send(*server.client(), "GET", path);
  EXPECT_TRUE(sameJson(withoutRuntimeFields(tiles_b), bodyJson(before).at("data")));
  EXPECT_EQ(headerOf(before, "ETag"), "\"2\"");

  // One byte over (a space, so the JSON stays valid): 413, and the dashboard stays.
  const std::string over = put_body + " ";
  const auto refused = send(*server.client(), "PUT", path, jsonHeaders(), over);
  EXPECT_TRUE(isProblem(refused, 413, "payload_too_large"));
  const auto after = send(*server.client(), "GET", path);
  EXPECT_EQ(after.status, 200u);
  EXPECT_TRUE(after.body == before.body) << "a refused PUT changed the dashboard";

  const std::string post_over = post_body + std::string(limit + 1 - post_body.size(), ' ');
  ASSERT_EQ(post_over.size(), limit + 1);
  EXPECT_TRUE(isProblem(send(*server.client(), "POST", "/dashboards", jsonHeaders(), post_over),
                        413, "payload_too_large"));
  EXPECT_EQ(listDashboardIds(*server.client(), project, user).size(), 1u);
}

// --- doubles ---

// Every number inside the `data` of a dashboard response, read from its text with
// std::from_chars (Boost.JSON 1.81's own conversion is not always the nearest double).
struct SeenNumber {
  bool is_double = false;
  double value = 0;
  std::string text;
};

class NumberCollector {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  std::vector<SeenNumber> numbers;  // those nested at least two levels deep, in order

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return enter(); }
  bool on_object_end(std::size_t, json::error_code&) { return leave(); }
  bool on_array_begin(json::error_code&) { return enter(); }
  bool on_array_end(std::size_t, json::error_code&) { return leave(); }
  bool on_key_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_number_part(json::string_view s, json::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t, json::string_view s, json::error_code&) { return number(false, s); }
  bool on_uint64(std::uint64_t, json::string_view s, json::error_code&) { return number(false, s); }
  bool on_double(double, json::string_view s, json::error_code&) { return number(true, s); }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  bool enter() {
    ++depth_;
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }
  bool number(bool is_double, json::string_view s) {
    text_.append(s.data(), s.size());
    if (depth_ >= 2) {
      SeenNumber seen{is_double, 0, text_};
      std::from_chars(text_.data(), text_.data() + text_.size(), seen.value);
      numbers.push_back(std::move(seen));
    }
    text_.clear();
    return true;
  }

  int depth_ = 0;
  std::string text_;
};

std::vector<SeenNumber> nestedNumbers(std::string_view text) {
  json::basic_parser<NumberCollector> parser(json::parse_options{});
  json::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  EXPECT_FALSE(ec) << ec.message() << ": " << text.substr(0, 300);
  return std::move(parser.handler().numbers);
}

// The text of a double as a client might print it: 17 significant digits, or the shortest
// text that reads back the same; always with a fraction or exponent.
std::string doubleText(double value, bool shortest) {
  char buffer[64];
  std::string text;
  if (shortest) {
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    text.assign(buffer, end);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    text = buffer;
  }
  if (text.find_first_of(".eE") == std::string::npos) {
    text += ".0";
  }
  return text;
}

class DashboardDoubles : public DashboardFixture {};

TEST_F(DashboardDoubles, SurviveBitForBit) {
  std::mt19937_64 rng(424242);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::string> texts;
  while (texts.size() < 500) {
    const std::size_t i = texts.size();
    double value = 0;
    if (i % 2 == 0) {
      value = std::bit_cast<double>(rng());  // any finite double, subnormals included
      if (!std::isfinite(value)) {
        continue;
      }
    } else {
      value = unit(rng) * std::pow(10.0, static_cast<int>(rng() % 13) - 6);
    }
    texts.push_back(doubleText(value, i % 4 < 2));
  }
  const std::vector<std::string> specials = {"0.42451918914251396", "0.9762551055929201",
                                             "1.7976931348623158e308", "5e-324", "-0.0"};

  std::string values;
  for (const std::string& text : texts) {
    values += (values.empty() ? "" : ",") + text;
  }
  const std::string data = R"([{"i":"doubles","values":[)" + values + R"(]},{"i":"special","a":)" +
                           specials[0] + R"(,"b":)" + specials[1] + R"(,"c":)" + specials[2] +
                           R"(,"d":)" + specials[3] + R"(,"e":)" + specials[4] + "}]";

  // Expected: this test's own text read with std::from_chars.
  std::vector<std::string> sent = texts;
  sent.insert(sent.end(), specials.begin(), specials.end());
  std::vector<double> expected;
  for (const std::string& text : sent) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    ASSERT_TRUE(ec == std::errc() && end == text.data() + text.size()) << text;
    expected.push_back(value);
  }
  ASSERT_EQ(std::bit_cast<std::uint64_t>(expected[502]),
            std::bit_cast<std::uint64_t>(std::numeric_limits<double>::max()));

  const auto created =
      sendJson(client(), "POST", "/dashboards", dashboardBody(project_, user_, "Doubles", data));
  ASSERT_EQ(created.status, 201u) << created.body.substr(0, 500);
  const auto fetched = get(headerOf(created, "Location"));
  ASSERT_EQ(fetched.status, 200u);

  for (const auto* response : {&created, &fetched}) {
    SCOPED_TRACE(response == &created ? "POST response" : "GET response");
    const std::vector<SeenNumber> seen = nestedNumbers(response->body);
    ASSERT_EQ(seen.size(), expected.size());
    int differing = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const bool same = seen[i].is_double && std::bit_cast<std::uint64_t>(seen[i].value) ==
                                                 std::bit_cast<std::uint64_t>(expected[i]);
      if (!same && ++differing <= 10) {
        ADD_FAILURE() << "number " << i << ": sent " << sent[i] << ", got " << seen[i].text
                      << (seen[i].is_double ? "" : " (as an integer)");
      }
    }
    EXPECT_EQ(differing, 0);
  }
}

// --- lists ---

class DashboardLists : public DashboardFixture {
 protected:
  // Follows Link headers from `target`; returns the ids of every page and the page sizes.
  std::pair<std::vector<std::int64_t>, std::vector<std::size_t>> walk(std::string target) {
    std::vector<std::int64_t> ids;
    std::vector<std::size_t> sizes;
    while (!target.empty() && sizes.size() < 20) {
      const auto response = get(target);
      if (response.status != 200) {
        ADD_FAILURE() << "GET " << target << ": " << response.status << " " << response.body;
        break;
      }
      const json::value page = bodyJson(response);
      const std::vector<std::int64_t> page_ids = idsOf(page.as_array());
      ids.insert(ids.end(), page_ids.begin(), page_ids.end());
      sizes.push_back(page_ids.size());
      target = nextTarget(response);
    }
    return {ids, sizes};
  }
};

TEST_F(DashboardLists, NewestFirstInAStableOrder) {
  std::vector<std::int64_t> created;
  for (int i = 0; i < 6; ++i) {
    created.insert(created.begin(),
                   createDashboard(client(), project_, user_, "d" + std::to_string(i)));
  }
  EXPECT_EQ(listDashboardIds(client(), project_, user_), created);
  EXPECT_EQ(listDashboardIds(client(), project_, user_), created);
}

TEST_F(DashboardLists, PagesFollowLinkUntilTheEnd) {
  std::vector<std::int64_t> created;
  for (int i = 0; i < 7; ++i) {
    created.insert(created.begin(),
                   createDashboard(client(), project_, user_, "d" + std::to_string(i)));
  }

  const auto first = get(listTarget("&limit=3"));
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_NE(nextTarget(first).find("offset=3"), std::string::npos) << headerOf(first, "Link");

  const auto [ids, sizes] = walk(listTarget("&limit=3"));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(ids, created);

  const auto last = get(listTarget("&limit=3&offset=6"));
  ASSERT_EQ(last.status, 200u);
  EXPECT_EQ(headerOf(last, "Link"), "") << "the last page has no next";
  const auto exact = get(listTarget("&limit=7"));
  EXPECT_EQ(bodyJson(exact).as_array().size(), 7u);
  EXPECT_EQ(headerOf(exact, "Link"), "");
  EXPECT_EQ(get(listTarget("&limit=1000")).status, 200u);
}

TEST_F(DashboardLists, LinkIsPercentEncodedForAnyUserId) {
  const std::string project = project_ + " p&q";
  const std::string user = "ana+bob & co/é ü=" + user_;
  std::vector<std::int64_t> created;
  for (int i = 0; i < 3; ++i) {
    created.insert(created.begin(),
                   createDashboard(client(), project, user, "d" + std::to_string(i)));
  }
  createDashboard(client(), project, "ana bob & co/é ü=" + user_, "a different user");

  const std::string target = "/dashboards?project_id=" + percentEncode(project) +
                             "&user_id=" + percentEncode(user) + "&limit=2";
  const auto first = get(target);
  ASSERT_EQ(first.status, 200u) << first.body;
  const std::string next = nextTarget(first);
  ASSERT_FALSE(next.empty()) << "no Link on a page with more after it";
  for (char c : next) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte > 0x20 && byte < 0x7F) << "unencoded byte in the Link: " << next;
  }
  EXPECT_EQ(next.find('+'), std::string::npos) << "'+' reads as a space: " << next;

  const auto [ids, sizes] = walk(target);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 1}));
  EXPECT_EQ(ids, created);
  const auto second = get(next);
  ASSERT_EQ(second.status, 200u) << second.body;
  const json::value second_page = bodyJson(second);
  for (const json::value& dashboard : second_page.as_array()) {
    EXPECT_EQ(dashboard.at("user_id"), json::value(user));
    EXPECT_EQ(dashboard.at("project_id"), json::value(project));
  }
}

TEST_F(DashboardLists, RefusesBadPagingNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"&limit=0", "limit"},    {"&limit=1001", "limit"},          {"&limit=abc", "limit"},
      {"&offset=-1", "offset"}, {"&limit=2&offset=1e3", "offset"},
  };
  for (const auto& [query, field] : cases) {
    SCOPED_TRACE(query);
    EXPECT_TRUE(isValidationError(get(listTarget(query)), field));
  }
}

// --- /api/v1 ---

class ApiV1Dashboards : public DashboardFixture {
 protected:
  // POST /api/v1/dashboards {name, project_id, username}; returns the created object.
  json::value createV1(std::string_view name) {
    const json::object body{{"name", name}, {"project_id", project_}, {"username", user_}};
    const auto response = sendJson(client(), "POST", "/api/v1/dashboards", json::serialize(body));
    EXPECT_EQ(response.status, 201u) << response.body;
    if (response.status != 201) {
      return nullptr;
    }
    const json::value created = bodyJson(response);
    EXPECT_EQ(headerOf(response, "Location"),
              "/api/v1/dashboards/" + std::to_string(created.at("id").as_int64()));
    EXPECT_EQ(headerOf(response, "ETag"), "\"1\"");
    return created;
  }
};

TEST_F(ApiV1Dashboards, CreateWithUsernameAndNoData) {
  const json::value created = createV1("Mobile");
  ASSERT_TRUE(created.is_object());
  EXPECT_TRUE(created.at("id").is_int64());
  EXPECT_EQ(created.at("user_id"), json::value(user_));
  EXPECT_EQ(created.at("project_id"), json::value(project_));
  EXPECT_TRUE(sameJson(json::array(), created.at("data")));
  EXPECT_TRUE(isIsoMillis(created.at("created_at")));
}

TEST_F(ApiV1Dashboards, ListIsWrappedInItems) {
  const json::value first = createV1("first");
  const json::value second = createV1("second");
  ASSERT_TRUE(first.is_object() && second.is_object());
  const std::vector<std::int64_t> expected = {second.at("id").as_int64(),
                                              first.at("id").as_int64()};

  const std::string owner = "project_id=" + project_;
  const std::vector<std::pair<std::string, std::vector<Header>>> cases = {
      {"/api/v1/dashboards?" + owner + "&user_id=" + user_, {}},
      {"/api/v1/dashboards?" + owner + "&username=" + user_, {}},
      {"/api/v1/dashboards?key=abc&" + owner + "&username=" + user_,
       {{"Integrator-Domain", "example.com"}}},
  };
  for (const auto& [target, headers] : cases) {
    SCOPED_TRACE(target);
    const auto response = send(client(), "GET", target, headers);
    ASSERT_EQ(response.status, 200u) << response.body;
    const json::value body = bodyJson(response);
    ASSERT_TRUE(body.is_object()) << response.body;
    ASSERT_TRUE(body.as_object().contains("items")) << response.body;
    const json::array& items = body.at("items").as_array();
    for (const json::value& item : items) {
      EXPECT_TRUE(item.at("id").is_int64()) << json::serialize(item);
      EXPECT_TRUE(isIsoMillis(item.at("created_at")));
    }
    EXPECT_EQ(idsOf(items), expected);
  }
  // The same dashboards, as the Flask sample's routes see them.
  EXPECT_EQ(listDashboardIds(client(), project_, user_), expected);
}

TEST_F(ApiV1Dashboards, PutVersionsAndDelete) {
  const json::value created = createV1("Before");
  ASSERT_TRUE(created.is_object());
  const std::string path = "/api/v1/dashboards/" + std::to_string(created.at("id").as_int64());

  const auto updated = put(path, R"({"name":"After","data":[{"i":"a","x":1.5}]})");
  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_EQ(headerOf(updated, "ETag"), "\"2\"");
  const json::value fetched = bodyJson(get(path));
  EXPECT_EQ(fetched.at("name"), json::value("After"));
  EXPECT_TRUE(sameJson(parseJson(R"([{"i":"a","x":1.5}])"), fetched.at("data")));

  EXPECT_TRUE(isVersionMismatch(put(path, R"({"name":"Stale"})", "\"1\""), 2));

  const auto versions = get(path + "/versions");
  ASSERT_EQ(versions.status, 200u) << versions.body;
  const json::value history = bodyJson(versions);
  ASSERT_TRUE(history.is_object() && history.as_object().contains("items")) << versions.body;
  ASSERT_EQ(history.at("items").as_array().size(), 1u) << versions.body;
  EXPECT_EQ(history.at("items").at(0).at("version"), json::value(1));
  EXPECT_EQ(history.at("items").at(0).at("name"), json::value("Before"));

  const auto removed = send(client(), "DELETE", path);
  EXPECT_EQ(removed.status, 204u) << removed.body;
  EXPECT_TRUE(isProblem(get(path), 404, "not_found"));
}

// --- validation ---

class DashboardValidation : public DashboardFixture {
 protected:
  std::string owner() const {
    return R"("project_id":")" + project_ + R"(","user_id":")" + user_ + "\"";
  }
};

std::string repeatText(std::string_view text, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += text;
  }
  return out;
}

TEST_F(DashboardValidation, NameLengthCountsCharactersNotBytes) {
  const std::string longest = repeatText("é", 256);  // 512 bytes
  const auto created =
      sendJson(client(), "POST", "/dashboards", dashboardBody(project_, user_, longest));
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(bodyJson(created).at("name").as_string(), longest);

  for (const std::string& name : {std::string(), repeat('n', 257), repeatText("é", 257)}) {
    SCOPED_TRACE(name.size());
    EXPECT_TRUE(isValidationError(
        sendJson(client(), "POST", "/dashboards", dashboardBody(project_, user_, name)), "name"));
    EXPECT_TRUE(isValidationError(
        put(headerOf(created, "Location"), json::serialize(json::object{{"name", name}})), "name"));
  }
  EXPECT_EQ(listDashboardIds(client(), project_, user_).size(), 1u);
}

TEST_F(DashboardValidation, OwnerLengths) {
  EXPECT_TRUE(isValidationError(
      sendJson(client(), "POST", "/dashboards", dashboardBody(repeat('p', 513), user_, "n")),
      "project_id"));
  EXPECT_TRUE(isValidationError(
      sendJson(client(), "POST", "/dashboards", dashboardBody(project_, repeat('u', 257), "n")),
      "user_id"));
  EXPECT_TRUE(listDashboardIds(client(), project_, user_).empty());
}

TEST_F(DashboardValidation, DataMustBeAnArrayOfObjects) {
  const std::string path = create("Valid", R"([{"i":"keep"}])");
  ASSERT_FALSE(path.empty());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"i":"a"})", "data"},
      {R"("[]")", "data"},
      {"42", "data"},
      {R"([{"i":"a"},"b"])", "data[1]"},
      {R"([{"i":"a"},{},null])", "data[2]"},
      {"[[]]", "data[0]"},
  };
  for (const auto& [data, field] : cases) {
    SCOPED_TRACE(data);
    EXPECT_TRUE(isValidationError(
        sendJson(client(), "POST", "/dashboards", dashboardBody(project_, user_, "n", data)),
        field));
    EXPECT_TRUE(isValidationError(put(path, R"({"name":"n","data":)" + data + "}"), field));
  }
  const json::value stored = bodyJson(get(path));
  EXPECT_EQ(stored.at("version"), json::value(1));
  EXPECT_TRUE(sameJson(parseJson(R"([{"i":"keep"}])"), stored.at("data")));
  EXPECT_EQ(listDashboardIds(client(), project_, user_).size(), 1u);
}

TEST_F(DashboardValidation, VersionFieldMustBeAPositiveInteger) {
  const std::string path = create("Versioned");
  ASSERT_FALSE(path.empty());
  for (const char* version : {"0", "-1", "\"3\"", "1.5", "true", "[1]"}) {
    SCOPED_TRACE(version);
    EXPECT_TRUE(isValidationError(
        put(path, std::string(R"({"name":"n","version":)") + version + "}"), "version"));
    EXPECT_TRUE(
        isValidationError(restore(path, std::string(R"({"version":)") + version + "}"), "version"));
  }
  EXPECT_EQ(headerOf(get(path), "ETag"), "\"1\"");
}

TEST_F(DashboardValidation, BodyNeverOverwritesStoredFields) {
  const std::string post = "{" + owner() +
                           R"(,"name":"n","id":999999999,"version":77,)"
                           R"("created_at":"2000-01-01T00:00:00.000Z",)"
                           R"("updated_at":"2000-01-01T00:00:00.000Z","updated_by":"intruder"})";
  const auto created = sendJson(client(), "POST", "/dashboards", post);
  ASSERT_EQ(created.status, 201u) << created.body;
  const json::value original = bodyJson(created);
  EXPECT_NE(original.at("id"), json::value(999999999));
  EXPECT_EQ(original.at("version"), json::value(1));
  EXPECT_NE(original.at("created_at"), json::value("2000-01-01T00:00:00.000Z"));
  EXPECT_NE(original.at("updated_at"), json::value("2000-01-01T00:00:00.000Z"));
  const std::string path = headerOf(created, "Location");

  const std::string intruder = uniqueId("intruder");
  const auto updated =
      put(path, R"({"name":"m","id":999999998,"user_id":")" + intruder +
                    R"(","project_id":"elsewhere","created_at":"2000-01-01T00:00:00.000Z"})");
  ASSERT_EQ(updated.status, 200u) << updated.body;

  const json::value stored = bodyJson(get(path));
  EXPECT_EQ(stored.at("name"), json::value("m"));
  EXPECT_EQ(stored.at("id"), original.at("id"));
  EXPECT_EQ(stored.at("user_id"), json::value(user_));
  EXPECT_EQ(stored.at("project_id"), json::value(project_));
  EXPECT_EQ(stored.at("created_at"), original.at("created_at"));
  EXPECT_EQ(stored.at("version"), json::value(2));
  EXPECT_EQ(listDashboardIds(client(), project_, user_),
            std::vector<std::int64_t>{original.at("id").as_int64()});
  EXPECT_TRUE(listDashboardIds(client(), "elsewhere", intruder).empty());
}

}  // namespace
}  // namespace autoql::e2e
