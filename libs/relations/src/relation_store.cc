#include "dyad/relations/relation_store.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <queue>
#include <tuple>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "dyad/core/dates.h"
#include "dyad/core/utf8.h"
#include "dyad/relations/names.h"

namespace dyad::relations {
namespace {

using dyad::v1::Bucket;
using EventKey = RelationStore::EventKey;

constexpr int64_t kMinDay = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxDay = std::numeric_limits<int64_t>::max();
constexpr std::size_t kMaxActorLength = kMaxActorCodeLength;
constexpr char kTokenVersion[] = "v1";
// How often long scans look at the cancellation callback.
constexpr int kCancelCheckEvery = 1024;

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::string AsciiUpper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// An actor code prefix from a request: upper-cased, letters and digits only.
absl::StatusOr<std::string> ActorPrefix(const char* field, const std::string& value,
                                        bool required) {
  if (value.empty()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(
        absl::StrCat(field, " actor is empty; give a CAMEO actor code prefix such as \"USA\" ",
                     "(covers USAGOV, USAMIL, ...) or \"PAKGOV\""));
  }
  if (value.size() > kMaxActorLength ||
      !std::all_of(value.begin(), value.end(), [](char c) { return IsAlnum(c); })) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " actor \"", value.substr(0, kMaxActorLength),
        "\" is not a CAMEO actor code prefix; use letters and digits only, e.g. \"USA\" or "
        "\"PAKGOV\""));
  }
  return AsciiUpper(value);
}

// The dyad side of an event: the full CAMEO actor code, else the country code.
std::string ActorCode(const dyad::v1::Actor& actor) {
  return AsciiUpper(!actor.code().empty() ? actor.code() : actor.country());
}

absl::StatusOr<std::optional<int64_t>> ParseDateField(const char* field, const std::string& value) {
  if (value.empty()) return std::optional<int64_t>();
  const auto date = core::ParseIsoDate(value);
  if (!date) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", value.substr(0, 32),
                     "\" is not a valid ISO date; use YYYY-MM-DD, e.g. 2025-09-13, or leave it "
                     "empty for an unbounded range"));
  }
  return std::optional<int64_t>(core::DaysFromCivil(*date));
}

struct DayRange {
  int64_t lo = kMinDay;
  int64_t hi = kMaxDay;
};

absl::StatusOr<DayRange> ParseRange(const std::string& from, const std::string& to) {
  auto lo = ParseDateField("from", from);
  if (!lo.ok()) return lo.status();
  auto hi = ParseDateField("to", to);
  if (!hi.ok()) return hi.status();
  DayRange range;
  if (lo->has_value()) range.lo = **lo;
  if (hi->has_value()) range.hi = **hi;
  if (lo->has_value() && hi->has_value()) {
    if (range.lo > range.hi) {
      return absl::InvalidArgumentError(
          absl::StrCat("from ", from, " is after to ", to, "; swap them or widen the range"));
    }
    const auto first = core::CivilFromDays(range.lo);
    const int64_t limit = core::DaysFromCivil(
        {first.year + kMaxRangeYears, first.month,
         std::min(first.day, core::DaysInMonth(first.year + kMaxRangeYears, first.month))});
    if (range.hi > limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("the range ", from, " .. ", to, " is longer than ", kMaxRangeYears,
                       " years; narrow from/to or leave one of them empty"));
    }
  }
  return range;
}

// First element of `keys` past every key on day `hi`.
template <typename KeySet>
typename KeySet::const_iterator PastDay(const KeySet& keys, int64_t hi) {
  if (hi == kMaxDay) return keys.end();
  return keys.lower_bound(EventKey{hi + 1, std::string_view()});
}

std::string EncodePageToken(const EventKey& key) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kTokenVersion, "|", key.day, "|", std::string(key.id)));
}

// A decoded page token: the last (day, id) of the previous page.
struct PageCursor {
  int64_t day = 0;
  std::string id;
};

absl::StatusOr<PageCursor> DecodePageToken(const std::string& token) {
  const auto bad = [] {
    return absl::InvalidArgumentError(
        "page_token is not one this server issued; pass next_page_token from the previous "
        "response unchanged, or leave it empty for the first page");
  };
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return bad();
  std::string_view rest(raw);
  const std::string_view version(kTokenVersion);
  if (rest.substr(0, version.size()) != version || rest.size() < version.size() + 1 ||
      rest[version.size()] != '|') {
    return bad();
  }
  rest.remove_prefix(version.size() + 1);
  const auto bar = rest.find('|');
  if (bar == std::string_view::npos || bar == 0 || bar + 1 >= rest.size()) return bad();
  PageCursor key;
  const char* end = rest.data() + bar;
  auto [ptr, ec] = std::from_chars(rest.data(), end, key.day);
  if (ec != std::errc() || ptr != end) return bad();
  key.id = std::string(rest.substr(bar + 1));
  return key;
}

absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Calls `fn(key, value)` for every entry of `map` whose key starts with `prefix` (all when empty).
template <typename Map, typename Fn>
void ForPrefix(const Map& map, std::string_view prefix, Fn&& fn) {
  for (auto it = map.lower_bound(prefix); it != map.end() && StartsWith(it->first, prefix); ++it) {
    fn(it->first, it->second);
  }
}

// --- The state --------------------------------------------------------------------------------

constexpr uint32_t kNoId = std::numeric_limits<uint32_t>::max();
// Codes cut to this length are countries or organisations: the level of the roll-up series.
constexpr std::size_t kCountryLength = 3;
constexpr double kMicros = 1e6;

// Strings ↔ dense ids (articles, publishers, base and root codes), so per-day sets are small
// sorted vectors of integers. Ids are never reused; the strings live as long as the store.
class Interner {
 public:
  uint32_t Intern(std::string_view text) {
    if (const auto it = ids_.find(text); it != ids_.end()) return it->second;
    const auto id = static_cast<uint32_t>(strings_.size());
    strings_.emplace_back(text);
    ids_.emplace(strings_.back(), id);
    return id;
  }
  // kNoId when `text` was never interned.
  uint32_t Find(std::string_view text) const {
    const auto it = ids_.find(text);
    return it == ids_.end() ? kNoId : it->second;
  }
  const std::string& operator[](uint32_t id) const { return strings_[id]; }
  std::size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;  // stable: the map's keys point into it
  absl::flat_hash_map<std::string_view, uint32_t> ids_;
};

// Inserts `value` into the sorted vector `set` unless it is there; true when inserted.
bool InsertSorted(std::vector<uint32_t>& set, uint32_t value) {
  const auto it = std::lower_bound(set.begin(), set.end(), value);
  if (it != set.end() && *it == value) return false;
  set.insert(it, value);
  return true;
}

// The first 8 bytes of `text`, big-endian: comparing keys orders strings as their bytes do, as far
// as those 8 bytes go (equal keys: compare the strings).
uint64_t OrderKey(std::string_view text) {
  uint64_t key = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    key = (key << 8) | (i < text.size() ? static_cast<unsigned char>(text[i]) : 0u);
  }
  return key;
}

// sum / n rounded to nearest, halves away from zero.
int64_t RoundDiv(int64_t sum, int64_t n) {
  if (n <= 0) return 0;
  return sum >= 0 ? (sum + n / 2) / n : -((-sum + n / 2) / n);
}

struct Group;

// One mention (a record of dyad.events.v1): the value of the mention index, keyed by its id.
struct Mention {
  // The serialized dyad.v1.Event: a parsed message costs several times the memory.
  std::string bytes;
  std::string code;     // Event.code, else Event.root_code: ListEvents' code filter
  std::string_view id;  // the index key
  double confidence = 0;
  int64_t goldstein = 0;  // millionths
  int64_t tone = 0;       // millionths
  int32_t quad_class = 0;
  uint32_t article = kNoId;    // interned Event.article_id; kNoId when empty
  uint32_t publisher = kNoId;  // interned Event.publisher; kNoId when empty
  uint32_t root = kNoId;       // interned root code (Event.root_code, else base code[0:2])
  Group* group = nullptr;
};

// One de-duplicated event: the mentions of one dyad, day, base code and place.
struct Group {
  int64_t day = 0;
  uint32_t base = kNoId;
  std::vector<const Mention*> mentions;  // by id: front() is the representative
  int64_t goldstein_sum = 0;             // millionths, over the mentions
  int64_t tone_sum = 0;                  // millionths, over the mentions
  std::vector<uint32_t> articles;        // distinct, sorted
  std::vector<uint32_t> sources;         // distinct, sorted
  // The representative's.
  int32_t quad = 0;
  uint32_t root = kNoId;

  std::string_view id() const { return mentions.front()->id; }
  int64_t size() const { return static_cast<int64_t>(mentions.size()); }
  int64_t goldstein() const { return RoundDiv(goldstein_sum, size()); }
};

// A day's exemplar: an event's representative id and its number of mentions.
struct Exemplar {
  std::string_view id;
  int64_t mentions = 0;
};

