// Helpers shared by the end-to-end tests; see e2e_support.h.
#include "e2e_support.h"

#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "security/webhook_signature.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;

// Responses may nest as deep as the server accepts (64) plus a little.
constexpr std::size_t kClientJsonDepth = 256;
// How much of the server log a failed test prints.
constexpr std::size_t kLogTailBytes = 8 * 1024;

std::string kindName(json::kind kind) {
  return std::string(json::to_string(kind));
}

bool isInteger(const json::value& v) {
  return v.is_int64() || v.is_uint64();
}

bool sameInteger(const json::value& a, const json::value& b) {
  if (a.kind() == b.kind()) {
    return a.is_int64() ? a.get_int64() == b.get_int64() : a.get_uint64() == b.get_uint64();
  }
  // One int64 and one uint64: equal only when both are non-negative and equal.
  const json::value& signed_value = a.is_int64() ? a : b;
  const json::value& unsigned_value = a.is_int64() ? b : a;
  return signed_value.get_int64() >= 0 &&
         static_cast<std::uint64_t>(signed_value.get_int64()) == unsigned_value.get_uint64();
}

::testing::AssertionResult differ(const std::string& path, const std::string& what) {
  return ::testing::AssertionFailure()
         << "JSON differs at " << (path.empty() ? "$" : path) << ": " << what;
}

::testing::AssertionResult compareJson(const json::value& expected, const json::value& actual,
                                       const std::string& path);

