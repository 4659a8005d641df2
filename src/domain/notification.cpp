#include "domain/notification.h"

#include <boost/json/serialize.hpp>
#include <cmath>
#include <optional>

#include "domain/json_text.h"

namespace autoql::domain {
namespace {

namespace json = boost::json;

// created_at values at or above this cannot be seconds (they would be after year 5138),
// so they are milliseconds; below it they are seconds.
constexpr double kMillisecondsThreshold = 1e11;
// Year 9999 in milliseconds: the latest instant an ISO 8601 timestamp can show.
constexpr double kMaxCreatedAtMs = 253402300799999.0;

std::string fieldName(std::string_view field) {
  return "payload." + std::string(field);
}

std::optional<std::string> readText(const json::object& payload, std::string_view field,
                                    std::size_t max_chars, bool required, FieldErrors& errors) {
  const json::value* value = payload.if_contains(field);
  if (value == nullptr || value->is_null()) {
    if (required) {
      errors.push_back({fieldName(field), "is required"});
    }
    return required ? std::nullopt : std::optional<std::string>("");
  }
  if (!value->is_string()) {
    errors.push_back({fieldName(field), "must be a string"});
    return std::nullopt;
  }
  std::string text(value->get_string());
  if (required) {
    if (std::string problem = checkText(text, max_chars); !problem.empty()) {
      errors.push_back({fieldName(field), std::move(problem)});
    }
  } else if (countCodePoints(text) > max_chars) {
    errors.push_back(
        {fieldName(field), "must be at most " + std::to_string(max_chars) + " characters"});
  } else if (text.find('\0') != std::string::npos) {
    // No engine stores NUL in text faithfully (PostgreSQL cannot at all): refused.
    errors.push_back({fieldName(field), "must not contain NUL characters"});
  }
  return text;
}

std::vector<std::string> readUsers(const json::object& payload, FieldErrors& errors) {
  const json::value* value = payload.if_contains("users");
  if (value == nullptr) {
    errors.push_back({"payload.users", "is required"});
    return {};
  }
  const json::array* users = value->if_array();
  if (users == nullptr || users->size() > kMaxRecipients) {
    errors.push_back({"payload.users", "must be an array of at most " +
                                           std::to_string(kMaxRecipients) + " user ids"});
    return {};
  }

  std::vector<std::string> out;
  out.reserve(users->size());
  for (std::size_t i = 0; i < users->size() && !full(errors); ++i) {
    const json::string* user = (*users)[i].if_string();
    const std::string field = "payload.users[" + std::to_string(i) + "]";
    if (user == nullptr) {
      errors.push_back({field, "must be a string"});
      continue;
    }
    if (std::string problem = checkText(*user, kMaxUserIdChars); !problem.empty()) {
      errors.push_back({field, std::move(problem)});
      continue;
    }
    out.emplace_back(*user);
  }
  return out;
}

std::optional<std::int64_t> readCreatedAt(const json::object& payload, FieldErrors& errors) {
  const json::value* value = payload.if_contains("created_at");
  if (value == nullptr) {
    errors.push_back({"payload.created_at", "is required"});
    return std::nullopt;
  }
  if (!value->is_number()) {
    errors.push_back({"payload.created_at", "must be a number of Unix seconds"});
    return std::nullopt;
  }

  const double number = value->to_number<double>();
  const double millis = number >= kMillisecondsThreshold ? number : number * 1000.0;
  if (!std::isfinite(millis) || millis < 0 || millis > kMaxCreatedAtMs) {
    errors.push_back({"payload.created_at", "must be a Unix time between 1970 and 9999"});
    return std::nullopt;
  }
  return static_cast<std::int64_t>(millis);
}

}  // namespace

std::string_view stateName(NotificationState state) {
  switch (state) {
    case NotificationState::kUnacknowledged:
      return "UNACKNOWLEDGED";
    case NotificationState::kAcknowledged:
      return "ACKNOWLEDGED";
    case NotificationState::kDismissed:
      return "DISMISSED";
  }
  return "UNACKNOWLEDGED";
}

std::optional<NotificationState> parseStateName(std::string_view name) {
  for (auto state : {NotificationState::kUnacknowledged, NotificationState::kAcknowledged,
                     NotificationState::kDismissed}) {
    if (name == stateName(state)) {
      return state;
    }
  }
  return std::nullopt;
}

Result<std::string, FieldErrors> parseEvent(const json::value& body) {
  const json::object* object = body.if_object();
  if (object == nullptr) {
    return FieldErrors{{"", "the body must be a JSON object"}};
  }
  const json::value* event = object->if_contains("event");
  if (event == nullptr) {
    return FieldErrors{{"event", "is required"}};
  }
  if (!event->is_string() || !checkText(event->get_string(), kMaxEventChars).empty()) {
    return FieldErrors{{"event", "must be a string of 1 to " + std::to_string(kMaxEventChars) +
                                     " characters without control characters"}};
  }
  return std::string(event->get_string());
}

bool isDataAlertEvent(std::string_view event) {
  return event.find("data_alert") != std::string_view::npos;
}

Result<Notification, FieldErrors> parseDataAlert(const json::value& body) {
  auto event = parseEvent(body);
  if (!event) {
    return event.error();
  }
  const json::value* payload_value = body.get_object().if_contains("payload");
  if (payload_value == nullptr || !payload_value->is_object()) {
    return FieldErrors{{"payload", payload_value ? "must be an object" : "is required"}};
  }
  const json::object& payload = payload_value->get_object();

  FieldErrors errors;
  Notification n;
  n.event = std::move(event.value());
  auto id = readText(payload, "notification_id", kMaxNotificationIdChars, true, errors);
  auto alert = readText(payload, "data_alert_id", kMaxNotificationIdChars, true, errors);
  auto project = readText(payload, "project_id", kMaxProjectIdChars, true, errors);
  auto title = readText(payload, "title", kMaxTitleChars, true, errors);
  auto message = readText(payload, "message", kMaxMessageChars, false, errors);
  auto query = readText(payload, "data_return_query", kMaxQueryChars, false, errors);
  n.users = readUsers(payload, errors);
  auto created_at = readCreatedAt(payload, errors);
  if (!errors.empty()) {
    return errors;
  }

  n.notification_id = std::move(*id);
  n.data_alert_id = std::move(*alert);
  n.project_id = std::move(*project);
  n.title = std::move(*title);
  n.message = std::move(*message);
  n.data_return_query = std::move(*query);
  n.created_at_ms = *created_at;
  const json::value* result = payload.if_contains("query_result");
  n.query_result_json = result ? json::serialize(*result) : "null";
  return n;
}

}  // namespace autoql::domain