// Exemplar rank inside one day: most mentions, then the larger id ("newest").
bool BetterInDay(const Exemplar& a, const Exemplar& b) {
  if (a.mentions != b.mentions) return a.mentions > b.mentions;
  return a.id > b.id;
}

// What Apply did to one event (group): enough to take its old contribution out of a day's
// pre-aggregates and put the new one in.
struct GroupChange {
  const Group* group = nullptr;
  bool is_new = false;
  int32_t old_quad = 0;
  uint32_t old_root = kNoId;
  int64_t old_goldstein = 0;
  std::string_view old_id;  // empty for a new group
};

// The pre-aggregates of the events of one day, of one dyad or of one country pair (what
// GetRelation reads without a filter): kept up to date by Apply, all integers. Compact, because
// a query reads thousands of them: the variable parts share one allocation.
class Summary {
 public:
  DayTotals totals;  // mentions, Goldstein and tone sums over the mentions
  int64_t events = 0;
  int64_t quad[4] = {0, 0, 0, 0};
  int64_t goldstein = 0;  // Σ over the events of their Goldstein mean, millionths
  uint32_t exemplar_count = 0;
  std::array<Exemplar, kMaxExemplars> exemplars;  // the best, best first

  // `m` was added to `c.group`, an event of this day.
  void Update(const GroupChange& c, const Mention& m) {
    if (blob_.empty()) blob_.assign(kHeader, 0);
    const Group& g = *c.group;
    ++totals.mentions;
    totals.goldstein_micros += m.goldstein;
    totals.tone_micros += m.tone;
    if (c.is_new) {
      ++events;
    } else {
      AddQuad(c.old_quad, -1);
      if (c.old_root != kNoId) AddRoot(c.old_root, -1);
      goldstein -= c.old_goldstein;
    }
    AddQuad(g.quad, 1);
    if (g.root != kNoId) AddRoot(g.root, 1);
    goldstein += g.goldstein();
    AddCode(g.base, c.is_new ? 1 : 0);
    if (m.article != kNoId) InsertId(kArticles, m.article);
    if (m.publisher != kNoId) InsertId(kSources, m.publisher);
    Rank(c.old_id, Exemplar{g.id(), g.size()});
  }

  std::size_t root_count() const { return Count(kRoots); }
  uint32_t root(std::size_t i) const { return blob_[kHeader + 2 * i]; }
  int64_t root_events(std::size_t i) const { return blob_[kHeader + 2 * i + 1]; }
  std::size_t code_count() const { return Count(kCodes); }
  uint32_t code(std::size_t i) const { return blob_[CodesAt() + 3 * i]; }
  int64_t code_events(std::size_t i) const { return blob_[CodesAt() + 3 * i + 1]; }
  int64_t code_mentions(std::size_t i) const { return blob_[CodesAt() + 3 * i + 2]; }
  const uint32_t* articles() const { return blob_.data() + ArticlesAt(); }
  std::size_t article_count() const { return Count(kArticles); }
  const uint32_t* sources() const { return blob_.data() + SourcesAt(); }
  std::size_t source_count() const { return Count(kSources); }

 private:
  // blob_: 4 counts (roots, codes, articles, sources), then (root, events) pairs, (base code,
  // events, mentions) triples, sorted article ids, sorted source ids. Per-day counts fit 32 bits.
  enum Part { kRoots = 0, kCodes = 1, kArticles = 2, kSources = 3 };
  static constexpr std::size_t kHeader = 4;
  using Diff = std::vector<uint32_t>::difference_type;
  std::size_t Count(Part p) const { return blob_.empty() ? 0 : blob_[p]; }
  std::size_t CodesAt() const { return kHeader + 2 * Count(kRoots); }
  std::size_t ArticlesAt() const { return CodesAt() + 3 * Count(kCodes); }
  std::size_t SourcesAt() const { return ArticlesAt() + Count(kArticles); }

  void AddQuad(int32_t quad_class, int64_t n) {
    if (quad_class >= 1 && quad_class <= 4) quad[quad_class - 1] += n;
  }
  void AddRoot(uint32_t id, int64_t n) {
    for (std::size_t i = 0; i < Count(kRoots); ++i) {
      if (root(i) != id) continue;
      uint32_t& count = blob_[kHeader + 2 * i + 1];
      count = static_cast<uint32_t>(static_cast<int64_t>(count) + n);
      if (count == 0) {
        const auto at = blob_.begin() + static_cast<Diff>(kHeader + 2 * i);
        blob_.erase(at, at + 2);
        --blob_[kRoots];
      }
      return;
    }
    blob_.insert(blob_.begin() + static_cast<Diff>(CodesAt()), {id, static_cast<uint32_t>(n)});
    ++blob_[kRoots];
  }
  void AddCode(uint32_t id, uint32_t new_events) {
    for (std::size_t i = 0; i < Count(kCodes); ++i) {
      if (code(i) != id) continue;
      blob_[CodesAt() + 3 * i + 1] += new_events;
      ++blob_[CodesAt() + 3 * i + 2];
      return;
    }
    blob_.insert(blob_.begin() + static_cast<Diff>(ArticlesAt()), {id, new_events, 1u});
    ++blob_[kCodes];
  }
  void InsertId(Part part, uint32_t id) {
    const auto first =
        blob_.begin() + static_cast<Diff>(part == kArticles ? ArticlesAt() : SourcesAt());
    const auto last = first + static_cast<Diff>(Count(part));
    const auto at = std::lower_bound(first, last, id);
    if (at != last && *at == id) return;
    blob_.insert(at, id);
    ++blob_[part];
  }
  // The event's rank can only improve (it has one more mention than before), so the best list
  // stays right by taking its old entry out and putting the new one where it belongs.
  void Rank(std::string_view old_id, const Exemplar& e) {
    Exemplar* begin = exemplars.data();
    Exemplar* end = begin + exemplar_count;
    if (!old_id.empty()) {
      Exemplar* old = std::find_if(begin, end, [&](const Exemplar& x) { return x.id == old_id; });
      if (old != end) {
        std::move(old + 1, end, old);
        --end;
      }
    }
    Exemplar* at = std::lower_bound(begin, end, e, BetterInDay);
    Exemplar* const cap = begin + kMaxExemplars;
    if (at == cap) {
      exemplar_count = static_cast<uint32_t>(end - begin);
      return;
    }
    if (end == cap) --end;  // full: the last one drops out
    std::move_backward(at, end, end + 1);
    *at = e;
    exemplar_count = static_cast<uint32_t>(end + 1 - begin);
  }

  std::vector<uint32_t> blob_;
};

// The events of one dyad on one day and their pre-aggregates.
struct Day {
  std::vector<std::unique_ptr<Group>> groups;
  Summary summary;
};

using KeySet = absl::btree_set<EventKey>;

struct Series {
  std::string source;
  std::string target;
  absl::btree_map<int64_t, Day> days;  // by day: range scans
  KeySet keys;                         // the dyad's mentions, ordered: ListEvents merge
};

// What makes mentions one event (the dyad and day are part of it through `series` and `day`).
struct GroupKey {
  const Series* series = nullptr;
  int64_t day = 0;
  uint32_t base = kNoId;
  std::string place_country;
  std::string place_name;

  template <typename H>
  friend H AbslHashValue(H h, const GroupKey& k) {
    return H::combine(std::move(h), k.series, k.day, k.base, k.place_country, k.place_name);
  }
  friend bool operator==(const GroupKey&, const GroupKey&) = default;
};

// The pre-aggregates of a country pair (codes cut to kCountryLength) per day: every dyad of the
// pair rolled up, so that GetRelation("USA", "PAK") reads one series instead of USA → PAK,
// USAGOV → PAKGOV, USAMIL → PAK, ...
struct Rollup {
  absl::btree_map<int64_t, Summary> days;
  int64_t mentions = 0;  // applied to this pair so far: its part of RelationVersion
};

struct ActorEntry {
  int64_t mentions = 0;
  std::string name;
  std::string folded;  // name in ASCII lower case, for ListActors' word prefixes
};

}  // namespace

struct RelationStore::State {
  // source code → target code → series. std::map nodes are stable, so the pointers below are too.
  std::map<std::string, std::map<std::string, Series, std::less<>>, std::less<>> by_source;
  // target code → source code → the same series, for target-side prefix lookups.
  std::map<std::string, std::map<std::string, const Series*, std::less<>>, std::less<>> by_target;
  absl::node_hash_map<std::string, Mention> mentions;  // by id; node map: stable keys and values
  KeySet order;                                        // every mention, for unfiltered listing
  // country → country → roll-up of their dyads.
  std::map<std::string, std::map<std::string, Rollup, std::less<>>, std::less<>> by_country;
  absl::flat_hash_map<GroupKey, Group*> groups;
  Interner articles;
  Interner publishers;
  Interner bases;
  std::vector<std::string> base_names;  // CAMEO name of each interned base code
  std::vector<uint64_t> base_keys;      // its first 8 bytes, big-endian: orders most codes
  Interner roots;
  absl::btree_map<std::string, ActorEntry, std::less<>> actors;
  int64_t dyads = 0;
  int64_t events = 0;  // groups
};

