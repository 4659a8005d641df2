// The notification read routes of DESIGN 3.3: GET /notifications/{id}, with the state of
// the recipient named by ?user_id. Handlers run on the worker pool; the object must
// outlive the router.
#pragma once

#include "api/common.h"
#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

class NotificationsApi {
 public:
  explicit NotificationsApi(storage::Store& store);

  void registerRoutes(http::Router& router);

 private:
  http::Response get(const http::Request& request);

  storage::Store& store_;
};

// Serializes a notification as GET /notifications/{id} returns it; query_result is
// spliced in as stored. `state` is null when not read for a recipient.
std::string notificationJson(const storage::NotificationRecord& record);

}  // namespace autoql::api
