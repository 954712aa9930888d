#include "dyad/coder/dictionary.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unordered_map>

#include "absl/status/status.h"
#include "dyad/core/ids.h"
#include "dyad/core/utf8.h"
#include "dyad/text/normalize.h"
#include "dyad/text/tokens.h"
#include "petrarch_dictionary.h"
#include "strings.h"

namespace dyad::coder {
namespace {

using internal::Cat;
using internal::Split;
using internal::Strip;

struct Line {
  int number = 0;
  std::string text;
};

struct FileLines {
  std::string name;  // file name for messages
  std::vector<Line> lines;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(Cat(path, ": cannot open (set DYAD_DATA_DIR or the coder ",
                                   "options to the directory holding dyad's data)"));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string BaseName(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Reads a dictionary file: drops comments ('#' to end of line) and blank lines.
absl::StatusOr<FileLines> ReadDictionary(const std::string& path, std::string& digest) {
  auto content = ReadFile(path);
  if (!content.ok()) return content.status();
  if (auto bad = core::FindInvalidUtf8(*content)) {
    return absl::InvalidArgumentError(
        Cat(path, ": invalid UTF-8 at byte ", *bad, "; save the file as UTF-8"));
  }
  digest += core::Sha256Hex(*content);
  FileLines out;
  out.name = BaseName(path);
  int number = 0;
  for (std::string_view raw : Split(*content, '\n')) {
    ++number;
    std::string line(raw);
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::string trimmed(Strip(line));
    if (trimmed.empty()) continue;
    out.lines.push_back(Line{number, trimmed});
  }
  return out;
}

absl::Status LineError(const FileLines& file, const Line& line, std::string_view what) {
  return absl::InvalidArgumentError(
      Cat(file.name, ":", line.number, ": ", what, " (in \"", line.text, "\")"));
}

std::vector<std::string> Fields(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view f : Split(text, '|')) {
    out.emplace_back(Strip(f));
  }
  return out;
}

std::vector<std::string> List(std::string_view text, char sep = ',') {
  std::vector<std::string> out;
  for (std::string_view f : Split(text, sep)) {
    std::string item(Strip(f));
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

bool IsUpperCode(std::string_view code, std::size_t min_len) {
  if (code.size() < min_len) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

std::vector<text::Token> PhraseTokens(std::string_view phrase) {
  const text::NormalizedText norm = text::Normalize(phrase);
  return text::Tokenize(norm.text, 0, 64);
}

CaseRule CaseRuleOf(std::string_view phrase) {
  if (phrase.empty() || !(phrase[0] >= 'A' && phrase[0] <= 'Z')) return CaseRule::kAny;
  int letters = 0;
  bool all_upper = true;
  for (char c : phrase) {
    if (c >= 'a' && c <= 'z') all_upper = false;
    if (c == ' ') all_upper = false;
    if ((c >= 'A' && c <= 'Z')) ++letters;
  }
  if (all_upper && letters <= 4) return CaseRule::kExact;
  return CaseRule::kCapitalized;
}

void Insert(PhraseNode& root, const std::vector<text::Token>& tokens, PhraseEntry entry) {
  PhraseNode* node = &root;
  for (const auto& tok : tokens) {
    auto& child = node->next[tok.lower];
    if (!child) child = std::make_unique<PhraseNode>();
    node = child.get();
  }
  if (entry.case_rule == CaseRule::kExact) {
    for (const auto& tok : tokens) entry.exact.push_back(tok.text);
  }
  node->entries.push_back(std::move(entry));
}

absl::Status AddPhrase(PhraseNode& root, const FileLines& file, const Line& line,
                       std::string_view phrase, EntryKind kind, int index,
                       bool case_sensitive = true) {
  const auto tokens = PhraseTokens(phrase);
  if (tokens.empty()) return LineError(file, line, Cat("empty phrase \"", phrase, "\""));
  PhraseEntry entry;
  entry.kind = kind;
  entry.index = index;
  entry.case_rule = case_sensitive ? CaseRuleOf(phrase) : CaseRule::kAny;
  Insert(root, tokens, std::move(entry));
  return absl::OkStatus();
}

std::string Plural(std::string_view w) {
  const std::string s(w);
  if (s.size() >= 3 && s.substr(s.size() - 3) == "man") return s.substr(0, s.size() - 3) + "men";
  if (s.size() >= 2 && s.back() == 'y' &&
      std::string_view("aeiou").find(s[s.size() - 2]) == std::string_view::npos) {
    return s.substr(0, s.size() - 1) + "ies";
  }
  if (s.back() == 's' || s.back() == 'x' ||
      (s.size() >= 2 && (s.substr(s.size() - 2) == "ch" || s.substr(s.size() - 2) == "sh"))) {
    return s + "es";
  }
  return s + "s";
}

absl::Status LoadCountries(const std::string& dir, Dictionaries& d) {
  auto file = ReadDictionary(dir + "/countries.txt", d.digest_input);
  if (!file.ok()) return file.status();
  for (const Line& line : file->lines) {
    const auto f = Fields(line.text);
    if (f.size() < 2 || f.size() > 4) {
      return LineError(*file, line, "expected CODE | name | aliases | seats");
    }
    if (f[0].size() != 3 || !IsUpperCode(f[0], 3)) {
      return LineError(*file, line, "country code must be 3 upper-case letters");
    }
    if (f[1].empty()) return LineError(*file, line, "missing country name");
    if (d.country_by_code.contains(f[0])) {
      return LineError(*file, line, Cat("country ", f[0], " defined twice"));
    }
    const int index = static_cast<int>(d.countries.size());
    d.countries.push_back(Country{f[0], f[1]});
    d.country_by_code[f[0]] = index;
    if (auto s = AddPhrase(d.actors, *file, line, f[1], EntryKind::kCountryName, index); !s.ok()) {
      return s;
    }
    if (f.size() > 2) {
      for (const auto& alias : List(f[2])) {
        if (auto s = AddPhrase(d.actors, *file, line, alias, EntryKind::kCountryAlias, index);
            !s.ok()) {
          return s;
        }
      }
    }
    if (f.size() > 3) {
      for (const auto& seat : List(f[3])) {
        if (auto s = AddPhrase(d.actors, *file, line, seat, EntryKind::kSeat, index); !s.ok()) {
          return s;
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status LoadIgos(const std::string& dir, Dictionaries& d) {
  auto file = ReadDictionary(dir + "/igos.txt", d.digest_input);
  if (!file.ok()) return file.status();
  for (const Line& line : file->lines) {
    const auto f = Fields(line.text);
    if (f.size() < 2 || f.size() > 3)
      return LineError(*file, line, "expected CODE | name | aliases");
    if (!IsUpperCode(f[0], 3)) {
      return LineError(*file, line, "IGO code must be upper-case letters or digits, 3 or more");
    }
    const int index = static_cast<int>(d.igos.size());
    d.igos.push_back(Igo{f[0], f[1]});
    d.igo_by_code[f[0]] = index;
    if (auto s = AddPhrase(d.actors, *file, line, f[1], EntryKind::kIgo, index); !s.ok()) return s;
    if (f.size() > 2) {
      for (const auto& alias : List(f[2])) {
        if (auto s = AddPhrase(d.actors, *file, line, alias, EntryKind::kIgo, index); !s.ok()) {
          return s;
        }
      }
    }
  }
  return absl::OkStatus();
}

// places.txt (optional): Name | CODE | city/admin1 | aliases.
absl::Status LoadPlaces(const std::string& dir, Dictionaries& d) {
  if (std::ifstream(dir + "/places.txt").fail()) return absl::OkStatus();
  auto file = ReadDictionary(dir + "/places.txt", d.digest_input);
  if (!file.ok()) return file.status();
  for (const Line& line : file->lines) {
    const auto f = Fields(line.text);
    if (f.size() < 3 || f.size() > 4) {
      return LineError(*file, line, "expected Name | CODE | city/admin1 | aliases");
    }
    auto country = d.country_by_code.find(f[1]);
    if (country == d.country_by_code.end()) {
      return LineError(*file, line, Cat("unknown country code ", f[1], " (see countries.txt)"));
    }
    if (f[2] != "city" && f[2] != "admin1") {
      return LineError(*file, line, "precision must be city or admin1");
    }
    const int index = static_cast<int>(d.places.size());
    d.places.push_back(Place{f[0], country->second, f[2] == "admin1"});
    std::vector<std::string> names{f[0]};
    if (f.size() == 4) {
      for (const auto& alias : List(f[3])) names.push_back(alias);
    }
    for (const auto& name : names) {
      if (auto s = AddPhrase(d.places_trie, *file, line, name, EntryKind::kPlace, index); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DatedRole> ParseRole(const Dictionaries& d, std::string_view text) {
  const auto parts = List(text, ' ');
  if (parts.empty() || parts.size() > 2) {
    return absl::InvalidArgumentError("a role is CODE or CODE FROM..TO");
  }
  DatedRole role;
  role.code = parts[0];
  if (!IsUpperCode(role.code, 3)) {
    return absl::InvalidArgumentError(Cat("bad actor code \"", role.code, "\""));
  }
  if (d.SplitCode(role.code).first.empty()) {
    return absl::InvalidArgumentError(Cat(
        "actor code \"", role.code, "\" starts with no country (countries.txt) or IGO (igos.txt)"));
  }
  if (parts.size() == 2) {
    const std::string& range = parts[1];
    const auto dots = range.find("..");
    if (dots == std::string::npos) {
      return absl::InvalidArgumentError(
          Cat("date range \"", range, "\" must be FROM..TO (either end may be empty)"));
    }
    role.dated = true;
    const std::string from = range.substr(0, dots);
    const std::string to = range.substr(dots + 2);
    if (!from.empty()) {
      auto day = ParseBoundDay(from, false);
      if (!day) return absl::InvalidArgumentError(Cat("bad date \"", from, "\""));
      role.from_day = *day;
    }
    if (!to.empty()) {
      auto day = ParseBoundDay(to, true);
      if (!day) return absl::InvalidArgumentError(Cat("bad date \"", to, "\""));
      role.to_day = *day;
    }
    if (role.from_day > role.to_day) {
      return absl::InvalidArgumentError(Cat("date range \"", range, "\" ends before it starts"));
    }
  }
  return role;
}

// <kind>.txt, then every <kind>.<part>.txt in name order (actors.leaders-africa.txt,
// verbs.petrarch2.txt).
std::vector<std::string> PartFiles(const std::string& dir, const std::string& kind) {
  std::vector<std::string> parts;
  const std::string prefix = kind + ".";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() + 4 && name.rfind(prefix, 0) == 0 &&
        name.compare(name.size() - 4, 4, ".txt") == 0 && name != kind + ".txt") {
      parts.push_back(dir + "/" + name);
    }
  }
  std::sort(parts.begin(), parts.end());
  parts.insert(parts.begin(), dir + "/" + kind + ".txt");
  return parts;
}

// Where each person's name or alias was first defined ("actors.txt:12"), lower case.
using PersonPhrases = std::unordered_map<std::string, std::string>;

absl::Status LoadActorFile(const std::string& path, Dictionaries& d, PersonPhrases& seen) {
  auto file = ReadDictionary(path, d.digest_input);
  if (!file.ok()) return file.status();
  auto claim = [&](const Line& line, const std::string& phrase) -> absl::Status {
    std::string key;
    for (const auto& t : PhraseTokens(phrase)) key += t.lower + " ";
    const std::string here = Cat(file->name, ":", line.number);
    auto [it, inserted] = seen.emplace(key, here);
    if (inserted || it->second == here) return absl::OkStatus();  // new, or repeated on its line
    return LineError(*file, line, Cat("\"", phrase, "\" already names someone at ", it->second));
  };
  for (const Line& line : file->lines) {
    const auto f = Fields(line.text);
    if (f.size() != 3) return LineError(*file, line, "expected Name | aliases | roles");
    if (f[0].empty()) return LineError(*file, line, "missing name");
    Person person;
    person.name = f[0];
    for (const auto& role_text : List(f[2], ';')) {
      auto role = ParseRole(d, role_text);
      if (!role.ok()) return LineError(*file, line, std::string(role.status().message()));
      person.roles.push_back(*std::move(role));
    }
    if (person.roles.empty()) return LineError(*file, line, "a person needs at least one role");
    const int index = static_cast<int>(d.people.size());
    d.people.push_back(std::move(person));
    if (auto s = claim(line, f[0]); !s.ok()) return s;
    if (auto s = AddPhrase(d.actors, *file, line, f[0], EntryKind::kPerson, index); !s.ok()) {
      return s;
    }
    for (const auto& alias : List(f[1])) {
      if (auto s = claim(line, alias); !s.ok()) return s;
      if (auto s = AddPhrase(d.actors, *file, line, alias, EntryKind::kPerson, index); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status LoadAgents(const std::string& dir, Dictionaries& d) {
  auto file = ReadDictionary(dir + "/agents.txt", d.digest_input);
  if (!file.ok()) return file.status();
  for (const Line& line : file->lines) {
    const auto f = Fields(line.text);
    if (f.size() != 2) return LineError(*file, line, "expected ROLE [ROLE ...] | phrases");
    const auto roles = List(f[0], ' ');
    if (roles.empty()) return LineError(*file, line, "missing role code");
    for (const auto& r : roles) {
      if (r.size() != 3 || !IsUpperCode(r, 3)) {
        return LineError(*file, line, Cat("role code \"", r, "\" must be 3 capitals"));
      }
    }
    for (const auto& phrase : List(f[1])) {
      const int index = static_cast<int>(d.agents.size());
      d.agents.push_back(Agent{roles, phrase});
      auto tokens = PhraseTokens(phrase);
      if (tokens.empty()) return LineError(*file, line, "empty phrase");
      PhraseEntry entry{EntryKind::kAgent, index, CaseRule::kAny, {}};
      Insert(d.actors, tokens, entry);
      tokens.back().lower = Plural(tokens.back().lower);
      Insert(d.actors, tokens, entry);
    }
  }
  return absl::OkStatus();
}

absl::Status LoadKeyed(
    const std::string& path, bool required, Dictionaries& d,
    const std::function<absl::Status(const FileLines&, const Line&, const std::string&,
                                     const std::string&)>& add) {
  auto file = ReadDictionary(path, d.digest_input);
  if (!file.ok()) {
    if (!required && absl::IsNotFound(file.status())) return absl::OkStatus();
    return file.status();
  }
  for (const Line& line : file->lines) {
    const auto f = Fields(line.text);
    if (f.size() != 2 || f[0].empty() || f[1].empty()) {
      return LineError(*file, line, "expected KIND | phrase");
    }
    if (auto s = add(*file, line, f[0], f[1]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParsePattern(const FileLines& file, const Line& line, const std::string& text,
                          Pattern& p, Dictionaries& d) {
  int sources = 0, targets = 0, both = 0;
  for (const auto& el : List(text, ' ')) {
    PatternElement e;
    if (el == "~") {
      e.type = PatternElement::Type::kGap;
    } else if (el == "$") {
      e.type = PatternElement::Type::kSource;
      ++sources;
    } else if (el == "+") {
      e.type = PatternElement::Type::kTarget;
      ++targets;
    } else if (el == "%") {
      e.type = PatternElement::Type::kBoth;
      ++both;
    } else {
      // "*impose/slap": a star on the group makes every alternative a verb.
      const bool verb_group = !el.empty() && el[0] == '*';
      for (const auto& alt : List(el, '/')) {
        PatternElement::Alternative a;
        std::string word = alt;
        a.verb = verb_group;
        if (!word.empty() && word[0] == '*') {
          a.verb = true;
          word = word.substr(1);
        }
        word = text::ToLower(word);
        if (word.empty()) return LineError(file, line, "empty word in pattern");
        if (word.find_first_of("$+%~*") != std::string::npos) {
          return LineError(file, line, Cat("bad pattern word \"", alt, "\""));
        }
        a.word = word;
        if (a.verb) d.verb_lemmas[word] += 1;
        e.alternatives.push_back(std::move(a));
      }
      ++p.literal_count;
    }
    p.elements.push_back(std::move(e));
  }
  if (p.elements.empty()) return LineError(file, line, "empty pattern");
  if (p.elements[0].type != PatternElement::Type::kWords) {
    return LineError(file, line, "a pattern must start with a word or *verb");
  }
  if (sources > 1 || targets > 1 || both > 1 || (both == 1 && (sources + targets) > 0)) {
    return LineError(file, line, "at most one $ and one +, or one % alone");
  }
  p.starts_with_verb =
      std::any_of(p.elements[0].alternatives.begin(), p.elements[0].alternatives.end(),
                  [](const auto& a) { return a.verb; });
  const auto& last = p.elements.back();
  if (last.type == PatternElement::Type::kGap) {
    return LineError(file, line, "a pattern cannot end with ~");
  }
  return absl::OkStatus();
}

absl::Status LoadVerbFile(const std::string& path, int tier, Dictionaries& d,
                          const std::map<std::string, int>* known) {
  auto file = ReadDictionary(path, d.digest_input);
  if (!file.ok()) return file.status();
  for (const Line& line : file->lines) {
    const auto f = Fields(line.text);
    if (f.size() != 2 && f.size() != 3) {
      return LineError(*file, line, "expected CODE | pattern [| mutual]");
    }
    if (f.size() == 3 && f[2] != "mutual") {
      return LineError(*file, line, "the only pattern option is \"mutual\"");
    }
    const std::string& code = f[0];
    if (code.size() < 2 || code.size() > 4 ||
        !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return LineError(*file, line, "event code must be 2 to 4 digits (CAMEO)");
    }
    if (known != nullptr && !known->contains(code)) {
      return LineError(*file, line, Cat("event code ", code, " is not in the CAMEO table"));
    }
    Pattern p;
    p.code = code;
    p.text = f[1];
    p.location = Cat(file->name, ":", line.number);
    p.mutual = f.size() == 3;
    p.tier = tier;
    if (auto s = ParsePattern(*file, line, f[1], p, d); !s.ok()) return s;
    const int index = static_cast<int>(d.patterns.size());
    for (const auto& alt : p.elements[0].alternatives) {
      d.patterns_by_first_word[(alt.verb ? "v:" : "w:") + alt.word].push_back(index);
    }
    d.patterns.push_back(std::move(p));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<int64_t> ParseBoundDay(std::string_view text, bool end) {
  auto num = [](std::string_view s, int& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  core::CivilDate date;
  if (text.size() == 4) {
    if (!num(text, date.year)) return std::nullopt;
    date.month = end ? 12 : 1;
    date.day = end ? 31 : 1;
  } else if (text.size() == 7 && text[4] == '-') {
    if (!num(text.substr(0, 4), date.year) || !num(text.substr(5, 2), date.month) ||
        date.month < 1 || date.month > 12) {
      return std::nullopt;
    }
    date.day = end ? core::DaysInMonth(date.year, date.month) : 1;
  } else {
    auto parsed = core::ParseIsoDate(text);
    if (!parsed || text.size() != 10) return std::nullopt;
    date = *parsed;
  }
  return core::DaysFromCivil(date);
}

std::string Person::CodeOn(int64_t day, bool* in_role) const {
  for (const auto& r : roles) {
    if (r.dated && day >= r.from_day && day <= r.to_day) {
      if (in_role) *in_role = true;
      return r.code;
    }
  }
  for (const auto& r : roles) {
    if (!r.dated) {
      if (in_role) *in_role = true;
      return r.code;
    }
  }
  if (in_role) *in_role = false;
  const DatedRole* nearest = nullptr;
  int64_t best = INT64_MAX;
  for (const auto& r : roles) {
    const int64_t dist = day < r.from_day ? r.from_day - day : day - r.to_day;
    if (dist < best) {
      best = dist;
      nearest = &r;
    }
  }
  return nearest ? nearest->code : std::string();
}

std::pair<std::string, std::vector<std::string>> Dictionaries::SplitCode(
    std::string_view code) const {
  std::string country;
  for (std::size_t len = code.size(); len >= 3; --len) {
    const std::string prefix(code.substr(0, len));
    if (igo_by_code.contains(prefix) || (len == 3 && country_by_code.contains(prefix))) {
      country = prefix;
      break;
    }
  }
  std::vector<std::string> roles;
  if (country.empty()) return {country, roles};
  for (std::size_t i = country.size(); i + 3 <= code.size(); i += 3) {
    roles.emplace_back(code.substr(i, 3));
  }
  return {country, roles};
}

void IndexPatterns(Dictionaries& d) {
  auto intern = [&](const std::string& w) {
    return d.word_ids.emplace(w, static_cast<int>(d.word_ids.size())).first->second;
  };
  for (Pattern& p : d.patterns) {
    for (PatternElement& el : p.elements) {
      el.word_ids.clear();
      el.verb_ids.clear();
      for (const auto& alt : el.alternatives) {
        (alt.verb ? el.verb_ids : el.word_ids).push_back(intern(alt.word));
      }
      for (auto* ids : {&el.word_ids, &el.verb_ids}) {
        std::sort(ids->begin(), ids->end());
        ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
      }
    }
    p.required_ids.clear();
    std::size_t fewest = SIZE_MAX;
    for (std::size_t e = 1; e < p.elements.size(); ++e) {
      const PatternElement& el = p.elements[e];
      if (el.type != PatternElement::Type::kWords) continue;
      const std::size_t count = el.word_ids.size() + el.verb_ids.size();
      if (count == 0 || count >= fewest) continue;
      fewest = count;
      p.required_ids = el.word_ids;
      p.required_ids.insert(p.required_ids.end(), el.verb_ids.begin(), el.verb_ids.end());
    }
  }
  d.patterns_by_first_word_id.assign(d.word_ids.size(), {});
  d.patterns_by_first_verb_id.assign(d.word_ids.size(), {});
  for (std::size_t i = 0; i < d.patterns.size(); ++i) {
    const Pattern& p = d.patterns[i];
    if (p.elements.empty()) continue;
    for (int id : p.elements[0].word_ids) {
      d.patterns_by_first_word_id[static_cast<std::size_t>(id)].push_back(static_cast<int>(i));
    }
    for (int id : p.elements[0].verb_ids) {
      d.patterns_by_first_verb_id[static_cast<std::size_t>(id)].push_back(static_cast<int>(i));
    }
  }
}

absl::StatusOr<std::unique_ptr<Dictionaries>> LoadDictionaries(
    const std::string& dir, const std::map<std::string, int>* known_event_codes) {
  auto d = std::make_unique<Dictionaries>();
  if (internal::LooksLikePetrarchDir(dir)) {
    if (auto s = internal::LoadPetrarchDictionaries(dir, *d); !s.ok()) return s;
    return d;
  }
  if (auto s = LoadCountries(dir, *d); !s.ok()) return s;
  if (auto s = LoadIgos(dir, *d); !s.ok()) return s;
  PersonPhrases person_phrases;
  for (const std::string& path : PartFiles(dir, "actors")) {
    if (auto s = LoadActorFile(path, *d, person_phrases); !s.ok()) return s;
  }
  if (auto s = LoadAgents(dir, *d); !s.ok()) return s;
  const std::vector<std::string> verb_files = PartFiles(dir, "verbs");
  for (std::size_t tier = 0; tier < verb_files.size(); ++tier) {
    if (auto s = LoadVerbFile(verb_files[tier], static_cast<int>(tier), *d, known_event_codes);
        !s.ok()) {
      return s;
    }
  }
  auto add_reference = [&](const FileLines& file, const Line& line, const std::string& kind,
                           const std::string& phrase) -> absl::Status {
    ReferenceKind k;
    if (kind == "PAIR") {
      k = ReferenceKind::kPair;
    } else if (kind == "COUNTRIES") {
      k = ReferenceKind::kCountries;
    } else if (kind == "PLURAL") {
      k = ReferenceKind::kPlural;
    } else if (kind == "PERSON") {
      k = ReferenceKind::kPerson;
    } else {
      return LineError(file, line, "KIND must be PAIR, COUNTRIES, PLURAL or PERSON");
    }
    const int index = static_cast<int>(d->references.size());
    d->references.push_back(k);
    return AddPhrase(d->actors, file, line, phrase, EntryKind::kReference, index, false);
  };
  if (auto s = LoadKeyed(dir + "/references.txt", false, *d, add_reference); !s.ok()) return s;
  auto add_modifier = [&](const FileLines& file, const Line& line, const std::string& kind,
                          const std::string& phrase) -> absl::Status {
    static const std::map<std::string, ModifierKind> kKinds = {
        {"NEGATION", ModifierKind::kNegation},
        {"PLANNED", ModifierKind::kPlanned},
        {"THREATENED", ModifierKind::kThreatened},
        {"CONDITIONAL", ModifierKind::kConditional},
        {"CLAIMED", ModifierKind::kClaimed},
        {"CLAUSE", ModifierKind::kClause},
        {"PARENTHETICAL", ModifierKind::kParenthetical},
        {"LOCATIVE", ModifierKind::kLocative}};
    auto it = kKinds.find(kind);
    if (it == kKinds.end()) {
      return LineError(file, line,
                       "KIND must be NEGATION, PLANNED, THREATENED, CONDITIONAL, CLAIMED, CLAUSE, "
                       "PARENTHETICAL or LOCATIVE");
    }
    const int index = static_cast<int>(d->modifiers.size());
    d->modifiers.push_back(Modifier{it->second});
    return AddPhrase(d->modifiers_trie, file, line, phrase, EntryKind::kModifier, index, false);
  };
  if (auto s = LoadKeyed(dir + "/modifiers.txt", false, *d, add_modifier); !s.ok()) return s;
  auto add_discard = [&](const FileLines& file, const Line& line, const std::string& kind,
                         const std::string& phrase) -> absl::Status {
    if (kind != "SENTENCE" && kind != "ARTICLE") {
      return LineError(file, line, "KIND must be SENTENCE or ARTICLE");
    }
    const int index = static_cast<int>(d->discards.size());
    d->discards.push_back(Discard{kind == "ARTICLE"});
    return AddPhrase(d->discards_trie, file, line, phrase, EntryKind::kDiscard, index, false);
  };
  if (auto s = LoadKeyed(dir + "/discards.txt", false, *d, add_discard); !s.ok()) return s;
  if (auto s = LoadPlaces(dir, *d); !s.ok()) return s;
  IndexPatterns(*d);
  return d;
}

absl::StatusOr<CameoTable> CameoTable::Load(const std::string& path) {
  auto content = ReadFile(path);
  if (!content.ok()) return content.status();
  CameoTable table;
  int number = 0;
  const std::string name = BaseName(path);
  for (std::string_view raw : Split(*content, '\n')) {
    ++number;
    if (Strip(raw).empty()) continue;
    std::vector<std::string> cols;
    for (std::string_view c : Split(raw, '\t')) cols.emplace_back(c);
    if (number == 1) {
      if (cols.size() < 4 || cols[0] != "code" || cols[2] != "goldstein" ||
          cols[3] != "quad_class") {
        return absl::InvalidArgumentError(
            Cat(name, ":1: header must start code, name, goldstein, quad_class (TAB-separated)"));
      }
      continue;
    }
    auto err = [&](std::string_view what) {
      return absl::InvalidArgumentError(Cat(name, ":", number, ": ", what));
    };
    if (cols.size() < 4) return err("expected code TAB name TAB goldstein TAB quad_class");
    CameoCode row;
    row.code = cols[0];
    row.name = cols[1];
    const std::string& g = cols[2];
    auto [p1, e1] = std::from_chars(g.data(), g.data() + g.size(), row.goldstein);
    if (e1 != std::errc() || p1 != g.data() + g.size() || row.goldstein < -10 ||
        row.goldstein > 10) {
      return err(Cat("bad goldstein value \"", g, "\" (a number -10..10)"));
    }
    const std::string& q = cols[3];
    auto [p2, e2] = std::from_chars(q.data(), q.data() + q.size(), row.quad_class);
    if (e2 != std::errc() || p2 != q.data() + q.size() || row.quad_class < 1 ||
        row.quad_class > 4) {
      return err(Cat("bad quad_class \"", q, "\" (1..4)"));
    }
    if (table.index_.contains(row.code)) return err(Cat("code ", row.code, " twice"));
    table.index_[row.code] = static_cast<int>(table.rows_.size());
    table.rows_.push_back(std::move(row));
  }
  if (table.rows_.empty()) {
    return absl::InvalidArgumentError(Cat(name, ": no CAMEO codes"));
  }
  return table;
}

const CameoCode* CameoTable::Find(std::string_view code) const {
  for (std::size_t len : {code.size(), std::size_t{3}, std::size_t{2}}) {
    if (len > code.size()) continue;
    auto it = index_.find(std::string(code.substr(0, len)));
    if (it != index_.end()) return &rows_[static_cast<std::size_t>(it->second)];
  }
  return nullptr;
}

absl::StatusOr<ToneLexicon> ToneLexicon::Load(const std::string& path) {
  auto content = ReadFile(path);
  if (!content.ok()) return content.status();
  ToneLexicon lex;
  int number = 0;
  const std::string name = BaseName(path);
  for (std::string_view raw : Split(*content, '\n')) {
    ++number;
    if (raw.empty()) continue;
    const std::vector<std::string_view> cols = Split(raw, '\t');
    if (cols.size() < 2) {
      return absl::InvalidArgumentError(Cat(name, ":", number, ": expected token TAB valence"));
    }
    double v = 0;
    auto [p, ec] = std::from_chars(cols[1].data(), cols[1].data() + cols[1].size(), v);
    if (ec != std::errc() || p != cols[1].data() + cols[1].size()) {
      return absl::InvalidArgumentError(Cat(name, ":", number, ": bad valence \"", cols[1], "\""));
    }
    lex.valence_[std::string(cols[0])] = v;
  }
  return lex;
}

std::optional<double> ToneLexicon::Valence(std::string_view lower_word) const {
  auto it = valence_.find(lower_word);
  if (it == valence_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dyad::coder
