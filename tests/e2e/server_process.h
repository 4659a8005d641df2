// The end-to-end harness: runs the real autoql-backend binary as a child process.
//
// ServerProcess starts `autoql-backend serve` on a free loopback port with a fresh SQLite
// database in its own temporary directory, waits for the "listening on" line, and stops
// the process (and removes the directory) when destroyed. runCommand() runs any other
// invocation (CLI tests) and captures its exit status and output.
//
// The child gets a hermetic environment: every AUTOQL_* variable and DATABASE_URL of the
// test's own environment is removed. Both types are used from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"

namespace autoql::e2e {

// The two secrets every default server accepts (two, to test rotation).
inline constexpr std::string_view kWebhookSecret = "e2e-secret-one";
inline constexpr std::string_view kSecondWebhookSecret = "e2e-secret-two";

// A directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A database URL for a new server: a fresh PostgreSQL database when the suite runs on
// PostgreSQL (AUTOQL_E2E_POSTGRES_URL), else a SQLite file in `dir`.
std::string defaultDatabase(const std::string& dir);

// A new, empty database on the PostgreSQL server at `admin_url`; "" when it cannot.
std::string freshPostgresDatabase(const std::string& admin_url);

// True when this run of the suite is on PostgreSQL.
bool onPostgres();

struct ServerSpec {
  bool with_webhook_secrets = true;     // --webhook-secret kWebhookSecret, kSecondWebhookSecret
  std::vector<std::string> extra_args;  // appended after the defaults, e.g. {"--max-body", "1KiB"}
  unsigned max_open_files = 0;          // > 0: the child's RLIMIT_NOFILE (as `ulimit -n`)
  std::optional<std::string> database = std::nullopt;  // default: defaultDatabase(dir)
};

class ServerProcess {
 public:
  // Starts the server and waits (up to 10 s) until it listens. Check ready() afterwards.
  explicit ServerProcess(ServerSpec spec = {});
  ~ServerProcess();  // SIGKILLs the process if it still runs

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // True once the server listens; otherwise failure() says why (with the log).
  bool ready() const { return port_ != 0; }
  const std::string& failure() const { return failure_; }

  std::uint16_t port() const { return port_; }
  // The process id while it runs (-1 once it has exited), e.g. to read /proc/<pid>/status.
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_.path(); }

  // Everything the process has written to stdout and stderr so far.
  std::string log() const;

  // Waits up to `wait` for a log line containing `text`. Returns whether it appeared.
  bool waitForLog(std::string_view text, std::chrono::milliseconds wait) const;

  // A new client connected to this server (it connects on first use).
  std::unique_ptr<http::Client> client(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  // Sets the running process's soft RLIMIT_FSIZE: no file of the process can be written
  // past `bytes` (as on a full disk). 0 lifts the limit up to the hard one. Returns whether
  // it could.
  bool limitFileSize(std::uint64_t bytes);

  // Sends `signal_number` to the process without waiting.
  void signal(int signal_number);

  // Waits up to `wait` for the process to exit. Returns the exit status (128 + the signal
  // number when a signal killed it), or nullopt if it still runs (or was never started).
  std::optional<int> waitForExit(std::chrono::milliseconds wait);

  // Sends `signal_number` and waits up to `wait` for the exit; past that, SIGKILL. Returns the
  // exit status as waitForExit(), or -1 if it was not running.
  int stop(int signal_number = SIGTERM, std::chrono::milliseconds wait = std::chrono::seconds(15));

 private:
  void start(const ServerSpec& spec);
  void waitUntilListening(std::chrono::milliseconds wait);

  TempDir dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string failure_;
};

struct CommandResult {
  int exit_status = -1;  // as ServerProcess::stop(); -1 when it could not run
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs autoql-backend with `args` in `work_dir`, writing `input` to its stdin, with the
// "NAME=value" entries of `env` added to the hermetic environment. A process still
// running after `wait` is killed and reported as timed out.
CommandResult runCommand(const std::vector<std::string>& args, const std::string& work_dir,
                         std::string_view input = {},
                         std::chrono::milliseconds wait = std::chrono::seconds(15),
                         const std::vector<std::string>& env = {});

// The path of the server binary under test.
std::string backendBinary();

}  // namespace autoql::e2e
