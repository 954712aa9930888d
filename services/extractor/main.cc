// dyad-extractor: articles in, CAMEO events out. All logic lives in dyad::extractor.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <cstdio>
#include <thread>

#include "dyad/coder/coder.h"
#include "dyad/core/logging.h"
#include "dyad/core/shutdown.h"
#include "dyad/extractor/extractor.h"
#include "dyad/kafka/config.h"
#include "dyad/metrics/http_server.h"
#include "dyad/metrics/kafka_metrics.h"
#include "dyad/metrics/process.h"
#include "dyad/metrics/registry.h"

int main(int argc, char** argv) {
  CLI::App app{"dyad-extractor: codes articles from Kafka into CAMEO events"};
  dyad::extractor::ExtractorOptions options;
  options.client.brokers = "127.0.0.1:9092";
  std::vector<std::string> kafka_config;
  std::string log_level = "info";
  dyad::coder::CoderOptions coder_options = dyad::coder::DefaultCoderOptions();
  std::string delivery = "exactly-once";
  std::string transactional_id;
  int64_t article_time_limit_ms = options.article_time_limit.count();
  app.add_option("--brokers", options.client.brokers, "Kafka bootstrap servers")
      ->envname("DYAD_BROKERS");
  app.add_option("--kafka-config", kafka_config,
                 "librdkafka property key=value (repeatable), e.g. security.protocol=SASL_SSL");
  app.add_option("--group", options.group_id, "Consumer group id")->envname("DYAD_EXTRACTOR_GROUP");
  app.add_option("--articles-topic", options.articles_topic, "Topic of dyad.v1.Article records")
      ->envname("DYAD_ARTICLES_TOPIC");
  app.add_option("--events-topic", options.events_topic, "Topic the dyad.v1.Event records go to")
      ->envname("DYAD_EVENTS_TOPIC");
  app.add_option("--dlq-topic", options.dlq_topic, "Topic of dead-lettered article records")
      ->envname("DYAD_ARTICLES_DLQ_TOPIC");
  app.add_option("--delivery", delivery,
                 "exactly-once (Kafka transactions; needs a real broker) or at-least-once")
      ->envname("DYAD_EXTRACTOR_DELIVERY")
      ->check(CLI::IsMember({"exactly-once", "at-least-once"}));
  app.add_option("--transactional-id", transactional_id,
                 "Kafka transactional.id for exactly-once (default <group>-<hostname>). Stable "
                 "per replica (e.g. the StatefulSet pod name) and unique among live replicas: two "
                 "live replicas with one id fence each other")
      ->envname("DYAD_EXTRACTOR_TRANSACTIONAL_ID");
  app.add_option("--dictionaries", coder_options.dictionaries_dir, "Dictionary directory")
      ->envname("DYAD_DICTIONARIES");
  app.add_option("--partitions", options.partitions, "Partitions for topics created at start")
      ->envname("DYAD_PARTITIONS")
      ->check(CLI::Range(1, 10000));
  app.add_option("--replication-factor", options.replication_factor,
                 "Replication factor for topics created at start")
      ->envname("DYAD_REPLICATION_FACTOR")
      ->check(CLI::Range(1, 100));
  app.add_option("--max-batch", options.max_batch, "Articles per batch")
      ->envname("DYAD_EXTRACTOR_MAX_BATCH")
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-record-bytes", options.max_record_bytes,
                 "Article records larger than this are dead-lettered unparsed")
      ->envname("DYAD_EXTRACTOR_MAX_RECORD_BYTES")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  app.add_option("--article-time-limit-ms", article_time_limit_ms,
                 "Coding one article longer than this dead-letters it (0 = no limit)")
      ->envname("DYAD_EXTRACTOR_ARTICLE_TIME_LIMIT_MS")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}));
  app.add_option("--transaction-timeout-ms", options.transaction_timeout_ms,
                 "transaction.timeout.ms: the broker aborts a transaction left open this long")
      ->envname("DYAD_EXTRACTOR_TRANSACTION_TIMEOUT_MS")
      ->check(CLI::Range(1000, 900000));
  std::string metrics_listen;
  app.add_option("--metrics-listen", metrics_listen,
                 "Prometheus metrics on http://HOST:PORT/metrics (port 0 = any free port); "
                 "empty = no metrics server")
      ->envname("DYAD_EXTRACTOR_METRICS_LISTEN");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->envname("DYAD_LOG_LEVEL");
  CLI11_PARSE(app, argc, argv);

  if (auto status = dyad::core::InitLogging(log_level); !status.ok()) {
    std::fprintf(stderr, "dyad-extractor: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  auto properties = dyad::kafka::ParseProperties(kafka_config);
  if (!properties.ok()) {
    spdlog::error("dyad-extractor: --kafka-config: {}", std::string(properties.status().message()));
    return 1;
  }
  options.client.properties = *properties;
  options.article_time_limit = std::chrono::milliseconds(article_time_limit_ms);
  if (delivery == "exactly-once") {
    if (transactional_id.empty()) {
      std::array<char, 256> host{};
      if (gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0') {
        spdlog::error(
            "dyad-extractor: cannot read the hostname for the default "
            "--transactional-id; set --transactional-id");
        return 1;
      }
      transactional_id = options.group_id + "-" + host.data();
    }
    options.transactional_id = transactional_id;
  } else {
    options.transactional_id.clear();
  }
  // Metrics: checked before the coder loads, served once the Extractor exists.
  dyad::metrics::Registry registry;
  if (!metrics_listen.empty()) {
    std::string host;
    int port = 0;
    if (auto status = dyad::metrics::ParseListenAddress(metrics_listen, host, port); !status.ok()) {
      spdlog::error("dyad-extractor: --metrics-listen: {}", std::string(status.message()));
      return 1;
    }
    dyad::metrics::AddProcessMetrics(registry);
    options.client.stats = std::make_shared<dyad::kafka::ClientStats>();
    dyad::metrics::AddKafkaMetrics(registry, options.client.stats);
    options.metrics = &registry;
  }
  auto coder = dyad::coder::Coder::Load(coder_options);
  if (!coder.ok()) {
    spdlog::error("dyad-extractor: cannot load the coder: {}", coder.status().ToString());
    return 1;
  }
  spdlog::info("dyad-extractor: coder {} loaded", (*coder)->version());

  dyad::core::InstallShutdownHandlers();
  std::atomic<bool> stop{false};
  std::thread watcher([&stop] {
    while (!stop.load() && !dyad::core::WaitForShutdown(std::chrono::milliseconds(200))) {
    }
    stop.store(true);
  });
  dyad::extractor::Extractor extractor(options, **coder);
  // Declared after the Extractor: stopped before it is destroyed (its callbacks read its stats).
  std::unique_ptr<dyad::metrics::MetricsServer> metrics_server;
  if (!metrics_listen.empty()) {
    auto started = dyad::metrics::MetricsServer::Start({.listen = metrics_listen}, registry);
    if (!started.ok()) {
      spdlog::error("dyad-extractor: --metrics-listen: {}", started.status().ToString());
      stop.store(true);
      watcher.join();
      return 1;
    }
    metrics_server = std::move(*started);
    spdlog::info("dyad-extractor metrics on http://{}/metrics", metrics_server->address());
  }
  const auto status = extractor.Run(stop, [] {
    std::printf("dyad-extractor ready\n");
    std::fflush(stdout);
  });
  stop.store(true);
  watcher.join();
  if (!status.ok()) {
    spdlog::error("dyad-extractor: {}", status.ToString());
    return 1;
  }
  return 0;
}
