// Process management for the end-to-end tests: fork/exec of the server binary with its
// output in a file, start-up detection from the log, signals and timed waits.
#include "server_process.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

namespace autoql::e2e {
namespace {

// mkdtemp() replaces these six characters with a unique name.
const std::string kMkdtempSuffix(6, 'X');

using Millis = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr Millis kPollInterval{10};
constexpr Millis kStartTimeout{10'000};
constexpr Millis kKillWait{5'000};
constexpr std::string_view kListeningLine = "listening on http://127.0.0.1:";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool writeFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// The test's environment without the variables the server reads, so that the developer's
// or CI's settings cannot change what a test sees.
std::vector<std::string> hermeticEnvironment() {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.starts_with("AUTOQL_") || text.starts_with("DATABASE_URL=")) {
      continue;
    }
    env.emplace_back(text);
  }
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

// Starts the binary with `args` and the extra `env` entries in `work_dir`, its stdin/stdout/stderr
// on the given descriptors, and at most `max_open_files` descriptors when that is not 0. Everything
// the child needs is built before fork(): the test may have other threads, and only
// async-signal-safe calls are allowed between fork and exec.
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
            const std::string& work_dir, int in_fd, int out_fd, int err_fd,
            unsigned max_open_files = 0) {
  std::vector<std::string> argv_strings{backendBinary()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = hermeticEnvironment();
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) {
    return pid;  // the parent, or -1
  }
  // A test binary that crashes must not leave servers behind.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
    _exit(127);
  }
  if (chdir(work_dir.c_str()) != 0 || dup2(in_fd, STDIN_FILENO) < 0 ||
      dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0) {
    _exit(127);
  }
  // The test's own sockets must not live on in the child: a connection the test closes
  // would otherwise stay open.
  close_range(3, ~0U, 0);
  if (max_open_files > 0) {
    const rlimit limit{max_open_files, max_open_files};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      _exit(127);
    }
  }
  execve(argv[0], argv.data(), envp.data());
  _exit(127);
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

// Waits up to `wait` for `pid` to exit. Returns its decoded status, or nullopt.
std::optional<int> waitForExit(pid_t pid, Millis wait) {
  const auto deadline = SteadyClock::now() + wait;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return decodeStatus(status);
    }
    if (done < 0 && errno != EINTR) {
      return -1;
    }
    if (SteadyClock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

int killAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  return waitForExit(pid, kKillWait).value_or(-1);
}

// Parses the port from the server's "listening on http://127.0.0.1:PORT" line.
std::uint16_t listeningPort(const std::string& log) {
  const std::size_t at = log.find(kListeningLine);
  if (at == std::string::npos) {
    return 0;
  }
  const char* begin = log.data() + at + kListeningLine.size();
  std::uint16_t port = 0;
  std::from_chars(begin, log.data() + log.size(), port);
  return port;
}

// The `serve` command line for `spec`, with the database in `dir` (or the one given).
std::vector<std::string> serveArgs(const ServerSpec& spec, const std::string& dir) {
  std::vector<std::string> args = {"serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"};
  args.insert(args.end(), {"--database", spec.database.value_or(defaultDatabase(dir))});
  if (spec.with_webhook_secrets) {
    for (std::string_view secret : {kWebhookSecret, kSecondWebhookSecret}) {
      args.insert(args.end(), {"--webhook-secret", std::string(secret)});
    }
  }
  args.insert(args.end(), spec.extra_args.begin(), spec.extra_args.end());
  return args;
}

}  // namespace

std::string freshPostgresDatabase(const std::string& admin_url) {
  static std::atomic<int> counter{0};
  const std::string name =
      "autoql_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  PGconn* admin = PQconnectdb(admin_url.c_str());
  PGresult* created = PQexec(admin, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(created) == PGRES_COMMAND_OK;
  PQclear(created);
  PQfinish(admin);
  if (!ok) {
    return {};
  }
  const std::size_t query = admin_url.find('?');
  const std::size_t slash = admin_url.rfind('/', query);
  return admin_url.substr(0, slash + 1) + name +
         (query == std::string::npos ? "" : admin_url.substr(query));
}

std::string defaultDatabase(const std::string& dir) {
  // The whole suite runs once more on PostgreSQL when AUTOQL_E2E_POSTGRES_URL is set
  // (see tests/e2e/CMakeLists.txt); each server gets a database of its own.
  const char* admin_url = std::getenv("AUTOQL_E2E_POSTGRES_URL");
  if (admin_url != nullptr && *admin_url != '\0') {
    return freshPostgresDatabase(admin_url);
  }
  return "sqlite:" + dir + "/autoql.db";
}

bool onPostgres() {
  const char* admin_url = std::getenv("AUTOQL_E2E_POSTGRES_URL");
  return admin_url != nullptr && *admin_url != '\0';
}

std::string backendBinary() {
  return AUTOQL_BACKEND_BINARY;
}

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("autoql-e2e-" + kMkdtempSuffix)).string();
  if (mkdtemp(pattern.data()) != nullptr) {
    path_ = pattern;
  }
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

