// dyad-bench-relations: the in-memory read model (libs/relations RelationStore) without gRPC:
// Apply rate, memory, and the latency of GetRelation over one year of daily buckets for one
// dyad, with state for many countries over two years loaded (issue 5's benchmark, in process).
// Synthetic mentions: `--countries` country codes with roles, `--mentions` spread over 2024-2025,
// a share of them (`--hot`) on USA↔PAK; mentions come in groups of 1..4 (wire copies) so the
// store de-duplicates. Build with the release preset:
//
//   cmake --preset release && cmake --build build/release --target dyad-bench-relations
//   build/release/bench/state/dyad-bench-relations --mentions 1000000
#include <google/protobuf/arena.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dyad/relations/relation_store.h"
#include "dyad/v1/event.pb.h"

namespace {

using dyad::relations::RelationStore;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

long RssKb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// Country i as three letters; USA and PAK are countries 0 and 1.
std::string Country(int i) {
  if (i == 0) return "USA";
  if (i == 1) return "PAK";
  std::string code(3, 'A');
  code[0] = static_cast<char>('A' + (i / 676) % 26);
  code[1] = static_cast<char>('A' + (i / 26) % 26);
  code[2] = static_cast<char>('A' + i % 26);
  if (code == "USA" || code == "PAK") code[0] = 'Z';
  return code;
}

struct Generator {
  int countries;
  double hot;
  std::mt19937_64 random{42};
  int64_t next_id = 0;
  int64_t next_article = 0;

