#include "dyad/extractor/extractor.h"

#include <google/protobuf/unknown_field_set.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/consumer.h"
#include "dyad/kafka/producer.h"
#include "dyad/text/sentences.h"
#include "dyad/v1/article.pb.h"

namespace dyad::extractor {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kPollTimeout{200};
constexpr milliseconds kFlushTimeout{60000};
// Each transactional call (send offsets, commit, abort) waits this long per attempt.
constexpr milliseconds kTxnCallTimeout{30000};
// UNAVAILABLE from a transactional call is retried this many times (backoff from
// kRetryBackoff, doubling), then the transaction is aborted and the batch redone.
constexpr int kTxnRetries = 5;
constexpr milliseconds kRetryBackoff{200};
// InitTransactions at start: brokers may still be electing leaders.
constexpr int kInitRetries = 10;
// A transactional session that broke (the producer hit a fatal error other than a fence, e.g.
// INVALID_TXN_STATE after brokers came back, or an abort that could not complete) is restarted
// in-process: a new producer with the same transactional id aborts what the old one left open,
// and a new consumer rejoins the group and resumes from the committed offsets. At most this many
// restarts within kSessionRestartWindow; then Run() returns the error (the process exits 1).
constexpr int kMaxSessionRestarts = 10;
constexpr auto kSessionRestartWindow = std::chrono::minutes(10);
// A batch stops taking articles into the transaction once coding it took this long; the rest is
// rewound and coded in the next batch. Keeps a batch far below max.poll.interval.ms (300 s), so
// slow articles cannot get the member thrown out of the group over and over.
constexpr auto kBatchCodingBudget = std::chrono::seconds(60);
// Largest record (key + value + headers) produced: under the producer's message.max.bytes
// (1048588, Kafka's default max.message.bytes), with room for the record overhead.
constexpr std::size_t kMaxOutputRecordBytes = 1000000;
constexpr auto kSummaryInterval = std::chrono::seconds(60);

constexpr std::array<std::string_view, kPoisonKinds> kPoisonKindCodes = {
    "too-large", "empty-value", "not-protobuf", "wrong-type", "no-id",
    "no-body",   "empty-key",   "coder-error",  "time-limit", "output-too-large",
};

// A record to produce in the batch's transaction (or flush).
struct Output {
  std::string topic;
  std::string key;
  std::string value;
  kafka::Headers headers;
};

// A gathered batch after coding: the records to produce for its first `done` messages.
struct Coded {
  std::vector<Output> outputs;
  std::size_t done = 0;
  int64_t events = 0;
  int64_t sentences = 0;
  std::array<int64_t, kPoisonKinds> dead{};
};

std::string StatusText(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

std::string Where(const kafka::Message& message) {
  return absl::StrCat(message.topic, "[", message.partition, "]@", message.offset);
}

std::size_t HeadersBytes(const kafka::Headers& headers) {
  std::size_t n = 0;
  for (const auto& [name, value] : headers) n += name.size() + value.size();
  return n;
}

// The dead letter for `message`: original key and value (cut to fit the record limit, with the
// original sizes in headers), headers naming the error and the origin.
Output DeadLetter(const kafka::Message& message, PoisonKind kind, const absl::Status& error,
                  const std::string& dlq_topic) {
  Output out{dlq_topic, message.key, message.value,
             kafka::Headers{
                 {kErrorHeader, StatusText(error)},
                 {kErrorKindHeader, std::string(PoisonKindCode(kind))},
                 {kOriginTopicHeader, message.topic},
                 {kOriginPartitionHeader, std::to_string(message.partition)},
                 {kOriginOffsetHeader, std::to_string(message.offset)},
             }};
  // Header values are small, but an error message could quote a lot: bound it.
  if (out.headers[0].second.size() > 4096) out.headers[0].second.resize(4096);
  constexpr std::size_t kMaxKey = 4096;
  if (out.key.size() > kMaxKey) {
    out.headers.emplace_back("dyad-original-key-bytes", std::to_string(out.key.size()));
    out.key.resize(kMaxKey);
  }
  const std::size_t fixed = out.key.size() + HeadersBytes(out.headers) + 64;
  if (fixed + out.value.size() > kMaxOutputRecordBytes) {
    out.headers.emplace_back(kDeadLetterTruncatedHeader, std::to_string(out.value.size()));
    out.value.resize(kMaxOutputRecordBytes - fixed - 64);
  }
  return out;
}

// The next offset to read per partition of messages[begin, end) (last offset + 1), or the first
// offset per partition (`first`).
std::vector<kafka::TopicPartitionOffset> Offsets(const std::vector<kafka::Message>& messages,
                                                 std::size_t begin, std::size_t end, bool first) {
  std::map<std::pair<std::string, int32_t>, int64_t> by_partition;
  for (std::size_t i = begin; i < end; ++i) {
    const kafka::Message& m = messages[i];
    auto [it, inserted] = by_partition.try_emplace({m.topic, m.partition}, m.offset);
    if (!inserted)
      it->second = first ? std::min(it->second, m.offset) : std::max(it->second, m.offset);
  }
  std::vector<kafka::TopicPartitionOffset> out;
  out.reserve(by_partition.size());
  for (const auto& [tp, offset] : by_partition) {
    out.push_back({tp.first, tp.second, first ? offset : offset + 1});
  }
  return out;
}

// Makes the next Poll return messages[begin, end) again: seeks each of their partitions to its
// first offset among them. A partition no longer assigned is skipped (its new owner starts from
// the committed offset). Any other failure is returned: going on would skip records.
absl::Status Rewind(kafka::Consumer& consumer, const std::vector<kafka::Message>& messages,
                    std::size_t begin, std::size_t end) {
  for (const auto& tpo : Offsets(messages, begin, end, /*first=*/true)) {
    auto status = consumer.Seek(tpo.topic, tpo.partition, tpo.offset);
    if (absl::IsFailedPrecondition(status)) continue;
    if (!status.ok()) {
      return absl::InternalError(absl::StrCat("extractor: cannot rewind ", tpo.topic, "[",
                                              tpo.partition, "] to ", tpo.offset, " (",
                                              status.message(),
                                              "); exiting so a restart resumes "
                                              "from the committed offsets"));
    }
  }
  return absl::OkStatus();
}

// Fills `batch` with up to `max_batch` records: blocks for the first, then takes what is already
// there. A rebalance served by a Poll drops what was gathered before it: those records may be
// from partitions now owned by another member, and the re-assigned partitions restart from their
// committed offsets (the eager protocol replaces the whole assignment), so they come again.
absl::Status Gather(kafka::Consumer& consumer, const std::atomic<bool>& stop, int max_batch,
                    std::vector<kafka::Message>& batch, ExtractorStats& stats) {
  batch.clear();
  int64_t epoch = consumer.rebalance_count();
  while (static_cast<int>(batch.size()) < max_batch && !stop.load()) {
    auto polled = consumer.Poll(batch.empty() ? kPollTimeout : milliseconds(0));
    if (!polled.ok()) return polled.status();
    if (const int64_t now = consumer.rebalance_count(); now != epoch) {
      if (!batch.empty()) {
        spdlog::debug("extractor: rebalance while gathering: dropping {} records", batch.size());
        stats.dropped_records.fetch_add(static_cast<int64_t>(batch.size()));
        batch.clear();
      }
      epoch = now;
    }
    if (!polled->has_value()) break;
    batch.push_back(std::move(**polled));
  }
  return absl::OkStatus();
}

// Queues every output; waits out a full local queue (bounded).
absl::Status ProduceAll(kafka::Producer& producer, const std::vector<Output>& outputs,
                        const kafka::DeliveryCallback& on_delivery) {
  for (const Output& out : outputs) {
    const auto deadline = Clock::now() + kFlushTimeout;
    while (true) {
      auto status = producer.Produce(out.topic, out.key, out.value, on_delivery, out.headers);
      if (!absl::IsResourceExhausted(status)) {
        if (!status.ok()) return status;
        break;
      }
      if (Clock::now() > deadline) {
        return absl::UnavailableError(absl::StrCat("extractor: producer queue full for ",
                                                   kFlushTimeout.count(),
                                                   " ms: ", status.message()));
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
  return absl::OkStatus();
}

// The delivery reports of one transaction's records. Shared with the callbacks, which may run
// after the batch was given up (reports of records purged by an abort).
class Deliveries : public std::enable_shared_from_this<Deliveries> {
 public:
  kafka::DeliveryCallback Callback() {
    return [self = shared_from_this()](const kafka::DeliveryReport& report) {
      if (report.status.ok()) {
        self->delivered_.fetch_add(1);
        return;
      }
      std::lock_guard lock(self->mutex_);
      if (self->failed_++ == 0) self->first_error_ = report.status;
    };
  }

  // OK once each of the `expected` records got a successful report; ABORTED (abort and redo)
  // when one failed or the reports did not come within kFlushTimeout.
  absl::Status AllDelivered(kafka::Producer& producer, std::size_t expected) {
    const auto deadline = Clock::now() + kFlushTimeout;
    while (delivered_.load() + Failed() < static_cast<int64_t>(expected) &&
           Clock::now() < deadline) {
      // 0 outstanding: every report has been served (missing ones never come).
      if (producer.Flush(milliseconds(100)) == 0) break;
    }
    std::lock_guard lock(mutex_);
    if (failed_ > 0) {
      return absl::AbortedError(
          absl::StrCat(failed_, " of ", expected,
                       " records of the transaction failed: ", StatusText(first_error_)));
    }
    if (const int64_t n = delivered_.load(); n != static_cast<int64_t>(expected)) {
      return absl::AbortedError(absl::StrCat("only ", n, " of ", expected,
                                             " records of the transaction were acknowledged "
                                             "within ",
                                             kFlushTimeout.count(), " ms"));
    }
    return absl::OkStatus();
  }

 private:
  int64_t Failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }

  std::atomic<int64_t> delivered_{0};
  std::mutex mutex_;
  int64_t failed_ = 0;
  absl::Status first_error_;
};

// Runs `call` until it is not UNAVAILABLE, at most `attempts` times with doubling backoff; then
// ABORTED (the transaction is aborted and the batch redone).
absl::Status RetryUnavailable(const char* what, int attempts,
                              const std::function<absl::Status()>& call) {
  milliseconds backoff = kRetryBackoff;
  absl::Status status;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    status = call();
    if (!absl::IsUnavailable(status)) return status;
    spdlog::warn("extractor: {} (attempt {} of {}): {}", what, attempt, attempts,
                 std::string(status.message()));
    if (attempt < attempts) {
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, milliseconds(5000));
    }
  }
  return absl::AbortedError(absl::StrCat("extractor: ", what, " still unavailable after ", attempts,
                                         " attempts: ", status.message()));
}

int64_t ElapsedMs(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

bool ContainsNoCase(std::string_view text, std::string_view word) {
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

// A fatal transactional error, explained when it is a fence.
absl::Status ExplainFatal(const absl::Status& status, const std::string& transactional_id) {
  const std::string message(status.message());
  if (ContainsNoCase(message, "fenced") || ContainsNoCase(message, "INVALID_PRODUCER_EPOCH")) {
    return absl::InternalError(absl::StrCat(
        "transactional id '", transactional_id,
        "' was fenced: a newer producer with the same --transactional-id has started (a second "
        "live replica given this id, or a restarted incarnation of this one). Two live replicas "
        "with one transactional id fence each other: give every replica a stable id of its own "
        "(e.g. its StatefulSet pod name). Exiting; the open transaction is aborted by the broker "
        "and its batch redone by the current owner. (",
        status.message(), ")"));
  }
  return status;
}

// The checks and the coding of one record; `check_key` adds the empty-key rule.
ExtractResult Extract(const coder::Coder& coder, std::string_view key, std::string_view value,
                      const ExtractorOptions& options, bool check_key) {
  auto poison = [](PoisonKind kind, absl::Status status) {
    return ExtractResult{std::move(status), kind};
  };
  if (static_cast<int64_t>(value.size()) > options.max_record_bytes) {
    return poison(PoisonKind::kTooLarge,
                  absl::InvalidArgumentError(
                      absl::StrCat("record of ", value.size(), " bytes is over the limit of ",
                                   options.max_record_bytes, " bytes (--max-record-bytes)")));
  }
  if (value.empty()) {
    return poison(PoisonKind::kEmptyValue, absl::InvalidArgumentError("empty record value"));
  }
  dyad::v1::Article article;
  if (!article.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return poison(PoisonKind::kNotProtobuf,
                  absl::InvalidArgumentError("record value is not a dyad.v1.Article protobuf"));
  }
  if (const auto& unknown = article.GetReflection()->GetUnknownFields(article);
      unknown.field_count() > 0) {
    std::string numbers;
    for (int i = 0; i < unknown.field_count() && i < 8; ++i) {
      absl::StrAppend(&numbers, i == 0 ? "" : ", ", unknown.field(i).number());
    }
    return poison(PoisonKind::kWrongType,
                  absl::InvalidArgumentError(absl::StrCat(
                      "record value is protobuf but not a dyad.v1.Article: it has fields Article "
                      "does not define (field numbers ",
                      numbers,
                      "); another message type, or a newer Article schema than this "
                      "extractor knows (upgrade the extractor first)")));
  }
  if (article.id().empty()) {
    return poison(PoisonKind::kNoId, absl::InvalidArgumentError("Article.id is empty"));
  }
  if (article.body().empty()) {
    return poison(PoisonKind::kNoBody, absl::InvalidArgumentError("Article.body is empty"));
  }
  if (check_key && key.empty()) {
    return poison(PoisonKind::kEmptyKey,
                  absl::InvalidArgumentError(
                      "record has no key: articles are keyed by their id (as dyad-ingest "
                      "writes them), so one article's records stay on one partition"));
  }
  try {
    const auto sentences = static_cast<int64_t>(text::SplitSentences(article.body()).size());
    if (options.article_time_limit.count() <= 0) {
      return ExtractResult{coder.CodeArticle(article), PoisonKind::kCoderError, sentences};
    }
    auto events = coder.CodeArticle(article, Clock::now() + options.article_time_limit);
    if (!events.ok()) {
      return poison(PoisonKind::kTimeLimit,
                    absl::DeadlineExceededError(absl::StrCat(events.status().message(), " (limit ",
                                                             options.article_time_limit.count(),
                                                             " ms per article)")));
    }
    return ExtractResult{std::move(*events), PoisonKind::kCoderError, sentences};
  } catch (const std::exception& e) {
    return poison(PoisonKind::kCoderError,
                  absl::InternalError(absl::StrCat("the coder threw: ", e.what())));
  } catch (...) {
    return poison(PoisonKind::kCoderError,
                  absl::InternalError("the coder threw something not a std::exception"));
  }
}

}  // namespace

std::string_view PoisonKindCode(PoisonKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kPoisonKindCodes.size() ? kPoisonKindCodes[i] : "unknown";
}

std::string DyadKey(const dyad::v1::Event& event) {
  return event.source().country() + ">" + event.target().country();
}

ExtractResult ExtractArticle(const coder::Coder& coder, std::string_view key,
                             std::string_view value, const ExtractorOptions& options) {
  return Extract(coder, key, value, options, /*check_key=*/true);
}

absl::StatusOr<std::vector<dyad::v1::Event>> ExtractRecord(const coder::Coder& coder,
                                                           std::string_view record_value) {
  return Extract(coder, {}, record_value, ExtractorOptions{}, /*check_key=*/false).events;
}

Extractor::Extractor(ExtractorOptions options, const coder::Coder& coder)
    : options_(std::move(options)), coder_(coder), last_summary_(Clock::now()) {
  if (options_.metrics == nullptr) return;
  using metrics::MetricType;
  using metrics::Sample;
  auto& registry = *options_.metrics;
  registry.AddCallback(
      "dyad_extractor_articles_total",
      "Article records done since start, by outcome: coded, or dead_lettered (sent to the DLQ).",
      MetricType::kCounter, {"outcome"}, [this] {
        const auto dead = static_cast<double>(stats_.dead_lettered.load());
        return std::vector<Sample>{{{"coded"}, static_cast<double>(stats_.articles.load()) - dead},
                                   {{"dead_lettered"}, dead}};
      });
  registry.AddCallback("dyad_extractor_dead_lettered_total",
                       "Article records dead-lettered since start, by kind.", MetricType::kCounter,
                       {"kind"}, [this] {
                         std::vector<Sample> samples;
                         for (int i = 0; i < kPoisonKinds; ++i) {
                           const auto kind = static_cast<PoisonKind>(i);
                           samples.push_back({{std::string(PoisonKindCode(kind))},
                                              static_cast<double>(stats_.dead_lettered_of(kind))});
                         }
                         return samples;
                       });
  registry.AddValueCallback("dyad_extractor_sentences_total",
                            "Sentences of the coded articles since start.", MetricType::kCounter,
                            [this] { return static_cast<double>(stats_.sentences.load()); });
  registry.AddValueCallback(
      "dyad_extractor_events_total", "Events produced to the events topic since start.",
      MetricType::kCounter, [this] { return static_cast<double>(stats_.events.load()); });
  code_seconds_ = &registry
                       .AddHistogram("dyad_extractor_code_seconds",
                                     "Coder time per article record in seconds (checks, parsing "
                                     "and coding; poison included).",
                                     metrics::ExponentialBuckets(0.0005, 2, 16))
                       .Get();
  registry.AddCallback(
      "dyad_extractor_transactions_total",
      "Kafka transactions since start (exactly-once mode), by outcome: committed or aborted.",
      MetricType::kCounter, {"outcome"}, [this] {
        return std::vector<Sample>{{{"committed"}, static_cast<double>(stats_.transactions.load())},
                                   {{"aborted"}, static_cast<double>(stats_.aborted.load())}};
      });
}

Extractor::~Extractor() = default;

void Extractor::LogPoison(PoisonKind kind, const std::string& where, const absl::Status& error) {
  bool& logged = logged_[static_cast<std::size_t>(kind)];
  if (!logged) {
    logged = true;
    spdlog::warn("extractor: dead-lettering {} to {} ({}): {}; further {} records are only counted",
                 where, options_.dlq_topic, PoisonKindCode(kind), StatusText(error),
                 PoisonKindCode(kind));
  } else {
    spdlog::debug("extractor: dead-lettering {} ({}): {}", where, PoisonKindCode(kind),
                  StatusText(error));
  }
}

void Extractor::LogSummaryIfDue(bool force) {
  const int64_t dead = stats_.dead_lettered.load();
  if (!force &&
      (dead == dead_lettered_at_summary_ || Clock::now() - last_summary_ < kSummaryInterval)) {
    return;
  }
  std::string kinds;
  for (int i = 0; i < kPoisonKinds; ++i) {
    if (const int64_t n = stats_.dead_lettered_by_kind[static_cast<std::size_t>(i)].load(); n > 0) {
      absl::StrAppend(&kinds, kinds.empty() ? "" : ", ",
                      std::string(PoisonKindCode(static_cast<PoisonKind>(i))), "=", n);
    }
  }
  spdlog::info(
      "extractor: {} articles, {} events, {} dead-lettered{}{}{}, {} transactions, {} aborted, "
      "{} records dropped at rebalances, {} session restarts",
      stats_.articles.load(), stats_.events.load(), dead, kinds.empty() ? "" : " (", kinds,
      kinds.empty() ? "" : ")", stats_.transactions.load(), stats_.aborted.load(),
      stats_.dropped_records.load(), std::max<int64_t>(0, stats_.sessions.load() - 1));
  last_summary_ = Clock::now();
  dead_lettered_at_summary_ = dead;
}

namespace {

// Codes a prefix of `batch` (all of it unless coding takes longer than kBatchCodingBudget) into
// the records to produce. Poison is logged through `log_poison`.
Coded CodeBatch(
    const std::vector<kafka::Message>& batch, const ExtractorOptions& options,
    const coder::Coder& coder, metrics::Histogram* code_seconds,
    const std::function<void(PoisonKind, const std::string&, const absl::Status&)>& log_poison) {
  Coded coded;
  const auto started = Clock::now();
  for (const kafka::Message& message : batch) {
    if (coded.done > 0 && Clock::now() - started > kBatchCodingBudget) break;
    ++coded.done;
    const auto coding_started = Clock::now();
    ExtractResult result = ExtractArticle(coder, message.key, message.value, options);
    if (code_seconds != nullptr) {
      code_seconds->Observe(std::chrono::duration<double>(Clock::now() - coding_started).count());
    }
    if (result.events.ok()) {
      std::vector<Output> events;
      events.reserve(result.events->size());
      for (const dyad::v1::Event& event : *result.events) {
        Output out{options.events_topic, DyadKey(event), event.SerializeAsString(), {}};
        if (out.key.size() + out.value.size() > kMaxOutputRecordBytes) {
          result = ExtractResult{
              absl::InvalidArgumentError(absl::StrCat(
                  "event ", event.id(), " would be a record of ", out.key.size() + out.value.size(),
                  " bytes, over the producer's limit of ", kMaxOutputRecordBytes)),
              PoisonKind::kOutputTooLarge};
          break;
        }
        events.push_back(std::move(out));
      }
      if (result.events.ok()) {
        coded.events += static_cast<int64_t>(events.size());
        coded.sentences += result.sentences;
        std::move(events.begin(), events.end(), std::back_inserter(coded.outputs));
        continue;
      }
    }
    log_poison(result.kind, Where(message), result.events.status());
    coded.outputs.push_back(
        DeadLetter(message, result.kind, result.events.status(), options.dlq_topic));
    ++coded.dead[static_cast<std::size_t>(result.kind)];
  }
  return coded;
}

}  // namespace

absl::Status Extractor::Run(const std::atomic<bool>& stop, const std::function<void()>& on_ready) {
  if (options_.articles_topic.empty() || options_.events_topic.empty() ||
      options_.dlq_topic.empty()) {
    return absl::InvalidArgumentError("extractor: the articles, events and DLQ topics must be set");
  }
  if (options_.max_batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("extractor: max_batch must be >= 1, got ", options_.max_batch));
  }
  for (const std::string* topic :
       {&options_.articles_topic, &options_.events_topic, &options_.dlq_topic}) {
    auto status = kafka::EnsureTopic(options_.client,
                                     {*topic, options_.partitions, options_.replication_factor});
    if (!status.ok()) return status;
  }
  auto status = options_.transactional_id.empty() ? RunAtLeastOnce(stop, on_ready)
                                                  : RunSessions(stop, on_ready);
  LogSummaryIfDue(/*force=*/true);
  return status;
}

absl::Status Extractor::RunSessions(const std::atomic<bool>& stop,
                                    const std::function<void()>& on_ready) {
  std::vector<Clock::time_point> restarts;
  bool ready_said = false;
  bool ever_started = false;
  const std::function<void()> ready_once = [&] {
    if (!ready_said && on_ready) on_ready();
    ready_said = true;
  };
  while (true) {
    bool started = false;
    stats_.sessions.fetch_add(1);
    absl::Status status = RunExactlyOnce(stop, ready_once, started);
    ever_started = ever_started || started;
    // Errors before the first session was up (bad configuration, brokers unreachable at start)
    // and fences end the run; so does a stop.
    if (status.ok() || stop.load() || !ever_started ||
        ContainsNoCase(std::string(status.message()), "was fenced")) {
      return status;
    }
    const auto now = Clock::now();
    std::erase_if(restarts, [&](Clock::time_point t) { return now - t > kSessionRestartWindow; });
    if (static_cast<int>(restarts.size()) >= kMaxSessionRestarts) {
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), " (", kMaxSessionRestarts,
                                       " in-process restarts within 10 minutes: giving up)"));
    }
    restarts.push_back(now);
    spdlog::warn(
        "extractor: restarting the transactional session in-process ({} of at most {} per 10 "
        "min): {}",
        restarts.size(), kMaxSessionRestarts, std::string(status.message()));
    std::this_thread::sleep_for(std::min(
        milliseconds(10000), kRetryBackoff * (1 << std::min<std::size_t>(restarts.size(), 6))));
  }
}

