#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include "dyad/kafka/consumer.h"
#include "dyad/query/query.h"
#include "dyad/v1/event.pb.h"

namespace dyad::query {
namespace {

// Per-partition fetch size: larger than any record a broker will take by default (1 MB), so a
// huge record is fetched, counted and skipped instead of blocking its partition.
constexpr int kMaxPartitionFetchBytes = 16 << 20;

}  // namespace

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
    case RecordOutcome::kOversized:
      return "oversized";
  }
  return "unknown";
}

const char* OutcomeCounter(RecordOutcome outcome) {
  switch (outcome) {
    case RecordOutcome::kApplied:
      return relations::kCounterApplied;
    case RecordOutcome::kDuplicate:
      return relations::kCounterDuplicate;
    case RecordOutcome::kRejected:
      return relations::kCounterRejected;
    case RecordOutcome::kUnparseable:
      return "unparseable";
    case RecordOutcome::kMissingId:
      return "missing_id";
    case RecordOutcome::kOversized:
      return "oversized";
  }
  return "unknown";
}

std::optional<RecordOutcome> ParseEventRecord(std::string_view value, dyad::v1::Event& event,
                                              std::string* why) {
  if (value.size() > kMaxRecordBytes) {
    if (why != nullptr) {
      *why = absl::StrCat("the record value has ", value.size(), " bytes, more than the ",
                          kMaxRecordBytes, " a dyad.v1.Event may have");
    }
    return RecordOutcome::kOversized;
  }
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
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
  return std::nullopt;
}

RecordOutcome ApplyRecord(relations::RelationStore& store, std::string_view value,
                          std::string* why) {
  dyad::v1::Event event;
  if (auto invalid = ParseEventRecord(value, event, why)) return *invalid;
  auto applied = store.Apply(event);
  if (!applied.ok()) {
    if (why != nullptr) *why = std::string(applied.status().message());
    return RecordOutcome::kRejected;
  }
  return *applied ? RecordOutcome::kApplied : RecordOutcome::kDuplicate;
}

RecordOutcome ApplyRecord(relations::DurableStore::Batch& batch, std::string_view value,
                          std::string* why, dyad::v1::Event* parsed) {
  dyad::v1::Event local;
  dyad::v1::Event& event = parsed != nullptr ? *parsed : local;
  if (auto invalid = ParseEventRecord(value, event, why)) {
    batch.Count(OutcomeCounter(*invalid));
    return *invalid;
  }
  switch (batch.Add(event, why)) {  // counts applied / duplicate / rejected itself
    case relations::EventOutcome::kNew:
      return RecordOutcome::kApplied;
    case relations::EventOutcome::kDuplicate:
      return RecordOutcome::kDuplicate;
    case relations::EventOutcome::kRejected:
      return RecordOutcome::kRejected;
  }
  return RecordOutcome::kRejected;
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

EventApplier::EventApplier(ApplierOptions options, relations::DurableStore& store)
    : options_(std::move(options)), store_(store) {}

EventApplier::~EventApplier() { Stop(); }

absl::Status EventApplier::Start() {
  if (options_.group_id.empty()) {
    return absl::InvalidArgumentError("the applier needs a group id; use UniqueGroupId()");
  }
  if (options_.topic != store_.topic()) {
    return absl::InvalidArgumentError(absl::StrCat("the applier reads ", options_.topic,
                                                   " but the state is of ", store_.topic()));
  }
  kafka::ConsumerOptions consumer_options;
  consumer_options.client = options_.client;
  consumer_options.group_id = options_.group_id;
  consumer_options.auto_offset_reset = "earliest";
  consumer_options.client.client_id = options_.client.client_id + "-query";
  // A record larger than a partition fetch stalls its partition on brokers that do not return
  // an oversized first batch (librdkafka's mock cluster); the broker's own limit is lower.
  consumer_options.client.properties.try_emplace("max.partition.fetch.bytes",
                                                 std::to_string(kMaxPartitionFetchBytes));
  // The offsets live in the state directory, written with the state they produced.
  consumer_options.commit_offsets = false;
  consumer_options.on_assign = [this](std::vector<kafka::TopicPartitionOffset>& partitions) {
    const auto stored = store_.NextOffsets();
    for (auto& tp : partitions) {
      const auto it = stored.find(tp.partition);
      tp.offset =
          (tp.topic == store_.topic() && it != stored.end()) ? it->second : kafka::kOffsetBeginning;
      spdlog::info("query: reading {}[{}] from {}", tp.topic, tp.partition,
                   tp.offset == kafka::kOffsetBeginning ? std::string("the beginning")
                                                        : absl::StrCat("offset ", tp.offset));
    }
    assigned_ = !partitions.empty();
    assigned_at_ = last_record_ = std::chrono::steady_clock::now();
  };
  // Whatever was read from a partition is committed before the partition goes away, so the
  // offsets a later assignment starts from are the ones of the records applied.
  consumer_options.on_revoke = [this](const std::vector<kafka::TopicPartition>&) {
    if (!failed_) Flush();
    assigned_ = false;
  };
  auto consumer = kafka::Consumer::Create(consumer_options);
  if (!consumer.ok()) return consumer.status();
  if (auto status = (*consumer)->Subscribe({options_.topic}); !status.ok()) return status;
  consumer_ = std::move(*consumer);
  stop_.store(false);
  started_ = last_progress_ = std::chrono::steady_clock::now();
  records_at_last_progress_ = store_.Counter("records");
  batch_.emplace(store_.NewBatch());
  thread_ = std::thread([this] { Run(); });
  const auto offsets = store_.NextOffsets();
  if (offsets.empty()) {
    spdlog::info("query: applying {} from the beginning ({} records in the topic) in group {}",
                 options_.topic, options_.records_in_topic, options_.group_id);
  } else {
    spdlog::info("query: resuming {} from the offsets stored in {} ({} partitions) in group {}",
                 options_.topic, store_.dir(), offsets.size(), options_.group_id);
  }
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
  failed_ = true;
  std::lock_guard lock(mu_);
  status_ = std::move(status);
}

bool EventApplier::Flush() {
  if (failed_) return false;
  if (batch_->empty()) return true;
  if (auto status = store_.Commit(std::move(*batch_)); !status.ok()) {
    Fail(status);
    return false;
  }
  batch_.emplace(store_.NewBatch());
  batch_records_ = 0;
  stats_.records.fetch_add(pending_.records);
  stats_.applied.fetch_add(pending_.applied);
  stats_.duplicates.fetch_add(pending_.duplicates);
  stats_.invalid.fetch_add(pending_.invalid);
  for (int i = 0; i < kRecordOutcomes; ++i) {
    stats_.invalid_by_outcome[static_cast<std::size_t>(i)].fetch_add(
        pending_.invalid_by_outcome[static_cast<std::size_t>(i)]);
  }
  stats_.batches.fetch_add(1);
  pending_ = {};
  // Durable and queryable now: the live feed may see it.
  if (options_.on_applied && !batch_new_.empty()) options_.on_applied(std::move(batch_new_));
  batch_new_.clear();
  return true;
}

void EventApplier::LogProgress(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_progress_ < options_.progress_every) return;
  const int64_t records = store_.Counter("records");
  const double seconds = std::chrono::duration<double>(now - last_progress_).count();
  const double rate =
      seconds > 0 ? static_cast<double>(records - records_at_last_progress_) / seconds : 0.0;
  const int64_t total = options_.records_in_topic;
  if (total > 0) {
    spdlog::info(
        "query: catching up on {}: {} of {} records ({:.1f}%), {:.0f} records/s, {} events",
        options_.topic, records, total,
        std::min(100.0, 100.0 * static_cast<double>(records) / static_cast<double>(total)), rate,
        store_.Counter(relations::kCounterApplied));
  } else {
    spdlog::info("query: catching up on {}: {} records, {:.0f} records/s, {} events",
                 options_.topic, records, rate, store_.Counter(relations::kCounterApplied));
  }
  last_progress_ = now;
  records_at_last_progress_ = records;
}