namespace {

using State = RelationStore::State;

// The roll-up of country pair a → b; null when they have no events.
const Rollup* FindRollup(const State& st, std::string_view a, std::string_view b) {
  const auto sources = st.by_country.find(a);
  if (sources == st.by_country.end()) return nullptr;
  const auto targets = sources->second.find(b);
  return targets == sources->second.end() ? nullptr : &targets->second;
}

// RelationStore::RelationVersion of validated, upper-cased prefixes. Actor codes start with their
// country (or organisation) code, so prefixes of 3 characters or more fall in one country pair
// per direction, whose roll-up counts the mentions applied to it; shorter prefixes use the
// store's mention count. Both only grow, and so does their sum.
uint64_t VersionOf(const State& st, std::string_view source, std::string_view target,
                   bool both_directions) {
  if (source.size() < kCountryLength || target.size() < kCountryLength) {
    return st.mentions.size();
  }
  const auto pair_mentions = [&](std::string_view a, std::string_view b) -> uint64_t {
    const Rollup* r = FindRollup(st, a.substr(0, kCountryLength), b.substr(0, kCountryLength));
    return r == nullptr ? 0 : static_cast<uint64_t>(r->mentions);
  };
  uint64_t version = pair_mentions(source, target);
  if (both_directions) version += pair_mentions(target, source);
  return version;
}

// Dyads matching the prefixes in either or both directions, each once.
std::vector<const Series*> MatchDyads(const State& state, std::string_view source,
                                      std::string_view target, bool both_directions) {
  std::vector<const Series*> out;
  const auto directed = [&](std::string_view src, std::string_view tgt) {
    if (!src.empty() || tgt.empty()) {
      ForPrefix(state.by_source, src, [&](const std::string&, const auto& targets) {
        ForPrefix(targets, tgt, [&](const std::string&, const Series& s) { out.push_back(&s); });
      });
    } else {
      ForPrefix(state.by_target, tgt, [&](const std::string&, const auto& sources) {
        for (const auto& [code, series] : sources) out.push_back(series);
      });
    }
  };
  directed(source, target);
  if (both_directions) {
    directed(target, source);
    // A dyad matching both ways (e.g. PAK → PAK) counts once.
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

// --- Filters ------------------------------------------------------------------------------------

absl::Status CheckMinConfidence(const char* field, double value) {
  if (!(value >= 0.0 && value <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", value,
                     " is out of range; use 0..1 (the coder's confidence), or 0 for no filter"));
  }
  return absl::OkStatus();
}

// An EventFilter, checked and resolved against the store's ids.
struct Filter {
  bool by_root = false;
  std::vector<std::string> root_codes;  // as given
  std::vector<uint32_t> roots;          // their interned ids (unknown ones match nothing)
  unsigned quads = 0;                   // bit q set: keep quad class q; 0 = all
  double min_confidence = 0;

  bool groups() const { return by_root || quads != 0; }
  bool mentions() const { return min_confidence > 0; }
  bool any() const { return groups() || mentions(); }
  bool Keeps(int32_t quad, uint32_t root) const {
    if (quads != 0 && (quad < 1 || quad > 4 || (quads & (1u << quad)) == 0)) return false;
    if (by_root && std::find(roots.begin(), roots.end(), root) == roots.end()) return false;
    return true;
  }
};

absl::StatusOr<Filter> ParseFilter(const dyad::v1::EventFilter& f) {
  Filter out;
  if (f.root_codes_size() > kMaxFilterCodes || f.quad_classes_size() > kMaxFilterCodes) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter has ", f.root_codes_size(), " root codes and ", f.quad_classes_size(),
                     " quad classes; give at most ", kMaxFilterCodes, " of each"));
  }
  for (const auto& code : f.root_codes()) {
    if (code.size() != 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("filter root code \"", code.substr(0, 8),
                       "\" is not a CAMEO root code; use two digits such as \"04\" (consult) or "
                       "\"19\" (fight)"));
    }
    out.root_codes.push_back(code);
  }
  out.by_root = !out.root_codes.empty();
  for (const int32_t q : f.quad_classes()) {
    if (q < 1 || q > 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter quad class ", q,
                       " is out of range; use 1 (verbal cooperation), 2 (material cooperation), "
                       "3 (verbal conflict) or 4 (material conflict)"));
    }
    out.quads |= 1u << q;
  }
  if (auto s = CheckMinConfidence("filter min_confidence", f.min_confidence()); !s.ok()) return s;
  out.min_confidence = f.min_confidence();
  return out;
}

// Resolves the root codes to ids; under the store's lock.
void ResolveFilter(const State& state, Filter& filter) {
  filter.roots.clear();
  for (const auto& code : filter.root_codes) filter.roots.push_back(state.roots.Find(code));
}

// --- Accumulating buckets -----------------------------------------------------------------------

// A sorted run of interned ids (a day's or an event's articles or sources).
struct Span {
  const uint32_t* data = nullptr;
  std::size_t size = 0;
};
Span SpanOf(const std::vector<uint32_t>& v) { return Span{v.data(), v.size()}; }

// Number of distinct ids in the union of sorted spans. Ids are dense (interned from 0), so a
// bitmap over them answers in O(n): one per thread, grown as the store grows (an eighth of a byte
// per id) and left all zero (each call clears the words it set), so a query allocates nothing.
// Beyond kMaxBitmapIds ids, a sort.
constexpr uint32_t kMaxBitmapIds = uint32_t{1} << 27;  // 16 MB of bitmap per thread

int64_t DistinctCount(const std::vector<Span>& spans) {
  std::size_t n = 0;
  uint32_t hi = 0;
  const Span* only = nullptr;
  std::size_t nonempty = 0;
  for (const Span& s : spans) {
    if (s.size == 0) continue;
    ++nonempty;
    only = &s;
    n += s.size;
    hi = std::max(hi, s.data[s.size - 1]);
  }
  if (nonempty == 0) return 0;
  if (nonempty == 1) return static_cast<int64_t>(only->size);
  if (hi < kMaxBitmapIds) {
    thread_local std::vector<uint64_t> bits;
    const std::size_t words = (hi >> 6) + 1;
    if (bits.size() < words) bits.resize(std::max(words, bits.size() * 2), 0);
    int64_t distinct = 0;
    for (const Span& s : spans) {
      for (std::size_t i = 0; i < s.size; ++i) {
        uint64_t& word = bits[s.data[i] >> 6];
        const uint64_t bit = uint64_t{1} << (s.data[i] & 63);
        distinct += (word & bit) == 0 ? 1 : 0;
        word |= bit;
      }
    }
    for (const Span& s : spans) {
      for (std::size_t i = 0; i < s.size; ++i) bits[s.data[i] >> 6] = 0;
    }
    return distinct;
  }
  std::vector<uint32_t> all;
  all.reserve(n);
  for (const Span& s : spans) all.insert(all.end(), s.data, s.data + s.size);
  std::sort(all.begin(), all.end());
  return static_cast<int64_t>(std::unique(all.begin(), all.end()) - all.begin());
}

// YYYY-MM-DD of a day, without printf (GetRelation formats one per bucket).
std::string IsoDay(int64_t day) {
  const auto civil = core::CivilFromDays(day);
  if (civil.year < 0 || civil.year > 9999) return core::FormatIsoDate(civil);
  char out[10];
  int year = civil.year;
  for (int i = 3; i >= 0; --i, year /= 10) out[i] = static_cast<char>('0' + year % 10);
  out[4] = '-';
  out[5] = static_cast<char>('0' + civil.month / 10);
  out[6] = static_cast<char>('0' + civil.month % 10);
  out[7] = '-';
  out[8] = static_cast<char>('0' + civil.day / 10);
  out[9] = static_cast<char>('0' + civil.day % 10);
  return std::string(out, sizeof out);
}

// An event as a query sees it: a whole group, or the mentions of a group that pass
// min_confidence.
struct EventView {
  int64_t day = 0;
  uint32_t base = kNoId;
  int32_t quad = 0;
  uint32_t root = kNoId;
  int64_t mentions = 0;
  int64_t goldstein = 0;  // the event's mean, millionths
  int64_t tone_sum = 0;   // over its mentions, millionths
  Span articles;
  Span sources;
  std::string_view id;
};

EventView ViewOf(const Group& g) {
  return EventView{g.day,
                   g.base,
                   g.quad,
                   g.root,
                   g.size(),
                   g.goldstein(),
                   g.tone_sum,
                   SpanOf(g.articles),
                   SpanOf(g.sources),
                   g.id()};
}

// Per-query scratch: storage for the id sets of events rebuilt from filtered mentions.
struct Scratch {
  std::deque<std::vector<uint32_t>> sets;
  Span Keep(std::vector<uint32_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    sets.push_back(std::move(v));
    return SpanOf(sets.back());
  }
};

