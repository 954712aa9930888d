// Sentence splitting and datelines, on normalised text (see normalize.h).
//
// Thread-safety: pure functions, no state. Errors: none. Time and memory are linear in the input;
// a "sentence" never exceeds SplitOptions::max_sentence_bytes (longer runs are cut at a space, or
// at a UTF-8 boundary when there is none), so any input is split in bounded time.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace dyad::text {

// A byte span [begin, end) of the text that was split, trimmed of surrounding white space.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  friend bool operator==(const Span&, const Span&) = default;
};

// A dateline the text opens with: "ISLAMABAD: ...", "WASHINGTON (Reuters) - ...",
// "NEW DELHI, Sept 14 (AP) -- ...".
struct Dateline {
  Span place;                  // "ISLAMABAD"
  std::size_t body_begin = 0;  // first byte after the separator and its spaces
};

// The dateline at the start of `text`: 1 to 4 upper-case words (letters, '.', '\'', '-'),
// 2..40 bytes, optionally followed by ", <words>" and/or "(<Agency>)", then ':' or '-' / "--"
// and a space. nullopt when the text does not open with one.
std::optional<Dateline> FindDateline(std::string_view text);

struct SplitOptions {
  // Sentences longer than this are cut (at the last space before the limit when there is one).
  std::size_t max_sentence_bytes = 2000;
  // A newline always ends a sentence (paragraph break).
  bool newline_is_boundary = true;
};

// Splits `text` into sentences. A sentence ends at '.', '!' or '?' (plus closing quotes or
// brackets) followed by white space and an upper-case letter, digit or opening quote, except
// after an abbreviation ("Mr.", "Gen.", "Jan.", "U.S." before a lower-case or capitalised
// non-function word), an initial ("J. Smith") or a number ("No. 5"). Also at paragraph breaks.
std::vector<Span> SplitSentences(std::string_view text, const SplitOptions& options = {});

}  // namespace dyad::text
