// Part-of-speech tag sets: Universal Dependencies UPOS and Penn Treebank XPOS (as used by the
// UD English Web Treebank), as compact enums with their names.
//
// Thread-safety: pure functions over constant tables. Errors: Parse* return std::nullopt for an
// unknown name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dyad::tagger {

// Universal POS tags (universaldependencies.org/u/pos), in the order of the UD documentation.
enum class Upos : std::uint8_t {
  kAdj,
  kAdp,
  kAdv,
  kAux,
  kCconj,
  kDet,
  kIntj,
  kNoun,
  kNum,
  kPart,
  kPron,
  kPropn,
  kPunct,
  kSconj,
  kSym,
  kVerb,
  kX,
};
inline constexpr int kNumUpos = 17;

// Penn Treebank tags plus the English Web Treebank additions (ADD, AFX, GW, HYPH, NFP, XX).
enum class Xpos : std::uint8_t {
  kCC,          // coordinating conjunction
  kCD,          // cardinal number
  kDT,          // determiner
  kEX,          // existential there
  kFW,          // foreign word
  kIN,          // preposition / subordinating conjunction
  kJJ,          // adjective
  kJJR,         // adjective, comparative
  kJJS,         // adjective, superlative
  kLS,          // list item marker
  kMD,          // modal
  kNN,          // noun, singular or mass
  kNNS,         // noun, plural
  kNNP,         // proper noun, singular
  kNNPS,        // proper noun, plural
  kPDT,         // predeterminer
  kPOS,         // possessive ending
  kPRP,         // personal pronoun
  kPRPS,        // PRP$, possessive pronoun
  kRB,          // adverb
  kRBR,         // adverb, comparative
  kRBS,         // adverb, superlative
  kRP,          // particle
  kSYM,         // symbol
  kTO,          // to
  kUH,          // interjection
  kVB,          // verb, base form
  kVBD,         // verb, past tense
  kVBG,         // verb, gerund / present participle
  kVBN,         // verb, past participle
  kVBP,         // verb, non-3rd person singular present
  kVBZ,         // verb, 3rd person singular present
  kWDT,         // wh-determiner
  kWP,          // wh-pronoun
  kWPS,         // WP$, possessive wh-pronoun
  kWRB,         // wh-adverb
  kOpenQuote,   // ``
  kCloseQuote,  // ''
  kComma,       // ,
  kPeriod,      // . (sentence-final punctuation)
  kColon,       // : ; ... -
  kLrb,         // -LRB-
  kRrb,         // -RRB-
  kDollar,      // $
  kHash,        // #
  kHYPH,        // hyphen inside a compound
  kNFP,         // superfluous punctuation
  kADD,         // e-mail address, URL
  kAFX,         // affix
  kGW,          // "goes with" (word split by a typo)
  kXX,          // unknown
};
inline constexpr int kNumXpos = 51;

std::string_view UposName(Upos tag);
std::string_view XposName(Xpos tag);
std::optional<Upos> ParseUpos(std::string_view name);
std::optional<Xpos> ParseXpos(std::string_view name);

// VB, VBD, VBG, VBN, VBP or VBZ.
bool IsVerbXpos(Xpos tag);

// A predicted tag: both tag sets, and `id`, the model's class index (dense, < num_tags()).
struct PosTag {
  Upos upos = Upos::kX;
  Xpos xpos = Xpos::kXX;
  std::uint8_t id = 0;

  friend bool operator==(const PosTag&, const PosTag&) = default;
};

}  // namespace dyad::tagger
