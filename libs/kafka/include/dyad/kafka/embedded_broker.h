// The embedded broker: librdkafka's mock cluster, speaking the real Kafka protocol on loopback,
// in this process. Nothing persists; it emulates neither read_committed nor transactional offset
// commits (see ../shared/docs/PLATFORM.md), so it is for the zero-install default and fast tests.
//
// Thread-safety: create and destroy from one thread; the brokers run on their own threads.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dyad/kafka/admin.h"

namespace dyad::kafka {

class EmbeddedBroker {
 public:
  // Starts `brokers` mock brokers on ephemeral loopback ports.
  static absl::StatusOr<std::unique_ptr<EmbeddedBroker>> Start(int brokers = 1);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstrap_servers() const;

  // Creates a topic directly in the mock cluster.
  absl::Status CreateTopic(const TopicSpec& topic);

  class Impl;

 private:
  explicit EmbeddedBroker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dyad::kafka
