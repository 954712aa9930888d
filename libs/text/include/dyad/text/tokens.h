// Tokenisation with byte offsets, and a small verb lemmatiser.
//
// Thread-safety: pure functions, no state. Errors: none; at most `max_tokens` tokens are returned,
// so time and memory stay bounded on any input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::text {

enum class TokenKind {
  kWord,         // letters (and digits, inner '.', '-', '&'): "Pakistan", "U.S.", "high-level"
  kNumber,       // starts with a digit: "5.44", "2023-2024", "10"
  kPossessive,   // "'s" or a bare "'" after a plural ("countries'")
  kNegation,     // "n't" split off "didn't"
  kPunctuation,  // any other single character
};

struct Token {
  std::string text;       // as written (normalised text)
  std::string lower;      // ASCII lower case
  std::size_t begin = 0;  // byte offsets in the text that was tokenised (plus `base`)
  std::size_t end = 0;
  TokenKind kind = TokenKind::kWord;

  bool IsWord() const { return kind == TokenKind::kWord; }
  bool IsPunct(char c) const {
    return kind == TokenKind::kPunctuation && text.size() == 1 && text[0] == c;
  }
  // First byte is an ASCII upper-case letter.
  bool Capitalized() const { return !text.empty() && text[0] >= 'A' && text[0] <= 'Z'; }
};

// Splits `text` into tokens; offsets are `base` + the byte offset in `text`. Words keep inner
// '.', '-', '\'' only where they join letters ("U.S.", "al-Qaeda", "O'Brien"); "Pakistan's" →
// "Pakistan" "'s"; "didn't" → "did" "n't"; "can't" → "ca" "n't"; bytes >= 0x80 count as letters.
std::vector<Token> Tokenize(std::string_view text, std::size_t base = 0,
                            std::size_t max_tokens = 400);

// Candidate lemmas of an inflected verb form (lower case), most likely first, the word itself
// included: "slapped" → {"slap", "slapp", "slappe", "slapped"}; "finalizing" → {"finalize",
// "finaliz", "finalizing"}; "took" → {"take", "took"}. Use with a lexicon: the first candidate
// the lexicon knows is the lemma.
std::vector<std::string> VerbLemmaCandidates(std::string_view lower_word);

// Best single guess without a lexicon (the first candidate).
std::string VerbLemma(std::string_view lower_word);

// Whether `lower_word` looks inflected as a past tense/participle ("-ed" or irregular).
bool LooksPastParticiple(std::string_view lower_word);

}  // namespace dyad::text
