// Named component loggers ("server", "webhook", "store", ...). Each is a copy of the
// default logger that app/logging.cpp sets up (sinks, format, level), under its own name.
// Safe to call from any thread; call it once per component and keep the pointer.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace autoql {

std::shared_ptr<spdlog::logger> componentLogger(const std::string& name);

}  // namespace autoql