ServerProcess::ServerProcess(ServerSpec spec) {
  // Writing to a connection the server has closed must fail, not kill the test.
  std::signal(SIGPIPE, SIG_IGN);
  start(spec);
  if (pid_ > 0) {
    waitUntilListening(kStartTimeout);
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    killAndReap(pid_);
  }
}

void ServerProcess::start(const ServerSpec& spec) {
  if (dir().empty()) {
    failure_ = "cannot create a temporary directory";
    return;
  }
  log_path_ = dir() + "/server.log";
  const std::vector<std::string> args = serveArgs(spec, dir());

  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    failure_ = "cannot open the log file " + log_path_;
  } else {
    pid_ = spawn(args, {}, dir(), null_fd, log_fd, log_fd, spec.max_open_files);
    if (pid_ < 0) {
      failure_ = std::string("fork failed: ") + std::strerror(errno);
    }
  }
  for (int fd : {log_fd, null_fd}) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

void ServerProcess::waitUntilListening(Millis wait) {
  const auto deadline = SteadyClock::now() + wait;
  while (SteadyClock::now() < deadline) {
    port_ = listeningPort(log());
    if (port_ != 0) {
      return;
    }
    if (auto status = waitForExit(Millis(0))) {
      failure_ = "the server exited with status " + std::to_string(*status) +
                 " before listening; its log:\n" + log();
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  failure_ = "the server did not listen within " + std::to_string(wait.count()) +
             " ms; its log:\n" + log();
}

std::string ServerProcess::log() const {
  return readFile(log_path_);
}

bool ServerProcess::waitForLog(std::string_view text, Millis wait) const {
  const auto deadline = SteadyClock::now() + wait;
  while (log().find(text) == std::string::npos) {
    if (SteadyClock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

std::unique_ptr<http::Client> ServerProcess::client(Millis timeout) const {
  return std::make_unique<http::Client>("127.0.0.1", port_, timeout);
}

bool ServerProcess::limitFileSize(std::uint64_t bytes) {
  rlimit limit{};
  if (pid_ <= 0 || prlimit(pid_, RLIMIT_FSIZE, nullptr, &limit) != 0) {
    return false;
  }
  limit.rlim_cur = bytes > 0 && bytes < limit.rlim_max ? bytes : limit.rlim_max;
  return prlimit(pid_, RLIMIT_FSIZE, &limit, nullptr) == 0;
}

void ServerProcess::signal(int signal_number) {
  if (pid_ > 0) {
    kill(pid_, signal_number);
  }
}

std::optional<int> ServerProcess::waitForExit(Millis wait) {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  std::optional<int> status = e2e::waitForExit(pid_, wait);
  if (status) {
    pid_ = -1;
  }
  return status;
}

int ServerProcess::stop(int signal_number, Millis wait) {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, signal_number);
  const std::optional<int> status = e2e::waitForExit(pid_, wait);
  const int result = status ? *status : killAndReap(pid_);
  pid_ = -1;
  return result;
}

CommandResult runCommand(const std::vector<std::string>& args, const std::string& work_dir,
                         std::string_view input, Millis wait, const std::vector<std::string>& env) {
  CommandResult result;
  TempDir capture;
  const std::string in_path = capture.path() + "/stdin";
  const std::string out_path = capture.path() + "/stdout";
  const std::string err_path = capture.path() + "/stderr";
  if (capture.path().empty() || !writeFile(in_path, input)) {
    result.err = "cannot prepare the capture files";
    return result;
  }

  const int in_fd = open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const pid_t pid = in_fd >= 0 && out_fd >= 0 && err_fd >= 0
                        ? spawn(args, env, work_dir, in_fd, out_fd, err_fd)
                        : -1;
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) {
      close(fd);
    }
  }
  if (pid < 0) {
    result.err = "cannot start " + backendBinary();
    return result;
  }

  const std::optional<int> status = waitForExit(pid, wait);
  result.timed_out = !status;
  result.exit_status = status ? *status : killAndReap(pid);
  result.out = readFile(out_path);
  result.err = readFile(err_path);
  return result;
}

}  // namespace autoql::e2e
