// Topic administration.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "dyad/kafka/config.h"

namespace dyad::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 6;
  int replication_factor = 1;
};

// Creates the topic if it does not exist (an existing topic is OK, whatever its partition count).
// UNAVAILABLE when the brokers cannot be reached within `timeout`.
absl::Status EnsureTopic(const ClientConfig& client, const TopicSpec& topic,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace dyad::kafka
