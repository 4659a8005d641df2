#include "util/log.h"

#include <spdlog/spdlog.h>

#include <atomic>

#include "util/json_escape.h"

namespace autoql {
namespace {

std::atomic<LogLineFormat> g_line_format{LogLineFormat::kText};

}  // namespace

std::shared_ptr<spdlog::logger> componentLogger(const std::string& name) {
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = spdlog::default_logger()->clone(name);
  // Another thread may have registered the same name meanwhile; keep whichever won.
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(name);
  }
  return logger;
}

void setLogLineFormat(LogLineFormat format) {
  g_line_format.store(format);
}

LogLineFormat logLineFormat() {
  return g_line_format.load();
}

AccessLog::AccessLog() : logger_(componentLogger("access")), format_(logLineFormat()) {}

void AccessLog::write(const AccessEntry& entry) const {
  // The JSON form is the inside of an object: app/logging.cpp's access pattern puts the
  // time, level and logger name around it.
  if (format_ == LogLineFormat::kJson) {
    logger_->info(
        R"("method":{},"route":{},"status":{},"bytes":{},"duration_ms":{:.2f},"request_id":{}{})",
        JsonString{entry.method}, JsonString{entry.route}, entry.status, entry.bytes,
        entry.duration_ms, JsonString{entry.request_id},
        entry.stream_opened ? R"(,"stream_opened":true)" : "");
    return;
  }
  logger_->info("{} {} {} {}B {:.2f}ms id={}{}", entry.method, entry.route, entry.status,
                entry.bytes, entry.duration_ms, entry.request_id,
                entry.stream_opened ? " (stream opened)" : "");
}

}  // namespace autoql
