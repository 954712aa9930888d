// Normalisation of UTF-8 text for matching, with a map back to the original byte offsets.
//
// Thread-safety: pure functions, no state. Errors: none; invalid UTF-8 bytes are kept as they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::text {

// `text` with typographic characters replaced by ASCII ones: curly single quotes, primes and
// acute/grave accents used as apostrophes → '\'', curly double quotes and guillemets → '"',
// en/em dashes and minus signs → '-', no-break and other Unicode spaces → ' ', ellipsis → "...".
// `offsets[i]` is the byte offset in the original of normalised byte i; offsets.size() ==
// text.size() + 1 and offsets.back() == original.size(), so a normalised span [b, e) maps to the
// original span [offsets[b], offsets[e]).
struct NormalizedText {
  std::string text;
  std::vector<uint32_t> offsets;

  std::size_t Original(std::size_t normalized_offset) const {
    return offsets[normalized_offset < offsets.size() ? normalized_offset : offsets.size() - 1];
  }
};

NormalizedText Normalize(std::string_view original);

// ASCII lower-casing (other bytes unchanged).
std::string ToLower(std::string_view text);

}  // namespace dyad::text
