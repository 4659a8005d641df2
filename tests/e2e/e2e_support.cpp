// Helpers shared by the end-to-end tests; see e2e_support.h.
#include "e2e_support.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
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

// --- live event streams ---

bool SseStream::open(std::uint16_t port, std::string_view target,
                     const std::vector<Header>& headers, std::chrono::milliseconds wait) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return fail("socket: " + std::string(std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return fail("connect: " + std::string(std::strerror(errno)));
  }
  std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: e2e\r\n";
  request += "Accept: text/event-stream\r\n";
  for (const Header& header : headers) {
    request += header.name + ": " + header.value + "\r\n";
  }
  request += "\r\n";
  if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return fail("send: " + std::string(std::strerror(errno)));
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::size_t end = std::string::npos;
  while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) {
      return fail("no response header within the wait (read: " + raw_ + ")");
    }
  }
  parseHeader(raw_.substr(0, end));
  raw_.erase(0, end + 4);
  return status_ != 0 || fail("not an HTTP response: " + raw_);
}

std::string SseStream::header(std::string_view name) const {
  for (const Header& header : headers_) {
    if (header.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), header.name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return header.value;
    }
  }
  return "";
}

std::optional<SseRecord> SseStream::next(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    dechunk();
    const std::size_t end = text_.find("\n\n");
    if (end != std::string::npos) {
      SseRecord record = parseRecord(text_.substr(0, end));
      text_.erase(0, end + 2);
      return record;
    }
    if (body_done_ || !fill(deadline)) {
      return std::nullopt;
    }
  }
}

std::optional<SseRecord> SseStream::nextEvent(std::chrono::milliseconds wait) {
  using std::chrono::milliseconds;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    auto record = next(std::max(left, milliseconds(0)));
    if (!record || !record->isComment()) {
      return record;
    }
  }
}

bool SseStream::waitForEnd(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!ended() && std::chrono::steady_clock::now() < deadline) {
    fill(deadline);
    dechunk();
  }
  return ended();
}

void SseStream::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool SseStream::fail(std::string why) {
  error_ = std::move(why);
  close();
  return false;
}

bool SseStream::fill(std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0 || eof_) {
    return false;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd entry{fd_, POLLIN, 0};
  const int ready = ::poll(&entry, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
  if (ready <= 0) {
    return false;
  }
  char buffer[65536];
  const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
  if (got <= 0) {
    eof_ = true;
    return false;
  }
  raw_.append(buffer, static_cast<std::size_t>(got));
  return true;
}

void SseStream::parseHeader(const std::string& block) {
  std::size_t line_end = block.find("\r\n");
  const std::string status_line = block.substr(0, line_end);
  if (status_line.starts_with("HTTP/1.1 ") && status_line.size() >= 12) {
    std::from_chars(status_line.data() + 9, status_line.data() + 12, status_);
  }
  while (line_end != std::string::npos) {
    const std::size_t begin = line_end + 2;
    line_end = block.find("\r\n", begin);
    const std::string line =
        block.substr(begin, line_end == std::string::npos ? std::string::npos : line_end - begin);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    headers_.push_back({line.substr(0, colon), value});
  }
  chunked_ = header("Transfer-Encoding") == "chunked";
}

void SseStream::dechunk() {
  if (!chunked_) {
    text_ += raw_;
    raw_.clear();
    return;
  }
  while (!body_done_) {
    const std::size_t line_end = raw_.find("\r\n");
    if (line_end == std::string::npos) {
      return;
    }
    std::size_t size = 0;
    const auto parsed = std::from_chars(raw_.data(), raw_.data() + line_end, size, 16);
    if (parsed.ec != std::errc()) {
      ADD_FAILURE() << "bad chunk header: " << raw_.substr(0, line_end);
      body_done_ = true;
      return;
    }
    if (raw_.size() < line_end + 2 + size + 2) {
      return;
    }
    if (size == 0) {
      body_done_ = true;
      return;
    }
    text_.append(raw_, line_end + 2, size);
    raw_.erase(0, line_end + 2 + size + 2);
  }
}

SseRecord SseStream::parseRecord(std::string_view block) {
  SseRecord record;
  bool first_data = true;
  while (!block.empty()) {
    const std::size_t end = block.find('\n');
    std::string_view line = block.substr(0, end);
    block.remove_prefix(end == std::string_view::npos ? block.size() : end + 1);
    if (line.starts_with(':')) {
      line.remove_prefix(1);
      record.comments.emplace_back(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (value.starts_with(' ')) {
      value.remove_prefix(1);
    }
    if (field == "id") {
      record.id = value;
      record.has_id = true;
    } else if (field == "event") {
      record.event = value;
    } else if (field == "data") {
      record.data += first_data ? "" : "\n";
      record.data += value;
      first_data = false;
    }
  }
  return record;
}

std::string eventNotificationId(const std::optional<SseRecord>& record) {
  if (!record || record->event != "notification") {
    return "";
  }
  const json::value data = parseJson(record->data);
  const json::object* object = data.if_object();
  const json::value* id = object ? object->if_contains("notification_id") : nullptr;
  return id && id->is_string() ? std::string(id->get_string()) : "";
}

std::string describe(const std::optional<SseRecord>& record) {
  if (!record) {
    return "no record";
  }
  return "id=" + record->id + " event=" + record->event + " data=" + record->data.substr(0, 300);
}

}  // namespace autoql::e2e
