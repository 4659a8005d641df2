// Data Alert notifications: the stored entity and the validation of the webhook body
// (DESIGN 3.3 step 4). Pure functions, safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/validation.h"
#include "util/result.h"

namespace autoql::domain {

constexpr std::size_t kMaxNotificationIdChars = 256;
constexpr std::size_t kMaxEventChars = 256;
constexpr std::size_t kMaxTitleChars = 1024;
constexpr std::size_t kMaxMessageChars = 10000;
constexpr std::size_t kMaxQueryChars = 10000;
// One alert addresses the users of one project; more than this is a malformed delivery.
constexpr std::size_t kMaxRecipients = 10000;

enum class NotificationState { kUnacknowledged, kAcknowledged, kDismissed };

std::string_view stateName(NotificationState state);

// Parses "UNACKNOWLEDGED", "ACKNOWLEDGED" or "DISMISSED"; nullopt for anything else.
std::optional<NotificationState> parseStateName(std::string_view name);

// The names parseStateName accepts, for error messages.
constexpr std::string_view kStateNames = "UNACKNOWLEDGED, ACKNOWLEDGED, DISMISSED";

// How many of a user's notifications are in each state.
struct StateCounts {
  std::int64_t unacknowledged = 0;
  std::int64_t acknowledged = 0;
  std::int64_t dismissed = 0;
};

// One page of a user's feed: newest first, only notifications older than `before_seq`
// (the cursor of the page before), optionally only one state.
struct FeedQuery {
  std::string project_id;
  std::string user_id;
  std::optional<NotificationState> state;
  std::optional<std::int64_t> before_seq;
  std::size_t limit = 50;
};

struct Notification {
  std::int64_t seq = 0;  // store-assigned, increasing in arrival order
  std::string notification_id;
  std::string data_alert_id;
  std::string project_id;
  std::string event;
  std::string title;
  std::string message;
  std::vector<std::string> users;
  std::int64_t created_at_ms = 0;
  std::string data_return_query;
  std::string query_result_json;  // the payload's query_result, serialized; "null" if absent
  std::int64_t received_at_ms = 0;
  std::string body_sha256;  // of the raw delivery, to tell a replay from a conflicting repeat
};

// Returns the body's top-level `event` string, or the errors that prevent reading it.
Result<std::string, FieldErrors> parseEvent(const boost::json::value& body);

// True for the events this service stores ("data_alert.true", "data_alert.triggered", ...).
bool isDataAlertEvent(std::string_view event);

// Validates `payload` of a Data Alert body and returns the notification it describes,
// with received_at_ms and body_sha256 left for the caller. Required: notification_id,
// data_alert_id, project_id, title, users, created_at. Optional: message,
// data_return_query (strings), query_result (any JSON). `created_at` is Unix seconds; a
// value too large to be seconds (after year 5000) is taken as milliseconds.
Result<Notification, FieldErrors> parseDataAlert(const boost::json::value& body);

}  // namespace autoql::domain
