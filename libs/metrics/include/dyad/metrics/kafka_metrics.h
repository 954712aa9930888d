// The Kafka client metrics of a process, read at scrape time from a kafka::ClientStats (give the
// same object to the clients through kafka::ClientConfig::stats):
//   dyad_kafka_consumer_lag{topic,partition}  gauge: high watermark - position, per assigned
//                                              partition (see client_stats.h)
//   dyad_kafka_producer_queue_messages        gauge: records queued or in flight
//   dyad_kafka_delivery_errors_total          counter: records whose delivery failed
// Thread-safety: as Registry. The callbacks hold a reference to `stats`, so it lives as long as
// the registry needs it.
#pragma once

#include <memory>

#include "dyad/kafka/client_stats.h"
#include "dyad/metrics/registry.h"

namespace dyad::metrics {

// Registers the three families (std::invalid_argument when they are there already).
void AddKafkaMetrics(Registry& registry, std::shared_ptr<const kafka::ClientStats> stats);

}  // namespace dyad::metrics
