#include "dyad/coder/coder.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "dyad/coder/dictionary.h"
#include "dyad/core/data_dir.h"
#include "dyad/core/ids.h"
#include "dyad/core/utf8.h"
#include "dyad/tagger/lemmatizer.h"
#include "dyad/tagger/pos_tagger.h"
#include "dyad/text/date_expressions.h"
#include "dyad/text/normalize.h"
#include "dyad/text/sentences.h"
#include "dyad/text/tokens.h"
#include "modality_codes.h"
#include "petrarch_dictionary.h"
#include "spdlog/spdlog.h"
#include "strings.h"

#ifndef DYAD_DEFAULT_DATA_DIR
#define DYAD_DEFAULT_DATA_DIR "data"
#endif

namespace dyad::coder {
namespace {

using internal::Cat;
using internal::Split;
using internal::Strip;

constexpr std::string_view kCoderVersion = "dyad-coder/0.1";
constexpr std::size_t kMaxTokensPerSentence = 200;
constexpr std::size_t kMaxSentences = 5000;
constexpr std::size_t kMaxEventsPerArticle = 2000;
constexpr std::size_t kMaxPhraseTokens = 10;
constexpr int kGapMax = 3;

using text::Token;

// An actor as the text names it; its code depends on the event date (office holders).
struct ActorRef {
  std::size_t begin = 0;  // normalised byte offsets of the words naming it
  std::size_t end = 0;
  int person = -1;
  int igo = -1;
  int country = -1;
  bool seat = false;
  std::vector<std::string> agent_roles;
  bool from_reference = false;
  bool default_country = false;  // agent only: the dateline's country stands in
};

struct Mention {
  std::size_t first = 0;
  std::size_t end = 0;
  const PhraseEntry* entry = nullptr;
};

// One actor, or several joined by "and" ("India and Pakistan"), or a reference ("both countries").
struct NounPhrase {
  std::size_t first = 0;  // token range
  std::size_t end = 0;
  std::vector<ActorRef> actors;
  bool modifier = false;    // "Pakistan's exports", "Pakistan-US ties"
  bool possessive = false;  // the modifier is a possessive: "Putin's response" (may be an object)
  bool place_only = false;  // after a locative preposition: "in Islamabad"
  bool adjacent_possessive = false;
  int place_kind = 0;  // 1 country name, 2 seat or city
};

struct ModifierHit {
  std::size_t first = 0;
  std::size_t end = 0;
  ModifierKind kind;
};

struct PatternMatch {
  int pattern = -1;
  std::size_t first = 0;
  std::size_t end = 0;          // after the last element
  std::size_t trigger_end = 0;  // after the last literal word
  int source_np = -1;
  int target_np = -1;
  int both_np = -1;
  bool keep = true;
};

// Actors named so far in the article, for "the two leaders", "both countries", "they".
class Memory {
 public:
  void Add(const ActorRef& a) {
    recent_.push_back(a);
    if (recent_.size() > 32) recent_.erase(recent_.begin());
    // The first person named in a sentence (usually its subject) is the preferred antecedent of
    // "he" and "the minister" (centering: the subject of the previous sentence).
    if (a.person >= 0 && (!has_lead_person_ || lead_person_sentence_ != sentence_)) {
      lead_person_ = a;
      lead_person_sentence_ = sentence_;
      has_lead_person_ = true;
    }
  }
  void SetGroup(const std::vector<ActorRef>& group) {
    group_ = group;
    group_sentence_ = sentence_;
  }
  // The sentence being coded: "they" only refers to a group named in it or the one before.
  void SetSentence(std::size_t sentence) { sentence_ = sentence; }

  std::vector<ActorRef> Resolve(ReferenceKind kind) const {
    switch (kind) {
      case ReferenceKind::kPerson:
        if (has_lead_person_) return {lead_person_};
        return {};
      case ReferenceKind::kCountries: {
        std::vector<ActorRef> out;
        for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < 2; ++it) {
          const int c = CountryOf(*it);
          if (c < 0) continue;
          if (std::any_of(out.begin(), out.end(),
                          [&](const ActorRef& o) { return o.country == c; })) {
            continue;
          }
          ActorRef bare;
          bare.country = c;
          out.push_back(bare);
        }
        return out.size() == 2 ? out : std::vector<ActorRef>{};
      }
      case ReferenceKind::kPlural:
        if (group_.size() >= 2 && sentence_ <= group_sentence_ + 1) return group_;
        return {};
      case ReferenceKind::kPair: {
        std::vector<ActorRef> out;
        for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < 2; ++it) {
          if (it->person < 0) continue;
          if (std::any_of(out.begin(), out.end(),
                          [&](const ActorRef& o) { return o.person == it->person; })) {
            continue;
          }
          out.push_back(*it);
        }
        if (out.size() == 2) return out;
        out.clear();
        for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < 2; ++it) {
          if (it->agent_roles.empty() && it->person < 0) continue;
          if (std::any_of(out.begin(), out.end(),
                          [&](const ActorRef& o) { return CountryOf(o) == CountryOf(*it); })) {
            continue;
          }
          out.push_back(*it);
        }
        return out.size() == 2 ? out : std::vector<ActorRef>{};
      }
    }
    return {};
  }

  // Country index of an actor, known without the date (people: their first role's country).
  std::function<int(const ActorRef&)> country_of;

 private:
  int CountryOf(const ActorRef& a) const { return country_of ? country_of(a) : a.country; }
  std::vector<ActorRef> recent_;
  ActorRef lead_person_;
  std::size_t lead_person_sentence_ = 0;
  bool has_lead_person_ = false;
  std::vector<ActorRef> group_;
  std::size_t sentence_ = 0;
  std::size_t group_sentence_ = 0;
};

struct FinalActor {
  std::string country;
  std::vector<std::string> roles;
  std::string code;
  std::string name;
};

v1::DateGranularity ToProto(text::DateGranularity g) {
  switch (g) {
    case text::DateGranularity::kDay:
      return v1::DATE_GRANULARITY_DAY;
    case text::DateGranularity::kWeek:
      return v1::DATE_GRANULARITY_WEEK;
    case text::DateGranularity::kMonth:
      return v1::DATE_GRANULARITY_MONTH;
    case text::DateGranularity::kYear:
      return v1::DATE_GRANULARITY_YEAR;
  }
  return v1::DATE_GRANULARITY_UNSPECIFIED;
}

v1::DateResolution ToProto(text::DateResolution r) {
  switch (r) {
    case text::DateResolution::kAbsolute:
      return v1::DATE_RESOLUTION_ABSOLUTE;
    case text::DateResolution::kPartial:
      return v1::DATE_RESOLUTION_PARTIAL;
    case text::DateResolution::kRelative:
      return v1::DATE_RESOLUTION_RELATIVE;
  }
  return v1::DATE_RESOLUTION_UNSPECIFIED;
}

// A verb by its tag; or, fixing a frequent tagger error, an -ing/-ed word tagged as an adjective
// or noun right after a form of "be" or "have" ("is slapping sanctions", "has sanctioned").
bool TaggedAsVerb(const std::vector<Token>& tokens, const std::vector<tagger::PosTag>& tags,
                  std::size_t i) {
  if (tagger::IsVerbXpos(tags[i].xpos)) return true;
  const std::string& w = tokens[i].lower;
  const bool participle =
      (w.size() > 4 && w.ends_with("ing")) || (w.size() > 3 && w.ends_with("ed"));
  if (!participle) return false;
  std::size_t k = i;
  while (k > 0 && tags[k - 1].xpos == tagger::Xpos::kRB) --k;  // "is now slapping"
  if (k == 0) return false;
  static const std::set<std::string_view> kAuxiliaries = {
      "is", "are", "was", "were", "am", "be", "been", "being", "has", "have", "had", "'s", "'re"};
  return kAuxiliaries.contains(tokens[k - 1].lower);
}

int EntryPriority(EntryKind k) {
  switch (k) {
    case EntryKind::kPerson:
      return 0;
    case EntryKind::kIgo:
      return 1;
    case EntryKind::kReference:
      return 2;
    case EntryKind::kCountryName:
      return 3;
    case EntryKind::kSeat:
      return 4;
    case EntryKind::kCountryAlias:
      return 5;
    case EntryKind::kAgent:
      return 6;
    default:
      return 9;
  }
}

bool CaseOk(const PhraseEntry& e, const std::vector<Token>& tokens, std::size_t i) {
  switch (e.case_rule) {
    case CaseRule::kAny:
      return true;
    case CaseRule::kCapitalized:
      return tokens[i].Capitalized();
    case CaseRule::kExact:
      for (std::size_t k = 0; k < e.exact.size(); ++k) {
        if (i + k >= tokens.size() || tokens[i + k].text != e.exact[k]) return false;
      }
      return true;
  }
  return false;
}

// Longest phrase of `root` at tokens[i] whose case rule holds; the best entry by priority.
std::pair<std::size_t, const PhraseEntry*> LongestMatch(const PhraseNode& root,
                                                        const std::vector<Token>& tokens,
                                                        std::size_t i) {
  const PhraseNode* node = &root;
  std::size_t best_len = 0;
  const PhraseEntry* best = nullptr;
  for (std::size_t k = i; k < tokens.size() && k - i < kMaxPhraseTokens; ++k) {
    auto it = node->next.find(tokens[k].lower);
    if (it == node->next.end()) break;
    node = it->second.get();
    const PhraseEntry* chosen = nullptr;
    for (const auto& e : node->entries) {
      if (!CaseOk(e, tokens, i)) continue;
      if (chosen == nullptr || EntryPriority(e.kind) < EntryPriority(chosen->kind)) chosen = &e;
    }
    if (chosen != nullptr) {
      best_len = k - i + 1;
      best = chosen;
    }
  }
  return {best_len, best};
}

std::string RoleString(const std::vector<std::string>& roles) {
  std::string s;
  for (const auto& r : roles) s += r;
  return s;
}

}  // namespace

class Coder::Impl {
 public:
  CoderOptions options;
  std::unique_ptr<Dictionaries> dict;
  CameoTable cameo;
  std::optional<ToneLexicon> tone;
  std::optional<tagger::PosTagger> pos_tagger;
  tagger::Lemmatizer lemmatizer;  // rules only unless a lemma table is loaded
  std::string version;

  // With a `deadline`, checked before each sentence: when it has passed, returns no events and
  // sets *expired (the sentences coded so far in *expired_after).
  std::vector<v1::Event> Code(const v1::Article& article, const core::CivilDate& published,
                              bool split_sentences, const CodingOverrides* overrides = nullptr,
                              const std::chrono::steady_clock::time_point* deadline = nullptr,
                              bool* expired = nullptr, std::size_t* expired_after = nullptr) const;

 private:
  struct Context {
    const v1::Article* article = nullptr;
    const text::NormalizedText* norm = nullptr;
    int64_t pub_day = 0;
    core::CivilDate published;
    int dateline_country = -1;
    v1::Place dateline_place;
    bool has_dateline_place = false;
    Memory memory;
    std::vector<v1::Event> events;
    double tone_sum = 0;
    int tone_count = 0;
    bool discard_article = false;
    // Named countries counted over the sentences coded so far: the article's focus country
    // stands in for an agent with no country of its own when there is no dateline.
    std::map<int, int> country_mentions;
  };

