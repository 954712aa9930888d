// The relations read model on disk: RocksDB holds the mentions (every applied dyad.v1.Event), the
// per-dyad-day mention totals, the consumed offsets and counters; a batch of consumed records is
// committed as ONE WriteBatch holding the new mentions, the totals they changed and the offsets
// to resume from, so after any crash (kill -9 included) the stored state and the stored offsets
// agree: a record is either applied and past the stored offset, or neither.
//
// Queries are served by the in-memory RelationStore: Open loads it from RocksDB (not from
// Kafka), and Commit updates it after the WriteBatch is written.
//
// Layout (one column family, key prefixes; strings are raw bytes):
//   m:format                 "2" (kStateFormatVersion)
//   m:topic                  the topic this state was made from
//   e:<event id>             the serialised dyad.v1.Event
//   a:<src>\0<tgt>\0<day>    DayTotals of that dyad and day: mentions, Goldstein and tone sums
//                            in millionths (day: 8 bytes big-endian, sign bit flipped, so rows
//                            sort by day; value: a version byte and three varints)
//   o:<topic>\0<partition>   next offset to read (decimal text; partition as decimal text)
//   c:<name>                 counter (decimal text): applied, duplicate, rejected, records and
//                            whatever the caller counts (e.g. unparseable)
//
// Loading: the events are re-applied to the RelationStore (which rebuilds the de-duplicated
// events and every aggregate from them: the events are the truth), then every stored a: row is
// compared exactly with the recomputed mention totals (integers, so independent of the order the
// events are read in), every recomputed dyad-day must have a row, and the applied counter must
// equal the number of events. A mismatch is DATA_LOSS: the state directory is not what this code
// wrote.
//
// Thread-safety: Open, NewBatch and Commit from one thread (the applier); the read accessors
// (NextOffsets, Counters, Counter) from any thread. One Batch at a time: a batch is checked for
// duplicates against what is committed, so commit (or drop) it before starting the next.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dyad/relations/relation_store.h"
#include "dyad/v1/event.pb.h"

namespace rocksdb {
class DB;
}

namespace dyad::relations {

// Bumped when the layout above changes; a state directory of another version is refused with
// FAILED_PRECONDITION (delete it: dyad-query rebuilds it by replaying the topic). Version 2: the
// a: rows hold mention totals in integers (issue 5's de-duplicated model); version 1 held event
// totals with floating sums.
inline constexpr int kStateFormatVersion = 2;

// Counters the store maintains itself (Batch::Add); callers add their own names with Count.
inline constexpr char kCounterApplied[] = "applied";      // new events
inline constexpr char kCounterDuplicate[] = "duplicate";  // event ids already stored
inline constexpr char kCounterRejected[] = "rejected";    // events PlaceEvent refuses

struct DurableStoreOptions {
  // The state directory; created (with its parents) when missing. One process at a time.
  std::string dir;
  // The topic the state is made from. A directory made for another topic is refused.
  std::string topic;
  // fsync the WAL on every Commit. Off: a Commit survives kill -9 of the process (the WAL is in
  // the OS page cache), and after a power loss the state is an earlier consistent point (events
  // and offsets roll back together, the records are read again).
  bool sync = false;
};

// What became of an event offered to a batch.
enum class EventOutcome {
  kNew,        // will be applied by Commit
  kDuplicate,  // its id is stored, or already in this batch: counted, not applied
  kRejected,   // PlaceEvent refuses it (no actor code, no date, ...): counted, not applied
};

// What Open found.
struct LoadInfo {
  bool created = false;  // the directory held no state: a new one was made
  int64_t events = 0;    // events loaded into the RelationStore
  int64_t day_rows = 0;  // dyad-day rows checked against the recomputed totals
  std::chrono::milliseconds took{0};
};

class DurableStore {
 public:
  // Opens (or creates) the state in options.dir and loads it into `memory`, which must be empty
  // and outlive the store. Errors, each saying what to do:
  //   INVALID_ARGUMENT     empty dir or topic
  //   FAILED_PRECONDITION  the directory is not a dyad state directory (other files, another
  //                        RocksDB), was made for another topic or format version, or is in use
  //                        by another process (RocksDB's LOCK)
  //   DATA_LOSS            RocksDB reports corruption, a row does not decode, or the stored
  //                        totals disagree with the stored events
  //   UNAVAILABLE          the directory cannot be created or read (I/O error, permissions)
  static absl::StatusOr<std::unique_ptr<DurableStore>> Open(const DurableStoreOptions& options,
                                                            RelationStore& memory);
  ~DurableStore();
  DurableStore(const DurableStore&) = delete;
  DurableStore& operator=(const DurableStore&) = delete;

  // The changes of one poll loop, committed together.
  class Batch {
   public:
    // Offers an event: checks it (PlaceEvent) and its id against the stored events and this
    // batch, counts the outcome (kCounterApplied/Duplicate/Rejected). `why` (may be null)
    // receives the reason of a rejection.
    EventOutcome Add(const dyad::v1::Event& event, std::string* why = nullptr);
    // Adds `n` to counter `name` (e.g. "records", "unparseable").
    void Count(std::string_view name, int64_t n = 1);
    // Records that `partition` of the store's topic is consumed up to `next_offset` (exclusive).
    void SetNextOffset(int32_t partition, int64_t next_offset);

    bool empty() const { return events_.empty() && counters_.empty() && offsets_.empty(); }
    int64_t new_events() const { return static_cast<int64_t>(events_.size()); }

   private:
    friend class DurableStore;
    struct Pending {
      dyad::v1::Event event;
      std::string bytes;
      EventPlace place;
    };
    explicit Batch(const DurableStore* store) : store_(store) {}
    const DurableStore* store_;
    std::vector<Pending> events_;
    std::set<std::string, std::less<>> ids_;
    std::map<std::string, int64_t, std::less<>> counters_;
    std::map<int32_t, int64_t> offsets_;
  };

  Batch NewBatch() const { return Batch(this); }

  // Writes `batch` as one RocksDB WriteBatch (events, the dyad-day totals they change, counters,
  // offsets), then applies its new events to the RelationStore. On error nothing of the batch is
  // stored or applied (the caller should stop: the records it consumed are not in the state).
  absl::Status Commit(Batch batch);

  // partition → next offset to read, for the store's topic.
  std::map<int32_t, int64_t> NextOffsets() const;
  std::map<std::string, int64_t> Counters() const;
  int64_t Counter(std::string_view name) const;

  const LoadInfo& load_info() const { return load_info_; }
  const std::string& dir() const { return options_.dir; }
  const std::string& topic() const { return options_.topic; }

  // Bytes RocksDB uses on disk (SST + WAL files), for logs and the README's numbers.
  int64_t DiskBytes() const;
  // Bytes of the live SST files (RocksDB property "rocksdb.live-sst-files-size"; what is still
  // only in the memtable and WAL is not counted), for the dyad_query_state_bytes metric. Cheap
  // (no file system walk); thread-safe; -1 if RocksDB cannot tell.
  int64_t LiveSstBytes() const;

 private:
  DurableStore(DurableStoreOptions options, RelationStore& memory);
  absl::Status Load();

  DurableStoreOptions options_;
  RelationStore& memory_;
  std::unique_ptr<rocksdb::DB> db_;
  LoadInfo load_info_;
  mutable std::mutex mu_;  // guards the two maps below (written by Commit, read by anyone)
  std::map<int32_t, int64_t> offsets_;
  std::map<std::string, int64_t, std::less<>> counters_;
};

}  // namespace dyad::relations
