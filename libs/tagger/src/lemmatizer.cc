#include "dyad/tagger/lemmatizer.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "text_util.h"

namespace dyad::tagger {
namespace {

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
bool IsConsonant(char c) { return c >= 'a' && c <= 'z' && !IsVowel(c); }
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
std::string Drop(std::string_view s, std::size_t n) {
  return std::string(s.substr(0, s.size() - n));
}
char At(std::string_view s, std::size_t from_end) {  // 1 = last byte; 0 if too short
  return s.size() >= from_end ? s[s.size() - from_end] : '\0';
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Ends in a doubled consonant that inflection doubles ("stopp", "slapp"), not one that is part of
// the base form ("kill", "pass", "buzz", "stuff").
bool DoubledConsonant(std::string_view stem) {
  const char a = At(stem, 1);
  return stem.size() >= 3 && a == At(stem, 2) && IsConsonant(a);
}
bool InflectionDoubled(std::string_view stem) {
  const char a = At(stem, 1);
  return DoubledConsonant(stem) && a != 'l' && a != 's' && a != 'z' && a != 'f';
}

// Ends consonant-vowel-consonant ("hop", "mak", "visit"); final w/x/y never double.
bool EndsCvc(std::string_view stem) {
  const char c3 = At(stem, 1);
  const char v = At(stem, 2);
  const char c1 = At(stem, 3);
  if (!IsConsonant(c3) || c3 == 'w' || c3 == 'x' || c3 == 'y' || !IsVowel(v)) return false;
  return stem.size() == 2 || IsConsonant(c1);
}

int VowelGroups(std::string_view s) {
  int groups = 0;
  bool in = false;
  for (char c : s) {
    const bool v = IsVowel(c) || (c == 'y' && groups > 0);
    if (v && !in) ++groups;
    in = v;
  }
  return groups;
}

// Whether a stem whose -ed/-ing was removed lost a silent e ("mak", "impos", "forc", "requir").
bool NeedsE(std::string_view s) {
  if (s.empty()) return false;
  // eyed, used, owed, dyed (but going, doing, being)
  if (s.size() <= 2) return !IsVowel(s.back());
  const char a = At(s, 1);
  const char b = At(s, 2);
  const char c = At(s, 3);
  if (a == 'v' || a == 'u' || a == 'c') return true;
  if (EndsWith(s, "dg") || EndsWith(s, "rg")) return true;
  if (EndsWith(s, "ang") || EndsWith(s, "eng") || EndsWith(s, "ung")) return true;
  if ((a == 's' || a == 'z') && IsVowel(b)) return true;
  if (a == 'l' && IsConsonant(b) && b != 'l' && b != 'r' && b != 'w') return true;
  if ((EndsWith(s, "at") || EndsWith(s, "ut") || EndsWith(s, "ir") || EndsWith(s, "ur") ||
       EndsWith(s, "ar") || EndsWith(s, "in")) &&
      IsConsonant(c)) {
    return true;
  }
  if (a == 'k' && IsVowel(b) && IsConsonant(c)) return true;
  return EndsCvc(s) && VowelGroups(s) == 1;
}

}  // namespace

absl::StatusOr<Lemmatizer> Lemmatizer::FromText(std::string_view text, std::string_view name) {
  Lemmatizer out;
  std::size_t line_no = 0;
  for (std::string_view line : internal::Split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> cols = internal::Split(line, '\t');
    auto bad = [&](std::string_view what) {
      return absl::InvalidArgumentError(internal::Cat(name, ":", line_no, ": ", what,
                                                      "; expected 'irregular<TAB>XPOS<TAB>form<TAB>"
                                                      "lemma' or 'base<TAB>V|N<TAB>lemma'"));
    };
    if (cols[0] == "irregular") {
      if (cols.size() != 4 || cols[2].empty() || cols[3].empty()) return bad("malformed line");
      const auto xpos = ParseXpos(cols[1]);
      if (!xpos || (!IsVerbXpos(*xpos) && *xpos != Xpos::kNNS))
        return bad("tag must be VB* or NNS");
      out.irregular_[internal::Cat(cols[1], "\t", cols[2])] = std::string(cols[3]);
    } else if (cols[0] == "base") {
      if (cols.size() != 3 || cols[2].empty()) return bad("malformed line");
      if (cols[1] == "V") {
        out.verb_bases_.insert(std::string(cols[2]));
      } else if (cols[1] == "N") {
        out.noun_bases_.insert(std::string(cols[2]));
      } else {
        return bad("group must be V or N");
      }
    } else {
      return bad(internal::Cat("unknown line kind '", cols[0], "'"));
    }
  }
  return out;
}

absl::StatusOr<Lemmatizer> Lemmatizer::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(internal::Cat(
        "cannot open lemma table ", path,
        "; the shipped one is data/models/lemmas-en-ewt.tsv (see data/models/README.md)"));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return FromText(buf.str(), path);
}

std::string Lemmatizer::RuleLemma(std::string_view w, Xpos xpos) const {
  // Candidates most likely first; the first known base form wins, else `fallback`.
  std::vector<std::string> cands;
  std::string fallback(w);
  const bool noun = xpos == Xpos::kNNS;
  const auto& bases = noun ? noun_bases_ : verb_bases_;
  switch (xpos) {
    case Xpos::kVBZ:
    case Xpos::kNNS:
      if (EndsWith(w, "ies") && w.size() > 4) {
        fallback = Drop(w, 3) + "y";
        cands = {fallback};
      } else if (EndsWith(w, "sses") || EndsWith(w, "zzes")) {
        fallback = Drop(w, 2);
      } else if (EndsWith(w, "xes") || EndsWith(w, "ches") || EndsWith(w, "shes") ||
                 EndsWith(w, "oes")) {
        fallback = Drop(w, 2);
        cands = {Drop(w, 2), Drop(w, 1)};
      } else if (EndsWith(w, "ses") || EndsWith(w, "zes")) {
        fallback = Drop(w, 1);
        cands = {Drop(w, 1), Drop(w, 2)};
        if (noun && EndsWith(w, "ses")) cands.push_back(Drop(w, 2) + "is");  // crises
      } else if (noun && EndsWith(w, "ves") && w.size() > 4) {
        fallback = Drop(w, 1);
        cands = {Drop(w, 1), Drop(w, 3) + "f", Drop(w, 3) + "fe"};
      } else if (noun && EndsWith(w, "men") && w.size() > 3) {
        fallback = Drop(w, 3) + "man";
      } else if (EndsWith(w, "s") && !EndsWith(w, "ss") && !(noun && EndsWith(w, "us")) &&
                 !(noun && EndsWith(w, "is")) && w.size() > 1) {
        fallback = Drop(w, 1);
      }
      break;
    case Xpos::kVBD:
    case Xpos::kVBN:
    case Xpos::kVBG: {
      std::string stem;
      if (xpos == Xpos::kVBG) {
        if (!EndsWith(w, "ing") || w.size() < 5) break;
        stem = Drop(w, 3);
        if (stem.size() == 2 && stem[1] == 'y') {  // dying, lying, tying
          fallback = std::string(1, stem[0]) + "ie";
          cands = {fallback, stem};
          break;
        }
      } else {
        if (EndsWith(w, "ied")) {
          fallback = w.size() <= 4 ? Drop(w, 1) : Drop(w, 3) + "y";
          cands = {fallback};
          break;
        }
        if (EndsWith(w, "eed")) {
          fallback = Drop(w, 1);
          cands = {fallback, std::string(w)};
          break;
        }
        if (!EndsWith(w, "ed") || w.size() < 4) break;
        stem = Drop(w, 2);
      }
      if (DoubledConsonant(stem)) {
        cands = {Drop(stem, 1), stem};
        fallback = InflectionDoubled(stem) ? Drop(stem, 1) : stem;
      } else {
        const bool prefer_e = EndsCvc(stem) || At(stem, 1) == 'u' || At(stem, 1) == 'v';
        if (prefer_e) {
          cands = {stem + "e", stem};
        } else {
          cands = {stem, stem + "e"};
        }
        fallback = NeedsE(stem) ? stem + "e" : stem;
      }
      break;
    }
    default:
      break;
  }
  for (const auto& c : cands) {
    if (bases.contains(c)) return c;
  }
  return fallback;
}

std::string Lemmatizer::Lemma(std::string_view lower_word, Xpos xpos) const {
  if (!IsVerbXpos(xpos) && xpos != Xpos::kNNS) return std::string(lower_word);
  const std::string w = AsciiLower(lower_word);
  if (w.empty()) return std::string();
  auto find = [&](Xpos tag) -> const std::string* {
    auto it = irregular_.find(internal::Cat(XposName(tag), "\t", w));
    return it == irregular_.end() ? nullptr : &it->second;
  };
  const std::string* hit = find(xpos);
  // VBD and VBN share most irregular forms ("met", "sought"), as do VB and VBP ("are").
  if (hit == nullptr) {
    if (xpos == Xpos::kVBD) hit = find(Xpos::kVBN);
    if (xpos == Xpos::kVBN) hit = find(Xpos::kVBD);
    if (xpos == Xpos::kVB) hit = find(Xpos::kVBP);
    if (xpos == Xpos::kVBP) hit = find(Xpos::kVB);
  }
  if (hit != nullptr) return *hit;
  return RuleLemma(w, xpos);
}

std::string Lemmatizer::Lemma(std::string_view lower_word, std::string_view xpos) const {
  const auto tag = ParseXpos(xpos);
  if (!tag) return std::string(lower_word);
  return Lemma(lower_word, *tag);
}

std::string BuildLemmaTable(const std::vector<ConlluSentence>& sentences,
                            std::string_view header_comment) {
  auto plain = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || c == '-' || c == '\'';
    });
  };
  std::map<std::string, int> verb_bases;
  std::map<std::string, int> noun_bases;
  // (xpos, form) -> lemma -> count
  std::map<std::pair<std::string, std::string>, std::map<std::string, int>> forms;
  for (const auto& s : sentences) {
    for (const auto& w : s.words) {
      const std::string lemma = AsciiLower(w.lemma);
      const std::string form = AsciiLower(w.form);
      const auto xpos = ParseXpos(w.xpos);
      if (!xpos || !plain(lemma) || !plain(form)) continue;
      if (w.upos == "VERB" || w.upos == "AUX") ++verb_bases[lemma];
      if (w.upos == "NOUN") ++noun_bases[lemma];
      const bool verb = IsVerbXpos(*xpos) && (w.upos == "VERB" || w.upos == "AUX");
      const bool noun = *xpos == Xpos::kNNS && w.upos == "NOUN";
      // A misspelt form ("collages" for colleges) would teach the table a wrong lemma.
      const bool typo = w.feats.find("Typo=Yes") != std::string::npos;
      if ((verb || noun) && !typo) ++forms[{w.xpos, form}][lemma];
    }
  }
  Lemmatizer rules;
  for (const auto& [lemma, n] : verb_bases) rules.verb_bases_.insert(lemma);
  for (const auto& [lemma, n] : noun_bases) rules.noun_bases_.insert(lemma);
  std::ostringstream out;
  out << header_comment;
  for (const auto& [key, lemmas] : forms) {
    std::string best;
    int best_n = 0;
    for (const auto& [lemma, n] : lemmas) {
      if (n > best_n) {
        best = lemma;
        best_n = n;
      }
    }
    if (rules.RuleLemma(key.second, *ParseXpos(key.first)) != best) {
      out << "irregular\t" << key.first << "\t" << key.second << "\t" << best << "\n";
    }
  }
  for (const auto& [lemma, n] : verb_bases) out << "base\tV\t" << lemma << "\n";
  for (const auto& [lemma, n] : noun_bases) out << "base\tN\t" << lemma << "\n";
  return out.str();
}

}  // namespace dyad::tagger