  // An event's article and sentence fields (offsets into Article.body); both coding paths add
  // the actors, codes, date and the rest.
  static v1::Event NewEvent(const Context& ctx, std::size_t sentence_index,
                            std::size_t sentence_begin, std::size_t sentence_end,
                            std::size_t trigger_begin, std::size_t trigger_end) {
    v1::Event ev;
    ev.set_article_id(ctx.article->id());
    ev.set_article_url(ctx.article->url());
    ev.set_publisher(ctx.article->source());
    if (ctx.article->has_published_at()) *ev.mutable_published_at() = ctx.article->published_at();
    ev.set_sentence_index(static_cast<int32_t>(sentence_index));
    ev.set_sentence_begin(static_cast<int32_t>(sentence_begin));
    ev.set_sentence_end(static_cast<int32_t>(sentence_end));
    ev.set_sentence(ctx.article->body().substr(sentence_begin, sentence_end - sentence_begin));
    ev.set_trigger_begin(static_cast<int32_t>(trigger_begin));
    ev.set_trigger_end(static_cast<int32_t>(trigger_end));
    return ev;
  }

  int CountryOfRef(const ActorRef& a) const {
    if (a.country >= 0) return a.country;
    if (a.person >= 0) {
      const auto& roles = dict->people[static_cast<std::size_t>(a.person)].roles;
      if (!roles.empty()) {
        const auto split = dict->SplitCode(roles.front().code);
        auto it = dict->country_by_code.find(split.first);
        if (it != dict->country_by_code.end()) return it->second;
      }
    }
    return -1;
  }

  FinalActor Finalize(const ActorRef& a, int64_t day) const {
    FinalActor f;
    std::vector<std::string> roles;
    if (a.person >= 0) {
      const Person& p = dict->people[static_cast<std::size_t>(a.person)];
      bool in_role = false;
      const std::string code = p.CodeOn(day, &in_role);
      auto split = dict->SplitCode(code);
      f.country = split.first;
      roles = in_role ? split.second : a.agent_roles;
      f.name = p.name;
    } else if (a.igo >= 0) {
      const Igo& igo = dict->igos[static_cast<std::size_t>(a.igo)];
      f.country = igo.code;
      f.name = igo.name;
      roles = a.agent_roles;
    } else if (a.country >= 0) {
      const Country& c = dict->countries[static_cast<std::size_t>(a.country)];
      f.country = c.code;
      f.name = c.name;
      roles = a.agent_roles;
      if (a.seat && roles.empty()) roles.push_back("GOV");
    }
    for (const auto& r : roles) {
      if (std::find(f.roles.begin(), f.roles.end(), r) == f.roles.end()) f.roles.push_back(r);
    }
    f.code = f.country + RoleString(f.roles);
    return f;
  }

  void CodeSentence(Context& ctx, std::size_t sentence_index, text::Span span) const;
  void CodePetrarchSentence(Context& ctx, std::size_t sentence_index, text::Span span,
                            const CodingOverrides* overrides) const;
};

