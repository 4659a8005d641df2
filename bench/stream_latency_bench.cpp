// Live stream latency benchmark (DESIGN 3.3, GET /notifications/stream): how long after a
// webhook is accepted does the Server-Sent Event reach a connected client?
//
// Starts the server binary on a free loopback port with a fresh SQLite database, opens
// one event stream for a user, then sends signed webhooks for that user one at a time. A
// reader thread holds the stream and timestamps each event as it arrives. For each
// webhook it records:
//   200 -> event   from reading the webhook's 200 response to the event's arrival
//                  (negative when the event arrived before the response was read: the
//                  server publishes right after the commit, before it writes the 200)
//   send -> event  from starting to send the webhook to the event's arrival
//   round trip     the webhook's own request/response time
// and prints min, median and p99 in milliseconds; then the same with 1,000 other
// streams (other users of the same project) held open and idle.
//
// Usage: stream_latency_bench [--binary PATH] [--samples 200] [--others 1000]
//                             [--log-level info]
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/client.h"
#include "security/webhook_signature.h"

namespace {

// mkdtemp() replaces these six characters with a unique name.
const std::string kMkdtempSuffix(6, 'X');

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kSecret = "bench-secret";
constexpr std::string_view kProject = "bench-project";
constexpr std::string_view kUser = "bench-user";
constexpr auto kEventWait = 5s;

struct Options {
  std::string binary;
  int samples = 200;
  int others = 1000;
  std::string log_level = "info";
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "stream_latency_bench: " << what << "\n";
  std::exit(1);
}

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "stream_latency_bench: " << problem << "\n"
            << "usage: stream_latency_bench [--binary PATH] [--samples 200] [--others 1000]\n"
            << "                            [--log-level info]\n";
  std::exit(2);
}

Options parseOptions(int argc, char** argv) {
  Options options;
#ifdef AUTOQL_BACKEND_BINARY
  options.binary = AUTOQL_BACKEND_BINARY;
#endif
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      usage(arg + " needs a value");
    }
    const std::string value = argv[++i];
    if (arg == "--binary") {
      options.binary = value;
    } else if (arg == "--samples" || arg == "--others") {
      int number = 0;
      const auto parsed = std::from_chars(value.data(), value.data() + value.size(), number);
      if (parsed.ec != std::errc() || parsed.ptr != value.data() + value.size() || number < 0) {
        usage(arg + ": '" + value + "' is not a count");
      }
      (arg == "--samples" ? options.samples : options.others) = number;
    } else if (arg == "--log-level") {
      options.log_level = value;
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (options.binary.empty()) {
    usage("--binary is required");
  }
  if (options.samples < 1) {
    usage("--samples must be at least 1");
  }
  return options;
}

// --- the server process ---

class Server {
 public:
  explicit Server(const Options& options) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("stream-bench-" + kMkdtempSuffix)).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      fail("cannot create a temporary directory");
    }
    dir_ = pattern;
    log_path_ = dir_ + "/server.log";
    std::vector<std::string> args = {options.binary,     "serve",
                                     "--host",           "127.0.0.1",
                                     "--port",           "0",
                                     "--database",       "sqlite:" + dir_ + "/bench.db",
                                     "--webhook-secret", std::string(kSecret),
                                     "--log-level",      options.log_level};
    std::vector<char*> argv;
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) {
      fail("cannot open " + log_path_);
    }
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent ||
          dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0) {
        _exit(127);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log_fd);
    if (pid_ < 0) {
      fail("fork failed");
    }
    const auto deadline = SteadyClock::now() + 10s;
    constexpr std::string_view kListening = "listening on http://127.0.0.1:";
    while (port_ == 0) {
      const std::string log = readLog();
      if (const std::size_t at = log.find(kListening); at != std::string::npos) {
        std::from_chars(log.data() + at + kListening.size(), log.data() + log.size(), port_);
      } else if (SteadyClock::now() > deadline || waitpid(pid_, nullptr, WNOHANG) == pid_) {
        fail("the server did not start; its log:\n" + log);
      } else {
        std::this_thread::sleep_for(10ms);
      }
    }
  }

  ~Server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 500 && waitpid(pid_, nullptr, WNOHANG) != pid_; ++i) {
        std::this_thread::sleep_for(10ms);
      }
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const { return port_; }

  std::string readLog() const {
    std::ifstream in(log_path_);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// --- event streams ---

// Connects, sends GET `target` and reads the response header. Returns the socket, with
// what followed the header in `rest`.
int openStream(std::uint16_t port, const std::string& target, std::string& rest) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    fail("cannot connect a stream: " + std::string(std::strerror(errno)));
  }
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: bench\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    fail("cannot send a stream request");
  }
  std::string received;
  const auto deadline = SteadyClock::now() + kEventWait;
  while (received.find("\r\n\r\n") == std::string::npos) {
    pollfd entry{fd, POLLIN, 0};
    char buffer[4096];
    ssize_t got = 0;
    if (SteadyClock::now() > deadline || ::poll(&entry, 1, 100) < 0 ||
        (entry.revents != 0 && (got = ::recv(fd, buffer, sizeof buffer, 0)) <= 0)) {
      fail("no stream response header: " + received);
    }
    received.append(buffer, static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
  }
  if (!received.starts_with("HTTP/1.1 200")) {
    fail("the stream was refused: " + received);
  }
  rest = received.substr(received.find("\r\n\r\n") + 4);
  return fd;
}

std::string streamTarget(std::string_view user) {
  return "/notifications/stream?project_id=" + std::string(kProject) +
         "&user_id=" + std::string(user);
}

// Holds one stream on its own thread and timestamps each notification event.
class StreamReader {
 public:
  explicit StreamReader(std::uint16_t port) {
    fd_ = openStream(port, streamTarget(kUser), raw_);
    thread_ = std::thread([this] { run(); });
  }

