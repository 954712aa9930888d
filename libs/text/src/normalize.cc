#include "dyad/text/normalize.h"

namespace dyad::text {
namespace {

// Replacement for the code point encoded at `s` (length `len`), or nullptr to keep it.
const char* Replacement(uint32_t cp) {
  switch (cp) {
    case 0x2018:  // ‘
    case 0x2019:  // ’
    case 0x201A:  // ‚
    case 0x201B:  // ‛
    case 0x2032:  // ′
    case 0x00B4:  // ´
    case 0x02BC:  // ʼ
      return "'";
    case 0x201C:  // “
    case 0x201D:  // ”
    case 0x201E:  // „
    case 0x201F:  // ‟
    case 0x00AB:  // «
    case 0x00BB:  // »
    case 0x2033:  // ″
      return "\"";
    case 0x2010:  // hyphen
    case 0x2011:  // non-breaking hyphen
    case 0x2012:  // figure dash
    case 0x2013:  // –
    case 0x2014:  // —
    case 0x2015:  // horizontal bar
    case 0x2212:  // minus
      return "-";
    case 0x00A0:  // no-break space
    case 0x2002:
    case 0x2003:
    case 0x2009:
    case 0x200A:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return " ";
    case 0x2026:  // …
      return "...";
    default:
      return nullptr;
  }
}

}  // namespace

NormalizedText Normalize(std::string_view original) {
  NormalizedText out;
  out.text.reserve(original.size());
  out.offsets.reserve(original.size() + 1);
  std::size_t i = 0;
  while (i < original.size()) {
    const auto c = static_cast<unsigned char>(original[i]);
    std::size_t len = 1;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF && i + 1 < original.size()) {
      len = 2;
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(original[i + 1]) & 0x3Fu);
    } else if (c >= 0xE0 && c <= 0xEF && i + 2 < original.size()) {
      len = 3;
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(original[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(original[i + 2]) & 0x3Fu);
    }
    const char* rep = len > 1 ? Replacement(cp) : nullptr;
    if (rep != nullptr) {
      for (const char* p = rep; *p != '\0'; ++p) {
        out.text.push_back(*p);
        out.offsets.push_back(static_cast<uint32_t>(i));
      }
      i += len;
      continue;
    }
    out.text.push_back(original[i]);
    out.offsets.push_back(static_cast<uint32_t>(i));
    ++i;
  }
  out.offsets.push_back(static_cast<uint32_t>(original.size()));
  return out;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

}  // namespace dyad::text
