#include "api/notification_hub.h"

#include <algorithm>
#include <set>

#include "api/notifications_api.h"

namespace autoql::api {
namespace {

std::string recipientKey(std::string_view project_id, std::string_view user_id) {
  // A NUL cannot occur in either id (validation refuses control characters).
  std::string key(project_id);
  key += '\0';
  key += user_id;
  return key;
}

}  // namespace

std::string notificationEvent(const storage::NotificationRecord& record) {
  return "id: " + std::to_string(record.notification.seq) +
         "\nevent: notification\ndata: " + notificationJson(record) + "\n\n";
}

std::shared_ptr<NotificationHub::Subscription> NotificationHub::subscribe(
    const std::string& project_id, const std::string& user_id) {
  const std::string key = recipientKey(project_id, user_id);
  auto subscription = std::make_shared<Subscription>(*this, key);
  std::lock_guard lock(mutex_);
  by_recipient_[key].push_back(subscription);
  ++open_;
  return subscription;
}

void NotificationHub::publish(const domain::Notification& notification) {
  // Collect the streams under the lock, deliver outside it: delivery takes each
  // subscription's own lock.
  std::vector<std::shared_ptr<Subscription>> targets;
  {
    std::lock_guard lock(mutex_);
    if (by_recipient_.empty()) {
      return;  // no stream is open: nothing to build the event for
    }
    const std::set<std::string> users(notification.users.begin(), notification.users.end());
    for (const std::string& user : users) {
      auto found = by_recipient_.find(recipientKey(notification.project_id, user));
      if (found == by_recipient_.end()) {
        continue;
      }
      for (const auto& weak : found->second) {
        if (auto subscription = weak.lock()) {
          targets.push_back(std::move(subscription));
        }
      }
    }
  }
  if (targets.empty()) {
    return;
  }

  // Built once, for the streams that want it: publish() runs on the thread that commits
  // (the SQLite writer), where every microsecond delays the next batch.
  const storage::NotificationRecord record{notification,
                                           domain::NotificationState::kUnacknowledged};
  const std::string event = notificationEvent(record);
  for (const auto& subscription : targets) {
    subscription->deliver(notification.seq, event);
  }
}

std::size_t NotificationHub::openStreams() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void NotificationHub::remove(const std::string& key, const Subscription* subscription) {
  std::lock_guard lock(mutex_);
  auto found = by_recipient_.find(key);
  if (found == by_recipient_.end()) {
    return;
  }
  auto& list = found->second;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [subscription](const std::weak_ptr<Subscription>& weak) {
                              auto locked = weak.lock();
                              return !locked || locked.get() == subscription;
                            }),
             list.end());
  if (list.empty()) {
    by_recipient_.erase(found);
  }
  --open_;
}

NotificationHub::Subscription::Subscription(NotificationHub& hub, std::string key)
    : hub_(hub), key_(std::move(key)) {}

NotificationHub::Subscription::~Subscription() {
  detach();
}

void NotificationHub::Subscription::deliver(std::int64_t seq, std::string text) {
  std::lock_guard lock(mutex_);
  // A live event that was also in the replay is a duplicate. (Sequence numbers are not
  // always committed in order, so only the replayed ones themselves are duplicates.)
  if (detached_ || replayed_.count(seq) > 0) {
    return;
  }
  if (sink_) {
    sink_->send(std::move(text));
    return;
  }
  pending_.emplace(seq, std::move(text));
  if (pending_.size() > kMaxStreamReplay) {
    pending_.erase(pending_.begin());
  }
}

void NotificationHub::Subscription::endAfterReplay() {
  std::lock_guard lock(mutex_);
  end_after_replay_ = true;
}

void NotificationHub::Subscription::attach(std::shared_ptr<http::EventSink> sink) {
  std::unique_lock lock(mutex_);
  if (detached_) {
    return;
  }
  sink_ = std::move(sink);
  for (auto& [seq, text] : pending_) {
    replayed_.insert(seq);
    sink_->send(std::move(text));
  }
  pending_.clear();
  if (end_after_replay_) {
    // Nothing more is sent on this stream; the server detaches it when it ends.
    auto finishing = sink_;
    sink_.reset();
    detached_ = true;
    lock.unlock();
    finishing->finish();
    hub_.remove(key_, this);
  }
}

void NotificationHub::Subscription::detach() {
  {
    std::lock_guard lock(mutex_);
    if (detached_) {
      return;  // already detached (after a cut replay, attach() did it)
    }
    detached_ = true;
    sink_.reset();
    pending_.clear();
  }
  hub_.remove(key_, this);
}

}  // namespace autoql::api