absl::Status Extractor::RunExactlyOnce(const std::atomic<bool>& stop,
                                       const std::function<void()>& on_ready, bool& started) {
  const std::string& txn_id = options_.transactional_id;
  kafka::ProducerOptions producer_options;
  producer_options.client = options_.client;
  producer_options.client.client_id = options_.client.client_id + "-extractor";
  producer_options.transactional_id = txn_id;
  // librdkafka wants message.timeout.ms <= transaction.timeout.ms.
  producer_options.delivery_timeout_ms =
      std::min(producer_options.delivery_timeout_ms, options_.transaction_timeout_ms);
  producer_options.client.properties.try_emplace("transaction.timeout.ms",
                                                 std::to_string(options_.transaction_timeout_ms));
  // A new producer with this transactional id: InitTransactions fences an older incarnation,
  // waits until the coordinator has finished the id's last transaction (aborting it if open) and
  // gives the producer a new epoch.
  std::unique_ptr<kafka::Producer> producer_ptr;
  const auto start_producer = [&]() -> absl::Status {
    producer_ptr.reset();
    auto created = kafka::Producer::Create(producer_options);
    if (!created.ok()) return created.status();
    producer_ptr = std::move(*created);
    if (auto s = RetryUnavailable("init transactions", kInitRetries,
                                  [&] { return producer_ptr->InitTransactions(kTxnCallTimeout); });
        !s.ok()) {
      return ExplainFatal(s, txn_id);
    }
    return absl::OkStatus();
  };
  if (auto s = start_producer(); !s.ok()) return s;

  kafka::ConsumerOptions consumer_options{.client = options_.client,
                                          .group_id = options_.group_id,
                                          .isolation_level = "read_committed",
                                          .commit_offsets = false};
  auto consumer_or = kafka::Consumer::Create(consumer_options);
  if (!consumer_or.ok()) return consumer_or.status();
  kafka::Consumer& consumer = **consumer_or;
  if (auto s = consumer.Subscribe({options_.articles_topic}); !s.ok()) return s;
  started = true;
  if (on_ready) on_ready();
  spdlog::info("extractor: consuming {} in group {}, exactly-once as transactional id '{}'",
               options_.articles_topic, options_.group_id, txn_id);

  auto log_poison = [this](PoisonKind kind, const std::string& where, const absl::Status& error) {
    LogPoison(kind, where, error);
  };
  std::vector<kafka::Message> batch;
  int consecutive_aborts = 0;
  while (!stop.load()) {
    LogSummaryIfDue(false);
    const auto gather_start = Clock::now();
    if (auto s = Gather(consumer, stop, options_.max_batch, batch, stats_); !s.ok()) return s;
    if (batch.empty()) continue;
    const auto code_start = Clock::now();
    const Coded coded = CodeBatch(batch, options_, coder_, code_seconds_, log_poison);
    const auto next_offsets = Offsets(batch, 0, coded.done, /*first=*/false);
    const auto txn_start = Clock::now();

    // One transaction: the batch's events and dead letters, and the articles' next offsets.
    auto deliveries = std::make_shared<Deliveries>();
    absl::Status status = producer_ptr->BeginTransaction();
    if (status.ok()) {
      status = ProduceAll(*producer_ptr, coded.outputs, deliveries->Callback());
      // A produce error inside a transaction (e.g. its state forbids producing after an abortable
      // error) is handled by aborting; a fatal one shows again in AbortTransaction. Fenced and
      // oversized records (a bug: outputs are sized before) end the run.
      if (!status.ok() && !absl::IsInvalidArgument(status) &&
          !ContainsNoCase(std::string(status.message()), "fenced")) {
        status = absl::AbortedError(status.message());
      }
    }
    if (status.ok()) {
      status = RetryUnavailable("send offsets to transaction", kTxnRetries, [&] {
        return producer_ptr->SendOffsetsToTransaction(consumer, next_offsets, kTxnCallTimeout);
      });
    }
    if (status.ok()) {
      // librdkafka's commit also fails when a record failed; this makes it explicit and logged.
      status = deliveries->AllDelivered(*producer_ptr, coded.outputs.size());
    }
    if (status.ok()) {
      status = RetryUnavailable("commit transaction", kTxnRetries,
                                [&] { return producer_ptr->CommitTransaction(kTxnCallTimeout); });
    }
    if (status.ok()) {
      spdlog::debug(
          "extractor: batch of {} records: gathered in {} ms, coded in {} ms, committed "
          "in {} ms",
          coded.done, ElapsedMs(gather_start, code_start), ElapsedMs(code_start, txn_start),
          ElapsedMs(txn_start, Clock::now()));
      stats_.transactions.fetch_add(1);
      stats_.articles.fetch_add(static_cast<int64_t>(coded.done));
      stats_.events.fetch_add(coded.events);
      stats_.sentences.fetch_add(coded.sentences);
      for (std::size_t k = 0; k < coded.dead.size(); ++k) {
        stats_.dead_lettered_by_kind[k].fetch_add(coded.dead[k]);
        stats_.dead_lettered.fetch_add(coded.dead[k]);
      }
      consecutive_aborts = 0;
      // Articles past the coding budget: read again in the next batch.
      if (coded.done < batch.size()) {
        if (auto s = Rewind(consumer, batch, coded.done, batch.size()); !s.ok()) return s;
      }
      continue;
    }
    if (!absl::IsAborted(status)) return ExplainFatal(status, txn_id);

    // Abort, rewind the batch's partitions to where it began, redo.
    stats_.aborted.fetch_add(1);
    spdlog::warn("extractor: aborting the transaction of {} records and redoing them: {}",
                 batch.size(), std::string(status.message()));
    if (auto s = RetryUnavailable("abort transaction", kTxnRetries,
                                  [&] { return producer_ptr->AbortTransaction(kTxnCallTimeout); });
        !s.ok()) {
      return ExplainFatal(
          absl::Status(
              s.code() == absl::StatusCode::kAborted ? absl::StatusCode::kUnavailable : s.code(),
              absl::StrCat("extractor: cannot abort the transaction (", s.message(),
                           "); a new session with the same transactional id aborts it and "
                           "resumes from the committed offsets")),
          txn_id);
    }
    if (auto s = Rewind(consumer, batch, 0, batch.size()); !s.ok()) return s;
    // The next transaction runs under a new producer epoch. With one epoch for every
    // transaction (Kafka's transactions v1, all librdkafka speaks), a marker of the aborted
    // transaction that reaches a partition late (its write failed, e.g. NOT_ENOUGH_REPLICAS, and
    // was retried after the coordinator had let the next transaction start) ends the next
    // transaction's records there as aborted, while that transaction commits its offsets: the
    // fault tests lost an event so (the marker after the record, in the broker's log). A stale
    // marker of the old epoch is refused by the partition leader.
    if (auto s = start_producer(); !s.ok()) return s;
    ++consecutive_aborts;
    std::this_thread::sleep_for(
        std::min(milliseconds(5000), kRetryBackoff * (1 << std::min(consecutive_aborts, 5))));
  }
  spdlog::info("extractor: stopping after {} articles, {} events, {} dead-lettered",
               stats_.articles.load(), stats_.events.load(), stats_.dead_lettered.load());
  // commit_offsets=false: closing commits nothing, it only leaves the group.
  return consumer.Close();
}

