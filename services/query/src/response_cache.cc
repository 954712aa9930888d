#include "dyad/query/response_cache.h"

#include <utility>

namespace dyad::query {

ResponseCache::ResponseCache(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

std::optional<grpc::Slice> ResponseCache::Find(std::string_view key, uint64_t version) {
  std::lock_guard lock(mu_);
  const auto found = index_.find(key);
  if (found == index_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  const List::iterator it = found->second;
  if (it->version != version) {
    ++stats_.misses;
    ++stats_.stale;
    EraseLocked(it);
    return std::nullopt;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it);
  return it->bytes;
}

void ResponseCache::Insert(std::string key, uint64_t version, grpc::Slice bytes) {
  Entry entry{std::move(key), version, std::move(bytes)};
  if (entry.Charge() > capacity_ / 8) return;
  std::lock_guard lock(mu_);
  if (const auto found = index_.find(entry.key); found != index_.end()) EraseLocked(found->second);
  stats_.bytes += entry.Charge();
  ++stats_.entries;
  lru_.push_front(std::move(entry));
  index_.emplace(lru_.front().key, lru_.begin());
  while (stats_.bytes > capacity_ && !lru_.empty()) {
    EraseLocked(std::prev(lru_.end()));
    ++stats_.evictions;
  }
}

ResponseCache::Stats ResponseCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void ResponseCache::EraseLocked(List::iterator it) {
  stats_.bytes -= it->Charge();
  --stats_.entries;
  index_.erase(it->key);
  lru_.erase(it);
}

}  // namespace dyad::query
