#include "petrarch_dictionary.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "dyad/core/dates.h"
#include "dyad/core/ids.h"
#include "dyad/core/utf8.h"
#include "spdlog/spdlog.h"
#include "strings.h"

namespace dyad::coder::internal {
namespace {

struct Line {
  int number = 0;
  std::string text;  // comment removed, trimmed
  bool indented = false;
};

struct File {
  std::string name;
  std::vector<Line> lines;
};

absl::Status Error(const File& f, const Line& l, std::string_view what) {
  return absl::InvalidArgumentError(Cat(f.name, ":", l.number, ": ", what));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Reads a PETRARCH file: invalid UTF-8 bytes become U+FFFD (counted in a warning), '#' comments,
// "<!-- ... -->" comment blocks and (when `semicolon_comments`) " ; ..." legacy comments are
// dropped, as are blank lines. 0x1A is kept as an ordinary byte.
absl::StatusOr<File> ReadPetrarchFile(const std::string& path, bool semicolon_comments,
                                      std::string& digest) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat(path, ": cannot open"));
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string raw = buf.str();
  digest += core::Sha256Hex(raw);
  std::string content;
  content.reserve(raw.size());
  std::size_t repaired = 0;
  std::string_view rest(raw);
  while (!rest.empty()) {
    auto bad = core::FindInvalidUtf8(rest);
    if (!bad) {
      content.append(rest);
      break;
    }
    content.append(rest.substr(0, *bad));
    content.append("\xEF\xBF\xBD");
    ++repaired;
    rest.remove_prefix(*bad + 1);
  }
  File out;
  out.name = std::filesystem::path(path).filename().string();
  if (repaired > 0) {
    spdlog::warn("{}: {} invalid UTF-8 byte(s) replaced by U+FFFD", out.name, repaired);
  }
  int number = 0;
  bool in_comment = false;
  for (std::string_view piece : Split(content, '\n')) {
    ++number;
    std::string line(piece);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_comment) {
      if (line.find("-->") != std::string::npos) in_comment = false;
      continue;
    }
    const std::string_view trimmed0 = Strip(line);
    if (trimmed0.starts_with("<!")) {
      if (trimmed0.find("-->") == std::string_view::npos) in_comment = true;
      continue;
    }
    // '#' starts a comment, except inside a code ("[###]").
    int depth = 0;
    for (std::size_t k = 0; k < line.size(); ++k) {
      if (line[k] == '[') ++depth;
      if (line[k] == ']' && depth > 0) --depth;
      if (line[k] == '#' && depth == 0) {
        line.resize(k);
        break;
      }
    }
    if (semicolon_comments) {
      for (std::size_t k = 1; k < line.size(); ++k) {
        if (line[k] == ';' && (line[k - 1] == ' ' || line[k - 1] == '\t')) {
          line.resize(k);
          break;
        }
      }
    }
    const std::string trimmed(Strip(line));
    if (trimmed.empty()) continue;
    const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    out.lines.push_back(Line{number, trimmed, indented});
  }
  return out;
}

std::vector<std::string> Words(std::string_view phrase) {
  std::vector<std::string> out;
  for (const auto& t : PetrarchTokens(phrase, 0, 64)) out.push_back(t.lower);
  return out;
}

// "PHRASE_WITH_UNDERSCORES" → words.
std::vector<std::string> PhraseWords(std::string_view phrase) {
  std::string s(phrase);
  std::replace(s.begin(), s.end(), '_', ' ');
  return Words(s);
}

std::vector<std::string> WhitespaceSplit(std::string_view s);

// Which words of a phrase follow a blank (not '_'): there other words may intervene.
std::vector<bool> PhraseGaps(std::string_view phrase) {
  std::vector<bool> gaps;
  phrase = Strip(phrase);
  if (phrase.find_first_of(" \t") == std::string_view::npos) return gaps;
  bool first_segment = true;
  for (const std::string& segment : WhitespaceSplit(phrase)) {
    const auto words = PhraseWords(segment);
    for (std::size_t k = 0; k < words.size(); ++k) gaps.push_back(k == 0 && !first_segment);
    if (!words.empty()) first_segment = false;
  }
  return gaps;
}

