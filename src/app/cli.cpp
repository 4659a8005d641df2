#include "app/cli.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <thread>

#include "storage/open_store.h"
#include "util/units.h"

namespace autoql::app {
namespace {

// A bad value: reported as one line naming the option, exit status 2.
class OptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Options given as text and converted after parsing, so that each error names its option.
struct RawOptions {
  std::string webhook_tolerance = "300s";
  std::string max_body = "16MiB";
  std::optional<std::string> max_body_memory;  // four times --max-body when not given
  std::string max_header = "16KiB";
  std::string header_timeout = "10s";
  std::string request_timeout = "30s";
  std::string idle_timeout = "60s";
  std::string shutdown_timeout = "10s";
  std::string stream_heartbeat = "15s";
  std::string log_format = "text";
  std::vector<std::string> webhook_secrets;
  std::string jwt_public_key_file;
  std::string cors_origins;
  std::string ttl = "1h";
};

// Shortest HS256 secret accepted: RFC 7518 3.2 asks for a key as long as the hash.
constexpr std::size_t kMinJwtSecretBytes = 32;

bool isIpAddress(const std::string& host) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), address) == 1;
}

void checkSecret(const std::string& secret) {
  if (secret.empty()) {
    throw OptionError("--secret: must not be empty");
  }
}

