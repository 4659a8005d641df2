// PostgreSQL scale-out end to end (DESIGN 5): several autoql-backend processes on one
// database. Migrations under concurrent starts, data and conditional writes shared across
// instances, live streams fed by LISTEN/NOTIFY from another instance (every event once,
// also when many commit at once), idempotent webhooks across instances, a database
// outage and recovery without a restart, and the bound of the connection pool. Each test
// runs on a database of its own.
//
// Every test needs a PostgreSQL server (scripts/with-postgres exports
// AUTOQL_TEST_POSTGRES_URL) and skips itself without one. PostgresOutage stops and starts
// that shared server, so CMake runs it alone (RUN_SERIAL), never beside other tests.
#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <latch>
#include <set>
#include <sstream>
#include <thread>

#include "e2e_support.h"

extern char** environ;

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// The project and recipients of compactAlert().
constexpr std::string_view kAlertProject = "e2e-project";
constexpr std::string_view kAlertUsers[] = {"user-42", "user-7"};
// How much of each server log a failed test prints.
constexpr std::size_t kLogTailBytes = 6 * 1024;

std::string environmentValue(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::int64_t millisSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<Millis>(SteadyClock::now() - start).count();
}

// --- direct SQL, to look at what the instances stored ---

struct Column {
  std::vector<std::string> values;  // the first column of every row
  std::string error;                // empty on success
};

// Runs `sql` with text parameters on a connection of its own.
Column queryColumn(const std::string& url, const std::string& sql,
                   const std::vector<std::string>& params = {}) {
  Column column;
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    column.error = PQerrorMessage(conn);
    PQfinish(conn);
    return column;
  }
  std::vector<const char*> values;
  for (const std::string& param : params) {
    values.push_back(param.c_str());
  }
  PGresult* result = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0);
  if (PQresultStatus(result) == PGRES_TUPLES_OK) {
    for (int row = 0; row < PQntuples(result); ++row) {
      column.values.emplace_back(PQgetvalue(result, row, 0));
    }
  } else {
    column.error = PQerrorMessage(conn);
  }
  PQclear(result);
  PQfinish(conn);
  return column;
}

// The database name of a postgresql:// URL ("postgresql://user@/NAME?host=...").
std::string databaseName(const std::string& url) {
  const std::size_t query = url.find('?');
  const std::size_t slash = url.rfind('/', query);
  return url.substr(slash + 1, query == std::string::npos ? query : query - slash - 1);
}

// The N of every "(N migration(s) applied now)" line of a server log.
std::vector<int> migrationsApplied(const std::string& log) {
  static constexpr std::string_view kSuffix = " migration(s) applied now)";
  std::vector<int> counts;
  for (std::size_t at = log.find(kSuffix); at != std::string::npos;
       at = log.find(kSuffix, at + 1)) {
    const std::size_t open = log.rfind('(', at);
    counts.push_back(open == std::string::npos ? -1 : std::atoi(log.substr(open + 1, at).c_str()));
  }
  return counts;
}

// How often `text` occurs in `log`.
std::size_t occurrences(const std::string& log, std::string_view text) {
  std::size_t count = 0;
  for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
    ++count;
  }
  return count;
}

// --- request shortcuts ---

std::string ownerQuery(std::string_view project_id, std::string_view user_id) {
  return "project_id=" + std::string(project_id) + "&user_id=" + std::string(user_id);
}

std::string streamTarget(std::string_view project_id, std::string_view user_id) {
  return "/notifications/stream?" + ownerQuery(project_id, user_id);
}

// How often `id` appears on the first feed page of `user_id` (of compactAlert's project).
int feedOccurrences(Client& client, std::string_view user_id, std::string_view id) {
  const auto response =
      send(client, "GET", "/notifications?" + ownerQuery(kAlertProject, user_id) + "&limit=100");
  if (response.status != 200) {
    ADD_FAILURE() << "feed of " << user_id << ": " << response.status << " " << response.body;
    return -1;
  }
  int count = 0;
  const json::value feed = bodyJson(response);
  for (const json::value& item : feed.as_array()) {
    count += item.at("notification_id").as_string() == id ? 1 : 0;
  }
  return count;
}

