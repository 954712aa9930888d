// The relations read model, in memory: dyad.v1.Event records (*mentions*) grouped into
// de-duplicated *events* and aggregated per directed dyad and day, plus a mention index for
// listing and provenance. DurableStore (durable_store.h) keeps the mentions in RocksDB and loads
// this store from them at start; queries are always answered from memory.
//
// Mentions. Every distinct Event.id once (Apply is idempotent by id; the first version wins). A
// dyad is (full source actor code, full target actor code), e.g. ("USAGOV", "PAKGOV"): Actor.code,
// else Actor.country, upper-cased. A mention's day is Event.date.date (ISO date, UTC); when that is
// empty or malformed, the UTC day of Event.published_at.
//
// Events (the de-duplication rule). Mentions with the same directed dyad (full codes), the same
// base code (Event.base_code, else the first 3 characters of Event.code), the same place
// (Event.place.country and Event.place.name, compared exactly; an empty place matches only an
// empty place) and the same day are one event. An event's id is its *representative* mention's id:
// the smallest Event.id in the group (GetEvent accepts the id of any of its mentions). Its quad
// class and root code are the representative's (Event.root_code, else the first 2 characters of
// the base code); its Goldstein score is the mean over its mentions.
//
// Order independence. The groups depend only on the set of mentions, and every sum is kept in
// integers: Goldstein and tone in millionths (fixed point, so a mention's value is rounded to 6
// decimals), an event's Goldstein mean rounded to the nearest millionth (halves away from zero).
// Applying the same mentions in any order therefore gives answers that are equal bit for bit.
//
// Buckets (RelationBucket, for GetRelation per bucket and in total, and TopPartners per partner):
//   events             de-duplicated events; verbal_cooperation .. material_conflict per quad class
//                      (1..4; an event of another quad class counts only in `events`)
//   goldstein_sum/mean over the events of their Goldstein score (mean = sum / events)
//   tone_mean          over the mentions (Event.tone)
//   root_codes         events per root code
//   mentions           the mentions of those events; articles / sources: distinct Event.article_id
//                      / Event.publisher among them (empty ids and publishers are not counted)
//   top_codes          at most kMaxTopCodes base codes: most events first, then most mentions,
//                      then by code; with their CAMEO names (empty without Names)
//   event_ids          at most kMaxExemplars exemplar events: most mentions first, then newest
//                      (later day, then larger id)
// An EventFilter keeps events whose root code is one of `root_codes` and whose quad class is one
// of `quad_classes` (empty lists keep all); `min_confidence` > 0 first drops the mentions with
// Event.confidence below it (NaN included), and an event then consists of its remaining mentions
// (representative, quad class, Goldstein, counts recomputed from them; no mention left = no
// event).
//
// Order of mentions ("newest first"): by day descending, then by id descending. This order is
// total and independent of arrival order, so page tokens stay valid while mentions arrive.
//
// Thread-safety: all methods may be called from any thread. Apply takes an exclusive lock; the
// queries take a shared lock, so many readers run in parallel and see a consistent snapshot. A
// waiting Apply goes ahead of readers that arrive after it (glibc's rwlock would let a steady
// stream of readers starve the writer, i.e. the applier would fall behind under query load).
//
// Errors: INVALID_ARGUMENT with a message that says what to change; NOT_FOUND from GetEvent for an
// unknown id. Queries given an `is_cancelled` callback check it while scanning (every 1024 steps
// and between buckets) and return CANCELLED when it says so.
//
// Pre-aggregates. Per dyad and day, and per country pair and day (codes cut to 3 characters:
// the roll-up of all the dyads of two countries or organisations), Apply keeps the day's sums,
// events per root code, events and mentions per base code, the sorted article and source ids and
// the day's best kMaxExemplars events, all integers, updated in place (an event's old
// contribution out, the new one in). GetRelation reads only these when it has no filter: from
// the country pair's roll-up when both actors are exactly 3 characters ("USA", "PAK"), else from
// every matching dyad.
//
// Complexity. N mentions in the store, G events in one dyad-day, m mentions of one event, D days
// of one series, k dyads matching the actor prefixes, d days read (of the roll-ups or of the k
// dyads) in the range, b buckets, a the article and source ids of those days, P partners, E
// edges, C actor codes:
//   Apply:        O(log N + log D + log m) plus inserts into small sorted vectors (the event's and
//                 the two days' article and source ids: O(size of the day)) and amortised O(1)
//                 hash lookups (mention id, event key, interned strings).
//   GetRelation:  without a filter O(log C + d + b + a) (3-character actors: one or two roll-ups;
//                 longer prefixes: + O(Σ_k log D) and a sort of the d days), never a scan of events
//                 or mentions. With root_codes / quad_classes: + every event of those days. With
//                 min_confidence > 0 (the slow path): + every mention of those days. Distinct
//                 articles and sources: a per-thread bitmap over the interned ids, O(a). Most of
//                 the time of a long answer goes to allocating its messages (see
//                 GetRelationInto).
//   TopPartners:  as GetRelation's total over the actor's dyads (or country pairs, for a
//                 3-character actor, partner_code_length 3 and no filter), + O(P log P).
//   GetGraph:     every series with days in the range: the country pairs at node_code_length 3
//                 without a filter, else every dyad in the store; + O(E log E).
//   ListEvents:   with source/target/actor filters, a k-way merge of the matching dyads' ordered
//                 mention sets from the page cursor: O(k log k + n log k); without actor filters a
//                 scan of the global ordered index from the cursor: O(log N + n). n is the page
//                 size plus the mentions skipped by the code / quad-class / confidence filters.
//   GetEvent:     O(1) lookup + O(m log m) to parse and order the event's mentions.
//   ListActors:   O(C): a scan of the actor codes and their names, stopped at `limit` matches.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/v1/event.pb.h"
#include "dyad/v1/relations_service.pb.h"

