// dyad ingest: publish files and folders through a dyad-ingest server (gRPC) or straight to Kafka.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "commands.h"
#include "dyad/core/dates.h"
#include "dyad/ingest/service.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/config.h"
#include "dyad/kafka/topics.h"
#include "grpc_status.h"
#include "ingest_client.h"

namespace dyad::cli {
namespace {

using Clock = std::chrono::steady_clock;

bool Retryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kAborted;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Retry rounds shared by the concurrent publishers of one `dyad ingest` run.
class RetryRounds {
 public:
  RetryRounds(const RetryOptions& options, std::ostream& log) : options_(options), log_(log) {}

  uint64_t round() {
    std::lock_guard lock(mu_);
    return round_;
  }

  // An attempt started in `attempt_round` failed with `status`: when to try again. The first
  // failure of a round that is due (its time came) opens the next round and prints its line;
  // other failures (attempts of an older round, first attempts of new records while the current
  // round waits) join the current round.
  Clock::time_point Failed(uint64_t attempt_round, const absl::Status& status) {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (attempt_round == round_ && now >= next_) {
      if (outage_rounds_ == 0) {
        outage_start_ = now;
        backoff_ = options_.initial_backoff;
      } else {
        backoff_ = std::min(backoff_ * 2, options_.max_backoff);
      }
      ++outage_rounds_;
      ++round_;
      next_ = now + backoff_;
      log_ << "dyad ingest: retry round " << outage_rounds_ << " in " << std::fixed
           << std::setprecision(1) << Seconds(backoff_) << " s: " << status.message() << " ("
           << Seconds(now - outage_start_) << " s into the outage; an article fails after "
           << "retrying for " << Seconds(options_.retry_for) << " s)" << std::endl;
    }
    return next_;
  }

  void Succeeded() {
    std::lock_guard lock(mu_);
    if (outage_rounds_ == 0) return;
    log_ << "dyad ingest: publishing works again after " << outage_rounds_ << " retry rounds ("
         << std::fixed << std::setprecision(1) << Seconds(Clock::now() - outage_start_) << " s)"
         << std::endl;
    outage_rounds_ = 0;
  }

