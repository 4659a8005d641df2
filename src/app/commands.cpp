#include "app/commands.h"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "api/auth.h"
#include "app/api_modules.h"
#include "app/logging.h"
#include "domain/json_text.h"
#include "domain/quick_start.h"
#include "http/client.h"
#include "http/dispatcher.h"
#include "http/server.h"
#include "security/crypto.h"
#include "security/jwt.h"
#include "security/webhook_signature.h"
#include "storage/open_store.h"
#include "util/clock.h"
#include "util/worker_pool.h"

namespace autoql::app {
namespace {

std::unique_ptr<storage::Store> openAndMigrate(const Config& config) {
  storage::StoreOptions options;
  options.read_connections = config.db_workers;
  // Writes a local store queues without a worker: as many as the workers could hold.
  options.max_queued_writes = config.db_workers + config.db_queue;
  auto store = storage::openStore(config.database, options);
  if (!store) {
    spdlog::error("cannot open the database: {}", store.error().detail);
    return nullptr;
  }
  auto applied = (*store)->migrate();
  if (!applied) {
    spdlog::error("cannot migrate the database: {}", applied.error().detail);
    return nullptr;
  }
  spdlog::info("database {} is up to date ({} migration(s) applied now)",
               storage::redactUrl(config.database), *applied);
  return std::move(store).value();
}

http::ServerOptions serverOptions(const Config& config) {
  http::ServerOptions options;
  options.host = config.host == "localhost" ? "127.0.0.1" : config.host;
  options.port = config.port;
  options.threads = config.threads;
  options.max_header_bytes = config.max_header;
  options.max_body_bytes = config.max_body;
  options.max_body_memory = config.max_body_memory;
  options.header_timeout = config.header_timeout;
  options.request_timeout = config.request_timeout;
  options.idle_timeout = config.idle_timeout;
  options.shutdown_timeout = config.shutdown_timeout;
  options.stream_heartbeat = config.stream_heartbeat;
  return options;
}

// Start-up warnings for configurations that serve, but not safely.
void warnAboutConfiguration(const Config& config) {
  if (config.webhook_secrets.empty()) {
    spdlog::warn(
        "no webhook secret is configured: POST /webhooks/autoql answers 503 until "
        "--webhook-secret or AUTOQL_WEBHOOK_SECRETS is set");
  }
  if (!authEnabled(config)) {
    spdlog::warn(
        "authentication is off: callers choose project_id and user_id themselves, "
        "as in the Flask sample; set --jwt-secret or --jwt-public-key to require "
        "bearer tokens");
  }
}

std::optional<security::JwtVerifier> jwtVerifier(const Config& config) {
  if (!authEnabled(config)) {
    return std::nullopt;
  }
  security::JwtOptions options;
  options.algorithm = config.jwt_algorithm;
  options.key = config.jwt_secret.empty() ? config.jwt_public_key : config.jwt_secret;
  options.issuer = config.jwt_issuer;
  options.audience = config.jwt_audience;
  return security::JwtVerifier(std::move(options));
}

std::string readAll(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The contents of a regular file; nullopt for anything else (checked before opening, so
// that a FIFO or a device does not block the command).
std::optional<std::string> readRegularFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return std::nullopt;
  }
  return readAll(file);
}

// A Data Alert in the shape AutoQL sends, with a fresh notification id.
std::string sampleAlert() {
  const std::int64_t now_seconds = systemNowMillis() / 1000;
  return R"({"event":"data_alert.true","payload":{"notification_id":"nt_)" +
         security::randomHex(16) +
         R"(","data_alert_id":"da_sample","project_id":"project1","title":"High Sales",)"
         R"("message":"You've achieved your sales goal this month","users":["user1","user2"],)"
         R"("created_at":)" +
         std::to_string(now_seconds) +
         R"(,"data_return_query":"total sales this month","query_result":{)"
         R"("reference_id":"1.1.200","message":"ok","data":{}}}})";
}

}  // namespace

int runServe(const Config& config) {
  if (!isLoopbackHost(config.host) && !authEnabled(config) && !config.insecure_no_auth) {
    spdlog::error(
        "--host: refusing to listen on {} without authentication; anyone who can "
        "reach it could read and change every user's data. Use a loopback address, "
        "or pass --insecure-no-auth if a proxy in front authenticates callers",
        config.host);
    return 2;
  }
  auto store = openAndMigrate(config);
  if (!store) {
    return 1;
  }
  warnAboutConfiguration(config);

  const api::ApiLimits limits{config.max_json_depth};
  const security::WebhookVerifier verifier(config.webhook_secrets, config.webhook_tolerance,
                                           systemClock());
  api::NotificationHub hub;
  http::Metrics metrics;
  metrics.addGauge("autoql_live_streams", "Open live notification streams.",
                   [&hub] { return static_cast<double>(hub.openStreams()); });
  metrics.addGauge("autoql_db_connections_in_use", "Database connections serving requests now.",
                   [&store] { return static_cast<double>(store->connectionsInUse()); });
  metrics.addGauge("autoql_db_connections_max", "The most database connections there can be.",
                   [&store] { return static_cast<double>(store->connectionLimit()); });
  metrics.describe("autoql_db_query_duration_seconds",
                   "Database calls by kind: a read, or a write until its commit is on disk.");
  store->onQueryTimed([&metrics](std::string_view kind, std::chrono::duration<double> elapsed) {
    metrics.observe("autoql_db_query_duration_seconds", "kind", kind, elapsed);
  });
  const api::Authenticator auth(jwtVerifier(config), config.admin_token);
  store->onNotificationStored([&hub](const domain::Notification& n) { hub.publish(n); });
  ApiModules modules(
      ApiServices{*store, hub, metrics, auth, verifier, limits, systemClock(), AUTOQL_VERSION});

  http::Router router;
  modules.registerRoutes(router);

  WorkerPool workers(config.db_workers, config.db_queue);
  http::Dispatcher dispatcher(router, workers, http::CorsPolicy{config.cors_origins},
                              store->readsAreLocal());
  http::ServerOptions server_options = serverOptions(config);
  server_options.metrics = &metrics;
  http::Server server(server_options, dispatcher);
  if (std::string problem = server.listen(); !problem.empty()) {
    spdlog::error("{}", problem);
    return 1;
  }
  server.run();

  // Handlers still queued finish before the store closes, and the store closes (its
  // PostgreSQL listener thread joined) before the hub it publishes to is destroyed.
  workers.stop();
  store.reset();
  return 0;
}