namespace dyad::relations {

// Limits the store enforces on queries (and on mentions: kMaxAbsGoldstein, kMaxAbsTone).
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kMaxRangeYears = 50;
inline constexpr int kMaxExemplars = 5;      // RelationBucket.event_ids
inline constexpr int kMaxTopCodes = 5;       // RelationBucket.top_codes
inline constexpr int kDefaultPartners = 10;  // TopPartnersRequest.limit 0
inline constexpr int kMaxPartners = 1000;
inline constexpr int kDefaultCodeLength = 3;      // partner_code_length / node_code_length 0
inline constexpr int kMaxActorCodeLength = 64;    // longest actor code or prefix accepted
inline constexpr int kDefaultGraphEdges = 10000;  // GetGraphRequest.limit 0
inline constexpr int kMaxGraphEdges = 100000;
inline constexpr int kDefaultActors = 20;  // ListActorsRequest.limit 0
inline constexpr int kMaxActors = 1000;
inline constexpr int kMaxFilterCodes = 100;  // EventFilter.root_codes / quad_classes entries
// Mentions with |goldstein| or |tone| beyond these are refused (CAMEO's scale is -10..+10, tone
// -1..+1): sums are kept in millionths in 64-bit integers.
inline constexpr double kMaxAbsGoldstein = 10.0;
inline constexpr double kMaxAbsTone = 100.0;

// Returns true when the caller no longer wants the answer (RPC cancelled, deadline passed).
using CancelledFn = std::function<bool()>;

// Counters of the store's content.
struct StoreStats {
  int64_t events = 0;  // distinct event ids applied, i.e. mentions (the name predates de-dup)
  int64_t deduplicated_events = 0;  // groups of mentions (see the de-duplication rule)
  int64_t dyads = 0;                // distinct directed (source code, target code) pairs
  int64_t actors = 0;               // distinct actor codes on either side
};

// The UTC day (days since 1970-01-01) an event counts on: Event.date.date, else the day of
// published_at. INVALID_ARGUMENT when neither gives a date.
absl::StatusOr<int64_t> EventDay(const dyad::v1::Event& event);

// The first day of the bucket holding `day` (ISO week: Monday; month: the 1st; year: Jan 1).
// BUCKET_UNSPECIFIED is treated as BUCKET_DAY.
int64_t BucketStart(int64_t day, dyad::v1::Bucket bucket);
// The last day of the bucket that starts at `start`.
int64_t BucketEnd(int64_t start, dyad::v1::Bucket bucket);

// Where an event counts: its directed dyad (full actor codes, upper case) and its day.
struct EventPlace {
  std::string source;
  std::string target;
  int64_t day = 0;
};

// Validates `event` exactly as RelationStore::Apply does and says where it counts. When `bytes`
// is given it receives the event serialised (the form the store keeps). INVALID_ARGUMENT with
// Apply's messages.
absl::StatusOr<EventPlace> PlaceEvent(const dyad::v1::Event& event, std::string* bytes = nullptr);

// Mention-level totals of one dyad on one day: additive integers, so a stored row plus new
// mentions gives exactly the row the store computes, in any order (DurableStore writes these rows
// and checks them at load).
struct DayTotals {
  int64_t mentions = 0;
  int64_t goldstein_micros = 0;  // Σ ToMicros(Event.goldstein)
  int64_t tone_micros = 0;       // Σ ToMicros(Event.tone)