::testing::AssertionResult compareObjects(const json::object& expected, const json::object& actual,
                                          const std::string& path) {
  if (expected.size() != actual.size()) {
    return differ(path, "expected " + std::to_string(expected.size()) + " keys, got " +
                            std::to_string(actual.size()) + ": " + json::serialize(actual));
  }
  auto want = expected.begin();
  auto got = actual.begin();
  for (; want != expected.end(); ++want, ++got) {
    if (want->key() != got->key()) {
      return differ(path, "expected key \"" + std::string(want->key()) + "\", got \"" +
                              std::string(got->key()) + "\" (key order)");
    }
    auto result = compareJson(want->value(), got->value(), path + "." + std::string(want->key()));
    if (!result) {
      return result;
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult compareArrays(const json::array& expected, const json::array& actual,
                                         const std::string& path) {
  if (expected.size() != actual.size()) {
    return differ(path, "expected " + std::to_string(expected.size()) + " items, got " +
                            std::to_string(actual.size()));
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto result = compareJson(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
    if (!result) {
      return result;
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult compareJson(const json::value& expected, const json::value& actual,
                                       const std::string& path) {
  if (isInteger(expected) && isInteger(actual)) {
    return sameInteger(expected, actual)
               ? ::testing::AssertionSuccess()
               : differ(path, json::serialize(expected) + " != " + json::serialize(actual));
  }
  if (expected.kind() != actual.kind()) {
    return differ(path, "expected a " + kindName(expected.kind()) + " (" +
                            json::serialize(expected) + "), got a " + kindName(actual.kind()) +
                            " (" + json::serialize(actual) + ")");
  }
  switch (expected.kind()) {
    case json::kind::object:
      return compareObjects(expected.get_object(), actual.get_object(), path);
    case json::kind::array:
      return compareArrays(expected.get_array(), actual.get_array(), path);
    default:
      return expected == actual
                 ? ::testing::AssertionSuccess()
                 : differ(path, json::serialize(expected) + " != " + json::serialize(actual));
  }
}

}  // namespace

std::unique_ptr<ServerProcess> SharedServerTest::server_;

void SharedServerTest::startSharedServer(ServerSpec spec) {
  server_ = std::make_unique<ServerProcess>(std::move(spec));
}

void SharedServerTest::TearDownTestSuite() {
  server_.reset();
}

void SharedServerTest::SetUp() {
  ASSERT_TRUE(server_ && server_->ready()) << (server_ ? server_->failure() : "no server");
  client_ = server_->client();
}

void SharedServerTest::TearDown() {
  if (HasFailure() && server_) {
    const std::string log = server_->log();
    std::cerr << "--- server log (tail) ---\n"
              << log.substr(log.size() > kLogTailBytes ? log.size() - kLogTailBytes : 0)
              << "--- end of server log ---\n";
  }
}

ClientResponse send(Client& client, std::string_view method, std::string_view target,
                    const std::vector<Header>& headers, std::string_view body) {
  auto response = client.send(method, target, headers, body);
  if (!response) {
    ADD_FAILURE() << method << " " << target << ": " << response.error();
    return {};
  }
  return std::move(response).value();
}

ClientResponse sendJson(Client& client, std::string_view method, std::string_view target,
                        std::string_view body) {
  return send(client, method, target, {{"Content-Type", "application/json"}}, body);
}

ClientResponse sendRaw(Client& client, std::string_view bytes) {
  auto response = client.sendRaw(bytes);
  return response ? std::move(response).value() : ClientResponse{};
}

std::string chunkedRequest(std::string_view method, std::string_view target, std::string_view body,
                           std::size_t chunk) {
  std::ostringstream request;
  request << method << " " << target << " HTTP/1.1\r\nHost: e2e\r\n"
          << "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    const std::string_view part = body.substr(at, chunk);
    request << std::hex << part.size() << "\r\n" << part << "\r\n";
  }
  request << "0\r\n\r\n";
  return request.str();
}

json::value parseJson(std::string_view text) {
  json::parse_options options;
  options.max_depth = kClientJsonDepth;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) {
    ADD_FAILURE() << "not JSON (" << ec.message() << "): " << text.substr(0, 500);
    return nullptr;
  }
  return value;
}

json::value bodyJson(const ClientResponse& response) {
  return parseJson(response.body);
}

std::string headerOf(const ClientResponse& response, std::string_view name) {
  return std::string(response.header(name).value_or(""));
}

::testing::AssertionResult isProblem(const ClientResponse& response, unsigned status,
                                     std::string_view code) {
  auto failure = [&]() {
    return ::testing::AssertionFailure()
           << "expected a " << status << " " << code << " problem, got " << response.status << " ("
           << headerOf(response, "Content-Type") << ") " << response.body << ": ";
  };
  if (response.status != status) {
    return failure() << "wrong status";
  }
  if (!headerOf(response, "Content-Type").starts_with("application/problem+json")) {
    return failure() << "wrong Content-Type";
  }
  boost::system::error_code ec;
  const json::value body = json::parse(response.body, ec);
  const json::object* object = ec ? nullptr : body.if_object();
  if (object == nullptr) {
    return failure() << "the body is not a JSON object";
  }
  for (const char* field : {"type", "title", "detail", "code"}) {
    const json::value* value = object->if_contains(field);
    if (value == nullptr || !value->is_string() || value->get_string().empty()) {
      return failure() << "no string field " << field;
    }
  }
  const json::value* status_field = object->if_contains("status");
  if (status_field == nullptr || !status_field->is_int64() ||
      status_field->get_int64() != static_cast<std::int64_t>(status)) {
    return failure() << "the status field differs from the HTTP status";
  }
  if (object->at("code").get_string() != code) {
    return failure() << "wrong code";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult isValidationError(const ClientResponse& response,
                                             std::string_view field) {
  auto problem = isProblem(response, 400, "validation_failed");
  if (!problem) {
    return problem;
  }
  const json::value body = json::parse(response.body);
  const json::array* errors =
      body.get_object().contains("errors") ? body.at("errors").if_array() : nullptr;
  if (errors == nullptr) {
    return ::testing::AssertionFailure() << "no errors[] in " << response.body;
  }
  for (const json::value& error : *errors) {
    const json::object* entry = error.if_object();
    const json::value* name = entry ? entry->if_contains("field") : nullptr;
    if (name != nullptr && name->is_string() && name->get_string() == field) {
      const json::value* message = entry->if_contains("message");
      if (message == nullptr || !message->is_string() || message->get_string().empty()) {
        return ::testing::AssertionFailure() << "the error for " << field << " has no message";
      }
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "errors[] does not name \"" << field << "\": " << response.body;
}

::testing::AssertionResult sameJson(const json::value& expected, const json::value& actual) {
  return compareJson(expected, actual, "");
}

std::string readDataFile(std::string_view name) {
  const std::string path = std::string(AUTOQL_E2E_DATA_DIR) + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string uniqueId(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  static const unsigned run = std::random_device{}() % 0x10000;
  std::ostringstream id;
  id << prefix << "-" << getpid() << "-" << std::hex << run << "-" << std::dec << ++counter;
  return id.str();
}

std::string repeat(char c, std::size_t count) {
  return std::string(count, c);
}

std::int64_t nowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string dashboardBody(std::string_view project_id, std::string_view user_id,
                          std::string_view name, std::string_view data_json) {
  json::object body;
  body["project_id"] = project_id;
  body["user_id"] = user_id;
  body["name"] = name;
  std::string text = json::serialize(body);
  text.pop_back();  // the closing brace: data goes in verbatim
  return text + ",\"data\":" + std::string(data_json) + "}";
}

std::int64_t createDashboard(Client& client, std::string_view project_id, std::string_view user_id,
                             std::string_view name) {
  const auto response =
      sendJson(client, "POST", "/dashboards", dashboardBody(project_id, user_id, name));
  if (response.status != 201) {
    ADD_FAILURE() << "creating a dashboard: " << response.status << " " << response.body;
    return 0;
  }
  return bodyJson(response).at("id").as_int64();
}

std::vector<std::int64_t> listDashboardIds(Client& client, std::string_view project_id,
                                           std::string_view user_id) {
  const std::string target =
      "/dashboards?project_id=" + std::string(project_id) + "&user_id=" + std::string(user_id);
  const auto response = send(client, "GET", target);
  std::vector<std::int64_t> ids;
  if (response.status != 200) {
    ADD_FAILURE() << "GET " << target << ": " << response.status << " " << response.body;
    return ids;
  }
  const json::value list = bodyJson(response);
  for (const json::value& dashboard : list.as_array()) {
    ids.push_back(dashboard.at("id").as_int64());
  }
  return ids;
}

std::string sampleAlert(std::string_view notification_id) {
  std::string body = readDataFile("data-alert.json");
  const std::size_t at = body.find(kSampleNotificationId);
  if (at == std::string::npos) {
    ADD_FAILURE() << "data-alert.json no longer holds " << kSampleNotificationId;
    return body;
  }
  return body.replace(at, kSampleNotificationId.size(), notification_id);
}

std::string compactAlert(std::string_view notification_id, std::string_view title,
                         std::string_view created_at) {
  return R"({"event":"data_alert.true","payload":{"notification_id":")" +
         std::string(notification_id) +
         R"(","data_alert_id":"da_e2e","project_id":"e2e-project","title":")" + std::string(title) +
         R"(","message":"Sales goal reached","users":["user-42","user-7"],"created_at":)" +
         std::string(created_at) +
         R"(,"data_return_query":"total sales","query_result":{"data":{"rows":[[1,2.5]]}}}})";
}

std::vector<Header> signedHeaders(std::string_view body, std::string_view timestamp,
                                  std::string_view secret) {
  return {{"Content-Type", "application/json"},
          {"AutoQL-Timestamp", std::string(timestamp)},
          {"AutoQL-Signature", security::signWebhook(secret, timestamp, body)}};
}

ClientResponse deliver(Client& client, std::string_view body, std::string_view secret,
                       std::string_view path) {
  const std::string timestamp = std::to_string(nowMillis());
  return send(client, "POST", path, signedHeaders(body, timestamp, secret), body);
}

ClientResponse deliverWith(Client& client, std::string_view body,
                           const std::vector<Header>& headers) {
  return send(client, "POST", kWebhookPath, headers, body);
}

std::string webhookMessage(const ClientResponse& response) {
  if (response.status != 200) {
    return "";
  }
  boost::system::error_code ec;
  const json::value body = json::parse(response.body, ec);
  const json::object* object = ec ? nullptr : body.if_object();
  const json::value* message = object ? object->if_contains("message") : nullptr;
  return message && message->is_string() ? std::string(message->get_string()) : "";
}

}  // namespace autoql::e2e
