// Named component loggers ("server", "webhook", "store", ...) and the access log. Each
// logger is a copy of the default logger that app/logging.cpp sets up (sinks, format,
// level), under its own name; the access log has its own sink, set up there too.
// Everything here is safe to call from any thread; make a logger once per component and
// keep it.
#pragma once

#include <spdlog/logger.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace autoql {

std::shared_ptr<spdlog::logger> componentLogger(const std::string& name);

// How log lines are written. app/logging.cpp sets it once, before any component logger
// or AccessLog is made; the default is text.
enum class LogLineFormat { kText, kJson };
void setLogLineFormat(LogLineFormat format);
LogLineFormat logLineFormat();

// One answered request, as the access log records it. The views must stay valid for the
// call to AccessLog::write only.
struct AccessEntry {
  std::string_view method;
  std::string_view route;  // the route template, or the (printable) raw target if unrouted
  unsigned status = 0;
  std::size_t bytes = 0;  // bytes written: header and body, or the header of a stream
  double duration_ms = 0;
  std::string_view request_id;
  bool stream_opened = false;  // the response is an event stream that stays open
};

// The "access" logger: one info line per answered request, so --log-level warn or above
// drops them. Text lines read "GET /dashboards/{id} 200 512B 1.25ms id=..."; JSON lines
// carry each field as its own member ("method", "route", "status", "bytes",
// "duration_ms", "request_id", and "stream_opened" on streams), strings escaped. A
// disabled level costs one comparison; an enabled one formats straight into the line.
class AccessLog {
 public:
  AccessLog();

  void write(const AccessEntry& entry) const;

 private:
  std::shared_ptr<spdlog::logger> logger_;
  LogLineFormat format_;
};

}  // namespace autoql
