#include "dyad/kafka/client_stats.h"

#include <algorithm>
#include <tuple>

namespace dyad::kafka {

std::vector<PartitionLag> ClientStats::consumer_lag() const {
  std::vector<PartitionLag> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, lag] : lag_) all.insert(all.end(), lag.begin(), lag.end());
  }
  std::sort(all.begin(), all.end(), [](const PartitionLag& a, const PartitionLag& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return all;
}

void ClientStats::SetConsumerLag(const void* consumer_id, std::vector<PartitionLag> lag) {
  std::lock_guard lock(mu_);
  if (lag.empty()) {
    lag_.erase(consumer_id);
  } else {
    lag_[consumer_id] = std::move(lag);
  }
}

}  // namespace dyad::kafka
