// Regressions of fixed bugs, each checked the way it once failed: request smuggling through
// an ambiguous Transfer-Encoding, a bad target that left the connection open, absolute-form
// targets, a 204 with Content-Length, a missing Content-Type, command-line checks, the 405
// detail of an unknown method, JSON log lines broken by raw bytes, and an accept loop that
// spun when out of file descriptors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A plain loopback TCP connection that sees exactly the bytes the server sends.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // Reads until the server closes the connection or `wait` passes; closedByServer() says
  // which.
  std::string readUntilClosed(std::chrono::milliseconds wait) {
    std::string bytes;
    const auto deadline = SteadyClock::now() + wait;
    char buffer[4096];
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) {
        return bytes;
      }
      pollfd entry{fd_, POLLIN, 0};
      if (poll(&entry, 1, static_cast<int>(left.count())) <= 0) {
        return bytes;
      }
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) {
        closed_by_server_ = true;
        return bytes;
      }
      bytes.append(buffer, static_cast<std::size_t>(got));
    }
  }

  bool closedByServer() const { return closed_by_server_; }

  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_by_server_ = false;
};

// Splits what a server sent into responses; a trailing incomplete response is reported.
std::vector<ClientResponse> parseResponses(std::string_view bytes) {
  std::vector<ClientResponse> responses;
  while (!bytes.empty()) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done() && !bytes.empty()) {
      const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec || used == 0) {
        break;
      }
    }
    if (!parser.is_done()) {
      ADD_FAILURE() << "an incomplete or malformed response (" << ec.message()
                    << "); unread: " << bytes.substr(0, 200);
      break;
    }
    auto message = parser.release();
    ClientResponse response;
    response.status = message.result_int();
    for (const auto& field : message) {
      response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    response.body = std::move(message.body());
    responses.push_back(std::move(response));
  }
  return responses;
}

// The responses a server sends to `bytes` written at once on a new connection, and
// whether it closed the connection (within `wait`).
struct Exchange {
  std::vector<ClientResponse> responses;
  bool closed = false;
};

Exchange exchange(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds wait = 3s) {
  RawConnection connection(port);
  Exchange result;
  if (!connection.connected() || !connection.write(bytes)) {
    ADD_FAILURE() << "cannot connect or write";
    return result;
  }
  const std::string received = connection.readUntilClosed(wait);
  result.responses = parseResponses(received);
  result.closed = connection.closedByServer();
  return result;
}

constexpr std::string_view kHealthRequest = "GET /healthz HTTP/1.1\r\nHost: e2e\r\n\r\n";

class RegressionHttp : public SharedServerTest {
 protected:
  std::string project_ = uniqueId("project");
  std::string user_ = uniqueId("user");
};

TEST_F(RegressionHttp, AmbiguousTransferEncodingIsRefusedAndTheConnectionClosed) {
  const std::vector<std::string> framings = {
      "Transfer-Encoding: gzip\r\n",
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: chunked, identity\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n",
  };
  for (const std::string& framing : framings) {
    SCOPED_TRACE(framing);
    // What follows the header could be read as this request's body or as a second request.
    const std::string request = "POST /healthz HTTP/1.1\r\nHost: e2e\r\n" + framing +
                                "\r\n0\r\n\r\n" + std::string(kHealthRequest);
    const Exchange result = exchange(server().port(), request);

    ASSERT_EQ(result.responses.size(), 1u) << "the smuggled request was answered";
    EXPECT_TRUE(isProblem(result.responses[0], 400, "bad_request"));
    EXPECT_TRUE(result.closed) << "the connection stayed open";
  }
}

