#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/offsets.h"
#include "dyad/kafka/topics.h"
#include "dyad/query/query.h"
#include "dyad/rpc/server.h"

namespace dyad::query {

absl::StatusOr<std::unique_ptr<QueryServer>> QueryServer::Start(const QueryOptions& options) {
  if (options.events_topic.empty()) {
    return absl::InvalidArgumentError("the events topic is empty; give --events-topic");
  }
  // Bad TLS files fail before the state is opened or the brokers are waited for.
  if (auto credentials = rpc::MakeServerCredentials(options.tls); !credentials.ok()) {
    return credentials.status();
  }
  std::unique_ptr<QueryServer> server(new QueryServer());
  server->state_dir_ = options.state_dir;
  if (server->state_dir_.empty()) {
    // No directory given: a temporary one, removed by the destructor.
    std::string pattern = (std::filesystem::temp_directory_path() / "dyad-query-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot create a temporary state directory ",
                                                 pattern, ": ", std::strerror(errno)));
    }
    server->state_dir_ = pattern;
    server->temporary_state_ = true;
    spdlog::warn(
        "query: no --state-dir: the state is kept in {} and deleted at exit, so every start "
        "replays {} from the beginning; give --state-dir to keep it",
        server->state_dir_, options.events_topic);
  }
  server->store_ = std::make_unique<relations::RelationStore>(options.names);
  // The state first: a directory that cannot be used fails fast, before any Kafka traffic.
  auto durable = relations::DurableStore::Open(
      {.dir = server->state_dir_, .topic = options.events_topic}, *server->store_);
  if (!durable.ok()) return durable.status();
  server->durable_ = std::move(*durable);
  const auto& loaded = server->durable_->load_info();
  if (loaded.created) {
    spdlog::info("query: new state directory {}: {} will be replayed from the beginning",
                 server->state_dir_, options.events_topic);
  } else {
    spdlog::info("query: loaded {} events ({} dyad-days checked) from {} in {} ms, {} MB on disk",
                 loaded.events, loaded.day_rows, server->state_dir_, loaded.took.count(),
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
  server->watch_hub_ = std::make_unique<WatchHub>(options.max_watchers);
  server->applier_ = std::make_unique<EventApplier>(
      ApplierOptions{.client = options.client,
                     .topic = options.events_topic,
                     .group_id = server->group_id_,
                     .records_in_topic = records_in_topic.ok() ? *records_in_topic : -1,
                     .on_applied =
                         [hub = server->watch_hub_.get()](std::vector<dyad::v1::Event> events) {
                           hub->Publish(std::move(events));
                         }},
      *server->durable_);
  if (auto status = server->applier_->Start(); !status.ok()) return status;

  server->service_ =
      std::make_unique<RelationsService>(*server->store_, *server->watch_hub_, options.service);
  auto rpc_server =
      rpc::StartServer({.listen = options.listen, .tls = options.tls}, {server->service_.get()});
  if (!rpc_server.ok()) return rpc_server.status();
  server->server_ = std::move(*rpc_server);
  // Streams never end by themselves: end them first, so the grace period is for unary calls.
  server->server_->OnShutdown([hub = server->watch_hub_.get()] { hub->Shutdown(); });
  spdlog::info("query: serving dyad.v1.RelationsService on {}{}", server->server_->address(),
               options.tls.enabled()
                   ? (options.tls.client_ca_file.empty() ? " (TLS)" : " (mutual TLS)")
                   : "");
  return server;
}

QueryServer::~QueryServer() {
  Stop(std::chrono::milliseconds(0));
  server_.reset();
  service_.reset();
  applier_.reset();
  watch_hub_.reset();
  durable_.reset();
  if (temporary_state_) {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
}

std::string QueryServer::address() const {
  return server_ != nullptr ? server_->address() : std::string();
}

void QueryServer::Stop(std::chrono::milliseconds grace) {
  // Readers first, so no call sees a store whose applier is gone; then the applier.
  if (server_ != nullptr) server_->Shutdown(grace);
  if (applier_ != nullptr) applier_->Stop();
}

}  // namespace dyad::query
