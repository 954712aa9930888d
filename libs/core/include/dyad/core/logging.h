// Process-wide logging set-up (spdlog). Call once from main() before starting threads.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace dyad::core {

// Sets the default logger to stderr with `level` ("trace", "debug", "info", "warn", "error",
// "off"). INVALID_ARGUMENT for an unknown level.
absl::Status InitLogging(std::string_view level);

}  // namespace dyad::core
