// Internal string helpers over std::string_view (Debian's abseil has its own absl::string_view,
// which absl::StrCat / StrSplit require).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dyad::tagger::internal {

template <typename T>
void AppendPiece(std::string* out, const T& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    *out += std::to_string(v);
  } else {
    *out += std::string_view(v);
  }
}

template <typename... T>
std::string Cat(const T&... pieces) {
  std::string out;
  (AppendPiece(&out, pieces), ...);
  return out;
}

inline std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace dyad::tagger::internal