absl::Status Extractor::RunAtLeastOnce(const std::atomic<bool>& stop,
                                       const std::function<void()>& on_ready) {
  kafka::ProducerOptions producer_options;
  producer_options.client = options_.client;
  producer_options.client.client_id = options_.client.client_id + "-extractor";
  auto producer_or = kafka::Producer::Create(producer_options);
  if (!producer_or.ok()) return producer_or.status();
  kafka::Producer& producer = **producer_or;

  kafka::ConsumerOptions consumer_options{.client = options_.client, .group_id = options_.group_id};
  auto consumer_or = kafka::Consumer::Create(consumer_options);
  if (!consumer_or.ok()) return consumer_or.status();
  kafka::Consumer& consumer = **consumer_or;
  if (auto s = consumer.Subscribe({options_.articles_topic}); !s.ok()) return s;
  if (on_ready) on_ready();
  spdlog::info("extractor: consuming {} in group {}, at-least-once", options_.articles_topic,
               options_.group_id);

  auto log_poison = [this](PoisonKind kind, const std::string& where, const absl::Status& error) {
    LogPoison(kind, where, error);
  };
  struct Failures {
    std::mutex mutex;
    int failed = 0;
    absl::Status first_error;
  };
  std::vector<kafka::Message> batch;
  while (!stop.load()) {
    LogSummaryIfDue(false);
    if (auto s = Gather(consumer, stop, options_.max_batch, batch, stats_); !s.ok()) return s;
    if (batch.empty()) continue;
    const Coded coded = CodeBatch(batch, options_, coder_, code_seconds_, log_poison);

    Failures failures;
    auto on_delivery = [&failures](const kafka::DeliveryReport& report) {
      if (report.status.ok()) return;
      std::lock_guard lock(failures.mutex);
      if (failures.failed++ == 0) failures.first_error = report.status;
    };
    if (auto s = ProduceAll(producer, coded.outputs, on_delivery); !s.ok()) {
      // Wait for what is in flight (the callbacks reference `failures`), then stop without
      // storing offsets, so a restart re-codes this batch.
      producer.Flush(kFlushTimeout);
      return s;
    }
    if (const int left = producer.Flush(kFlushTimeout); left > 0) {
      return absl::UnavailableError(absl::StrCat(
          left,
          " records not delivered in time; offsets not stored, the batch will be re-coded "
          "on restart"));
    }
    if (failures.failed > 0) {
      return absl::UnavailableError(
          absl::StrCat(failures.failed, " records failed: ", failures.first_error.ToString(),
                       "; offsets not stored, the batch will be re-coded on restart"));
    }
    for (std::size_t i = 0; i < coded.done; ++i) {
      if (auto s = consumer.StoreOffset(batch[i]); !s.ok()) return s;
    }
    stats_.articles.fetch_add(static_cast<int64_t>(coded.done));
    stats_.events.fetch_add(coded.events);
    stats_.sentences.fetch_add(coded.sentences);
    for (std::size_t k = 0; k < coded.dead.size(); ++k) {
      stats_.dead_lettered_by_kind[k].fetch_add(coded.dead[k]);
      stats_.dead_lettered.fetch_add(coded.dead[k]);
    }
    if (coded.done < batch.size()) {
      if (auto s = Rewind(consumer, batch, coded.done, batch.size()); !s.ok()) return s;
    }
  }
  spdlog::info("extractor: stopping after {} articles, {} events, {} dead-lettered",
               stats_.articles.load(), stats_.events.load(), stats_.dead_lettered.load());
  return consumer.Close();
}

}  // namespace dyad::extractor