 private:
  const RetryOptions options_;
  std::ostream& log_;
  std::mutex mu_;
  uint64_t round_ = 0;     // rounds opened in this run
  int outage_rounds_ = 0;  // rounds since the last success
  std::chrono::milliseconds backoff_{0};
  Clock::time_point next_;
  Clock::time_point outage_start_;
};

}  // namespace

ingest::RecordPublisher WithRetry(ingest::RecordPublisher publish, const RetryOptions& options,
                                  std::ostream& log) {
  auto rounds = std::make_shared<RetryRounds>(options, log);
  return [publish = std::move(publish), options, rounds](
             const ingest::SourceRecord& record,
             const dyad::v1::Article& article) -> absl::StatusOr<ingest::PublishResult> {
    std::optional<Clock::time_point> give_up;
    for (int attempt = 1;; ++attempt) {
      const uint64_t round = rounds->round();
      auto result = publish(record, article);
      if (result.ok()) {
        rounds->Succeeded();
        return result;
      }
      if (!Retryable(result.status().code())) return result;
      const auto now = Clock::now();
      if (!give_up) give_up = now + options.retry_for;
      if (now >= *give_up) {
        if (attempt == 1) return result;
        return absl::Status(result.status().code(),
                            std::string(result.status().message()) + " (gave up after " +
                                std::to_string(attempt) + " attempts in " +
                                std::to_string(options.retry_for.count()) + " ms, --retry-for)");
      }
      std::this_thread::sleep_until(std::min(rounds->Failed(round, result.status()), *give_up));
    }
  };
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  if (unit == "ms") scale = 1;
  if (unit == "m") scale = 60 * 1000;
  if (unit == "h") scale = 3600 * 1000;
  if (digits == 0 || digits > 9 || scale == 0) {
    return absl::InvalidArgumentError("'" + text +
                                      "' is not a duration (e.g. 120s, 2m, 500ms, 90 = seconds)");
  }
  return std::chrono::milliseconds(std::stoll(text.substr(0, digits)) * scale);
}

ingest::RecordPublisher GrpcRecordPublisher(const std::string& address) {
  grpc::ChannelArguments args;
  // Reconnect to a restarted dyad-ingest within seconds, not gRPC's default of up to 2 minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  auto stub = std::shared_ptr<dyad::v1::IngestService::Stub>(dyad::v1::IngestService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
  return [stub](const ingest::SourceRecord& record,
                const dyad::v1::Article& /*built*/) -> absl::StatusOr<ingest::PublishResult> {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    dyad::v1::PublishResponse response;
    auto status =
        FromGrpc(stub->Publish(&context, ingest::RequestFromInput(record.input), &response));
    if (!status.ok()) return status;
    return ingest::PublishResult{response.article_id(), response.duplicate()};
  };
}

absl::StatusOr<absl::Time> ParsePublishedAt(const std::string& text) {
  const auto seconds = core::ParseTimestamp(text);
  if (!seconds) {
    return absl::InvalidArgumentError("--published-at '" + text +
                                      "' is not a date (YYYY-MM-DD) or RFC 3339 time");
  }
  return absl::FromUnixSeconds(*seconds);
}

int ReportIngest(const ingest::IngestSummary& summary, std::ostream& out) {
  for (const auto& error : summary.errors) std::cerr << "dyad ingest: " << error << "\n";
  out << "files " << summary.files << ", records " << summary.records << ": published "
      << summary.published << ", duplicates " << summary.duplicates << ", rejected "
      << summary.rejected << ", failed " << summary.failed << ", unusable files "
      << summary.file_errors << "\n";
  if (!summary.status.ok()) {
    std::cerr << "dyad ingest: stopped early: " << summary.status.message()
              << " (running the same command again is safe: article ids are stable)\n";
    return 1;
  }
  return summary.rejected + summary.file_errors + summary.failed > 0 ? 1 : 0;
}

void RegisterIngest(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "ingest", "Publish article files and folders (.txt seed format, .jsonl) to dyad");
  auto paths = std::make_shared<std::vector<std::string>>();
  auto address = std::make_shared<std::string>("127.0.0.1:50051");
  auto brokers = std::make_shared<std::string>();
  auto kafka_config = std::make_shared<std::vector<std::string>>();
  auto published_at = std::make_shared<std::string>();
  auto retry_for = std::make_shared<std::string>("120s");
  command->add_option("PATH", *paths, "files or folders")->required();
  command->add_option("--ingest,--to", *address, "dyad-ingest address host:port")
      ->envname("DYAD_INGEST_ADDR");
  command
      ->add_option("--retry-for", *retry_for,
                   "keep retrying an article that fails with UNAVAILABLE (Kafka or dyad-ingest "
                   "down) for this long before reporting it failed: 120s, 2m, 500ms, 0 = no "
                   "retries")
      ->envname("DYAD_INGEST_RETRY_FOR");
  command->add_option("--brokers", *brokers,
                      "publish straight to these Kafka brokers instead of through dyad-ingest");
  command->add_option("--kafka-config", *kafka_config,
                      "librdkafka property key=value (with --brokers)");
  command->add_option("--published-at", *published_at,
                      "publication date for records that state none (YYYY-MM-DD or RFC 3339)");
  command->callback([=, &exit_code] {
    ingest::IngestFilesOptions options;
    const absl::Time started = absl::Now();
    options.on_progress = [started](const ingest::IngestSummary& so_far) {
      const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
      std::cerr << "dyad ingest: " << so_far.records << " records read in " << so_far.files
                << " files, published " << so_far.published << ", duplicates " << so_far.duplicates
                << ", rejected " << so_far.rejected << ", failed " << so_far.failed << " ("
                << static_cast<int64_t>(seconds > 0 ? static_cast<double>(so_far.records) / seconds
                                                    : 0)
                << " records/s)\n";
    };
    if (!published_at->empty()) {
      auto when = ParsePublishedAt(*published_at);
      if (!when.ok()) {
        std::cerr << "dyad ingest: " << when.status().message() << "\n";
        exit_code = 2;
        return;
      }
      options.read.published_at = *when;
    }
    auto retry_duration = ParseDuration(*retry_for);
    if (!retry_duration.ok()) {
      std::cerr << "dyad ingest: --retry-for " << retry_duration.status().message() << "\n";
      exit_code = 2;
      return;
    }
    RetryOptions retry;
    retry.retry_for = *retry_duration;
    if (brokers->empty()) {
      exit_code = ReportIngest(
          ingest::IngestFiles(*paths, options,
                              WithRetry(GrpcRecordPublisher(*address), retry, std::cerr)),
          std::cout);
      return;
    }
    auto properties = kafka::ParseProperties(*kafka_config);
    if (!properties.ok()) {
      std::cerr << "dyad ingest: --kafka-config: " << properties.status().message() << "\n";
      exit_code = 2;
      return;
    }
    ingest::KafkaWriterOptions writer_options;
    writer_options.producer.client = {.brokers = *brokers, .properties = *properties};
    if (auto status = kafka::EnsureTopic(writer_options.producer.client, {kafka::kArticlesTopic});
        !status.ok()) {
      std::cerr << "dyad ingest: " << status.message() << "\n";
      exit_code = 1;
      return;
    }
    auto writer = ingest::MakeKafkaWriter(writer_options);
    if (!writer.ok()) {
      std::cerr << "dyad ingest: " << writer.status().message() << "\n";
      exit_code = 1;
      return;
    }
    ingest::Publisher publisher(std::move(*writer));
    exit_code = ReportIngest(
        ingest::IngestFiles(
            *paths, options,
            WithRetry(
                [&publisher](const ingest::SourceRecord&, const dyad::v1::Article& article) {
                  return publisher.Publish(article);
                },
                retry, std::cerr)),
        std::cout);
  });
}

}  // namespace dyad::cli
