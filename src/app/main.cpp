// Entry point: parse the command line, set up logging, run the chosen subcommand.
#include <malloc.h>

#include <csignal>
#include <cstdlib>
#include <exception>

#include "app/cli.h"
#include "app/commands.h"
#include "app/logging.h"

namespace {

// Blocks of this size or more are mapped on their own and unmapped when freed.
constexpr int kMmapThreshold = 1024 * 1024;

// glibc starts by mapping large blocks (bodies, parsed documents, answers of megabytes) on
// their own, but once one is freed it raises that threshold to the block's size, and from
// then on such blocks come from the arenas of the threads that made them, which do not
// give memory back: an idle server that had parsed large bodies on its 16 workers held
// hundreds of MiB it did not use. A fixed threshold keeps the first behaviour, unless the
// operator has set one of their own with MALLOC_MMAP_THRESHOLD_.
void keepLargeBlocksMapped() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) {
    mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using autoql::app::Command;

  keepLargeBlocksMapped();

  auto parsed = autoql::app::parseCommandLine(argc, argv);
  if (!parsed.invocation) {
    return parsed.exit_code;
  }
  const auto& invocation = *parsed.invocation;
  if (!autoql::app::setupLogging(invocation.config.log_format, invocation.config.log_level)) {
    std::fprintf(stderr,
                 "autoql-backend: --log-level: '%s' is not one of trace, debug, info, "
                 "warn, error, off\n",
                 invocation.config.log_level.c_str());
    return 2;
  }
  // A client that disconnects must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  // Nor may a database file that reaches the file size limit (RLIMIT_FSIZE): the write then
  // fails with EFBIG, the store reports it, and the request answers 503.
  std::signal(SIGXFSZ, SIG_IGN);

  try {
    switch (invocation.command) {
      case Command::kServe:
        return autoql::app::runServe(invocation.config);
      case Command::kMigrate:
        return autoql::app::runMigrate(invocation.config);
      case Command::kWebhookSign:
        return autoql::app::runWebhookSign(invocation);
      case Command::kWebhookSend:
        return autoql::app::runWebhookSend(invocation);
      case Command::kTopicsImport:
        return autoql::app::runTopicsImport(invocation);
      case Command::kToken:
        return autoql::app::runToken(invocation);
      case Command::kVersion:
        return autoql::app::runVersion();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "autoql-backend: fatal: %s\n", e.what());
  }
  return 1;
}
