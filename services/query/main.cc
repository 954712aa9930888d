// dyad-query: the relations read model over gRPC. All logic lives in dyad::query.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "dyad/core/logging.h"
#include "dyad/core/shutdown.h"
#include "dyad/kafka/config.h"
#include "dyad/query/query.h"
#include "dyad/relations/names.h"

int main(int argc, char** argv) {
  CLI::App app{"dyad-query: relations between actors, from dyad.events.v1, over gRPC"};
  dyad::query::QueryOptions options;
  options.client.brokers = "127.0.0.1:9092";
  std::vector<std::string> kafka_config;
  std::string log_level = "info";
  std::string data_dir;
  int relation_cache_mb = 256;
  app.add_option("--brokers", options.client.brokers, "Kafka bootstrap servers")
      ->envname("DYAD_BROKERS");
  app.add_option("--kafka-config", kafka_config,
                 "librdkafka property key=value (repeatable), e.g. security.protocol=SASL_SSL");
  app.add_option("--events-topic", options.events_topic, "Topic the events are read from")
      ->envname("DYAD_EVENTS_TOPIC");
  app.add_option("--state-dir", options.state_dir,
                 "RocksDB state directory (created when missing; an empty one is rebuilt by "
                 "replaying the topic). One per replica. Default: a temporary directory deleted "
                 "at exit (every start replays the topic)")
      ->envname("DYAD_QUERY_STATE_DIR");
  app.add_option("--listen", options.listen, "gRPC host:port (port 0 = any free port)")
      ->envname("DYAD_QUERY_LISTEN");
  app.add_option("--metrics-listen", options.metrics_listen,
                 "Prometheus metrics on http://HOST:PORT/metrics (port 0 = any free port); "
                 "empty = no metrics server")
      ->envname("DYAD_QUERY_METRICS_LISTEN");
  app.add_option("--group", options.group_prefix,
                 "Consumer group id prefix; hostname, pid and a random suffix are appended so "
                 "every replica reads all partitions")
      ->envname("DYAD_QUERY_GROUP");
  app.add_option("--partitions", options.partitions, "Partitions for topics created at start")
      ->envname("DYAD_PARTITIONS")
      ->check(CLI::Range(1, 10000));
  app.add_option("--replication-factor", options.replication_factor,
                 "Replication factor for topics created at start")
      ->envname("DYAD_REPLICATION_FACTOR")
      ->check(CLI::Range(1, 100));
  app.add_option("--tls-cert", options.tls.cert_file,
                 "PEM certificate chain of the gRPC server: serve TLS (with --tls-key)")
      ->envname("DYAD_QUERY_TLS_CERT");
  app.add_option("--tls-key", options.tls.key_file, "PEM private key of --tls-cert (unencrypted)")
      ->envname("DYAD_QUERY_TLS_KEY");
  app.add_option("--tls-client-ca", options.tls.client_ca_file,
                 "PEM CA bundle: require client certificates signed by it (mutual TLS; needs "
                 "--tls-cert and --tls-key)")
      ->envname("DYAD_QUERY_TLS_CLIENT_CA");
  app.add_option("--relation-cache-mb", relation_cache_mb,
                 "MiB of serialised GetRelation answers kept for repeated requests; 0 = none")
      ->envname("DYAD_QUERY_RELATION_CACHE_MB")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--max-watchers", options.max_watchers,
                 "Concurrent WatchEvents streams; more get RESOURCE_EXHAUSTED")
      ->envname("DYAD_QUERY_MAX_WATCHERS")
      ->check(CLI::Range(0, 100000));
  app.add_option("--data-dir", data_dir,
                 "Directory with cameo/ and dictionaries/ for actor and event code names "
                 "(default: $DYAD_DATA_DIR, else the source tree's data/)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->envname("DYAD_LOG_LEVEL");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; any bad flag exits 1 after CLI11's one-line message (CONVENTIONS.md).
    return app.exit(e) == 0 ? 0 : 1;
  }

  if (auto status = dyad::core::InitLogging(log_level); !status.ok()) {
    std::fprintf(stderr, "dyad-query: --log-level: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  auto properties = dyad::kafka::ParseProperties(kafka_config);
  if (!properties.ok()) {
    std::fprintf(stderr, "dyad-query: --kafka-config: %s\n",
                 std::string(properties.status().message()).c_str());
    return 1;
  }
  options.client.properties = *properties;
  options.service.relation_cache_bytes = static_cast<std::size_t>(relation_cache_mb) << 20;
  auto names = dyad::relations::Names::Load(data_dir);
  if (!names.ok()) {
    std::fprintf(stderr,
                 "dyad-query: cannot load actor and event code names: %s; give --data-dir (the "
                 "directory holding cameo/ and dictionaries/)\n",
                 names.status().ToString().c_str());
    return 1;
  }
  options.names = std::make_shared<const dyad::relations::Names>(*std::move(names));

  dyad::core::InstallShutdownHandlers();
  auto server = dyad::query::QueryServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "dyad-query: %s\n", server.status().ToString().c_str());
    return 1;
  }
  if (!(*server)->metrics_address().empty()) {
    spdlog::info("dyad-query metrics on http://{}/metrics", (*server)->metrics_address());
  }
  std::printf("dyad-query listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  int exit_code = 0;
  bool caught_up = false;
  while (!dyad::core::WaitForShutdown(std::chrono::milliseconds(200))) {
    if (auto status = (*server)->applier_status(); !status.ok()) {
      std::fprintf(stderr, "dyad-query: cannot apply %s: %s\n", options.events_topic.c_str(),
                   status.ToString().c_str());
      exit_code = 1;
      break;
    }
    if (!caught_up && (*server)->caught_up()) {
      caught_up = true;
      std::printf("dyad-query caught up: %lld events from %s in %s\n",
                  static_cast<long long>((*server)->store().Stats().events),
                  options.events_topic.c_str(), (*server)->state_dir().c_str());
      std::fflush(stdout);
    }
  }
  (*server)->Stop();
  const auto counters = (*server)->durable_store().Counters();
  std::string totals;
  for (const auto& [name, value] : counters) {
    totals += (totals.empty() ? "" : ", ") + name + " " + std::to_string(value);
  }
  spdlog::info(
      "dyad-query: stopped ({} records read since start, {} new events, {} duplicates, {} "
      "invalid; state totals: {})",
      (*server)->applier_stats().records.load(), (*server)->applier_stats().applied.load(),
      (*server)->applier_stats().duplicates.load(), (*server)->applier_stats().invalid.load(),
      totals);
  const auto watch = (*server)->watch_hub().Stats();
  spdlog::info(
      "dyad-query: WatchEvents: {} mentions published, {} queued for watchers, {} dropped from "
      "full queues, {} streams refused",
      watch.published, watch.queued, watch.dropped, watch.refused);
  return exit_code;
}
