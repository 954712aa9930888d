#include "dyad/text/sentences.h"

#include <algorithm>
#include <array>
#include <string>

namespace dyad::text {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return IsUpper(c) || IsLower(c); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Abbreviations that are followed by a name or a number rather than ending a sentence.
bool IsAbbreviation(std::string_view lower) {
  static constexpr std::array<std::string_view, 52> kAbbrev = {
      "mr",  "mrs",    "ms",  "dr",  "gen",  "col", "lt",    "sgt",  "capt", "cmdr", "adm",
      "gov", "sen",    "rep", "rev", "prof", "st",  "jr",    "sr",   "maj",  "brig", "pres",
      "amb", "hon",    "jan", "feb", "mar",  "apr", "jun",   "jul",  "aug",  "sep",  "sept",
      "oct", "nov",    "dec", "no",  "nos",  "vs",  "inc",   "corp", "ltd",  "co",   "dept",
      "fig", "approx", "mt",  "ft",  "cpl",  "pvt", "gov't", "supt"};
  return std::find(kAbbrev.begin(), kAbbrev.end(), lower) != kAbbrev.end();
}

// Words that, capitalised after a dotted acronym ("... to the U.S. The talks"), start a sentence.
bool IsSentenceStarter(std::string_view lower) {
  static constexpr std::array<std::string_view, 28> kStarters = {
      "the",   "a",     "an",   "he",    "she",       "it",      "they",  "we",  "i",   "but",
      "and",   "in",    "on",   "this",  "that",      "these",   "those", "his", "her", "its",
      "their", "there", "when", "while", "meanwhile", "however", "if",    "yet"};
  return std::find(kStarters.begin(), kStarters.end(), lower) != kStarters.end();
}

bool IsClosing(char c) { return c == '"' || c == '\'' || c == ')' || c == ']'; }

// Whether the terminator at `dot` (with the sentence continuing at `next`) ends a sentence.
bool EndsSentence(std::string_view text, std::size_t dot, std::size_t next) {
  if (next >= text.size()) return true;
  const char n = text[next];
  if (!(IsUpper(n) || IsDigit(n) || n == '"' || n == '\'' || n == '(' || n == '[' ||
        static_cast<unsigned char>(n) >= 0x80)) {
    return false;
  }
  if (text[dot] != '.') return true;
  // The word before the full stop.
  std::size_t b = dot;
  while (
      b > 0 && dot - b < 24 &&
      (IsAlpha(text[b - 1]) || text[b - 1] == '.' || text[b - 1] == '\'' || IsDigit(text[b - 1]))) {
    --b;
  }
  const std::string_view word = text.substr(b, dot - b);
  if (word.empty()) return true;
  if (word.size() == 1 && IsUpper(word[0])) return false;  // an initial: "J. Smith"
  const std::string lower = Lower(word);
  if (IsAbbreviation(lower)) {
    // "No." and month abbreviations before a number, titles before a name.
    return false;
  }
  if (word.find('.') != std::string_view::npos) {
    // A dotted acronym ("U.S", "U.N"): ends the sentence only before a typical sentence opener.
    std::size_t e = next;
    while (e < text.size() && IsAlpha(text[e])) ++e;
    return IsSentenceStarter(Lower(text.substr(next, e - next)));
  }
  return true;
}

void Emit(std::string_view text, std::size_t begin, std::size_t end, std::vector<Span>& out) {
  while (begin < end && IsSpace(text[begin])) ++begin;
  while (end > begin && IsSpace(text[end - 1])) --end;
  if (begin < end) out.push_back(Span{begin, end});
}

// Moves `pos` back to the start of a UTF-8 sequence.
std::size_t Utf8Boundary(std::string_view text, std::size_t pos) {
  while (pos > 0 && pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) {
    --pos;
  }
  return pos;
}

}  // namespace

