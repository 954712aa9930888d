#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/offsets.h"
#include "dyad/kafka/topics.h"
#include "dyad/metrics/kafka_metrics.h"
#include "dyad/metrics/process.h"
#include "dyad/query/query.h"
#include "dyad/rpc/server.h"

namespace dyad::query {
namespace {

// dyad-query's own metrics, read at scrape time from the server's parts (the Kafka and process
// metrics too). Registered before the parts exist: each callback runs only once the metrics
// server is started, at the end of QueryServer::Start.
void AddQueryMetrics(metrics::Registry& registry, const QueryServer& server,
                     std::shared_ptr<const kafka::ClientStats> kafka_stats) {
  using metrics::MetricType;
  metrics::AddProcessMetrics(registry);
  metrics::AddKafkaMetrics(registry, std::move(kafka_stats));
  registry.AddValueCallback(
      "dyad_query_mentions_applied_total",
      "New mentions (events) from dyad.events.v1 applied to the state since start.",
      MetricType::kCounter,
      [&server] { return static_cast<double>(server.applier_stats().applied.load()); });
  registry.AddValueCallback(
      "dyad_query_records_duplicate_total",
      "Records of events already applied (re-delivered or replayed) since start.",
      MetricType::kCounter,
      [&server] { return static_cast<double>(server.applier_stats().duplicates.load()); });
  registry.AddCallback(
      "dyad_query_records_rejected_total",
      "Records skipped since start, by kind: unparseable, missing_id, rejected (the store "
      "cannot place it), oversized.",
      MetricType::kCounter, {"kind"}, [&server] {
        std::vector<metrics::Sample> samples;
        for (const RecordOutcome outcome : {RecordOutcome::kUnparseable, RecordOutcome::kMissingId,
                                            RecordOutcome::kRejected, RecordOutcome::kOversized}) {
          samples.push_back(
              {{OutcomeCounter(outcome)},
               static_cast<double>(server.applier_stats()
                                       .invalid_by_outcome[static_cast<std::size_t>(outcome)]
                                       .load())});
        }
        return samples;
      });
  registry.AddCallback("dyad_query_state_bytes",
                       "Bytes of the state's live RocksDB SST files (not counting the memtable).",
                       MetricType::kGauge, {}, [&server] {
                         const int64_t bytes = server.durable_store().LiveSstBytes();
                         if (bytes < 0) return std::vector<metrics::Sample>{};
                         return std::vector<metrics::Sample>{{{}, static_cast<double>(bytes)}};
                       });
  registry.AddValueCallback(
      "dyad_query_relation_cache_hits_total", "GetRelation answers served from the response cache.",
      MetricType::kCounter,
      [&server] { return static_cast<double>(server.service().relation_cache_stats().hits); });
  registry.AddValueCallback(
      "dyad_query_relation_cache_misses_total",
      "GetRelation answers built (not in the response cache, or stale).", MetricType::kCounter,
      [&server] { return static_cast<double>(server.service().relation_cache_stats().misses); });
  registry.AddValueCallback(
      "dyad_query_watch_streams", "WatchEvents streams open.", MetricType::kGauge,
      [&server] { return static_cast<double>(server.service().active_watches()); });
  registry.AddValueCallback(
      "dyad_query_caught_up", "1 once the applier has read to the end of the topic, else 0.",
      MetricType::kGauge, [&server] { return server.caught_up() ? 1.0 : 0.0; });
}

}  // namespace

absl::StatusOr<std::unique_ptr<QueryServer>> QueryServer::Start(const QueryOptions& options) {
  if (options.events_topic.empty()) {
    return absl::InvalidArgumentError("the events topic is empty; give --events-topic");
  }
  // A bad metrics address and bad TLS files fail before the state is opened or the brokers are
  // waited for.
  if (!options.metrics_listen.empty()) {
    std::string host;
    int port = 0;
    if (auto status = metrics::ParseListenAddress(options.metrics_listen, host, port);
        !status.ok()) {
      return status;
    }
  }
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

  kafka::ClientConfig client = options.client;
  rpc::ServerOptions rpc_options{.listen = options.listen, .tls = options.tls};
  if (!options.metrics_listen.empty()) {
    server->metrics_ = std::make_unique<metrics::Registry>();
    client.stats = std::make_shared<kafka::ClientStats>();
    AddQueryMetrics(*server->metrics_, *server, client.stats);
    server->rpc_metrics_ = std::make_unique<metrics::RpcMetrics>(*server->metrics_);
    rpc_options.interceptors = server->rpc_metrics_->InterceptorFactories();
  }

  server->group_id_ = UniqueGroupId(options.group_prefix);
  server->watch_hub_ = std::make_unique<WatchHub>(options.max_watchers);
  server->applier_ = std::make_unique<EventApplier>(
      ApplierOptions{.client = client,
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
  auto rpc_server = rpc::StartServer(rpc_options, {server->service_.get()});
  if (!rpc_server.ok()) return rpc_server.status();
  server->server_ = std::move(*rpc_server);
  // Streams never end by themselves: end them first, so the grace period is for unary calls.
  server->server_->OnShutdown([hub = server->watch_hub_.get()] { hub->Shutdown(); });
  spdlog::info("query: serving dyad.v1.RelationsService on {}{}", server->server_->address(),
               options.tls.enabled()
                   ? (options.tls.client_ca_file.empty() ? " (TLS)" : " (mutual TLS)")
                   : "");
  if (server->metrics_ != nullptr) {
    auto metrics_server =
        metrics::MetricsServer::Start({.listen = options.metrics_listen}, *server->metrics_);
    if (!metrics_server.ok()) return metrics_server.status();
    server->metrics_server_ = std::move(*metrics_server);
  }
  return server;
}

std::string QueryServer::metrics_address() const {
  return metrics_server_ != nullptr ? metrics_server_->address() : std::string();
}

QueryServer::~QueryServer() {
  metrics_server_.reset();  // no scrape reads what is destroyed below
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
