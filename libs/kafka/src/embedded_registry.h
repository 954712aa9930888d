// Process-wide registry of running embedded brokers, so that EnsureTopic can create topics with
// the requested partition count in a mock cluster (which has no CreateTopics API in librdkafka
// 2.0.2) when the client points at a broker in this process.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "dyad/kafka/admin.h"

namespace dyad::kafka::internal {

using CreateTopicFn = std::function<absl::Status(const TopicSpec&)>;

void RegisterEmbeddedBroker(const std::string& bootstrap_servers, const CreateTopicFn& create);
void UnregisterEmbeddedBroker(const std::string& bootstrap_servers);

// When `brokers` (a bootstrap.servers list) names a broker of an embedded cluster running in this
// process, creates `topic` there (an existing topic is OK) and returns true with the outcome in
// `status`; false otherwise. Holds the registry lock while creating, so the cluster cannot be
// destroyed meanwhile.
bool CreateTopicInEmbeddedBroker(const std::string& brokers, const TopicSpec& topic,
                                 absl::Status& status);

}  // namespace dyad::kafka::internal