// Inserts `words`; where gaps[k] is set, also under a kPetrarchGapKey edge before words[k], which
// the coder may cross by skipping a few words ("ITHILEN TELEVISION" in "Ithilen state-run
// television").
void InsertWords(PhraseNode& root, const std::vector<std::string>& words, EntryKind kind, int index,
                 const std::vector<bool>& gaps = {}) {
  if (std::find(gaps.begin(), gaps.end(), true) != gaps.end() && gaps.size() == words.size()) {
    PhraseNode* node = &root;
    for (std::size_t k = 0; k < words.size(); ++k) {
      if (gaps[k]) {
        auto& gap = node->next[std::string(kPetrarchGapKey)];
        if (!gap) gap = std::make_unique<PhraseNode>();
        node = gap.get();
      }
      auto& child = node->next[words[k]];
      if (!child) child = std::make_unique<PhraseNode>();
      node = child.get();
    }
    bool present = false;
    for (const auto& e : node->entries) present = present || (e.kind == kind && e.index == index);
    if (!present) {
      PhraseEntry e;
      e.kind = kind;
      e.index = index;
      node->entries.push_back(std::move(e));
    }
  }
  PhraseNode* node = &root;
  for (const auto& w : words) {
    auto& child = node->next[w];
    if (!child) child = std::make_unique<PhraseNode>();
    node = child.get();
  }
  for (const auto& e : node->entries) {
    if (e.kind == kind && e.index == index) return;
  }
  PhraseEntry e;
  e.kind = kind;
  e.index = index;
  node->entries.push_back(std::move(e));
}

// The text inside the first [...] of `s` (trimmed), and `s` without it.
bool TakeBracket(std::string& s, std::string& inside) {
  const auto open = s.find('[');
  if (open == std::string::npos) return false;
  const auto close = s.find(']', open);
  if (close == std::string::npos) return false;
  inside = std::string(Strip(std::string_view(s).substr(open + 1, close - open - 1)));
  s = s.substr(0, open) + " " + s.substr(close + 1);
  return true;
}

bool TakeBraces(std::string& s, std::string& inside) {
  const auto open = s.find('{');
  if (open == std::string::npos) return false;
  const auto close = s.find('}', open);
  if (close == std::string::npos) return false;
  inside = std::string(Strip(std::string_view(s).substr(open + 1, close - open - 1)));
  s = s.substr(0, open) + " " + s.substr(close + 1);
  return true;
}

