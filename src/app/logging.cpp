#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "util/json_escape.h"
#include "util/log.h"

namespace autoql::app {
namespace {

// %* in the JSON pattern: the message, escaped as the inside of a JSON string, so a log
// line stays one valid JSON object whatever the message holds.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    appendJsonEscaped(fmt::appender(dest),
                      std::string_view(msg.payload.data(), msg.payload.size()));
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v";
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%*"})";
// Access lines in JSON: util/log.cpp's AccessLog writes the members of the entry itself
// (already escaped), so the message goes in unquoted.
constexpr const char* kJsonAccessPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n",%v})";

std::shared_ptr<spdlog::sinks::sink> stderrSink(LogFormat format, const char* json_pattern) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == LogFormat::kJson) {
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(json_pattern);
  } else {
    formatter->set_pattern(kTextPattern);
  }
  // Both sinks write to stderr under spdlog's one console mutex, so lines never interleave.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::move(formatter));
  return sink;
}

std::shared_ptr<spdlog::logger> makeLogger(const std::string& name,
                                           std::shared_ptr<spdlog::sinks::sink> sink,
                                           spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

}  // namespace

bool setupLogging(LogFormat format, const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return false;  // from_str answers "off" for any name it does not know
  }

  setLogLineFormat(format == LogFormat::kJson ? LogLineFormat::kJson : LogLineFormat::kText);
  spdlog::set_default_logger(makeLogger("main", stderrSink(format, kJsonPattern), parsed));

  // The access logger gets a sink of its own for its own JSON pattern; registered here so
  // that componentLogger("access") finds it rather than cloning the default logger.
  spdlog::drop("access");
  spdlog::register_logger(makeLogger("access", stderrSink(format, kJsonAccessPattern), parsed));
  return true;
}

}  // namespace autoql::app