// The event made of the mentions of `g` with confidence >= min; false when none is left.
bool FilteredView(const Group& g, double min_confidence, Scratch& scratch, EventView& out) {
  std::vector<uint32_t> articles;
  std::vector<uint32_t> sources;
  const Mention* first = nullptr;
  int64_t n = 0;
  int64_t goldstein = 0;
  int64_t tone = 0;
  for (const Mention* m : g.mentions) {
    if (!(m->confidence >= min_confidence)) continue;
    if (first == nullptr) first = m;
    ++n;
    goldstein += m->goldstein;
    tone += m->tone;
    if (m->article != kNoId) articles.push_back(m->article);
    if (m->publisher != kNoId) sources.push_back(m->publisher);
  }
  if (first == nullptr) return false;
  out = EventView{g.day,
                  g.base,
                  first->quad_class,
                  first->root,
                  n,
                  RoundDiv(goldstein, n),
                  tone,
                  scratch.Keep(std::move(articles)),
                  scratch.Keep(std::move(sources)),
                  first->id};
  return true;
}

// One day a query reads: its pre-aggregates, and its events when it is a dyad's day (null for a
// country pair's: those are read only without a filter).
struct DayRef {
  int64_t day = 0;
  const Summary* summary = nullptr;
  const Day* full = nullptr;
};

// Calls sink.AddDay when the day's pre-aggregates answer the filter, else sink.AddEvent for each
// of its events that the filter keeps.
template <typename Sink>
void VisitDay(const DayRef& ref, const Filter& filter, Scratch& scratch, Sink& sink) {
  if (!filter.any()) {
    sink.AddDay(*ref.summary, ref.day);
    return;
  }
  for (const auto& group : ref.full->groups) {
    EventView view;
    if (filter.mentions()) {
      if (!FilteredView(*group, filter.min_confidence, scratch, view)) continue;
    } else {
      view = ViewOf(*group);
    }
    if (filter.Keeps(view.quad, view.root)) sink.AddEvent(view);
  }
}

DayRef RefOf(int64_t day, const Day& full) { return DayRef{day, &full.summary, &full}; }
DayRef RefOf(int64_t day, const Summary& rolled) { return DayRef{day, &rolled, nullptr}; }

// Whether a query can read the country pairs' roll-ups: no filter (they keep no events), and
// actor prefixes that are exactly country (or organisation) codes.
bool UseRollup(const Filter& filter, std::string_view a, std::string_view b) {
  return !filter.any() && a.size() == kCountryLength && b.size() == kCountryLength;
}

// Counters by dense id (root or base code) with the list of ids touched, so that resetting costs
// what was used.
class Tally {
 public:
  explicit Tally(std::size_t ids) : events_(ids, 0), mentions_(ids, 0), seen_(ids, 0) {}
  void Add(uint32_t id, int64_t events, int64_t mentions) {
    if (seen_[id] == 0) {
      seen_[id] = 1;
      touched_.push_back(id);
    }
    events_[id] += events;
    mentions_[id] += mentions;
  }
  const std::vector<uint32_t>& touched() const { return touched_; }
  int64_t events(uint32_t id) const { return events_[id]; }
  int64_t mentions(uint32_t id) const { return mentions_[id]; }
  void Reset() {
    for (const uint32_t id : touched_) {
      events_[id] = 0;
      mentions_[id] = 0;
      seen_[id] = 0;
    }
    touched_.clear();
  }

 private:
  std::vector<int64_t> events_;
  std::vector<int64_t> mentions_;
  std::vector<uint8_t> seen_;
  std::vector<uint32_t> touched_;
};

// An exemplar candidate; ranked by most mentions, then newest (later day, then larger id).
struct Candidate {
  int64_t mentions = 0;
  int64_t day = 0;
  std::string_view id;
};
bool Better(const Candidate& a, const Candidate& b) {
  if (a.mentions != b.mentions) return a.mentions > b.mentions;
  if (a.day != b.day) return a.day > b.day;
  return a.id > b.id;
}

// Keeps the best kMaxExemplars of `c`, best first.
void KeepBest(std::vector<Candidate>& c) {
  const auto keep = std::min<std::size_t>(c.size(), kMaxExemplars);
  std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(keep), c.end(), Better);
  c.resize(keep);
}

// The integer sums of a bucket.
struct Sums {
  int64_t events = 0;
  int64_t quad[4] = {0, 0, 0, 0};
  int64_t goldstein = 0;  // Σ event means, millionths
  int64_t tone = 0;       // Σ over mentions, millionths
  int64_t mentions = 0;

  void AddQuad(int32_t q, int64_t n) {
    if (q >= 1 && q <= 4) quad[q - 1] += n;
  }
  void Add(const Sums& o) {
    events += o.events;
    for (int q = 0; q < 4; ++q) quad[q] += o.quad[q];
    goldstein += o.goldstein;
    tone += o.tone;
    mentions += o.mentions;
  }
  double GoldsteinMean() const {
    return events > 0 ? static_cast<double>(goldstein) / kMicros / static_cast<double>(events)
                      : 0.0;
  }
};

// Sums only: GetGraph's edges.
struct SumsSink {
  Sums sums;
  void AddDay(const Summary& day, int64_t) {
    sums.events += day.events;
    for (int q = 0; q < 4; ++q) sums.quad[q] += day.quad[q];
    sums.goldstein += day.goldstein;
    sums.tone += day.totals.tone_micros;
    sums.mentions += day.totals.mentions;
  }
  void AddEvent(const EventView& e) {
    ++sums.events;
    sums.AddQuad(e.quad, 1);
    sums.goldstein += e.goldstein;
    sums.tone += e.tone_sum;
    sums.mentions += e.mentions;
  }
};

// One RelationBucket being accumulated.
class BucketBuilder {
 public:
  BucketBuilder(const State& state)
      : state_(state), roots_(state.roots.size()), codes_(state.bases.size()) {}

  void AddDay(const Summary& day, int64_t number) {
    sums_.events += day.events;
    for (int q = 0; q < 4; ++q) sums_.quad[q] += day.quad[q];
    sums_.goldstein += day.goldstein;
    sums_.tone += day.totals.tone_micros;
    sums_.mentions += day.totals.mentions;
    for (std::size_t i = 0; i < day.root_count(); ++i) {
      roots_.Add(day.root(i), day.root_events(i), 0);
    }
    for (std::size_t i = 0; i < day.code_count(); ++i) {
      codes_.Add(day.code(i), day.code_events(i), day.code_mentions(i));
    }
    articles_.push_back(Span{day.articles(), day.article_count()});
    sources_.push_back(Span{day.sources(), day.source_count()});
    for (uint32_t i = 0; i < day.exemplar_count; ++i) {
      candidates_.push_back({day.exemplars[i].mentions, number, day.exemplars[i].id});
    }
    ++parts_;
  }
  void AddEvent(const EventView& e) {
    ++sums_.events;
    sums_.AddQuad(e.quad, 1);
    sums_.goldstein += e.goldstein;
    sums_.tone += e.tone_sum;
    sums_.mentions += e.mentions;
    if (e.root != kNoId) roots_.Add(e.root, 1, 0);
    codes_.Add(e.base, 1, e.mentions);
    articles_.push_back(e.articles);
    sources_.push_back(e.sources);
    candidates_.push_back({e.mentions, e.day, e.id});
    parts_ += 2;  // not in rank order
  }

  int64_t events() const { return sums_.events; }
  const Sums& sums() const { return sums_; }

  // Writes the bucket; `start` empty for totals. Without `details` only the numbers (see
  // RELATION_DETAIL_COUNTS).
  void Fill(std::string start, bool details, dyad::v1::RelationBucket* out) {
    out->set_start(std::move(start));
    out->set_events(sums_.events);
    out->set_verbal_cooperation(sums_.quad[0]);
    out->set_material_cooperation(sums_.quad[1]);
    out->set_verbal_conflict(sums_.quad[2]);
    out->set_material_conflict(sums_.quad[3]);
    out->set_goldstein_sum(static_cast<double>(sums_.goldstein) / kMicros);
    out->set_goldstein_mean(sums_.GoldsteinMean());
    out->set_tone_mean(sums_.mentions > 0 ? static_cast<double>(sums_.tone) / kMicros /
                                                static_cast<double>(sums_.mentions)
                                          : 0.0);
    out->set_mentions(sums_.mentions);
    out->set_articles(DistinctCount(articles_));
    out->set_sources(DistinctCount(sources_));
    if (parts_ > 1) KeepBest(candidates_);  // one day's exemplars are ranked already
    if (!details) return;
    auto& roots = *out->mutable_root_codes();
    for (const uint32_t id : roots_.touched()) {
      if (roots_.events(id) != 0) roots[state_.roots[id]] = roots_.events(id);
    }
    for (const Candidate& c : candidates_) out->add_event_ids(std::string(c.id));
    // Top codes: most events, then most mentions, then by code.
    std::vector<uint32_t>& codes = code_order_;
    codes.assign(codes_.touched().begin(), codes_.touched().end());
    const auto better = [&](uint32_t a, uint32_t b) {
      if (codes_.events(a) != codes_.events(b)) return codes_.events(a) > codes_.events(b);
      if (codes_.mentions(a) != codes_.mentions(b)) return codes_.mentions(a) > codes_.mentions(b);
      if (state_.base_keys[a] != state_.base_keys[b]) {
        return state_.base_keys[a] < state_.base_keys[b];
      }
      return state_.bases[a] < state_.bases[b];
    };
    const auto keep = std::min<std::size_t>(codes.size(), kMaxTopCodes);
    std::partial_sort(codes.begin(), codes.begin() + static_cast<std::ptrdiff_t>(keep), codes.end(),
                      better);
    for (std::size_t i = 0; i < keep; ++i) {
      auto* code = out->add_top_codes();
      code->set_code(state_.bases[codes[i]]);
      code->set_name(state_.base_names[codes[i]]);
      code->set_events(codes_.events(codes[i]));
      code->set_mentions(codes_.mentions(codes[i]));
    }
  }

