// Connection handling under stress (issue 9, "Connections" and "Graceful stop under load"):
// slow senders are cut off while other clients keep being served, thousands of idle
// keep-alive connections do not delay a new client, a Content-Length that lies about the
// body is never processed, and SIGTERM during a load run answers every request that was
// sent before it. The single-connection cases (CL+TE, oversized headers, pipelining,
// chunked bodies, one slow header) are in http_edge_test.cpp.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A loopback TCP connection on a plain descriptor: thousands of them are cheap, and a test
// can send partial requests and see exactly when the server closes.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool open() const { return fd_ >= 0; }

  // False when the bytes could not all be handed to the kernel (the server has gone).
  bool write(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // True when the server has closed the connection (end of stream or reset), without
  // waiting. Bytes the server sent before closing (an error answer) are skipped.
  bool closedByServer() {
    char chunk[512];
    for (;;) {
      const ssize_t got = recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (got == 0) {
        return true;
      }
      if (got < 0) {
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
      }
    }
  }

  // Reads one response with a Content-Length body and returns its status code; 0 when the
  // connection ends or nothing complete arrives within `wait`.
  unsigned readStatus(std::chrono::milliseconds wait) {
    const auto deadline = SteadyClock::now() + wait;
    std::size_t header_end = std::string::npos;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) {
        return 0;
      }
    }
    const std::size_t total = header_end + 4 + contentLength(pending_.substr(0, header_end));
    while (pending_.size() < total) {
      if (!fill(deadline)) {
        return 0;
      }
    }
    const unsigned status = static_cast<unsigned>(std::atoi(pending_.c_str() + 9));
    pending_.erase(0, total);
    return status;
  }

 private:
  static std::size_t contentLength(const std::string& header) {
    const std::size_t at = header.find("Content-Length: ");
    return at == std::string::npos ? 0 : std::stoul(header.substr(at + 16));
  }

  bool fill(SteadyClock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    pollfd entry{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&entry, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    char chunk[4096];
    const ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) {
      return false;
    }
    pending_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  int fd_;
  std::string pending_;
};

std::string getRequest(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: e2e\r\n\r\n";
}

std::string postRequest(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// The test process needs a descriptor per connection it holds open: raises its own soft
// limit to the hard one. Returns the limit now in force.
rlim_t raiseOwnDescriptorLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

class Connections : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && server_) {
      std::cerr << "--- server log ---\n" << server_->log() << "--- end of server log ---\n";
    }
  }

  void startServer(ServerSpec spec) {
    server_ = std::make_unique<ServerProcess>(std::move(spec));
    ASSERT_TRUE(server_->ready()) << server_->failure();
  }

  std::unique_ptr<ServerProcess> server_;
};

// --- slow senders ---

constexpr auto kSlowHeaderTimeout = 4s;

// Sends one more header byte on every connection the server still holds, every
// `interval`, until all are closed or `give_up` passes. Returns when each was closed.
std::vector<SteadyClock::time_point> trickleUntilClosed(
    std::vector<std::unique_ptr<RawConnection>>& slow, std::chrono::milliseconds interval,
    SteadyClock::time_point give_up) {
  const std::string header = "GET /healthz HTTP/1.1\r\nHost: e2e\r\nX-Slow: " + repeat('s', 500);
  std::vector<SteadyClock::time_point> closed_at(slow.size(), SteadyClock::time_point::max());
  for (std::size_t sent = 0; SteadyClock::now() < give_up; ++sent) {
    bool any_open = false;
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (closed_at[i] != SteadyClock::time_point::max()) {
        continue;
      }
      if (slow[i]->closedByServer() || !slow[i]->write(header.substr(sent % header.size(), 1))) {
        closed_at[i] = SteadyClock::now();
      } else {
        any_open = true;
      }
    }
    if (!any_open) {
      break;
    }
    std::this_thread::sleep_for(interval);
  }
  return closed_at;
}