void Coder::Impl::CodeSentence(Context& ctx, std::size_t sentence_index, text::Span span) const {
  const std::string& norm = ctx.norm->text;
  const std::string_view sent(norm.data() + span.begin, span.end - span.begin);
  const std::vector<Token> tokens = text::Tokenize(sent, span.begin, kMaxTokensPerSentence);
  const std::size_t n = tokens.size();
  if (n == 0) return;

  // Tone over every sentence.
  if (tone) {
    for (const auto& t : tokens) {
      if (auto v = tone->Valence(t.lower)) {
        ctx.tone_sum += *v;
        ++ctx.tone_count;
      }
    }
  }

  // Discards.
  for (std::size_t i = 0; i < n; ++i) {
    auto [len, entry] = LongestMatch(dict->discards_trie, tokens, i);
    if (entry != nullptr) {
      if (dict->discards[static_cast<std::size_t>(entry->index)].article)
        ctx.discard_article = true;
      return;
    }
  }

  // Modifiers and clauses.
  std::vector<ModifierHit> hits;
  std::vector<int> clause(n, 0);
  std::vector<bool> locative_before(n + 1, false);
  {
    int counter = 0;
    int current = 0;
    int saved = -1;
    std::size_t i = 0;
    while (i < n) {
      auto [len, entry] = LongestMatch(dict->modifiers_trie, tokens, i);
      if (entry != nullptr) {
        const ModifierKind kind = dict->modifiers[static_cast<std::size_t>(entry->index)].kind;
        if (kind == ModifierKind::kClause) {
          current = ++counter;
          saved = -1;
        } else if (kind == ModifierKind::kParenthetical) {
          saved = current;
          current = ++counter;
        } else if (kind == ModifierKind::kLocative) {
          locative_before[i + len] = true;
        }
        hits.push_back(ModifierHit{i, i + len, kind});
        for (std::size_t k = i; k < i + len; ++k) clause[k] = current;
        i += len;
        continue;
      }
      clause[i] = current;
      if (saved >= 0 && tokens[i].IsPunct(',')) {
        current = saved;  // the aside ends; the comma belongs to it
        saved = -1;
      }
      ++i;
    }
  }

  // Actor mentions (longest match).
  std::vector<Mention> mentions;
  std::vector<int> mention_at(n, -1);  // token → mention covering it
  for (std::size_t i = 0; i < n;) {
    auto [len, entry] = LongestMatch(dict->actors, tokens, i);
    if (entry == nullptr) {
      ++i;
      continue;
    }
    for (std::size_t k = i; k < i + len; ++k) mention_at[k] = static_cast<int>(mentions.size());
    mentions.push_back(Mention{i, i + len, entry});
    i += len;
  }

  // Mentions → actor groups → noun phrases.
  struct Group {
    std::size_t first, end;
    std::vector<ActorRef> actors;  // one, or the antecedents of a reference
    bool reference = false;
    ReferenceKind reference_kind = ReferenceKind::kPair;
    bool modifier = false;
    bool possessive = false;
    bool has_agent_only = false;
    int place_kind = 0;
  };
  // The country an agent without one of its own belongs to ("police said"): the dateline's,
  // else the one named most often in the article so far, else the first named in the sentence.
  int fallback_country = ctx.dateline_country;
  if (fallback_country < 0 && !ctx.country_mentions.empty()) {
    int best = 0;
    for (const auto& [country, count] : ctx.country_mentions) {
      if (count > best) {
        best = count;
        fallback_country = country;
      }
    }
  }
  for (std::size_t k = 0; k < mentions.size() && fallback_country < 0; ++k) {
    const PhraseEntry* e = mentions[k].entry;
    if (e->kind == EntryKind::kCountryName || e->kind == EntryKind::kCountryAlias ||
        e->kind == EntryKind::kSeat) {
      fallback_country = e->index;
    } else if (e->kind == EntryKind::kPerson) {
      ActorRef person;
      person.person = e->index;
      fallback_country = CountryOfRef(person);
    }
  }
  std::vector<Group> groups;
  for (std::size_t m = 0; m < mentions.size();) {
    Group g;
    g.first = mentions[m].first;
    g.end = mentions[m].end;
    const PhraseEntry* e = mentions[m].entry;
    if (e->kind == EntryKind::kReference) {
      // Resolved below, in text order, against the actors named before it.
      g.reference = true;
      g.reference_kind = dict->references[static_cast<std::size_t>(e->index)];
      groups.push_back(std::move(g));
      ++m;
      continue;
    }
    std::size_t last = m;
    // Join mentions: adjacent, across a possessive, or "<agent> of [the] <country>".
    while (last + 1 < mentions.size()) {
      const Mention& a = mentions[last];
      const Mention& b = mentions[last + 1];
      if (b.entry->kind == EntryKind::kReference) break;
      bool join = b.first == a.end;
      if (!join && b.first == a.end + 1 && tokens[a.end].kind == text::TokenKind::kPossessive) {
        join = true;
      }
      if (!join && a.entry->kind == EntryKind::kAgent && tokens[a.end].lower == "of" &&
          (b.first == a.end + 1 || (b.first == a.end + 2 && tokens[a.end + 1].lower == "the")) &&
          b.entry->kind != EntryKind::kAgent && b.entry->kind != EntryKind::kPerson) {
        join = true;
      }
      if (!join) break;
      ++last;
    }
    ActorRef actor;
    actor.begin = tokens[mentions[m].first].begin;
    actor.end = tokens[mentions[last].end - 1].end;
    bool any_named = false;
    for (std::size_t k = m; k <= last; ++k) {
      const PhraseEntry* ek = mentions[k].entry;
      switch (ek->kind) {
        case EntryKind::kPerson:
          if (actor.person < 0) actor.person = ek->index;
          any_named = true;
          break;
        case EntryKind::kIgo:
          if (actor.igo < 0) actor.igo = ek->index;
          any_named = true;
          break;
        case EntryKind::kCountryName:
        case EntryKind::kCountryAlias:
        case EntryKind::kSeat:
          if (actor.country < 0) {
            actor.country = ek->index;
            actor.seat = ek->kind == EntryKind::kSeat;
            g.place_kind = ek->kind == EntryKind::kCountryName ? 1 : 2;
          }
          any_named = true;
          break;
        case EntryKind::kAgent:
          for (const auto& r : dict->agents[static_cast<std::size_t>(ek->index)].roles) {
            if (std::find(actor.agent_roles.begin(), actor.agent_roles.end(), r) ==
                actor.agent_roles.end()) {
              actor.agent_roles.push_back(r);
            }
          }
          break;
        default:
          break;
      }
    }
    g.end = mentions[last].end;
    // "the minister", "the president": a title alone, after a person was named, is that person.
    const bool definite_title = !any_named && m == last && mentions[m].first > 0 &&
                                tokens[mentions[m].first - 1].lower == "the" &&
                                tokens[mentions[m].end - 1].lower.back() != 's';
    if (definite_title) {
      const auto person = ctx.memory.Resolve(ReferenceKind::kPerson);
      if (!person.empty()) {
        actor = person.front();
        actor.begin = tokens[mentions[m].first].begin;
        actor.end = tokens[mentions[m].end - 1].end;
        actor.from_reference = true;
        any_named = true;
      }
    }
    if (!any_named) {
      g.has_agent_only = true;
      if (fallback_country >= 0) {
        actor.country = fallback_country;
        actor.default_country = true;
      }
    }
    if (actor.person >= 0 || actor.igo >= 0 || actor.country >= 0) g.actors.push_back(actor);
    // A modifier: "Pakistan's exports", "Pakistan-US ties".
    if (g.end < n && tokens[g.end].kind == text::TokenKind::kPossessive &&
        (g.end + 1 >= n || mention_at[g.end + 1] < 0)) {
      g.modifier = true;
      g.possessive = true;
    }
    if (g.end + 1 < n && tokens[g.end].IsPunct('-') &&
        tokens[g.end].end == tokens[g.end + 1].begin && mention_at[g.end + 1] >= 0) {
      g.modifier = true;
    }
    if (g.first > 0 && tokens[g.first - 1].IsPunct('-') && !groups.empty() &&
        groups.back().end == g.first - 1) {
      g.modifier = true;
    }
    groups.push_back(std::move(g));
    m = last + 1;
  }

  std::vector<NounPhrase> nps;
  std::vector<int> np_at(n + 1, -1);  // first token (or a leading "the") → noun phrase
  auto resolve_reference = [&](Group& g) {
    if (!g.reference) return;
    g.actors.clear();
    for (ActorRef a : ctx.memory.Resolve(g.reference_kind)) {
      a.begin = tokens[g.first].begin;
      a.end = tokens[g.end - 1].end;
      a.from_reference = true;
      g.actors.push_back(std::move(a));
    }
  };
  for (std::size_t gi = 0; gi < groups.size();) {
    resolve_reference(groups[gi]);
    NounPhrase np;
    np.first = groups[gi].first;
    np.end = groups[gi].end;
    np.actors = groups[gi].actors;
    np.modifier = groups[gi].modifier;
    np.possessive = groups[gi].possessive;
    np.place_kind = groups[gi].place_kind;
    bool any_reference = groups[gi].reference;
    bool all_agent_only = groups[gi].has_agent_only;
    // "A and B", "A, B and C" (a comma list only counts when "and" closes it).
    std::size_t gj = gi;
    std::size_t last_and = gi;
    while (gj + 1 < groups.size()) {
      const Group& next = groups[gj + 1];
      std::size_t k = groups[gj].end;
      if (k >= n) break;
      bool joined_by_and = false;
      if (tokens[k].IsPunct(',')) {
        ++k;
        if (k < n && tokens[k].lower == "and") {
          ++k;
          joined_by_and = true;
        }
      } else if (tokens[k].lower == "and") {
        ++k;
        joined_by_and = true;
      } else {
        break;
      }
      if (k < n && (tokens[k].lower == "the" || tokens[k].lower == "both")) ++k;
      if (next.first != k || next.modifier) break;
      ++gj;
      if (joined_by_and) last_and = gj;
      if (joined_by_and) break;
    }
    gj = last_and;
    for (std::size_t g = gi + 1; g <= gj; ++g) {
      resolve_reference(groups[g]);
      np.end = groups[g].end;
      for (const auto& a : groups[g].actors) np.actors.push_back(a);
      any_reference = any_reference || groups[g].reference;
      all_agent_only = all_agent_only && groups[g].has_agent_only;
    }
    gi = gj + 1;
    if (np.actors.empty()) continue;
    // "in Islamabad", "in the US": a place, not an actor.
    std::size_t before = np.first;
    if (before > 0 && tokens[before - 1].lower == "the") --before;
    if (locative_before[before] && !any_reference &&
        std::all_of(np.actors.begin(), np.actors.end(),
                    [](const ActorRef& a) { return a.person < 0 && a.agent_roles.empty(); })) {
      np.place_only = true;
    }
    // Memory, in text order.
    if (!any_reference && !np.place_only) {
      for (const auto& a : np.actors) {
        if (a.default_country) continue;
        ctx.memory.Add(a);
        if (const int c = CountryOfRef(a); c >= 0) ++ctx.country_mentions[c];
      }
      if (np.actors.size() >= 2) ctx.memory.SetGroup(np.actors);
    } else if (any_reference && np.actors.size() >= 2) {
      ctx.memory.SetGroup(np.actors);
    }
    (void)all_agent_only;
    const int index = static_cast<int>(nps.size());
    np_at[np.first] = index;
    if (np.first > 0 && tokens[np.first - 1].lower == "the" && np_at[np.first - 1] < 0) {
      np_at[np.first - 1] = index;
    }
    nps.push_back(std::move(np));
  }

  // An event needs two actors (two noun phrases, "A and B", or a reference to a pair such as
  // "both countries"); places are not actors.
  std::size_t actor_count = 0;
  for (const auto& np : nps) {
    if (!np.place_only) actor_count += np.actors.size();
  }
  if (actor_count < 2) return;

  // Pattern matches. Each token's words (its singular forms) and verb lemma candidates, as the
  // interned ids the patterns use.
  // With a tagger, a verb element only matches a word tagged as a verb: "talks", "visit",
  // "attacks" as nouns are not verbs.
  std::vector<tagger::PosTag> tags;
  if (pos_tagger.has_value()) {
    std::vector<std::string_view> words;
    words.reserve(n);
    for (const auto& t : tokens) words.push_back(t.text);
    pos_tagger->Tag(words, &tags);
  }
  std::vector<std::vector<int>> word_ids_at(n);
  std::vector<std::vector<int>> verb_ids_at(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (tokens[i].kind != text::TokenKind::kWord && tokens[i].kind != text::TokenKind::kNumber) {
      continue;
    }
    // The word and its singular forms ("tariffs" → "tariff", "countries" → "country"), looked up
    // without building strings but for the "-ies" case.
    const std::string_view w = tokens[i].lower;
    auto add_word = [&](std::string_view form) {
      auto it = dict->word_ids.find(form);
      if (it != dict->word_ids.end()) word_ids_at[i].push_back(it->second);
    };
    add_word(w);
    if (w.size() > 2 && w.back() == 's') add_word(w.substr(0, w.size() - 1));
    if (w.size() > 3 && w.ends_with("es")) add_word(w.substr(0, w.size() - 2));
    if (w.size() > 4 && w.ends_with("ies")) add_word(std::string(w.substr(0, w.size() - 3)) + "y");
    if (!tags.empty() && !TaggedAsVerb(tokens, tags, i)) continue;
    // Verb lemmas: an id only verb patterns use is harmless for the rest (and vice versa).
    auto add_verb = [&](std::string_view lemma) {
      auto it = dict->word_ids.find(lemma);
      if (it != dict->word_ids.end()) verb_ids_at[i].push_back(it->second);
    };
    if (!tags.empty()) add_verb(lemmatizer.Lemma(w, tags[i].xpos));  // "sought"
    for (const auto& l : text::VerbLemmaCandidates(w)) add_verb(l);
  }
  auto any_in = [](const std::vector<int>& ids, const std::vector<int>& sorted) {
    for (int id : ids) {
      if (std::binary_search(sorted.begin(), sorted.end(), id)) return true;
    }
    return false;
  };
  // Every id in the sentence, to skip patterns whose required words are absent.
  std::vector<int> sentence_ids;
  for (std::size_t i = 0; i < n; ++i) {
    sentence_ids.insert(sentence_ids.end(), word_ids_at[i].begin(), word_ids_at[i].end());
    sentence_ids.insert(sentence_ids.end(), verb_ids_at[i].begin(), verb_ids_at[i].end());
  }
  std::sort(sentence_ids.begin(), sentence_ids.end());
  auto element_matches = [&](const PatternElement& el, std::size_t i) {
    return any_in(word_ids_at[i], el.word_ids) || any_in(verb_ids_at[i], el.verb_ids);
  };

  std::vector<PatternMatch> matches;
  std::vector<int> candidates;
  for (std::size_t i = 0; i < n; ++i) {
    if (tokens[i].kind != text::TokenKind::kWord) continue;
    candidates.clear();
    for (int id : word_ids_at[i]) {
      const auto& ps = dict->patterns_by_first_word_id[static_cast<std::size_t>(id)];
      candidates.insert(candidates.end(), ps.begin(), ps.end());
    }
    for (int id : verb_ids_at[i]) {
      const auto& ps = dict->patterns_by_first_verb_id[static_cast<std::size_t>(id)];
      candidates.insert(candidates.end(), ps.begin(), ps.end());
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (int pi : candidates) {
      const Pattern& p = dict->patterns[static_cast<std::size_t>(pi)];
      if (p.starts_with_verb && mention_at[i] >= 0) continue;
      if (!p.required_ids.empty() && !any_in(p.required_ids, sentence_ids)) continue;
      PatternMatch m;
      m.pattern = pi;
      m.first = i;
      const int clause0 = clause[i];
      // Depth-first over the elements; gaps try 0..kGapMax words.
      auto rec = [&](auto&& self, std::size_t ei, std::size_t ti) -> bool {
        if (ei == p.elements.size()) {
          m.end = ti;
          return true;
        }
        const PatternElement& el = p.elements[ei];
        switch (el.type) {
          case PatternElement::Type::kWords: {
            if (ti >= n || clause[ti] != clause0 || !element_matches(el, ti)) return false;
            const std::size_t saved = m.trigger_end;
            m.trigger_end = ti + 1;
            if (self(self, ei + 1, ti + 1)) return true;
            m.trigger_end = saved;
            return false;
          }
          case PatternElement::Type::kGap: {
            for (int k = 0; k <= kGapMax; ++k) {
              const std::size_t at = ti + static_cast<std::size_t>(k);
              if (k > 0) {
                const std::size_t last = at - 1;
                // Gaps hold words, numbers ("200%", "$5"), possessives and hyphens, no actors.
                if (last >= n || clause[last] != clause0 || mention_at[last] >= 0 ||
                    (tokens[last].kind != text::TokenKind::kWord &&
                     tokens[last].kind != text::TokenKind::kNumber &&
                     tokens[last].kind != text::TokenKind::kPossessive &&
                     !tokens[last].IsPunct('-') && !tokens[last].IsPunct('%') &&
                     !tokens[last].IsPunct('$'))) {
                  return false;
                }
              }
              if (self(self, ei + 1, at)) return true;
            }
            return false;
          }
          case PatternElement::Type::kSource:
          case PatternElement::Type::kTarget:
          case PatternElement::Type::kBoth: {
            if (ti >= n || np_at[ti] < 0) return false;
            const int npi = np_at[ti];
            const NounPhrase& np = nps[static_cast<std::size_t>(npi)];
            if (np.place_only || clause[np.first] != clause0) return false;
            int* slot = el.type == PatternElement::Type::kSource   ? &m.source_np
                        : el.type == PatternElement::Type::kTarget ? &m.target_np
                                                                   : &m.both_np;
            *slot = npi;
            if (self(self, ei + 1, np.end)) return true;
            *slot = -1;
            return false;
          }
        }
        return false;
      };
      if (rec(rec, 0, i)) matches.push_back(m);
    }
  }
  if (matches.empty()) return;

  // Selection: per start word the best tier (hand-written verbs.txt before generated files), then
  // the most literal elements; ties in tier 0 all fire (different codes for one phrase), in
  // other tiers the first pattern wins. A lower-tier match overlapping a better-tier one is
  // dropped. Then drop matches inside a longer one with the same code.
  auto specificity = [&](const PatternMatch& m) {
    const Pattern& p = dict->patterns[static_cast<std::size_t>(m.pattern)];
    return std::pair{-p.tier, p.literal_count};
  };
  std::map<std::size_t, std::pair<int, int>> best_rank;
  std::map<std::size_t, int> first_of_best;  // start → pattern index, for tiers > 0
  for (const auto& m : matches) {
    auto [it, inserted] = best_rank.emplace(m.first, specificity(m));
    if (!inserted && specificity(m) > it->second) it->second = specificity(m);
  }
  for (auto& m : matches) {
    if (specificity(m) < best_rank[m.first]) {
      m.keep = false;
      continue;
    }
    if (dict->patterns[static_cast<std::size_t>(m.pattern)].tier > 0) {
      auto [it, inserted] = first_of_best.emplace(m.first, m.pattern);
      if (!inserted && it->second != m.pattern) m.keep = false;
    }
  }
  for (auto& m : matches) {
    if (!m.keep) continue;
    const int tier = dict->patterns[static_cast<std::size_t>(m.pattern)].tier;
    for (const auto& o : matches) {
      if (!o.keep || dict->patterns[static_cast<std::size_t>(o.pattern)].tier >= tier) continue;
      if (o.first < m.end && m.first < o.end) {
        m.keep = false;
        break;
      }
    }
  }
  for (auto& m : matches) {
    if (!m.keep) continue;
    for (const auto& o : matches) {
      if (&o == &m || !o.keep) continue;
      const auto& pc = dict->patterns[static_cast<std::size_t>(m.pattern)].code;
      const auto& oc = dict->patterns[static_cast<std::size_t>(o.pattern)].code;
      if (pc != oc) continue;
      const bool inside =
          o.first <= m.first && m.end <= o.end && (o.end - o.first) > (m.end - m.first);
      const bool same_span_dup = o.first == m.first && o.end == m.end && &o < &m;
      if (inside || same_span_dup) {
        m.keep = false;
        break;
      }
    }
  }

  // "threatened to impose sanctions": a modality word that is also a verb pattern is not an event
  // of its own when another event follows it closely in the clause.
  for (auto& m : matches) {
    if (!m.keep) continue;
    const bool in_modality = std::any_of(hits.begin(), hits.end(), [&](const ModifierHit& h) {
      return (h.kind == ModifierKind::kThreatened || h.kind == ModifierKind::kPlanned ||
              h.kind == ModifierKind::kNegation) &&
             h.first <= m.first && m.first < h.end;
    });
    if (!in_modality) continue;
    for (const auto& o : matches) {
      if (&o != &m && o.keep && o.first > m.first && o.first <= m.trigger_end + 6 &&
          clause[o.first] == clause[m.first]) {
        m.keep = false;
        break;
      }
    }
  }

  // Dates of the sentence.
  const auto dates = text::FindDateExpressions(tokens, sent, span.begin, ctx.published);
  std::set<int> clauses_with_matches;
  for (const auto& m : matches) {
    if (m.keep) clauses_with_matches.insert(clause[m.first]);
  }

  // Subject of a match: a noun phrase before it in its clause.
  std::map<std::size_t, int> subject_of_match;  // match.first → np
  auto find_subject = [&](const PatternMatch& m, const Pattern& p) -> int {
    if (!p.starts_with_verb) {
      for (std::size_t k = 0; k < nps.size(); ++k) {
        const auto& np = nps[k];
        if (np.place_only) continue;
        if (np.end == m.first ||
            (np.end + 1 == m.first && tokens[np.end].kind == text::TokenKind::kPossessive)) {
          return static_cast<int>(k);
        }
      }
    }
    // "A praised B and discussed ...": the subject of the verb before "and".
    if (m.first > 0 && tokens[m.first - 1].lower == "and") {
      for (const auto& [start, np] : subject_of_match) {
        if (start < m.first) {
          bool np_between = false;
          for (const auto& q : nps) {
            if (q.first > start && q.end <= m.first && !q.modifier) np_between = true;
          }
          (void)np_between;
          if (clause[start] == clause[m.first]) return np;
        }
      }
    }
    int best = -1;
    for (std::size_t k = 0; k < nps.size(); ++k) {
      const auto& np = nps[k];
      if (np.end > m.first) break;
      if (np.place_only || np.modifier || clause[np.first] != clause[m.first]) continue;
      best = static_cast<int>(k);
    }
    return best;
  };
  auto find_object = [&](const PatternMatch& m) -> int {
    for (std::size_t k = 0; k < nps.size(); ++k) {
      const auto& np = nps[k];
      if (np.first < m.end) continue;
      if (np.first > m.end + 4) break;
      // "dismissed Putin's response": a possessive names the object's owner, the target.
      if (np.place_only || (np.modifier && !np.possessive) || clause[np.first] != clause[m.first]) {
        continue;
      }
      bool clean = true;
      for (std::size_t t = m.end; t < np.first; ++t) {
        if (tokens[t].kind == text::TokenKind::kPunctuation) clean = false;
      }
      if (clean) return static_cast<int>(k);
    }
    return -1;
  };

  const std::size_t sent_begin_orig = ctx.norm->Original(span.begin);
  const std::size_t sent_end_orig = ctx.norm->Original(span.end);
  const std::string& body = ctx.article->body();

  // Places the sentence names after a locative ("in Islamabad", "near Kharkiv", "in the
  // Donbas"): countries and seats from the actor dictionaries, cities and regions from
  // places.txt. The most precise one (city > admin1 > country), first in the text, is the
  // events' place.
  std::optional<v1::Place> sentence_place;
  auto consider_place = [&](std::size_t b, std::size_t e, int country, v1::PlacePrecision p) {
    if (sentence_place.has_value() && sentence_place->precision() >= p) return;
    const std::size_t ob = ctx.norm->Original(b);
    const std::size_t oe = ctx.norm->Original(e);
    v1::Place place;
    place.set_name(body.substr(ob, oe - ob));
    place.set_country(dict->countries[static_cast<std::size_t>(country)].code);
    place.set_precision(p);
    place.set_origin("text");
    sentence_place = std::move(place);
  };
  for (const auto& np : nps) {
    if (!np.place_only || np.actors.empty() || np.actors.front().country < 0) continue;
    const ActorRef& a = np.actors.front();
    consider_place(a.begin, a.end, a.country,
                   np.place_kind == 1 ? v1::PLACE_PRECISION_COUNTRY : v1::PLACE_PRECISION_CITY);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!locative_before[i]) continue;
    const std::size_t at = i < n && tokens[i].lower == "the" ? i + 1 : i;
    if (at >= n || mention_at[at] >= 0) continue;
    auto [len, entry] = LongestMatch(dict->places_trie, tokens, at);
    if (entry == nullptr) continue;
    const Place& place = dict->places[static_cast<std::size_t>(entry->index)];
    consider_place(tokens[at].begin, tokens[at + len - 1].end, place.country,
                   place.admin1 ? v1::PLACE_PRECISION_ADMIN1 : v1::PLACE_PRECISION_CITY);
  }
  std::set<std::string> emitted;

  for (const auto& m : matches) {
    if (!m.keep) continue;
    const Pattern& p = dict->patterns[static_cast<std::size_t>(m.pattern)];
    const int subject = find_subject(m, p);
    if (subject >= 0) subject_of_match[m.first] = subject;

    std::vector<ActorRef> sources, targets;
    std::vector<std::pair<ActorRef, ActorRef>> pairs;
    bool by_proximity = false;
    auto actors_of = [&](int npi) -> std::vector<ActorRef> {
      return npi < 0 ? std::vector<ActorRef>{} : nps[static_cast<std::size_t>(npi)].actors;
    };
    if (m.both_np >= 0) {
      const auto both = actors_of(m.both_np);
      for (std::size_t a = 0; a < both.size(); ++a) {
        for (std::size_t b = 0; b < both.size(); ++b) {
          if (a != b) pairs.emplace_back(both[a], both[b]);
        }
      }
    } else {
      int src = m.source_np;
      int tgt = m.target_np;
      if (src >= 0 && tgt < 0) {
        tgt = subject;
      } else if (src < 0) {
        src = subject;
        if (tgt < 0) {
          tgt = find_object(m);
          by_proximity = tgt >= 0;
        }
        // Passive: "was praised by X".
        if (m.first > 0 && p.starts_with_verb) {
          const std::string& aux = tokens[m.first - 1].lower;
          if ((aux == "was" || aux == "were" || aux == "is" || aux == "are" || aux == "been" ||
               aux == "being" || aux == "be") &&
              text::LooksPastParticiple(tokens[m.first].lower)) {
            for (std::size_t t = m.end; t < n && t < m.end + 3; ++t) {
              if (tokens[t].lower == "by" && t + 1 < n && np_at[t + 1] >= 0) {
                tgt = src;
                src = np_at[t + 1];
                break;
              }
            }
          }
        }
      }
      sources = actors_of(src);
      targets = actors_of(tgt);
      if (targets.empty() && sources.size() >= 2 && p.mutual) {
        for (std::size_t a = 0; a < sources.size(); ++a) {
          for (std::size_t b = 0; b < sources.size(); ++b) {
            if (a != b) pairs.emplace_back(sources[a], sources[b]);
          }
        }
      } else {
        for (const auto& s : sources) {
          for (const auto& t : targets) pairs.emplace_back(s, t);
        }
      }
    }
    if (pairs.empty()) continue;

    // Negation and modality: modifier words shortly before the trigger, in its clause.
    bool negated = false;
    v1::Modality modality = v1::MODALITY_ASSERTED;
    int modality_rank = 0;
    for (const auto& h : hits) {
      if (h.end > m.first || clause[h.first] != clause[m.first]) continue;
      const std::size_t distance = m.first - h.end;
      if (h.kind == ModifierKind::kNegation && distance <= 3) negated = true;
      auto consider = [&](v1::Modality mod, int rank) {
        if (rank > modality_rank) {
          modality_rank = rank;
          modality = mod;
        }
      };
      const bool near = distance <= 4;
      if (h.kind == ModifierKind::kThreatened && near) consider(v1::MODALITY_THREATENED, 4);
      if (h.kind == ModifierKind::kPlanned && near) consider(v1::MODALITY_PLANNED, 3);
      if (h.kind == ModifierKind::kConditional) consider(v1::MODALITY_CONDITIONAL, 2);
      if (h.kind == ModifierKind::kClaimed && near) consider(v1::MODALITY_CLAIMED, 1);
    }
    if (negated && !options.emit_negated) continue;

    // Date: an expression in the trigger's clause, else in a clause with no event of its own.
    const text::DateExpression* date = nullptr;
    std::size_t best_distance = SIZE_MAX;
    for (int pass = 0; pass < 2 && date == nullptr; ++pass) {
      for (const auto& d : dates) {
        const int dc = clause[d.first_token];
        const bool ok = pass == 0 ? dc == clause[m.first] : !clauses_with_matches.contains(dc);
        if (!ok) continue;
        const std::size_t dist =
            d.first_token > m.first ? d.first_token - m.first : m.first - d.first_token;
        if (dist < best_distance) {
          best_distance = dist;
          date = &d;
        }
      }
    }
    v1::EventDate event_date;
    int64_t event_day = ctx.pub_day;
    if (date != nullptr) {
      event_date.set_date(core::FormatIsoDate(date->date));
      event_date.set_granularity(ToProto(date->granularity));
      event_date.set_resolution(ToProto(date->resolution));
      const std::size_t b = ctx.norm->Original(date->begin);
      const std::size_t e = ctx.norm->Original(date->end);
      event_date.set_text(body.substr(b, e - b));
      event_day = core::DaysFromCivil(date->date);
    } else {
      event_date.set_date(core::FormatIsoDate(ctx.published));
      event_date.set_granularity(v1::DATE_GRANULARITY_DAY);
      event_date.set_resolution(v1::DATE_RESOLUTION_PUBLICATION_DATE);
    }

    // A planned or threatened act is coded as the intent (03x) or threat (13x) CAMEO has for it.
    const std::string code = internal::CodeUnderModality(p.code, modality);
    const CameoCode* cameo_row = cameo.Find(code);
    const std::size_t trig_b = ctx.norm->Original(tokens[m.first].begin);
    const std::size_t trig_e = ctx.norm->Original(tokens[m.trigger_end - 1].end);

    for (const auto& [s, t] : pairs) {
      const FinalActor fs = Finalize(s, event_day);
      const FinalActor ft = Finalize(t, event_day);
      if (fs.country.empty() || ft.country.empty()) continue;
      if (fs.country == ft.country &&
          (fs.roles == ft.roles || fs.roles.empty() || ft.roles.empty())) {
        continue;
      }
      const std::string key = Cat(code, "|", fs.code, ">", ft.code);
      if (emitted.contains(key)) continue;
      if (ctx.events.size() >= kMaxEventsPerArticle) return;
      emitted.insert(key);

      v1::Event ev = NewEvent(ctx, sentence_index, sent_begin_orig, sent_end_orig, trig_b, trig_e);
      *ev.mutable_date() = event_date;
      auto fill = [&](v1::Actor* out, const ActorRef& ref, const FinalActor& fa) {
        const std::size_t b = ctx.norm->Original(ref.begin);
        const std::size_t e = ctx.norm->Original(ref.end);
        out->set_text(body.substr(b, e - b));
        out->set_name(fa.name);
        out->set_country(fa.country);
        for (const auto& r : fa.roles) out->add_roles(r);
        out->set_code(fa.code);
        out->set_begin(static_cast<int32_t>(b));
        out->set_end(static_cast<int32_t>(e));
      };
      fill(ev.mutable_source(), s, fs);
      fill(ev.mutable_target(), t, ft);
      ev.set_code(code);
      ev.set_base_code(code.substr(0, std::min<std::size_t>(3, code.size())));
      ev.set_root_code(code.substr(0, 2));
      if (cameo_row != nullptr) {
        ev.set_quad_class(cameo_row->quad_class);
        ev.set_goldstein(cameo_row->goldstein);
      }
      // Place: the most precise place the sentence names, else the dateline.
      if (sentence_place.has_value()) {
        *ev.mutable_place() = *sentence_place;
      } else if (ctx.has_dateline_place) {
        *ev.mutable_place() = ctx.dateline_place;
      }
      double confidence = 0.6;
      if (p.literal_count >= 2) confidence += 0.1;
      if (m.source_np >= 0 || m.target_np >= 0 || m.both_np >= 0) confidence += 0.1;
      if (by_proximity) confidence -= 0.05;
      if (s.from_reference || t.from_reference) confidence -= 0.15;
      if (s.default_country || t.default_country) confidence -= 0.15;
      if (negated) confidence -= 0.2;
      ev.set_confidence(std::clamp(confidence, 0.05, 0.95));
      ev.set_negated(negated);
      ev.set_modality(modality);
      ev.set_coder_version(version);
      ev.set_id(core::StableId("e-", Cat(ctx.article->id(), "|", sentence_index, "|", trig_b, "-",
                                         trig_e, "|", code, "|", fs.code, ">", ft.code)));
      ctx.events.push_back(std::move(ev));
    }
  }
}