// A 503 that tells the client to come back: problem+json with code storage_unavailable
// (or overloaded) and a Retry-After header.
::testing::AssertionResult isUnavailable(const ClientResponse& response) {
  auto problem = isProblem(response, 503, "storage_unavailable");
  if (!problem && !isProblem(response, 503, "overloaded")) {
    return problem;
  }
  if (headerOf(response, "Retry-After").empty()) {
    return ::testing::AssertionFailure() << "no Retry-After on " << response.body;
  }
  return ::testing::AssertionSuccess();
}

// --- fixtures ---

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_url_ = environmentValue("AUTOQL_TEST_POSTGRES_URL");
    if (admin_url_.empty()) {
      GTEST_SKIP() << "AUTOQL_TEST_POSTGRES_URL is not set (run under scripts/with-postgres)";
    }
    database_ = freshPostgresDatabase(admin_url_);
    ASSERT_FALSE(database_.empty()) << "cannot create a database on " << admin_url_;
  }

  void TearDown() override {
    if (!HasFailure()) {
      return;
    }
    for (std::size_t i = 0; i < servers_.size(); ++i) {
      const std::string log = servers_[i]->log();
      std::cerr << "--- log of instance " << i << " (tail) ---\n"
                << log.substr(log.size() > kLogTailBytes ? log.size() - kLogTailBytes : 0)
                << "--- end of log ---\n";
    }
  }

  ServerSpec spec(std::vector<std::string> extra_args = {}) const {
    ServerSpec server_spec;
    server_spec.database = database_;
    server_spec.extra_args = std::move(extra_args);
    return server_spec;
  }

  // Starts an instance on this test's database. Null (and a failure) when it does not
  // listen.
  ServerProcess* start(std::vector<std::string> extra_args = {}) {
    servers_.push_back(std::make_unique<ServerProcess>(spec(std::move(extra_args))));
    ServerProcess* server = servers_.back().get();
    if (!server->ready()) {
      ADD_FAILURE() << server->failure();
      return nullptr;
    }
    return server;
  }

  std::string admin_url_;
  std::string database_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

using PostgresScaleOut = PostgresTest;

// Threads that run `start(i)` at the same moment, then stay until destroyed: a server
// started by the harness dies with the thread that forked it (PR_SET_PDEATHSIG).
class StartingThreads {
 public:
  StartingThreads(int count, const std::function<void(int)>& start) : go_(count), ready_(count) {
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([this, i, &start] {
        go_.arrive_and_wait();
        start(i);
        ready_.count_down();
        done_.wait();
      });
    }
    ready_.wait();
  }
  ~StartingThreads() {
    done_.count_down();
    for (std::thread& thread : threads_) {
      thread.join();
    }
  }
  StartingThreads(const StartingThreads&) = delete;
  StartingThreads& operator=(const StartingThreads&) = delete;

 private:
  std::latch go_;
  std::latch ready_;
  std::latch done_{1};
  std::vector<std::thread> threads_;
};

// --- 1. migrations ---

TEST_F(PostgresScaleOut, ConcurrentStartsApplyEachMigrationOnce) {
  constexpr int kInstances = 3;
  std::vector<std::unique_ptr<ServerProcess>> started(kInstances);
  const ServerSpec server_spec = spec();
  const StartingThreads starters(kInstances, [&](int i) {
    started[static_cast<std::size_t>(i)] = std::make_unique<ServerProcess>(server_spec);
  });
  for (auto& server : started) {
    EXPECT_TRUE(server->ready()) << server->failure();
    servers_.push_back(std::move(server));
  }

  const Column versions =
      queryColumn(database_, "SELECT version FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(versions.error.empty()) << versions.error;
  EXPECT_EQ(versions.values, (std::vector<std::string>{"1", "2", "3", "4"}));

  int total = 0;
  std::string split;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    const std::vector<int> counts = migrationsApplied(servers_[i]->log());
    ASSERT_EQ(counts.size(), 1u) << "instance " << i << " logged " << counts.size()
                                 << " migration summaries";
    total += counts[0];
    split += (i == 0 ? "" : " + ") + std::to_string(counts[0]);
  }
  std::cout << "[ migrate  ] " << kInstances << " instances started together applied " << split
            << " = " << total << " migration(s)\n";
  EXPECT_EQ(total, 4);
  // Every instance serves on the migrated schema.
  for (const auto& server : servers_) {
    EXPECT_EQ(send(*server->client(), "GET", "/readyz").status, 200u);
  }
}