TEST_F(Connections, SlowSendersAreCutOffWhileOthersAreServedPromptly) {
  constexpr int kSlowSenders = 50;
  startServer({.extra_args = {"--header-timeout", "4s"}});

  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < kSlowSenders; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(slow.back()->open());
  }
  const auto started = SteadyClock::now();
  std::vector<SteadyClock::time_point> closed_at;
  std::thread trickler(
      [&] { closed_at = trickleUntilClosed(slow, 250ms, started + kSlowHeaderTimeout + 6s); });

  // Meanwhile an ordinary client reads and writes; it must never wait for the slow ones.
  const std::string user = uniqueId("user");
  auto other = server_->client();
  int served = 0;
  auto slowest = SteadyClock::duration::zero();
  while (SteadyClock::now() - started < kSlowHeaderTimeout + 500ms) {
    const auto before = SteadyClock::now();
    const auto read = send(*other, "GET", "/healthz");
    const auto created = createDashboard(*other, "p", user, "served " + std::to_string(served));
    slowest = std::max(slowest, SteadyClock::now() - before);
    ASSERT_EQ(read.status, 200u);
    ASSERT_NE(created, 0);
    ++served;
  }
  trickler.join();

  // The ordinary client's round trips take milliseconds; a server held up by the slow
  // senders would make them wait for the header timeout (4 s).
  EXPECT_LT(slowest, 2s) << "slowest round trip while slow senders were connected";
  EXPECT_GT(served, 0);
  for (int i = 0; i < kSlowSenders; ++i) {
    SCOPED_TRACE(i);
    ASSERT_NE(closed_at[i], SteadyClock::time_point::max()) << "a slow sender was never cut off";
    EXPECT_GE(closed_at[i] - started, kSlowHeaderTimeout - 100ms);
    EXPECT_LT(closed_at[i] - started, kSlowHeaderTimeout + 4s);
  }
}

// --- idle keep-alive connections ---

TEST_F(Connections, TwoThousandIdleKeepAlivesDoNotDelayANewClient) {
  constexpr std::size_t kIdle = 2000;
  if (raiseOwnDescriptorLimit() < kIdle + 200) {
    GTEST_SKIP() << "the hard limit on open files is too low for " << kIdle << " connections";
  }
  startServer({.extra_args = {}, .max_open_files = 4096});

  // Each connection is used once, so the server holds it as an idle keep-alive.
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (std::size_t i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(idle.back()->open()) << "connection " << i;
    ASSERT_TRUE(idle.back()->write(getRequest("/healthz")));
  }
  for (std::size_t i = 0; i < kIdle; ++i) {
    ASSERT_EQ(idle[i]->readStatus(10s), 200u) << "connection " << i;
  }

  // A newcomer reads and writes; "promptly" is generous here, a loaded machine answers in
  // milliseconds, a server that could not take the connection would not answer at all.
  auto newcomer = server_->client(5s);
  const auto started = SteadyClock::now();
  EXPECT_EQ(send(*newcomer, "GET", "/healthz").status, 200u);
  EXPECT_NE(createDashboard(*newcomer, "p", uniqueId("user"), "newcomer"), 0);
  EXPECT_LT(SteadyClock::now() - started, 2s);

  // The idle connections were held open all along: a sample of them is still served.
  for (std::size_t i = 0; i < kIdle; i += 97) {
    ASSERT_TRUE(idle[i]->write(getRequest("/healthz"))) << "connection " << i;
    EXPECT_EQ(idle[i]->readStatus(10s), 200u) << "connection " << i;
  }
}

// --- a Content-Length that lies ---

TEST_F(Connections, ContentLengthLongerThanTheBodyTimesOutUnprocessed) {
  startServer({.extra_args = {"--request-timeout", "2s"}});
  const std::string user = uniqueId("user");
  const std::string body = dashboardBody("p", user, "never complete");

  // Announces 100 bytes more than it sends, then waits.
  RawConnection liar(server_->port());
  ASSERT_TRUE(liar.open());
  const std::string request = postRequest("/dashboards", body);
  const std::string lying = std::string(request).replace(
      request.find(std::to_string(body.size()) + "\r\n"), std::to_string(body.size()).size(),
      std::to_string(body.size() + 100));
  const auto started = SteadyClock::now();
  ASSERT_TRUE(liar.write(lying));

  // Closed by the request timeout (no answer is possible: the body never ended).
  bool closed = false;
  while (!closed && SteadyClock::now() - started < 8s) {
    std::this_thread::sleep_for(50ms);
    closed = liar.closedByServer();
  }
  EXPECT_TRUE(closed) << "the server waited for the missing bytes for 8 s";
  EXPECT_GE(SteadyClock::now() - started, 1900ms);

  auto checker = server_->client();
  EXPECT_TRUE(listDashboardIds(*checker, "p", user).empty()) << "the cut-off body was stored";
}

TEST_F(Connections, ContentLengthShorterThanTheBodyTurnsTheRestIntoARefusedRequest) {
  startServer({.extra_args = {"--header-timeout", "2s"}});
  const std::string user = uniqueId("user");
  const std::string body = dashboardBody("p", user, "cut short");

  // Announces half the body; the other half is read as the next request on the connection.
  const std::size_t announced = body.size() / 2;
  const std::string request =
      "POST /dashboards HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(announced) + "\r\n\r\n" + body + "\r\n\r\n";
  auto liar = server_->client(6s);
  ASSERT_TRUE(liar->writeRaw(request));

  // The first half is not JSON; the second is not HTTP, so the connection is closed.
  auto first = liar->readResponse();
  ASSERT_TRUE(first) << first.error();
  EXPECT_TRUE(isProblem(*first, 400, "invalid_json"));
  auto second = liar->readResponse();
  if (second) {
    EXPECT_TRUE(isProblem(*second, 400, "bad_request")) << second->status << " " << second->body;
  }
  EXPECT_TRUE(liar->serverClosed(4s));

  auto checker = server_->client();
  EXPECT_TRUE(listDashboardIds(*checker, "p", user).empty()) << "a fragment was stored";
}

