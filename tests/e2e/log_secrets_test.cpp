// Secrets, signatures, bearer tokens and bodies never reach the log (README "Command
// line", DESIGN 2). A server with every kind of secret configured, logging everything
// (trace) in each format, answers signed and refused webhooks, requests with good and bad
// tokens (in the Authorization header and in ?access_token=), and bodies good and broken;
// then the whole log is searched for each of those values. Database passwords are checked
// the same way on a URL that cannot connect, and on a live one when the suite runs on
// PostgreSQL.
#include <algorithm>
#include <optional>

#include "e2e_support.h"
#include "security/webhook_signature.h"

namespace autoql::e2e {
namespace {

using namespace std::chrono_literals;

// Long enough for every minimum (32 bytes for the JWT secret and the admin token), and
// unique, so that finding one in the log can only mean it was logged.
std::string secretValue(std::string_view prefix) {
  return uniqueId(prefix) + repeat('x', 32);
}

// `url` (postgresql://user@...) with `password` in its user information and `parameter`
// as a password= parameter, the two places libpq reads one from.
std::string withPasswords(const std::string& url, const std::string& password,
                          const std::string& parameter) {
  std::string result = url;
  const std::size_t at = result.find('@');
  if (at != std::string::npos) {
    result.insert(at, ":" + password);
  }
  result += result.find('?') == std::string::npos ? "?" : "&";
  return result + "password=" + parameter;
}

// How long a piece of a secret must be to count as found in the log, and where the pieces
// start (every kPieceStep characters).
constexpr std::size_t kPieceLength = 20;
constexpr std::size_t kPieceStep = 4;

// The log as operators would search it, and the values that must not be found in it.
class LogSecrets : public ::testing::TestWithParam<const char*> {
 protected:
  // Remembers `value` as one that must not appear in the log, and returns it.
  std::string neverLogged(std::string value) {
    never_logged_.push_back(value);
    return value;
  }

  // Remembers a request id whose lines must appear (so that the log is not empty by
  // accident), and returns it as the header that sets it.
  Header requestId(std::string_view what) {
    request_ids_.push_back(uniqueId(what));
    return {"X-Request-Id", request_ids_.back()};
  }

  // Looks for every piece of each value, not only the whole: a log line that cuts a value
  // short (a long target is) still leaks the part it keeps.
  void expectNoSecretIn(const std::string& log) const {
    for (const std::string& value : never_logged_) {
      const std::size_t piece = std::min(value.size(), kPieceLength);
      for (std::size_t at = 0; at + piece <= value.size(); at += kPieceStep) {
        const std::string_view part = std::string_view(value).substr(at, piece);
        ASSERT_EQ(log.find(part), std::string::npos)
            << "logged: '" << part << "' of " << value << "\n"
            << log;
      }
    }
    for (const std::string& id : request_ids_) {
      EXPECT_NE(log.find(id), std::string::npos) << "no line for request " << id << "\n" << log;
    }
  }

  std::string format() const { return GetParam(); }