// --- 2. dashboards across instances ---

TEST_F(PostgresScaleOut, InstancesShareDashboardsAndConditionalWrites) {
  ServerProcess* a = start();
  ASSERT_NE(a, nullptr);
  ServerProcess* b = start();
  ASSERT_NE(b, nullptr);
  auto on_a = a->client();
  auto on_b = b->client();
  const std::string project = uniqueId("proj");
  const std::string user = uniqueId("user");

  const std::string tiles = R"([{"i":"t1","x":0,"y":0,"w":6,"h":5,"query":"sales"}])";
  const auto created =
      sendJson(*on_a, "POST", "/dashboards", dashboardBody(project, user, "Shared", tiles));
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string path = headerOf(created, "Location");
  ASSERT_FALSE(path.empty());
  const std::int64_t id = bodyJson(created).at("id").as_int64();

  const auto read_on_b = send(*on_b, "GET", path);
  ASSERT_EQ(read_on_b.status, 200u) << read_on_b.body;
  EXPECT_TRUE(sameJson(bodyJson(created), bodyJson(read_on_b)));
  EXPECT_EQ(headerOf(read_on_b, "ETag"), "\"1\"");
  EXPECT_EQ(listDashboardIds(*on_b, project, user), std::vector<std::int64_t>{id});

  // Twenty conditional writers, half on each instance, all holding version 1.
  constexpr int kWriters = 20;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kWriters; ++i) {
    clients.push_back((i % 2 == 0 ? a : b)->client());
    ASSERT_EQ(send(*clients.back(), "GET", "/healthz").status, 200u);
  }
  std::vector<ClientResponse> responses(kWriters);
  std::vector<std::string> errors(kWriters);
  std::latch go(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      const std::string body = R"({"name":"writer )" + std::to_string(i) + R"("})";
      const std::vector<Header> headers{{"Content-Type", "application/json"},
                                        {"If-Match", "\"1\""}};
      go.arrive_and_wait();
      auto response = clients[i]->send("PUT", path, headers, body);
      if (response) {
        responses[i] = std::move(response).value();
      } else {
        errors[i] = response.error();
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }

  int won = 0;
  int refused = 0;
  int winner = -1;
  for (int i = 0; i < kWriters; ++i) {
    SCOPED_TRACE("writer " + std::to_string(i) + (i % 2 == 0 ? " on A" : " on B"));
    EXPECT_TRUE(errors[i].empty()) << errors[i];
    if (responses[i].status == 200) {
      ++won;
      winner = i;
    } else if (responses[i].status == 412) {
      ++refused;
      EXPECT_TRUE(isProblem(responses[i], 412, "version_mismatch"));
    } else {
      ADD_FAILURE() << "unexpected " << responses[i].status << " " << responses[i].body;
    }
  }
  std::cout << "[ race     ] " << kWriters << " PUTs with If-Match \"1\" on 2 instances: " << won
            << " x 200, " << refused << " x 412, " << kWriters - won - refused << " other"
            << (winner >= 0 ? std::string(winner % 2 == 0 ? " (won on A)" : " (won on B)") : "")
            << "\n";
  EXPECT_EQ(won, 1);
  EXPECT_EQ(refused, kWriters - 1);

  const auto final_a = send(*on_a, "GET", path);
  const auto final_b = send(*on_b, "GET", path);
  ASSERT_EQ(final_a.status, 200u) << final_a.body;
  ASSERT_EQ(final_b.status, 200u) << final_b.body;
  for (const auto* final_read : {&final_a, &final_b}) {
    EXPECT_EQ(headerOf(*final_read, "ETag"), "\"2\"");
    EXPECT_EQ(bodyJson(*final_read).at("version"), json::value(2));
    if (winner >= 0) {
      EXPECT_EQ(bodyJson(*final_read).at("name"), json::value("writer " + std::to_string(winner)));
    }
  }
  EXPECT_TRUE(sameJson(bodyJson(final_a), bodyJson(final_b)));
}

// --- 3. live streams across instances ---

