// Graceful stop (DESIGN 6): on SIGTERM or SIGINT the server stops accepting, finishes the
// requests in flight with complete responses, closes idle keep-alive connections at once
// and exits 0.
#include <atomic>
#include <thread>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

class Shutdown : public ::testing::Test {
 protected:
  ServerProcess server_;

  void SetUp() override { ASSERT_TRUE(server_.ready()) << server_.failure(); }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- server log ---\n" << server_.log() << "--- end of server log ---\n";
    }
  }

  // Signals the server and waits until it has logged the signal.
  void beginShutdown(int signal_number = SIGTERM) {
    server_.signal(signal_number);
    ASSERT_TRUE(server_.waitForLog("received signal", 2s)) << server_.log();
  }
};

// A POST /dashboards request with Content-Length.
std::string postRequest(std::string_view body) {
  return "POST /dashboards HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST_F(Shutdown, FinishesRequestsInFlightAndExitsZero) {
  constexpr int kInFlight = 3;
  const std::string user = uniqueId("user");
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::string> requests;
  for (int i = 0; i < kInFlight; ++i) {
    requests.push_back(postRequest(dashboardBody("p", user, "in flight " + std::to_string(i))));
    clients.push_back(server_.client(5s));
    // Everything but the last byte: the request has started and cannot finish yet.
    ASSERT_TRUE(clients.back()->writeRaw(
        std::string_view(requests.back()).substr(0, requests.back().size() - 1)));
  }
  // Lets the server read what was sent, so that no connection looks idle.
  std::this_thread::sleep_for(200ms);

  beginShutdown();
  auto late = server_.client(2s);
  EXPECT_FALSE(late->send("GET", "/healthz")) << "a new connection was served while stopping";

  for (int i = 0; i < kInFlight; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(clients[i]->writeRaw(std::string_view(requests[i]).substr(requests[i].size() - 1)));
    auto response = clients[i]->readResponse();
    ASSERT_TRUE(response) << response.error();
    EXPECT_EQ(response->status, 201u) << response->body;
    EXPECT_EQ(bodyJson(*response).at("user_id"), boost::json::value(user));
    EXPECT_EQ(headerOf(*response, "Connection"), "close");
  }

  EXPECT_EQ(server_.waitForExit(5s), std::optional<int>(0));
  EXPECT_NE(server_.log().find("stopped"), std::string::npos);
}

TEST_F(Shutdown, IdleConnectionsDoNotDelayExit) {
  auto used = server_.client();
  ASSERT_EQ(send(*used, "GET", "/healthz").status, 200u);  // now idle, kept alive
  auto silent = server_.client();
  ASSERT_TRUE(silent->writeRaw(""));  // connected, nothing sent yet
  std::this_thread::sleep_for(100ms);

  const auto started = SteadyClock::now();
  beginShutdown();
  EXPECT_EQ(server_.waitForExit(3s), std::optional<int>(0));
  EXPECT_LT(SteadyClock::now() - started, 2s);
  EXPECT_TRUE(used->serverClosed(1s));
  EXPECT_TRUE(silent->serverClosed(1s));
}

TEST_F(Shutdown, SigintStopsGracefully) {
  auto client = server_.client();
  ASSERT_EQ(send(*client, "GET", "/readyz").status, 200u);

  beginShutdown(SIGINT);
  EXPECT_EQ(server_.waitForExit(3s), std::optional<int>(0));
}

// Posts dashboards on one keep-alive connection until `stop` or the first failure, adding
// each 201 to `created`. Returns "" or the problem: a response cut short or not a 201. A
// connection that closes between requests is not a problem. Runs on its own thread.
std::string postUntilStopped(const ServerProcess& server, const std::atomic<bool>& stop,
                             std::atomic<int>& created) {
  auto own = server.client(5s);
  const std::string body = dashboardBody("p", uniqueId("busy"), "busy");
  while (!stop) {
    auto response = own->send("POST", "/dashboards", {{"Content-Type", "application/json"}}, body);
    if (!response) {
      const bool cut_short = response.error().find("partial message") != std::string::npos;
      return cut_short ? response.error() : "";
    }
    if (response->status != 201 || response->body.find("\"id\"") == std::string::npos) {
      return std::to_string(response->status) + " " + response->body;
    }
    ++created;
  }
  return "";
}

TEST_F(Shutdown, BusyClientsGetOnlyCompleteResponses) {
  constexpr int kClients = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> created{0};
  std::vector<std::string> problems(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { problems[i] = postUntilStopped(server_, stop, created); });
  }
  std::this_thread::sleep_for(300ms);

  server_.signal(SIGTERM);
  const auto status = server_.waitForExit(5s);
  stop = true;
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(status, std::optional<int>(0));
  EXPECT_GT(created.load(), 0);
  for (const std::string& problem : problems) {
    EXPECT_EQ(problem, "");
  }
}

}  // namespace
}  // namespace autoql::e2e
