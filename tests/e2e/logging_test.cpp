// The log as operators and their log shippers see it (README "Command line"): with
// --log-format json every line is one JSON object, access lines carry each field as its own
// member and other lines a "msg"; the text access line has the same fields; --log-level
// warn leaves the access lines out.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "e2e_support.h"

extern char** environ;

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The members of a JSON access line, no more and no fewer ("stream_opened" is added on
// event streams only).
const std::set<std::string> kAccessMembers = {
    "ts", "level", "logger", "method", "route", "status", "bytes", "duration_ms", "request_id"};
const std::set<std::string> kMessageMembers = {"ts", "level", "logger", "msg"};

std::set<std::string> memberNames(const json::object& object) {
  std::set<std::string> names;
  for (const auto& member : object) {
    names.emplace(member.key());
  }
  return names;
}

// Every line of `log` parsed as a JSON object; a line that is not one fails the test.
std::vector<json::object> jsonLines(const std::string& log) {
  std::vector<json::object> objects;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    boost::system::error_code ec;
    json::value value = json::parse(line, ec);
    if (ec || !value.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << line;
      continue;
    }
    objects.push_back(std::move(value.get_object()));
  }
  return objects;
}

// The access line of the request with `request_id`, or null (failing the test).
const json::object* accessLineOf(const std::vector<json::object>& lines,
                                 std::string_view request_id) {
  for (const json::object& line : lines) {
    const json::value* id = line.if_contains("request_id");
    if (id != nullptr && id->is_string() && id->get_string() == request_id) {
      return &line;
    }
  }
  ADD_FAILURE() << "no access line for request " << request_id;
  return nullptr;
}

std::string stringMember(const json::object& line, std::string_view name) {
  const json::value* value = line.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

TEST(JsonLog, EveryLineIsAnObjectWithTimeLevelLoggerAndMessageOrAccessFields) {
  ServerProcess server({.extra_args = {"--log-format", "json"}});
  ASSERT_TRUE(server.ready()) << server.failure();

  // A routed success, a client error with a body, an unrouted path (logged as sent, less
  // its query), and a refused webhook (a warning line besides its access line).
  const std::string ok_id = uniqueId("ok");
  const std::string bad_id = uniqueId("bad");
  const std::string unrouted_id = uniqueId("unrouted");
  const std::string webhook_id = uniqueId("webhook");
  auto client = server.client();
  EXPECT_EQ(send(*client, "GET", "/healthz", {{"X-Request-Id", ok_id}}).status, 200u);
  EXPECT_EQ(send(*client, "POST", "/dashboards",
                 {{"X-Request-Id", bad_id}, {"Content-Type", "application/json"}}, "{")
                .status,
            400u);
  EXPECT_EQ(send(*client, "GET", "/no/such%22path?q=1", {{"X-Request-Id", unrouted_id}}).status,
            404u);
  EXPECT_EQ(send(*client, "POST", std::string(kWebhookPath),
                 {{"X-Request-Id", webhook_id}, {"AutoQL-Timestamp", "x"}}, "{}")
                .status,
            401u);
  ASSERT_TRUE(server.waitForLog(webhook_id, 2s)) << server.log();

  const std::vector<json::object> lines = jsonLines(server.log());
  const std::regex iso_time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  std::size_t messages = 0;
  for (const json::object& line : lines) {
    EXPECT_TRUE(std::regex_match(stringMember(line, "ts"), iso_time)) << json::serialize(line);
    EXPECT_FALSE(stringMember(line, "level").empty()) << json::serialize(line);
    if (stringMember(line, "logger") == "access") {
      EXPECT_EQ(memberNames(line), kAccessMembers) << json::serialize(line);
      continue;
    }
    EXPECT_EQ(memberNames(line), kMessageMembers) << json::serialize(line);
    EXPECT_FALSE(stringMember(line, "msg").empty()) << json::serialize(line);
    ++messages;
  }
  EXPECT_GE(messages, 2u) << "start-up and the refused webhook log messages";

  const json::object* ok = accessLineOf(lines, ok_id);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(stringMember(*ok, "level"), "info");
  EXPECT_EQ(stringMember(*ok, "method"), "GET");
  EXPECT_EQ(stringMember(*ok, "route"), "/healthz");
  EXPECT_EQ(ok->at("status"), json::value(200));
  EXPECT_TRUE(ok->at("bytes").is_int64() && ok->at("bytes").as_int64() > 0);
  EXPECT_TRUE(ok->at("duration_ms").is_number());

  const json::object* bad = accessLineOf(lines, bad_id);
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(stringMember(*bad, "route"), "/dashboards");
  EXPECT_EQ(bad->at("status"), json::value(400));

  const json::object* unrouted = accessLineOf(lines, unrouted_id);
  ASSERT_NE(unrouted, nullptr);
  EXPECT_EQ(stringMember(*unrouted, "route"), "/no/such%22path") << "the path, without the query";
  EXPECT_EQ(unrouted->at("status"), json::value(404));
}

TEST(JsonLog, AnOpenedStreamIsMarkedInItsAccessLine) {
  ServerProcess server({.extra_args = {"--log-format", "json"}});
  ASSERT_TRUE(server.ready()) << server.failure();

  const std::string request_id = uniqueId("stream");
  SseStream stream;
  ASSERT_TRUE(stream.open(server.port(), "/notifications/stream?project_id=p&user_id=u",
                          {{"X-Request-Id", request_id}}))
      << stream.error();
  ASSERT_TRUE(server.waitForLog(request_id, 2s)) << server.log();

  const std::vector<json::object> lines = jsonLines(server.log());
  const json::object* line = accessLineOf(lines, request_id);
  ASSERT_NE(line, nullptr);
  EXPECT_EQ(stringMember(*line, "route"), "/notifications/stream");
  EXPECT_EQ(line->at("status"), json::value(200));
  EXPECT_EQ(line->at("stream_opened"), json::value(true));
}

TEST(TextLog, AccessLineHasMethodRouteStatusBytesDurationAndRequestId) {
  ServerProcess server;
  ASSERT_TRUE(server.ready()) << server.failure();

  const std::string request_id = uniqueId("text");
  EXPECT_EQ(send(*server.client(), "GET", "/healthz", {{"X-Request-Id", request_id}}).status, 200u);
  ASSERT_TRUE(server.waitForLog(request_id, 2s)) << server.log();

  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info \[access\] )"
                        R"(GET /healthz 200 \d+B \d+\.\d\dms id=)" +
                        request_id);
  EXPECT_TRUE(std::regex_search(server.log(), line)) << server.log();
}