  // Adds this (filled) bucket to `total`: its sums, tallies, id spans and exemplars.
  void AddTo(BucketBuilder& total) const {
    total.sums_.Add(sums_);
    for (const uint32_t id : roots_.touched()) total.roots_.Add(id, roots_.events(id), 0);
    for (const uint32_t id : codes_.touched()) {
      total.codes_.Add(id, codes_.events(id), codes_.mentions(id));
    }
    total.articles_.insert(total.articles_.end(), articles_.begin(), articles_.end());
    total.sources_.insert(total.sources_.end(), sources_.begin(), sources_.end());
    total.candidates_.insert(total.candidates_.end(), candidates_.begin(), candidates_.end());
    total.parts_ += 2;
  }

  void Reset() {
    sums_ = Sums{};
    roots_.Reset();
    codes_.Reset();
    articles_.clear();
    sources_.clear();
    candidates_.clear();
    parts_ = 0;
  }

 private:
  const State& state_;
  Sums sums_;
  Tally roots_;
  Tally codes_;
  std::vector<Span> articles_;
  std::vector<Span> sources_;
  std::vector<Candidate> candidates_;
  std::vector<uint32_t> code_order_;  // scratch of Fill
  int parts_ = 0;                     // > 1: the candidates need ranking
};

// Validates a limit field: 0 → `fallback`, else 1..max.
absl::StatusOr<int> Limit(const char* field, int32_t value, int fallback, int max) {
  if (value < 0 || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", value, " is out of range; use 1..", max, ", or 0 for ", fallback));
  }
  return value == 0 ? fallback : value;
}

absl::StatusOr<std::size_t> CodeLength(const char* field, int32_t value) {
  if (value < 0 || value > kMaxActorCodeLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", value, " is out of range; use 1..", kMaxActorCodeLength,
        " (3 = countries and organisations, 6 = with a role), or 0 for ", kDefaultCodeLength));
  }
  return static_cast<std::size_t>(value == 0 ? kDefaultCodeLength : value);
}

std::string Cut(std::string_view code, std::size_t length) {
  return std::string(code.substr(0, length));
}

std::string FoldAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// True when a word of `folded` (lower-case name) starts with `prefix` (lower case): at the start
// or after a character that is not an ASCII letter or digit (nor part of a UTF-8 sequence).
bool NameHasWordPrefix(std::string_view folded, std::string_view prefix) {
  for (std::size_t i = 0; i + prefix.size() <= folded.size(); ++i) {
    if (i > 0) {
      const auto c = static_cast<unsigned char>(folded[i - 1]);
      if (c >= 0x80 || IsAlnum(static_cast<char>(c))) continue;
    }
    if (folded.substr(i, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<int64_t> EventDay(const dyad::v1::Event& event) {
  if (!event.date().date().empty()) {
    if (const auto date = core::ParseIsoDate(event.date().date())) {
      return core::DaysFromCivil(*date);
    }
  }
  if (event.has_published_at()) return FloorDiv(event.published_at().seconds(), 86400);
  return absl::InvalidArgumentError(
      "event has no usable date: date.date is empty or not YYYY-MM-DD and published_at is unset");
}

int64_t BucketStart(int64_t day, Bucket bucket) {
  switch (bucket) {
    case dyad::v1::BUCKET_WEEK:
      return day - core::Weekday(day);
    case dyad::v1::BUCKET_MONTH: {
      const auto civil = core::CivilFromDays(day);
      return core::DaysFromCivil({civil.year, civil.month, 1});
    }
    case dyad::v1::BUCKET_YEAR:
      return core::DaysFromCivil({core::CivilFromDays(day).year, 1, 1});
    default:
      return day;
  }
}

int64_t BucketEnd(int64_t start, Bucket bucket) {
  switch (bucket) {
    case dyad::v1::BUCKET_WEEK:
      return start + 6;
    case dyad::v1::BUCKET_MONTH: {
      const auto civil = core::CivilFromDays(start);
      return start + core::DaysInMonth(civil.year, civil.month) - 1;
    }
    case dyad::v1::BUCKET_YEAR:
      return core::DaysFromCivil({core::CivilFromDays(start).year, 12, 31});
    default:
      return start;
  }
}

RelationStore::RelationStore() : state_(std::make_unique<State>()) {}
RelationStore::RelationStore(std::shared_ptr<const Names> names)
    : names_(std::move(names)), state_(std::make_unique<State>()) {}
RelationStore::~RelationStore() = default;

std::shared_lock<std::shared_mutex> RelationStore::ReadLock() const {
  std::lock_guard turnstile(turnstile_);
  return std::shared_lock(mu_);
}

int64_t ToMicros(double value) { return std::llround(value * kMicros); }

absl::StatusOr<EventPlace> PlaceEvent(const dyad::v1::Event& event, std::string* bytes) {
  if (event.id().empty()) {
    return absl::InvalidArgumentError("event has no id; the extractor must set Event.id");
  }
  EventPlace place;
  place.source = ActorCode(event.source());
  place.target = ActorCode(event.target());
  if (place.source.empty() || place.target.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id(), " has no ", place.source.empty() ? "source" : "target",
                     " actor code (neither Actor.code nor Actor.country is set)"));
  }
  if (!std::isfinite(event.goldstein()) || !std::isfinite(event.tone())) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id(), " has a non-finite goldstein or tone value"));
  }
  if (std::fabs(event.goldstein()) > kMaxAbsGoldstein || std::fabs(event.tone()) > kMaxAbsTone) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id(), " has goldstein ", event.goldstein(), " and tone ",
                     event.tone(), "; the store takes goldstein within ±", kMaxAbsGoldstein,
                     " (the CAMEO scale) and tone "
                     "within ±",
                     kMaxAbsTone));
  }
  const auto day = EventDay(event);
  if (!day.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id(), ": ", day.status().message()));
  }
  place.day = *day;
  // The round trip makes sure the store can parse it back: an Event built in memory (not parsed
  // from a record) may hold a string that is not UTF-8, which proto3 refuses to parse.
  std::string local;
  std::string& out = bytes != nullptr ? *bytes : local;
  if (dyad::v1::Event check; !event.SerializeToString(&out) || !check.ParseFromString(out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id(), " cannot be stored: a string field is not valid UTF-8"));
  }
  return place;
}

void DayTotals::Add(const dyad::v1::Event& event) {
  ++mentions;
  goldstein_micros += ToMicros(event.goldstein());
  tone_micros += ToMicros(event.tone());
}

