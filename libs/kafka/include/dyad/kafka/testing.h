// For tests against a real Kafka cluster (label `kafka`): where it is and how far topics can be
// replicated. tests/kafka/kafka.sh starts one; ./scripts/dev.sh test and .ci/run export its
// bootstrap servers as DYAD_TEST_KAFKA_BROKERS.
//
//   auto cluster = dyad::kafka::TestClusterFromEnv();
//   if (!cluster) GTEST_SKIP() << dyad::kafka::kNoTestClusterMessage;
#pragma once

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>

namespace dyad::kafka {

struct TestCluster {
  std::string brokers;         // bootstrap servers, e.g. "127.0.0.1:19092,127.0.0.1:19093,..."
  int brokers_count = 1;       // entries in `brokers`
  int replication_factor = 1;  // one replica per broker, at most 3
};

// The cluster in DYAD_TEST_KAFKA_BROKERS, or nullopt when the variable is unset or empty.
inline std::optional<TestCluster> TestClusterFromEnv() {
  const char* brokers = std::getenv("DYAD_TEST_KAFKA_BROKERS");
  if (brokers == nullptr || *brokers == '\0') return std::nullopt;
  TestCluster cluster;
  cluster.brokers = brokers;
  cluster.brokers_count =
      1 + static_cast<int>(std::count(cluster.brokers.begin(), cluster.brokers.end(), ','));
  cluster.replication_factor = std::min(cluster.brokers_count, 3);
  return cluster;
}

// Why a `kafka` test skipped, and how to give it a cluster.
inline constexpr char kNoTestClusterMessage[] =
    "DYAD_TEST_KAFKA_BROKERS is not set: start a real cluster with tests/kafka/fetch-kafka.sh && "
    "export DYAD_TEST_KAFKA_BROKERS=$(tests/kafka/kafka.sh start --nodes 3) (./scripts/dev.sh "
    "test and .ci/run do this)";

}  // namespace dyad::kafka