// --- --log-level warn ---

// A loopback port that was free a moment ago.
std::uint16_t freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  return bound ? ntohs(address.sin_port) : 0;
}

// Runs `serve` with `args` and stderr into `log_path`. The e2e harness cannot be used: it
// finds the port in the "listening on" line, which --log-level warn leaves out.
pid_t spawnServe(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> command = {backendBinary(), "serve"};
  command.insert(command.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : command) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Polls /healthz until it answers 200, for up to `wait`.
bool answersHealthz(std::uint16_t port, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    http::Client client("127.0.0.1", port, 1s);
    auto response = client.send("GET", "/healthz", {}, {});
    if (response && response->status == 200) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(LogLevel, WarnLeavesOutAccessLines) {
  const TempDir dir;
  const std::uint16_t port = freePort();
  ASSERT_NE(port, 0);
  const std::string log_path = dir.path() + "/server.log";
  const pid_t pid = spawnServe({"--port", std::to_string(port), "--log-level", "warn", "--database",
                                "sqlite:" + dir.path() + "/autoql.db"},
                               log_path);
  ASSERT_GT(pid, 0);

  const bool up = answersHealthz(port, 10s);
  if (up) {
    http::Client client("127.0.0.1", port, 2s);
    EXPECT_EQ(send(client, "GET", "/healthz").status, 200u);
  }
  // Once the process has exited, everything it logged is in the file.
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream file(log_path);
  const std::string log(std::istreambuf_iterator<char>(file), {});
  ASSERT_TRUE(up) << log;

  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log;
  EXPECT_NE(log.find("warning"), std::string::npos) << "the no-auth warning is kept: " << log;
  EXPECT_EQ(log.find("[access]"), std::string::npos) << log;
  EXPECT_EQ(log.find(" info "), std::string::npos) << log;
}

}  // namespace
}  // namespace autoql::e2e