  ~StreamReader() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }

  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // When the event for `notification_id` arrived, waiting up to kEventWait.
  std::optional<SteadyClock::time_point> arrival(const std::string& notification_id) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, kEventWait, [&] { return arrivals_.contains(notification_id); });
    auto found = arrivals_.find(notification_id);
    if (found == arrivals_.end()) {
      return std::nullopt;
    }
    const auto when = found->second;
    arrivals_.erase(found);
    return when;
  }

 private:
  void run() {
    char buffer[16384];
    while (!stop_) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, 50) <= 0) {
        continue;
      }
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      const auto now = SteadyClock::now();
      if (got <= 0) {
        return;
      }
      raw_.append(buffer, static_cast<std::size_t>(got));
      dechunk();
      parse(now);
    }
  }

  void dechunk() {
    for (;;) {
      const std::size_t line_end = raw_.find("\r\n");
      std::size_t size = 0;
      if (line_end == std::string::npos ||
          std::from_chars(raw_.data(), raw_.data() + line_end, size, 16).ec != std::errc() ||
          raw_.size() < line_end + 2 + size + 2) {
        return;
      }
      text_.append(raw_, line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
    }
  }

  void parse(SteadyClock::time_point now) {
    constexpr std::string_view kKey = "\"notification_id\":\"";
    for (std::size_t end; (end = text_.find("\n\n")) != std::string::npos;) {
      const std::string record = text_.substr(0, end);
      text_.erase(0, end + 2);
      const std::size_t at = record.find(kKey);
      if (record.find("event: notification") == std::string::npos || at == std::string::npos) {
        continue;  // a heartbeat
      }
      const std::size_t begin = at + kKey.size();
      const std::string id = record.substr(begin, record.find('"', begin) - begin);
      {
        std::lock_guard lock(mutex_);
        arrivals_[id] = now;
      }
      arrived_.notify_all();
    }
  }

  int fd_ = -1;
  std::string raw_;
  std::string text_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<std::string, SteadyClock::time_point> arrivals_;
  std::thread thread_;
};

// --- measurement ---

std::int64_t nowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string alertBody(const std::string& id) {
  return R"({"event":"data_alert.true","payload":{"notification_id":")" + id +
         R"(","data_alert_id":"da_bench","project_id":")" + std::string(kProject) +
         R"(","title":"High Sales","message":"Sales goal reached","users":[")" +
         std::string(kUser) +
         R"("],"created_at":1764763200,"data_return_query":"total sales",)"
         R"("query_result":{"data":{"rows":[[1,2.5]]}}}})";
}

struct Samples {
  std::vector<double> response_to_event;
  std::vector<double> send_to_event;
  std::vector<double> round_trip;
};

double ms(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

Samples measure(const Server& server, StreamReader& reader, int samples, const std::string& tag) {
  autoql::http::Client client("127.0.0.1", server.port(), 10s);
  Samples out;
  for (int i = 0; i < samples; ++i) {
    const std::string id = "nt-bench-" + tag + "-" + std::to_string(i);
    const std::string body = alertBody(id);
    const std::string timestamp = std::to_string(nowMillis());
    const std::vector<autoql::http::Header> headers = {
        {"Content-Type", "application/json"},
        {"AutoQL-Timestamp", timestamp},
        {"AutoQL-Signature", autoql::security::signWebhook(kSecret, timestamp, body)}};
    const auto sent = SteadyClock::now();
    auto response = client.send("POST", "/webhooks/autoql", headers, body);
    const auto answered = SteadyClock::now();
    if (!response || response->status != 200 || response->body != R"({"message":"ok"})") {
      fail("webhook " + id + " failed: " +
           (response ? std::to_string(response->status) + " " + response->body : response.error()));
    }
    const auto event = reader.arrival(id);
    if (!event) {
      fail("no event for " + id + " within 5 s");
    }
    out.response_to_event.push_back(ms(*event - answered));
    out.send_to_event.push_back(ms(*event - sent));
    out.round_trip.push_back(ms(answered - sent));
  }
  return out;
}

void printRow(const std::string& phase, const std::string& metric, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const double p99 = values[std::min(values.size() - 1, values.size() * 99 / 100)];
  std::printf("  %-22s %-18s %8.3f %8.3f %8.3f\n", phase.c_str(), metric.c_str(), values.front(),
              values[values.size() / 2], p99);
}

void print(const std::string& phase, const Samples& samples) {
  printRow(phase, "200 -> event", samples.response_to_event);
  printRow("", "send -> event", samples.send_to_event);
  printRow("", "webhook round trip", samples.round_trip);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const Options options = parseOptions(argc, argv);
  Server server(options);
  std::printf(
      "stream latency benchmark: %s (log level %s) on 127.0.0.1:%u, %d webhooks per "
      "phase, one at a time\n",
      options.binary.c_str(), options.log_level.c_str(), server.port(), options.samples);

  StreamReader reader(server.port());
  // Warm-up: the first requests open database connections.
  measure(server, reader, 10, "warmup");
  const Samples alone = measure(server, reader, options.samples, "alone");

  std::vector<int> others;
  for (int i = 0; i < options.others; ++i) {
    std::string ignored;
    others.push_back(
        openStream(server.port(), streamTarget("other-" + std::to_string(i)), ignored));
  }
  const Samples crowded = measure(server, reader, options.samples, "crowded");

  std::printf("  %-22s %-18s %8s %8s %8s   (milliseconds)\n", "streams open", "metric", "min",
              "median", "p99");
  print("1", alone);
  print(std::to_string(options.others + 1) + " (" + std::to_string(options.others) + " idle)",
        crowded);
  for (int fd : others) {
    close(fd);
  }
  return 0;
}