TEST_F(PostgresScaleOut, StreamOnOneInstanceGetsWebhookDeliveredToAnother) {
  ServerProcess* a = start();
  ASSERT_NE(a, nullptr);
  ServerProcess* b = start();
  ASSERT_NE(b, nullptr);
  auto on_a = a->client();

  SseStream stream;
  ASSERT_TRUE(stream.open(b->port(), streamTarget(kAlertProject, kAlertUsers[0])))
      << stream.error();
  ASSERT_EQ(stream.status(), 200u);

  const std::string id = uniqueId("nt");
  const auto sent = SteadyClock::now();
  const auto response = deliver(*on_a, compactAlert(id));
  const std::int64_t answered_ms = millisSince(sent);
  ASSERT_EQ(webhookMessage(response), "ok") << response.status << " " << response.body;
  const auto event = stream.nextEvent(2s);
  const std::int64_t delay_ms = millisSince(sent);
  ASSERT_EQ(eventNotificationId(event), id) << describe(event);
  std::cout << "[ notify   ] webhook answered by A in " << answered_ms
            << " ms; event on B's stream " << delay_ms << " ms after sending\n";
  EXPECT_LT(delay_ms, 2000);
  EXPECT_EQ(event->event, "notification");

  const auto more = stream.nextEvent(500ms);
  EXPECT_FALSE(more) << "a second event: " << describe(more);
}

// Many webhooks stored at once on two instances commit in any order, not in the order of
// their sequence numbers: every stream must still get every event, once.
TEST_F(PostgresScaleOut, StreamsGetEveryEventOfConcurrentDeliveries) {
  ServerProcess* a = start();
  ASSERT_NE(a, nullptr);
  ServerProcess* b = start();
  ASSERT_NE(b, nullptr);
  SseStream on_a;
  SseStream on_b;
  ASSERT_TRUE(on_a.open(a->port(), streamTarget(kAlertProject, kAlertUsers[0]))) << on_a.error();
  ASSERT_TRUE(on_b.open(b->port(), streamTarget(kAlertProject, kAlertUsers[0]))) << on_b.error();

  constexpr int kRounds = 3;
  constexpr int kSenders = 24;  // half on each instance
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kSenders; ++i) {
    clients.push_back((i % 2 == 0 ? a : b)->client());
    ASSERT_EQ(send(*clients.back(), "GET", "/healthz").status, 200u);
  }
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::string> ids(kSenders);
    std::vector<std::string> answers(kSenders);
    std::latch go(kSenders);
    std::vector<std::thread> senders;
    for (int i = 0; i < kSenders; ++i) {
      ids[i] = uniqueId("nt");
      senders.emplace_back([&, i] {
        const std::string body = compactAlert(ids[i]);
        const std::vector<Header> headers = signedHeaders(body, std::to_string(nowMillis()));
        go.arrive_and_wait();
        auto response = clients[i]->send("POST", kWebhookPath, headers, body);
        answers[i] = response ? webhookMessage(*response) : "error: " + response.error();
      });
    }
    for (std::thread& sender : senders) {
      sender.join();
    }
    for (int i = 0; i < kSenders; ++i) {
      EXPECT_EQ(answers[i], "ok") << "sender " << i;
    }

    const std::set<std::string> expected(ids.begin(), ids.end());
    for (auto [name, stream] : {std::pair{"A", &on_a}, std::pair{"B", &on_b}}) {
      std::multiset<std::string> received;
      const auto deadline = SteadyClock::now() + 5s;
      while (received.size() < expected.size() && SteadyClock::now() < deadline) {
        const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
        const auto event = stream->nextEvent(std::max(left, Millis(0)));
        if (!event) {
          break;
        }
        received.insert(eventNotificationId(event));
      }
      const auto extra = stream->nextEvent(200ms);
      EXPECT_FALSE(extra) << "stream on " << name << ": an event too many: " << describe(extra);
      std::vector<std::string> missing;
      std::set_difference(expected.begin(), expected.end(), received.begin(), received.end(),
                          std::back_inserter(missing));
      std::cout << "[ notify   ] round " << round << ": " << kSenders
                << " concurrent webhooks on 2 instances; the stream on " << name << " got "
                << received.size() << " event(s), " << missing.size() << " missing\n";
      EXPECT_TRUE(missing.empty()) << "stream on " << name << " missed " << missing.size()
                                   << " notification(s), e.g. " << missing.front();
      EXPECT_EQ(received.size(), expected.size()) << "stream on " << name;
      EXPECT_EQ(std::set<std::string>(received.begin(), received.end()), expected)
          << "stream on " << name;
    }
  }
}

