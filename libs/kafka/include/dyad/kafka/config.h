// Connection settings shared by producers, consumers and admin clients.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/kafka/client_stats.h"

namespace dyad::kafka {

struct ClientConfig {
  // Comma-separated host:port list (bootstrap.servers).
  std::string brokers;
  // Extra librdkafka properties given by the user (--kafka-config key=value), e.g. SASL/TLS.
  // Applied after dyad's defaults, so they win; every one is checked at creation.
  std::map<std::string, std::string> properties;
  // client.id, for broker logs and metrics.
  std::string client_id = "dyad";
  // Optional: producers and consumers made from this config report their queue, delivery errors
  // and lag here (client_stats.h; exported by libs/metrics). Null: not reported.
  std::shared_ptr<ClientStats> stats;
};

// Parses repeated "key=value" strings into properties. INVALID_ARGUMENT names the bad entry.
absl::StatusOr<std::map<std::string, std::string>> ParseProperties(
    const std::vector<std::string>& key_values);

}  // namespace dyad::kafka
