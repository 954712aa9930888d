#include <spdlog/spdlog.h>

#include "dyad/kafka/admin.h"
#include "dyad/kafka/offsets.h"
#include "dyad/kafka/topics.h"
#include "dyad/query/query.h"
#include "dyad/rpc/server.h"

namespace dyad::query {

absl::StatusOr<std::unique_ptr<QueryServer>> QueryServer::Start(const QueryOptions& options) {
  if (options.state_dir.empty()) {
    return absl::InvalidArgumentError(
        "no state directory; give --state-dir (each replica its own directory)");
  }
  if (options.events_topic.empty()) {
    return absl::InvalidArgumentError("the events topic is empty; give --events-topic");
  }
  std::unique_ptr<QueryServer> server(new QueryServer());
  server->store_ = std::make_unique<relations::RelationStore>();
  // The state first: a directory that cannot be used fails fast, before any Kafka traffic.
  auto durable = relations::DurableStore::Open(
      {.dir = options.state_dir, .topic = options.events_topic}, *server->store_);
  if (!durable.ok()) return durable.status();
  server->durable_ = std::move(*durable);
  const auto& loaded = server->durable_->load_info();
  if (loaded.created) {
    spdlog::info("query: new state directory {}: {} will be replayed from the beginning",
                 options.state_dir, options.events_topic);
  } else {
    spdlog::info("query: loaded {} events ({} dyad-days checked) from {} in {} ms, {} MB on disk",
                 loaded.events, loaded.day_rows, options.state_dir, loaded.took.count(),
                 server->durable_->DiskBytes() / 1000000);
  }

  if (auto status = kafka::EnsureTopic(
          options.client, {options.events_topic, options.partitions, options.replication_factor},
          options.startup_timeout);
      !status.ok()) {
    return status;
  }
  // For the progress lines only: unknown (-1) when the brokers do not say.
  auto records_in_topic = kafka::TopicRecordCount(options.client, options.events_topic);
  if (!records_in_topic.ok()) {
    spdlog::warn("query: cannot count the records of {}: {}", options.events_topic,
                 records_in_topic.status().ToString());
  }

  server->group_id_ = UniqueGroupId(options.group_prefix);
  server->applier_ = std::make_unique<EventApplier>(
      ApplierOptions{.client = options.client,
                     .topic = options.events_topic,
                     .group_id = server->group_id_,
                     .records_in_topic = records_in_topic.ok() ? *records_in_topic : -1},
      *server->durable_);
  if (auto status = server->applier_->Start(); !status.ok()) return status;

  server->service_ = std::make_unique<RelationsService>(*server->store_, options.service);
  auto rpc_server = rpc::StartServer({.listen = options.listen}, {server->service_.get()});
  if (!rpc_server.ok()) return rpc_server.status();
  server->server_ = std::move(*rpc_server);
  spdlog::info("query: serving dyad.v1.RelationsService on {}", server->server_->address());
  return server;
}

QueryServer::~QueryServer() { Stop(std::chrono::milliseconds(0)); }

std::string QueryServer::address() const {
  return server_ != nullptr ? server_->address() : std::string();
}

void QueryServer::Stop(std::chrono::milliseconds grace) {
  // Readers first, so no call sees a store whose applier is gone; then the applier.
  if (server_ != nullptr) server_->Shutdown(grace);
  if (applier_ != nullptr) applier_->Stop();
}

}  // namespace dyad::query
