// The command line (DESIGN 2): version and help, one-line errors with exit status 2 for
// bad option values, the loopback guard, `migrate`, `webhook sign` and `webhook send`.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "e2e_support.h"
#include "security/webhook_signature.h"

namespace autoql::e2e {
namespace {

using namespace std::chrono_literals;

class Cli : public ::testing::Test {
 protected:
  TempDir dir_;

  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  CommandResult run(const std::vector<std::string>& args, std::string_view input = {}) {
    return runCommand(args, dir_.path(), input, 10s);
  }

  // `serve` on a free port with a database in the temp dir (unless `args` name one).
  CommandResult serve(std::vector<std::string> args) {
    std::vector<std::string> all{"serve", "--port", "0"};
    if (std::find(args.begin(), args.end(), "--database") == args.end()) {
      all.insert(all.end(), {"--database", "sqlite:" + dir_.path() + "/cli.db"});
    }
    all.insert(all.end(), args.begin(), args.end());
    // A server that does start is killed after a few seconds and reported as timed out.
    return runCommand(all, dir_.path(), {}, 5s);
  }
};

// Lines in `text`; a last line without '\n' counts too.
std::size_t lineCount(const std::string& text) {
  const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

TEST_F(Cli, VersionPrintsTheVersion) {
  const auto result = run({"version"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("autoql-backend ")) << result.out;
  EXPECT_EQ(lineCount(result.out), 1u) << result.out;
}

TEST_F(Cli, HelpExitsZero) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"serve", "--help"}, {"webhook", "sign", "--help"}}) {
    SCOPED_TRACE(args.front() + " " + args.back());
    const auto result = run(args);
    EXPECT_EQ(result.exit_status, 0) << result.err;
    EXPECT_NE(result.out.find("--"), std::string::npos) << result.out;
  }
  EXPECT_NE(run({"serve", "--help"}).out.find("--max-body"), std::string::npos);
}

TEST_F(Cli, MissingOrUnknownSubcommandExits2) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"frobnicate"}, {"serve", "--no-such-flag"}}) {
    const auto result = run(args);
    EXPECT_EQ(result.exit_status, 2) << ::testing::PrintToString(args) << " " << result.err;
    EXPECT_FALSE(result.err.empty());
  }
}

struct BadOptionCase {
  std::string option;
  std::string value;
};

TEST_F(Cli, BadOptionValueExits2WithOneLineNamingIt) {
  const std::vector<BadOptionCase> cases = {
      {"--port", "abc"},
      {"--port", "70000"},
      {"--max-body", "12XB"},
      {"--max-body", "0"},
      {"--max-body-memory", "1MiB"},  // less than one body of the default --max-body
      {"--max-body-memory", "a lot"},
      {"--max-body-memory", ""},
      {"--max-header", "lots"},
      {"--webhook-tolerance", "-5s"},
      {"--webhook-tolerance", "soon"},
      {"--header-timeout", "1y"},
      {"--threads", "0"},
      {"--log-format", "xml"},
      {"--log-level", "loud"},
      {"--webhook-secret", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.option + " " + c.value);
    const auto result = serve({c.option, c.value});
    EXPECT_FALSE(result.timed_out) << "the server started";
    EXPECT_EQ(result.exit_status, 2) << result.err;
    EXPECT_EQ(lineCount(result.err), 1u) << result.err;
    EXPECT_NE(result.err.find(c.option), std::string::npos) << result.err;
  }
}

