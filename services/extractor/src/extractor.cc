#include "dyad/extractor/extractor.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

#include "dyad/kafka/admin.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/v1/article.pb.h"

namespace dyad::extractor {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPollTimeout{200};
constexpr milliseconds kFlushTimeout{60000};

// A record produced in the current batch and the outcome of its delivery.
struct Pending {
  std::mutex mutex;
  int failed = 0;
  absl::Status first_error;

  void Record(const kafka::DeliveryReport& report) {
    if (report.status.ok()) return;
    std::lock_guard lock(mutex);
    if (failed++ == 0) first_error = report.status;
  }
};

std::string DeadLetterReason(const absl::Status& status) {
  return std::string(absl::StatusCodeToString(status.code())) + ": " +
         std::string(status.message());
}

}  // namespace

std::string DyadKey(const dyad::v1::Event& event) {
  return event.source().country() + ">" + event.target().country();
}

absl::StatusOr<std::vector<dyad::v1::Event>> ExtractRecord(const coder::Coder& coder,
                                                           std::string_view record_value) {
  if (record_value.empty()) return absl::InvalidArgumentError("empty record value");
  dyad::v1::Article article;
  if (!article.ParseFromArray(record_value.data(), static_cast<int>(record_value.size()))) {
    return absl::InvalidArgumentError("record value is not a dyad.v1.Article protobuf");
  }
  if (article.id().empty()) return absl::InvalidArgumentError("Article.id is empty");
  if (article.body().empty()) return absl::InvalidArgumentError("Article.body is empty");
  return coder.CodeArticle(article);
}

Extractor::Extractor(ExtractorOptions options, const coder::Coder& coder)
    : options_(std::move(options)), coder_(coder) {}

absl::Status Extractor::Run(const std::atomic<bool>& stop, const std::function<void()>& on_ready) {
  for (const char* topic : {kafka::kArticlesTopic, kafka::kEventsTopic, kafka::kArticlesDlqTopic}) {
    auto status = kafka::EnsureTopic(options_.client,
                                     {topic, options_.partitions, options_.replication_factor});
    if (!status.ok()) return status;
  }

  kafka::ProducerOptions producer_options;
  producer_options.client = options_.client;
  producer_options.client.client_id = options_.client.client_id + "-extractor";
  auto producer = kafka::Producer::Create(producer_options);
  if (!producer.ok()) return producer.status();

  kafka::ConsumerOptions consumer_options{.client = options_.client, .group_id = options_.group_id};
  auto consumer = kafka::Consumer::Create(consumer_options);
  if (!consumer.ok()) return consumer.status();
  if (auto status = (*consumer)->Subscribe({kafka::kArticlesTopic}); !status.ok()) return status;
  if (on_ready) on_ready();
  spdlog::info("extractor: consuming {} in group {}", kafka::kArticlesTopic, options_.group_id);

  std::vector<kafka::Message> batch;
  while (!stop.load()) {
    batch.clear();
    // Fill a batch: block for the first record, then take what is already there.
    while (static_cast<int>(batch.size()) < options_.max_batch && !stop.load()) {
      auto polled = (*consumer)->Poll(batch.empty() ? kPollTimeout : milliseconds(0));
      if (!polled.ok()) return polled.status();
      if (!polled->has_value()) break;
      batch.push_back(std::move(**polled));
    }
    if (batch.empty()) continue;

    Pending pending;
    auto on_delivery = [&pending](const kafka::DeliveryReport& report) { pending.Record(report); };
    for (const kafka::Message& message : batch) {
      absl::StatusOr<std::vector<dyad::v1::Event>> events =
          static_cast<int64_t>(message.value.size()) > options_.max_record_bytes
              ? absl::InvalidArgumentError("record of " + std::to_string(message.value.size()) +
                                           " bytes is over --max-record-bytes")
              : ExtractRecord(coder_, message.value);
      absl::Status produced;
      if (events.ok()) {
        for (const dyad::v1::Event& event : *events) {
          produced = (*producer)->Produce(kafka::kEventsTopic, DyadKey(event),
                                          event.SerializeAsString(), on_delivery);
          if (!produced.ok()) break;
          stats_.events.fetch_add(1);
        }
      } else {
        spdlog::warn("extractor: dead-lettering {}[{}]@{}: {}", message.topic, message.partition,
                     message.offset, std::string(events.status().message()));
        kafka::Headers headers = {
            {"dyad-error", DeadLetterReason(events.status())},
            {"dyad-origin-topic", message.topic},
            {"dyad-origin-partition", std::to_string(message.partition)},
            {"dyad-origin-offset", std::to_string(message.offset)},
        };
        produced = (*producer)->Produce(kafka::kArticlesDlqTopic, message.key, message.value,
                                        on_delivery, headers);
        stats_.dead_lettered.fetch_add(1);
      }
      if (!produced.ok()) {
        // The local queue is full or the producer failed: wait for what is in flight, then
        // stop without storing offsets, so a restart re-codes this batch.
        (*producer)->Flush(kFlushTimeout);
        return produced;
      }
    }

    if (const int left = (*producer)->Flush(kFlushTimeout); left > 0) {
      return absl::UnavailableError(std::to_string(left) +
                                    " event records not delivered in time; offsets not stored, "
                                    "the batch will be re-coded on restart");
    }
    if (pending.failed > 0) {
      return absl::UnavailableError(std::to_string(pending.failed) +
                                    " event records failed: " + pending.first_error.ToString() +
                                    "; offsets not stored, the batch will be re-coded on restart");
    }
    for (const kafka::Message& message : batch) {
      if (auto status = (*consumer)->StoreOffset(message); !status.ok()) return status;
      stats_.articles.fetch_add(1);
    }
  }
  spdlog::info("extractor: stopping after {} articles, {} events, {} dead-lettered",
               stats_.articles.load(), stats_.events.load(), stats_.dead_lettered.load());
  return (*consumer)->Close();
}

}  // namespace dyad::extractor
