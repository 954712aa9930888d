#include "dyad/tagger/tags.h"

#include <array>

namespace dyad::tagger {
namespace {

constexpr std::array<std::string_view, kNumUpos> kUposNames = {
    "ADJ",  "ADP",  "ADV",   "AUX",   "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"};

constexpr std::array<std::string_view, kNumXpos> kXposNames = {
    "CC",  "CD",   "DT",    "EX",    "FW",  "IN",   "JJ",   "JJR", "JJS", "LS",  "MD",  "NN", "NNS",
    "NNP", "NNPS", "PDT",   "POS",   "PRP", "PRP$", "RB",   "RBR", "RBS", "RP",  "SYM", "TO", "UH",
    "VB",  "VBD",  "VBG",   "VBN",   "VBP", "VBZ",  "WDT",  "WP",  "WP$", "WRB", "``",  "''", ",",
    ".",   ":",    "-LRB-", "-RRB-", "$",   "#",    "HYPH", "NFP", "ADD", "AFX", "GW",  "XX"};

}  // namespace

std::string_view UposName(Upos tag) {
  const auto i = static_cast<std::size_t>(tag);
  return i < kUposNames.size() ? kUposNames[i] : std::string_view("X");
}

std::string_view XposName(Xpos tag) {
  const auto i = static_cast<std::size_t>(tag);
  return i < kXposNames.size() ? kXposNames[i] : std::string_view("XX");
}

std::optional<Upos> ParseUpos(std::string_view name) {
  for (std::size_t i = 0; i < kUposNames.size(); ++i) {
    if (kUposNames[i] == name) return static_cast<Upos>(i);
  }
  return std::nullopt;
}

std::optional<Xpos> ParseXpos(std::string_view name) {
  for (std::size_t i = 0; i < kXposNames.size(); ++i) {
    if (kXposNames[i] == name) return static_cast<Xpos>(i);
  }
  return std::nullopt;
}

bool IsVerbXpos(Xpos tag) { return tag >= Xpos::kVB && tag <= Xpos::kVBZ; }

}  // namespace dyad::tagger
