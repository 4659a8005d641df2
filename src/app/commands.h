// The subcommands of DESIGN 2. Each returns the process exit status: 0 on success,
// 1 when it could not do its job (the reason is logged), 2 for a bad option value.
#pragma once

#include "app/cli.h"

namespace autoql::app {

int runServe(const Config& config);
int runMigrate(const Config& config);
int runWebhookSign(const Invocation& invocation);
int runWebhookSend(const Invocation& invocation);
int runTopicsImport(const Invocation& invocation);
int runToken(const Invocation& invocation);
int runVersion();

}  // namespace autoql::app