// ---- PETRARCH2 dictionaries: coding raw text without a parser ----

namespace {

struct PNounPhrase {
  std::size_t first = 0, end = 0;  // token range
  std::vector<std::string> codes;  // one per actor (a compound has several)
};

bool IsClauseWord(std::string_view w) {
  static const std::set<std::string, std::less<>> kWords = {
      "after",    "before", "when",  "while", "because", "until", "since", "if",
      "although", "though", "where", "which", "who",     "whom",  "that",  "whether"};
  return kWords.contains(w);
}

bool IsDeterminer(std::string_view w) {
  static const std::set<std::string, std::less<>> kWords = {
      "the", "a", "an", "its", "their", "his", "her", "our", "this", "these", "those", "of"};
  return kWords.contains(w);
}

bool ValidPatternCode(std::string_view code) {
  return code == "---" || (!code.empty() && code[0] >= '0' && code[0] <= '9');
}

// Appends an agent code unless the actor code already carries it at a role boundary.
std::string WithAgent(const std::string& code, const PetrarchAgent& agent) {
  if (agent.prefix) {
    if (code.starts_with(agent.code)) return code;
    return agent.code + code;
  }
  for (std::size_t k = 3; k + agent.code.size() <= code.size(); k += 3) {
    if (code.compare(k, agent.code.size(), agent.code) == 0) return code;
  }
  return code + agent.code;
}

}  // namespace

