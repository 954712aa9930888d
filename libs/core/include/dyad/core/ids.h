// Stable identifiers from content. Thread-safe, no state.
#pragma once

#include <string>
#include <string_view>

namespace dyad::core {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// A short stable id: `prefix` followed by the first 32 hex characters (128 bits) of SHA-256 of
// `content`. Used for article ids ("u-…", "c-…") and event ids ("e-…").
std::string StableId(std::string_view prefix, std::string_view content);

}  // namespace dyad::core
