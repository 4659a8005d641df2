// HTTP behaviour every route shares (DESIGN 3.1, 3.5, 6): 405 with Allow, HEAD, 404 for
// unknown and trailing-slash paths (never a redirect), X-Request-Id, malformed framing,
// chunked bodies, pipelining, header size and time limits, health checks, access log.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

class Http : public SharedServerTest {
 protected:
  std::string project_ = uniqueId("project");
  std::string user_ = uniqueId("user");

  std::string newDashboardPath() {
    return "/dashboards/" + std::to_string(createDashboard(client(), project_, user_, "d"));
  }
};

// The methods of an Allow header, e.g. "GET, HEAD" -> {"GET", "HEAD"}.
std::set<std::string> allowedMethods(const std::string& allow) {
  std::set<std::string> methods;
  std::istringstream in(allow);
  std::string method;
  while (std::getline(in, method, ',')) {
    method.erase(std::remove(method.begin(), method.end(), ' '), method.end());
    methods.insert(method);
  }
  return methods;
}

std::string rawGet(std::string_view target, std::string_view extra_headers = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: e2e\r\n" + std::string(extra_headers) +
         "\r\n";
}

struct MethodCase {
  std::string method;
  std::string target;
  std::set<std::string> allow;
};

TEST_F(Http, WrongMethodIs405WithAllow) {
  const std::vector<MethodCase> cases = {
      {"PATCH", "/dashboards/1", {"GET", "HEAD", "PUT", "DELETE"}},
      {"POST", "/dashboards/1", {"GET", "HEAD", "PUT", "DELETE"}},
      {"DELETE", "/dashboards", {"GET", "HEAD", "POST"}},
      {"PUT", "/dashboards", {"GET", "HEAD", "POST"}},
      {"GET", "/webhooks/autoql", {"POST"}},
      {"GET", "/your-webhook", {"POST"}},
      {"POST", "/healthz", {"GET", "HEAD"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    const auto response = send(client(), c.method, c.target, {}, c.method == "GET" ? "" : "{}");
    EXPECT_TRUE(isProblem(response, 405, "method_not_allowed"));
    EXPECT_EQ(allowedMethods(headerOf(response, "Allow")), c.allow)
        << "Allow: " << headerOf(response, "Allow");
  }
}

TEST_F(Http, HeadAnswersLikeGetWithoutBody) {
  const std::string dashboard = newDashboardPath();
  for (const std::string& target : {std::string("/healthz"), dashboard,
                                    "/dashboards?project_id=" + project_ + "&user_id=" + user_}) {
    SCOPED_TRACE(target);
    const auto get = send(client(), "GET", target);
    ASSERT_EQ(get.status, 200u);

    // HEAD and GET in one write: a body after the HEAD response would corrupt the next.
    auto raw = server().client();
    ASSERT_TRUE(
        raw->writeRaw("HEAD " + target + " HTTP/1.1\r\nHost: e2e\r\n\r\n" + rawGet("/healthz")));
    auto head = raw->readResponse(/*head=*/true);
    ASSERT_TRUE(head) << head.error();
    EXPECT_EQ(head->status, 200u);
    EXPECT_EQ(headerOf(*head, "Content-Length"), std::to_string(get.body.size()));
    EXPECT_EQ(headerOf(*head, "Content-Type"), headerOf(get, "Content-Type"));
    EXPECT_EQ(headerOf(*head, "ETag"), headerOf(get, "ETag"));
    auto next = raw->readResponse();
    ASSERT_TRUE(next) << next.error();
    EXPECT_EQ(next->status, 200u);
    EXPECT_EQ(next->body, R"({"status":"ok"})");
  }
}

TEST_F(Http, UnknownPathIs404Problem) {
  for (const std::string& target : std::vector<std::string>{
           "/nope", "/dashboards/1/extra", "/api/v0/dashboards", "/notification", "/DASHBOARDS"}) {
    SCOPED_TRACE(target);
    EXPECT_TRUE(isProblem(send(client(), "GET", target), 404, "not_found"));
  }
}

TEST_F(Http, TrailingSlashIs404NotRedirect) {
  for (const std::string& target :
       std::vector<std::string>{"/dashboards/", "/healthz/", "/dashboards/?user_id=u",
                                "//dashboards", newDashboardPath() + "/"}) {
    SCOPED_TRACE(target);
    const auto response = send(client(), "GET", target);
    EXPECT_TRUE(isProblem(response, 404, "not_found"));
    EXPECT_TRUE(headerOf(response, "Location").empty());
  }
  EXPECT_TRUE(isProblem(sendJson(client(), "POST", "/dashboards/", "{}"), 404, "not_found"));
}

TEST_F(Http, EveryResponseCarriesAGeneratedRequestId) {
  const std::vector<ClientResponse> responses = {
      send(client(), "GET", "/healthz"), send(client(), "GET", "/healthz"),
      send(client(), "GET", "/nope"), sendJson(client(), "POST", "/dashboards", "{"),
      send(client(), "DELETE", "/dashboards")};
  std::set<std::string> ids;
  for (const auto& response : responses) {
    const std::string id = headerOf(response, "X-Request-Id");
    EXPECT_FALSE(id.empty()) << response.status << " " << response.body;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), responses.size()) << "request ids repeat";
}

TEST_F(Http, EchoesClientRequestId) {
  const auto ok = send(client(), "GET", "/healthz", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(headerOf(ok, "X-Request-Id"), "abc-123");
  const auto error = send(client(), "GET", "/nope", {{"X-Request-Id", "abc-124"}});
  EXPECT_EQ(headerOf(error, "X-Request-Id"), "abc-124");
}

TEST_F(Http, ContentLengthWithChunkedIs400AndCloses) {
  const std::string request =
      "POST /dashboards HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n"
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  const auto response = sendRaw(client(), request);

  EXPECT_TRUE(isProblem(response, 400, "bad_request"));
  EXPECT_FALSE(headerOf(response, "X-Request-Id").empty());
  EXPECT_TRUE(client().serverClosed(3s));
}

TEST_F(Http, MalformedRequestLineIs400AndCloses) {
  for (const std::string& request :
       std::vector<std::string>{"HELLO\r\n\r\n", "GET /healthz\r\n\r\n",
                                "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    SCOPED_TRACE(request);
    auto raw = server().client();
    const auto response = sendRaw(*raw, request);
    EXPECT_TRUE(isProblem(response, 400, "bad_request"));
    EXPECT_TRUE(raw->serverClosed(3s));
  }
}

TEST_F(Http, ChunkedBodyCreatesDashboard) {
  const std::string body = dashboardBody(project_, user_, "chunked", R"([{"i":"a"}])");
  const std::string request = chunkedRequest("POST", "/dashboards", body, body.size() / 2 + 1);

  const auto response = sendRaw(client(), request);

  ASSERT_EQ(response.status, 201u) << response.body;
  EXPECT_EQ(bodyJson(response).at("name"), json::value("chunked"));
  EXPECT_EQ(listDashboardIds(client(), project_, user_).size(), 1u);
}

TEST_F(Http, PipelinedRequestsAreAnsweredInOrder) {
  const std::string first = newDashboardPath();
  const std::string second = newDashboardPath();
  const std::string body = dashboardBody(project_, user_, "third");
  const std::string post =
      "POST /dashboards HTTP/1.1\r\nHost: e2e\r\nX-Request-Id: r2\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;

  auto raw = server().client();
  ASSERT_TRUE(raw->writeRaw(rawGet(first, "X-Request-Id: r1\r\n") + post +
                            rawGet(second, "X-Request-Id: r3\r\n") +
                            rawGet("/nope", "X-Request-Id: r4\r\n")));

  const std::vector<std::pair<std::string, unsigned>> expected = {
      {"r1", 200}, {"r2", 201}, {"r3", 200}, {"r4", 404}};
  for (const auto& [id, status] : expected) {
    auto response = raw->readResponse();
    ASSERT_TRUE(response) << id << ": " << response.error();
    EXPECT_EQ(headerOf(*response, "X-Request-Id"), id);
    EXPECT_EQ(response->status, status) << id;
  }
  auto again = send(*raw, "GET", first);
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ("/dashboards/" + std::to_string(bodyJson(again).at("id").as_int64()), first);
}

TEST_F(Http, OversizedHeaderBlockIsRefusedAndClosed) {
  const auto response =
      sendRaw(client(), rawGet("/healthz", "X-Big: " + repeat('b', 17 * 1024) + "\r\n"));
  EXPECT_TRUE(isProblem(response, 431, "headers_too_large") ||
              isProblem(response, 400, "bad_request"))
      << response.status << " " << response.body;
  EXPECT_TRUE(client().serverClosed(3s));
}

TEST_F(Http, ManyHeadersWithinTheLimitAreServed) {
  std::string headers;
  for (int i = 0; i < 100; ++i) {
    headers += "X-Filler-" + std::to_string(i) + ": " + repeat('f', 100) + "\r\n";
  }
  const auto response = sendRaw(client(), rawGet("/healthz", headers));
  EXPECT_EQ(response.status, 200u) << response.body;
}

TEST_F(Http, HealthAndReadinessAnswer200) {
  const auto health = send(client(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_TRUE(headerOf(health, "Content-Type").starts_with("application/json"));
  EXPECT_EQ(bodyJson(health).at("status"), json::value("ok"));

  const auto ready = send(client(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200u);
  EXPECT_TRUE(headerOf(ready, "Content-Type").starts_with("application/json"));
  EXPECT_TRUE(bodyJson(ready).is_object());
}

// The server log lines that contain `text`.
std::vector<std::string> logLinesWith(const std::string& log, std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(text) != std::string::npos) {
      lines.push_back(line);
    }
  }
  return lines;
}

TEST_F(Http, AccessLogHasOneLinePerRequestWithRouteTemplate) {
  const std::string path = newDashboardPath();
  const std::string request_id = uniqueId("log");
  const auto response = send(client(), "GET", path, {{"X-Request-Id", request_id}});
  ASSERT_EQ(response.status, 200u);

  // The line is written after the response; give it a moment.
  ASSERT_TRUE(server().waitForLog(request_id, 2s));
  const auto lines = logLinesWith(server().log(), request_id);
  ASSERT_EQ(lines.size(), 1u) << server().log();
  EXPECT_NE(lines[0].find("GET /dashboards/{id} 200"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find(path), std::string::npos) << "logs the path, not the template";
}

TEST_F(Http, AccessLogRecordsErrorsToo) {
  const std::string request_id = uniqueId("log");
  send(client(), "DELETE", "/dashboards", {{"X-Request-Id", request_id}});

  ASSERT_TRUE(server().waitForLog(request_id, 2s));
  const auto lines = logLinesWith(server().log(), request_id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("DELETE"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(" 405 "), std::string::npos) << lines[0];
}

// --- header timeout: a server of its own ---

// A plain blocking socket, for a client that sends a header a byte at a time.
class TrickleSocket {
 public:
  explicit TrickleSocket(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~TrickleSocket() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  TrickleSocket(const TrickleSocket&) = delete;
  TrickleSocket& operator=(const TrickleSocket&) = delete;

  bool connected() const { return connected_; }

  bool write(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // True when the server has sent something (a response) or closed within `wait`.
  bool serverActed(std::chrono::milliseconds wait) {
    pollfd entry{fd_, POLLIN, 0};
    return poll(&entry, 1, static_cast<int>(wait.count())) > 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

class HeaderTimeout : public ::testing::Test {
 protected:
  ServerProcess server_{{.extra_args = {"--header-timeout", "1s"}}};

  void SetUp() override { ASSERT_TRUE(server_.ready()) << server_.failure(); }
};

TEST_F(HeaderTimeout, IncompleteHeaderIsCutOffWhileOthersAreServed) {
  auto slow = server_.client(5s);
  const auto started = SteadyClock::now();
  ASSERT_TRUE(slow->writeRaw("GET /healthz HTTP/1.1\r\nHost: e2e\r\n"));

  auto other = server_.client();
  const auto served = send(*other, "GET", "/healthz");
  EXPECT_EQ(served.status, 200u);
  EXPECT_LT(SteadyClock::now() - started, 800ms);

  // Either a 408 and a close, or a close.
  auto response = slow->readResponse();
  const auto elapsed = SteadyClock::now() - started;
  if (response) {
    EXPECT_TRUE(isProblem(*response, 408, "request_timeout"));
  }
  EXPECT_TRUE(slow->serverClosed(3s));
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(HeaderTimeout, TricklingHeaderDoesNotExtendTheTimeout) {
  TrickleSocket slow(server_.port());
  ASSERT_TRUE(slow.connected());
  const std::string header = rawGet("/healthz", "X-Slow: " + repeat('s', 200) + "\r\n");

  // One byte every 100 ms would take over 20 s; the server must cut it off near 1 s.
  const auto started = SteadyClock::now();
  bool cut_off = false;
  for (std::size_t i = 0; i < header.size() && !cut_off && SteadyClock::now() - started < 4s; ++i) {
    cut_off = !slow.write(header.substr(i, 1)) || slow.serverActed(100ms);
  }
  const auto elapsed = SteadyClock::now() - started;
  EXPECT_TRUE(cut_off) << "the header was never cut off";
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3s);
}

}  // namespace
}  // namespace autoql::e2e
