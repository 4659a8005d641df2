// The Data Alert webhook (DESIGN 3.3): POST /webhooks/autoql and its alias /your-webhook
// (the Flask sample's path). Verifies the signature over the raw body before parsing
// anything, stores each notification exactly once, and answers 200 only after the commit.
// Handlers run on the worker pool; the object must outlive the router.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "api/common.h"
#include "http/metrics.h"
#include "http/router.h"
#include "security/webhook_signature.h"
#include "storage/store.h"
#include "util/clock.h"

namespace spdlog {
class logger;
}

namespace autoql::api {

class WebhookApi {
 public:
  // The store tells the live streams about new notifications (Store::onNotificationStored).
  // Each delivery's result is counted in `metrics` (autoql_webhook_deliveries_total).
  WebhookApi(storage::Store& store, const security::WebhookVerifier& verifier,
             http::Metrics& metrics, ApiLimits limits, Clock clock);

  void registerRoutes(http::Router& router);

  // Sends a delivery's answer, counted under its result: "ok", "duplicate", "ignored" or
  // the problem's code.
  using Answer = std::function<void(std::string_view result, http::Response)>;

 private:
  // Answers once the delivery's notification is committed (see Execution::kWrite).
  void receive(const http::Request& request, http::Responder respond);
  // The notification a delivery carries, or the response that ends it here: a refusal,
  // or "ignored" for an event that is not a Data Alert.
  Result<domain::Notification, http::Response> readDelivery(const http::Request& request);
  http::Response refuse(security::WebhookVerdict verdict, const http::Request& request);
  void store(domain::Notification notification, const http::Request& request, Answer answer);

  storage::Store& store_;
  const security::WebhookVerifier& verifier_;
  http::Metrics& metrics_;
  ApiLimits limits_;
  Clock clock_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace autoql::api
