// The whole pipeline on this machine: the embedded broker in this process and dyad-ingest,
// dyad-extractor and dyad-query as child processes on loopback ports (`dyad up`, `dyad demo`).
//
// Lifecycle: Start() → use the addresses → Stop() (or the destructor): SIGTERM to ingest, then
// extractor, then query, each waited for; the broker goes last.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dyad/core/subprocess.h"
#include "dyad/kafka/embedded_broker.h"

namespace dyad::cli {

struct PipelineOptions {
  std::string ingest_listen = "127.0.0.1:50051";
  std::string query_listen = "127.0.0.1:50052";
  int partitions = 3;
  int extractors = 1;
  // Passed to every service (e.g. "--log-level=warn").
  std::vector<std::string> extra_args;
  // Directory holding dyad-ingest, dyad-extractor and dyad-query; empty = next to this binary.
  std::string bin_dir;
};

class Pipeline {
 public:
  static absl::StatusOr<std::unique_ptr<Pipeline>> Start(const PipelineOptions& options);
  ~Pipeline();

  const std::string& brokers() const { return broker_->bootstrap_servers(); }
  const std::string& ingest_address() const { return ingest_address_; }
  const std::string& query_address() const { return query_address_; }
  // The first child that exited on its own, or empty.
  std::string DeadChild();
  void Stop();

 private:
  Pipeline() = default;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::vector<std::pair<std::string, std::unique_ptr<core::Subprocess>>> children_;
  std::string ingest_address_;
  std::string query_address_;
};

}  // namespace dyad::cli