void Coder::Impl::CodePetrarchSentence(Context& ctx, std::size_t sentence_index, text::Span span,
                                       const CodingOverrides* overrides) const {
  const PetrarchDictionaries& pd = *dict->petrarch;
  const std::string& norm = ctx.norm->text;
  const std::string_view sent(norm.data() + span.begin, span.end - span.begin);
  const std::vector<Token> tokens =
      internal::PetrarchTokens(sent, span.begin, kMaxTokensPerSentence);
  const std::size_t n = tokens.size();
  if (n == 0) return;
  bool require_dyad = true;
  std::size_t new_actor_length = 0;
  if (overrides != nullptr) {
    auto it = overrides->values.find("require_dyad");
    if (it != overrides->values.end()) {
      std::string v = it->second;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      require_dyad = v != "false" && v != "0" && v != "no";
    }
    // new_actor_length > 0: a subject or object naming no known actor, of at most that many
    // words, is coded as the quoted phrase ("\"THE MINISTRY OF MAGIC\"").
    it = overrides->values.find("new_actor_length");
    if (it != overrides->values.end()) {
      int v = 0;
      for (char c : it->second) {
        if (c < '0' || c > '9') {
          v = 0;
          break;
        }
        v = std::min(v * 10 + (c - '0'), 100);
      }
      new_actor_length = static_cast<std::size_t>(v);
    }
  }

  // Discards: " phrase" at a word start; a phrase not ending in '_' is a stem.
  {
    std::string joined;
    for (const auto& t : tokens) joined += " " + t.lower;
    joined += " ";
    for (std::size_t k = 0; k < pd.discard_phrases.size(); ++k) {
      const auto& [phrase, exact] = pd.discard_phrases[k];
      const std::string needle = " " + phrase;
      for (std::size_t at = joined.find(needle); at != std::string::npos;
           at = joined.find(needle, at + 1)) {
        const char next = joined[at + needle.size()];
        if (exact && next != ' ') continue;
        if (pd.discard_story[k]) ctx.discard_article = true;
        return;
      }
    }
  }

  // Actor and agent mentions (longest match; an actor beats an agent of the same length).
  struct PMention {
    std::size_t first, end;
    int actor = -1, agent = -1;
  };
  std::vector<PMention> mentions;
  std::vector<int> mention_at(n, -1);
  for (std::size_t i = 0; i < n;) {
    std::size_t best_len = 0;
    PMention best{i, i, -1, -1};
    // Depth-first over the trie; a gap edge skips one or two lower-case words or hyphens.
    std::function<void(const PhraseNode*, std::size_t)> walk = [&](const PhraseNode* node,
                                                                   std::size_t k) {
      int actor = -1, agent = -1;
      for (const auto& e : node->entries) {
        if (e.kind == EntryKind::kPetrarchActor && actor < 0) actor = e.index;
        if (e.kind == EntryKind::kPetrarchAgent && agent < 0) agent = e.index;
      }
      if ((actor >= 0 || agent >= 0) && k - i > best_len) {
        best_len = k - i;
        best = PMention{i, k, actor, actor >= 0 ? -1 : agent};
      }
      if (k >= n || k - i >= 12) return;
      if (auto it = node->next.find(tokens[k].lower); it != node->next.end()) {
        walk(it->second.get(), k + 1);
      }
      auto gap = node->next.find(std::string(internal::kPetrarchGapKey));
      if (gap == node->next.end() || k == i) return;
      for (std::size_t skip = 1; skip <= 3 && k + skip < n; ++skip) {
        const Token& t = tokens[k + skip - 1];
        const bool skippable = (t.IsWord() && !t.Capitalized()) || t.IsPunct('-');
        if (!skippable) break;
        if (auto it = gap->second->next.find(tokens[k + skip].lower);
            it != gap->second->next.end()) {
          walk(it->second.get(), k + skip + 1);
        }
      }
    };
    walk(&dict->actors, i);
    if (best_len == 0) {
      ++i;
      continue;
    }
    for (std::size_t k = i; k < i + best_len; ++k)
      mention_at[k] = static_cast<int>(mentions.size());
    mentions.push_back(best);
    i += best_len;
  }

  // Mentions → groups: an actor with its agents ("Gondor's main opposition group", "MSF Arnor
  // diplomat", "Dagolath's first Deputy Prime Minister Telemar").
  struct PGroup {
    std::size_t first, end;
    std::vector<std::string> actor_codes;  // empty: agents only
    bool has_actor = false;
    std::vector<const PetrarchAgent*> agents;
  };
  auto actor_codes = [&](int actor) {
    std::vector<std::string> out;
    const std::string code = pd.actors[static_cast<std::size_t>(actor)].CodeOn(ctx.pub_day);
    for (auto piece : Split(code, '/')) {
      if (!piece.empty()) out.emplace_back(piece);
    }
    return out;
  };
  std::vector<PGroup> groups;
  for (std::size_t m = 0; m < mentions.size();) {
    PGroup g;
    g.first = mentions[m].first;
    std::size_t last = m;
    while (last + 1 < mentions.size()) {
      const PMention& a = mentions[last];
      const PMention& b = mentions[last + 1];
      bool join = b.first == a.end;
      if (!join && a.end < n && tokens[a.end].kind == text::TokenKind::kPossessive) {
        // "Gondor's government", "Dagolath's first Deputy Prime Minister".
        join = b.agent >= 0 && b.first >= a.end + 1 && b.first <= a.end + 5;
        for (std::size_t k = a.end + 1; join && k < b.first; ++k) {
          if (tokens[k].kind != text::TokenKind::kWord || IsClauseWord(tokens[k].lower)) {
            join = false;
          }
        }
      }
      if (!join) break;
      ++last;
    }
    for (std::size_t k = m; k <= last; ++k) {
      const PMention& mk = mentions[k];
      if (mk.actor >= 0) {
        if (!g.has_actor) {
          g.has_actor = true;
          g.actor_codes = actor_codes(mk.actor);
        }
      } else if (mk.agent >= 0) {
        g.agents.push_back(&pd.agents[static_cast<std::size_t>(mk.agent)]);
      }
    }
    g.end = mentions[last].end;
    groups.push_back(std::move(g));
    m = last + 1;
  }

  // "Ithilen and the government of Gondor": an agent of an actor inside a compound is one group.
  for (std::size_t gi = 1; gi + 1 < groups.size(); ++gi) {
    PGroup& g = groups[gi];
    const PGroup& next = groups[gi + 1];
    if (g.has_actor || !next.has_actor || !groups[gi - 1].has_actor) continue;
    std::size_t b = g.first;
    if (b > 0 && tokens[b - 1].lower == "the") --b;
    if (b == 0 || tokens[b - 1].lower != "and" || groups[gi - 1].end + 1 != b) continue;
    std::size_t k = g.end;
    if (k >= n ||
        (tokens[k].lower != "of" && tokens[k].lower != "in" && tokens[k].lower != "from")) {
      continue;
    }
    ++k;
    if (k < n && tokens[k].lower == "the") ++k;
    if (next.first != k) continue;
    g.has_actor = true;
    g.actor_codes = next.actor_codes;
    for (const auto* a : next.agents) g.agents.push_back(a);
    g.end = next.end;
    groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(gi + 1));
  }

  // Groups → noun phrases: compounds ("A, B and C"), and agents of/in/from actors ("the
  // ambassadors of Arnor, Osgiliath and Gondor", "lawmakers and officials in Fornost").
  struct PList {
    std::size_t first, end;
    std::vector<const PGroup*> members;
  };
  std::vector<PList> lists;
  for (std::size_t gi = 0; gi < groups.size();) {
    std::size_t gj = gi, last_and = gi;
    while (gj + 1 < groups.size()) {
      std::size_t k = groups[gj].end;
      if (k >= n) break;
      bool by_and = false;
      if (tokens[k].IsPunct(',')) {
        ++k;
        if (k < n && tokens[k].lower == "and") {
          ++k;
          by_and = true;
        }
      } else if (tokens[k].lower == "and" || tokens[k].lower == "nor") {
        ++k;
        by_and = true;
      } else {
        break;
      }
      const std::size_t before_article = k;
      if (k < n && (tokens[k].lower == "the" || tokens[k].lower == "both")) ++k;
      // Up to two lower-case adjectives: "and the evil awful Gondor".
      std::size_t next_first = groups[gj + 1].first;
      std::size_t adjectives = 0;
      while (next_first > k && adjectives < 2 && tokens[next_first - 1].IsWord() &&
             !tokens[next_first - 1].Capitalized() && mention_at[next_first - 1] < 0 &&
             !IsClauseWord(tokens[next_first - 1].lower) && tokens[next_first - 1].lower != "and") {
        --next_first;
        ++adjectives;
      }
      if (next_first != k && groups[gj + 1].first != before_article) break;
      // "Danish media and government": a bare agent right after "and" shares the actor before
      // it; otherwise actors and bare agents do not mix in one list.
      const bool shares_actor = groups[gi].has_actor && !groups[gj + 1].has_actor && by_and &&
                                groups[gj + 1].first == before_article &&
                                groups[gj].end + 1 == before_article;
      if (groups[gj + 1].has_actor != groups[gi].has_actor && !shares_actor) break;
      ++gj;
      if (by_and) {
        last_and = gj;
        break;
      }
    }
    PList l;
    l.first = groups[gi].first;
    l.end = groups[last_and].end;
    for (std::size_t g = gi; g <= last_and; ++g) l.members.push_back(&groups[g]);
    lists.push_back(std::move(l));
    gi = last_and + 1;
  }
  auto codes_of_group = [&](const PGroup& g, const std::vector<const PetrarchAgent*>& extra) {
    std::vector<std::string> out;
    std::vector<std::string> base = g.has_actor ? g.actor_codes : std::vector<std::string>{"---"};
    for (std::string code : base) {
      if (code == "---" && g.has_actor) continue;  // the null actor
      for (const auto* a : g.agents) code = WithAgent(code, *a);
      for (const auto* a : extra) code = WithAgent(code, *a);
      out.push_back(code);
    }
    return out;
  };
  std::vector<PNounPhrase> nps;
  for (std::size_t li = 0; li < lists.size(); ++li) {
    const PList& l = lists[li];
    PNounPhrase np;
    np.first = l.first;
    np.end = l.end;
    const bool agents_only = std::none_of(l.members.begin(), l.members.end(),
                                          [](const PGroup* g) { return g->has_actor; });
    if (agents_only && li + 1 < lists.size()) {
      std::size_t k = l.end;
      if (k < n &&
          (tokens[k].lower == "of" || tokens[k].lower == "in" || tokens[k].lower == "from")) {
        ++k;
        if (k < n && tokens[k].lower == "the") ++k;
        const PList& next = lists[li + 1];
        if (next.first == k && next.members.front()->has_actor) {
          for (const PGroup* actor_group : next.members) {
            for (const PGroup* agent_group : l.members) {
              for (auto& c : codes_of_group(*actor_group, agent_group->agents)) {
                np.codes.push_back(std::move(c));
              }
            }
          }
          np.end = next.end;
          ++li;
          nps.push_back(std::move(np));
          continue;
        }
      }
    }
    const PGroup* last_actor = nullptr;
    for (const PGroup* g : l.members) {
      if (!g->has_actor && last_actor != nullptr) {
        PGroup shared = *g;
        shared.has_actor = true;
        shared.actor_codes = last_actor->actor_codes;
        for (auto& c : codes_of_group(shared, {})) np.codes.push_back(std::move(c));
        continue;
      }
      if (g->has_actor) last_actor = g;
      for (auto& c : codes_of_group(*g, {})) np.codes.push_back(std::move(c));
    }
    if (!np.codes.empty()) nps.push_back(std::move(np));
  }
  std::vector<int> np_at(n + 1, -1);
  std::vector<int> np_cover(n + 1, -1);
  for (std::size_t k = 0; k < nps.size(); ++k) {
    np_at[nps[k].first] = static_cast<int>(k);
    if (nps[k].first > 0 && (tokens[nps[k].first - 1].lower == "the")) {
      np_at[nps[k].first - 1] = static_cast<int>(k);
    }
    for (std::size_t t = nps[k].first; t < nps[k].end; ++t) np_cover[t] = static_cast<int>(k);
  }

  // Verbs: the longest form at each token, not inside an actor, not after a determiner.
  struct PVerb {
    std::size_t first, end;
    std::vector<int> verbs;
  };
  std::vector<PVerb> verbs;
  for (std::size_t i = 0; i < n; ++i) {
    if (tokens[i].kind != text::TokenKind::kWord || mention_at[i] >= 0) continue;
    auto it = pd.forms_by_head.find(tokens[i].lower);
    if (it == pd.forms_by_head.end()) continue;
    PVerb best{0, 0, {}};
    for (const auto& [vi, fi] : it->second) {
      const auto& form = pd.verbs[static_cast<std::size_t>(vi)].forms[static_cast<std::size_t>(fi)];
      if (i < form.head) continue;
      const std::size_t first = i - form.head;
      if (first + form.words.size() > n) continue;
      bool ok = true;
      for (std::size_t w = 0; w < form.words.size() && ok; ++w) {
        ok = tokens[first + w].lower == form.words[w];
      }
      if (!ok) continue;
      const std::size_t end = first + form.words.size();
      if (best.verbs.empty() || end - first > best.end - best.first) {
        best = PVerb{first, end, {vi}};
      } else if (end - first == best.end - best.first) {
        best.verbs.push_back(vi);
      }
    }
    if (best.verbs.empty()) continue;
    // A noun, not a verb: "an attack", "a brief private visit".
    bool noun = false;
    for (std::size_t k = best.first, steps = 0; k > 0 && steps < 3; --k, ++steps) {
      const Token& prev = tokens[k - 1];
      if (IsDeterminer(prev.lower)) {
        noun = true;
        break;
      }
      if (steps == 0 && (prev.lower == "very" || prev.lower == "so" || prev.lower == "too" ||
                         prev.lower == "more" || prev.lower == "most" || prev.lower == "quite")) {
        noun = true;  // "very close": an adjective
        break;
      }
      if (prev.kind != text::TokenKind::kWord || mention_at[k - 1] >= 0 || prev.Capitalized() ||
          IsClauseWord(prev.lower) || prev.lower == "and" || prev.lower == "to") {
        break;
      }
    }
    if (noun) continue;
    if (!verbs.empty() && best.first < verbs.back().end) continue;
    verbs.push_back(std::move(best));
  }
  if (verbs.empty()) return;

  // Synset and word matching.
  std::function<std::size_t(const std::string&, std::size_t, int)> match_synset;
  auto word_at = [&](const std::string& word, std::size_t i) -> std::size_t {
    if (i >= n) return 0;
    const std::string& t = tokens[i].lower;
    if (t == word || t == internal::PetrarchPlural(word)) return 1;
    return 0;
  };
  match_synset = [&](const std::string& name, std::size_t i, int depth) -> std::size_t {
    auto it = pd.synsets.find(name);
    if (it == pd.synsets.end() || depth > 4) return 0;
    std::size_t best = 0;
    for (const auto& member : it->second) {
      std::size_t at = i;
      bool ok = true;
      for (const auto& w : member) {
        std::size_t len = w[0] == '&' ? match_synset(w.substr(1), at, depth + 1) : word_at(w, at);
        if (len == 0) {
          ok = false;
          break;
        }
        at += len;
      }
      if (ok) best = std::max(best, at - i);
    }
    return best;
  };
  auto literal_len = [&](const PetrarchToken& t, std::size_t i) -> std::size_t {
    if (t.kind == PetrarchToken::Kind::kSynset) return match_synset(t.word, i, 0);
    return word_at(t.word, i);
  };

  const std::size_t sent_begin_orig = ctx.norm->Original(span.begin);
  const std::size_t sent_end_orig = ctx.norm->Original(span.end);
  std::set<std::string> emitted;

  std::vector<int> verb_source(verbs.size(), -1);
  std::vector<std::size_t> consumed(verbs.size(), 0);
  auto process = [&](std::size_t vi, bool emit) -> bool {
    const PVerb& v = verbs[vi];
    // The verb's region: from the previous verb's end (or a clause word) to the next verb.
    const std::size_t region_end = vi + 1 < verbs.size() ? verbs[vi + 1].first : n;
    const std::size_t region_begin = vi > 0 ? verbs[vi - 1].end : 0;
    std::size_t after_end = region_end;
    for (std::size_t k = v.end; k < region_end; ++k) {
      if (IsClauseWord(tokens[k].lower) && tokens[k].lower != "that" &&
          tokens[k].lower != "whether" && np_cover[k] < 0) {
        after_end = k;
        break;
      }
    }
    const std::size_t search_begin = vi > 0 ? verbs[vi - 1].end : 0;
    // Pattern words may reach past the next verb to the end of the clause ("promised raids":
    // RAID is then part of PROMISE's pattern, not a verb of its own).
    std::size_t literal_end = n;
    for (std::size_t k = v.end; k < n; ++k) {
      if (IsClauseWord(tokens[k].lower) && tokens[k].lower != "that" &&
          tokens[k].lower != "whether" && np_cover[k] < 0) {
        literal_end = k;
        break;
      }
    }

    // Backtracking budget per pattern: bounded time on any input.
    constexpr std::size_t kMaxMatchSteps = 20000;
    std::size_t match_steps = 0;
    struct Slots {
      int source = -1, target = -1, compound = -1;
      std::vector<int> skipped;
      std::size_t before_first = 0;
      std::size_t after_last = 0;  // after the last element matched after the verb
    };
    // Elements after the verb, left to right.
    std::function<bool(const PetrarchPattern&, std::size_t, std::size_t, bool, Slots&)>
        match_after = [&](const PetrarchPattern& p, std::size_t ei, std::size_t at, bool adjacent,
                          Slots& s) -> bool {
      if (++match_steps > kMaxMatchSteps) return false;
      if (ei == p.after.size()) {
        s.after_last = at;
        return true;
      }
      const PetrarchToken& t = p.after[ei];
      for (std::size_t i = at; i < literal_end; ++i) {
        if (i > at && adjacent) break;
        // A pattern word is a head: it is not found inside an "of" phrase ("a set of
        // resolutions" is not "RESOLUTION").
        if (i > at && tokens[i - 1].lower == "of" &&
            (t.kind == PetrarchToken::Kind::kWord || t.kind == PetrarchToken::Kind::kSynset)) {
          break;
        }
        if (t.kind == PetrarchToken::Kind::kWord || t.kind == PetrarchToken::Kind::kSynset) {
          const std::size_t len = literal_len(t, i);
          if (len > 0) {
            Slots copy = s;
            if (match_after(p, ei + 1, i + len, t.joined, copy)) {
              s = copy;
              return true;
            }
          }
        } else if (np_at[i] >= 0) {
          if (i >= after_end) return false;
          const int npi = np_at[i];
          Slots copy = s;
          if (t.kind == PetrarchToken::Kind::kSource) copy.source = npi;
          if (t.kind == PetrarchToken::Kind::kTarget) copy.target = npi;
          if (t.kind == PetrarchToken::Kind::kCompound) copy.compound = npi;
          if (t.kind == PetrarchToken::Kind::kSkip) copy.skipped.push_back(npi);
          if (match_after(p, ei + 1, nps[static_cast<std::size_t>(npi)].end, t.joined, copy)) {
            s = copy;
            return true;
          }
          return false;  // an actor slot takes the first noun phrase
        } else if (t.kind == PetrarchToken::Kind::kSkip && !adjacent) {
          // ^ over a noun phrase that names no actor ("warned their populations about").
          Slots copy = s;
          if (match_after(p, ei + 1, i, t.joined, copy)) {
            s = copy;
            return true;
          }
          return false;
        }
      }
      return false;
    };
    // Elements before the verb, right to left.
    std::function<bool(const PetrarchPattern&, int, std::size_t, bool, Slots&)> match_before =
        [&](const PetrarchPattern& p, int ei, std::size_t at, bool adjacent, Slots& s) -> bool {
      if (++match_steps > kMaxMatchSteps) return false;
      if (ei < 0) {
        s.before_first = at;
        return true;
      }
      const PetrarchToken& t = p.before[static_cast<std::size_t>(ei)];
      const bool adj_next = ei > 0 && p.before[static_cast<std::size_t>(ei - 1)].joined;
      for (std::size_t i = at; i > region_begin; --i) {
        if (i < at && adjacent) break;
        const std::size_t last = i - 1;
        if (t.kind == PetrarchToken::Kind::kWord || t.kind == PetrarchToken::Kind::kSynset) {
          // A literal ending at `last`: try starts backwards.
          for (std::size_t start = last + 1; start-- > region_begin && last + 1 - start <= 6;) {
            if (literal_len(t, start) == last + 1 - start) {
              Slots copy = s;
              if (match_before(p, ei - 1, start, adj_next, copy)) {
                s = copy;
                return true;
              }
            }
          }
        } else if (np_cover[last] >= 0 &&
                   nps[static_cast<std::size_t>(np_cover[last])].end == last + 1) {
          const int npi = np_cover[last];
          Slots copy = s;
          if (t.kind == PetrarchToken::Kind::kSource) copy.source = npi;
          if (t.kind == PetrarchToken::Kind::kTarget) copy.target = npi;
          if (t.kind == PetrarchToken::Kind::kCompound) copy.compound = npi;
          if (t.kind == PetrarchToken::Kind::kSkip) copy.skipped.push_back(npi);
          std::size_t start = nps[static_cast<std::size_t>(npi)].first;
          if (start > 0 && tokens[start - 1].lower == "the") --start;
          if (match_before(p, ei - 1, start, adj_next, copy)) {
            s = copy;
            return true;
          }
          return false;
        }
      }
      return false;
    };

    // The best pattern over the verb's blocks.
    const PetrarchPattern* best = nullptr;
    Slots best_slots;
    best_slots.before_first = v.first;
    int best_score = -1;
    std::string code;
    for (int verb_index : v.verbs) {
      const PetrarchVerb& verb = pd.verbs[static_cast<std::size_t>(verb_index)];
      const PetrarchVerbBlock& block = pd.blocks[static_cast<std::size_t>(verb.block)];
      for (int pi : block.patterns) {
        const PetrarchPattern& p = pd.patterns[static_cast<std::size_t>(pi)];
        if (!ValidPatternCode(p.code)) continue;
        Slots s;
        s.before_first = v.first;
        match_steps = 0;
        if (!match_after(p, 0, v.end, p.verb_joined_after, s)) continue;
        if (!match_before(p, static_cast<int>(p.before.size()) - 1, v.first, p.verb_joined_before,
                          s)) {
          continue;
        }
        const int score = p.literal_count * 4 + static_cast<int>(p.before.size() + p.after.size());
        if (score > best_score) {
          best_score = score;
          best = &p;
          best_slots = s;
        }
      }
      if (code.empty()) code = verb.code.empty() ? block.code : verb.code;
    }
    if (best != nullptr) code = best->code;
    consumed[vi] = best != nullptr ? best_slots.after_last : 0;
    if (code.empty() || code == "---" || !ValidPatternCode(code)) return false;
    if (!emit) return true;

    // Source: $, else the nearest noun phrase before the pattern (the subject).
    auto used = [&](int npi) {
      return npi == best_slots.source || npi == best_slots.target || npi == best_slots.compound ||
             std::find(best_slots.skipped.begin(), best_slots.skipped.end(), npi) !=
                 best_slots.skipped.end();
    };
    int source = best_slots.source;
    if (source < 0) {
      for (std::size_t k = best_slots.before_first; k > search_begin; --k) {
        if (IsClauseWord(tokens[k - 1].lower) && np_cover[k - 1] < 0) break;
        const int npi = np_cover[k - 1];
        if (npi >= 0 && !used(npi)) {
          source = npi;
          break;
        }
      }
    }
    if (source < 0 && best_slots.before_first < v.first) {
      // "Neither A nor B boycotted" (pattern NEITHER *): the subject inside the pattern.
      for (std::size_t k = v.first; k > best_slots.before_first; --k) {
        const int npi = np_cover[k - 1];
        if (npi >= 0 && !used(npi)) {
          source = npi;
          break;
        }
      }
    }
    // "A condemned B ... and promised C": the subject of the verb before "and".
    if (vi > 0 && verb_source[vi - 1] >= 0 && best_slots.source < 0) {
      bool np_after_and = false;
      std::size_t and_at = SIZE_MAX;
      for (std::size_t k = verbs[vi - 1].end; k < v.first; ++k) {
        if (tokens[k].lower == "and") {
          and_at = k;
          np_after_and = false;
        } else if (and_at != SIZE_MAX && np_cover[k] >= 0) {
          np_after_and = true;
        }
      }
      if (and_at != SIZE_MAX && !np_after_and) source = verb_source[vi - 1];
    }
    verb_source[vi] = source;
    int target = best_slots.target;
    if (target < 0 && best_slots.compound < 0) {
      for (std::size_t k = v.end; k < after_end; ++k) {
        // A comma that opens an apposition or a new clause ("its embassy, a senior official
        // said") ends the object; one between adjectives ("complete, full ties") does not.
        if (tokens[k].IsPunct(',') && np_cover[k] < 0 && k + 1 < n &&
            (np_cover[k + 1] >= 0 || tokens[k + 1].Capitalized() ||
             IsDeterminer(tokens[k + 1].lower))) {
          break;
        }
        const int npi = np_cover[k];
        if (npi >= 0 && !used(npi) && npi != source) {
          target = npi;
          break;
        }
      }
    }
    // Passive: "Eriador was (fiercely) opposed by Osgiliath": the agent after "by" is the source.
    if (best_slots.source < 0 && best_slots.target < 0 && best_slots.compound < 0 && v.first > 0) {
      bool passive = false;
      for (std::size_t k = v.first, steps = 0; k > 0 && steps < 2; --k, ++steps) {
        const std::string& w = tokens[k - 1].lower;
        if (w == "was" || w == "were" || w == "is" || w == "are" || w == "been" || w == "be" ||
            w == "being") {
          passive = true;
          break;
        }
        if (!tokens[k - 1].IsWord() || !w.ends_with("ly")) break;
      }
      if (passive) {
        for (std::size_t k = v.end; k < after_end && k < v.end + 3; ++k) {
          if (tokens[k].lower != "by" || k + 1 >= n) continue;
          const int agent = np_at[k + 1];
          if (agent >= 0) {
            target = source;
            source = agent;
          }
          break;
        }
      }
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    auto codes = [&](int npi) {
      return npi < 0 ? std::vector<std::string>{} : nps[static_cast<std::size_t>(npi)].codes;
    };
    const auto paired = code.find(':');
    const std::string code1 = code.substr(0, paired);
    const std::string code2 = paired == std::string::npos ? std::string() : code.substr(paired + 1);
    std::vector<std::tuple<std::string, std::string, std::string>> events;
    auto add = [&](const std::string& s, const std::string& t) {
      events.emplace_back(s, t, code1);
      if (!code2.empty()) events.emplace_back(t, s, code2);
    };
    if (best_slots.compound >= 0 && source < 0) {
      const auto c = codes(best_slots.compound);
      for (std::size_t a = 0; a < c.size(); ++a) {
        for (std::size_t b = a + 1; b < c.size(); ++b) add(c[a], c[b]);
      }
      if (!code2.empty()) {
        // add() already made both directions
      } else {
        for (std::size_t a = 0; a < c.size(); ++a) {
          for (std::size_t b = 0; b < a; ++b) events.emplace_back(c[a], c[b], code1);
        }
      }
    } else {
      auto sources = codes(source);
      auto targets = best_slots.compound >= 0 ? codes(best_slots.compound) : codes(target);
      if (new_actor_length > 0) {
        auto quoted = [&](std::size_t b, std::size_t e) -> std::string {
          std::string out;
          std::size_t words = 0;
          for (std::size_t k = b; k < e; ++k) {
            if (tokens[k].kind == text::TokenKind::kPossessive) continue;
            if (!tokens[k].IsWord() || mention_at[k] >= 0) return "";
            std::string w = tokens[k].text;
            for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            out += (out.empty() ? "" : " ") + w;
            ++words;
          }
          if (words == 0 || words > new_actor_length) return "";
          return "\"" + out + "\"";
        };
        if (sources.empty() && best_slots.before_first == v.first) {
          // The subject: the words from the clause start up to the verb.
          std::size_t b = v.first;
          while (b > search_begin &&
                 (tokens[b - 1].IsWord() || tokens[b - 1].kind == text::TokenKind::kPossessive) &&
                 !IsClauseWord(tokens[b - 1].lower) && tokens[b - 1].lower != "and") {
            --b;
          }
          if (b == search_begin || (b > 0 && !tokens[b - 1].IsWord())) {
            if (auto q = quoted(b, v.first); !q.empty()) sources.push_back(q);
          }
        }
        if (targets.empty() && best_slots.compound < 0 && v.end + 1 < n) {
          // The object of the verb's preposition: "left for the Ministry of Magic".
          std::size_t b = v.end + 1, e = b;
          while (e < n && tokens[e].IsWord() &&
                 (tokens[e].Capitalized() || tokens[e].lower == "the" || tokens[e].lower == "of")) {
            ++e;
          }
          if (e > b && tokens[e - 1].Capitalized()) {
            if (auto q = quoted(b, e); !q.empty()) targets.push_back(q);
          }
        }
      }
      if (targets.empty() && !require_dyad) targets.push_back("---");
      for (const auto& s : sources) {
        for (const auto& t : targets) add(s, t);
      }
    }

    const CameoCode* cameo_row = cameo.Find(code1);
    const std::size_t trig_b = ctx.norm->Original(tokens[v.first].begin);
    const std::size_t trig_e = ctx.norm->Original(tokens[v.end - 1].end);
    for (const auto& [s, t, c] : events) {
      if (s == t || s.empty() || t.empty()) continue;
      const std::string key = Cat(c, "|", s, ">", t);
      if (!emitted.insert(key).second) continue;
      if (ctx.events.size() >= kMaxEventsPerArticle) return true;
      v1::Event ev = NewEvent(ctx, sentence_index, sent_begin_orig, sent_end_orig, trig_b, trig_e);
      ev.mutable_date()->set_date(core::FormatIsoDate(ctx.published));
      ev.mutable_date()->set_granularity(v1::DATE_GRANULARITY_DAY);
      ev.mutable_date()->set_resolution(v1::DATE_RESOLUTION_PUBLICATION_DATE);
      auto fill = [&](v1::Actor* out, const std::string& actor_code) {
        out->set_code(actor_code);
        out->set_country(actor_code.substr(0, std::min<std::size_t>(3, actor_code.size())));
        for (std::size_t k = 3; k + 3 <= actor_code.size(); k += 3) {
          out->add_roles(actor_code.substr(k, 3));
        }
      };
      fill(ev.mutable_source(), s);
      fill(ev.mutable_target(), t);
      ev.set_code(c);
      ev.set_base_code(c.substr(0, std::min<std::size_t>(3, c.size())));
      ev.set_root_code(c.substr(0, 2));
      if (cameo_row != nullptr) {
        ev.set_quad_class(cameo_row->quad_class);
        ev.set_goldstein(cameo_row->goldstein);
      }
      ev.set_confidence(best != nullptr ? 0.6 : 0.5);
      ev.set_modality(v1::MODALITY_ASSERTED);
      ev.set_coder_version(version);
      ev.set_id(core::StableId("e-", Cat(ctx.article->id(), "|", sentence_index, "|", trig_b, "-",
                                         trig_e, "|", c, "|", s, ">", t)));
      ctx.events.push_back(std::move(ev));
    }
    return true;
  };
  // Verbs that code nothing here (auxiliaries such as "has", null-coded blocks whose patterns do
  // not match) do not bound the other verbs' subjects and objects.
  {
    // Left to right, so that a dropped auxiliary no longer bounds the verb after it.
    for (std::size_t vi = 0; vi < verbs.size();) {
      if (process(vi, false)) {
        while (vi + 1 < verbs.size() && verbs[vi + 1].first < consumed[vi]) {
          verbs.erase(verbs.begin() + static_cast<std::ptrdiff_t>(vi + 1));
        }
        ++vi;
      } else {
        verbs.erase(verbs.begin() + static_cast<std::ptrdiff_t>(vi));
      }
    }
    verb_source.assign(verbs.size(), -1);
  }
  for (std::size_t vi = 0; vi < verbs.size(); ++vi) process(vi, true);
}

