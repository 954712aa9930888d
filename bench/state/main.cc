// dyad-bench-state: dyad-query's durable state (libs/relations DurableStore on RocksDB): events
// committed per second in WriteBatches, bytes per event on disk, and the time to load the state
// into memory at start. Synthetic events over 20 dyads; build with the release preset:
//
//   cmake --preset release && cmake --build build/release --target dyad-bench-state
//   build/release/bench/state/dyad-bench-state --events 100000 --batch 2000
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "dyad/relations/durable_store.h"
#include "dyad/relations/relation_store.h"
#include "dyad/v1/event.pb.h"

namespace {

using dyad::relations::DurableStore;
using dyad::relations::RelationStore;

dyad::v1::Event MakeEvent(int64_t i) {
  static const char* const kSources[] = {"USAGOV", "PAKGOV", "INDMIL", "CHN", "RUSGOV"};
  static const char* const kTargets[] = {"PAKMIL", "USAGOV", "CHNGOV", "IND"};
  dyad::v1::Event e;
  e.set_id("e-" + std::to_string(i));
  e.set_article_id("a-" + std::to_string(i / 3));
  e.mutable_source()->set_code(kSources[i % 5]);
  e.mutable_source()->set_country(std::string(kSources[i % 5]).substr(0, 3));
  e.mutable_target()->set_code(kTargets[(i / 5) % 4]);
  e.mutable_target()->set_country(std::string(kTargets[(i / 5) % 4]).substr(0, 3));
  char date[16];
  std::snprintf(date, sizeof date, "2025-%02d-%02d", static_cast<int>(1 + (i / 7) % 12),
                static_cast<int>(1 + (i / 3) % 28));
  e.mutable_date()->set_date(date);
  e.set_quad_class(static_cast<int32_t>(1 + i % 4));
  e.set_goldstein(static_cast<double>(i % 21 - 10) * 0.7);
  e.set_tone(static_cast<double>(i % 13) * 0.31 - 2.0);
  e.set_code(i % 2 == 0 ? "041" : "190");
  e.set_sentence("The Secretary of State spoke with the Deputy Prime Minister, event " +
                 std::to_string(i) + ".");
  return e;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dyad-bench-state: commit rate, disk use and load time of dyad-query's state"};
  int64_t events = 100000;
  int64_t batch_size = 2000;
  app.add_option("--events", events, "events to commit")->check(CLI::Range(1, 100000000));
  app.add_option("--batch", batch_size, "events per WriteBatch")->check(CLI::Range(1, 1000000));
  CLI11_PARSE(app, argc, argv);

  std::random_device random;
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("dyad-bench-state-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  const dyad::relations::DurableStoreOptions options{.dir = dir.string(), .topic = "bench"};
  int status = 0;
  {
    RelationStore memory;
    auto store = DurableStore::Open(options, memory);
    if (!store.ok()) {
      std::fprintf(stderr, "dyad-bench-state: %s\n", store.status().ToString().c_str());
      return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    for (int64_t first = 0; first < events && status == 0; first += batch_size) {
      auto batch = (*store)->NewBatch();
      for (int64_t i = first; i < std::min(events, first + batch_size); ++i) {
        batch.Add(MakeEvent(i));
        batch.SetNextOffset(static_cast<int32_t>(i % 6), i / 6 + 1);
      }
      if (auto committed = (*store)->Commit(std::move(batch)); !committed.ok()) {
        std::fprintf(stderr, "dyad-bench-state: %s\n", committed.ToString().c_str());
        status = 1;
      }
    }
    const double seconds = SecondsSince(start);
    std::printf("commit: %lld events in %.2f s = %.0f events/s (WriteBatches of %lld)\n",
                static_cast<long long>(events), seconds, static_cast<double>(events) / seconds,
                static_cast<long long>(batch_size));
  }
  if (status == 0) {
    int64_t bytes = 0;
    {
      RelationStore memory;
      auto store = DurableStore::Open(options, memory);  // reopening flushes the WAL to SSTs
      if (store.ok()) bytes = (*store)->DiskBytes();
    }
    RelationStore memory;
    const auto start = std::chrono::steady_clock::now();
    auto store = DurableStore::Open(options, memory);
    const double seconds = SecondsSince(start);
    if (!store.ok()) {
      std::fprintf(stderr, "dyad-bench-state: %s\n", store.status().ToString().c_str());
      status = 1;
    } else {
      std::printf("serialised event: %zu bytes; on disk: %lld bytes = %.0f bytes/event\n",
                  MakeEvent(events / 2).SerializeAsString().size(), static_cast<long long>(bytes),
                  static_cast<double>(bytes) / static_cast<double>(events));
      std::printf("load: %lld events, %lld dyad-days in %.2f s\n",
                  static_cast<long long>((*store)->load_info().events),
                  static_cast<long long>((*store)->load_info().day_rows), seconds);
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return status;
}