 private:
  std::vector<std::string> never_logged_;
  std::vector<std::string> request_ids_;
};

std::string mintToken(const std::string& secret, const std::string& dir) {
  CommandResult minted = runCommand(
      {"token", "--secret", secret, "--user", "user1", "--project", "project1", "--ttl", "1h"},
      dir);
  EXPECT_EQ(minted.exit_status, 0) << minted.err;
  minted.out.erase(std::remove(minted.out.begin(), minted.out.end(), '\n'), minted.out.end());
  return minted.out;
}

Header bearer(std::string_view token) {
  return {"Authorization", "Bearer " + std::string(token)};
}

TEST_P(LogSecrets, ServedRequestsLeaveNoSecretTokenSignatureOrBodyInTheLog) {
  const std::string webhook_secret = neverLogged(secretValue("webhook-secret"));
  const std::string jwt_secret = neverLogged(secretValue("jwt-secret"));
  const std::string admin_token = neverLogged(secretValue("admin-token"));
  const std::string db_password = neverLogged(secretValue("db-password"));
  const std::string db_parameter = neverLogged(secretValue("db-parameter"));

  // On PostgreSQL the URL carries passwords (trust authentication ignores them); a SQLite
  // path has none.
  ServerSpec spec{
      .with_webhook_secrets = false,
      .extra_args = {"--log-format", format(), "--log-level", "trace", "--webhook-secret",
                     webhook_secret, "--jwt-secret", jwt_secret, "--admin-token", admin_token}};
  if (onPostgres()) {
    spec.database = withPasswords(defaultDatabase(""), db_password, db_parameter);
  }
  ServerProcess server(spec);
  ASSERT_TRUE(server.ready()) << server.failure();
  auto client = server.client();

  // Webhooks: a good delivery, one with a wrong signature, one that is not JSON.
  const std::string timestamp = std::to_string(nowMillis());
  const std::string alert =
      compactAlert(uniqueId("nt"), neverLogged(uniqueId("alert-title-marker")));
  auto headers = signedHeaders(alert, timestamp, webhook_secret);
  neverLogged(headers.back().value);
  headers.push_back(requestId("webhook-ok"));
  EXPECT_EQ(deliverWith(*client, alert, headers).status, 200u);

  headers = signedHeaders(alert, timestamp, secretValue("not-the-secret"));
  neverLogged(headers.back().value);
  headers.push_back(requestId("webhook-bad-signature"));
  EXPECT_TRUE(isProblem(deliverWith(*client, alert, headers), 401, "signature_mismatch"));

  const std::string broken = "{\"event\":\"" + neverLogged(uniqueId("broken-body-marker"));
  headers = signedHeaders(broken, timestamp, webhook_secret);
  neverLogged(headers.back().value);
  headers.push_back(requestId("webhook-broken"));
  EXPECT_TRUE(isProblem(deliverWith(*client, broken, headers), 400, "invalid_json"));

  // Bearer tokens: a good one with good, broken and invalid bodies; refused ones.
  const std::string token = neverLogged(mintToken(jwt_secret, server.dir()));
  ASSERT_FALSE(token.empty());
  const std::string dashboard = R"({"name":")" + neverLogged(uniqueId("name-marker")) +
                                R"(","data":[{"query":")" + neverLogged(uniqueId("tile-marker")) +
                                R"("}]})";
  const Header json_type{"Content-Type", "application/json"};
  EXPECT_EQ(
      send(*client, "POST", "/dashboards", {bearer(token), json_type, requestId("post")}, dashboard)
          .status,
      201u);
  EXPECT_TRUE(isProblem(
      send(*client, "POST", "/dashboards", {bearer(token), json_type, requestId("post-broken")},
           "[\"" + neverLogged(uniqueId("broken-dashboard-marker"))),
      400, "invalid_json"));
  EXPECT_TRUE(isValidationError(
      send(*client, "POST", "/dashboards", {bearer(token), json_type, requestId("post-invalid")},
           R"({"name":7,"data":")" + neverLogged(uniqueId("invalid-dashboard-marker")) + "\"}"),
      "name"));
  EXPECT_EQ(send(*client, "GET", "/dashboards", {bearer(token), requestId("list")}).status, 200u);

  const std::string forged = neverLogged(mintToken(secretValue("other-secret"), server.dir()));
  EXPECT_EQ(send(*client, "GET", "/dashboards", {bearer(forged), requestId("forged")}).status,
            401u);
  const std::string garbage = neverLogged(uniqueId("garbage-token"));
  EXPECT_EQ(send(*client, "GET", "/dashboards", {bearer(garbage), requestId("garbage")}).status,
            401u);
  const std::string basic = neverLogged(uniqueId("basic-credentials"));
  EXPECT_EQ(
      send(*client, "GET", "/dashboards", {{"Authorization", "Basic " + basic}, requestId("basic")})
          .status,
      401u);

  // The admin token, reading and writing.
  EXPECT_EQ(send(*client, "GET", "/dashboards?project_id=project1&user_id=user1",
                 {bearer(admin_token), requestId("admin-read")})
                .status,
            200u);
  const std::string topics = R"({"topics":[{"topic":")" + neverLogged(uniqueId("topic-marker")) +
                             R"(","queries":["q"]}]})";
  EXPECT_EQ(send(*client, "PUT", "/query-quick-start?project_id=project1",
                 {bearer(admin_token), json_type, requestId("admin-write")}, topics)
                .status,
            200u);

  // ?access_token= on the stream (good and refused), and on a path that is no route, whose
  // raw target the access log records.
  {
    SseStream stream;
    ASSERT_TRUE(stream.open(server.port(), "/notifications/stream?access_token=" + token,
                            {requestId("stream")}))
        << stream.error();
    EXPECT_EQ(stream.status(), 200u);
  }
  const std::string stream_garbage = neverLogged(uniqueId("stream-garbage-token"));
  EXPECT_EQ(send(*client, "GET", "/notifications/stream?access_token=" + stream_garbage,
                 {requestId("stream-refused")})
                .status,
            401u);
  EXPECT_EQ(
      send(*client, "GET", "/notification/stream?access_token=" + token, {requestId("unrouted")})
          .status,
      404u);

  // After SIGTERM and the exit, every line is in the log.
  EXPECT_EQ(server.stop(), 0);
  const std::string log = server.log();
  expectNoSecretIn(log);
  if (onPostgres()) {
    EXPECT_NE(log.find("***"), std::string::npos) << "the redacted URL is logged: " << log;
  }
}

TEST_P(LogSecrets, DatabaseThatCannotBeReachedLeavesNoPasswordInTheOutput) {
  const TempDir dir;
  const std::string password = neverLogged(secretValue("db-password"));
  const std::string parameter = neverLogged(secretValue("db-parameter"));
  // Port 1 on loopback refuses at once.
  const std::string url = withPasswords("postgresql://autoql@127.0.0.1:1/autoql?connect_timeout=2",
                                        password, parameter);

  for (const char* command : {"migrate", "serve"}) {
    const CommandResult result =
        runCommand({command, "--database", url, "--log-format", format()}, dir.path());
    EXPECT_NE(result.exit_status, 0) << command << ": " << result.err;
    EXPECT_FALSE(result.err.empty()) << command << " says why it stopped";
    expectNoSecretIn(result.out + result.err);
  }
}

TEST_P(LogSecrets, RefusedSecretOptionsAreNotEchoed) {
  const TempDir dir;
  // Both are too short, so start-up stops with a line naming the option.
  const std::string jwt_secret = neverLogged(uniqueId("short-jwt"));
  const std::string admin_token = neverLogged(uniqueId("short-admin"));

  for (const auto& [option, value] :
       {std::pair{"--jwt-secret", jwt_secret}, std::pair{"--admin-token", admin_token}}) {
    const CommandResult result =
        runCommand({"serve", option, value, "--log-format", format()}, dir.path());
    EXPECT_EQ(result.exit_status, 2) << result.err;
    EXPECT_NE(result.err.find(option), std::string::npos) << result.err;
    expectNoSecretIn(result.out + result.err);
  }
}

INSTANTIATE_TEST_SUITE_P(BothFormats, LogSecrets, ::testing::Values("text", "json"));

}  // namespace
}  // namespace autoql::e2e