absl::StatusOr<bool> RelationStore::Apply(const dyad::v1::Event& event) {
  // Validated and serialised before taking the lock, so readers are not kept waiting for it.
  Mention mention;
  auto place = PlaceEvent(event, &mention.bytes);
  if (!place.ok()) return place.status();
  mention.code = !event.code().empty() ? event.code() : event.root_code();
  mention.quad_class = event.quad_class();
  mention.confidence = event.confidence();
  mention.goldstein = ToMicros(event.goldstein());
  mention.tone = ToMicros(event.tone());
  const std::string base =
      !event.base_code().empty() ? event.base_code() : event.code().substr(0, 3);
  const std::string root = !event.root_code().empty() ? event.root_code() : base.substr(0, 2);

  std::unique_lock turnstile(turnstile_);
  std::unique_lock lock(mu_);
  turnstile.unlock();
  State& st = *state_;
  const auto [mention_it, is_new] = st.mentions.try_emplace(event.id(), std::move(mention));
  if (!is_new) return false;
  Mention& m = mention_it->second;
  m.id = mention_it->first;
  if (!event.article_id().empty()) m.article = st.articles.Intern(event.article_id());
  if (!event.publisher().empty()) m.publisher = st.publishers.Intern(event.publisher());
  if (!root.empty()) m.root = st.roots.Intern(root);
  const std::size_t bases_before = st.bases.size();
  const uint32_t base_id = st.bases.Intern(base);
  if (st.bases.size() != bases_before) {
    st.base_names.push_back(names_ != nullptr ? names_->CodeName(base) : std::string());
    st.base_keys.push_back(OrderKey(base));
  }

  // The dyad.
  auto& targets = st.by_source[place->source];
  auto [series_it, inserted] = targets.try_emplace(place->target);
  Series& series = series_it->second;
  if (inserted) {
    series.source = place->source;
    series.target = place->target;
    st.by_target[place->target][place->source] = &series;
    ++st.dyads;
  }
  const auto count_actor = [&](const std::string& code) {
    auto [actor, fresh] = st.actors.try_emplace(code);
    if (fresh && names_ != nullptr) {
      actor->second.name = names_->ActorName(code);
      actor->second.folded = FoldAscii(actor->second.name);
    }
    ++actor->second.mentions;
  };
  count_actor(place->source);
  if (place->target != place->source) count_actor(place->target);

  // The event (group) and its day.
  Day& day = series.days[place->day];
  auto [group_it, new_group] = st.groups.try_emplace(
      GroupKey{&series, place->day, base_id, event.place().country(), event.place().name()},
      nullptr);
  if (new_group) {
    auto group = std::make_unique<Group>();
    group->day = place->day;
    group->base = base_id;
    group_it->second = group.get();
    day.groups.push_back(std::move(group));
    ++st.events;
  }
  Group& g = *group_it->second;
  GroupChange change{&g,
                     new_group,
                     g.quad,
                     g.root,
                     new_group ? 0 : g.goldstein(),
                     new_group ? std::string_view() : g.id()};
  g.mentions.insert(
      std::lower_bound(g.mentions.begin(), g.mentions.end(), m.id,
                       [](const Mention* a, std::string_view id) { return a->id < id; }),
      &m);
  m.group = &g;
  g.goldstein_sum += m.goldstein;
  g.tone_sum += m.tone;
  if (m.article != kNoId) InsertSorted(g.articles, m.article);
  if (m.publisher != kNoId) InsertSorted(g.sources, m.publisher);
  g.quad = g.mentions.front()->quad_class;
  g.root = g.mentions.front()->root;

  // The day's pre-aggregates, of the dyad and of its country pair: the event's old contribution
  // out, the new one in (integers, so exact in any order).
  day.summary.Update(change, m);
  Rollup& country_pair = st.by_country[place->source.substr(0, kCountryLength)]
                                      [place->target.substr(0, kCountryLength)];
  ++country_pair.mentions;
  country_pair.days[place->day].Update(change, m);

  const EventKey key{place->day, m.id};
  series.keys.insert(key);
  st.order.insert(key);
  return true;
}

absl::StatusOr<dyad::v1::GetRelationResponse> RelationStore::GetRelation(
    const dyad::v1::GetRelationRequest& request, const CancelledFn& is_cancelled) const {
  dyad::v1::GetRelationResponse response;
  if (auto status = GetRelationInto(request, &response, is_cancelled); !status.ok()) return status;
  return response;
}

absl::Status RelationStore::GetRelationInto(const dyad::v1::GetRelationRequest& request,
                                            dyad::v1::GetRelationResponse* out,
                                            const CancelledFn& is_cancelled,
                                            uint64_t* version) const {
  out->Clear();
  auto source = ActorPrefix("source", request.source(), /*required=*/true);
  if (!source.ok()) return source.status();
  auto target = ActorPrefix("target", request.target(), /*required=*/true);
  if (!target.ok()) return target.status();
  auto range = ParseRange(request.from(), request.to());
  if (!range.ok()) return range.status();
  if (!dyad::v1::Bucket_IsValid(request.bucket())) {
    return absl::InvalidArgumentError(
        absl::StrCat("bucket ", static_cast<int>(request.bucket()),
                     " is unknown; use BUCKET_DAY, BUCKET_WEEK, BUCKET_MONTH or BUCKET_YEAR"));
  }
  auto filter = ParseFilter(request.filter());
  if (!filter.ok()) return filter.status();
  if (!dyad::v1::RelationDetail_IsValid(request.detail())) {
    return absl::InvalidArgumentError(
        absl::StrCat("detail ", static_cast<int>(request.detail()),
                     " is unknown; use RELATION_DETAIL_FULL or RELATION_DETAIL_COUNTS"));
  }
  const bool details = request.detail() != dyad::v1::RELATION_DETAIL_COUNTS;
  const Bucket bucket = request.bucket();
  const auto cancelled = [&] { return is_cancelled && is_cancelled(); };
  const auto cancel_error = [] {
    return absl::CancelledError("GetRelation cancelled by the caller");
  };

  auto lock = ReadLock();
  const State& st = *state_;
  ResolveFilter(st, *filter);

  // The matching days, by day: of the country pair's roll-up when the actors are countries and
  // nothing is filtered, else of every matching dyad.
  std::vector<DayRef> days;
  int steps = 0;
  std::size_t series = 0;
  const auto collect = [&](const auto& map) {
    ++series;
    for (auto it = map.lower_bound(range->lo); it != map.end() && it->first <= range->hi; ++it) {
      if (++steps % kCancelCheckEvery == 0 && cancelled()) return false;
      days.push_back(RefOf(it->first, it->second));
    }
    return true;
  };
  if (UseRollup(*filter, *source, *target)) {
    if (const Rollup* r = FindRollup(st, *source, *target); r != nullptr && !collect(r->days)) {
      return cancel_error();
    }
    if (request.both_directions() && *source != *target) {
      if (const Rollup* r = FindRollup(st, *target, *source); r != nullptr && !collect(r->days)) {
        return cancel_error();
      }
    }
  } else {
    for (const Series* dyad : MatchDyads(st, *source, *target, request.both_directions())) {
      if (!collect(dyad->days)) return cancel_error();
    }
  }
  if (series > 1) {
    std::sort(days.begin(), days.end(),
              [](const DayRef& a, const DayRef& b) { return a.day < b.day; });
  }

  dyad::v1::GetRelationResponse& response = *out;
  BucketBuilder acc(st);
  BucketBuilder total(st);
  Scratch scratch;
  for (std::size_t i = 0; i < days.size();) {
    if (cancelled()) return cancel_error();
    const int64_t start = BucketStart(days[i].day, bucket);
    const int64_t end = BucketEnd(start, bucket);
    for (; i < days.size() && days[i].day <= end; ++i) {
      if (++steps % kCancelCheckEvery == 0 && cancelled()) return cancel_error();
      VisitDay(days[i], *filter, scratch, acc);
    }
    if (acc.events() > 0) {
      acc.Fill(IsoDay(start), details, response.add_buckets());
      acc.AddTo(total);
    }
    acc.Reset();
  }
  total.Fill(std::string(), /*details=*/true, response.mutable_total());
  if (version != nullptr) *version = VersionOf(st, *source, *target, request.both_directions());
  return absl::OkStatus();
}

std::optional<uint64_t> RelationStore::RelationVersion(
    const dyad::v1::GetRelationRequest& request) const {
  auto source = ActorPrefix("source", request.source(), /*required=*/true);
  auto target = ActorPrefix("target", request.target(), /*required=*/true);
  if (!source.ok() || !target.ok()) return std::nullopt;
  auto lock = ReadLock();
  return VersionOf(*state_, *source, *target, request.both_directions());
}

