#include "dyad/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace dyad::core {

absl::Status InitLogging(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  // from_str answers "off" for any unknown name.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError("unknown log level '" + std::string(level) +
                                      "': use trace, debug, info, warn, error or off");
  }
  auto logger = spdlog::get("dyad");
  if (logger == nullptr) {
    logger = spdlog::stderr_color_mt("dyad");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
  }
  spdlog::set_level(parsed);
  return absl::OkStatus();
}

}  // namespace dyad::core
