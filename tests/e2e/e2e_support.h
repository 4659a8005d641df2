// Shared helpers for the end-to-end tests: a fixture that runs one server per test suite,
// request shortcuts, JSON and problem+json assertions, the sample inputs, and signed
// webhook deliveries. Test-thread only, except where a function says otherwise.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
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

// --- live event streams ---

// One SSE record: an event (with its fields) or only comments (a heartbeat).
struct SseRecord {
  std::string id;
  std::string event;
  std::string data;
  std::vector<std::string> comments;
  bool has_id = false;

  bool isComment() const { return event.empty() && data.empty() && !has_id; }
};

// A client of GET /notifications/stream that reads the chunked response incrementally
// from a plain socket, so that each record is seen as soon as it arrives. One thread at a
// time.
class SseStream {
 public:
  SseStream() = default;
  ~SseStream() { close(); }
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // Connects, sends the request and reads the response header (up to `wait`). Returns
  // false, with error() saying why, when no header came.
  bool open(std::uint16_t port, std::string_view target, const std::vector<Header>& headers = {},
            std::chrono::milliseconds wait = std::chrono::seconds(5));

  unsigned status() const { return status_; }
  const std::string& error() const { return error_; }

  // A response header's value (name case-insensitive), or "".
  std::string header(std::string_view name) const;

  // The next record, event or comment; nullopt when none came within `wait` or the
  // stream ended (then ended() is true).
  std::optional<SseRecord> next(std::chrono::milliseconds wait);

  // The next event, skipping comment records (heartbeats).
  std::optional<SseRecord> nextEvent(std::chrono::milliseconds wait);

  // True once the server has closed the connection or ended the chunked body.
  bool ended() const { return eof_ || body_done_; }

  // Waits up to `wait` for the server to end the stream, skipping what still comes.
  bool waitForEnd(std::chrono::milliseconds wait);

  void close();

 private:
  bool fail(std::string why);
  // Reads what is available into raw_, waiting until `deadline`. False on time-out or EOF.
  bool fill(std::chrono::steady_clock::time_point deadline);
  void parseHeader(const std::string& block);
  // Moves the complete chunks of raw_ into text_.
  void dechunk();
  static SseRecord parseRecord(std::string_view block);

  int fd_ = -1;
  std::string raw_;   // bytes after the header, not yet de-chunked
  std::string text_;  // de-chunked stream text not yet parsed into records
  std::string error_;
  unsigned status_ = 0;
  std::vector<Header> headers_;
  bool chunked_ = false;
  bool eof_ = false;
  bool body_done_ = false;
};

// The notification_id in an event's data, or "" when it is not a notification event.
std::string eventNotificationId(const std::optional<SseRecord>& record);

// A record in one line, for failure messages.
std::string describe(const std::optional<SseRecord>& record);

}  // namespace autoql::e2e