// --- request bodies held at once ---

// Asks, with Expect: 100-continue, to send a 5000-byte body until the server says there is
// no room (asking takes none) or 10 s pass; returns the last status (0 if none came).
unsigned askUntilRefused(std::uint16_t port) {
  const std::string asking =
      "POST /dashboards HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n";
  unsigned status = 0;
  const auto started = SteadyClock::now();
  while (status != 503 && SteadyClock::now() - started < 10s) {
    RawConnection waiting(port);
    if (!waiting.open() || !waiting.write(asking)) {
      return 0;
    }
    status = waiting.readStatus(5s);
  }
  return status;
}

// A new connection that sends `request` and reads its answer, headers included.
ClientResponse answerTo(ServerProcess& server, std::string_view request) {
  auto client = server.client();
  return sendRaw(*client, request);
}

TEST_F(Connections, BodiesBeyondTheMemoryBoundAreRefusedUntilRoomIsFree) {
  startServer({.extra_args = {"--max-body", "1MiB", "--max-body-memory", "2MiB"}});
  const std::string user = uniqueId("user");
  const std::string small = postRequest("/dashboards", dashboardBody("p", user, "small"));
  const std::string header =
      "POST /dashboards HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n";

  // Clients that announce bodies and send none hold no room: others are served.
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (const std::string framing : {"Transfer-Encoding: chunked", "Content-Length: 1048576"}) {
    for (int i = 0; i < 4; ++i) {
      stalled.push_back(std::make_unique<RawConnection>(server_->port()));
      ASSERT_TRUE(stalled.back()->open());
      ASSERT_TRUE(stalled.back()->write(header + framing + "\r\n\r\n"));
    }
  }
  EXPECT_EQ(answerTo(*server_, small).status, 201u);

  // Two clients send most of a 1 MiB body each and stop: together they hold nearly all
  // the room there is. No token is needed to do this.
  constexpr std::size_t kSent = 1'048'000;
  std::vector<std::unique_ptr<RawConnection>> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(holders.back()->open());
    ASSERT_TRUE(holders.back()->write(header + "Content-Length: 1048576\r\n\r\n" +
                                      R"({"project_id":")" + repeat('p', kSent - 15)));
  }

  // A client that waits for 100 Continue is told before it sends a body that would not
  // fit (asking takes no room, so this also tells when the holders' bytes are in).
  EXPECT_EQ(askUntilRefused(server_->port()), 503u);

  // A body that finds no room: 503 overloaded with Retry-After, announced or chunked.
  const std::string larger = postRequest(
      "/dashboards", dashboardBody("p", user, "larger", "[{\"t\":\"" + repeat('x', 4000) + "\"}]"));
  const ClientResponse refused = answerTo(*server_, larger);
  EXPECT_TRUE(isProblem(refused, 503, "overloaded"));
  EXPECT_EQ(headerOf(refused, "Retry-After"), "1");
  const std::string chunked = chunkedRequest(
      "POST", "/dashboards",
      dashboardBody("p", user, "chunked", "[{\"t\":\"" + repeat('x', 4000) + "\"}]"), 512);
  EXPECT_TRUE(isProblem(answerTo(*server_, chunked), 503, "overloaded"));

  // Requests without a body are served as before.
  auto reader = server_->client();
  EXPECT_EQ(send(*reader, "GET", "/healthz").status, 200u);
  const std::size_t listed_before = listDashboardIds(*reader, "p", user).size();

  // Once the holders go, their room is free again.
  holders.clear();
  ClientResponse created;
  const auto freed = SteadyClock::now();
  do {
    created = answerTo(*server_, larger);
  } while (created.status == 503 && SteadyClock::now() - freed < 5s);
  EXPECT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(listDashboardIds(*reader, "p", user).size(), listed_before + 1);
}

