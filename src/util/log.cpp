#include "util/log.h"

#include <spdlog/spdlog.h>

namespace autoql {

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

}  // namespace autoql