// --- 4. one webhook, two instances ---

TEST_F(PostgresScaleOut, SameWebhookOnBothInstancesIsStoredOnce) {
  ServerProcess* a = start();
  ASSERT_NE(a, nullptr);
  ServerProcess* b = start();
  ASSERT_NE(b, nullptr);

  constexpr int kRounds = 3;
  constexpr int kSenders = 8;  // half on each instance
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kSenders; ++i) {
    clients.push_back((i % 2 == 0 ? a : b)->client());
    ASSERT_EQ(send(*clients.back(), "GET", "/healthz").status, 200u);
  }

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string id = uniqueId("nt");
    const std::string body = compactAlert(id);
    std::vector<std::string> answers(kSenders);
    std::latch go(kSenders);
    std::vector<std::thread> senders;
    for (int i = 0; i < kSenders; ++i) {
      senders.emplace_back([&, i] {
        const std::vector<Header> headers = signedHeaders(body, std::to_string(nowMillis()));
        go.arrive_and_wait();
        auto response = clients[i]->send("POST", kWebhookPath, headers, body);
        answers[i] = !response ? "error: " + response.error()
                     : response->status != 200
                         ? std::to_string(response->status) + " " + response->body
                         : webhookMessage(*response);
      });
    }
    for (std::thread& sender : senders) {
      sender.join();
    }

    int ok = 0;
    int duplicate = 0;
    std::string ok_on;
    for (int i = 0; i < kSenders; ++i) {
      if (answers[i] == "ok") {
        ++ok;
        ok_on = i % 2 == 0 ? "A" : "B";
      } else if (answers[i] == "duplicate") {
        ++duplicate;
      } else {
        ADD_FAILURE() << "sender " << i << ": " << answers[i];
      }
    }
    std::cout << "[ webhook  ] round " << round << ": " << kSenders
              << " simultaneous deliveries of one alert to 2 instances: " << ok << " ok"
              << (ok_on.empty() ? "" : " (on " + ok_on + ")") << ", " << duplicate
              << " duplicate\n";
    EXPECT_EQ(ok, 1);
    EXPECT_EQ(duplicate, kSenders - 1);

    const auto stored_a = send(*clients[0], "GET", "/notifications/" + id);
    const auto stored_b = send(*clients[1], "GET", "/notifications/" + id);
    ASSERT_EQ(stored_a.status, 200u) << stored_a.body;
    ASSERT_EQ(stored_b.status, 200u) << stored_b.body;
    EXPECT_TRUE(sameJson(bodyJson(stored_a), bodyJson(stored_b)));
    for (std::string_view user : kAlertUsers) {
      EXPECT_EQ(feedOccurrences(*clients[0], user, id), 1) << user << " on A";
      EXPECT_EQ(feedOccurrences(*clients[1], user, id), 1) << user << " on B";
    }
  }
  const Column rows = queryColumn(database_, "SELECT count(*) FROM notifications");
  ASSERT_TRUE(rows.error.empty()) << rows.error;
  EXPECT_EQ(rows.values, std::vector<std::string>{std::to_string(kRounds)});
}

// --- 6. the pool bound ---

