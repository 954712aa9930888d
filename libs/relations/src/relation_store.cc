#include "dyad/relations/relation_store.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <queue>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "dyad/core/dates.h"
#include "dyad/relations/names.h"

namespace dyad::relations {
namespace {

using dyad::v1::Bucket;
using EventKey = RelationStore::EventKey;

constexpr int64_t kMinDay = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxDay = std::numeric_limits<int64_t>::max();
constexpr std::size_t kMaxActorLength = 64;
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

// Aggregate over one bucket while GetRelation runs.
struct BucketAccumulator {
  int64_t events = 0;
  int64_t quad[4] = {0, 0, 0, 0};
  double goldstein_sum = 0;
  double tone_sum = 0;
  std::map<std::string, int64_t> root_codes;
  std::vector<EventKey> newest;  // at most kMaxExemplars, newest first
};

void FillBucket(const BucketAccumulator& acc, std::string start, dyad::v1::RelationBucket* out) {
  out->set_start(std::move(start));
  out->set_events(acc.events);
  out->set_verbal_cooperation(acc.quad[0]);
  out->set_material_cooperation(acc.quad[1]);
  out->set_verbal_conflict(acc.quad[2]);
  out->set_material_conflict(acc.quad[3]);
  out->set_goldstein_sum(acc.goldstein_sum);
  const double n = static_cast<double>(acc.events);
  out->set_goldstein_mean(acc.events > 0 ? acc.goldstein_sum / n : 0.0);
  out->set_tone_mean(acc.events > 0 ? acc.tone_sum / n : 0.0);
  for (const auto& [code, count] : acc.root_codes) (*out->mutable_root_codes())[code] = count;
  for (const auto& key : acc.newest) out->add_event_ids(std::string(key.id));
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

RelationStore::RelationStore() = default;
RelationStore::RelationStore(std::shared_ptr<const Names> names) : names_(std::move(names)) {}

std::shared_lock<std::shared_mutex> RelationStore::ReadLock() const {
  std::lock_guard turnstile(turnstile_);
  return std::shared_lock(mu_);
}
RelationStore::~RelationStore() = default;

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
  const auto day = EventDay(event);
  if (!day.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id(), ": ", day.status().message()));
  }
  place.day = *day;
  // The round trip makes sure ListEvents can parse it back: an Event built in memory (not parsed
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
  ++events;
  if (event.quad_class() >= 1 && event.quad_class() <= 4) ++quad[event.quad_class() - 1];
  goldstein_sum += event.goldstein();
  tone_sum += event.tone();
  std::string root = event.root_code();
  if (root.empty() && event.code().size() >= 2) root = event.code().substr(0, 2);
  if (!root.empty()) ++root_codes[root];
}

absl::StatusOr<bool> RelationStore::Apply(const dyad::v1::Event& event) {
  // Validated and serialised before taking the lock, so readers are not kept waiting for it.
  StoredEvent stored;
  auto place = PlaceEvent(event, &stored.bytes);
  if (!place.ok()) return place.status();
  stored.quad_class = event.quad_class();
  stored.code = !event.code().empty() ? event.code() : event.root_code();

  std::unique_lock turnstile(turnstile_);
  std::unique_lock lock(mu_);
  turnstile.unlock();
  const auto [stored_it, is_new] = events_.try_emplace(event.id(), std::move(stored));
  if (!is_new) return false;

  auto& targets = by_source_[place->source];
  auto [series_it, inserted] = targets.try_emplace(place->target);
  DyadSeries& series = series_it->second;
  if (inserted) {
    series.source = place->source;
    series.target = place->target;
    by_target_[place->target][place->source] = &series;
    ++dyad_count_;
  }

  series.days[place->day].Add(event);
  const EventKey key{place->day, stored_it->first};
  series.events.insert(key);
  order_.insert(key);
  return true;
}