TEST_F(RegressionHttp, PlainChunkedStillWorksAndKeepsTheConnection) {
  const std::string body = dashboardBody(project_, user_, "chunked", R"([{"i":"a"}])");
  const std::string request = chunkedRequest("POST", "/dashboards", body, 17);
  const Exchange result = exchange(server().port(), request + std::string(kHealthRequest), 500ms);

  ASSERT_EQ(result.responses.size(), 2u);
  EXPECT_EQ(result.responses[0].status, 201u) << result.responses[0].body;
  EXPECT_EQ(result.responses[1].status, 200u) << result.responses[1].body;
  EXPECT_FALSE(result.closed);
  EXPECT_EQ(listDashboardIds(client(), project_, user_).size(), 1u);
}

TEST_F(RegressionHttp, BadTargetIs400AndClosesTheConnection) {
  for (const std::string& target :
       std::vector<std::string>{"/dashboards?project_id=%zz&user_id=u", "/dashboards/%"}) {
    SCOPED_TRACE(target);
    const std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: e2e\r\n\r\n" + std::string(kHealthRequest);
    const Exchange result = exchange(server().port(), request);

    ASSERT_EQ(result.responses.size(), 1u) << "the pipelined request was answered";
    EXPECT_TRUE(isProblem(result.responses[0], 400, "bad_request"));
    EXPECT_TRUE(result.closed) << "the connection stayed open";
  }
}

TEST_F(RegressionHttp, AbsoluteFormTargetIsServed) {
  const std::string origin = "http://127.0.0.1:" + std::to_string(server().port());
  const auto health = send(client(), "GET", origin + "/healthz");
  EXPECT_EQ(health.status, 200u) << health.body;
  EXPECT_EQ(health.body, R"({"status":"ok"})");

  const std::int64_t id = createDashboard(client(), project_, user_, "absolute");
  const auto list =
      send(client(), "GET", origin + "/dashboards?project_id=" + project_ + "&user_id=" + user_);
  ASSERT_EQ(list.status, 200u) << list.body;
  ASSERT_EQ(bodyJson(list).as_array().size(), 1u);
  EXPECT_EQ(bodyJson(list).at(0).at("id").as_int64(), id);
}

TEST_F(RegressionHttp, DeleteAnswers204WithoutContentLength) {
  const std::int64_t id = createDashboard(client(), project_, user_, "to delete");
  // The 204 and the next response in one stream: a body or a Content-Length on the 204
  // would show.
  const std::string request = "DELETE /dashboards/" + std::to_string(id) +
                              " HTTP/1.1\r\nHost: e2e\r\n\r\n" + std::string(kHealthRequest);
  const Exchange result = exchange(server().port(), request, 500ms);

  ASSERT_EQ(result.responses.size(), 2u);
  EXPECT_EQ(result.responses[0].status, 204u);
  EXPECT_FALSE(result.responses[0].header("Content-Length").has_value())
      << "Content-Length: " << headerOf(result.responses[0], "Content-Length");
  EXPECT_TRUE(result.responses[0].body.empty());
  EXPECT_EQ(result.responses[1].status, 200u);
  EXPECT_EQ(result.responses[1].body, R"({"status":"ok"})");

  const auto again = send(client(), "DELETE", "/dashboards/" + std::to_string(id));
  EXPECT_TRUE(isProblem(again, 404, "not_found"));
}

TEST_F(RegressionHttp, MissingContentTypeIs415) {
  const std::int64_t id = createDashboard(client(), project_, user_, "typed");
  const std::string path = "/dashboards/" + std::to_string(id);

  EXPECT_TRUE(isProblem(
      send(client(), "POST", "/dashboards", {}, dashboardBody(project_, user_, "untyped")), 415,
      "unsupported_media_type"));
  EXPECT_TRUE(isProblem(send(client(), "PUT", path, {}, R"({"name":"untyped"})"), 415,
                        "unsupported_media_type"));
  EXPECT_EQ(listDashboardIds(client(), project_, user_).size(), 1u);
  EXPECT_EQ(headerOf(send(client(), "GET", path), "ETag"), "\"1\"");
}

