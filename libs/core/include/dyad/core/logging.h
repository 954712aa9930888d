// Process-wide logging set-up (spdlog). Call from main() before starting threads.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace dyad::core {

// Sets the default logger to stderr (once) and its level to `level`; may be called again to
// change the level. Levels: ("trace", "debug", "info", "warn", "error",
// "off"). INVALID_ARGUMENT for an unknown level.
absl::Status InitLogging(std::string_view level);

}  // namespace dyad::core