int runMigrate(const Config& config) {
  return openAndMigrate(config) ? 0 : 1;
}

int runWebhookSign(const Invocation& invocation) {
  const std::string body = readAll(std::cin);
  const std::string timestamp = invocation.timestamp.value_or(std::to_string(systemNowMillis()));
  std::printf("AutoQL-Timestamp: %s\nAutoQL-Signature: %s\n", timestamp.c_str(),
              security::signWebhook(invocation.secret, timestamp, body).c_str());
  return 0;
}

int runWebhookSend(const Invocation& invocation) {
  auto url = boost::urls::parse_uri(invocation.url);
  if (!url || url->scheme() != "http" || url->host().empty()) {
    std::fprintf(stderr, "autoql-backend: url: '%s' is not an http:// URL\n",
                 invocation.url.c_str());
    return 2;
  }

  std::string body = sampleAlert();
  if (!invocation.file.empty()) {
    auto content = readRegularFile(invocation.file);
    if (!content) {
      std::fprintf(stderr, "autoql-backend: --file: cannot read '%s'\n", invocation.file.c_str());
      return 2;
    }
    body = std::move(*content);
  }

  const std::string timestamp = std::to_string(systemNowMillis());
  const std::string target =
      url->encoded_target().empty() ? "/" : std::string(url->encoded_target());
  const auto port = static_cast<std::uint16_t>(url->has_port() ? url->port_number() : 80);
  // An IPv6 literal comes bracketed in the URL ("[::1]"); the client wants the address.
  std::string host(url->host_address());
  http::Client client(host, port, std::chrono::seconds(30));
  auto response =
      client.send("POST", target,
                  {{"Content-Type", "application/json"},
                   {"AutoQL-Timestamp", timestamp},
                   {"AutoQL-Signature", security::signWebhook(invocation.secret, timestamp, body)}},
                  body);
  if (!response) {
    std::fprintf(stderr, "autoql-backend: %s\n", response.error().c_str());
    return 1;
  }
  std::printf("%u %s\n", response->status, response->body.c_str());
  return response->status >= 200 && response->status < 300 ? 0 : 1;
}

int runTopicsImport(const Invocation& invocation) {
  auto content = readRegularFile(invocation.file);
  if (!content) {
    std::fprintf(stderr, "autoql-backend: --file: cannot read '%s'\n", invocation.file.c_str());
    return 2;
  }
  if (std::string problem = domain::checkText(invocation.project, domain::kMaxProjectIdChars);
      !problem.empty()) {
    std::fprintf(stderr, "autoql-backend: --project: %s\n", problem.c_str());
    return 2;
  }

  auto parsed = domain::parseJson(*content);
  if (!parsed) {
    std::fprintf(stderr, "autoql-backend: %s: not valid JSON: %s\n", invocation.file.c_str(),
                 parsed.error().c_str());
    return 1;
  }
  auto topics = domain::parseTopics(*parsed);
  if (!topics) {
    for (const auto& error : topics.error()) {
      std::fprintf(stderr, "autoql-backend: %s: %s %s\n", invocation.file.c_str(),
                   error.field.c_str(), error.message.c_str());
    }
    return 1;
  }

  auto store = openAndMigrate(invocation.config);
  if (!store) {
    return 1;
  }
  if (auto stored = store->putQuickStartTopics(invocation.project, *topics); !stored) {
    spdlog::error("cannot store the topics: {}", stored.error().detail);
    return 1;
  }
  std::printf("imported %zu topic(s) into project %s\n",
              boost::json::parse(*topics).as_array().size(), invocation.project.c_str());
  return 0;
}

int runToken(const Invocation& invocation) {
  std::printf("%s\n",
              security::mintHs256Token(invocation.secret, invocation.user, invocation.project,
                                       invocation.ttl, systemNowMillis())
                  .c_str());
  return 0;
}

int runVersion() {
  std::printf("autoql-backend %s\n", AUTOQL_VERSION);
  return 0;
}

}  // namespace autoql::app