std::vector<const RelationStore::DyadSeries*> RelationStore::MatchDyads(
    std::string_view source, std::string_view target, bool both_directions) const {
  std::vector<const DyadSeries*> out;
  const auto directed = [&](std::string_view src, std::string_view tgt) {
    if (!src.empty() || tgt.empty()) {
      ForPrefix(by_source_, src, [&](const std::string&, const auto& targets) {
        ForPrefix(targets, tgt,
                  [&](const std::string&, const DyadSeries& s) { out.push_back(&s); });
      });
    } else {
      ForPrefix(by_target_, tgt, [&](const std::string&, const auto& sources) {
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

absl::StatusOr<dyad::v1::GetRelationResponse> RelationStore::GetRelation(
    const dyad::v1::GetRelationRequest& request, const CancelledFn& is_cancelled) const {
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
  const Bucket bucket = request.bucket();
  const int64_t lo = range->lo;
  const int64_t hi = range->hi;
  const auto cancelled = [&] { return is_cancelled && is_cancelled(); };

  auto lock = ReadLock();
  const auto dyads = MatchDyads(*source, *target, request.both_directions());

  // Bucket start → totals, and the dyads that contributed to it (for the event ids).
  std::map<int64_t, BucketAccumulator> buckets;
  std::map<int64_t, std::vector<const DyadSeries*>> contributors;
  int steps = 0;
  for (const DyadSeries* dyad : dyads) {
    for (auto it = dyad->days.lower_bound(lo); it != dyad->days.end() && it->first <= hi; ++it) {
      if (++steps % kCancelCheckEvery == 0 && cancelled()) {
        return absl::CancelledError("GetRelation cancelled by the caller");
      }
      const int64_t start = BucketStart(it->first, bucket);
      BucketAccumulator& acc = buckets[start];
      const DayAggregate& day = it->second;
      acc.events += day.events;
      for (int q = 0; q < 4; ++q) acc.quad[q] += day.quad[q];
      acc.goldstein_sum += day.goldstein_sum;
      acc.tone_sum += day.tone_sum;
      for (const auto& [code, count] : day.root_codes) acc.root_codes[code] += count;
      auto& who = contributors[start];
      if (who.empty() || who.back() != dyad) who.push_back(dyad);
    }
  }

  // Newest event ids per bucket: the newest few of each contributing dyad, merged.
  for (auto& [start, acc] : buckets) {
    if (cancelled()) return absl::CancelledError("GetRelation cancelled by the caller");
    const int64_t first = std::max(start, lo);
    const int64_t last = std::min(BucketEnd(start, bucket), hi);
    for (const DyadSeries* dyad : contributors[start]) {
      auto it = PastDay(dyad->events, last);
      int taken = 0;
      while (it != dyad->events.begin() && taken < kMaxExemplars) {
        --it;
        if (it->day < first) break;
        acc.newest.push_back(*it);
        ++taken;
      }
    }
    std::sort(acc.newest.begin(), acc.newest.end(), std::greater<>());
    if (acc.newest.size() > kMaxExemplars) acc.newest.resize(kMaxExemplars);
  }

  dyad::v1::GetRelationResponse response;
  BucketAccumulator total;
  for (const auto& [start, acc] : buckets) {
    FillBucket(acc, core::FormatIsoDate(core::CivilFromDays(start)), response.add_buckets());
    total.events += acc.events;
    for (int q = 0; q < 4; ++q) total.quad[q] += acc.quad[q];
    total.goldstein_sum += acc.goldstein_sum;
    total.tone_sum += acc.tone_sum;
    for (const auto& [code, count] : acc.root_codes) total.root_codes[code] += count;
  }
  // Buckets are disjoint and ordered, so the newest ids overall are in the newest buckets.
  for (auto it = buckets.rbegin(); it != buckets.rend(); ++it) {
    for (const auto& key : it->second.newest) {
      if (total.newest.size() >= kMaxExemplars) break;
      total.newest.push_back(key);
    }
  }
  FillBucket(total, std::string(), response.mutable_total());
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

  // The ordered key sets to merge: the matching dyads', or the global index.
  std::vector<const KeySet*> sets;
  if (!actor->empty() || !source->empty() || !target->empty()) {
    std::vector<const DyadSeries*> dyads;
    if (!source->empty() || !target->empty()) {
      dyads = MatchDyads(*source, *target, /*both_directions=*/false);
      if (!actor->empty()) {
        std::erase_if(dyads, [&](const DyadSeries* d) {
          return !StartsWith(d->source, *actor) && !StartsWith(d->target, *actor);
        });
      }
    } else {
      dyads = MatchDyads(*actor, "", /*both_directions=*/false);
      const auto as_target = MatchDyads("", *actor, /*both_directions=*/false);
      dyads.insert(dyads.end(), as_target.begin(), as_target.end());
      std::sort(dyads.begin(), dyads.end());
      dyads.erase(std::unique(dyads.begin(), dyads.end()), dyads.end());
    }
    for (const DyadSeries* d : dyads) sets.push_back(&d->events);
  } else {
    sets.push_back(&order_);
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

  const bool filter_event = !code.empty() || request.quad_class() != 0;
  std::vector<const StoredEvent*> page;
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
    const StoredEvent& stored = events_.find(AbslView(key.id))->second;
    if (filter_event) {
      if (request.quad_class() != 0 && stored.quad_class != request.quad_class()) continue;
      if (!StartsWith(stored.code, code)) continue;
    }
    if (page.size() == page_size) {
      more = true;
      break;
    }
    page.push_back(&stored);
    last_on_page = &key;
  }

  dyad::v1::ListEventsResponse response;
  for (const StoredEvent* stored : page) {
    if (!response.add_events()->ParseFromString(stored->bytes)) {
      return absl::InternalError("a stored event does not parse; this is a bug");
    }
  }
  if (more && last_on_page != nullptr) {
    response.set_next_page_token(EncodePageToken(*last_on_page));
  }
  return response;
}

absl::StatusOr<dyad::v1::TopPartnersResponse> RelationStore::TopPartners(
    const dyad::v1::TopPartnersRequest&, const CancelledFn&) const {
  return absl::UnimplementedError("TopPartners is not implemented yet");
}

absl::StatusOr<dyad::v1::GetEventResponse> RelationStore::GetEvent(
    const dyad::v1::GetEventRequest&) const {
  return absl::UnimplementedError("GetEvent is not implemented yet");
}

absl::StatusOr<dyad::v1::GetGraphResponse> RelationStore::GetGraph(const dyad::v1::GetGraphRequest&,
                                                                   const CancelledFn&) const {
  return absl::UnimplementedError("GetGraph is not implemented yet");
}

absl::StatusOr<dyad::v1::ListActorsResponse> RelationStore::ListActors(
    const dyad::v1::ListActorsRequest&) const {
  return absl::UnimplementedError("ListActors is not implemented yet");
}

bool RelationStore::Contains(std::string_view event_id) const {
  auto lock = ReadLock();
  return events_.contains(AbslView(event_id));
}

StoreStats RelationStore::Stats() const {
  auto lock = ReadLock();
  return StoreStats{static_cast<int64_t>(events_.size()), dyad_count_};
}

std::optional<DayTotals> RelationStore::DayTotalsOf(std::string_view source,
                                                    std::string_view target, int64_t day) const {
  auto lock = ReadLock();
  const auto targets = by_source_.find(source);
  if (targets == by_source_.end()) return std::nullopt;
  const auto series = targets->second.find(target);
  if (series == targets->second.end()) return std::nullopt;
  const auto totals = series->second.days.find(day);
  if (totals == series->second.days.end()) return std::nullopt;
  return totals->second;
}

void RelationStore::ForEachDay(
    const std::function<void(const EventPlace&, const DayTotals&)>& fn) const {
  auto lock = ReadLock();
  EventPlace place;
  for (const auto& [source, targets] : by_source_) {
    for (const auto& [target, series] : targets) {
      place.source = source;
      place.target = target;
      for (const auto& [day, totals] : series.days) {
        place.day = day;
        fn(place, totals);
      }
    }
  }
}

}  // namespace dyad::relations
