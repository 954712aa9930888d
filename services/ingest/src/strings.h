// String helpers that take std::string_view. Debian's abseil has its own absl::string_view, so
// absl::StrCat and friends do not accept std::string_view.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dyad::ingest {

template <typename T>
void AppendPiece(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, char>) {
    out.push_back(value);
  } else if constexpr (std::is_arithmetic_v<T>) {
    out += std::to_string(value);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out += std::string_view(value);
  } else {  // absl::string_view and other (data, size) views
    out.append(value.data(), value.size());
  }
}

// Concatenates strings, views and numbers.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

// Splits at every `sep`, keeping empty pieces.
inline std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

template <typename Range>
std::string Join(const Range& pieces, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& piece : pieces) {
    if (!first) out += sep;
    first = false;
    out += std::string_view(piece);
  }
  return out;
}

}  // namespace dyad::ingest