TEST_F(RegressionHttp, JsonMediaTypeVariantsAreAccepted) {
  const std::int64_t id = createDashboard(client(), project_, user_, "typed");
  const std::string path = "/dashboards/" + std::to_string(id);
  const std::vector<std::string> types = {"application/json;charset=utf-8", "Application/JSON",
                                          "application/json\t; charset=utf-8",
                                          "application/vnd.api+json"};
  for (const std::string& type : types) {
    SCOPED_TRACE(type);
    const auto created = send(client(), "POST", "/dashboards", {{"Content-Type", type}},
                              dashboardBody(project_, user_, "typed"));
    EXPECT_EQ(created.status, 201u) << created.body;
    const auto updated = send(client(), "PUT", path, {{"Content-Type", type}}, R"({"name":"t"})");
    EXPECT_EQ(updated.status, 200u) << updated.body;
  }
}

TEST_F(RegressionHttp, UnknownMethodIs405NamingTheMethod) {
  const auto response = send(client(), "BREW", "/dashboards");

  EXPECT_TRUE(isProblem(response, 405, "method_not_allowed"));
  EXPECT_FALSE(headerOf(response, "Allow").empty());
  const json::value body = bodyJson(response);
  ASSERT_TRUE(body.is_object());
  const json::value* detail = body.as_object().if_contains("detail");
  ASSERT_TRUE(detail != nullptr && detail->is_string()) << response.body;
  EXPECT_NE(std::string(detail->get_string()).find("BREW"), std::string::npos)
      << "detail: " << detail->get_string();
}

// --- command line ---

class RegressionCli : public ::testing::Test {
 protected:
  TempDir dir_;

  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  // `serve` on a free port; a server that does start is killed and reported as timed out.
  CommandResult serve(const std::vector<std::string>& args) {
    std::vector<std::string> all{"serve", "--port", "0"};
    all.insert(all.end(), args.begin(), args.end());
    return runCommand(all, dir_.path(), {}, 5s);
  }
};

std::size_t lineCount(const std::string& text) {
  const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

TEST_F(RegressionCli, BadDatabaseUrlExits2WithOneLine) {
  for (const std::string& url : std::vector<std::string>{"mysql://x", "sqlite:", "db.sqlite"}) {
    SCOPED_TRACE(url);
    const auto result = serve({"--database", url});
    EXPECT_FALSE(result.timed_out) << "the server started";
    EXPECT_EQ(result.exit_status, 2) << result.err;
    EXPECT_EQ(lineCount(result.err), 1u) << result.err;
    EXPECT_NE(result.err.find("--database"), std::string::npos) << result.err;
  }
}

// A well-formed PostgreSQL URL is not a bad value (this build has the engine): a database
// that cannot be reached fails start-up with status 1, and the password stays out of it.
TEST_F(RegressionCli, UnreachablePostgresqlFailsWithoutShowingThePassword) {
  const auto result = serve({"--database", "postgresql://u:s3cretpw@h/db"});

  EXPECT_FALSE(result.timed_out) << "the server started";
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_NE(result.err.find("database"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("s3cretpw"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("s3cretpw"), std::string::npos) << result.out;
}

TEST_F(RegressionCli, HostNameIsRefusedBeforeTheDatabaseIsCreated) {
  const std::string database = dir_.path() + "/host.db";
  const auto result =
      serve({"--host", "example.com", "--insecure-no-auth", "--database", "sqlite:" + database});

  EXPECT_FALSE(result.timed_out) << "the server started";
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_NE(result.err.find("--host"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(database)) << "the database was created";
}

TEST_F(RegressionCli, EmptyAutoqlDatabaseUrlFallsBackToDatabaseUrl) {
  const std::string database = dir_.path() + "/x.db";
  const auto result = runCommand({"migrate"}, dir_.path(), {}, 10s,
                                 {"AUTOQL_DATABASE_URL=", "DATABASE_URL=sqlite:" + database});

  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(database)) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/autoql.db")) << "used the default";
}

TEST_F(RegressionCli, WebhookSignRefusesEmptySecretAndBadTimestamp) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"webhook", "sign", "--secret", ""},
           {"webhook", "sign", "--secret", "s", "--timestamp", "abc"}}) {
    SCOPED_TRACE(args.back());
    const auto result = runCommand(args, dir_.path(), "{}", 10s);
    EXPECT_EQ(result.exit_status, 2) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_EQ(lineCount(result.err), 1u) << result.err;
  }
}

