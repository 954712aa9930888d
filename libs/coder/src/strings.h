// Small string helpers (Debian's Abseil has its own string_view, distinct from std::string_view).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dyad::coder::internal {

inline void Append(std::string& out, std::string_view s) { out.append(s); }
inline void Append(std::string& out, const char* s) { out.append(s); }
inline void Append(std::string& out, const std::string& s) { out.append(s); }
inline void Append(std::string& out, char c) { out.push_back(c); }
template <typename T>
requires std::is_arithmetic_v<T>
void Append(std::string& out, T v) { out.append(std::to_string(v)); }

// Concatenates strings, string views and numbers.
template <typename... A>
std::string Cat(const A&... parts) {
  std::string out;
  (Append(out, parts), ...);
  return out;
}

inline std::string_view Strip(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on `sep`, keeping empty pieces.
inline std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace dyad::coder::internal
