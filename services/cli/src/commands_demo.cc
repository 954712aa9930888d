// dyad demo: the whole pipeline over the example articles, then the relations it found.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "commands.h"
#include "dyad/core/config.h"
#include "dyad/kafka/offsets.h"
#include "dyad/kafka/topics.h"
#include "ingest_client.h"
#include "pipeline.h"
#include "query_client.h"

namespace dyad::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The seed article states no date; it was published on this day.
constexpr char kSeedPublishedAt[] = "2025-09-14";

std::string SharedDir() { return core::EnvOr("DYAD_SHARED_DIR", DYAD_DEFAULT_SHARED_DIR); }

int64_t TotalEvents(QueryClient& client) {
  auto counts = client.CountDyads({});
  if (!counts.ok()) return -1;
  int64_t total = 0;
  for (const auto& [dyad, n] : *counts) total += n;
  return total;
}

// Waits until the extractors have committed every article and dyad-query shows every event
// record (or, when duplicates collapse, until its count stops moving). Prints progress.
absl::Status WaitUntilProcessed(const Pipeline& pipeline, QueryClient& query) {
  const kafka::ClientConfig client{.brokers = pipeline.brokers()};
  const auto deadline = std::chrono::steady_clock::now() + seconds(300);
  int64_t last_lag = -1;
  while (true) {
    auto lag = kafka::ConsumerGroupLag(client, "dyad-extractor", kafka::kArticlesTopic);
    if (!lag.ok()) return lag.status();
    if (*lag == 0) break;
    if (*lag != last_lag) std::cerr << "  extractor: " << *lag << " articles to go\n";
    last_lag = *lag;
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError("the extractor did not catch up in 5 minutes");
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  auto records = kafka::TopicRecordCount(client, kafka::kEventsTopic);
  if (!records.ok()) return records.status();
  int64_t shown = -1;
  auto stable_since = std::chrono::steady_clock::now();
  while (true) {
    const int64_t now_shown = TotalEvents(query);
    if (now_shown >= *records) return absl::OkStatus();
    if (now_shown != shown) {
      shown = now_shown;
      stable_since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - stable_since > seconds(3)) {
      return absl::OkStatus();  // duplicates collapsed by event id: fewer events than records
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError("dyad-query did not catch up in 5 minutes");
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
}

void PrintDemo(QueryClient& query, std::ostream& out) {
  out << "\n== How are Pakistan and the US getting on? ==\n\n";
  for (const auto& [source, target, both] :
       {std::tuple{"PAK", "USA", true}, std::tuple{"USA", "PAK", false},
        std::tuple{"PAK", "USA", false}}) {
    dyad::v1::GetRelationRequest request;
    request.set_source(source);
    request.set_target(target);
    request.set_both_directions(both);
    request.set_bucket(dyad::v1::BUCKET_MONTH);
    auto relation = query.GetRelation(request);
    if (!relation.ok()) {
      out << relation.status().message() << "\n";
      return;
    }
    PrintRelation(out,
                  both ? "PAK <-> USA, by month (quad classes: v.coop verbal cooperation, "
                         "m.coop material cooperation, v.conf / m.conf conflict)"
                       : fmt::format("{} -> {}", source, target),
                  *relation);
    out << "\n";
  }
  out << "Why: the events behind it, newest first\n";
  dyad::v1::ListEventsRequest why;
  why.set_actor("PAK");
  why.set_page_size(1000);
  auto events = query.ListEvents(why);
  if (events.ok()) {
    dyad::v1::ListEventsResponse pak_usa;
    for (const auto& e : events->events()) {
      const bool usa = e.source().country() == "USA" || e.target().country() == "USA";
      if (usa && pak_usa.events_size() < 15) *pak_usa.add_events() = e;
    }
    PrintEvents(out, pak_usa);
  }

  out << "\n== Other dyads found ==\n";
  auto counts = query.CountDyads({});
  if (!counts.ok()) return;
  PrintDyads(out, *counts, 20);
  out << fmt::format("({} directed dyads in all; `dyad relation A B` for any of them)\n",
                     counts->size());
}

}  // namespace

void RegisterDemo(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "demo",
      "Run the pipeline on the embedded broker over the example articles (or PATH...), print the "
      "Pakistan-US relation and the other dyads found, then stop");
  auto paths = std::make_shared<std::vector<std::string>>();
  command->add_option("PATH", *paths,
                      "article files or folders (default: the seed article and the VOA news in "
                      "$DYAD_SHARED_DIR)");
  command->callback([=, &exit_code] {
    std::vector<std::string> inputs = *paths;
    if (inputs.empty()) {
      inputs = {SharedDir() + "/examples", SharedDir() + "/reference/news/voa_articles.jsonl"};
    }
    // Quiet services: the demo prints its own progress and results.
    PipelineOptions options{.ingest_listen = "127.0.0.1:0",
                            .query_listen = "127.0.0.1:0",
                            .extra_args = {"--log-level=warn"}};
    std::cerr << "starting the embedded broker, dyad-query, dyad-extractor, dyad-ingest\n";
    auto pipeline = Pipeline::Start(options);
    if (!pipeline.ok()) {
      std::cerr << "dyad demo: " << pipeline.status().message() << "\n";
      exit_code = 1;
      return;
    }
    ingest::IngestFilesOptions ingest_options;
    ingest_options.read.published_at = *ParsePublishedAt(kSeedPublishedAt);
    std::cerr << "ingesting";
    for (const auto& p : inputs) std::cerr << " " << p;
    std::cerr << " (files without a date: published " << kSeedPublishedAt << ")\n";
    const auto summary = ingest::IngestFiles(inputs, ingest_options,
                                             GrpcRecordPublisher((*pipeline)->ingest_address()));
    const int ingest_code = ReportIngest(summary, std::cerr);
    if (!summary.status.ok() || summary.published + summary.duplicates == 0) {
      exit_code = 1;
      return;
    }
    QueryClient query((*pipeline)->query_address());
    if (auto status = WaitUntilProcessed(**pipeline, query); !status.ok()) {
      std::cerr << "dyad demo: " << status.message() << "\n";
      exit_code = 1;
      return;
    }
    PrintDemo(query, std::cout);
    (*pipeline)->Stop();
    exit_code = ingest_code;
  });
}

}  // namespace dyad::cli
