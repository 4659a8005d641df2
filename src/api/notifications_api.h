// The notification routes of DESIGN 3.3 other than the webhook:
//   GET /notifications/{id} and /api/v1/rule-notifications/{id} (one notification),
//   GET /notifications (a user's feed), GET /notifications/summary (counts),
//   PUT /notifications/{id} and PUT /notifications (state), DELETE /notifications/{id},
//   GET /notifications/stream (Server-Sent Events; Last-Event-ID resumes).
// The caller is identified by project_id and user_id in the query string (or, for PUT,
// in the body). Handlers run on the worker pool; the object must outlive the router.
#pragma once

#include "api/auth.h"
#include "api/common.h"
#include "api/notification_hub.h"
#include "api/rendered_json.h"
#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

// Largest page of the feed, and its size when no limit is given.
constexpr std::size_t kMaxFeedPage = 100;
constexpr std::size_t kDefaultFeedPage = 50;

// The memory GET /notifications/{id} may keep of notifications it has written (see
// RenderedJson).
constexpr std::size_t kRenderedNotificationBytes = 8 * 1024 * 1024;

class NotificationsApi {
 public:
  NotificationsApi(storage::Store& store, NotificationHub& hub, const Authenticator& auth,
                   ApiLimits limits);

  void registerRoutes(http::Router& router);

 private:
  http::Response get(const http::Request& request);
  http::Response feed(const http::Request& request);
  http::Response summary(const http::Request& request);
  http::Response setState(const http::Request& request);
  http::Response setAllStates(const http::Request& request);
  http::Response remove(const http::Request& request);
  http::Response stream(const http::Request& request);

  storage::Store& store_;
  NotificationHub& hub_;
  const Authenticator& auth_;
  ApiLimits limits_;
  RenderedJson rendered_;  // notifications' content, under (seq, 0)
};

// Serializes a notification as GET /notifications/{id} returns it; query_result is
// spliced in as stored. `state` is null when not read for a recipient.
std::string notificationJson(const storage::NotificationRecord& record);
void appendNotificationJson(std::string& out, const storage::NotificationRecord& record);
// The same in two parts: the content, as an object left open, then the state, which
// closes it.
void appendNotificationContent(std::string& out, const domain::Notification& notification);
void appendNotificationState(std::string& out, std::optional<domain::NotificationState> state);

// Serializes a feed item: no query_result (read it by id), created_at as Unix seconds
// (what the AutoQL widgets read), `seq` as the stream's event id.
std::string feedItemJson(const storage::NotificationRecord& record);
void appendFeedItemJson(std::string& out, const storage::NotificationRecord& record);

// The opaque feed cursor for "older than this notification", and its inverse (nullopt
// for a cursor this server did not make).
std::string encodeCursor(std::int64_t seq);
std::optional<std::int64_t> decodeCursor(std::string_view cursor);

}  // namespace autoql::api
