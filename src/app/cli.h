// The command line of DESIGN 2: subcommands, flags with their environment variables
// (flags win), and validation that stops start-up with one line naming the bad option.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "app/config.h"

namespace autoql::app {

enum class Command {
  kServe,
  kMigrate,
  kWebhookSign,
  kWebhookSend,
  kTopicsImport,
  kToken,
  kVersion
};

struct Invocation {
  Command command = Command::kServe;
  Config config;
  // webhook sign / send
  std::string secret;
  std::optional<std::string> timestamp;  // milliseconds, as text; default now
  std::string url;                       // webhook send
  std::string file;                // webhook send (empty: a generated sample alert); topics import
  std::string project;             // topics import, token
  std::string user;                // token
  std::chrono::seconds ttl{3600};  // token
};

struct ParsedCommandLine {
  std::optional<Invocation> invocation;  // nullopt: nothing to run, exit with exit_code
  int exit_code = 0;
};

// Parses argv and the AUTOQL_* environment. Prints help, or one error line to stderr
// (exit code 2), itself.
ParsedCommandLine parseCommandLine(int argc, char** argv);

}  // namespace autoql::app