// A timestamp for `webhook sign`: milliseconds, digits only.
void checkTimestamp(const std::optional<std::string>& timestamp) {
  if (timestamp && (timestamp->empty() || timestamp->size() > 19 ||
                    timestamp->find_first_not_of("0123456789") != std::string::npos)) {
    throw OptionError("--timestamp: '" + *timestamp +
                      "' is not a count of milliseconds since the Unix epoch");
  }
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

std::chrono::milliseconds duration(const std::string& option, const std::string& text,
                                   std::chrono::milliseconds min, std::chrono::milliseconds max) {
  const auto value = parseDuration(text);
  if (!value || *value < min || *value > max) {
    throw OptionError(option + ": '" + text + "' is not a duration from " +
                      std::to_string(min.count()) + "ms to " + std::to_string(max.count() / 1000) +
                      "s (use e.g. 500ms, 30s, 5m)");
  }
  return *value;
}

std::uint64_t size(const std::string& option, const std::string& text, std::uint64_t min,
                   std::uint64_t max) {
  const auto value = parseSize(text);
  if (!value || *value < min || *value > max) {
    throw OptionError(option + ": '" + text + "' is not a size from " + std::to_string(min) +
                      " to " + std::to_string(max) + " bytes (use e.g. 64KiB, 16MiB)");
  }
  return *value;
}

void addServerOptions(CLI::App& command, Config& config, RawOptions& raw) {
  command.add_option("--host", config.host, "Address to listen on")
      ->envname("AUTOQL_HOST")
      ->capture_default_str();
  command.add_option("--port", config.port, "Port to listen on (0: any free port)")
      ->envname("AUTOQL_PORT")
      ->capture_default_str();
  command.add_option("--threads", config.threads, "HTTP I/O threads (default: cores)")
      ->envname("AUTOQL_THREADS")
      ->check(CLI::Range(1, 256));
  command
      .add_option("--webhook-secret", raw.webhook_secrets,
                  "Secret that signs Data Alert webhooks; repeatable, for rotation "
                  "(env AUTOQL_WEBHOOK_SECRETS, comma-separated)")
      ->take_all();
  command
      .add_option("--webhook-tolerance", raw.webhook_tolerance,
                  "Largest clock difference a webhook timestamp may show, either way")
      ->envname("AUTOQL_WEBHOOK_TOLERANCE")
      ->capture_default_str();
  command
      .add_flag("--insecure-no-auth", config.insecure_no_auth,
                "Allow a non-loopback --host although nothing authenticates callers")
      ->envname("AUTOQL_INSECURE_NO_AUTH");
  command.add_option("--jwt-secret", config.jwt_secret, "HS256 secret for bearer tokens")
      ->envname("AUTOQL_JWT_SECRET");
  command
      .add_option("--jwt-public-key", raw.jwt_public_key_file,
                  "PEM public key file for RS256 or ES256 bearer tokens")
      ->envname("AUTOQL_JWT_PUBLIC_KEY");
  command.add_option("--jwt-issuer", config.jwt_issuer, "Required iss claim")
      ->envname("AUTOQL_JWT_ISSUER");
  command.add_option("--jwt-audience", config.jwt_audience, "Required aud claim")
      ->envname("AUTOQL_JWT_AUDIENCE");
  command
      .add_option("--admin-token", config.admin_token,
                  "Token for project-level writes and reading any user's data")
      ->envname("AUTOQL_ADMIN_TOKEN");
  command
      .add_option("--cors-origins", raw.cors_origins,
                  "Comma-separated origins allowed to call from browsers")
      ->envname("AUTOQL_CORS_ORIGINS");
  command.add_option("--max-body", raw.max_body, "Largest request body")
      ->envname("AUTOQL_MAX_BODY")
      ->capture_default_str();
  command
      .add_option("--max-body-memory", raw.max_body_memory,
                  "Request bodies held in memory at once (default: 4 x --max-body)")
      ->envname("AUTOQL_MAX_BODY_MEMORY");
  command.add_option("--max-header", raw.max_header, "Largest request header block")
      ->envname("AUTOQL_MAX_HEADER")
      ->capture_default_str();
  command.add_option("--max-json-depth", config.max_json_depth, "Deepest JSON nesting accepted")
      ->envname("AUTOQL_MAX_JSON_DEPTH")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  command.add_option("--header-timeout", raw.header_timeout, "Time to receive a header block")
      ->envname("AUTOQL_HEADER_TIMEOUT")
      ->capture_default_str();
  command.add_option("--request-timeout", raw.request_timeout, "Time to receive a whole request")
      ->envname("AUTOQL_REQUEST_TIMEOUT")
      ->capture_default_str();
  command.add_option("--idle-timeout", raw.idle_timeout, "Idle keep-alive connection lifetime")
      ->envname("AUTOQL_IDLE_TIMEOUT")
      ->capture_default_str();
  command
      .add_option("--shutdown-timeout", raw.shutdown_timeout,
                  "Time requests in flight get to finish on SIGTERM")
      ->envname("AUTOQL_SHUTDOWN_TIMEOUT")
      ->capture_default_str();
  command
      .add_option("--stream-heartbeat", raw.stream_heartbeat,
                  "Interval of the comment line an idle event stream sends")
      ->envname("AUTOQL_STREAM_HEARTBEAT")
      ->capture_default_str();
  command.add_option("--db-workers", config.db_workers, "Threads running handlers and queries")
      ->envname("AUTOQL_DB_WORKERS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_option("--db-queue", config.db_queue, "Requests that may wait for a worker")
      ->envname("AUTOQL_DB_QUEUE")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
}

void addCommonOptions(CLI::App& command, Config& config, RawOptions& raw) {
  command
      .add_option("--database", config.database,
                  "sqlite:PATH, sqlite::memory: or postgresql://... "
                  "(env AUTOQL_DATABASE_URL, then DATABASE_URL)")
      ->capture_default_str();
  command.add_option("--log-format", raw.log_format, "text or json")
      ->envname("AUTOQL_LOG_FORMAT")
      ->capture_default_str();
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error or off")
      ->envname("AUTOQL_LOG_LEVEL")
      ->capture_default_str();
}

std::string readFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || !file) {
    throw OptionError("--jwt-public-key: cannot read '" + path + "'");
  }
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// An origin as browsers send it: scheme://host[:port], nothing after.
bool isOrigin(const std::string& origin) {
  const std::size_t scheme = origin.find("://");
  if (scheme == std::string::npos || origin.empty() || origin.back() == '/') {
    return false;
  }
  const std::string name = origin.substr(0, scheme);
  return (name == "http" || name == "https") && origin.size() > scheme + 3 &&
         origin.find('/', scheme + 3) == std::string::npos;
}

void finishAuth(Config& config, const RawOptions& raw) {
  if (!config.jwt_secret.empty() && !raw.jwt_public_key_file.empty()) {
    throw OptionError("--jwt-secret: give either --jwt-secret or --jwt-public-key, not both");
  }
  if (!config.jwt_secret.empty() && config.jwt_secret.size() < kMinJwtSecretBytes) {
    throw OptionError("--jwt-secret: must be at least " + std::to_string(kMinJwtSecretBytes) +
                      " bytes for HS256");
  }
  if (!raw.jwt_public_key_file.empty()) {
    config.jwt_public_key = readFile(raw.jwt_public_key_file);
    auto algorithm = security::algorithmForPublicKey(config.jwt_public_key);
    if (!algorithm) {
      throw OptionError("--jwt-public-key: " + algorithm.error());
    }
    config.jwt_algorithm = *algorithm;
  }
  if (!config.admin_token.empty() && config.admin_token.size() < kMinJwtSecretBytes) {
    throw OptionError("--admin-token: must be at least " + std::to_string(kMinJwtSecretBytes) +
                      " characters");
  }
  if (!raw.cors_origins.empty()) {
    for (const std::string& origin : splitList(raw.cors_origins)) {
      if (!isOrigin(origin)) {
        throw OptionError("--cors-origins: '" + origin +
                          "' is not an origin like https://app.example.com");
      }
      config.cors_origins.push_back(origin);
    }
  }
}

// The values CLI11 cannot check alone: units, lists, and the two database variables.
void finishConfig(const CLI::App& command, Config& config, const RawOptions& raw) {
  using std::chrono::hours;
  using std::chrono::milliseconds;

  if (command.count("--database") == 0) {
    // An empty variable counts as unset, as shells and container tools leave them so.
    const char* url = std::getenv("AUTOQL_DATABASE_URL");
    const char* fallback = std::getenv("DATABASE_URL");
    if (url != nullptr && *url != '\0') {
      config.database = url;
    } else if (fallback != nullptr && *fallback != '\0') {
      config.database = fallback;
    }
  }
  if (std::string problem = storage::checkDatabaseUrl(config.database); !problem.empty()) {
    throw OptionError("--database: " + problem);
  }
  if (raw.log_format != "text" && raw.log_format != "json") {
    throw OptionError("--log-format: '" + raw.log_format + "' is not text or json");
  }
  config.log_format = raw.log_format == "json" ? LogFormat::kJson : LogFormat::kText;
  if (command.get_option_no_throw("--webhook-secret") == nullptr) {
    return;  // migrate: the server options are not there
  }

  if (!isLoopbackHost(config.host) && !isIpAddress(config.host)) {
    throw OptionError("--host: '" + config.host + "' is not an IP address or localhost");
  }

  std::vector<std::string> secrets = raw.webhook_secrets;
  if (secrets.empty()) {
    if (const char* list = std::getenv("AUTOQL_WEBHOOK_SECRETS"); list && *list) {
      secrets = splitList(list);
    }
  }
  for (const std::string& secret : secrets) {
    if (secret.empty()) {
      throw OptionError("--webhook-secret: a secret must not be empty");
    }
  }
  config.webhook_secrets = std::move(secrets);
  finishAuth(config, raw);
  config.webhook_tolerance =
      duration("--webhook-tolerance", raw.webhook_tolerance, milliseconds(1000), hours(24));
  config.max_body = size("--max-body", raw.max_body, 1, 1024ULL * 1024 * 1024);
  config.max_body_memory = raw.max_body_memory ? size("--max-body-memory", *raw.max_body_memory,
                                                      config.max_body, 1024ULL << 30)
                                               : 4 * config.max_body;
  config.max_header = size("--max-header", raw.max_header, 1024, 1024 * 1024);
  config.header_timeout =
      duration("--header-timeout", raw.header_timeout, milliseconds(100), hours(1));
  config.request_timeout =
      duration("--request-timeout", raw.request_timeout, milliseconds(100), hours(1));
  config.idle_timeout = duration("--idle-timeout", raw.idle_timeout, milliseconds(100), hours(24));
  config.shutdown_timeout =
      duration("--shutdown-timeout", raw.shutdown_timeout, milliseconds(0), hours(1));
  config.stream_heartbeat =
      duration("--stream-heartbeat", raw.stream_heartbeat, milliseconds(100), hours(1));
}

// A subcommand, the command it selects, and the checks that run once it is parsed.
struct Subcommand {
  CLI::App* app;
  Command command;
  std::function<void()> finish;
};

void addWebhookCommands(CLI::App& app, Invocation& invocation, std::vector<Subcommand>& out) {
  auto* webhook = app.add_subcommand("webhook", "Sign or send Data Alert webhook deliveries");
  webhook->require_subcommand(1);

  auto* sign = webhook->add_subcommand(
      "sign", "Print AutoQL-Timestamp and AutoQL-Signature headers for the body on stdin");
  sign->add_option("--secret", invocation.secret, "Webhook secret")->required();
  sign->add_option("--timestamp", invocation.timestamp,
                   "Milliseconds since the epoch (default: now)");
  out.push_back({sign, Command::kWebhookSign, [&invocation] {
                   checkSecret(invocation.secret);
                   checkTimestamp(invocation.timestamp);
                 }});

  auto* send = webhook->add_subcommand("send", "POST a signed Data Alert to a running server");
  send->add_option("url", invocation.url, "Webhook URL, e.g. http://127.0.0.1:5000/webhooks/autoql")
      ->required();
  send->add_option("--secret", invocation.secret, "Webhook secret")->required();
  send->add_option("--file", invocation.file, "Body to send (default: a generated sample alert)");
  out.push_back({send, Command::kWebhookSend, [&invocation] { checkSecret(invocation.secret); }});
}

void addTokenCommand(CLI::App& app, Invocation& invocation, RawOptions& raw,
                     std::vector<Subcommand>& out) {
  auto* token = app.add_subcommand("token", "Mint an HS256 bearer token for local testing");
  token->add_option("--secret", invocation.secret, "The server's --jwt-secret")->required();
  token->add_option("--user", invocation.user, "user_id claim")->required();
  token->add_option("--project", invocation.project, "project_id claim")->required();
  token->add_option("--ttl", raw.ttl, "Lifetime")->capture_default_str();
  out.push_back(
      {token, Command::kToken, [&invocation, &raw] {
         if (invocation.secret.size() < kMinJwtSecretBytes) {
           throw OptionError("--secret: must be at least " + std::to_string(kMinJwtSecretBytes) +
                             " bytes, as the server's --jwt-secret");
         }
         if (invocation.user.empty() || invocation.project.empty()) {
           throw OptionError(std::string(invocation.user.empty() ? "--user" : "--project") +
                             ": must not be empty");
         }
         invocation.ttl = std::chrono::duration_cast<std::chrono::seconds>(
             duration("--ttl", raw.ttl, std::chrono::seconds(1), std::chrono::hours(24 * 365)));
       }});
}

// Registers every subcommand of DESIGN 2 on `app`.
std::vector<Subcommand> addSubcommands(CLI::App& app, Invocation& invocation, RawOptions& raw) {
  Config& config = invocation.config;
  std::vector<Subcommand> commands;

  auto* serve = app.add_subcommand("serve", "Run the HTTP server (migrates the schema first)");
  addServerOptions(*serve, config, raw);
  addCommonOptions(*serve, config, raw);
  commands.push_back(
      {serve, Command::kServe, [serve, &config, &raw] { finishConfig(*serve, config, raw); }});

  auto* migrate = app.add_subcommand("migrate", "Apply schema migrations and exit");
  addCommonOptions(*migrate, config, raw);
  commands.push_back({migrate, Command::kMigrate,
                      [migrate, &config, &raw] { finishConfig(*migrate, config, raw); }});

  addWebhookCommands(app, invocation, commands);

  auto* topics = app.add_subcommand("topics", "Manage Query Quick Start topic lists");
  topics->require_subcommand(1);
  auto* import = topics->add_subcommand(
      "import", "Replace a project's topics with a JSON file ({\"topics\":[...]})");
  import->add_option("--project", invocation.project, "Project id")->required();
  import->add_option("--file", invocation.file, "Topics file")->required();
  addCommonOptions(*import, config, raw);
  commands.push_back({import, Command::kTopicsImport,
                      [import, &config, &raw] { finishConfig(*import, config, raw); }});

  addTokenCommand(app, invocation, raw, commands);
  commands.push_back(
      {app.add_subcommand("version", "Print the version"), Command::kVersion, [] {}});
  return commands;
}

}  // namespace

ParsedCommandLine parseCommandLine(int argc, char** argv) {
  Invocation invocation;
  invocation.config.threads = std::max(1U, std::thread::hardware_concurrency());
  RawOptions raw;

  CLI::App app{
      "autoql-backend: dashboards, Data Alert notifications and Query Quick Start "
      "for applications that embed the AutoQL widgets",
      "autoql-backend"};
  app.require_subcommand(1);
  const std::vector<Subcommand> commands = addSubcommands(app, invocation, raw);

  try {
    app.parse(argc, argv);
    for (const Subcommand& subcommand : commands) {
      if (subcommand.app->parsed()) {
        invocation.command = subcommand.command;
        subcommand.finish();
      }
    }
  } catch (const CLI::CallForHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::CallForAllHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "autoql-backend: %s (see --help)\n", e.what());
    return {std::nullopt, 2};
  } catch (const OptionError& e) {
    std::fprintf(stderr, "autoql-backend: %s\n", e.what());
    return {std::nullopt, 2};
  }
  return {std::move(invocation), 0};
}

}  // namespace autoql::app
