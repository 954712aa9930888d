#include <spdlog/spdlog.h>

#include "dyad/kafka/admin.h"
#include "dyad/kafka/topics.h"
#include "dyad/query/query.h"
#include "dyad/rpc/server.h"

namespace dyad::query {

absl::StatusOr<std::unique_ptr<QueryServer>> QueryServer::Start(const QueryOptions& options) {
  if (auto status = kafka::EnsureTopic(
          options.client, {kafka::kEventsTopic, options.partitions, options.replication_factor},
          options.startup_timeout);
      !status.ok()) {
    return status;
  }

  std::unique_ptr<QueryServer> server(new QueryServer());
  server->group_id_ = UniqueGroupId(options.group_prefix);
  server->store_ = std::make_unique<relations::RelationStore>();
  server->applier_ = std::make_unique<EventApplier>(
      ApplierOptions{
          .client = options.client, .topic = kafka::kEventsTopic, .group_id = server->group_id_},
      *server->store_);
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
