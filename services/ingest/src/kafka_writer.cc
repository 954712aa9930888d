// The Kafka RecordWriter. Kept in its own file so code that only needs Publisher with another
// writer does not pull in the Kafka client.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "dyad/ingest/publisher.h"
#include "dyad/kafka/producer.h"

namespace dyad::ingest {
namespace {

class KafkaWriter final : public RecordWriter {
 public:
  KafkaWriter(std::unique_ptr<kafka::Producer> producer, std::string topic,
              std::chrono::milliseconds timeout)
      : producer_(std::move(producer)), topic_(std::move(topic)), timeout_(timeout) {}

  absl::Status Write(std::string_view key, std::string_view value) override {
    auto report = producer_->ProduceSync(topic_, key, value, timeout_);
    if (!report.ok()) return report.status();
    return report->status;
  }

  int Flush(std::chrono::milliseconds timeout) override { return producer_->Flush(timeout); }

 private:
  std::unique_ptr<kafka::Producer> producer_;
  std::string topic_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RecordWriter>> MakeKafkaWriter(const KafkaWriterOptions& options) {
  kafka::ProducerOptions producer_options = options.producer;
  auto& properties = producer_options.client.properties;
  // Text compresses well; with lz4 a 1 MiB article fits Kafka's default 1 MB batch limit.
  properties.emplace("compression.type", "lz4");
  // librdkafka rejects bigger records before sending; leave room for the Article's metadata.
  const std::size_t max_bytes = std::max<std::size_t>(1000000, options.max_record_bytes + 65536);
  properties.emplace("message.max.bytes", std::to_string(max_bytes));
  auto producer = kafka::Producer::Create(producer_options);
  if (!producer.ok()) return producer.status();
  const auto timeout =
      std::chrono::milliseconds(producer_options.delivery_timeout_ms) + std::chrono::seconds(5);
  return std::make_unique<KafkaWriter>(*std::move(producer), options.topic, timeout);
}

}  // namespace dyad::ingest
