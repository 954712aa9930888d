// dyad broker / up: the embedded broker alone, or the whole pipeline on this machine.
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "dyad/core/shutdown.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/topics.h"
#include "pipeline.h"

namespace dyad::cli {

void RegisterBroker(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "broker",
      "Run the embedded Kafka-protocol broker (librdkafka's mock cluster) until Ctrl-C; prints "
      "its bootstrap servers. Nothing persists.");
  auto brokers = std::make_shared<int>(1);
  auto partitions = std::make_shared<int>(3);
  command->add_option("--brokers", *brokers, "number of brokers")->check(CLI::Range(1, 9));
  command->add_option("--partitions", *partitions, "partitions of dyad's topics")
      ->envname("DYAD_PARTITIONS")
      ->check(CLI::Range(1, 1000));
  command->callback([=, &exit_code] {
    auto broker = kafka::EmbeddedBroker::Start(*brokers);
    if (!broker.ok()) {
      std::cerr << "dyad broker: " << broker.status().message() << "\n";
      exit_code = 1;
      return;
    }
    for (const char* topic :
         {kafka::kArticlesTopic, kafka::kEventsTopic, kafka::kArticlesDlqTopic}) {
      if (auto status = (*broker)->CreateTopic({topic, *partitions, 1}); !status.ok()) {
        std::cerr << "dyad broker: " << status.message() << "\n";
        exit_code = 1;
        return;
      }
    }
    std::printf("dyad broker listening on %s\n", (*broker)->bootstrap_servers().c_str());
    std::fflush(stdout);
    core::InstallShutdownHandlers();
    while (!core::WaitForShutdown(std::chrono::hours(1))) {
    }
    exit_code = 0;
  });
}

void RegisterUp(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "up",
      "Run the whole pipeline here: embedded broker, dyad-ingest, dyad-extractor, dyad-query on "
      "loopback ports, until Ctrl-C");
  auto options = std::make_shared<PipelineOptions>();
  command->add_option("--ingest-listen", options->ingest_listen, "dyad-ingest address");
  command->add_option("--query-listen", options->query_listen, "dyad-query address");
  command->add_option("--extractors", options->extractors, "extractor replicas")
      ->check(CLI::Range(1, 16));
  command->add_option("--partitions", options->partitions, "partitions per topic")
      ->check(CLI::Range(1, 1000));
  command->callback([=, &exit_code] {
    core::InstallShutdownHandlers();
    auto pipeline = Pipeline::Start(*options);
    if (!pipeline.ok()) {
      std::cerr << "dyad up: " << pipeline.status().message() << "\n";
      exit_code = 1;
      return;
    }
    std::printf(
        "dyad is up (embedded broker: nothing persists across restarts)\n"
        "  kafka      %s\n  ingest     %s   (dyad ingest PATH...)\n"
        "  query      %s   (dyad relation PAK USA, dyad events, dyad dyads)\n"
        "Ctrl-C stops everything.\n",
        (*pipeline)->brokers().c_str(), (*pipeline)->ingest_address().c_str(),
        (*pipeline)->query_address().c_str());
    std::fflush(stdout);
    exit_code = 0;
    while (!core::WaitForShutdown(std::chrono::milliseconds(500))) {
      if (auto dead = (*pipeline)->DeadChild(); !dead.empty()) {
        std::cerr << "dyad up: " << dead << " exited; stopping the pipeline\n";
        exit_code = 1;
        break;
      }
    }
    (*pipeline)->Stop();
  });
}

}  // namespace dyad::cli
