#include "dyad/text/tokens.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace dyad::text {
namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHigh(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool IsLetter(char c) { return IsUpper(c) || IsLower(c) || IsHigh(c); }
bool IsAlnum(char c) { return IsLetter(c) || IsDigit(c); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// End of a word starting at `i`.
std::size_t ScanWord(std::string_view t, std::size_t i) {
  const std::size_t start = i;
  std::size_t segment_start = i;
  while (i < t.size()) {
    const char c = t[i];
    if (IsAlnum(c)) {
      ++i;
      continue;
    }
    const bool next_letter = i + 1 < t.size() && IsLetter(t[i + 1]);
    if (c == '.' && next_letter && i - segment_start == 1 && IsUpper(t[segment_start])) {
      // Dotted acronym: "U.S", "U.N.".
      segment_start = i + 1;
      ++i;
      continue;
    }
    if (c == '.' && i > start && segment_start > start && i - segment_start == 1 &&
        IsUpper(t[segment_start])) {
      // The final '.' of "U.S." belongs to the word.
      ++i;
      break;
    }
    if (c == '-' && i + 1 < t.size() && IsAlnum(t[i + 1]) && i > start) {
      // "Pakistan-US": two proper nouns joined by a hyphen stay two tokens.
      if (IsUpper(t[segment_start]) && IsUpper(t[i + 1])) break;
      segment_start = i + 1;
      ++i;
      continue;
    }
    if (c == '\'' && next_letter) {
      // "n't" and "'s" / "'re" / "'ll" / "'ve" / "'d" are split off; "O'Brien" is kept.
      if (i > start && (t[i - 1] == 'n' || t[i - 1] == 'N') && i + 1 < t.size() &&
          (t[i + 1] == 't' || t[i + 1] == 'T') && (i + 2 >= t.size() || !IsLetter(t[i + 2]))) {
        return i - 1;
      }
      std::size_t k = i + 1;
      while (k < t.size() && IsLetter(t[k])) ++k;
      const std::string tail = Lower(t.substr(i + 1, k - i - 1));
      if (tail == "s" || tail == "re" || tail == "ll" || tail == "ve" || tail == "d" ||
          tail == "m") {
        break;
      }
      segment_start = i + 1;
      ++i;
      continue;
    }
    break;
  }
  return i;
}

std::size_t ScanNumber(std::string_view t, std::size_t i) {
  while (i < t.size()) {
    const char c = t[i];
    if (IsDigit(c)) {
      ++i;
    } else if ((c == '.' || c == ',' || c == '-' || c == '/' || c == ':') && i + 1 < t.size() &&
               IsDigit(t[i + 1])) {
      i += 2;
    } else if (IsLetter(c)) {
      ++i;  // "10th", "1990s", "5bn"
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

std::vector<Token> Tokenize(std::string_view text, std::size_t base, std::size_t max_tokens) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto add = [&](std::size_t b, std::size_t e, TokenKind kind) {
    Token tok;
    tok.text = std::string(text.substr(b, e - b));
    tok.lower = Lower(tok.text);
    tok.begin = base + b;
    tok.end = base + e;
    tok.kind = kind;
    out.push_back(std::move(tok));
  };
  while (i < text.size() && out.size() < max_tokens) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (IsLetter(c)) {
      // "n't" at the start of a word position (after the split in ScanWord).
      if ((c == 'n' || c == 'N') && i + 2 < text.size() && text[i + 1] == '\'' &&
          (text[i + 2] == 't' || text[i + 2] == 'T') &&
          (i + 3 >= text.size() || !IsLetter(text[i + 3]))) {
        add(i, i + 3, TokenKind::kNegation);
        i += 3;
        continue;
      }
      std::size_t e = ScanWord(text, i);
      if (e <= i) e = i + 1;
      add(i, e, TokenKind::kWord);
      i = e;
      continue;
    }
    if (IsDigit(c)) {
      const std::size_t e = ScanNumber(text, i);
      add(i, e, TokenKind::kNumber);
      i = e;
      continue;
    }
    if (c == '\'' && !out.empty() && out.back().end == base + i) {
      std::size_t k = i + 1;
      while (k < text.size() && IsLetter(text[k])) ++k;
      const std::string tail = Lower(text.substr(i + 1, k - i - 1));
      if (tail == "s") {
        add(i, k, TokenKind::kPossessive);
        i = k;
        continue;
      }
      if (tail.empty() && !out.back().lower.empty() && out.back().lower.back() == 's') {
        add(i, i + 1, TokenKind::kPossessive);  // "countries'"
        ++i;
        continue;
      }
      if (!tail.empty()) {
        add(i, k, TokenKind::kWord);  // "'re", "'ll"
        i = k;
        continue;
      }
    }
    add(i, i + 1, TokenKind::kPunctuation);
    ++i;
  }
  return out;
}

namespace {

const std::unordered_map<std::string_view, std::string_view>& Irregular() {
  static const auto* kTable = new std::unordered_map<std::string_view, std::string_view>{
      {"was", "be"},
      {"were", "be"},
      {"been", "be"},
      {"is", "be"},
      {"are", "be"},
      {"am", "be"},
      {"being", "be"},
      {"has", "have"},
      {"had", "have"},
      {"having", "have"},
      {"did", "do"},
      {"does", "do"},
      {"done", "do"},
      {"took", "take"},
      {"taken", "take"},
      {"said", "say"},
      {"says", "say"},
      {"met", "meet"},
      {"held", "hold"},
      {"made", "make"},
      {"gave", "give"},
      {"given", "give"},
      {"sent", "send"},
      {"won", "win"},
      {"began", "begin"},
      {"begun", "begin"},
      {"struck", "strike"},
      {"stricken", "strike"},
      {"fought", "fight"},
      {"brought", "bring"},
      {"sought", "seek"},
      {"told", "tell"},
      {"left", "leave"},
      {"spoke", "speak"},
      {"spoken", "speak"},
      {"went", "go"},
      {"gone", "go"},
      {"came", "come"},
      {"saw", "see"},
      {"seen", "see"},
      {"got", "get"},
      {"gotten", "get"},
      {"led", "lead"},
      {"paid", "pay"},
      {"laid", "lay"},
      {"shot", "shoot"},
      {"stood", "stand"},
      {"threw", "throw"},
      {"thrown", "throw"},
      {"wrote", "write"},
      {"written", "write"},
      {"drove", "drive"},
      {"driven", "drive"},
      {"rose", "rise"},
      {"risen", "rise"},
      {"fell", "fall"},
      {"fallen", "fall"},
      {"broke", "break"},
      {"broken", "break"},
      {"chose", "choose"},
      {"chosen", "choose"},
      {"froze", "freeze"},
      {"frozen", "freeze"},
      {"forgave", "forgive"},
      {"forgiven", "forgive"},
      {"forbade", "forbid"},
      {"forbidden", "forbid"},
      {"withdrew", "withdraw"},
      {"withdrawn", "withdraw"},
      {"drew", "draw"},
      {"drawn", "draw"},
      {"beaten", "beat"},
      {"bought", "buy"},
      {"caught", "catch"},
      {"taught", "teach"},
      {"thought", "think"},
      {"felt", "feel"},
      {"kept", "keep"},
      {"meant", "mean"},
      {"built", "build"},
      {"spent", "spend"},
      {"lent", "lend"},
      {"lost", "lose"},
      {"heard", "hear"},
      {"found", "find"},
      {"sold", "sell"},
      {"ran", "run"},
      {"bore", "bear"},
      {"borne", "bear"},
      {"swore", "swear"},
      {"sworn", "swear"},
      {"tore", "tear"},
      {"torn", "tear"},
      {"wore", "wear"},
      {"worn", "wear"},
      {"became", "become"},
      {"undertook", "undertake"},
      {"undertaken", "undertake"},
      {"understood", "understand"},
      {"sank", "sink"},
      {"sunk", "sink"},
      {"stole", "steal"},
      {"stolen", "steal"},
      {"hid", "hide"},
      {"hidden", "hide"},
      {"fled", "flee"},
      {"fed", "feed"},
      {"dealt", "deal"},
      {"knew", "know"},
      {"known", "know"},
      {"grew", "grow"},
      {"grown", "grow"},
      {"flew", "fly"},
      {"flown", "fly"},
      {"blew", "blow"},
      {"blown", "blow"},
      {"shook", "shake"},
      {"shaken", "shake"},
      {"hung", "hang"},
      {"slew", "slay"},
      {"slain", "slay"},
      {"overthrew", "overthrow"},
      {"overthrown", "overthrow"},
      {"upheld", "uphold"},
      {"withheld", "withhold"},
      {"arose", "arise"},
      {"arisen", "arise"},
      {"rebuilt", "rebuild"},
      {"dying", "die"},
      {"lying", "lie"},
      {"overtook", "overtake"},
      {"mistook", "mistake"},
      {"bit", "bite"},
      {"bitten", "bite"},
      {"shut", "shut"},
      {"struck", "strike"},
      {"slid", "slide"},
      {"sped", "speed"},
      {"spun", "spin"},
      {"swept", "sweep"},
      {"wept", "weep"},
      {"wound", "wind"},
      {"sat", "sit"},
      {"sang", "sing"},
      {"sung", "sing"},
      {"rang", "ring"},
      {"rung", "ring"},
      {"foresaw", "foresee"},
      {"foreseen", "foresee"},
      {"outlawed", "outlaw"},
      {"reaffirmed", "reaffirm"},
      {"telephoned", "telephone"},
  };
  return *kTable;
}

// Whether a stem left by removing "-ed"/"-ing" most likely lost a final 'e'.
bool NeedsE(std::string_view stem) {
  const std::size_t n = stem.size();
  if (n < 2) return false;
  const char last = stem[n - 1];
  const char prev = stem[n - 2];
  if (last == 'v' || last == 'c') return true;
  if (last == 'z' && prev != 'z') return true;
  if (last == 'g' && (prev == 'n' || prev == 'r')) return n > 3;
  if (last == 's' && IsVowel(prev) && prev != 'u') return true;
  if (last == 's' && prev == 'u' && n >= 3 && IsVowel(stem[n - 3])) return true;  // caus-
  if (last == 't' && prev == 'a' && n >= 3 && stem[n - 3] != 'e' && stem[n - 3] != 'o') {
    return true;  // negotiat-, creat- (not defeat-)
  }
  if (last == 't' && prev == 'u' && n >= 3 && !IsVowel(stem[n - 3])) return true;  // execut-
  if (last == 'r' && prev == 'u' && n >= 3 && !IsVowel(stem[n - 3])) return true;  // secur-
  if (last == 'l' && n >= 3 && !IsVowel(prev) && prev != 'l' && prev != 'r' && prev != 'w') {
    return true;  // settl-, handl-
  }
  if (last == 'k' && IsVowel(prev) && n >= 3 && !IsVowel(stem[n - 3])) return true;  // strik-
  if (last == 'm' && prev == 'i' && n >= 3 && !IsVowel(stem[n - 3])) return true;    // tim-
  return false;
}

bool DoubledConsonant(std::string_view stem) {
  const std::size_t n = stem.size();
  if (n < 3) return false;
  const char last = stem[n - 1];
  if (last != stem[n - 2] || IsVowel(last)) return false;
  if (last == 's' || last == 'f' || last == 'z') return false;
  if (last == 'l') return n > 5;  // controll- → control; call-, kill- stay
  return true;
}

void AddStemCandidates(std::string_view stem, std::vector<std::string>& out) {
  if (stem.empty()) return;
  if (DoubledConsonant(stem)) {
    out.emplace_back(stem.substr(0, stem.size() - 1));
  }
  if (NeedsE(stem)) {
    out.push_back(std::string(stem) + "e");
    out.emplace_back(stem);
  } else {
    out.emplace_back(stem);
    out.push_back(std::string(stem) + "e");
  }
  if (!DoubledConsonant(stem) && stem.size() >= 3 &&
      stem[stem.size() - 1] == stem[stem.size() - 2] && !IsVowel(stem.back())) {
    out.emplace_back(stem.substr(0, stem.size() - 1));
  }
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::vector<std::string> VerbLemmaCandidates(std::string_view w) {
  std::vector<std::string> out;
  const auto& irregular = Irregular();
  if (auto it = irregular.find(w); it != irregular.end()) out.emplace_back(it->second);
  const std::size_t n = w.size();
  if (n > 4 && EndsWith(w, "ies")) {
    out.push_back(std::string(w.substr(0, n - 3)) + "y");
  } else if (n > 4 && EndsWith(w, "ied")) {
    out.push_back(std::string(w.substr(0, n - 3)) + "y");
  } else if (n > 4 && EndsWith(w, "ing")) {
    AddStemCandidates(w.substr(0, n - 3), out);
  } else if (n > 3 && EndsWith(w, "eed")) {
    out.emplace_back(w.substr(0, n - 1));  // agreed → agree
    out.emplace_back(w);                   // need, proceed (a lemma itself)
  } else if (n > 3 && EndsWith(w, "ed")) {
    if (w[n - 3] == 'e') out.emplace_back(w.substr(0, n - 1));
    AddStemCandidates(w.substr(0, n - 2), out);
  } else if (n > 3 && EndsWith(w, "es")) {
    const std::string_view stem = w.substr(0, n - 2);
    if (EndsWith(stem, "ss") || EndsWith(stem, "sh") || EndsWith(stem, "ch") ||
        EndsWith(stem, "x") || EndsWith(stem, "zz") || EndsWith(stem, "o")) {
      out.emplace_back(stem);
      out.emplace_back(w.substr(0, n - 1));
    } else {
      out.emplace_back(w.substr(0, n - 1));
      out.emplace_back(stem);
    }
  } else if (n > 2 && w.back() == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i') {
    out.emplace_back(w.substr(0, n - 1));
  }
  out.emplace_back(w);
  // Drop duplicates, keeping the first.
  std::vector<std::string> unique;
  for (auto& c : out) {
    if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(std::move(c));
  }
  return unique;
}

std::string VerbLemma(std::string_view lower_word) {
  return VerbLemmaCandidates(lower_word).front();
}

bool LooksPastParticiple(std::string_view w) {
  if (EndsWith(w, "ed") && w.size() > 3) return true;
  const auto& irregular = Irregular();
  auto it = irregular.find(w);
  return it != irregular.end() && it->second != w && !EndsWith(w, "ing") && !EndsWith(w, "s");
}

}  // namespace dyad::text