std::vector<std::string> WhitespaceSplit(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool ValidCode(std::string_view code) {
  if (code.empty()) return false;
  for (char c : code) {
    if (c == ' ' || c == '\t' || c == '[' || c == ']') return false;
  }
  return true;
}

// "[CODE]", "[CODE >YYMMDD]", "[CODE <YYMMDD]", "[CODE YYMMDD-YYMMDD]" (inside the brackets).
absl::StatusOr<DatedRole> ParseRestriction(std::string_view inside) {
  std::string code;
  std::string rest;
  std::size_t i = 0;
  while (i < inside.size() && inside[i] != ' ' && inside[i] != '\t' && inside[i] != '<' &&
         inside[i] != '>') {
    code.push_back(inside[i]);
    ++i;
  }
  for (; i < inside.size(); ++i) {
    if (inside[i] != ' ' && inside[i] != '\t') rest.push_back(inside[i]);
  }
  if (code.empty() || (code[0] >= '0' && code[0] <= '9')) {
    return absl::InvalidArgumentError(Cat("no actor code in [", inside, "]"));
  }
  DatedRole role;
  role.code = Upper(code);
  if (rest.empty()) return role;
  role.dated = true;
  auto bad = [&] {
    return absl::InvalidArgumentError(
        Cat("bad date restriction [", inside,
            "]: want [CODE >YYMMDD], [CODE <YYMMDD] or [CODE YYMMDD-YYMMDD]"));
  };
  if (rest[0] == '<' || rest[0] == '>') {
    auto day = ParsePetrarchDate(std::string_view(rest).substr(1));
    if (!day) return bad();
    if (rest[0] == '<') {
      role.to_day = *day - 1;
    } else {
      role.from_day = *day + 1;
    }
    return role;
  }
  const auto dash = rest.find('-');
  if (dash == std::string::npos) return bad();
  auto from = ParsePetrarchDate(std::string_view(rest).substr(0, dash));
  auto to = ParsePetrarchDate(std::string_view(rest).substr(dash + 1));
  if (!from || !to) return bad();
  role.from_day = *from;
  role.to_day = *to;
  return role;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsVerbsFile(const std::string& name) {
  const std::string l = Lower(name);
  if (!l.ends_with(".txt")) return false;
  return l.find("verbs") != std::string::npos || l.starts_with("cameo");
}
bool Has(const std::string& name, std::string_view part) {
  const std::string l = Lower(name);
  return l.ends_with(".txt") && l.find(part) != std::string::npos;
}

// ---- verbs ----

// Pattern elements of one chunk list (text between "- " and "[code]").
absl::Status ParsePatternText(std::string_view text, PetrarchPattern& p) {
  // Brackets only group; '*' stands alone even when written against a word ("*SCEPTICAL").
  std::string s;
  for (char c : text) {
    if (c == '{' || c == '}' || c == '(' || c == ')') {
      s.push_back(' ');
    } else if (c == '*') {
      s += " * ";
    } else {
      s.push_back(c);
    }
  }
  std::vector<PetrarchToken> elements;
  int verb_at = -1;
  for (const std::string& chunk : WhitespaceSplit(s)) {
    const auto pieces = Split(chunk, '_');
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      const std::string_view piece = pieces[k];
      const bool joined = k + 1 < pieces.size();
      if (piece.empty()) {
        if (!elements.empty() && joined) elements.back().joined = true;
        continue;
      }
      PetrarchToken t;
      t.joined = joined;
      if (piece == "*") {
        if (verb_at >= 0) return absl::InvalidArgumentError("two '*' in one pattern");
        verb_at = static_cast<int>(elements.size());
        t.kind = PetrarchToken::Kind::kWord;
        t.word = "*";
        elements.push_back(t);
        continue;
      }
      if (piece == "$" || piece == "+" || piece == "%" || piece == "^") {
        t.kind = piece == "$"   ? PetrarchToken::Kind::kSource
                 : piece == "+" ? PetrarchToken::Kind::kTarget
                 : piece == "%" ? PetrarchToken::Kind::kCompound
                                : PetrarchToken::Kind::kSkip;
        elements.push_back(t);
        continue;
      }
      if (piece[0] == '&') {
        t.kind = PetrarchToken::Kind::kSynset;
        std::string name = Lower(piece.substr(1));
        while (!name.empty() && name.back() == '_') name.pop_back();
        if (name.empty()) return absl::InvalidArgumentError("empty synset name");
        t.word = name;
        elements.push_back(t);
        continue;
      }
      const auto words = Words(piece);
      for (std::size_t w = 0; w < words.size(); ++w) {
        PetrarchToken wt;
        wt.kind = PetrarchToken::Kind::kWord;
        wt.word = words[w];
        wt.joined = w + 1 < words.size() ? true : joined;
        elements.push_back(wt);
      }
    }
  }
  if (verb_at < 0) return absl::InvalidArgumentError("pattern has no '*' (the verb's position)");
  const auto at = static_cast<std::size_t>(verb_at);
  p.before.assign(elements.begin(), elements.begin() + verb_at);
  p.after.assign(elements.begin() + verb_at + 1, elements.end());
  p.verb_joined_before = !p.before.empty() && p.before.back().joined;
  p.verb_joined_after = elements[at].joined;
  for (const auto& e : elements) {
    if ((e.kind == PetrarchToken::Kind::kWord && e.word != "*") ||
        e.kind == PetrarchToken::Kind::kSynset) {
      ++p.literal_count;
    }
  }
  return absl::OkStatus();
}

// "+CORDON_OFF" / "KLM_NOP_+RST" / "LASH OUT" → form (words, head).
PetrarchVerb::Form ParseForm(std::string_view text) {
  std::string s(text);
  std::replace(s.begin(), s.end(), '_', ' ');
  PetrarchVerb::Form f;
  for (const std::string& w : WhitespaceSplit(s)) {
    std::string word = w;
    bool head = false;
    if (!word.empty() && word[0] == '+') {
      head = true;
      word = word.substr(1);
    }
    if (word.empty()) continue;
    for (const auto& piece : Words(word)) {
      if (head) {
        f.head = f.words.size();
        head = false;
      }
      f.words.push_back(piece);
    }
  }
  return f;
}

absl::Status LoadVerbsFile(const std::string& path, PetrarchDictionaries& p, std::string& digest) {
  auto file = ReadPetrarchFile(path, false, digest);
  if (!file.ok()) return file.status();
  enum class State { kNone, kSynset, kBlock } state = State::kNone;
  std::string synset;
  bool synset_plural = true;
  int block = -1;
  for (const Line& line : file->lines) {
    const std::string& t = line.text;
    if (t[0] == '&') {
      std::string name =
          Lower(WhitespaceSplit(t.substr(1)).empty() ? std::string()
                                                     : WhitespaceSplit(t.substr(1)).front());
      synset_plural = name.empty() || name.back() != '_';
      while (!name.empty() && name.back() == '_') name.pop_back();
      if (name.empty()) return Error(*file, line, "empty synset name after '&'");
      synset = name;
      p.synsets[synset];  // may be empty
      state = State::kSynset;
    } else if (t.starts_with("---")) {
      std::string body = t.substr(3);
      while (!body.empty() && (body.back() == '-' || body.back() == ' ' || body.back() == '\t')) {
        body.pop_back();
      }
      std::string code;
      if (!TakeBracket(body, code) || !ValidCode(code)) {
        return Error(*file, line, "verb block header needs a code: \"--- NAME [code] ---\"");
      }
      PetrarchVerbBlock b;
      b.name = std::string(Strip(body));
      b.code = code;
      b.location = Cat(file->name, ":", line.number);
      block = static_cast<int>(p.blocks.size());
      p.blocks.push_back(std::move(b));
      state = State::kBlock;
    } else if (t[0] == '~') {
      p.transformations.push_back(t);
    } else if (t[0] == '-') {
      if (state != State::kBlock) return Error(*file, line, "pattern outside a verb block");
      std::string body = t.substr(1);
      const auto open = body.rfind('[');
      const auto close = body.rfind(']');
      if (open == std::string::npos || close == std::string::npos || close < open) {
        return Error(*file, line, "pattern needs a code: \"- ... * ... [code]\"");
      }
      PetrarchPattern pat;
      pat.code = std::string(Strip(std::string_view(body).substr(open + 1, close - open - 1)));
      if (!ValidCode(pat.code)) return Error(*file, line, "bad pattern code");
      if (auto s = ParsePatternText(std::string_view(body).substr(0, open), pat); !s.ok()) {
        return Error(*file, line, std::string(s.message()));
      }
      pat.block = block;
      pat.location = Cat(file->name, ":", line.number);
      p.blocks[static_cast<std::size_t>(block)].patterns.push_back(
          static_cast<int>(p.patterns.size()));
      p.patterns.push_back(std::move(pat));
    } else if (t[0] == '+' && state == State::kSynset) {
      std::string member = t.substr(1);
      std::string code;
      TakeBracket(member, code);
      member = std::string(Strip(member));
      const bool plural = synset_plural && !member.empty() && member.back() != '_';
      std::string s = member;
      std::replace(s.begin(), s.end(), '_', ' ');
      std::vector<std::string> words;
      for (const std::string& w : WhitespaceSplit(s)) {
        if (w[0] == '&') {
          std::string name = Lower(w.substr(1));
          while (!name.empty() && name.back() == '_') name.pop_back();
          words.push_back("&" + name);
        } else {
          for (auto& piece : Words(w)) words.push_back(std::move(piece));
        }
      }
      if (words.empty()) return Error(*file, line, "empty synset member");
      auto& members = p.synsets[synset];
      members.push_back(words);
      if (plural && words.back()[0] != '&') {
        words.back() = PetrarchPlural(words.back());
        members.push_back(words);
      }
    } else if (state == State::kBlock) {
      std::string body = t;
      std::string forms_text, code;
      const bool has_forms = TakeBraces(body, forms_text);
      TakeBracket(body, code);
      if (!code.empty() && !ValidCode(code)) return Error(*file, line, "bad verb code");
      body = std::string(Strip(body));
      if (body.empty()) return Error(*file, line, "verb line without a verb");
      PetrarchVerb v;
      v.block = block;
      v.code = code;
      PetrarchVerb::Form base = ParseForm(body);
      if (base.words.empty()) return Error(*file, line, "verb line without a verb");
      std::string lemma;
      for (const auto& w : base.words) lemma += (lemma.empty() ? "" : " ") + w;
      v.lemma = lemma;
      v.forms.push_back(base);
      if (has_forms) {
        for (const std::string& item : WhitespaceSplit(forms_text)) {
          PetrarchVerb::Form f = ParseForm(item);
          if (f.words.empty()) continue;
          if (f.words.size() == base.words.size() && item.find('+') == std::string::npos) {
            f.head = base.head;
          }
          v.forms.push_back(std::move(f));
        }
      } else {
        for (const std::string& inflected : RegularVerbForms(base.words[base.head])) {
          PetrarchVerb::Form f = base;
          f.words[f.head] = inflected;
          v.forms.push_back(std::move(f));
        }
      }
      const int vi = static_cast<int>(p.verbs.size());
      for (std::size_t fi = 0; fi < v.forms.size(); ++fi) {
        const auto& f = v.forms[fi];
        auto& list = p.forms_by_head[f.words[f.head]];
        list.emplace_back(vi, static_cast<int>(fi));
      }
      p.verbs.push_back(std::move(v));
    } else {
      return Error(*file, line, "line outside a synset or verb block");
    }
  }
  return absl::OkStatus();
}

// ---- actors ----

absl::Status LoadActorsFile(const std::string& path, Dictionaries& d, std::string& digest) {
  auto file = ReadPetrarchFile(path, true, digest);
  if (!file.ok()) return file.status();
  PetrarchDictionaries& p = *d.petrarch;
  int current = -1;
  std::size_t bad_restrictions = 0;
  auto add_codes = [&](const Line& line, std::string& text) -> absl::Status {
    std::string inside;
    while (TakeBracket(text, inside)) {
      auto role = ParseRestriction(inside);
      if (!role.ok()) {
        // The production files carry a few typos ("[ARMUNR 9008223-911221]"): such a restriction
        // is skipped with a warning; the actor keeps its other codes.
        if (bad_restrictions++ < 5) {
          spdlog::warn("{}:{}: {} (restriction skipped)", file->name, line.number,
                       std::string(role.status().message()));
        }
        continue;
      }
      p.actors[static_cast<std::size_t>(current)].codes.push_back(*std::move(role));
    }
    if (text.find(']') != std::string::npos || text.find('[') != std::string::npos) {
      return Error(*file, line, "unbalanced '[' or ']'");
    }
    return absl::OkStatus();
  };
  auto add_phrase = [&](const Line& line, std::string phrase) -> absl::Status {
    phrase = std::string(Strip(phrase));
    const auto words = PhraseWords(phrase);
    if (words.empty()) return Error(*file, line, Cat("empty actor phrase \"", phrase, "\""));
    InsertWords(d.actors, words, EntryKind::kPetrarchActor, current, PhraseGaps(phrase));
    ++p.actor_phrases;
    return absl::OkStatus();
  };
  for (const Line& line : file->lines) {
    std::string t = line.text;
    if (t[0] == '[') {
      if (current < 0) return Error(*file, line, "code line before any actor phrase");
      if (auto s = add_codes(line, t); !s.ok()) return s;
      if (!Strip(t).empty()) return Error(*file, line, "text after the code");
      continue;
    }
    if (t[0] == '+') {
      if (current < 0) return Error(*file, line, "synonym ('+') before any actor phrase");
      t = t.substr(1);
      const auto open = t.find('[');
      std::string phrase = open == std::string::npos ? t : t.substr(0, open);
      if (auto s = add_phrase(line, phrase); !s.ok()) return s;
      std::string codes = open == std::string::npos ? std::string() : t.substr(open);
      if (auto s = add_codes(line, codes); !s.ok()) return s;
      continue;
    }
    PetrarchActor actor;
    actor.location = Cat(file->name, ":", line.number);
    current = static_cast<int>(p.actors.size());
    p.actors.push_back(std::move(actor));
    const auto open = t.find('[');
    std::string phrase = open == std::string::npos ? t : t.substr(0, open);
    if (auto s = add_phrase(line, phrase); !s.ok()) return s;
    std::string codes = open == std::string::npos ? std::string() : t.substr(open);
    if (auto s = add_codes(line, codes); !s.ok()) return s;
  }
  if (bad_restrictions > 5) {
    spdlog::warn("{}: {} malformed date restrictions skipped", file->name, bad_restrictions);
  }
  return absl::OkStatus();
}

// ---- agents ----

absl::Status LoadAgentsFile(const std::string& path, Dictionaries& d, std::string& digest) {
  auto file = ReadPetrarchFile(path, false, digest);
  if (!file.ok()) return file.status();
  PetrarchDictionaries& p = *d.petrarch;
  std::map<std::string, std::vector<std::string>> sets;
  for (const Line& line : file->lines) {
    std::string t = line.text;
    if (t[0] == '!' && t.find('=') != std::string::npos && t.find('[') == std::string::npos) {
      const auto eq = t.find('=');
      const std::string name = std::string(Strip(std::string_view(t).substr(0, eq)));
      if (name.size() < 3 || name.back() != '!') {
        return Error(*file, line, "substitution set needs \"!NAME! = A, B, C\"");
      }
      auto& members = sets[name];
      for (auto m : Split(std::string_view(t).substr(eq + 1), ',')) {
        m = Strip(m);
        if (!m.empty()) members.emplace_back(m);
      }
      if (members.empty()) return Error(*file, line, "empty substitution set");
      continue;
    }
    std::string code;
    if (!TakeBracket(t, code)) {
      // Phoenix.agents.txt has two such typos ("[~ENV}", a bare phrase): skipped with a warning.
      spdlog::warn("{}:{}: agent without a [~CODE] or [CODE~] code (skipped)", file->name,
                   line.number);
      continue;
    }
    std::string compact;
    for (char c : code) {
      if (c != ' ' && c != '\t') compact.push_back(c);
    }
    PetrarchAgent agent;
    if (compact.size() >= 2 && compact.front() == '~') {
      agent.code = Upper(compact.substr(1));
    } else if (compact.size() >= 2 && compact.back() == '~') {
      agent.code = Upper(compact.substr(0, compact.size() - 1));
      agent.prefix = true;
    } else {
      return Error(*file, line, Cat("agent code must be [~CODE] or [CODE~], not [", code, "]"));
    }
    agent.location = Cat(file->name, ":", line.number);
    std::string plural_text;
    const bool has_plural = TakeBraces(t, plural_text);
    std::vector<std::string> phrases{std::string(Strip(t))};
    if (phrases[0].empty()) return Error(*file, line, "agent without a phrase");
    for (const std::string& item : WhitespaceSplit(plural_text)) phrases.push_back(item);
    // Substitution sets, expanded (each phrase may use several).
    for (int round = 0; round < 4; ++round) {
      std::vector<std::string> next;
      bool changed = false;
      for (const auto& ph : phrases) {
        const auto a = ph.find('!');
        const auto b = a == std::string::npos ? a : ph.find('!', a + 1);
        if (b == std::string::npos) {
          next.push_back(ph);
          continue;
        }
        const std::string name = ph.substr(a, b - a + 1);
        auto it = sets.find(name);
        if (it == sets.end()) return Error(*file, line, Cat("unknown substitution set ", name));
        changed = true;
        for (const auto& m : it->second) next.push_back(ph.substr(0, a) + m + ph.substr(b + 1));
      }
      phrases = std::move(next);
      if (!changed) break;
    }
    const int index = static_cast<int>(p.agents.size());
    p.agents.push_back(std::move(agent));
    const std::size_t n_listed = phrases.size();
    for (std::size_t k = 0; k < n_listed; ++k) {
      auto words = PhraseWords(phrases[k]);
      if (words.empty()) continue;
      InsertWords(d.actors, words, EntryKind::kPetrarchAgent, index, PhraseGaps(phrases[k]));
      ++p.agent_phrases;
      if (!has_plural) {
        words.back() = PetrarchPlural(words.back());
        InsertWords(d.actors, words, EntryKind::kPetrarchAgent, index);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status LoadDiscardsFile(const std::string& path, Dictionaries& d, std::string& digest) {
  auto file = ReadPetrarchFile(path, false, digest);
  if (!file.ok()) return file.status();
  PetrarchDictionaries& p = *d.petrarch;
  for (const Line& line : file->lines) {
    std::string t = line.text;
    bool story = false;
    if (t[0] == '+') {
      story = true;
      t = t.substr(1);
    }
    t = std::string(Strip(t));
    const bool exact = !t.empty() && t.back() == '_';
    const auto words = PhraseWords(t);
    if (words.empty()) return Error(*file, line, "empty discard phrase");
    std::string joined;
    for (const auto& w : words) joined += (joined.empty() ? "" : " ") + w;
    p.discard_phrases.emplace_back(joined, exact);
    p.discard_story.push_back(story);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<text::Token> PetrarchTokens(std::string_view text, std::size_t base,
                                        std::size_t max_tokens) {
  std::vector<text::Token> in = text::Tokenize(text, base, max_tokens);
  std::vector<text::Token> out;
  out.reserve(in.size());
  for (auto& t : in) {
    if (t.kind == text::TokenKind::kPunctuation && t.text == "_") continue;  // "Dol_Amroth"
    if (t.kind != text::TokenKind::kWord || t.text.find('-') == std::string::npos ||
        t.text.size() < 3) {
      out.push_back(std::move(t));
      continue;
    }
    std::size_t start = 0;
    for (std::size_t k = 0; k <= t.text.size(); ++k) {
      if (k == t.text.size() || t.text[k] == '-') {
        if (k > start) {
          text::Token w;
          w.text = t.text.substr(start, k - start);
          w.lower = t.lower.substr(start, k - start);
          w.begin = t.begin + start;
          w.end = t.begin + k;
          w.kind = text::TokenKind::kWord;
          out.push_back(std::move(w));
        }
        if (k < t.text.size()) {
          text::Token h;
          h.text = "-";
          h.lower = "-";
          h.begin = t.begin + k;
          h.end = t.begin + k + 1;
          h.kind = text::TokenKind::kPunctuation;
          out.push_back(std::move(h));
        }
        start = k + 1;
      }
    }
  }
  return out;
}

std::optional<int64_t> ParsePetrarchDate(std::string_view s) {
  if (s.size() != 6 && s.size() != 8) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto num = [&](std::size_t b, std::size_t n) {
    int v = 0;
    for (std::size_t k = b; k < b + n; ++k) v = v * 10 + (s[k] - '0');
    return v;
  };
  int year = 0;
  std::size_t at = 0;
  if (s.size() == 6) {
    const int yy = num(0, 2);
    year = yy >= 30 ? 1900 + yy : 2000 + yy;
    at = 2;
  } else {
    year = num(0, 4);
    at = 4;
  }
  const int month = num(at, 2);
  const int day = num(at + 2, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return core::DaysFromCivil(core::CivilDate{year, month, day});
}

std::vector<std::string> RegularVerbForms(std::string_view verb) {
  const std::string v(verb);
  std::vector<std::string> out;
  if (v.empty()) return out;
  const std::size_t n = v.size();
  auto vowel = [](char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; };
  if (v.back() == 'e') {
    out.push_back(v + "s");
    out.push_back(v + "d");
    out.push_back(v.substr(0, n - 1) + "ing");
    if (n >= 2 && (v[n - 2] == 'e' || v[n - 2] == 'y' || v[n - 2] == 'o')) out.push_back(v + "ing");
  } else if (v.back() == 'y' && n >= 2 && !vowel(v[n - 2])) {
    out.push_back(v.substr(0, n - 1) + "ies");
    out.push_back(v.substr(0, n - 1) + "ied");
    out.push_back(v + "ing");
  } else {
    const bool sibilant = v.back() == 's' || v.back() == 'x' || v.back() == 'z' ||
                          v.ends_with("ch") || v.ends_with("sh");
    out.push_back(v + (sibilant ? "es" : "s"));
    out.push_back(v + "ed");
    out.push_back(v + "ing");
    // Consonant doubling for short consonant-vowel-consonant verbs ("stab" → "stabbed").
    if (n >= 3 && !vowel(v[n - 1]) && vowel(v[n - 2]) && !vowel(v[n - 3]) && v.back() != 'w' &&
        v.back() != 'x' && v.back() != 'y') {
      out.push_back(v + v.back() + "ed");
      out.push_back(v + v.back() + "ing");
    }
  }
  return out;
}

std::string PetrarchPlural(std::string_view noun) {
  const std::string s(noun);
  if (s.empty()) return s;
  if (s.size() >= 2 && s.back() == 'y' &&
      std::string_view("aeiou").find(s[s.size() - 2]) == std::string_view::npos) {
    return s.substr(0, s.size() - 1) + "ies";
  }
  if (s.back() == 's' || s.back() == 'x' || s.ends_with("ch") || s.ends_with("sh")) {
    return s + "es";
  }
  return s + "s";
}

bool LooksLikePetrarchDir(const std::string& dir) {
  if (!std::ifstream(dir + "/countries.txt").fail()) return false;
  bool verbs = false, actors = false;
  for (const auto& name : ListFiles(dir)) {
    if (IsVerbsFile(name)) verbs = true;
    if (Has(name, "actors")) actors = true;
  }
  return verbs || actors;
}

absl::Status LoadPetrarchDictionaries(const std::string& dir, Dictionaries& d) {
  d.petrarch = std::make_unique<PetrarchDictionaries>();
  std::vector<std::string> verbs, actors, agents, discards;
  for (const auto& name : ListFiles(dir)) {
    const std::string path = dir + "/" + name;
    if (IsVerbsFile(name)) {
      verbs.push_back(path);
    } else if (Has(name, "actors")) {
      actors.push_back(path);
    } else if (Has(name, "agents")) {
      agents.push_back(path);
    } else if (Has(name, "discards")) {
      discards.push_back(path);
    }
  }
  if (verbs.empty()) {
    return absl::NotFoundError(Cat(dir, ": no PETRARCH verbs file (CAMEO*.txt or *verbs*.txt)"));
  }
  if (actors.empty()) return absl::NotFoundError(Cat(dir, ": no PETRARCH *actors*.txt file"));
  for (const auto& f : verbs) {
    if (auto s = LoadVerbsFile(f, *d.petrarch, d.digest_input); !s.ok()) return s;
  }
  // A pattern naming an undefined synset never matches (CAMEO.2.0.txt uses &WEATHER, defined
  // nowhere); it is reported, not fatal.
  std::size_t unknown = 0;
  for (const auto& pat : d.petrarch->patterns) {
    for (const auto* list : {&pat.before, &pat.after}) {
      for (const auto& t : *list) {
        if (t.kind == PetrarchToken::Kind::kSynset && !d.petrarch->synsets.contains(t.word)) {
          if (unknown++ == 0) {
            spdlog::warn("{}: unknown synset &{}: the pattern never matches", pat.location,
                         Upper(t.word));
          }
        }
      }
    }
  }
  if (unknown > 1) spdlog::warn("{} pattern elements name unknown synsets", unknown);
  for (const auto& f : actors) {
    if (auto s = LoadActorsFile(f, d, d.digest_input); !s.ok()) return s;
  }
  for (const auto& f : agents) {
    if (auto s = LoadAgentsFile(f, d, d.digest_input); !s.ok()) return s;
  }
  for (const auto& f : discards) {
    if (auto s = LoadDiscardsFile(f, d, d.digest_input); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace dyad::coder::internal

namespace dyad::coder {

std::string PetrarchActor::CodeOn(int64_t day) const {
  for (const auto& c : codes) {
    if (c.dated && c.from_day <= day && day <= c.to_day) return c.code;
  }
  for (const auto& c : codes) {
    if (!c.dated) return c.code;
  }
  return "";
}

}  // namespace dyad::coder
