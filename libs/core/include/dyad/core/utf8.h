// UTF-8 validation. Thread-safe, no state.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace dyad::core {

// Byte offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or nullopt when `text` is valid.
std::optional<std::size_t> FindInvalidUtf8(std::string_view text);

}  // namespace dyad::core