TEST_F(RegressionCli, WebhookSendToNobodyFailsWithoutClaimingSuccess) {
  const auto result =
      runCommand({"webhook", "send", "http://127.0.0.1:1/x", "--secret", "s"}, dir_.path());

  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_FALSE(result.err.empty());
  EXPECT_EQ(result.err.find("Success"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("Success"), std::string::npos) << result.out;
}

TEST_F(RegressionCli, WebhookSendRefusesADirectoryAsFile) {
  const auto result = runCommand(
      {"webhook", "send", "http://127.0.0.1:1/x", "--secret", "s", "--file", dir_.path()},
      dir_.path());

  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_NE(result.err.find("--file"), std::string::npos) << result.err;
}

// --- JSON log lines ---

TEST(RegressionJsonLog, RawBytesInTheTargetKeepEveryLineValidJson) {
  ServerProcess server({.extra_args = {"--log-format", "json"}});
  ASSERT_TRUE(server.ready()) << server.failure();

  const std::vector<std::string> targets = {"/\xFF\xFE", "/dashboards/\xFF\xFE",
                                            "/dashboards?project_id=\xFF\xFE&user_id=\"\\",
                                            "/\xFF\xFE/\x01"};
  for (const std::string& target : targets) {
    auto raw = server.client();
    const auto response = sendRaw(*raw, "GET " + target + " HTTP/1.1\r\nHost: e2e\r\n\r\n");
    EXPECT_GE(response.status, 400u) << response.body;
  }
  // A request after them: once its line is in the log, theirs are too.
  const std::string marker = uniqueId("marker");
  EXPECT_EQ(send(*server.client(), "GET", "/healthz", {{"X-Request-Id", marker}}).status, 200u);
  ASSERT_TRUE(server.waitForLog(marker, 2s)) << server.log();

  const std::string log = server.log();
  std::istringstream lines(log);
  std::string line;
  std::size_t checked = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) {
      continue;
    }
    ++checked;
    boost::system::error_code ec;
    const json::value value = json::parse(line, ec);
    EXPECT_FALSE(ec) << ec.message() << ": " << line;
    EXPECT_TRUE(ec || value.is_object()) << line;
  }
  EXPECT_GE(checked, targets.size() + 2) << log;
}

// --- accept back-off ---

TEST(AcceptBackoff, RunningOutOfDescriptorsDoesNotSpinAndRecovers) {
  constexpr int kConnections = 80;
  ServerProcess server({.extra_args = {"--db-workers", "2"}, .max_open_files = 64});
  ASSERT_TRUE(server.ready()) << server.failure();

  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(std::make_unique<RawConnection>(server.port()));
    EXPECT_TRUE(connections.back()->connected()) << i;
  }
  std::this_thread::sleep_for(1s);
  connections.clear();

  auto client = server.client(5s);
  const auto health = send(*client, "GET", "/healthz");
  EXPECT_EQ(health.status, 200u) << health.body;

  const std::string log = server.log();
  std::size_t failures = 0;
  for (std::size_t at = log.find("accept failed"); at != std::string::npos;
       at = log.find("accept failed", at + 1)) {
    ++failures;
  }
  std::cout << "[ accept   ] " << failures << " 'accept failed' line(s) with " << kConnections
            << " connections held for 1 s under ulimit -n 64\n";
  EXPECT_GE(failures, 1u) << "the descriptor limit was never reached; the test proves nothing";
  EXPECT_LT(failures, 100u) << "the accept loop spins";
  if (HasFailure()) {
    std::cerr << "--- server log (head) ---\n" << log.substr(0, 4000) << "\n";
  }
}

}  // namespace
}  // namespace autoql::e2e