namespace {

// `text` with each byte that does not start a valid UTF-8 sequence replaced by '?': byte offsets
// stay the same, and no invalid byte reaches an Event (its strings must be valid for protobuf).
std::string ReplaceInvalidUtf8(std::string_view text) {
  std::string out(text);
  std::size_t from = 0;
  while (from < out.size()) {
    const auto bad = core::FindInvalidUtf8(std::string_view(out).substr(from));
    if (!bad.has_value()) break;
    out[from + *bad] = '?';
    from += *bad + 1;
  }
  return out;
}

}  // namespace

std::vector<v1::Event> Coder::Impl::Code(const v1::Article& article,
                                         const core::CivilDate& published, bool split_sentences,
                                         const CodingOverrides* overrides,
                                         const std::chrono::steady_clock::time_point* deadline,
                                         bool* expired, std::size_t* expired_after) const {
  for (const std::string* field :
       {&article.body(), &article.id(), &article.url(), &article.source(), &article.dateline()}) {
    if (!core::FindInvalidUtf8(*field).has_value()) continue;
    v1::Article clean = article;
    clean.set_body(ReplaceInvalidUtf8(article.body()));
    clean.set_id(ReplaceInvalidUtf8(article.id()));
    clean.set_url(ReplaceInvalidUtf8(article.url()));
    clean.set_source(ReplaceInvalidUtf8(article.source()));
    clean.set_dateline(ReplaceInvalidUtf8(article.dateline()));
    return Code(clean, published, split_sentences, overrides, deadline, expired, expired_after);
  }
  Context ctx;
  ctx.article = &article;
  const text::NormalizedText norm = text::Normalize(article.body());
  ctx.norm = &norm;
  ctx.published = published;
  ctx.pub_day = core::DaysFromCivil(published);
  ctx.memory.country_of = [this](const ActorRef& a) { return CountryOfRef(a); };

  // The dateline: found in the body (and skipped), else as the article states it
  // (Article.dateline).
  std::size_t body_begin = 0;
  auto set_dateline_place = [&](std::string_view place_text, std::string name) {
    const std::vector<Token> place_tokens = text::Tokenize(place_text);
    if (place_tokens.empty()) return;
    ctx.dateline_place.set_name(std::move(name));
    ctx.dateline_place.set_origin("dateline");
    ctx.has_dateline_place = true;
    auto [len, entry] = LongestMatch(dict->actors, place_tokens, 0);
    if (entry != nullptr &&
        (entry->kind == EntryKind::kSeat || entry->kind == EntryKind::kCountryAlias ||
         entry->kind == EntryKind::kCountryName)) {
      ctx.dateline_country = entry->index;
      ctx.dateline_place.set_country(dict->countries[static_cast<std::size_t>(entry->index)].code);
      ctx.dateline_place.set_precision(entry->kind == EntryKind::kCountryName
                                           ? v1::PLACE_PRECISION_COUNTRY
                                           : v1::PLACE_PRECISION_CITY);
    }
  };
  if (split_sentences) {
    if (auto dl = text::FindDateline(norm.text)) {
      body_begin = dl->body_begin;
      const std::size_t b = norm.Original(dl->place.begin);
      const std::size_t e = norm.Original(dl->place.end);
      set_dateline_place(
          std::string_view(norm.text).substr(dl->place.begin, dl->place.end - dl->place.begin),
          article.body().substr(b, e - b));
    }
  }
  if (!ctx.has_dateline_place && !article.dateline().empty()) {
    const text::NormalizedText place = text::Normalize(article.dateline());
    set_dateline_place(place.text, article.dateline());
  }
  std::vector<text::Span> sentences;
  if (split_sentences) {
    const std::string_view rest = std::string_view(norm.text).substr(body_begin);
    for (text::Span s : text::SplitSentences(rest)) {
      sentences.push_back(text::Span{s.begin + body_begin, s.end + body_begin});
      if (sentences.size() >= kMaxSentences) break;
    }
  } else if (!norm.text.empty()) {
    sentences.push_back(text::Span{0, norm.text.size()});
  }
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    if (deadline != nullptr && std::chrono::steady_clock::now() >= *deadline) {
      if (expired != nullptr) *expired = true;
      if (expired_after != nullptr) *expired_after = i;
      return {};
    }
    ctx.memory.SetSentence(i);
    if (dict->petrarch) {
      CodePetrarchSentence(ctx, i, sentences[i], overrides);
    } else {
      CodeSentence(ctx, i, sentences[i]);
    }
    if (ctx.events.size() >= kMaxEventsPerArticle) break;
  }
  if (ctx.discard_article) return {};
  const double tone_value =
      ctx.tone_count == 0 ? 0.0 : std::clamp(ctx.tone_sum / ctx.tone_count / 4.0, -1.0, 1.0);
  for (auto& ev : ctx.events) ev.set_tone(tone_value);
  return std::move(ctx.events);
}