TEST_F(Connections, AClientThatSendsItsWholeBodyFirstIsToldThereIsNoRoom) {
  startServer({.extra_args = {"--max-body", "16MiB", "--max-body-memory", "16MiB"}});
  const std::string header =
      "POST /dashboards HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n";

  // One client holds nearly all the room with most of a 16 MiB body.
  RawConnection holder(server_->port());
  ASSERT_TRUE(holder.open());
  ASSERT_TRUE(holder.write(header + "Content-Length: 16777216\r\n\r\n" + R"({"project_id":")" +
                           repeat('p', 16'776'000)));
  ASSERT_EQ(askUntilRefused(server_->port()), 503u);

  // A 15 MB body sent whole before the answer is read (as most HTTP libraries do): the
  // server reads and drops it, so the client gets the 503 rather than a reset.
  auto client = server_->client(10s);
  const auto refused = sendJson(
      *client, "POST", "/dashboards",
      dashboardBody("p", uniqueId("user"), "big", "[{\"t\":\"" + repeat('x', 15'000'000) + "\"}]"));
  EXPECT_TRUE(isProblem(refused, 503, "overloaded"));
}

// --- graceful stop under load ---

// What one client saw of one request during the stop.
struct Exchange {
  SteadyClock::time_point sent_at;  // the last byte handed to the kernel
  std::string outcome;              // "" for a complete response, else the client's error
  unsigned status = 0;
  std::int64_t created_id = 0;  // the dashboard a 201 acknowledged
};

// Writes a dashboard, then reads it back, on one keep-alive connection (reconnecting
// after a Connection: close) until the server refuses the connection. Each request is
// written before its response is read, so that the time it was fully sent is known.
std::vector<Exchange> writeAndReadUntilRefused(std::uint16_t port, const std::string& user) {
  std::vector<Exchange> seen;
  http::Client client("127.0.0.1", port, 10s);
  for (int i = 0;; ++i) {
    const bool write = i % 2 == 0;
    const std::string request =
        write ? postRequest("/dashboards", dashboardBody("p", user, "load " + std::to_string(i)))
              : getRequest("/dashboards?project_id=p&user_id=" + user + "&limit=5");
    auto written = client.writeRaw(request);
    if (!written) {
      return seen;  // connect refused (no longer listening) or the write failed
    }
    Exchange exchange;
    exchange.sent_at = SteadyClock::now();
    auto response = client.readResponse();
    if (response) {
      exchange.status = response->status;
      if (write && response->status == 201) {
        exchange.created_id = bodyJson(*response).at("id").as_int64();
      }
    } else {
      exchange.outcome = response.error();
    }
    seen.push_back(std::move(exchange));
  }
}

TEST_F(Connections, SigtermDuringALoadRunAnswersEverythingSentBeforeIt) {
  constexpr int kClients = 6;
  TempDir database_dir;
  const std::string database = defaultDatabase(database_dir.path());
  startServer({.extra_args = {}, .database = database});

  std::vector<std::string> users;
  std::vector<std::vector<Exchange>> seen(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    users.push_back(uniqueId("load"));
  }
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] { seen[i] = writeAndReadUntilRefused(server_->port(), users[i]); });
  }
  std::this_thread::sleep_for(1s);

  const auto signalled_at = SteadyClock::now();
  server_->signal(SIGTERM);
  const auto status = server_->waitForExit(15s);
  for (auto& client : clients) {
    client.join();
  }
  ASSERT_EQ(status, std::optional<int>(0));

  // Before the signal: a complete answer for each. After it: a complete answer, or the
  // connection ended before any byte of one (a request the server never read); never a
  // reset or a response cut short.
  std::vector<std::set<std::int64_t>> acknowledged(kClients);
  int before = 0;
  for (int i = 0; i < kClients; ++i) {
    for (const Exchange& exchange : seen[i]) {
      const bool sent_before = exchange.sent_at < signalled_at;
      before += sent_before ? 1 : 0;
      if (exchange.outcome.empty()) {
        EXPECT_TRUE(exchange.status == 200 || exchange.status == 201) << exchange.status;
      } else {
        EXPECT_FALSE(sent_before) << "no answer to a request sent before SIGTERM: "
                                  << exchange.outcome;
        EXPECT_NE(exchange.outcome.find("end of stream"), std::string::npos) << exchange.outcome;
      }
      if (exchange.created_id != 0) {
        acknowledged[i].insert(exchange.created_id);
      }
    }
  }
  EXPECT_GT(before, kClients * 4) << "the load had hardly started before the signal";

  // Every acknowledged write is on disk: a new server on the same database lists it.
  startServer({.extra_args = {}, .database = database});
  auto reader = server_->client();
  for (int i = 0; i < kClients; ++i) {
    const auto listed = listDashboardIds(*reader, "p", users[i]);
    const std::set<std::int64_t> stored(listed.begin(), listed.end());
    EXPECT_TRUE(
        std::includes(stored.begin(), stored.end(), acknowledged[i].begin(), acknowledged[i].end()))
        << users[i] << ": " << acknowledged[i].size() << " acknowledged, " << stored.size()
        << " stored";
  }
}

}  // namespace
}  // namespace autoql::e2e
