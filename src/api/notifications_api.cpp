#include "api/notifications_api.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "util/time_format.h"

namespace autoql::api {
namespace {

namespace json = boost::json;

std::string quoted(std::string_view text) {
  return json::serialize(json::string_view(text));
}

}  // namespace

std::string notificationJson(const storage::NotificationRecord& record) {
  const domain::Notification& n = record.notification;
  std::string out;
  out.reserve(n.query_result_json.size() + 512);
  out += "{\"notification_id\":" + quoted(n.notification_id);
  out += ",\"data_alert_id\":" + quoted(n.data_alert_id);
  out += ",\"project_id\":" + quoted(n.project_id);
  out += ",\"event\":" + quoted(n.event);
  out += ",\"title\":" + quoted(n.title);
  out += ",\"message\":" + quoted(n.message);
  out += ",\"users\":" + json::serialize(json::value_from(n.users));
  out += ",\"created_at\":\"" + formatIsoMillis(n.created_at_ms) + "\"";
  out += ",\"data_return_query\":" + quoted(n.data_return_query);
  out += ",\"query_result\":" + n.query_result_json;
  out += ",\"received_at\":\"" + formatIsoMillis(n.received_at_ms) + "\"";
  out += ",\"state\":";
  out += record.state ? quoted(domain::stateName(*record.state)) : "null";
  out += "}";
  return out;
}

NotificationsApi::NotificationsApi(storage::Store& store) : store_(store) {}

void NotificationsApi::registerRoutes(http::Router& router) {
  router.add(http::Method::kGet, "/notifications/{id}", [this](const auto& r) { return get(r); });
}

http::Response NotificationsApi::get(const http::Request& request) {
  const std::string_view id = request.pathParam("id");
  const std::string user_id = queryString(request, "user_id").value_or("");
  auto record = store_.getNotification(id, user_id);
  if (!record) {
    return storeFailure(record.error(), request, "notification");
  }
  return http::jsonResponse(200, notificationJson(*record));
}

}  // namespace autoql::api
