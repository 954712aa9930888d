// Reader for PETRARCH2-format dictionaries (private to libs/coder). The syntax is documented in
// /work/shared/reference/petrarch2/README.md; what this reader makes of it is documented on
// PetrarchDictionaries in dyad/coder/dictionary.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "dyad/coder/dictionary.h"
#include "dyad/text/tokens.h"

namespace dyad::coder::internal {

// Trie key of a "blank" between two words of an actor or agent phrase: up to two words may
// intervene there in the text.
inline constexpr std::string_view kPetrarchGapKey = "\x01";

// Whether `dir` holds PETRARCH2 dictionaries: no countries.txt, but a verbs file (CAMEO*.txt or
// *verbs*.txt) or an *actors*.txt (the loader then names whichever is missing).
bool LooksLikePetrarchDir(const std::string& dir);

// Reads the verbs, actors, agents and discards files of `dir` into d.petrarch (and d.actors, the
// phrase trie). Errors: NOT_FOUND when a required file is missing, INVALID_ARGUMENT
// "<file>:<line>: <what>" for a malformed line.
absl::Status LoadPetrarchDictionaries(const std::string& dir, Dictionaries& d);

// Tokenises text the way PETRARCH phrases are keyed: text::Tokenize, then words with inner
// hyphens split into word, "-", word ("al-Qaeda" → "al" "-" "qaeda") so that the split does not
// depend on letter case.
std::vector<text::Token> PetrarchTokens(std::string_view text, std::size_t base = 0,
                                        std::size_t max_tokens = 400);

// Parses "YYMMDD" or "YYYYMMDD" (two-digit years: 30..99 → 19YY, 00..29 → 20YY) to days since
// 1970-01-01.
std::optional<int64_t> ParsePetrarchDate(std::string_view text);

// Regular forms of a verb (lower case): -s, -ed, -ing with the usual spelling changes.
std::vector<std::string> RegularVerbForms(std::string_view verb);

// Regular plural of a noun (lower case).
std::string PetrarchPlural(std::string_view noun);

}  // namespace dyad::coder::internal
