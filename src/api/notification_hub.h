// Live delivery of new notifications to open event streams (DESIGN 3.3, the stream
// route). Each stream subscribes for one recipient (project + user); the webhook handler
// publishes every notification it stores, after the commit, to the streams of its
// recipients. Events carry the notification's sequence number as their SSE `id`, so a
// client reconnecting with Last-Event-ID can be sent what it missed from the store.
//
// Thread-safe: publish() runs on the thread that committed the notification (a worker,
// or the SQLite writer), subscriptions attach on I/O threads.
// The hub must outlive every subscription it hands out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/event_stream.h"
#include "storage/store.h"

namespace autoql::api {

// Events a stream holds before the server attaches it (the replay after a reconnect plus
// what arrives meanwhile); beyond it, the oldest are dropped.
constexpr std::size_t kMaxStreamReplay = 1000;

// The SSE record for one notification: id, event name and the notification as JSON.
std::string notificationEvent(const storage::NotificationRecord& record);

class NotificationHub {
 public:
  class Subscription;

  NotificationHub() = default;
  NotificationHub(const NotificationHub&) = delete;
  NotificationHub& operator=(const NotificationHub&) = delete;

  // Opens a stream for one recipient. Events published from now on are kept until the
  // server attaches the stream, then sent as they come.
  std::shared_ptr<Subscription> subscribe(const std::string& project_id,
                                          const std::string& user_id);

  // Sends a newly stored notification to the open streams of each of its recipients.
  void publish(const domain::Notification& notification);

  // Streams currently open.
  std::size_t openStreams() const;

 private:
  void remove(const std::string& key, const Subscription* subscription);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::weak_ptr<Subscription>>> by_recipient_;
  std::size_t open_ = 0;
};

class NotificationHub::Subscription final : public http::EventSource {
 public:
  Subscription(NotificationHub& hub, std::string key);
  ~Subscription() override;

  // Queues the event `text` for notification `seq`. Before attach(), events are kept in
  // sequence order without duplicates; after it, they are sent at once.
  void deliver(std::int64_t seq, std::string text);

  // Ends the stream right after the replay is written, so that the client reconnects
  // with the last id it received: used when the replay was cut at kMaxStreamReplay, as a
  // live event sent after it would make the client skip what the cut left out.
  void endAfterReplay();

  void attach(std::shared_ptr<http::EventSink> sink) override;
  void detach() override;

 private:
  NotificationHub& hub_;
  const std::string key_;
  std::mutex mutex_;
  std::map<std::int64_t, std::string> pending_;
  std::shared_ptr<http::EventSink> sink_;
  std::set<std::int64_t> replayed_;  // sequences sent when attached (at most the replay)
  bool detached_ = false;
  bool end_after_replay_ = false;
};

}  // namespace autoql::api
