#include "api/webhook_api.h"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>

#include "http/problem.h"
#include "security/crypto.h"
#include "util/log.h"

namespace autoql::api {
namespace {

using security::WebhookVerdict;

http::Response message(std::string_view text) {
  return http::jsonResponse(200, "{\"message\":\"" + std::string(text) + "\"}");
}

// The result label of an answer that is not a stored delivery's: the message of a 200
// ("ignored"), else the problem's code ("signature_mismatch", ...). Both bodies are this
// file's own.
std::string resultOf(const http::Response& response) {
  boost::json::error_code ec;
  const boost::json::value body = boost::json::parse(response.body, ec);
  const boost::json::object* object = ec ? nullptr : body.if_object();
  const char* field = response.status == 200 ? "message" : "code";
  const boost::json::value* value = object ? object->if_contains(field) : nullptr;
  return value && value->is_string() ? std::string(value->get_string()) : "unknown";
}

// A stored delivery's answer, its message its result: named, not parsed back, as this
// runs on the SQLite writer thread for every delivery.
void answerWith(const WebhookApi::Answer& answer, std::string_view text) {
  answer(text, message(text));
}

void answerWith(const WebhookApi::Answer& answer, http::Response response) {
  const std::string result = resultOf(response);
  answer(result, std::move(response));
}

}  // namespace

WebhookApi::WebhookApi(storage::Store& store, const security::WebhookVerifier& verifier,
                       http::Metrics& metrics, ApiLimits limits, Clock clock)
    : store_(store),
      verifier_(verifier),
      metrics_(metrics),
      limits_(limits),
      clock_(std::move(clock)),
      log_(componentLogger("webhook")) {
  metrics_.describe("autoql_webhook_deliveries_total",
                    "Webhook deliveries by result: ok, duplicate, ignored, or a problem code.");
}

void WebhookApi::registerRoutes(http::Router& router) {
  for (const char* path : {"/webhooks/autoql", "/your-webhook"}) {
    // Only AutoQL's servers call the webhook; browsers get no CORS headers from it.
    router.addAsync(
        http::Method::kPost, path,
        [this](const auto& r, http::Responder respond) { receive(r, std::move(respond)); },
        http::Execution::kWrite, /*cors=*/false);
  }
}

void WebhookApi::receive(const http::Request& request, http::Responder respond) {
  Answer answer = [this, respond = std::move(respond)](std::string_view result,
                                                       http::Response response) {
    metrics_.increment("autoql_webhook_deliveries_total", "result", std::string(result));
    respond(std::move(response));
  };
  auto notification = readDelivery(request);
  if (!notification) {
    return answerWith(answer, notification.error());
  }
  store(std::move(notification).value(), request, std::move(answer));
}

Result<domain::Notification, http::Response> WebhookApi::readDelivery(
    const http::Request& request) {
  const WebhookVerdict verdict =
      verifier_.verify(request.header("AutoQL-Timestamp").value_or(""),
                       request.header("AutoQL-Signature").value_or(""), request.body);
  if (verdict != WebhookVerdict::kValid) {
    return refuse(verdict, request);
  }

  // Only an authenticated body is parsed. Its Content-Type is not checked: the signature
  // already proves who sent it.
  auto body = readJsonBody(request, limits_, /*any_type=*/true);
  if (!body) {
    return body.error();
  }
  auto event = domain::parseEvent(*body);
  if (!event) {
    return validationFailed(event.error());
  }
  if (!domain::isDataAlertEvent(*event)) {
    log_->info("ignored event {} (request {})", *event, request.request_id);
    return message("ignored");
  }
  auto notification = domain::parseDataAlert(*body);
  if (!notification) {
    return validationFailed(notification.error());
  }

  notification->received_at_ms = clock_();
  notification->body_sha256 = security::sha256Hex(request.body);
  return std::move(notification).value();
}

void WebhookApi::store(domain::Notification notification, const http::Request& request,
                       Answer answer) {
  // What the log lines need, kept for the answer; `request` lives until then.
  auto done = [this, &request, id = notification.notification_id, users = notification.users.size(),
               project = notification.project_id,
               answer = std::move(answer)](Result<storage::InsertResult> outcome) {
    if (!outcome) {
      return answerWith(answer, storeFailure(outcome.error(), request));
    }
    switch (outcome->outcome) {
      case storage::InsertOutcome::kInserted:
        log_->info("stored notification {} for {} user(s) of project {} (request {})", id, users,
                   project, request.request_id);
        return answerWith(answer, "ok");
      case storage::InsertOutcome::kDuplicate:
        return answerWith(answer, "duplicate");
      case storage::InsertOutcome::kConflictingDuplicate:
        log_->warn(
            "notification {} was delivered again with a different body; kept the first "
            "(request {})",
            id, request.request_id);
        return answerWith(answer, "duplicate");
    }
    answerWith(answer, "duplicate");
  };
  store_.insertNotificationAsync(std::move(notification), std::move(done));
}

http::Response WebhookApi::refuse(WebhookVerdict verdict, const http::Request& request) {
  switch (verdict) {
    case WebhookVerdict::kNotConfigured:
      return http::problemResponse(
          503, "webhook_not_configured", "Webhook not configured",
          "No webhook secret is configured on this server, so no delivery can be verified. "
          "Set --webhook-secret or AUTOQL_WEBHOOK_SECRETS.");
    case WebhookVerdict::kInvalidTimestamp:
      log_->warn("refused a delivery: AutoQL-Timestamp missing or not an integer (request {})",
                 request.request_id);
      return http::problemResponse(
          401, "invalid_timestamp", "Invalid timestamp",
          "AutoQL-Timestamp must be an integer count of milliseconds since the Unix epoch.");
    case WebhookVerdict::kTimestampOutOfWindow:
      log_->warn("refused a delivery: timestamp outside the allowed window (request {})",
                 request.request_id);
      return http::problemResponse(
          401, "timestamp_out_of_window", "Timestamp out of window",
          "AutoQL-Timestamp is too far from the server's clock; the delivery may be a replay.");
    case WebhookVerdict::kSignatureMismatch:
    case WebhookVerdict::kValid:
      break;
  }
  log_->warn("refused a delivery: signature mismatch (request {})", request.request_id);
  return http::problemResponse(
      401, "signature_mismatch", "Signature mismatch",
      "AutoQL-Signature does not match the body for any configured secret.");
}

}  // namespace autoql::api
