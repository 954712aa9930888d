#include "dyad/metrics/kafka_metrics.h"

#include <string>
#include <vector>

namespace dyad::metrics {

void AddKafkaMetrics(Registry& registry, std::shared_ptr<const kafka::ClientStats> stats) {
  registry.AddCallback(
      "dyad_kafka_consumer_lag",
      "Records not yet consumed per assigned partition: high watermark minus position.",
      MetricType::kGauge, {"topic", "partition"}, [stats] {
        std::vector<Sample> samples;
        for (const auto& lag : stats->consumer_lag()) {
          samples.push_back(
              {{lag.topic, std::to_string(lag.partition)}, static_cast<double>(lag.lag)});
        }
        return samples;
      });
  registry.AddValueCallback("dyad_kafka_producer_queue_messages",
                            "Records produced but not yet acknowledged (queued or in flight).",
                            MetricType::kGauge,
                            [stats] { return static_cast<double>(stats->producer_queue()); });
  registry.AddValueCallback("dyad_kafka_delivery_errors_total",
                            "Records whose delivery to Kafka failed.", MetricType::kCounter,
                            [stats] { return static_cast<double>(stats->delivery_errors()); });
}

}  // namespace dyad::metrics