TEST_F(PostgresScaleOut, BoundedPoolAnswersEveryRequestUnderLoad) {
  constexpr int kDbWorkers = 2;
  ServerProcess* server = start({"--db-workers", std::to_string(kDbWorkers)});
  ASSERT_NE(server, nullptr);
  auto client = server->client();

  // Enough dashboards, with enough tiles, that each list call takes a while.
  const std::string project = uniqueId("proj");
  const std::string user = uniqueId("user");
  std::string tiles = "[";
  for (int i = 0; i < 40; ++i) {
    tiles += (i == 0 ? "" : ",") + std::string(R"({"i":"t)") + std::to_string(i) +
             R"(","x":0,"y":0,"w":6,"h":5,"query":"total sales by month and region"})";
  }
  tiles += "]";
  constexpr int kDashboards = 60;
  for (int i = 0; i < kDashboards; ++i) {
    const auto created = sendJson(*client, "POST", "/dashboards",
                                  dashboardBody(project, user, "Load " + std::to_string(i), tiles));
    ASSERT_EQ(created.status, 201u) << created.body;
  }

  // Watches how many connections the instance holds on its database.
  std::atomic<bool> watching{true};
  std::atomic<int> most_connections{0};
  std::string watch_error;
  std::thread watcher([&] {
    const std::string name = databaseName(database_);
    while (watching) {
      const Column count = queryColumn(admin_url_,
                                       "SELECT count(*) FROM pg_stat_activity "
                                       "WHERE datname = $1 AND backend_type = 'client backend'",
                                       {name});
      if (!count.error.empty()) {
        watch_error = count.error;
        return;
      }
      const int now = std::atoi(count.values.at(0).c_str());
      int seen = most_connections.load();
      while (now > seen && !most_connections.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(10ms);
    }
  });

  constexpr int kRequests = 50;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.push_back(server->client(20s));
  }
  std::vector<ClientResponse> responses(kRequests);
  std::vector<std::string> errors(kRequests);
  const std::string target = "/dashboards?" + ownerQuery(project, user) + "&limit=1000";
  std::latch go(kRequests);
  std::vector<std::thread> readers;
  const auto started = SteadyClock::now();
  for (int i = 0; i < kRequests; ++i) {
    readers.emplace_back([&, i] {
      go.arrive_and_wait();
      auto response = clients[i]->send("GET", target);
      if (response) {
        responses[i] = std::move(response).value();
      } else {
        errors[i] = response.error();
      }
    });
  }
  for (std::thread& reader : readers) {
    reader.join();
  }
  const std::int64_t elapsed_ms = millisSince(started);
  watching = false;
  watcher.join();

  int ok = 0;
  int unavailable = 0;
  for (int i = 0; i < kRequests; ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    EXPECT_TRUE(errors[i].empty()) << errors[i];
    if (responses[i].status == 200) {
      ++ok;
      EXPECT_EQ(bodyJson(responses[i]).as_array().size(), static_cast<std::size_t>(kDashboards));
    } else if (responses[i].status == 503) {
      ++unavailable;
      EXPECT_TRUE(isUnavailable(responses[i]));
    } else if (errors[i].empty()) {
      ADD_FAILURE() << "unexpected " << responses[i].status << " " << responses[i].body;
    }
  }
  std::cout << "[ pool     ] " << kRequests << " concurrent list calls with --db-workers "
            << kDbWorkers << ": " << ok << " x 200, " << unavailable << " x 503, "
            << kRequests - ok - unavailable << " other, in " << elapsed_ms << " ms; at most "
            << most_connections << " database connection(s) open\n";
  EXPECT_EQ(ok + unavailable, kRequests);
  EXPECT_TRUE(watch_error.empty()) << watch_error;
  // The pool's connections plus the notification listener's.
  EXPECT_LE(most_connections, kDbWorkers + 1);

  EXPECT_EQ(send(*client, "GET", "/healthz").status, 200u);
  EXPECT_EQ(send(*client, "GET", "/readyz").status, 200u);
  EXPECT_EQ(listDashboardIds(*client, project, user).size(), static_cast<std::size_t>(kDashboards));
  EXPECT_FALSE(server->waitForExit(0ms)) << "the server exited";
}

// --- 5. the database goes away and comes back ---

// Runs a program with stdout and stderr captured; returns its exit status (-1 when it
// could not run) and what it printed.
std::pair<int, std::string> runProgram(const std::vector<std::string>& args) {
  TempDir capture;
  const std::string out_path = capture.path() + "/output";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> strings = args;
  std::vector<char*> argv;
  for (std::string& arg : strings) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return {-1, "cannot run " + args[0] + ": " + std::strerror(spawned)};
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::ifstream in(out_path);
  std::ostringstream output;
  output << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output.str()};
}

