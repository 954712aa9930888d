// dyad ingest: publish files and folders through a dyad-ingest server (gRPC) or straight to Kafka.
#include <grpcpp/grpcpp.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "dyad/core/dates.h"
#include "dyad/ingest/service.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/config.h"
#include "dyad/kafka/topics.h"
#include "grpc_status.h"
#include "ingest_client.h"

namespace dyad::cli {
namespace {}  // namespace

ingest::RecordPublisher GrpcRecordPublisher(const std::string& address) {
  auto stub = std::shared_ptr<dyad::v1::IngestService::Stub>(dyad::v1::IngestService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials())));
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
      << summary.rejected << ", unusable files " << summary.file_errors << "\n";
  if (!summary.status.ok()) {
    std::cerr << "dyad ingest: stopped early: " << summary.status.message()
              << " (running the same command again is safe: article ids are stable)\n";
    return 1;
  }
  return summary.rejected + summary.file_errors > 0 ? 1 : 0;
}

void RegisterIngest(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "ingest", "Publish article files and folders (.txt seed format, .jsonl) to dyad");
  auto paths = std::make_shared<std::vector<std::string>>();
  auto address = std::make_shared<std::string>("127.0.0.1:50051");
  auto brokers = std::make_shared<std::string>();
  auto kafka_config = std::make_shared<std::vector<std::string>>();
  auto published_at = std::make_shared<std::string>();
  command->add_option("PATH", *paths, "files or folders")->required();
  command->add_option("--ingest", *address, "dyad-ingest address host:port")
      ->envname("DYAD_INGEST_ADDR");
  command->add_option("--brokers", *brokers,
                      "publish straight to these Kafka brokers instead of through dyad-ingest");
  command->add_option("--kafka-config", *kafka_config,
                      "librdkafka property key=value (with --brokers)");
  command->add_option("--published-at", *published_at,
                      "publication date for records that state none (YYYY-MM-DD or RFC 3339)");
  command->callback([=, &exit_code] {
    ingest::IngestFilesOptions options;
    if (!published_at->empty()) {
      auto when = ParsePublishedAt(*published_at);
      if (!when.ok()) {
        std::cerr << "dyad ingest: " << when.status().message() << "\n";
        exit_code = 2;
        return;
      }
      options.read.published_at = *when;
    }
    if (brokers->empty()) {
      exit_code = ReportIngest(ingest::IngestFiles(*paths, options, GrpcRecordPublisher(*address)),
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
    exit_code = ReportIngest(ingest::IngestFiles(*paths, options, publisher), std::cout);
  });
}

}  // namespace dyad::cli