void EventApplier::Run() {
  using Clock = std::chrono::steady_clock;
  while (!stop_.load()) {
    // An empty batch waits the idle timeout; a started one only until it is old enough.
    auto timeout = options_.poll_timeout;
    if (batch_records_ > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          batch_started_ + options_.max_batch_age - Clock::now());
      timeout = std::max(std::chrono::milliseconds(0), std::min(timeout, left));
    }
    const auto poll_began = Clock::now();
    auto polled = consumer_->Poll(timeout);
    if (failed_) return;  // a commit inside on_revoke failed
    if (!polled.ok()) {
      Fail(polled.status());
      return;
    }
    if (polled->has_value()) {
      const kafka::Message& message = **polled;
      last_record_ = Clock::now();
      if (batch_records_ == 0) batch_started_ = Clock::now();
      ++batch_records_;
      batch_->Count("records");
      batch_->SetNextOffset(message.partition, message.offset + 1);
      ++pending_.records;
      std::string why;
      dyad::v1::Event event;
      const RecordOutcome outcome = ApplyRecord(*batch_, message.value, &why, &event);
      switch (outcome) {
        case RecordOutcome::kApplied:
          ++pending_.applied;
          if (options_.on_applied) batch_new_.push_back(std::move(event));
          break;
        case RecordOutcome::kDuplicate:
          ++pending_.duplicates;
          break;
        default: {
          ++pending_.invalid;
          ++pending_.invalid_by_outcome[static_cast<std::size_t>(outcome)];
          bool& logged = logged_[static_cast<int>(outcome)];
          if (!logged) {
            logged = true;
            spdlog::warn(
                "query: skipping {} record at {}[{}]@{} (key {} bytes, value {} bytes): {} "
                "(further {} records are counted, not logged)",
                OutcomeName(outcome), message.topic, message.partition, message.offset,
                message.key.size(), message.value.size(), why, OutcomeName(outcome));
          }
          break;
        }
      }
    }
    const bool idle = !polled->has_value();
    if (batch_records_ > 0 && (idle || batch_records_ >= options_.max_batch_records ||
                               Clock::now() - batch_started_ >= options_.max_batch_age)) {
      if (!Flush()) return;
    }
    if (!stats_.caught_up.load()) {
      // Caught up: a full idle poll that began a while after the partitions were assigned (so
      // the first fetches had time to return records), and either every record the topic held
      // at start is read or nothing arrived for caught_up_quiet (transaction markers take
      // offsets but are no records, so the count alone may never be reached).
      const bool counted_all =
          options_.records_in_topic >= 0 && store_.Counter("records") >= options_.records_in_topic;
      if (idle && assigned_ && batch_records_ == 0 && timeout == options_.poll_timeout &&
          poll_began - assigned_at_ >= options_.poll_timeout &&
          (counted_all || poll_began - last_record_ >= options_.caught_up_quiet)) {
        stats_.caught_up.store(true);
        LogProgress(/*force=*/true);
        spdlog::info("query: caught up on {} after {:.1f} s: {} events in {}", options_.topic,
                     std::chrono::duration<double>(Clock::now() - started_).count(),
                     store_.Counter(relations::kCounterApplied), store_.dir());
      } else {
        LogProgress(/*force=*/false);
      }
    }
  }
  Flush();
}

}  // namespace dyad::query
