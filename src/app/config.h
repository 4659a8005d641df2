// Everything the command line and the environment configure (DESIGN 2), already
// validated: the types say what a value means, and every limit has its default here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "security/jwt.h"

namespace autoql::app {

enum class LogFormat { kText, kJson };

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5000;
  std::string database = "sqlite:autoql.db";
  std::size_t threads = 1;  // I/O threads; defaults to the number of cores
  std::vector<std::string> webhook_secrets;
  std::chrono::milliseconds webhook_tolerance{300'000};
  bool insecure_no_auth = false;

  // Authentication (DESIGN 4). Tokens are required when a secret or a key is set.
  std::string jwt_secret;
  std::string jwt_public_key;  // PEM text, read from --jwt-public-key's file
  security::JwtAlgorithm jwt_algorithm = security::JwtAlgorithm::kHs256;
  std::optional<std::string> jwt_issuer;
  std::optional<std::string> jwt_audience;
  std::string admin_token;
  std::vector<std::string> cors_origins;

  // Limits on untrusted input (DESIGN 6).
  std::uint64_t max_body = 16 * 1024 * 1024;
  std::uint64_t max_body_memory = 64 * 1024 * 1024;  // all connections' bodies at once
  std::size_t max_header = 16 * 1024;
  std::size_t max_json_depth = 64;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::chrono::milliseconds stream_heartbeat{15'000};

  // The worker pool that runs handlers and database calls, and its queue bound.
  std::size_t db_workers = 16;
  std::size_t db_queue = 256;

  LogFormat log_format = LogFormat::kText;
  std::string log_level = "info";
};

// True when bearer tokens are configured.
inline bool authEnabled(const Config& config) {
  return !config.jwt_secret.empty() || !config.jwt_public_key.empty();
}

// True for 127.0.0.0/8, ::1 and "localhost": addresses no other machine can reach.
bool isLoopbackHost(const std::string& host);

}  // namespace autoql::app
