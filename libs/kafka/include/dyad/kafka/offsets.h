// Read-only views of topic and consumer-group offsets: how many records a topic holds and how far
// a group is behind. For progress output (`dyad demo`), health checks and tests.
//
// Each call opens a short-lived client (it does not join the group) and blocks up to `timeout`.
// UNAVAILABLE when the brokers cannot be reached in time, NOT_FOUND for an unknown topic.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "dyad/kafka/config.h"

namespace dyad::kafka {

// Records currently in `topic`: the sum over its partitions of high watermark − low watermark.
absl::StatusOr<int64_t> TopicRecordCount(
    const ClientConfig& client, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// How many records of `topic` consumer group `group` has not committed yet: the sum over the
// partitions of high watermark − committed offset (a partition with no commit counts from its low
// watermark).
absl::StatusOr<int64_t> ConsumerGroupLag(
    const ClientConfig& client, const std::string& group, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace dyad::kafka