// Stops and starts the test cluster of scripts/with-postgres with pg_ctl, as the user
// that owns it. A cluster this object stopped is started again when it is destroyed, so
// that a failed assertion does not leave the database down for the tests that follow.
class Cluster {
 public:
  Cluster(std::string bin, std::string data) : bin_(std::move(bin)), data_(std::move(data)) {
    // pg_ctl start does not read postmaster.opts (only restart does): the options the
    // cluster was started with (the socket directory, no TCP) are passed on again.
    std::ifstream opts(data_ + "/postmaster.opts");
    std::string line;
    std::getline(opts, line);
    const std::size_t first_option = line.find(" \"");
    if (first_option != std::string::npos) {
      options_ = line.substr(first_option + 1);
    }
  }
  ~Cluster() {
    if (stopped_) {
      const std::string problem = start();
      if (!problem.empty()) {
        std::cerr << "PostgresOutage: CANNOT RESTART THE TEST CLUSTER: " << problem << "\n";
      }
    }
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // The options of postmaster.opts; empty when it could not be read.
  const std::string& options() const { return options_; }

  // Each returns "" on success, else pg_ctl's exit status and output.
  std::string stop() {
    stopped_ = true;  // even a failed stop may have stopped it
    return pgCtl({"stop", "-D", data_, "-m", "fast", "-w", "-t", "30"});
  }
  std::string start() {
    const std::string log = data_.substr(0, data_.rfind('/')) + "/server.log";
    std::string problem =
        pgCtl({"start", "-D", data_, "-l", log, "-w", "-t", "30", "-o", options_});
    if (problem.empty()) {
      stopped_ = false;
    }
    return problem;
  }

 private:
  std::string pgCtl(const std::vector<std::string>& args) {
    std::vector<std::string> command;
    if (geteuid() == 0) {
      command = {"runuser", "-u", "postgres", "--"};  // the cluster belongs to postgres
    }
    command.push_back(bin_ + "/pg_ctl");
    command.insert(command.end(), args.begin(), args.end());
    const auto [status, output] = runProgram(command);
    return status == 0 ? ""
                       : "pg_ctl " + args[0] + " exited " + std::to_string(status) + ": " + output;
  }

  std::string bin_;
  std::string data_;
  std::string options_;
  bool stopped_ = false;
};

class PostgresOutage : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    bin_ = environmentValue("AUTOQL_TEST_POSTGRES_BIN");
    data_ = environmentValue("AUTOQL_TEST_POSTGRES_DATA");
    if (bin_.empty() || data_.empty()) {
      GTEST_SKIP() << "AUTOQL_TEST_POSTGRES_BIN or AUTOQL_TEST_POSTGRES_DATA is not set";
    }
  }

  std::string bin_;
  std::string data_;
};