TEST_F(Cli, RefusesNonLoopbackHostWithoutInsecureFlag) {
  const auto result = serve({"--host", "0.0.0.0"});

  EXPECT_FALSE(result.timed_out) << "the server started";
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("--host"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--insecure-no-auth"), std::string::npos) << result.err;
}

TEST_F(Cli, MigrateCreatesTheDatabaseAndIsRepeatable) {
  const std::string path = dir_.path() + "/migrated.db";
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    const auto result = run({"migrate", "--database", "sqlite:" + path});
    EXPECT_EQ(result.exit_status, 0) << result.err;
  }
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(Cli, UnknownDatabaseSchemeExits2NamingTheOption) {
  const std::vector<std::string> bad = {"--database", "mysql://localhost/autoql"};
  for (const std::string& command : std::vector<std::string>{"serve", "migrate"}) {
    SCOPED_TRACE(command);
    const auto result = command == "serve" ? serve(bad) : run({command, bad[0], bad[1]});
    EXPECT_FALSE(result.timed_out) << "the server started";
    EXPECT_EQ(result.exit_status, 2) << result.err;
    EXPECT_EQ(lineCount(result.err), 1u) << result.err;
    EXPECT_NE(result.err.find("--database"), std::string::npos) << result.err;
  }
}

TEST_F(Cli, EnvironmentValuesAreCheckedLikeFlags) {
  const auto result =
      runCommand({"serve", "--port", "0", "--database", "sqlite:" + dir_.path() + "/env.db"},
                 dir_.path(), {}, 5s, {"AUTOQL_MAX_BODY=12XB"});

  EXPECT_FALSE(result.timed_out) << "the server started";
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_NE(result.err.find("--max-body"), std::string::npos) << result.err;
}

TEST_F(Cli, DatabaseComesFromFlagThenEnvironment) {
  const std::string flag_db = dir_.path() + "/flag.db";
  const std::string env_db = dir_.path() + "/env.db";
  const std::string fallback_db = dir_.path() + "/fallback.db";

  // The flag wins over both variables.
  auto result = runCommand({"migrate", "--database", "sqlite:" + flag_db}, dir_.path(), {}, 10s,
                           {"AUTOQL_DATABASE_URL=mysql://nowhere", "DATABASE_URL=mysql://x"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(flag_db));

  // AUTOQL_DATABASE_URL wins over DATABASE_URL.
  result = runCommand({"migrate"}, dir_.path(), {}, 10s,
                      {"AUTOQL_DATABASE_URL=sqlite:" + env_db, "DATABASE_URL=mysql://x"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(env_db));

  result = runCommand({"migrate"}, dir_.path(), {}, 10s, {"DATABASE_URL=sqlite:" + fallback_db});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(fallback_db));
}

TEST_F(Cli, WebhookSignPrintsTheHeadersForStdin) {
  const std::string body = readDataFile("data-alert.json");
  const auto result =
      run({"webhook", "sign", "--secret", "S", "--timestamp", "1700000000000"}, body);

  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "AutoQL-Timestamp: 1700000000000\nAutoQL-Signature: " +
                            security::signWebhook("S", "1700000000000", body) + "\n");
}

TEST_F(Cli, WebhookSignDefaultsToNow) {
  const std::int64_t before = nowMillis();
  const auto result = run({"webhook", "sign", "--secret", "S"}, "{}");
  const std::int64_t after = nowMillis();

  ASSERT_EQ(result.exit_status, 0) << result.err;
  const std::string prefix = "AutoQL-Timestamp: ";
  ASSERT_TRUE(result.out.starts_with(prefix)) << result.out;
  const std::string timestamp =
      result.out.substr(prefix.size(), result.out.find('\n') - prefix.size());
  EXPECT_GE(std::stoll(timestamp), before);
  EXPECT_LE(std::stoll(timestamp), after);
  EXPECT_NE(result.out.find("AutoQL-Signature: " + security::signWebhook("S", timestamp, "{}")),
            std::string::npos);
}

class CliWithServer : public SharedServerTest {
 protected:
  TempDir dir_;

  std::string url(std::string_view path = kWebhookPath) const {
    return "http://127.0.0.1:" + std::to_string(server().port()) + std::string(path);
  }
};

TEST_F(CliWithServer, WebhookSendStoresTheFile) {
  const std::string id = uniqueId("nt");
  const std::string file = dir_.path() + "/alert.json";
  {
    std::ofstream out(file, std::ios::binary);
    out << sampleAlert(id);
  }

  const auto result = runCommand(
      {"webhook", "send", url(), "--secret", std::string(kWebhookSecret), "--file", file},
      dir_.path());

  EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find(R"(200 {"message":"ok"})"), std::string::npos) << result.out;
  const auto fetched = send(client(), "GET", "/notifications/" + id);
  ASSERT_EQ(fetched.status, 200u) << fetched.body;
  EXPECT_EQ(bodyJson(fetched).at("project_id"), boost::json::value("acme-prod"));
}

TEST_F(CliWithServer, WebhookSendGeneratesASampleAlert) {
  const auto result = runCommand(
      {"webhook", "send", url("/your-webhook"), "--secret", std::string(kSecondWebhookSecret)},
      dir_.path());

  EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find(R"(200 {"message":"ok"})"), std::string::npos) << result.out;
}

TEST_F(CliWithServer, WebhookSendWithWrongSecretFails) {
  const auto result = runCommand({"webhook", "send", url(), "--secret", "wrong"}, dir_.path());

  EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("401"), std::string::npos) << result.out;
}

TEST_F(CliWithServer, WebhookSendRefusesANonHttpUrl) {
  const auto result =
      runCommand({"webhook", "send", "ftp://127.0.0.1/x", "--secret", "S"}, dir_.path());
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("url"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace autoql::e2e
