// Long-lived responses that carry Server-Sent Events (text/event-stream). A handler
// returns a Response whose `events` is an EventSource; the server writes the header,
// then attaches a sink the source pushes events into, writes them as they come (in
// order, with a comment heartbeat when idle), and detaches the source when the client
// goes away, falls too far behind, or the server stops.
#pragma once

#include <memory>
#include <string>

namespace autoql::http {

// Implemented by the server for one open stream.
class EventSink {
 public:
  virtual ~EventSink() = default;

  // Queues `text` (whole SSE records, each ending in a blank line) for writing. Safe
  // from any thread; never blocks. Returns false once the stream has ended.
  virtual bool send(std::string text) = 0;

  // Ends the stream once everything queued so far is written. Safe from any thread.
  virtual void finish() = 0;
};

// Implemented by the handler's side: where a stream's events come from.
class EventSource {
 public:
  virtual ~EventSource() = default;

  // Called once, after the response header is written. The sink may be used from then on.
  virtual void attach(std::shared_ptr<EventSink> sink) = 0;

  // Called once when the stream ends, whether or not attach() was called first.
  virtual void detach() = 0;
};

}  // namespace autoql::http
