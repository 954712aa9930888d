// dyad's dictionaries (data/dictionaries/*.txt, format in data/dictionaries/README.md), loaded into
// memory, and the CAMEO event table and tone lexicon.
//
// Thread-safety: loaded objects are immutable; const methods may be called from many threads.
// Errors: the loaders return INVALID_ARGUMENT "<file>:<line>: <what is wrong>" for a malformed line
// and NOT_FOUND naming the file when a required file is missing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/core/dates.h"

namespace dyad::coder {

// A role code valid between two days (inclusive), or always when undated.
struct DatedRole {
  std::string code;  // full actor code: "USAGOV", "IGOUNO"
  bool dated = false;
  int64_t from_day = INT64_MIN;  // days since 1970-01-01 (core::DaysFromCivil)
  int64_t to_day = INT64_MAX;
};

struct Person {
  std::string name;
  std::vector<DatedRole> roles;
  // The code on `day`: the first dated role covering it, else the first undated role (both set
  // *in_role = true); else the code of the role nearest in time with *in_role = false (the caller
  // then keeps only its country: out of office, a name is no longer USAGOV).
  std::string CodeOn(int64_t day, bool* in_role = nullptr) const;
};

struct Country {
  std::string code;  // "PAK"
  std::string name;  // "Pakistan"
};

// A named place from places.txt: a city or a first-level region of a country.
struct Place {
  std::string name;
  int country = -1;  // index into Dictionaries::countries
  bool admin1 = false;
};

struct Igo {
  std::string code;  // "IGOUNO"
  std::string name;
};

enum class ReferenceKind { kPair, kCountries, kPlural, kPerson };
enum class ModifierKind {
  kNegation,
  kPlanned,
  kThreatened,
  kConditional,
  kClaimed,
  kClause,
  kParenthetical,
  kLocative
};

// One element of a verb pattern (see verbs.txt).
struct PatternElement {
  enum class Type { kWords, kGap, kSource, kTarget, kBoth };
  struct Alternative {
    std::string word;   // lower case
    bool verb = false;  // "*lemma": matches inflected forms
  };
  Type type = Type::kWords;
  std::vector<Alternative> alternatives;
  // The alternatives interned by IndexPatterns (Dictionaries::word_ids), sorted: literal words
  // and verb lemmas. Matching compares ids, not strings.
  std::vector<int> word_ids;
  std::vector<int> verb_ids;
};

struct Pattern {
  std::string code;
  std::vector<PatternElement> elements;
  int literal_count = 0;  // number of kWords elements (specificity)
  // Which file it came from: 0 = verbs.txt (hand-written, preferred), 1, 2, ... = verbs.<part>.txt
  // in name order (e.g. the generated verbs.petrarch2.txt), consulted where no better tier matches.
  int tier = 0;
  // "| mutual": a compound subject with no target ("A and B discussed") codes A→B and B→A.
  bool mutual = false;
  bool starts_with_verb = false;
  // Ids of the most selective literal element after the first (empty when there is none): a
  // pattern can only match a sentence holding one of them (filled by IndexPatterns).
  std::vector<int> required_ids;
  std::string location;  // "verbs.txt:12"
  std::string text;      // the pattern as written
};

// What a dictionary phrase names.
enum class EntryKind {
  kCountryName,   // "Pakistan" (COUNTRY place precision)
  kCountryAlias,  // "Pakistani", "Karachi"
  kSeat,          // "Islamabad", "White House": country + GOV as an actor, CITY as a place
  kPerson,
  kIgo,
  kAgent,
  kReference,
  kModifier,
  kDiscard,
  kPlace,
  kPetrarchActor,  // PETRARCH2 actor phrase: index into PetrarchDictionaries::actors
  kPetrarchAgent,  // PETRARCH2 agent phrase: index into PetrarchDictionaries::agents
};

enum class CaseRule {
  kAny,          // lower-case entry: any case
  kCapitalized,  // entry starts upper case: the text's first word must too
  kExact,        // short all-capitals entry ("US", "UN"): exact case
};

struct PhraseEntry {
  EntryKind kind = EntryKind::kCountryName;
  int index = 0;  // into the table of its kind
  CaseRule case_rule = CaseRule::kAny;
  std::vector<std::string> exact;  // the entry's tokens as written (for kExact)
};

// A trie over lower-case tokens.
struct PhraseNode {
  std::unordered_map<std::string, std::unique_ptr<PhraseNode>> next;
  std::vector<PhraseEntry> entries;
};

struct Agent {
  std::vector<std::string> roles;
  std::string phrase;
};

struct Modifier {
  ModifierKind kind = ModifierKind::kNegation;
};

struct Discard {
  bool article = false;
};

// ---- PETRARCH2-format dictionaries (see /work/shared/reference/petrarch2/README.md) ----

// An actor phrase's codes: date restrictions in file order, and undated defaults. A code may name
// several actors at once ("ELR/GAL"); "---" is the null actor (recognised, never coded).
struct PetrarchActor {
  std::vector<DatedRole> codes;
  std::string location;  // "file:line" of the primary phrase
  // The code on `day`: the first dated restriction covering it, else the first undated code, else
  // "" (no code on that day).
  std::string CodeOn(int64_t day) const;
};

// An agent: `code` goes after the actor's code ("[~GOV]"), or before it when `prefix` ("[NGO~]").
struct PetrarchAgent {
  std::string code;
  bool prefix = false;
  std::string location;
};

// One element of a PETRARCH2 verb pattern.
struct PetrarchToken {
  enum class Kind {
    kWord,      // a word (lower case); a trailing stem is not allowed
    kSynset,    // `word` names a synset (lower case, no '&')
    kSource,    // $
    kTarget,    // +
    kCompound,  // %: the compound actor ("both parties")
    kSkip,      // ^: an actor that is skipped (neither source nor target)
  };
  Kind kind = Kind::kWord;
  std::string word;
  bool joined = false;  // '_' after it: the next element must follow immediately
};

struct PetrarchPattern {
  std::vector<PetrarchToken> before;  // elements before '*', in text order
  std::vector<PetrarchToken> after;   // elements after '*'
  bool verb_joined_before = false;    // "IN_*": the last `before` element touches the verb
  bool verb_joined_after = false;     // "*_OUT": the verb touches the first `after` element
  std::string code;                   // "064", "032:033" (paired), "---" (null: no event)
  int block = -1;
  int literal_count = 0;  // words and synsets: specificity
  std::string location;   // "file:line"
};

// One verb (all its forms) of a verb block.
struct PetrarchVerb {
  // Each form's words (lower case); `head` indexes the word a parser would tag as the verb.
  struct Form {
    std::vector<std::string> words;
    std::size_t head = 0;
  };
  std::vector<Form> forms;
  std::string lemma;  // the verb as listed, lower case ("cordon off")
  std::string code;   // its own code, else "" (the block's)
  int block = -1;
};

struct PetrarchVerbBlock {
  std::string name;
  std::string code;           // the code of the isolated verb ("---" = none)
  std::vector<int> patterns;  // into PetrarchDictionaries::patterns, in file order
  std::string location;
};

struct PetrarchDictionaries {
  std::vector<PetrarchActor> actors;
  std::vector<PetrarchAgent> agents;
  std::vector<bool> discard_story;  // per discard phrase: the whole story is dropped
  std::vector<PetrarchVerbBlock> blocks;
  std::vector<PetrarchPattern> patterns;
  std::vector<PetrarchVerb> verbs;
  // Synset name (lower case, no '&', no trailing '_') → member phrases (lower-case words; regular
  // plurals included unless the name or the phrase ends in '_'). Members may name synsets.
  std::unordered_map<std::string, std::vector<std::vector<std::string>>> synsets;
  // A form's head word → (verb index, form index).
  std::unordered_map<std::string, std::vector<std::pair<int, int>>> forms_by_head;
  // Discard phrases (lower case; a phrase not ending in '_' also matches as a stem): "words" →
  // index into discard_story.
  std::vector<std::pair<std::string, bool>> discard_phrases;  // (phrase, exact_end)
  std::vector<std::string> transformations;                   // "~ ..." lines, as written
  std::size_t actor_phrases = 0;
  std::size_t agent_phrases = 0;
};

struct Dictionaries {
  // Set when the directory held PETRARCH2 dictionaries; `actors` then holds kPetrarchActor and
  // kPetrarchAgent entries and the dyad tables above stay empty.
  std::unique_ptr<PetrarchDictionaries> petrarch;
  std::vector<Country> countries;  // kCountryName, kCountryAlias, kSeat index here
  std::vector<Person> people;
  std::vector<Igo> igos;
  std::vector<Agent> agents;
  std::vector<ReferenceKind> references;
  std::vector<Modifier> modifiers;
  std::vector<Discard> discards;
  std::vector<Pattern> patterns;
  PhraseNode actors;  // countries, seats, people, IGOs, agents, references
  PhraseNode modifiers_trie;
  std::vector<Place> places;
  PhraseNode places_trie;  // places.txt (optional): entries of kind kPlace
  PhraseNode discards_trie;
  // Patterns by the lower-case word or verb lemma of their first element.
  std::unordered_map<std::string, std::vector<int>> patterns_by_first_word;
  std::unordered_map<std::string, int> country_by_code;
  std::unordered_map<std::string, int> igo_by_code;
  // Verb lemmas used by patterns (the lemmatiser's lexicon).
  std::unordered_map<std::string, int> verb_lemmas;
  // Every word and verb lemma of every pattern, interned; and the patterns by the id of their
  // first element's words / verbs (filled by IndexPatterns).
  struct WordHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int, WordHash, std::equal_to<>> word_ids;
  std::vector<std::vector<int>> patterns_by_first_word_id;
  std::vector<std::vector<int>> patterns_by_first_verb_id;
  // SHA-256 of every file read, in order (for the coder version).
  std::string digest_input;

