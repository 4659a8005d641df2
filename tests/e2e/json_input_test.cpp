// Untrusted request bodies (DESIGN 3.1, 3.2, 6): malformed JSON is a 400 invalid_json and
// never a 5xx; nesting is limited to 64 levels; bodies over --max-body get 413 and store
// nothing, whether sent with Content-Length or chunked.
#include "e2e_support.h"

namespace autoql::e2e {
namespace {

class JsonInput : public SharedServerTest {
 protected:
  std::string project_ = uniqueId("project");
  std::string user_ = uniqueId("user");

  ClientResponse post(std::string_view body) {
    return sendJson(client(), "POST", "/dashboards", body);
  }
};

// `depth` arrays nested in each other: [[...]].
std::string nestedArrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// `depth` objects nested in each other: {"a":{"a":...1}}.
std::string nestedObjects(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) {
    text += "{\"a\":";
  }
  return text + "1" + std::string(depth, '}');
}

struct BadJsonCase {
  std::string label;
  std::string body;
};

TEST_F(JsonInput, MalformedJsonIs400InvalidJson) {
  const std::string head =
      R"({"project_id":")" + project_ + R"(","user_id":")" + user_ + R"(","name":)";
  const std::vector<BadJsonCase> cases = {
      {"unterminated object", "{"},
      {"empty body", ""},
      {"trailing comma", head + R"("n",})"},
      {"trailing garbage", head + R"("n"} x)"},
      {"two documents", head + R"("n"}{})"},
      {"single quotes", R"({'name':'n'})"},
      {"NaN", head + "NaN}"},
      {"leading zero", head + R"("n","x":01})"},
      {"comment", "// c\n" + head + R"("n"})"},
      {"raw tab in a string", head + "\"a\tb\"}"},
      {"invalid UTF-8 byte", head + "\"\xff\"}"},
      {"truncated UTF-8 sequence", head + "\"\xc3\"}"},
      {"overlong UTF-8 encoding", head + "\"\xc0\xaf\"}"},
      {"UTF-16 surrogate encoded as UTF-8", head + "\"\xed\xa0\x80\"}"},
      {"lone leading surrogate escape", head + R"("\ud800"})"},
      {"lone trailing surrogate escape", head + R"("\udc00"})"},
      {"bad escape", head + R"("\x41"})"},
      {"65 nested arrays", nestedArrays(65)},
      {"65 nested objects", nestedObjects(65)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_TRUE(isProblem(post(c.body), 400, "invalid_json"));
  }
  EXPECT_TRUE(listDashboardIds(client(), project_, user_).empty());
}

TEST_F(JsonInput, NestingOf64LevelsIsParsed) {
  // 64 levels parse; the bodies are then refused for not being dashboards, not as bad JSON.
  EXPECT_TRUE(isProblem(post(nestedArrays(64)), 400, "validation_failed"));
  EXPECT_TRUE(isProblem(post(nestedObjects(64)), 400, "validation_failed"));
}

TEST_F(JsonInput, TileNestingCountsTheWholeBody) {
  // Body object (1) > data array (2) > tile object (3) > `levels` nested arrays.
  auto body = [&](std::size_t levels) {
    return dashboardBody(project_, user_, "deep", "[{\"n\":" + nestedArrays(levels) + "}]");
  };

  const auto at_limit = post(body(61));
  ASSERT_EQ(at_limit.status, 201u) << at_limit.body;
  const auto fetched = send(client(), "GET", headerOf(at_limit, "Location"));
  ASSERT_EQ(fetched.status, 200u);
  EXPECT_TRUE(
      sameJson(parseJson("[{\"n\":" + nestedArrays(61) + "}]"), bodyJson(fetched).at("data")));

  EXPECT_TRUE(isProblem(post(body(62)), 400, "invalid_json"));
  EXPECT_EQ(listDashboardIds(client(), project_, user_).size(), 1u);
}

TEST_F(JsonInput, HugeNumberIsRefusedOrServedAsValidJson) {
  // 1e400 does not fit a double. Refusing it is fine; storing it must not produce JSON
  // that no client can read (a bare "inf").
  const auto response = post(dashboardBody(project_, user_, "huge", R"([{"y":1e400}])"));

  ASSERT_TRUE(response.status == 201 || response.status == 400) << response.body;
  if (response.status == 400) {
    EXPECT_TRUE(isProblem(response, 400, "invalid_json"));
    return;
  }
  EXPECT_EQ(bodyJson(response).at("data").at(0).at("y").kind(), boost::json::kind::double_);
  const auto fetched = send(client(), "GET", headerOf(response, "Location"));
  EXPECT_EQ(fetched.status, 200u);
  EXPECT_TRUE(bodyJson(fetched).is_object()) << "not valid JSON: " << fetched.body;
}

// --- body size limit ---

constexpr std::size_t kMaxBody = 64 * 1024;

class BodyLimit : public SharedServerTest {
 protected:
  static void SetUpTestSuite() { startSharedServer({.extra_args = {"--max-body", "64KiB"}}); }

  std::string project_ = uniqueId("project");
  std::string user_ = uniqueId("user");

  // A valid POST /dashboards body of exactly `size` bytes (padded inside a tile).
  std::string bodyOfSize(std::size_t size) const {
    const std::string empty = dashboardBody(project_, user_, "big", R"([{"pad":""}])");
    return dashboardBody(project_, user_, "big",
                         R"([{"pad":")" + repeat('x', size - empty.size()) + R"("}])");
  }
};

TEST_F(BodyLimit, BodyAtTheLimitIsAccepted) {
  const std::string body = bodyOfSize(kMaxBody);
  ASSERT_EQ(body.size(), kMaxBody);

  const auto response = sendJson(client(), "POST", "/dashboards", body);
  EXPECT_EQ(response.status, 201u) << response.body.substr(0, 300);
}

TEST_F(BodyLimit, ChunkedBodyAtTheLimitIsAccepted) {
  const auto response =
      sendRaw(client(), chunkedRequest("POST", "/dashboards", bodyOfSize(kMaxBody), 10'000));
  EXPECT_EQ(response.status, 201u) << response.body.substr(0, 300);
}

TEST_F(BodyLimit, ContentLengthOneByteOverIs413AndStoresNothing) {
  const auto response = sendJson(client(), "POST", "/dashboards", bodyOfSize(kMaxBody + 1));

  EXPECT_TRUE(isProblem(response, 413, "payload_too_large"));
  auto other = server().client();
  EXPECT_TRUE(listDashboardIds(*other, project_, user_).empty());
}

TEST_F(BodyLimit, ChunkedBodyOneByteOverIs413AndStoresNothing) {
  const auto response =
      sendRaw(client(), chunkedRequest("POST", "/dashboards", bodyOfSize(kMaxBody + 1), 32 * 1024));

  EXPECT_TRUE(isProblem(response, 413, "payload_too_large"));
  auto other = server().client();
  EXPECT_TRUE(listDashboardIds(*other, project_, user_).empty());
}

TEST_F(BodyLimit, OversizedWebhookIs413) {
  const std::string body = compactAlert(uniqueId("nt"), repeat('t', kMaxBody));
  EXPECT_TRUE(isProblem(deliver(client(), body), 413, "payload_too_large"));
}

}  // namespace
}  // namespace autoql::e2e
