#include <spdlog/spdlog.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <random>

#include "dyad/kafka/consumer.h"
#include "dyad/query/query.h"
#include "dyad/v1/event.pb.h"

namespace dyad::query {

const char* OutcomeName(RecordOutcome outcome) {
  switch (outcome) {
    case RecordOutcome::kApplied:
      return "applied";
    case RecordOutcome::kDuplicate:
      return "duplicate";
    case RecordOutcome::kUnparseable:
      return "unparseable";
    case RecordOutcome::kMissingId:
      return "missing id";
    case RecordOutcome::kRejected:
      return "rejected";
  }
  return "unknown";
}

RecordOutcome ApplyRecord(relations::RelationStore& store, std::string_view value,
                          std::string* why) {
  dyad::v1::Event event;
  if (value.size() > static_cast<std::size_t>(INT_MAX) ||
      !event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    if (why != nullptr) *why = "the record value is not a dyad.v1.Event protobuf";
    return RecordOutcome::kUnparseable;
  }
  if (event.id().empty()) {
    if (why != nullptr) {
      *why = value.empty() ? "the record value is empty"
                           : "the record parsed as a dyad.v1.Event without an id (another "
                             "message type?)";
    }
    return RecordOutcome::kMissingId;
  }
  auto applied = store.Apply(event);
  if (!applied.ok()) {
    if (why != nullptr) *why = std::string(applied.status().message());
    return RecordOutcome::kRejected;
  }
  return *applied ? RecordOutcome::kApplied : RecordOutcome::kDuplicate;
}

std::string UniqueGroupId(std::string_view prefix) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof host, "localhost");
  }
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return std::string(prefix) + "-" + host + "-" + std::to_string(getpid()) + "-" + suffix;
}

EventApplier::EventApplier(ApplierOptions options, relations::RelationStore& store)
    : options_(std::move(options)), store_(store) {}

EventApplier::~EventApplier() { Stop(); }

absl::Status EventApplier::Start() {
  if (options_.group_id.empty()) {
    return absl::InvalidArgumentError("the applier needs a group id; use UniqueGroupId()");
  }
  kafka::ConsumerOptions consumer_options;
  consumer_options.client = options_.client;
  consumer_options.group_id = options_.group_id;
  consumer_options.auto_offset_reset = "earliest";
  consumer_options.client.client_id = options_.client.client_id + "-query";
  auto consumer = kafka::Consumer::Create(consumer_options);
  if (!consumer.ok()) return consumer.status();
  if (auto status = (*consumer)->Subscribe({options_.topic}); !status.ok()) return status;
  consumer_ = std::move(*consumer);
  stop_.store(false);
  thread_ = std::thread([this] { Run(); });
  spdlog::info("query: applying {} from the beginning in group {}", options_.topic,
               options_.group_id);
  return absl::OkStatus();
}

void EventApplier::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (consumer_ != nullptr) {
    if (auto status = consumer_->Close(); !status.ok()) {
      spdlog::warn("query: closing the consumer: {}", status.ToString());
    }
    consumer_.reset();
  }
}

absl::Status EventApplier::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void EventApplier::Fail(absl::Status status) {
  spdlog::error("query: the applier stopped: {}", status.ToString());
  std::lock_guard lock(mu_);
  status_ = std::move(status);
}

void EventApplier::Run() {
  while (!stop_.load()) {
    auto polled = consumer_->Poll(options_.poll_timeout);
    if (!polled.ok()) {
      Fail(polled.status());
      return;
    }
    if (!polled->has_value()) continue;
    const kafka::Message& message = **polled;
    stats_.records.fetch_add(1);
    std::string why;
    const RecordOutcome outcome = ApplyRecord(store_, message.value, &why);
    switch (outcome) {
      case RecordOutcome::kApplied:
        stats_.applied.fetch_add(1);
        break;
      case RecordOutcome::kDuplicate:
        stats_.duplicates.fetch_add(1);
        break;
      default: {
        stats_.invalid.fetch_add(1);
        bool& logged = logged_[static_cast<int>(outcome)];
        if (!logged) {
          logged = true;
          spdlog::warn(
              "query: skipping {} record at {}[{}]@{}: {} (further {} records are counted, not "
              "logged)",
              OutcomeName(outcome), message.topic, message.partition, message.offset, why,
              OutcomeName(outcome));
        }
        break;
      }
    }
    if (auto status = consumer_->StoreOffset(message); !status.ok()) {
      Fail(status);
      return;
    }
  }
}

}  // namespace dyad::query
