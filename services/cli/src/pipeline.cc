#include "pipeline.h"

#include <spdlog/spdlog.h>

#include <csignal>

#include "dyad/kafka/topics.h"

namespace dyad::cli {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(60);

// Reads the child's stdout until its ready line; returns the address after " listening on ",
// or "" for a ready line without one.
absl::StatusOr<std::string> AwaitReady(core::Subprocess& child, const std::string& name) {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto line = child.ReadLine(std::max(left, std::chrono::milliseconds(1)));
    if (!line.ok()) {
      return absl::UnavailableError(name + " did not become ready (" +
                                    std::string(line.status().message()) +
                                    "); its log above says why");
    }
    if (const auto at = line->find(" listening on "); at != std::string::npos) {
      return line->substr(at + 14);
    }
    if (line->find(" ready") != std::string::npos) return std::string();
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Start(const PipelineOptions& options) {
  std::unique_ptr<Pipeline> pipeline(new Pipeline());
  auto broker = kafka::EmbeddedBroker::Start(1);
  if (!broker.ok()) return broker.status();
  pipeline->broker_ = std::move(*broker);
  for (const char* topic : {kafka::kArticlesTopic, kafka::kEventsTopic, kafka::kArticlesDlqTopic}) {
    if (auto status = pipeline->broker_->CreateTopic({topic, options.partitions, 1});
        !status.ok()) {
      return status;
    }
  }
  const std::string bin = options.bin_dir.empty() ? core::ExecutableDir() : options.bin_dir;
  const std::string brokers = "--brokers=" + pipeline->brokers();
  const std::string partitions = "--partitions=" + std::to_string(options.partitions);

  auto start = [&](const std::string& name,
                   std::vector<std::string> argv) -> absl::StatusOr<std::string> {
    argv.insert(argv.begin(), bin + "/" + name);
    argv.push_back(brokers);
    argv.push_back(partitions);
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    auto child = core::Subprocess::Start(argv);
    if (!child.ok()) return child.status();
    auto address = AwaitReady(**child, name);
    pipeline->children_.emplace_back(name, std::move(*child));
    return address;
  };
  // Downstream first, so nothing produced is waiting for a consumer that is still starting.
  auto query = start("dyad-query", {"--listen=" + options.query_listen});
  if (!query.ok()) return query.status();
  pipeline->query_address_ = *query;
  for (int i = 0; i < options.extractors; ++i) {
    // The embedded broker (librdkafka's mock cluster) stores no transactional offsets and does
    // not filter aborted records: exactly-once needs a real broker, so at-least-once here.
    auto extractor = start("dyad-extractor", {"--delivery=at-least-once"});
    if (!extractor.ok()) return extractor.status();
  }
  auto ingest = start("dyad-ingest", {"--listen=" + options.ingest_listen});
  if (!ingest.ok()) return ingest.status();
  pipeline->ingest_address_ = *ingest;
  return pipeline;
}

Pipeline::~Pipeline() { Stop(); }

std::string Pipeline::DeadChild() {
  for (auto& [name, child] : children_) {
    if (!child->running()) return name;
  }
  return "";
}

void Pipeline::Stop() {
  // Upstream first: ingest stops taking articles, extractors finish their batch, query last.
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    auto& [name, child] = *it;
    child->Signal(SIGTERM);
    auto code = child->Wait(std::chrono::seconds(15));
    if (!code.ok()) {
      spdlog::warn("{} did not stop in 15 s; killing it", name);
      child->Signal(SIGKILL);
      (void)child->Wait(std::chrono::seconds(5));
    } else if (*code != 0) {
      spdlog::warn("{} exited with code {}", name, *code);
    }
  }
  children_.clear();
  broker_.reset();
}

}  // namespace dyad::cli
