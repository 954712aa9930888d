// dyad-test-broker: an embedded Kafka broker (librdkafka's mock cluster) for the client tests in
// other languages (tests/clients/*), which cannot start one themselves.
//
//   dyad-test-broker [--partitions N]
//
// Prints "brokers HOST:PORT" and flushes, then reads stdin one line at a time: each line is a
// dyad.v1.Event in protobuf JSON ({"id": "...", "source": {"code": "USAGOV"}, ...}), produced to
// dyad.events.v1 with key "<source>><target>"; the answer is "ok <id>" once the broker
// acknowledged it, or "error <message>". Empty lines and lines starting with '#' are skipped.
// Exits 0 at end of input (the broker and its data go away).
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "dyad/core/logging.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/v1/event.pb.h"

int main(int argc, char** argv) {
  int partitions = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--partitions" && i + 1 < argc) {
      partitions = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: dyad-test-broker [--partitions N] < events.jsonl\n");
      return 1;
    }
  }
  // Logs on stderr: stdout is the protocol.
  if (auto status = dyad::core::InitLogging("warn"); !status.ok()) return 1;
  auto broker = dyad::kafka::EmbeddedBroker::Start(1);
  if (!broker.ok()) {
    std::fprintf(stderr, "dyad-test-broker: %s\n", broker.status().ToString().c_str());
    return 1;
  }
  if (auto status = (*broker)->CreateTopic({dyad::kafka::kEventsTopic, partitions, 1});
      !status.ok()) {
    std::fprintf(stderr, "dyad-test-broker: %s\n", status.ToString().c_str());
    return 1;
  }
  dyad::kafka::ProducerOptions options;
  options.client.brokers = (*broker)->bootstrap_servers();
  auto producer = dyad::kafka::Producer::Create(options);
  if (!producer.ok()) {
    std::fprintf(stderr, "dyad-test-broker: %s\n", producer.status().ToString().c_str());
    return 1;
  }
  std::printf("brokers %s\n", (*broker)->bootstrap_servers().c_str());
  std::fflush(stdout);

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty() || line[0] == '#') continue;
    dyad::v1::Event event;
    if (auto status = google::protobuf::util::JsonStringToMessage(line, &event); !status.ok()) {
      std::printf("error not a dyad.v1.Event in JSON: %s\n", status.ToString().c_str());
      std::fflush(stdout);
      continue;
    }
    const std::string key = event.source().code() + ">" + event.target().code();
    auto report = (*producer)->ProduceSync(dyad::kafka::kEventsTopic, key,
                                           event.SerializeAsString(), std::chrono::seconds(10));
    if (!report.ok() || !report->status.ok()) {
      std::printf("error %s\n",
                  (!report.ok() ? report.status() : report->status).ToString().c_str());
    } else {
      std::printf("ok %s\n", event.id().c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}
