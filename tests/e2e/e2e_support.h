// Shared helpers for the end-to-end tests: a fixture that runs one server per test suite,
// request shortcuts, JSON and problem+json assertions, the sample inputs, and signed
// webhook deliveries. Test-thread only, except where a function says otherwise.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"
#include "server_process.h"

namespace autoql::e2e {

using http::Client;
using http::ClientResponse;
using http::Header;

// One server, started with the default spec, shared by every test of a suite: tests that
// use it create their own ids, so they do not see each other's data.
class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { startSharedServer({}); }
  static void TearDownTestSuite();

  // For suites that need other flags: call from their own SetUpTestSuite.
  static void startSharedServer(ServerSpec spec);

  void SetUp() override;
  void TearDown() override;  // prints the server log when the test failed

  static ServerProcess& server() { return *server_; }

  // A client of the shared server, created for each test.
  Client& client() { return *client_; }

 private:
  static std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

// Sends a request; a transport failure (connect, time-out) fails the test and gives a
// response with status 0.
ClientResponse send(Client& client, std::string_view method, std::string_view target,
                    const std::vector<Header>& headers = {}, std::string_view body = {});

// POST or PUT with Content-Type: application/json.
ClientResponse sendJson(Client& client, std::string_view method, std::string_view target,
                        std::string_view body);

// Writes raw bytes and reads one response; a failure gives status 0 (without failing).
ClientResponse sendRaw(Client& client, std::string_view bytes);

// A raw HTTP/1.1 request with `body` sent chunked, in chunks of at most `chunk` bytes.
std::string chunkedRequest(std::string_view method, std::string_view target, std::string_view body,
                           std::size_t chunk);

// Parses JSON with room for deep nesting; a parse failure fails the test and gives null.
boost::json::value parseJson(std::string_view text);

// The response body as JSON (see parseJson).
boost::json::value bodyJson(const ClientResponse& response);

// The value of a header, or "" when absent.
std::string headerOf(const ClientResponse& response, std::string_view name);

// Checks an RFC 9457 error: the status, Content-Type application/problem+json, the
// fields type, title, status (equal to the HTTP status), detail, and `code`.
::testing::AssertionResult isProblem(const ClientResponse& response, unsigned status,
                                     std::string_view code);

// Checks a 400 validation_failed whose errors[] has an entry for `field`.
::testing::AssertionResult isValidationError(const ClientResponse& response,
                                             std::string_view field);

// Compares two JSON values strictly: same kinds (int64 and uint64 count as one), object
// keys in the same order, strings byte for byte, doubles bit for bit. Names the first
// difference by its path.
::testing::AssertionResult sameJson(const boost::json::value& expected,
                                    const boost::json::value& actual);

// The bytes of a file in the e2e data folder (the copied samples).
std::string readDataFile(std::string_view name);

// A string unique in this run, e.g. "dash-4711-3-9f2c" for prefix "dash". Thread-safe.
std::string uniqueId(std::string_view prefix);

// `count` copies of `c`.
std::string repeat(char c, std::size_t count);

// Unix time in milliseconds, now.
std::int64_t nowMillis();

// --- dashboards ---

// A POST /dashboards body for the owner with `data_json` inserted verbatim.
std::string dashboardBody(std::string_view project_id, std::string_view user_id,
                          std::string_view name, std::string_view data_json = "[]");

// Creates a dashboard and returns its id; fails the test (and returns 0) unless 201.
std::int64_t createDashboard(Client& client, std::string_view project_id, std::string_view user_id,
                             std::string_view name);

// GET /dashboards?project_id&user_id: the listed ids in order.
std::vector<std::int64_t> listDashboardIds(Client& client, std::string_view project_id,
                                           std::string_view user_id);

// --- webhook ---

inline constexpr std::string_view kWebhookPath = "/webhooks/autoql";
inline constexpr std::string_view kSampleNotificationId = "nt_6b4cb2424a23d5962217beaddbc496cb";

// The sample Data Alert's bytes as on disk, with its notification_id replaced by `id`.
std::string sampleAlert(std::string_view notification_id);

// A compact Data Alert body (one line, every payload field) with the given values.
std::string compactAlert(std::string_view notification_id, std::string_view title = "High Sales",
                         std::string_view created_at = "1764763200");

// AutoQL-Timestamp and AutoQL-Signature for `body`, plus Content-Type.
std::vector<Header> signedHeaders(std::string_view body, std::string_view timestamp,
                                  std::string_view secret = kWebhookSecret);

// POSTs a delivery signed now with `secret` to `path`.
ClientResponse deliver(Client& client, std::string_view body,
                       std::string_view secret = kWebhookSecret,
                       std::string_view path = kWebhookPath);

// POSTs a delivery with the given headers (for refused deliveries).
ClientResponse deliverWith(Client& client, std::string_view body,
                           const std::vector<Header>& headers);

// The "message" of a 200 webhook answer ("ok", "duplicate", "ignored"), or "" otherwise.
std::string webhookMessage(const ClientResponse& response);

}  // namespace autoql::e2e