std::optional<Dateline> FindDateline(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  const std::size_t place_begin = i;
  int words = 0;
  std::size_t place_end = i;
  while (i < text.size() && words < 4) {
    std::size_t w = i;
    int upper = 0;
    while (w < text.size() &&
           (IsUpper(text[w]) || text[w] == '.' || text[w] == '\'' || text[w] == '-')) {
      if (IsUpper(text[w])) ++upper;
      ++w;
    }
    if (upper == 0 || w == i) break;
    // A word must end at a space, ',', ':' or '('.
    if (w < text.size() &&
        !(text[w] == ' ' || text[w] == ',' || text[w] == ':' || text[w] == '(')) {
      break;
    }
    ++words;
    place_end = w;
    i = w;
    if (i < text.size() && text[i] == ' ' && i + 1 < text.size() && IsUpper(text[i + 1])) {
      // Another upper-case word may follow; check it is all upper case before taking it.
      std::size_t k = i + 1;
      while (k < text.size() &&
             (IsUpper(text[k]) || text[k] == '.' || text[k] == '\'' || text[k] == '-')) {
        ++k;
      }
      if (k < text.size() && IsLower(text[k])) break;
      ++i;
      continue;
    }
    break;
  }
  // Trim trailing '-' or '.' from the place (not part of a name).
  while (place_end > place_begin && text[place_end - 1] == '-') --place_end;
  if (words == 0 || place_end - place_begin < 2 || place_end - place_begin > 40) {
    return std::nullopt;
  }
  i = place_end;
  // Optional ", Sept 14" (no sentence punctuation, short) and "(Agency)".
  if (i < text.size() && text[i] == ',') {
    std::size_t k = i + 1;
    while (k < text.size() && k - i < 40 && text[k] != ':' && text[k] != '(' && text[k] != '-' &&
           text[k] != '.' && text[k] != '\n') {
      ++k;
    }
    if (k - i >= 40 || k >= text.size() || text[k] == '.' || text[k] == '\n') return std::nullopt;
    i = k;
  }
  while (i < text.size() && text[i] == ' ') ++i;
  if (i < text.size() && text[i] == '(') {
    std::size_t k = i + 1;
    while (k < text.size() && k - i < 40 && text[k] != ')' && text[k] != '\n') ++k;
    if (k >= text.size() || text[k] != ')') return std::nullopt;
    i = k + 1;
    while (i < text.size() && text[i] == ' ') ++i;
  }
  if (i >= text.size()) return std::nullopt;
  if (text[i] == ':') {
    ++i;
  } else if (text[i] == '-') {
    while (i < text.size() && text[i] == '-') ++i;
  } else {
    return std::nullopt;
  }
  if (i >= text.size() || text[i] != ' ') return std::nullopt;
  while (i < text.size() && text[i] == ' ') ++i;
  return Dateline{Span{place_begin, place_end}, i};
}

std::vector<Span> SplitSentences(std::string_view text, const SplitOptions& options) {
  std::vector<Span> out;
  const std::size_t max_bytes = std::max<std::size_t>(options.max_sentence_bytes, 16);
  std::size_t start = 0;
  std::size_t last_space = std::string_view::npos;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (i - start >= max_bytes) {
      std::size_t cut = (last_space != std::string_view::npos && last_space > start)
                            ? last_space
                            : Utf8Boundary(text, i);
      if (cut <= start) cut = i;
      Emit(text, start, cut, out);
      start = cut;
      last_space = std::string_view::npos;
      i = cut;
      if (i < text.size() && IsSpace(text[i])) ++i;
      continue;
    }
    if (c == '\n' && options.newline_is_boundary) {
      Emit(text, start, i, out);
      start = i + 1;
      last_space = std::string_view::npos;
      ++i;
      continue;
    }
    if (IsSpace(c)) last_space = i;
    if (c == '.' || c == '!' || c == '?') {
      std::size_t j = i + 1;
      while (j < text.size() && (text[j] == '.' || text[j] == '!' || text[j] == '?')) ++j;
      while (j < text.size() && IsClosing(text[j])) ++j;
      if (j >= text.size() || IsSpace(text[j])) {
        std::size_t next = j;
        while (next < text.size() && (text[next] == ' ' || text[next] == '\t')) ++next;
        if (next >= text.size() || text[next] == '\n' || EndsSentence(text, i, next)) {
          Emit(text, start, j, out);
          start = j;
          last_space = std::string_view::npos;
          i = j;
          continue;
        }
      }
      i = j;
      continue;
    }
    ++i;
  }
  Emit(text, start, text.size(), out);
  return out;
}

}  // namespace dyad::text
