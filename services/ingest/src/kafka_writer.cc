// The Kafka RecordWriter. Kept in its own file so code that only needs Publisher with another
// writer does not pull in the Kafka client.
//
// Each Write produces one record and waits for its delivery report. A record whose caller stopped
// waiting (ack_wait_ms passed, or Close) is still librdkafka's until its report arrives: it stays
// in `pending`, and a Write for the same key waits for that record instead of producing a second
// one. A late success is remembered (`late`), so the retry is answered OK without writing again.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "dyad/ingest/publisher.h"
#include "dyad/kafka/producer.h"
#include "strings.h"

namespace dyad::ingest {
namespace {

// Late successes remembered for retries (a retry normally comes within seconds).
constexpr std::size_t kLateCapacity = 100000;

// One produced record awaiting its delivery report.
struct Attempt {
  std::optional<absl::Status> outcome;  // set by the delivery report
  bool abandoned = false;               // the caller stopped waiting
};

// Shared by the writer and the delivery callbacks (which may run after the writer is gone, from
// the producer's destructor).
struct State {
  std::mutex mu;
  std::condition_variable changed;
  std::unordered_map<std::string, std::shared_ptr<Attempt>> pending;  // by key
  std::unordered_set<std::string> late;  // keys delivered after their caller gave up
  std::deque<std::string> late_order;
  bool closed = false;

  void RememberLateLocked(const std::string& key) {
    if (!late.insert(key).second) return;
    late_order.push_back(key);
    while (late_order.size() > kLateCapacity) {
      late.erase(late_order.front());
      late_order.pop_front();
    }
  }
};

class KafkaWriter final : public RecordWriter {
 public:
  KafkaWriter(const kafka::ProducerOptions& options, std::unique_ptr<kafka::Producer> producer,
              std::string topic, std::chrono::milliseconds ack_wait)
      : options_(options),
        producer_(std::move(producer)),
        topic_(std::move(topic)),
        ack_wait_(ack_wait),
        state_(std::make_shared<State>()) {}

  absl::Status Write(std::string_view key_view, std::string_view value) override {
    const std::string key(key_view);
    // Declared before the lock so that the lock is released first: a replaced producer may be
    // destroyed here, and its destructor runs delivery callbacks that take the lock.
    std::shared_ptr<kafka::Producer> producer;
    std::unique_lock lock(state_->mu);
    const auto deadline = std::chrono::steady_clock::now() + ack_wait_;
    while (true) {
      if (state_->closed) {
        return absl::UnavailableError("dyad-ingest is shutting down; the record was not written");
      }
      if (state_->late.erase(key) > 0) return absl::OkStatus();  // an earlier attempt landed
      auto it = state_->pending.find(key);
      if (it == state_->pending.end()) break;
      // An earlier attempt for this key is still with librdkafka: its fate decides this call.
      auto earlier = it->second;
      if (!Wait(lock, *earlier, deadline)) {
        return absl::UnavailableError(
            Cat("an earlier attempt for this key is still unacknowledged after ", ack_wait_.count(),
                " ms; retry later (it is not written twice)"));
      }
      if (earlier->outcome->ok()) {
        state_->late.erase(key);
        return absl::OkStatus();
      }
      // It failed: produce again below (the loop rechecks, another caller may have started one).
    }
    auto attempt = std::make_shared<Attempt>();
    state_->pending[key] = attempt;
    producer = producer_;
    lock.unlock();
    absl::Status queued = producer->Produce(
        topic_, key, value, [state = state_, attempt, key](const kafka::DeliveryReport& report) {
          std::lock_guard guard(state->mu);
          attempt->outcome = report.status;
          if (auto it = state->pending.find(key);
              it != state->pending.end() && it->second == attempt) {
            state->pending.erase(it);
          }
          if (attempt->abandoned && report.status.ok()) state->RememberLateLocked(key);
          state->changed.notify_all();
        });
    lock.lock();
    if (!queued.ok()) {
      if (auto it = state_->pending.find(key);
          it != state_->pending.end() && it->second == attempt) {
        state_->pending.erase(it);
      }
      state_->changed.notify_all();
      if (queued.code() == absl::StatusCode::kInternal) {
        return ResetProducerLocked(producer, queued);
      }
      return queued;
    }
    if (!Wait(lock, *attempt, deadline)) {
      attempt->abandoned = true;
      if (state_->closed) {
        return absl::UnavailableError(
            "dyad-ingest is shutting down and Kafka has not acknowledged the record");
      }
      return absl::UnavailableError(Cat("Kafka has not acknowledged the record within ",
                                        ack_wait_.count(),
                                        " ms; a retry waits for this attempt (it is not written "
                                        "twice)"));
    }
    if (attempt->outcome->code() == absl::StatusCode::kInternal) {
      return ResetProducerLocked(producer, *attempt->outcome);
    }
    return *attempt->outcome;
  }

  int Flush(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mu);
    state_->changed.wait_for(lock, timeout, [&] { return state_->pending.empty(); });
    return static_cast<int>(state_->pending.size());
  }

  int Close(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mu);
    state_->closed = true;
    state_->changed.wait_for(lock, timeout, [&] { return state_->pending.empty(); });
    const int left = static_cast<int>(state_->pending.size());
    // Callers still waiting return UNAVAILABLE now (they see `closed`).
    state_->changed.notify_all();
    return left;
  }

 private:
  // Waits until `attempt` has its outcome (true) or `deadline` passed or the writer closed.
  bool Wait(std::unique_lock<std::mutex>& lock, const Attempt& attempt,
            std::chrono::steady_clock::time_point deadline) {
    return state_->changed.wait_until(lock, deadline, [&] {
      return attempt.outcome.has_value() || state_->closed;
    }) && attempt.outcome.has_value();
  }

  // A fatal producer error (e.g. the idempotence state was lost) would fail every later record:
  // start a new producer (new producer id) so that retries can succeed. UNAVAILABLE (retry) once
  // a new producer runs, else `why`.
  absl::Status ResetProducerLocked(const std::shared_ptr<kafka::Producer>& failed,
                                   const absl::Status& why) {
    if (producer_ == failed) {  // else another caller already replaced it
      auto fresh = kafka::Producer::Create(options_);
      if (!fresh.ok()) {
        spdlog::error("ingest: cannot recreate the Kafka producer after '{}': {}",
                      std::string(why.message()), std::string(fresh.status().message()));
        return why;
      }
      spdlog::warn("ingest: Kafka producer failed fatally ({}); started a new one",
                   std::string(why.message()));
      producer_ = std::shared_ptr<kafka::Producer>(*std::move(fresh));
    }
    return absl::UnavailableError(Cat(why.message(), " (the Kafka producer was restarted; retry)"));
  }

  const kafka::ProducerOptions options_;
  std::shared_ptr<kafka::Producer> producer_;  // guarded by state_->mu
  const std::string topic_;
  const std::chrono::milliseconds ack_wait_;
  std::shared_ptr<State> state_;
};

}  // namespace

int RecordWriter::Close(std::chrono::milliseconds timeout) { return Flush(timeout); }

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
  const auto ack_wait = options.ack_wait_ms > 0
                            ? std::chrono::milliseconds(options.ack_wait_ms)
                            : std::chrono::milliseconds(producer_options.delivery_timeout_ms) +
                                  std::chrono::seconds(5);
  return std::make_unique<KafkaWriter>(producer_options, *std::move(producer), options.topic,
                                       ack_wait);
}

}  // namespace dyad::ingest
