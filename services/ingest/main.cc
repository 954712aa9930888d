// dyad-ingest: the gRPC IngestService in front of Kafka topic dyad.articles.v1. All logic lives in
// dyad::ingest; this file parses flags and wires the pieces.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "dyad/core/logging.h"
#include "dyad/core/shutdown.h"
#include "dyad/ingest/publisher.h"
#include "dyad/ingest/service.h"
#include "dyad/kafka/admin.h"
#include "dyad/kafka/config.h"
#include "dyad/kafka/topics.h"
#include "dyad/metrics/http_server.h"
#include "dyad/metrics/kafka_metrics.h"
#include "dyad/metrics/process.h"
#include "dyad/metrics/registry.h"
#include "dyad/metrics/rpc_metrics.h"
#include "dyad/rpc/server.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "dyad-ingest: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dyad-ingest: validates articles and publishes them to Kafka (dyad.articles.v1)"};
  dyad::kafka::ClientConfig client;
  client.brokers = "127.0.0.1:9092";
  client.client_id = "dyad-ingest";
  std::vector<std::string> kafka_config;
  std::string listen = "127.0.0.1:50051";
  std::string log_level = "info";
  int partitions = 6;
  int replication_factor = 1;
  std::size_t max_article_bytes = 1024 * 1024;
  std::string articles_topic = dyad::kafka::kArticlesTopic;
  int delivery_timeout_ms = 10000;
  int flush_timeout_ms = 10000;
  int workers = 16;
  std::size_t dedup_capacity = 100000;
  dyad::rpc::ServerTls tls;
  app.add_option("--brokers", client.brokers, "Kafka bootstrap servers (host:port,...)")
      ->envname("DYAD_BROKERS");
  app.add_option("--kafka-config", kafka_config,
                 "librdkafka property key=value (repeatable), e.g. security.protocol=SASL_SSL");
  app.add_option("--listen", listen, "gRPC address host:port (port 0 = any free port)")
      ->envname("DYAD_INGEST_LISTEN");
  std::string metrics_listen;
  app.add_option("--metrics-listen", metrics_listen,
                 "Prometheus metrics on http://HOST:PORT/metrics (port 0 = any free port); "
                 "empty = no metrics server")
      ->envname("DYAD_INGEST_METRICS_LISTEN");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->envname("DYAD_LOG_LEVEL");
  app.add_option("--tls-cert", tls.cert_file,
                 "PEM certificate chain of the gRPC server: serve TLS (with --tls-key)")
      ->envname("DYAD_INGEST_TLS_CERT");
  app.add_option("--tls-key", tls.key_file, "PEM private key of --tls-cert (unencrypted)")
      ->envname("DYAD_INGEST_TLS_KEY");
  app.add_option("--tls-client-ca", tls.client_ca_file,
                 "PEM CA bundle: require client certificates signed by it (mutual TLS)")
      ->envname("DYAD_INGEST_TLS_CLIENT_CA");
  app.add_option("--partitions", partitions, "Partitions for dyad.articles.v1 if it is created")
      ->envname("DYAD_PARTITIONS")
      ->check(CLI::Range(1, 10000));
  app.add_option("--replication-factor", replication_factor,
                 "Replication factor for dyad.articles.v1 if it is created")
      ->envname("DYAD_REPLICATION_FACTOR")
      ->check(CLI::Range(1, 100));
  app.add_option("--max-article-bytes", max_article_bytes,
                 "Largest article text accepted, in bytes")
      ->envname("DYAD_MAX_ARTICLE_BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} * 1024 * 1024));
  app.add_option("--articles-topic", articles_topic, "Kafka topic the articles are written to")
      ->envname("DYAD_ARTICLES_TOPIC");
  app.add_option("--delivery-timeout-ms,--delivery-timeout", delivery_timeout_ms,
                 "How long Kafka may take to acknowledge an article (ms) before the call fails "
                 "with UNAVAILABLE: callers learn of a broker outage within about this long")
      ->envname("DYAD_INGEST_DELIVERY_TIMEOUT_MS")
      ->check(CLI::Range(100, 600000));
  app.add_option("--flush-timeout-ms,--flush-timeout", flush_timeout_ms,
                 "On SIGTERM/SIGINT: how long records in flight may still take to be "
                 "acknowledged (ms); the calls of those left get UNAVAILABLE and are counted in "
                 "the log")
      ->envname("DYAD_INGEST_FLUSH_TIMEOUT_MS")
      ->check(CLI::Range(0, 600000));
  app.add_option("--workers", workers, "Threads publishing to Kafka (articles in flight)")
      ->envname("DYAD_INGEST_WORKERS")
      ->check(CLI::Range(1, 1024));
  app.add_option("--dedup-capacity", dedup_capacity,
                 "Article ids remembered for duplicate suppression")
      ->envname("DYAD_INGEST_DEDUP_CAPACITY")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every bad flag exits 1 (CONVENTIONS.md), whatever CLI11's own code.
    return app.exit(e) == 0 ? 0 : 1;
  }

  if (auto status = dyad::core::InitLogging(log_level); !status.ok()) {
    return Fail(std::string(status.message()));
  }
  auto properties = dyad::kafka::ParseProperties(kafka_config);
  if (!properties.ok())
    return Fail("--kafka-config: " + std::string(properties.status().message()));
  client.properties = *properties;

  // Check the address before waiting for Kafka, so a typo fails at once.
  if (const auto colon = listen.rfind(':');
      colon == std::string::npos || colon == 0 || colon + 1 == listen.size() ||
      listen.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return Fail("--listen '" + listen + "' is not host:port (e.g. 127.0.0.1:50051)");
  }

  if (articles_topic.empty()) return Fail("--articles-topic must not be empty");
  // Metrics: the address checked now; the server started once the service exists.
  dyad::metrics::Registry registry;
  std::unique_ptr<dyad::metrics::RpcMetrics> rpc_metrics;
  if (!metrics_listen.empty()) {
    std::string host;
    int port = 0;
    if (auto status = dyad::metrics::ParseListenAddress(metrics_listen, host, port); !status.ok()) {
      return Fail("--metrics-listen: " + std::string(status.message()));
    }
    dyad::metrics::AddProcessMetrics(registry);
    client.stats = std::make_shared<dyad::kafka::ClientStats>();
    dyad::metrics::AddKafkaMetrics(registry, client.stats);
    rpc_metrics = std::make_unique<dyad::metrics::RpcMetrics>(registry);
  }
  // Bad TLS files fail now, not after waiting for Kafka.
  if (auto credentials = dyad::rpc::MakeServerCredentials(tls); !credentials.ok()) {
    return Fail(std::string(credentials.status().message()));
  }
  const dyad::kafka::TopicSpec topic{articles_topic, partitions, replication_factor};
  if (auto status = dyad::kafka::EnsureTopic(client, topic); !status.ok()) {
    return Fail("cannot create topic " + topic.name + " on " + client.brokers + ": " +
                std::string(status.message()));
  }

  dyad::ingest::KafkaWriterOptions writer_options;
  writer_options.producer.client = client;
  writer_options.producer.delivery_timeout_ms = delivery_timeout_ms;
  // Shutdown waits --flush-timeout-ms itself (Publisher::Close); the destructor need not wait.
  writer_options.producer.close_timeout_ms = 0;
  writer_options.topic = articles_topic;
  // Body plus title, URL, summary and the rest of the Article.
  writer_options.max_record_bytes = max_article_bytes + 64 * 1024;
  auto writer = dyad::ingest::MakeKafkaWriter(writer_options);
  if (!writer.ok()) return Fail("Kafka producer: " + std::string(writer.status().message()));
  dyad::ingest::Publisher publisher(*std::move(writer), dedup_capacity);

  dyad::ingest::ServiceOptions service_options;
  service_options.build.max_article_bytes = max_article_bytes;
  service_options.workers = workers;
  if (!metrics_listen.empty()) service_options.metrics = &registry;
  dyad::ingest::IngestServiceImpl service(publisher, service_options);

  dyad::rpc::ServerOptions server_options;
  server_options.listen = listen;
  server_options.tls = tls;
  if (rpc_metrics != nullptr) server_options.interceptors = rpc_metrics->InterceptorFactories();
  // A request holds the text plus its metadata; let gRPC accept what the validator would.
  server_options.max_receive_bytes = static_cast<int>(std::max<std::size_t>(
      static_cast<std::size_t>(server_options.max_receive_bytes), max_article_bytes + 256 * 1024));
  dyad::core::InstallShutdownHandlers();
  auto server = dyad::rpc::StartServer(server_options, {&service});
  if (!server.ok()) return Fail(std::string(server.status().message()));
  // Declared after the service: stopped before it is destroyed (its callbacks read its stats).
  std::unique_ptr<dyad::metrics::MetricsServer> metrics_server;
  if (!metrics_listen.empty()) {
    auto started = dyad::metrics::MetricsServer::Start({.listen = metrics_listen}, registry);
    if (!started.ok()) return Fail("--metrics-listen: " + std::string(started.status().message()));
    metrics_server = std::move(*started);
    spdlog::info("dyad-ingest metrics on http://{}/metrics", metrics_server->address());
  }
  spdlog::info("dyad-ingest: publishing to {} on {}", topic.name, client.brokers);
  std::printf("dyad-ingest listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  while (!dyad::core::WaitForShutdown(std::chrono::seconds(1))) {
  }
  spdlog::info("dyad-ingest: shutting down");
  // New calls get UNAVAILABLE; records in flight get --flush-timeout-ms to be acknowledged, then
  // their calls get UNAVAILABLE too (every caller hears of its article: nothing is dropped
  // silently). Then the server stops (the calls are finished by now) and the workers join.
  service.StopAccepting();
  const int left = publisher.Close(std::chrono::milliseconds(flush_timeout_ms));
  if (left > 0) {
    spdlog::warn(
        "dyad-ingest: {} records were not delivered: Kafka did not acknowledge them within "
        "--flush-timeout-ms={} (their callers got UNAVAILABLE and may retry)",
        left, flush_timeout_ms);
  }
  (*server)->Shutdown(std::chrono::seconds(5));
  service.Shutdown();
  const auto& stats = service.stats();
  spdlog::info("dyad-ingest: stopped ({} published, {} duplicates, {} rejected, {} failed)",
               stats.published.load(), stats.duplicates.load(), stats.rejected.load(),
               stats.failed.load());
  return 0;
}