  // One real event reported by 1..4 mentions.
  std::vector<dyad::v1::Event> Group() {
    static const char* const kRoles[] = {"", "GOV", "GOV", "MIL", "OPP"};
    static const char* const kCodes[] = {"010", "020", "036", "042", "043", "046", "051",
                                         "057", "061", "071", "111", "112", "120", "130",
                                         "138", "172", "173", "190", "193", "195"};
    std::uniform_real_distribution<double> unit(0, 1);
    int a = 0;
    int b = 1;
    if (unit(random) >= hot) {
      a = static_cast<int>(random() % static_cast<uint64_t>(countries));
      b = static_cast<int>(random() % static_cast<uint64_t>(countries));
    }
    if (unit(random) < 0.5) std::swap(a, b);
    const std::string source = Country(a) + kRoles[random() % 5];
    const std::string target = Country(b) + kRoles[random() % 5];
    const int64_t day = 19723 + static_cast<int64_t>(random() % 731);  // 2024-01-01 + 0..730
    const char* code = kCodes[random() % 20];
    const int quad = code[0] == '0' ? (code[1] < '6' ? 1 : 2) : (code[1] < '5' ? 3 : 4);
    const int mentions = 1 + static_cast<int>(random() % 4);
    std::vector<dyad::v1::Event> out;
    for (int m = 0; m < mentions; ++m) {
      dyad::v1::Event e;
      e.set_id("ev-" + std::to_string(next_id++));
      e.set_article_id("art-" + std::to_string(next_article++));
      e.set_publisher("pub-" + std::to_string(random() % 300));
      e.mutable_published_at()->set_seconds(day * 86400 + static_cast<int64_t>(random() % 86400));
      e.mutable_source()->set_code(source);
      e.mutable_source()->set_country(source.substr(0, 3));
      e.mutable_target()->set_code(target);
      e.mutable_target()->set_country(target.substr(0, 3));
      e.set_code(code);
      e.set_base_code(code);
      e.set_root_code(std::string(code, 2));
      e.set_quad_class(quad);
      e.set_goldstein(static_cast<double>(static_cast<int>(random() % 201) - 100) / 10);
      e.set_tone(unit(random) * 2 - 1);
      e.set_confidence(unit(random));
      e.mutable_place()->set_country(Country(b));
      e.set_sentence("A sentence of about the length news sentences have, reporting event " +
                     std::to_string(next_id) + ".");
      out.push_back(std::move(e));
    }
    return out;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dyad-bench-relations: Apply rate and GetRelation latency of the read model"};
  int64_t mentions = 1000000;
  int countries = 200;
  double hot = 0.02;
  int64_t queries = 20000;
  int threads = 2;
  app.add_option("--mentions", mentions, "mentions to apply")->check(CLI::Range(1, 100000000));
  app.add_option("--countries", countries, "countries")->check(CLI::Range(2, 17000));
  app.add_option("--hot", hot, "share of events on USA<->PAK")->check(CLI::Range(0.0, 1.0));
  app.add_option("--queries", queries, "GetRelation calls per measurement")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--threads", threads, "threads for the throughput run")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);

  Generator generator{countries, hot};
  std::vector<dyad::v1::Event> events;
  events.reserve(static_cast<std::size_t>(mentions));
  while (static_cast<int64_t>(events.size()) < mentions) {
    for (auto& e : generator.Group()) events.push_back(std::move(e));
  }
  events.resize(static_cast<std::size_t>(mentions));
  std::shuffle(events.begin(), events.end(), std::mt19937_64(7));  // arrival order is not time

  RelationStore store;
  const long rss_before = RssKb();
  auto started = Clock::now();
  double cpu = CpuSeconds();
  for (const auto& e : events) {
    if (auto applied = store.Apply(e); !applied.ok()) {
      std::fprintf(stderr, "dyad-bench-relations: %s\n", applied.status().ToString().c_str());
      return 1;
    }
  }
  double wall = SecondsSince(started);
  cpu = CpuSeconds() - cpu;
  const auto stats = store.Stats();
  events.clear();
  events.shrink_to_fit();
  std::printf(
      "apply: %lld mentions in %.2f s wall, %.2f s CPU = %.0f mentions/s (%.1f us CPU each)\n",
      static_cast<long long>(mentions), wall, cpu, static_cast<double>(mentions) / wall,
      cpu * 1e6 / static_cast<double>(mentions));
  std::printf("state: %lld mentions, %lld events, %lld dyads, %lld actors; RSS +%ld MB\n",
              static_cast<long long>(stats.events),
              static_cast<long long>(stats.deduplicated_events),
              static_cast<long long>(stats.dyads), static_cast<long long>(stats.actors),
              (RssKb() - rss_before) / 1024);

  for (const bool both : {false, true}) {
    dyad::v1::GetRelationRequest request;
    request.set_source("USA");
    request.set_target("PAK");
    request.set_from("2025-01-01");
    request.set_to("2025-12-31");
    request.set_bucket(dyad::v1::BUCKET_DAY);
    request.set_both_directions(both);
    auto first = store.GetRelation(request);
    if (!first.ok()) {
      std::fprintf(stderr, "dyad-bench-relations: %s\n", first.status().ToString().c_str());
      return 1;
    }
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(queries));
    started = Clock::now();
    cpu = CpuSeconds();
    for (int64_t i = 0; i < queries; ++i) {
      const auto t0 = Clock::now();
      auto r = store.GetRelation(request);
      micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      if (!r.ok()) return 1;
    }
    wall = SecondsSince(started);
    cpu = CpuSeconds() - cpu;
    std::sort(micros.begin(), micros.end());
    const auto at = [&](double q) {
      return micros[std::min(micros.size() - 1,
                             static_cast<std::size_t>(q * static_cast<double>(micros.size())))];
    };
    std::printf(
        "GetRelation USA%sPAK 2025 daily (%d buckets, %lld events, %lld mentions, %zu bytes): "
        "1 thread %.0f/s, %.1f us CPU each; p50 %.1f us, p99 %.1f us, max %.1f us\n",
        both ? "<>" : ">", first->buckets_size(), static_cast<long long>(first->total().events()),
        static_cast<long long>(first->total().mentions()), first->ByteSizeLong(),
        static_cast<double>(queries) / wall, cpu * 1e6 / static_cast<double>(queries), at(0.5),
        at(0.99), micros.back());

    // The same into a response on an arena (what a gRPC server with an arena allocator does).
    started = Clock::now();
    cpu = CpuSeconds();
    for (int64_t i = 0; i < queries; ++i) {
      google::protobuf::Arena arena;
      auto* response =
          google::protobuf::Arena::CreateMessage<dyad::v1::GetRelationResponse>(&arena);
      if (!store.GetRelationInto(request, response).ok()) return 1;
    }
    wall = SecondsSince(started);
    cpu = CpuSeconds() - cpu;
    std::printf("  on an arena: 1 thread %.0f/s, %.1f us CPU each\n",
                static_cast<double>(queries) / wall, cpu * 1e6 / static_cast<double>(queries));

    std::atomic<int64_t> done{0};
    std::vector<std::thread> pool;
    started = Clock::now();
    cpu = CpuSeconds();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        while (done.fetch_add(1) < queries) {
          if (!store.GetRelation(request).ok()) std::abort();
        }
      });
    }
    for (auto& t : pool) t.join();
    wall = SecondsSince(started);
    cpu = CpuSeconds() - cpu;
    std::printf("  %d threads: %.0f/s (%.1f us CPU each)\n", threads,
                static_cast<double>(queries) / wall, cpu * 1e6 / static_cast<double>(queries));
  }
  return 0;
}
