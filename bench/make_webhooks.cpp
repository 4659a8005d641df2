// Writes signed webhook requests for the HTTP benchmark, one per line as
// "<timestamp>\t<signature>\t<body>", each with a new notification_id, so that wrk can
// replay them (its Lua has no HMAC). The timestamps are now, so the file is good for the
// server's tolerance (5 minutes by default).
//
// usage: make_webhooks SECRET COUNT > webhooks.tsv
#include <cstdio>
#include <cstdlib>
#include <string>

#include "security/webhook_signature.h"
#include "util/clock.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_webhooks SECRET COUNT\n");
    return 2;
  }
  const std::string secret = argv[1];
  const long count = std::atol(argv[2]);
  const std::string timestamp = std::to_string(autoql::systemNowMillis());
  const std::string created = std::to_string(autoql::systemNowMillis() / 1000);
  for (long i = 0; i < count; ++i) {
    const std::string body =
        R"({"event":"data_alert.true","payload":{"notification_id":"nt_bench_)" + timestamp + "_" +
        std::to_string(i) +
        R"(","data_alert_id":"da_bench","project_id":"bench","title":"High Sales",)"
        R"("message":"Sales goal reached","users":["u1","u2"],"created_at":)" +
        created +
        R"(,"data_return_query":"total sales","query_result":{"data":{"rows":[[1,2]]}}}})";
    std::printf("%s\t%s\t%s\n", timestamp.c_str(),
                autoql::security::signWebhook(secret, timestamp, body).c_str(), body.c_str());
  }
  return 0;
}