absl::StatusOr<dyad::v1::TopPartnersResponse> RelationStore::TopPartners(
    const dyad::v1::TopPartnersRequest& request, const CancelledFn& is_cancelled) const {
  auto actor = ActorPrefix("actor", request.actor(), /*required=*/true);
  if (!actor.ok()) return actor.status();
  auto range = ParseRange(request.from(), request.to());
  if (!range.ok()) return range.status();
  if (!dyad::v1::PartnerOrder_IsValid(request.order())) {
    return absl::InvalidArgumentError(
        absl::StrCat("order ", static_cast<int>(request.order()),
                     " is unknown; use PARTNER_ORDER_VOLUME, PARTNER_ORDER_COOPERATION, "
                     "PARTNER_ORDER_CONFLICT or PARTNER_ORDER_GOLDSTEIN"));
  }
  auto limit = Limit("limit", request.limit(), kDefaultPartners, kMaxPartners);
  if (!limit.ok()) return limit.status();
  auto length = CodeLength("partner_code_length", request.partner_code_length());
  if (!length.ok()) return length.status();
  auto filter = ParseFilter(request.filter());
  if (!filter.ok()) return filter.status();
  const auto cancelled = [&] { return is_cancelled && is_cancelled(); };
  const auto cancel_error = [] {
    return absl::CancelledError("TopPartners cancelled by the caller");
  };

  auto lock = ReadLock();
  const State& st = *state_;
  ResolveFilter(st, *filter);
  std::vector<dyad::v1::Partner> found;
  BucketBuilder acc(st);
  Scratch scratch;
  int steps = 0;
  // Totals of one partner over its dyads (or country pairs) with the actor.
  const auto add_partner = [&](const std::string& partner, const auto& series) {
    for (const auto* one : series) {
      for (auto it = one->days.lower_bound(range->lo);
           it != one->days.end() && it->first <= range->hi; ++it) {
        if (++steps % kCancelCheckEvery == 0 && cancelled()) return false;
        VisitDay(RefOf(it->first, it->second), *filter, scratch, acc);
      }
    }
    if (acc.events() > 0) {
      dyad::v1::Partner& p = found.emplace_back();
      p.set_actor(partner);
      if (names_ != nullptr) p.set_name(names_->ActorName(partner));
      acc.Fill(std::string(), /*details=*/true, p.mutable_totals());
    }
    acc.Reset();
    return !cancelled();
  };

  if (*length == kCountryLength && UseRollup(*filter, *actor, *actor)) {
    // Countries with countries: the roll-ups (a pair with itself once).
    std::map<std::string, std::vector<const Rollup*>> partners;
    if (const auto own = st.by_country.find(*actor); own != st.by_country.end()) {
      for (const auto& [target, rollup] : own->second) partners[target].push_back(&rollup);
    }
    if (!request.directed()) {
      for (const auto& [source, targets] : st.by_country) {
        if (source == *actor) continue;
        if (const auto it = targets.find(*actor); it != targets.end()) {
          partners[source].push_back(&it->second);
        }
      }
    }
    for (const auto& [partner, series] : partners) {
      if (!add_partner(partner, series)) return cancel_error();
    }
  } else {
    auto dyads = MatchDyads(st, *actor, "", /*both_directions=*/false);
    if (!request.directed()) {
      const auto as_target = MatchDyads(st, "", *actor, /*both_directions=*/false);
      dyads.insert(dyads.end(), as_target.begin(), as_target.end());
      std::sort(dyads.begin(), dyads.end());
      dyads.erase(std::unique(dyads.begin(), dyads.end()), dyads.end());
    }
    // Partner → its dyads with the actor (a dyad once per partner).
    std::map<std::string, std::vector<const Series*>> partners;
    for (const Series* d : dyads) {
      std::string as_source;
      if (StartsWith(d->source, *actor)) {
        as_source = Cut(d->target, *length);
        partners[as_source].push_back(d);
      }
      if (!request.directed() && StartsWith(d->target, *actor)) {
        std::string partner = Cut(d->source, *length);
        if (partner != as_source || !StartsWith(d->source, *actor)) {
          partners[std::move(partner)].push_back(d);
        }
      }
    }
    for (const auto& [partner, series] : partners) {
      if (!add_partner(partner, series)) return cancel_error();
    }
  }

  const auto value = [&](const dyad::v1::RelationBucket& t) -> double {
    switch (request.order()) {
      case dyad::v1::PARTNER_ORDER_COOPERATION:
        return static_cast<double>(t.verbal_cooperation() + t.material_cooperation());
      case dyad::v1::PARTNER_ORDER_CONFLICT:
        return static_cast<double>(t.verbal_conflict() + t.material_conflict());
      case dyad::v1::PARTNER_ORDER_GOLDSTEIN:
        return t.goldstein_mean();
      default:
        return static_cast<double>(t.events());
    }
  };
  const bool ascending = request.ascending();
  std::sort(found.begin(), found.end(),
            [&](const dyad::v1::Partner& a, const dyad::v1::Partner& b) {
              const double va = value(a.totals());
              const double vb = value(b.totals());
              if (va != vb) return ascending ? va < vb : va > vb;
              return a.actor() < b.actor();
            });
  dyad::v1::TopPartnersResponse response;
  for (std::size_t i = 0; i < found.size() && i < static_cast<std::size_t>(*limit); ++i) {
    *response.add_partners() = std::move(found[i]);
  }
  return response;
}

absl::StatusOr<dyad::v1::ListEventsResponse> RelationStore::ListEvents(
    const dyad::v1::ListEventsRequest& request, const CancelledFn& is_cancelled) const {
  auto actor = ActorPrefix("actor", request.actor(), /*required=*/false);
  if (!actor.ok()) return actor.status();
  auto source = ActorPrefix("source", request.source(), /*required=*/false);
  if (!source.ok()) return source.status();
  auto target = ActorPrefix("target", request.target(), /*required=*/false);
  if (!target.ok()) return target.status();
  const std::string& code = request.code();
  if (code.size() > 8 ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(
        absl::StrCat("code \"", code.substr(0, 8),
                     "\" is not a CAMEO event code prefix; use digits such as \"04\" (root code) "
                     "or \"041\""));
  }
  if (request.quad_class() < 0 || request.quad_class() > 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "quad_class ", request.quad_class(),
        " is out of range; use 1 (verbal cooperation) .. 4 (material conflict), or 0 for any"));
  }
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size ", request.page_size(),
                                                   " is out of range; use 1..", kMaxPageSize,
                                                   ", or 0 for ", kDefaultPageSize));
  }
  if (auto status = CheckMinConfidence("min_confidence", request.min_confidence()); !status.ok()) {
    return status;
  }
  const double min_confidence = request.min_confidence();
  const std::size_t page_size =
      static_cast<std::size_t>(request.page_size() == 0 ? kDefaultPageSize : request.page_size());
  auto range = ParseRange(request.from(), request.to());
  if (!range.ok()) return range.status();
  std::optional<PageCursor> token;
  if (!request.page_token().empty()) {
    auto decoded = DecodePageToken(request.page_token());
    if (!decoded.ok()) return decoded.status();
    token = std::move(*decoded);
  }
  std::optional<EventKey> cursor;
  if (token) cursor = EventKey{token->day, token->id};

  auto lock = ReadLock();
  const State& st = *state_;

  // The ordered key sets to merge: the matching dyads', or the global index.
  std::vector<const KeySet*> sets;
  if (!actor->empty() || !source->empty() || !target->empty()) {
    std::vector<const Series*> dyads;
    if (!source->empty() || !target->empty()) {
      dyads = MatchDyads(st, *source, *target, /*both_directions=*/false);
      if (!actor->empty()) {
        std::erase_if(dyads, [&](const Series* d) {
          return !StartsWith(d->source, *actor) && !StartsWith(d->target, *actor);
        });
      }
    } else {
      dyads = MatchDyads(st, *actor, "", /*both_directions=*/false);
      const auto as_target = MatchDyads(st, "", *actor, /*both_directions=*/false);
      dyads.insert(dyads.end(), as_target.begin(), as_target.end());
      std::sort(dyads.begin(), dyads.end());
      dyads.erase(std::unique(dyads.begin(), dyads.end()), dyads.end());
    }
    for (const Series* d : dyads) sets.push_back(&d->keys);
  } else {
    sets.push_back(&st.order);
  }

  // Every key returned is < bound: before the cursor and on or before `to`.
  const auto start_of = [&](const KeySet& keys) {
    auto it = PastDay(keys, range->hi);
    if (cursor) {
      auto at = keys.lower_bound(*cursor);
      if (it == keys.end() || (at != keys.end() && *at < *it)) it = at;
    }
    return it;
  };
  // Max-heap of each set's next key (the element before its iterator).
  using Cursor = std::pair<KeySet::const_iterator, const KeySet*>;
  const auto newer = [](const Cursor& a, const Cursor& b) {
    return *std::prev(a.first) < *std::prev(b.first);
  };
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(newer)> heap(newer);
  for (const auto* keys : sets) {
    auto it = start_of(*keys);
    if (it != keys->begin()) heap.emplace(it, keys);
  }

  const bool filter_event = !code.empty() || request.quad_class() != 0 || min_confidence > 0;
  std::vector<const Mention*> page;
  const EventKey* last_on_page = nullptr;
  bool more = false;
  int steps = 0;
  while (!heap.empty()) {
    if (++steps % kCancelCheckEvery == 0 && is_cancelled && is_cancelled()) {
      return absl::CancelledError("ListEvents cancelled by the caller");
    }
    auto [it, keys] = heap.top();
    heap.pop();
    --it;
    const EventKey& key = *it;
    if (key.day < range->lo) continue;  // this set has nothing newer left in range
    if (it != keys->begin()) heap.emplace(it, keys);
    const Mention& stored = st.mentions.find(AbslView(key.id))->second;
    if (filter_event) {
      if (request.quad_class() != 0 && stored.quad_class != request.quad_class()) continue;
      if (!StartsWith(stored.code, code)) continue;
      if (min_confidence > 0 && !(stored.confidence >= min_confidence)) continue;
    }
    if (page.size() == page_size) {
      more = true;
      break;
    }
    page.push_back(&stored);
    last_on_page = &key;
  }

  dyad::v1::ListEventsResponse response;
  for (const Mention* stored : page) {
    if (!response.add_events()->ParseFromString(stored->bytes)) {
      return absl::InternalError("a stored event does not parse; this is a bug");
    }
  }
  if (more && last_on_page != nullptr) {
    response.set_next_page_token(EncodePageToken(*last_on_page));
  }
  return response;
}

