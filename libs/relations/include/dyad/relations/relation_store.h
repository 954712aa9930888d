// The relations read model: dyad.v1.Event records aggregated per directed dyad and day, plus an
// event index for listing, in memory. DurableStore (durable_store.h) keeps the same state in
// RocksDB and loads this store from it at start; queries are always answered from memory.
//
// What is counted: every distinct event id once. A dyad is (full source actor code, full target
// actor code), e.g. ("USAGOV", "PAKGOV"). An event's day is Event.date.date (ISO date, UTC); when
// that is empty or malformed, the UTC day of Event.published_at. Per dyad and day the store keeps
// the event count, counts per quad class (1..4; other values count only as events), the Goldstein
// and tone sums, counts per CAMEO root code and the event ids.
//
// Order of events ("newest first"): by event day descending, then by id descending. This order is
// total and independent of arrival order, so page tokens stay valid while events arrive.
//
// Thread-safety: all methods may be called from any thread. Apply takes an exclusive lock; the
// queries take a shared lock, so many readers run in parallel and see a consistent snapshot. A
// waiting Apply goes ahead of readers that arrive after it (glibc's rwlock would let a steady
// stream of readers starve the writer, i.e. the applier would fall behind under query load).
//
// Errors: INVALID_ARGUMENT with a message that says what to change. Queries given an
// `is_cancelled` callback check it while scanning and return CANCELLED when it says so.
//
// Complexity (N events in the store, S/T distinct source/target codes, D days of one dyad, k
// dyads matching the actor prefixes, b buckets in the answer, n events examined):
//   Apply:       O(log N + log S + log T + log D) (amortised hash lookup for the duplicate check).
//   GetRelation: O(log S + log T + Σ_k (log D + days in range) + b·k·log N): a range scan of each
//                matching dyad's ordered day map; never a scan of all events.
//   ListEvents:  with source/target/actor filters, a k-way merge of the matching dyads' ordered
//                event sets from the page cursor: O(k log k + n log k); without actor filters a
//                scan of the global ordered index from the cursor: O(log N + n). n is the page size
//                plus the events skipped by the code / quad-class filters.
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

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/v1/event.pb.h"
#include "dyad/v1/relations_service.pb.h"

namespace dyad::relations {

// Limits the store enforces on queries.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kMaxRangeYears = 50;
inline constexpr int kMaxBucketEventIds = 20;

// Returns true when the caller no longer wants the answer (RPC cancelled, deadline passed).
using CancelledFn = std::function<bool()>;

// Counters of the store's content.
struct StoreStats {
  int64_t events = 0;  // distinct events applied
  int64_t dyads = 0;   // distinct directed (source code, target code) pairs
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

// The totals of one dyad on one day.
struct DayTotals {
  int64_t events = 0;
  int64_t quad[4] = {0, 0, 0, 0};  // events per quad class 1..4
  double goldstein_sum = 0;
  double tone_sum = 0;
  std::map<std::string, int64_t> root_codes;  // CAMEO root code → events

  // Counts `event` (already placed on this dyad and day).
  void Add(const dyad::v1::Event& event);
  friend bool operator==(const DayTotals&, const DayTotals&) = default;
};

class RelationStore {
 public:
  RelationStore();
  ~RelationStore();
  RelationStore(const RelationStore&) = delete;
  RelationStore& operator=(const RelationStore&) = delete;

  // Adds `event` to the aggregates and the index. Returns true when the event was new, false when
  // an event with the same id was already applied (nothing changes: Apply is idempotent by id).
  // INVALID_ARGUMENT (state unchanged) when the event has no id, no source or target actor code
  // (Actor.code, else Actor.country), no usable date (see EventDay), a non-finite Goldstein or
  // tone, or a string field that is not valid UTF-8 (it could not be parsed back for listing).
  absl::StatusOr<bool> Apply(const dyad::v1::Event& event);

  // The relation time series between two actor code prefixes, buckets oldest first, totals over
  // the range. INVALID_ARGUMENT for an empty or non-alphanumeric actor, a malformed date,
  // from > to, a range longer than kMaxRangeYears, or an unknown bucket.
  absl::StatusOr<dyad::v1::GetRelationResponse> GetRelation(
      const dyad::v1::GetRelationRequest& request, const CancelledFn& is_cancelled = {}) const;

  // Events matching the filters, newest first, page_size at a time. The page token encodes the
  // last returned (day, id); a token stays valid while events are applied (new events newer than
  // it appear on no later page, older ones do). INVALID_ARGUMENT for a malformed page token, a
  // page size outside 0..kMaxPageSize, a quad class outside 0..4, a bad actor, code or date.
  absl::StatusOr<dyad::v1::ListEventsResponse> ListEvents(
      const dyad::v1::ListEventsRequest& request, const CancelledFn& is_cancelled = {}) const;

  // True when an event with this id has been applied.
  bool Contains(std::string_view event_id) const;
  StoreStats Stats() const;

  // The totals of dyad source → target (full codes, as EventPlace gives them) on `day`; nullopt
  // when it has no event that day. For DurableStore, which writes these rows to RocksDB.
  std::optional<DayTotals> DayTotalsOf(std::string_view source, std::string_view target,
                                       int64_t day) const;
  // Calls `fn` for every (dyad, day) holding events, in (source, target, day) order, under the
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

 private:
  // B-trees: the key sets hold every event, and a red-black tree of a million string keys spends
  // Apply in cache misses (measured: the std::set insert was the top of the profile).
  using KeySet = absl::btree_set<EventKey>;

  using DayAggregate = DayTotals;
  struct DyadSeries {
    std::string source;
    std::string target;
    absl::btree_map<int64_t, DayAggregate> days;  // by day: range scans for GetRelation
    KeySet events;  // ordered keys: bucket event ids and ListEvents merge
  };
  struct StoredEvent {
    // The serialized dyad.v1.Event: a parsed message costs several times the memory.
    std::string bytes;
    // What ListEvents filters on besides the dyad and the day.
    int32_t quad_class = 0;
    std::string code;  // Event.code, else Event.root_code
  };

  // Dyads matching the prefixes in either or both directions, each once.
  std::vector<const DyadSeries*> MatchDyads(std::string_view source, std::string_view target,
                                            bool both_directions) const;

  // Shared lock for a query, taken through the turnstile so that a waiting writer goes first.
  std::shared_lock<std::shared_mutex> ReadLock() const;

  mutable std::mutex turnstile_;  // held by a writer while it waits for readers to drain
  mutable std::shared_mutex mu_;
  // source code → target code → series. std::map nodes are stable, so the pointers below are too.
  std::map<std::string, std::map<std::string, DyadSeries, std::less<>>, std::less<>> by_source_;
  // target code → source code → the same series, for target-side prefix lookups.
  std::map<std::string, std::map<std::string, const DyadSeries*, std::less<>>, std::less<>>
      by_target_;
  absl::node_hash_map<std::string, StoredEvent> events_;
  KeySet order_;  // every event, for unfiltered listing
  int64_t dyad_count_ = 0;
};

}  // namespace dyad::relations
