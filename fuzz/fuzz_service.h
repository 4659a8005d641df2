// The whole service in one process for the fuzz targets: every API on a private
// in-memory SQLite database, behind the real router and dispatcher, with a fixed clock
// so that a run depends on its input alone. Each input gets a fresh instance, so that
// what one input stored cannot change how the next one runs.
//
// Not thread-safe: one instance serves one fuzz input at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "api/dashboards_api.h"
#include "api/health_api.h"
#include "api/notification_hub.h"
#include "api/notifications_api.h"
#include "api/quick_start_api.h"
#include "api/webhook_api.h"
#include "http/dispatcher.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"
#include "security/webhook_signature.h"
#include "storage/store.h"
#include "util/worker_pool.h"

namespace autoql::fuzz {

// "Now" for every clock the service reads: 2026-01-31T12:00:00Z.
constexpr std::int64_t kFuzzNowMs = 1769860800000;

// The one webhook secret the service accepts.
constexpr std::string_view kFuzzWebhookSecret = "fuzz-webhook-secret";

// Turns the service's logging off: the targets run millions of requests, and a log line
// per request would cost more than the request.
void silenceLogs();

class FuzzService {
 public:
  // Opens and migrates the database; aborts if it cannot (a broken harness, not a finding).
  FuzzService();
  ~FuzzService();

  FuzzService(const FuzzService&) = delete;
  FuzzService& operator=(const FuzzService&) = delete;

  // Dispatches `request` and waits for its response. An event stream is attached to a
  // sink that keeps what it is sent (returned as the body), then detached.
  http::Response serve(http::Request request);

 private:
  api::NotificationHub hub_;
  http::Metrics metrics_;
  security::WebhookVerifier verifier_;
  api::Authenticator auth_;
  std::unique_ptr<storage::Store> store_;
  api::DashboardsApi dashboards_;
  api::WebhookApi webhook_;
  api::NotificationsApi notifications_;
  api::QuickStartApi quick_start_;
  api::HealthApi health_;
  http::Router router_;
  WorkerPool workers_;
  http::Dispatcher dispatcher_;
};

// Aborts with `what` on standard error: a property the service must keep did not hold.
[[noreturn]] void fail(std::string_view what);

// Checks what every response must satisfy whatever the request was: no 500 (a handler
// threw, which is a bug), and a JSON or problem+json body that is valid JSON.
void checkResponse(const http::Response& response);

}  // namespace autoql::fuzz