absl::StatusOr<dyad::v1::GetEventResponse> RelationStore::GetEvent(
    const dyad::v1::GetEventRequest& request) const {
  if (request.id().empty()) {
    return absl::InvalidArgumentError(
        "id is empty; give an event id (Event.id) from ListEvents, WatchEvents or GetRelation's "
        "event_ids");
  }
  dyad::v1::GetEventResponse response;
  auto lock = ReadLock();
  const State& st = *state_;
  const auto it = st.mentions.find(AbslView(request.id()));
  if (it == st.mentions.end()) {
    return absl::NotFoundError(
        absl::StrCat("no event with id \"", request.id().substr(0, 128),
                     "\"; ids come from ListEvents, WatchEvents or GetRelation's event_ids"));
  }
  const Group& g = *it->second.group;
  struct Row {
    dyad::v1::Event event;
  };
  std::vector<dyad::v1::Event> events(g.mentions.size());
  for (std::size_t i = 0; i < g.mentions.size(); ++i) {
    if (!events[i].ParseFromString(g.mentions[i]->bytes)) {
      return absl::InternalError("a stored event does not parse; this is a bug");
    }
  }
  response.mutable_event()->CopyFrom(events.front());  // mentions are by id: the representative
  response.set_articles(static_cast<int64_t>(g.articles.size()));
  response.set_sources(static_cast<int64_t>(g.sources.size()));
  response.set_goldstein(static_cast<double>(g.goldstein()) / kMicros);
  lock.unlock();

  // Oldest published_at first (unset first of all), then by id.
  const auto when = [](const dyad::v1::Event& e) {
    return std::make_tuple(e.has_published_at(), e.published_at().seconds(),
                           e.published_at().nanos());
  };
  std::vector<const dyad::v1::Event*> order;
  for (const auto& e : events) order.push_back(&e);
  std::sort(order.begin(), order.end(), [&](const dyad::v1::Event* a, const dyad::v1::Event* b) {
    if (when(*a) != when(*b)) return when(*a) < when(*b);
    return a->id() < b->id();
  });
  for (const dyad::v1::Event* e : order) {
    dyad::v1::Mention* m = response.add_mentions();
    m->set_event_id(e->id());
    m->set_article_id(e->article_id());
    m->set_article_url(e->article_url());
    m->set_publisher(e->publisher());
    if (e->has_published_at()) {
      *m->mutable_published_at() = e->published_at();
      if (!response.has_first_seen()) *response.mutable_first_seen() = e->published_at();
      *response.mutable_last_seen() = e->published_at();
    }
    m->set_sentence(e->sentence());
    m->set_sentence_begin(e->sentence_begin());
    m->set_sentence_end(e->sentence_end());
    m->set_trigger_begin(e->trigger_begin());
    m->set_trigger_end(e->trigger_end());
    m->set_code(e->code());
    m->set_confidence(e->confidence());
  }
  return response;
}

absl::StatusOr<dyad::v1::GetGraphResponse> RelationStore::GetGraph(
    const dyad::v1::GetGraphRequest& request, const CancelledFn& is_cancelled) const {
  auto range = ParseRange(request.from(), request.to());
  if (!range.ok()) return range.status();
  if (request.min_events() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_events ", request.min_events(), " is negative; use 0 or 1 for every dyad, or more"));
  }
  auto length = CodeLength("node_code_length", request.node_code_length());
  if (!length.ok()) return length.status();
  auto limit = Limit("limit", request.limit(), kDefaultGraphEdges, kMaxGraphEdges);
  if (!limit.ok()) return limit.status();
  auto filter = ParseFilter(request.filter());
  if (!filter.ok()) return filter.status();
  const auto cancelled = [&] { return is_cancelled && is_cancelled(); };

  auto lock = ReadLock();
  const State& st = *state_;
  ResolveFilter(st, *filter);
  std::map<std::pair<std::string, std::string>, SumsSink> edges;
  Scratch scratch;
  int steps = 0;
  // Adds the days of `map` in the range to edge from → to; false when cancelled.
  const auto add_edge = [&](const std::string& from, std::string to, const auto& map) {
    auto it = map.lower_bound(range->lo);
    if (it == map.end() || it->first > range->hi) return true;
    SumsSink& sink = edges[{from, std::move(to)}];
    for (; it != map.end() && it->first <= range->hi; ++it) {
      if (++steps % kCancelCheckEvery == 0 && cancelled()) return false;
      VisitDay(RefOf(it->first, it->second), *filter, scratch, sink);
    }
    return true;
  };
  const auto cancel_error = [] { return absl::CancelledError("GetGraph cancelled by the caller"); };
  if (!filter->any() && *length == kCountryLength) {  // country pairs: their roll-ups
    for (const auto& [source, targets] : st.by_country) {
      for (const auto& [target, rollup] : targets) {
        if (!add_edge(source, target, rollup.days)) return cancel_error();
      }
    }
  } else {
    for (const auto& [source, targets] : st.by_source) {
      const std::string from = Cut(source, *length);
      for (const auto& [target, series] : targets) {
        if (!add_edge(from, Cut(target, *length), series.days)) return cancel_error();
      }
    }
  }
  lock.unlock();

  const int64_t min_events = std::max<int64_t>(1, request.min_events());
  std::vector<std::pair<const std::pair<std::string, std::string>*, const Sums*>> kept;
  for (const auto& [key, sink] : edges) {
    if (sink.sums.events >= min_events) kept.emplace_back(&key, &sink.sums);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    if (a.second->events != b.second->events) return a.second->events > b.second->events;
    return *a.first < *b.first;
  });
  dyad::v1::GetGraphResponse response;
  if (kept.size() > static_cast<std::size_t>(*limit)) {
    kept.resize(static_cast<std::size_t>(*limit));
    response.set_truncated(true);
  }
  std::map<std::string, int64_t> nodes;
  for (const auto& [key, sums] : kept) {
    auto* edge = response.add_edges();
    edge->set_source(key->first);
    edge->set_target(key->second);
    edge->set_events(sums->events);
    edge->set_mentions(sums->mentions);
    edge->set_cooperation(sums->quad[0] + sums->quad[1]);
    edge->set_conflict(sums->quad[2] + sums->quad[3]);
    edge->set_goldstein_sum(static_cast<double>(sums->goldstein) / kMicros);
    edge->set_goldstein_mean(sums->GoldsteinMean());
    nodes[key->first] += sums->events;
    if (key->second != key->first) nodes[key->second] += sums->events;
  }
  for (const auto& [code, events] : nodes) {
    auto* node = response.add_nodes();
    node->set_actor(code);
    if (names_ != nullptr) node->set_name(names_->ActorName(code));
    node->set_events(events);
  }
  return response;
}

absl::StatusOr<dyad::v1::ListActorsResponse> RelationStore::ListActors(
    const dyad::v1::ListActorsRequest& request) const {
  const std::string& prefix = request.prefix();
  if (prefix.size() > static_cast<std::size_t>(kMaxActorCodeLength)) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix is ", prefix.size(), " bytes long; give at most ", kMaxActorCodeLength,
                     " (e.g. \"PAK\" or \"paki\")"));
  }
  if (core::FindInvalidUtf8(prefix).has_value()) {
    return absl::InvalidArgumentError("prefix is not valid UTF-8; send it as UTF-8 text");
  }
  auto limit = Limit("limit", request.limit(), kDefaultActors, kMaxActors);
  if (!limit.ok()) return limit.status();
  const std::string code_prefix = AsciiUpper(prefix);
  const std::string name_prefix = FoldAscii(prefix);

  dyad::v1::ListActorsResponse response;
  auto lock = ReadLock();
  for (const auto& [code, actor] : state_->actors) {
    if (response.actors_size() >= *limit) break;
    if (!StartsWith(code, code_prefix) &&
        (actor.folded.empty() || !NameHasWordPrefix(actor.folded, name_prefix))) {
      continue;
    }
    auto* info = response.add_actors();
    info->set_code(code);
    info->set_name(actor.name);
    info->set_mentions(actor.mentions);
  }
  return response;
}

bool RelationStore::Contains(std::string_view event_id) const {
  auto lock = ReadLock();
  return state_->mentions.contains(AbslView(event_id));
}

StoreStats RelationStore::Stats() const {
  auto lock = ReadLock();
  return StoreStats{static_cast<int64_t>(state_->mentions.size()), state_->events, state_->dyads,
                    static_cast<int64_t>(state_->actors.size())};
}

std::optional<DayTotals> RelationStore::DayTotalsOf(std::string_view source,
                                                    std::string_view target, int64_t day) const {
  auto lock = ReadLock();
  const auto targets = state_->by_source.find(source);
  if (targets == state_->by_source.end()) return std::nullopt;
  const auto series = targets->second.find(target);
  if (series == targets->second.end()) return std::nullopt;
  const auto totals = series->second.days.find(day);
  if (totals == series->second.days.end()) return std::nullopt;
  return totals->second.summary.totals;
}

void RelationStore::ForEachDay(
    const std::function<void(const EventPlace&, const DayTotals&)>& fn) const {
  auto lock = ReadLock();
  EventPlace place;
  for (const auto& [source, targets] : state_->by_source) {
    for (const auto& [target, series] : targets) {
      place.source = source;
      place.target = target;
      for (const auto& [day, data] : series.days) {
        place.day = day;
        fn(place, data.summary.totals);
      }
    }
  }
}

}  // namespace dyad::relations