  // Counts `event` (already placed on this dyad and day by PlaceEvent).
  void Add(const dyad::v1::Event& event);
  friend bool operator==(const DayTotals&, const DayTotals&) = default;
};

// `value` in millionths, rounded to nearest (halves away from zero). `value` must be finite and
// within ±kMaxAbsTone (PlaceEvent checks it).
int64_t ToMicros(double value);

class Names;

class RelationStore {
 public:
  // A store without names: every name field in the answers is empty.
  RelationStore();
  // A store that fills actor and event code names from `names` (may be null = no names).
  explicit RelationStore(std::shared_ptr<const Names> names);
  ~RelationStore();
  RelationStore(const RelationStore&) = delete;
  RelationStore& operator=(const RelationStore&) = delete;

  // Adds the mention `event` to its event (de-duplication group), the aggregates and the index.
  // Returns true when the mention was new, false when a mention with the same id was already
  // applied (nothing changes: Apply is idempotent by id). INVALID_ARGUMENT (state unchanged) when
  // the event has no id, no source or target actor code (Actor.code, else Actor.country), no
  // usable date (see EventDay), a non-finite Goldstein or tone or one beyond kMaxAbsGoldstein /
  // kMaxAbsTone, or a string field that is not valid UTF-8 (it could not be parsed back).
  absl::StatusOr<bool> Apply(const dyad::v1::Event& event);

  // The relation time series between two actor code prefixes (source → target, plus target →
  // source with both_directions; a dyad matching both ways counts once): buckets with at least
  // one event, oldest first, `start` = the bucket's first day (also when `from` cuts into it),
  // and the totals over the range. An event counts in the bucket of its day. INVALID_ARGUMENT
  // for an empty or non-alphanumeric actor, a malformed date, from > to, a range longer than
  // kMaxRangeYears, an unknown bucket or detail, or a bad filter (a root code that is not 2
  // digits, a quad class outside 1..4, min_confidence outside 0..1 or NaN, more than
  // kMaxFilterCodes entries). CANCELLED when `is_cancelled` says so. With RELATION_DETAIL_COUNTS
  // the buckets carry only their numbers (the total everything).
  absl::StatusOr<dyad::v1::GetRelationResponse> GetRelation(
      const dyad::v1::GetRelationRequest& request, const CancelledFn& is_cancelled = {}) const;
  // The same answer written into `*response` (cleared first; on error it holds a partial answer).
  // Most of a long answer's cost is allocating its messages and strings: a response on a
  // google::protobuf::Arena (e.g. gRPC's callback API with an arena message allocator) takes
  // them from the arena instead of the heap, about twice as fast for a year of daily buckets.
  // `version`, when given, receives RelationVersion(request) of the state the answer was built
  // from (read under the same lock).
  absl::Status GetRelationInto(const dyad::v1::GetRelationRequest& request,
                               dyad::v1::GetRelationResponse* response,
                               const CancelledFn& is_cancelled = {},
                               uint64_t* version = nullptr) const;
  // A number that changes whenever a mention is applied that GetRelation(request) could count,
  // and only grows: two equal versions mean the same answer, so a cache can key answers by
  // request and keep them while the version holds. It follows the request's country pair(s)
  // (the first 3 characters of both actors, and the reverse pair with both_directions), or
  // every mention when an actor prefix is shorter than 3 characters, so it also changes for
  // mentions of other dyads of the same countries. nullopt for an invalid source or target
  // (GetRelation would refuse it). O(log C), under the shared lock.
  std::optional<uint64_t> RelationVersion(const dyad::v1::GetRelationRequest& request) const;

  // The partners of an actor prefix in a range: the other side's code cut to
  // partner_code_length (0 → kDefaultCodeLength; the full code when shorter), totals (as
  // GetRelation's `total`) of the events between the actor and each partner, both directions
  // unless `directed` (then only actor → partner). A dyad whose both sides match the actor counts
  // once per partner it gives. Partners without events are left out. Order: VOLUME (events),
  // COOPERATION (quad 1 + 2), CONFLICT (quad 3 + 4) or GOLDSTEIN (goldstein_mean), largest
  // first, or smallest first with `ascending`; ties by partner code ascending. At most `limit`
  // (0 → kDefaultPartners, at most kMaxPartners). INVALID_ARGUMENT for a bad actor, dates,
  // order, limit, partner_code_length (0..kMaxActorCodeLength) or filter; CANCELLED.
  absl::StatusOr<dyad::v1::TopPartnersResponse> TopPartners(
      const dyad::v1::TopPartnersRequest& request, const CancelledFn& is_cancelled = {}) const;