CoderOptions DefaultCoderOptions() {
  const std::string dir = core::DefaultDataDir();
  CoderOptions o;
  o.dictionaries_dir = dir + "/dictionaries";
  o.cameo_table_path = dir + "/cameo/cameo_eventcodes.tsv";
  o.tone_lexicon_path = dir + "/tone/vader_lexicon.txt";
  o.pos_model_path = dir + "/models/pos-en-ewt.bin";
  o.lemma_table_path = dir + "/models/lemmas-en-ewt.tsv";
  return o;
}

absl::StatusOr<std::unique_ptr<Coder>> Coder::Load(const CoderOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto cameo = CameoTable::Load(options.cameo_table_path);
  if (!cameo.ok()) return cameo.status();
  impl->cameo = *std::move(cameo);
  auto dict = LoadDictionaries(options.dictionaries_dir, &impl->cameo.index());
  if (!dict.ok()) return dict.status();
  impl->dict = *std::move(dict);
  std::string digest = impl->dict->digest_input;
  if (!options.tone_lexicon_path.empty()) {
    auto tone = ToneLexicon::Load(options.tone_lexicon_path);
    if (!tone.ok()) return tone.status();
    impl->tone = *std::move(tone);
    digest += "tone";
  }
  if (!options.pos_model_path.empty()) {
    auto pos = tagger::PosTagger::Load(options.pos_model_path);
    if (!pos.ok()) return pos.status();
    impl->pos_tagger = *std::move(pos);
    digest += impl->pos_tagger->description();
  }
  if (!options.lemma_table_path.empty()) {
    auto lemmas = tagger::Lemmatizer::Load(options.lemma_table_path);
    if (!lemmas.ok()) return lemmas.status();
    impl->lemmatizer = *std::move(lemmas);
    digest += Cat("lemmas", impl->lemmatizer.irregular_count());
  }
  digest += core::Sha256Hex(Cat(impl->cameo.index().size()));
  impl->version = Cat(kCoderVersion, "+", core::Sha256Hex(digest).substr(0, 8));
  spdlog::debug("coder loaded: {} patterns, {} people, {} countries ({})",
                impl->dict->patterns.size(), impl->dict->people.size(),
                impl->dict->countries.size(), impl->version);
  return std::unique_ptr<Coder>(new Coder(std::move(impl)));
}