  // Splits an actor code into its country/IGO part and role codes ("PAKGOV" → "PAK", {"GOV"};
  // "IGOUNO" → "IGOUNO", {}). The longest known country or IGO code prefix wins.
  std::pair<std::string, std::vector<std::string>> SplitCode(std::string_view code) const;
};

// Loads countries.txt, actors.txt (then actors.*.txt in name order), agents.txt, igos.txt,
// verbs.txt and the optional references.txt, modifiers.txt, discards.txt from `dir`. Codes in
// verbs.txt are checked against `known_event_codes` when it is non-null.
// A directory without countries.txt that holds PETRARCH2 files (a verbs file: CAMEO*.txt or
// *verbs*.txt; *actors*.txt; optional *agents*.txt, *discards*.txt) is read as PETRARCH2
// dictionaries into Dictionaries::petrarch (event codes are not checked: the validation set uses
// WEIS codes). Two-digit years in date restrictions: YY >= 30 → 19YY, else 20YY. Invalid UTF-8
// bytes are replaced by U+FFFD (the files carry some mojibake); 0x1A is an ordinary byte.
absl::StatusOr<std::unique_ptr<Dictionaries>> LoadDictionaries(
    const std::string& dir, const std::map<std::string, int>* known_event_codes = nullptr);

// Interns the words of every pattern and fills the id-based indexes above (idempotent). Done by
// LoadDictionaries; call it again after adding patterns by hand.
void IndexPatterns(Dictionaries& d);

// Parses "YYYY", "YYYY-MM" or "YYYY-MM-DD"; `end` chooses the last day of a year or month.
std::optional<int64_t> ParseBoundDay(std::string_view text, bool end);

// One row of the CAMEO event table.
struct CameoCode {
  std::string code;
  std::string name;
  double goldstein = 0;
  int quad_class = 0;
};

class CameoTable {
 public:
  // Reads the TSV (header: code, name, goldstein, quad_class, ...). Errors name file:line.
  static absl::StatusOr<CameoTable> Load(const std::string& path);
  // The row for `code`, else its 3-digit base, else its 2-digit root; nullptr when none.
  const CameoCode* Find(std::string_view code) const;
  const std::map<std::string, int>& index() const { return index_; }

 private:
  std::vector<CameoCode> rows_;
  std::map<std::string, int> index_;
};

class ToneLexicon {
 public:
  // VADER format: token TAB mean-valence TAB ... Errors name file:line.
  static absl::StatusOr<ToneLexicon> Load(const std::string& path);
  // Valence -4..4 of a lower-case word, or nullopt.
  std::optional<double> Valence(std::string_view lower_word) const;
  bool empty() const { return valence_.empty(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, double, Hash, std::equal_to<>> valence_;
};

}  // namespace dyad::coder