TEST_F(PostgresOutage, ServesUnavailableWhileDownAndRecoversWithoutRestart) {
  ServerProcess* server = start();
  ASSERT_NE(server, nullptr);
  auto client = server->client(10s);
  const std::string project = uniqueId("proj");
  const std::string user = uniqueId("user");
  const std::string list_target = "/dashboards?" + ownerQuery(project, user);
  const std::int64_t before = createDashboard(*client, project, user, "Before the outage");
  ASSERT_NE(before, 0);
  ASSERT_EQ(webhookMessage(deliver(*client, compactAlert(uniqueId("nt")))), "ok");

  Cluster cluster(bin_, data_);
  ASSERT_FALSE(cluster.options().empty()) << "cannot read " << data_ << "/postmaster.opts";
  const auto outage_started = SteadyClock::now();
  const std::string stopped = cluster.stop();
  ASSERT_EQ(stopped, "");

  // Down: every request that needs the database is refused with 503, fast.
  const auto down_started = SteadyClock::now();
  const auto list = send(*client, "GET", list_target);
  EXPECT_TRUE(isUnavailable(list)) << "GET /dashboards";
  const auto create =
      sendJson(*client, "POST", "/dashboards", dashboardBody(project, user, "During the outage"));
  EXPECT_TRUE(isUnavailable(create)) << "POST /dashboards";
  const std::string lost_id = uniqueId("nt");
  const auto hook = deliver(*client, compactAlert(lost_id));
  EXPECT_TRUE(isUnavailable(hook)) << "POST /webhooks/autoql";
  const auto read = send(*client, "GET", "/dashboards/" + std::to_string(before));
  EXPECT_TRUE(isUnavailable(read)) << "GET /dashboards/{id}";
  const auto not_ready = send(*client, "GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503u) << not_ready.body;
  EXPECT_TRUE(isUnavailable(not_ready)) << "GET /readyz";
  const auto alive = send(*client, "GET", "/healthz");
  EXPECT_EQ(alive.status, 200u) << alive.body;
  const std::int64_t down_ms = millisSince(down_started);
  EXPECT_FALSE(server->waitForExit(0ms)) << "the server exited while the database was down";
  std::cout << "[ outage   ] database down: 6 requests answered (503 x 5, /healthz 200) in "
            << down_ms << " ms\n";

  // Back: ready again within a few seconds, without a restart.
  const std::string restarted = cluster.start();
  ASSERT_EQ(restarted, "");
  const auto up_started = SteadyClock::now();
  unsigned ready_status = 0;
  while (millisSince(up_started) < 10'000) {
    auto response = client->send("GET", "/readyz");
    ready_status = response ? response->status : 0;
    if (ready_status == 200) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  const std::int64_t ready_ms = millisSince(up_started);
  ASSERT_EQ(ready_status, 200u) << "/readyz did not recover within 10 s";

  // While the database was away, the notification listener retried now and then, not in
  // a tight loop (each attempt is a connection attempt and a warning in the log).
  const std::int64_t outage_ms = millisSince(outage_started);
  const std::size_t attempts = occurrences(server->log(), "notification listener:");
  std::cout << "[ outage   ] the notification listener logged " << attempts
            << " failed reconnection attempt(s) in a " << outage_ms << " ms outage\n";
  EXPECT_LE(attempts, static_cast<std::size_t>(2 + outage_ms / 100))
      << "the notification listener retries without pausing while the database is down";

  // A stream opened now must get the events of what is stored from now on.
  SseStream stream;
  ASSERT_TRUE(stream.open(server->port(), streamTarget(kAlertProject, kAlertUsers[0])))
      << stream.error();
  ASSERT_EQ(stream.status(), 200u);

  const auto listed = send(*client, "GET", list_target);
  EXPECT_EQ(listed.status, 200u) << listed.body;
  const auto created =
      sendJson(*client, "POST", "/dashboards", dashboardBody(project, user, "After the outage"));
  EXPECT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(send(*client, "GET", "/dashboards/" + std::to_string(before)).status, 200u);
  EXPECT_EQ(listDashboardIds(*client, project, user).size(), 2u);
  const std::string after_id = uniqueId("nt");
  const std::int64_t after_offset_ms = millisSince(up_started);
  const auto sent = SteadyClock::now();
  const auto accepted = deliver(*client, compactAlert(after_id));
  EXPECT_EQ(webhookMessage(accepted), "ok") << accepted.status << " " << accepted.body;
  EXPECT_EQ(send(*client, "GET", "/notifications/" + after_id).status, 200u);
  EXPECT_TRUE(isProblem(send(*client, "GET", "/notifications/" + lost_id), 404, "not_found"))
      << "the webhook refused during the outage was stored";

  const auto event = stream.nextEvent(3s);
  const std::int64_t event_ms = millisSince(sent);
  std::cout << "[ outage   ] ready " << ready_ms << " ms after the database restarted; event of "
            << "the first webhook after recovery: "
            << (eventNotificationId(event) == after_id ? std::to_string(event_ms) + " ms"
                                                       : "never came")
            << "\n";
  EXPECT_EQ(eventNotificationId(event), after_id)
      << "the stream opened after recovery missed the event of a webhook stored " << after_offset_ms
      << " ms after the database came back: " << describe(event);

  // However that went, the listener must be back by now: a later webhook's event comes.
  const std::string later_id = uniqueId("nt");
  const std::int64_t later_offset_ms = millisSince(up_started);
  const auto later_sent = SteadyClock::now();
  EXPECT_EQ(webhookMessage(deliver(*client, compactAlert(later_id))), "ok");
  const auto later = stream.nextEvent(3s);
  EXPECT_EQ(eventNotificationId(later), later_id) << describe(later);
  std::cout << "[ outage   ] event of a webhook " << later_offset_ms << " ms after the restart: "
            << (eventNotificationId(later) == later_id
                    ? std::to_string(millisSince(later_sent)) + " ms"
                    : "never came")
            << "\n";
  EXPECT_FALSE(server->waitForExit(0ms)) << "the server exited";
}

}  // namespace
}  // namespace autoql::e2e
