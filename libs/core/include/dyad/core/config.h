// Small helpers for flags and DYAD_* environment variables.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace dyad::core {

// Splits "key=value" at the first '='. INVALID_ARGUMENT when there is no '=' or the key is empty.
absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(std::string_view text);

// The value of environment variable `name`, or `fallback` when unset or empty.
std::string EnvOr(const char* name, std::string fallback);

}  // namespace dyad::core
