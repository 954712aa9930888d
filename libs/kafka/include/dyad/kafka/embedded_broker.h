// The embedded broker: librdkafka's mock cluster, speaking the real Kafka protocol on loopback,
// in this process. Nothing persists; it emulates neither read_committed nor transactional offset
// commits (see ../shared/docs/PLATFORM.md), so it is for the zero-install default and fast tests.
//
// Thread-safety: create and destroy from one thread; the brokers run on their own threads.
// CreateTopic, SetBrokerDown and SetBrokerUp may be called from any thread.
//
// How `dyad broker` (and `dyad up`) use it:
//
//   auto broker = dyad::kafka::EmbeddedBroker::Start();          // 1 broker
//   if (!broker.ok()) { /* one line on stderr, exit 1 */ }
//   std::cout << (*broker)->bootstrap_servers() << std::endl;    // e.g. 127.0.0.1:40211
//   // services (in- or out-of-process) use it as --brokers; they EnsureTopic their topics.
//   // ... wait for SIGINT/SIGTERM (core::InstallShutdownHandlers), then destroy the broker.
//
// The brokers live exactly as long as the EmbeddedBroker object; clients connected to it see
// their connections refused afterwards. Topics are also auto-created with 4 partitions when a
// client asks for an unknown one, so create (or EnsureTopic) topics before producing to get the
// partition count you want. See libs/kafka/README.md for what the mock cluster does not do.
#pragma once

#include <cstdint>
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

  // Creates a topic directly in the mock cluster. An existing topic is OK (its partition count
  // is left as it is), as with EnsureTopic.
  absl::Status CreateTopic(const TopicSpec& topic);

  // Fault injection for tests: disconnects broker `broker_id` (1..N; -1 = all) and refuses new
  // connections until SetBrokerUp. Leadership does not move, so clients see the broker as down.
  absl::Status SetBrokerDown(int32_t broker_id = -1);
  absl::Status SetBrokerUp(int32_t broker_id = -1);

  class Impl;

 private:
  explicit EmbeddedBroker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dyad::kafka