Coder::Coder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Coder::~Coder() = default;

std::vector<v1::Event> Coder::CodeArticle(const v1::Article& article) const {
  const int64_t seconds = article.has_published_at() ? article.published_at().seconds() : 0;
  const int64_t day = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  return impl_->Code(article, core::CivilFromDays(day), true);
}

absl::StatusOr<std::vector<v1::Event>> Coder::CodeArticle(
    const v1::Article& article, std::chrono::steady_clock::time_point deadline) const {
  const int64_t seconds = article.has_published_at() ? article.published_at().seconds() : 0;
  const int64_t day = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  bool expired = false;
  std::size_t coded = 0;
  std::vector<v1::Event> events =
      impl_->Code(article, core::CivilFromDays(day), true, nullptr, &deadline, &expired, &coded);
  if (expired) {
    return absl::DeadlineExceededError("coding article '" + ReplaceInvalidUtf8(article.id()) +
                                       "' ran out of time after " + std::to_string(coded) +
                                       " sentences");
  }
  return events;
}

std::vector<v1::Event> Coder::CodeText(std::string_view id, std::string_view text,
                                       const core::CivilDate& date, bool split_sentences) const {
  return CodeText(id, text, date, split_sentences, nullptr);
}

std::vector<v1::Event> Coder::CodeText(std::string_view id, std::string_view text,
                                       const core::CivilDate& date, bool split_sentences,
                                       const CodingOverrides* overrides) const {
  v1::Article article;
  article.set_id(std::string(id));
  article.set_body(std::string(text));
  article.mutable_published_at()->set_seconds(core::DaysFromCivil(date) * 86400);
  return impl_->Code(article, date, split_sentences, overrides);
}

const std::string& Coder::version() const { return impl_->version; }

}  // namespace dyad::coder
