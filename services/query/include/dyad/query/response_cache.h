// ResponseCache: serialised answers kept by request and version, for the queries that are asked
// again and again (a dashboard's dyads) and cost far more to build than to send.
//
// An entry is (key, version, bytes): the key is the request serialised, the version a number
// that changes whenever the answer could (RelationStore::RelationVersion), the bytes the
// serialised response, held as a grpc::Slice so that every call answered from the cache shares
// one reference-counted buffer (nothing is copied or serialised again). Find returns the bytes
// only when the version is the one they were built at; a stale entry is dropped when found.
//
// Bounded: entries are charged their key and bytes plus kEntryOverhead; past `capacity_bytes`
// the least recently used are evicted. An answer larger than an eighth of the capacity is not
// kept (one huge range would otherwise flush everything). Capacity 0 keeps nothing.
//
// Thread-safety: all methods may be called from any thread (one mutex; held for a hash lookup
// and a list splice, never while building an answer).
#pragma once

#include <grpcpp/support/slice.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace dyad::query {

class ResponseCache {
 public:
  // Bytes charged per entry beyond its key and answer (list node, hash slot, slice header).
  static constexpr std::size_t kEntryOverhead = 128;

  explicit ResponseCache(std::size_t capacity_bytes);
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // The answer cached for `key` at `version`; nullopt when there is none or it was built at
  // another version (then it is dropped). A hit makes the entry the most recently used.
  std::optional<grpc::Slice> Find(std::string_view key, uint64_t version);

  // Keeps `bytes` as the answer for `key` at `version`, replacing any entry for `key`, then
  // evicts the least recently used entries until the cache fits its capacity. Does nothing when
  // the entry alone would take more than an eighth of the capacity.
  void Insert(std::string key, uint64_t version, grpc::Slice bytes);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;     // no entry, or a stale one
    int64_t stale = 0;      // of the misses: an entry built at another version
    int64_t evictions = 0;  // entries dropped for room
    int64_t entries = 0;
    std::size_t bytes = 0;  // charged, as above
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    uint64_t version = 0;
    grpc::Slice bytes;
    std::size_t Charge() const { return key.size() + bytes.size() + kEntryOverhead; }
  };
  using List = std::list<Entry>;  // most recently used first

  void EraseLocked(List::iterator it);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  List lru_;
  absl::flat_hash_map<std::string_view, List::iterator> index_;  // views of Entry::key
  Stats stats_;
};

}  // namespace dyad::query
