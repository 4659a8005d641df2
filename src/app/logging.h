// Process-wide logging set-up: one stderr sink, UTC timestamps, text or one JSON object
// per line. Call once from main before any component logger is made (util/log.h).
#pragma once

#include <string>

#include "app/config.h"

namespace autoql::app {

// Returns false when `level` is not one of trace, debug, info, warn, error, off.
bool setupLogging(LogFormat format, const std::string& level);

}  // namespace autoql::app