  // Mentions matching the filters, newest first, page_size at a time. The page token encodes the
  // last returned (day, id); a token stays valid while mentions are applied (new ones newer than
  // it appear on no later page, older ones do). min_confidence keeps mentions with
  // Event.confidence >= it (0 = all). INVALID_ARGUMENT for a malformed page token, a page size
  // outside 0..kMaxPageSize, a quad class outside 0..4, min_confidence outside 0..1 or NaN, a bad
  // actor, code or date; CANCELLED.
  absl::StatusOr<dyad::v1::ListEventsResponse> ListEvents(
      const dyad::v1::ListEventsRequest& request, const CancelledFn& is_cancelled = {}) const;

  // The event a mention id belongs to: its representative Event, every mention (oldest
  // published_at first, a mention without published_at first of all, then by id), first and
  // last published_at (unset when no mention has one), distinct articles and sources, and the
  // event's Goldstein score. INVALID_ARGUMENT for an empty id, NOT_FOUND for an unknown one.
  absl::StatusOr<dyad::v1::GetEventResponse> GetEvent(
      const dyad::v1::GetEventRequest& request) const;

  // Every directed edge between actor codes cut to node_code_length (0 → kDefaultCodeLength) with
  // events in the range (after the filter): events, mentions, cooperation (quad 1 + 2), conflict
  // (quad 3 + 4), Goldstein sum and mean. A dyad inside one node (PAKGOV → PAKMIL at length 3)
  // is a self-loop edge PAK → PAK. Edges with fewer than min_events events are dropped; the rest
  // most events first, then by source and target; at most `limit` (0 → kDefaultGraphEdges, at
  // most kMaxGraphEdges), `truncated` when the limit cut some off. Nodes: the codes of the kept
  // edges, by code, with names and the events of the kept edges they are on (a self-loop once).
  // INVALID_ARGUMENT for bad dates, min_events < 0, node_code_length outside
  // 0..kMaxActorCodeLength, limit, or filter; CANCELLED.
  absl::StatusOr<dyad::v1::GetGraphResponse> GetGraph(const dyad::v1::GetGraphRequest& request,
                                                      const CancelledFn& is_cancelled = {}) const;

  // Actor codes seen in mentions (either side), by code, whose code starts with `prefix` or whose
  // name (from Names) has a word from which it starts with `prefix` ("paki" → PAK "Pakistan",
  // "united st" → USA "United States"); case-insensitive (ASCII). Each with its name and the
  // mentions having it on either side (once when on both). At most `limit` (0 → kDefaultActors,
  // at most kMaxActors). INVALID_ARGUMENT for a prefix longer than kMaxActorCodeLength or not
  // UTF-8, or a bad limit.
  absl::StatusOr<dyad::v1::ListActorsResponse> ListActors(
      const dyad::v1::ListActorsRequest& request) const;

  // True when a mention with this id (Event.id) has been applied.
  bool Contains(std::string_view event_id) const;
  StoreStats Stats() const;
  // The names the store was given; null when none.
  const Names* names() const { return names_.get(); }

  // The mention totals of dyad source → target (full codes, as EventPlace gives them) on `day`;
  // nullopt when it has no mention that day. For DurableStore, which writes these rows to RocksDB.
  std::optional<DayTotals> DayTotalsOf(std::string_view source, std::string_view target,
                                       int64_t day) const;
  // Calls `fn` for every (dyad, day) holding mentions, in (source, target, day) order, under the
  // shared lock: `fn` must not call the store.
  void ForEachDay(const std::function<void(const EventPlace&, const DayTotals&)>& fn) const;

  // Position of an event in the newest-first order: larger = newer. `id` points at the key of
  // the event index (stable: a node map), so the ordered sets do not copy ids.
  struct EventKey {
    int64_t day = 0;
    std::string_view id;
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
    friend auto operator<=>(const EventKey&, const EventKey&) = default;
  };

  // Everything the lock guards: dyad series with their per-day pre-aggregates and event groups,
  // the mention index, interned article/publisher/code ids, the actor table. Opaque: defined in
  // relation_store.cc.
  struct State;

 private:
  // Shared lock for a query, taken through the turnstile so that a waiting writer goes first.
  std::shared_lock<std::shared_mutex> ReadLock() const;

  std::shared_ptr<const Names> names_;
  mutable std::mutex turnstile_;  // held by a writer while it waits for readers to drain
  mutable std::shared_mutex mu_;
  std::unique_ptr<State> state_;
};

}  // namespace dyad::relations
