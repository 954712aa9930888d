#include "dyad/core/config.h"

#include <cstdlib>

namespace dyad::core {

absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError("expected key=value, got '" + std::string(text) + "'");
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

std::string EnvOr(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return value;
}

}  // namespace dyad::core
