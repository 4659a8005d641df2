// GET /metrics (DESIGN 3.5): Prometheus text with requests by route template, method and
// status, latency histograms, webhook results by code, live streams and database
// connections, database call latency — and no raw paths in any label.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

using Metrics = SharedServerTest;

// The value of the sample line that starts with `series` (name and labels), or -1.
double sample(const std::string& text, const std::string& series) {
  std::size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      return std::stod(text.substr(at + series.size() + 1));
    }
    at += series.size();
  }
  return -1;
}

TEST_F(Metrics, CountsRequestsByRouteTemplate) {
  const std::string before = send(client(), "GET", "/metrics").body;
  const std::string series =
      R"(autoql_http_requests_total{route="/dashboards/{id}",method="GET",status="404"})";
  const double start = std::max(0.0, sample(before, series));

  for (int id : {987654, 987655, 987656}) {
    EXPECT_EQ(send(client(), "GET", "/dashboards/" + std::to_string(id)).status, 404u);
  }
  const auto response = send(client(), "GET", "/metrics");
  ASSERT_EQ(response.status, 200u);
  EXPECT_NE(headerOf(response, "Content-Type").find("text/plain"), std::string::npos);
  EXPECT_EQ(sample(response.body, series), start + 3) << response.body.substr(0, 2000);
  EXPECT_EQ(response.body.find("987654"), std::string::npos) << "a raw path reached a label";
  EXPECT_NE(
      response.body.find(
          R"(autoql_http_request_duration_seconds_bucket{route="/dashboards/{id}",le="+Inf"})"),
      std::string::npos);
  EXPECT_NE(response.body.find("autoql_build_info{version="), std::string::npos);
  EXPECT_GE(sample(response.body, "autoql_live_streams"), 0);
  EXPECT_GE(sample(response.body, "autoql_db_connections_max"), 1);
}

TEST_F(Metrics, UnknownPathsShareOneLabel) {
  for (int i = 0; i < 3; ++i) {
    send(client(), "GET", "/no/such/path/" + uniqueId("p"));
  }
  const std::string text = send(client(), "GET", "/metrics").body;
  EXPECT_GE(
      sample(text, R"(autoql_http_requests_total{route="unmatched",method="GET",status="404"})"),
      3);
  EXPECT_EQ(text.find("/no/such/path"), std::string::npos);
}

TEST_F(Metrics, InventedMethodsShareOneLabel) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(send(client(), "BREW" + std::to_string(i), "/dashboards").status, 405u);
  }
  const std::string text = send(client(), "GET", "/metrics").body;
  EXPECT_EQ(text.find("BREW"), std::string::npos) << "a method a client made up is a label";
  EXPECT_GE(
      sample(text, R"(autoql_http_requests_total{route="unmatched",method="OTHER",status="405"})"),
      3);
}

TEST_F(Metrics, CountsWebhookResultsByCode) {
  const std::string ok = R"(autoql_webhook_deliveries_total{result="ok"})";
  const std::string refused = R"(autoql_webhook_deliveries_total{result="signature_mismatch"})";
  const std::string before = send(client(), "GET", "/metrics").body;
  const double ok_start = std::max(0.0, sample(before, ok));
  const double refused_start = std::max(0.0, sample(before, refused));

  const std::string body = compactAlert(uniqueId("nt"));
  ASSERT_EQ(deliver(client(), body).status, 200u);
  EXPECT_EQ(deliver(client(), body).status, 200u);  // a duplicate
  auto headers = signedHeaders(body, std::to_string(nowMillis()), "not-the-secret");
  EXPECT_EQ(send(client(), "POST", "/webhooks/autoql", headers, body).status, 401u);

  const std::string after = send(client(), "GET", "/metrics").body;
  EXPECT_EQ(sample(after, ok), ok_start + 1);
  EXPECT_EQ(sample(after, refused), refused_start + 1);
  EXPECT_GE(sample(after, R"(autoql_webhook_deliveries_total{result="duplicate"})"), 1);
}

TEST_F(Metrics, TimesDatabaseCallsByKind) {
  const std::string reads = R"(autoql_db_query_duration_seconds_count{kind="read"})";
  const std::string writes = R"(autoql_db_query_duration_seconds_count{kind="write"})";
  const std::string before = send(client(), "GET", "/metrics").body;
  const double reads_start = std::max(0.0, sample(before, reads));
  const double writes_start = std::max(0.0, sample(before, writes));

  const std::string user = uniqueId("timed");
  const std::int64_t id = createDashboard(client(), "p", user, "timed");
  ASSERT_NE(id, 0);
  EXPECT_EQ(send(client(), "GET", "/dashboards/" + std::to_string(id)).status, 200u);

  const std::string after = send(client(), "GET", "/metrics").body;
  EXPECT_GE(sample(after, reads), reads_start + 1);
  EXPECT_GE(sample(after, writes), writes_start + 1);
  EXPECT_NE(after.find(R"(autoql_db_query_duration_seconds_bucket{kind="write",le="+Inf"})"),
            std::string::npos);
  EXPECT_NE(after.find("# TYPE autoql_db_query_duration_seconds histogram"), std::string::npos);
}

// The exposition passes Prometheus's own checker (promtool, from Debian's prometheus).
TEST_F(Metrics, PassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed (scripts/install-deps installs it)";
  }
  ASSERT_EQ(deliver(client(), compactAlert(uniqueId("nt"))).status, 200u);
  send(client(), "GET", "/no/such/path");
  const std::string file = server().dir() + "/metrics.txt";
  std::ofstream(file) << send(client(), "GET", "/metrics").body;
  const std::string command = "promtool check metrics < '" + file + "' > '" + file + ".out' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream report(file + ".out");
  const std::string output((std::istreambuf_iterator<char>(report)),
                           std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << output;
}

}  // namespace
}  // namespace autoql::e2e
