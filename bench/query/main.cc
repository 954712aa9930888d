// dyad-bench-query: the state and the helpers for benchmarking dyad-query's GetRelation with ghz
// (bench/query/run.sh drives it; bench/README.md has the numbers).
//
//   generate  writes a dyad-query --state-dir (RocksDB, DurableStore) holding synthetic mentions:
//             200 countries x 2 years, a few heavy dyads and a long tail, several mentions per
//             event, actor roles, CAMEO codes with their Goldstein scores and quad classes.
//   broker    runs an embedded Kafka broker (librdkafka's mock cluster) with an empty events
//             topic, so the real dyad-query binary can start on that state and serve it.
//   probe     calls GetRelation (the benchmark's request) and prints what came back.
//   load      drives GetRelation with a C++ client (generated stubs, callback API) to compare
//             with ghz: how much of a ghz number is the client.
//
//   cmake --preset release && cmake --build build/release --target dyad-bench-query dyad-query
//   bench/query/run.sh        # generate, serve, ghz: the numbers in bench/README.md
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dyad/core/data_dir.h"
#include "dyad/core/dates.h"
#include "dyad/core/shutdown.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/topics.h"
#include "dyad/relations/durable_store.h"
#include "dyad/relations/names.h"
#include "dyad/relations/relation_store.h"
#include "dyad/v1/event.pb.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
using dyad::relations::DurableStore;
using dyad::relations::RelationStore;

struct GenerateOptions {
  std::string state_dir;
  std::string topic = dyad::kafka::kEventsTopic;
  std::string data_dir;
  int countries = 200;
  std::string first_day = "2024-01-01";
  int days = 731;
  int events_per_day = 1500;
  double mentions_per_event = 3.0;
  double country_skew = 1.0;
  uint64_t seed = 1;
  int batch = 5000;
};

// The countries that lead the activity ranking (the heavy dyads are among them), then the rest of
// countries.txt in file order.
const char* const kLeaders[] = {"USA", "CHN", "RUS", "UKR", "ISR", "PSE", "GBR", "IND",
                                "PAK", "IRN", "FRA", "DEU", "JPN", "TUR", "KOR", "PRK",
                                "SYR", "SAU", "EGY", "AFG", "IRQ", "TWN", "BRA", "NGA",
                                "ZAF", "MEX", "CAN", "AUS", "ITA", "ESP"};

// Roles an actor code carries after its country, with their shares ("" = the country itself).
const std::pair<const char*, double> kRoles[] = {{"", 0.40},    {"GOV", 0.30}, {"MIL", 0.10},
                                                 {"BUS", 0.05}, {"MED", 0.05}, {"CVL", 0.04},
                                                 {"OPP", 0.03}, {"LEG", 0.03}};

// Base codes news coding produces most (statements, consultations, visits, accusations, force),
// with weights; every other 3-digit code of the CAMEO table gets weight 1.
const std::pair<const char*, double> kCommonCodes[] = {
    {"010", 120}, {"020", 25}, {"036", 30}, {"040", 40}, {"042", 45}, {"043", 35}, {"046", 20},
    {"051", 30},  {"057", 12}, {"061", 10}, {"070", 8},  {"071", 6},  {"111", 15}, {"112", 40},
    {"120", 12},  {"130", 10}, {"138", 8},  {"141", 10}, {"163", 6},  {"172", 8},  {"173", 15},
    {"190", 30},  {"193", 15}, {"195", 8},  {"180", 10}};

struct Code {
  std::string code;
  std::string root;
  int quad = 0;
  double goldstein = 0;
};

absl::StatusOr<std::vector<std::string>> LoadCountries(const std::string& data_dir, int count) {
  const fs::path path = fs::path(data_dir) / "dictionaries" / "countries.txt";
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError("cannot read " + path.string() + "; give --data-dir (dyad's data/)");
  }
  std::vector<std::string> codes(std::begin(kLeaders), std::end(kLeaders));
  std::string line;
  while (std::getline(in, line) && static_cast<int>(codes.size()) < count) {
    if (line.empty() || line[0] == '#') continue;
    std::string code = line.substr(0, line.find('|'));
    code.erase(std::remove(code.begin(), code.end(), ' '), code.end());
    if (code.size() == 3 && std::find(codes.begin(), codes.end(), code) == codes.end()) {
      codes.push_back(code);
    }
  }
  if (static_cast<int>(codes.size()) < count) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), " holds ", codes.size(),
                                                   " countries; --countries asks for ", count));
  }
  codes.resize(static_cast<std::size_t>(count));
  return codes;
}

absl::StatusOr<std::vector<Code>> LoadCodes(const std::string& data_dir) {
  const fs::path path = fs::path(data_dir) / "cameo" / "cameo_eventcodes.tsv";
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError("cannot read " + path.string() + "; give --data-dir (dyad's data/)");
  }
  std::vector<Code> codes;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string code, name, goldstein, quad;
    std::getline(fields, code, '\t');
    std::getline(fields, name, '\t');
    std::getline(fields, goldstein, '\t');
    std::getline(fields, quad, '\t');
    if (code.size() != 3) continue;
    codes.push_back(
        {code, code.substr(0, 2), std::atoi(quad.c_str()), std::atof(goldstein.c_str())});
  }
  if (codes.empty()) return absl::InvalidArgumentError(path.string() + " holds no 3-digit codes");
  return codes;
}

std::string Hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

int Generate(const GenerateOptions& options) {
  const std::string data_dir =
      options.data_dir.empty() ? dyad::core::DefaultDataDir() : options.data_dir;
  auto countries = LoadCountries(data_dir, options.countries);
  auto codes = LoadCodes(data_dir);
  const auto first = dyad::core::ParseIsoDate(options.first_day);
  if (!countries.ok() || !codes.ok() || !first) {
    std::fprintf(stderr, "dyad-bench-query generate: %s\n",
                 !countries.ok() ? std::string(countries.status().message()).c_str()
                 : !codes.ok()   ? std::string(codes.status().message()).c_str()
                                 : "--first-day is not YYYY-MM-DD");
    return 1;
  }
  if (fs::exists(options.state_dir) && !fs::is_empty(options.state_dir)) {
    std::fprintf(
        stderr, "dyad-bench-query generate: %s is not empty; give a new directory (or remove it)\n",
        options.state_dir.c_str());
    return 1;
  }
  const int64_t first_day = dyad::core::DaysFromCivil(*first);

  std::mt19937_64 random(options.seed);
  std::vector<double> country_weights;
  for (int i = 0; i < options.countries; ++i) {
    country_weights.push_back(1.0 / std::pow(i + 1.0, options.country_skew));
  }
  std::discrete_distribution<int> pick_country(country_weights.begin(), country_weights.end());
  std::vector<double> role_weights;
  for (const auto& [role, share] : kRoles) role_weights.push_back(share);
  std::discrete_distribution<int> pick_role(role_weights.begin(), role_weights.end());
  // Codes split by side: cooperation (quad 1, 2) and conflict (3, 4), each with its weights, so
  // the conflict share can drift over time per dyad.
  std::vector<int> coop_codes, conflict_codes;
  std::vector<double> coop_weights, conflict_weights;
  for (int i = 0; i < static_cast<int>(codes->size()); ++i) {
    double weight = 1;
    for (const auto& [code, w] : kCommonCodes) {
      if ((*codes)[static_cast<std::size_t>(i)].code == code) weight = w;
    }
    if ((*codes)[static_cast<std::size_t>(i)].quad <= 2) {
      coop_codes.push_back(i);
      coop_weights.push_back(weight);
    } else {
      conflict_codes.push_back(i);
      conflict_weights.push_back(weight);
    }
  }
  std::discrete_distribution<int> pick_coop(coop_weights.begin(), coop_weights.end());
  std::discrete_distribution<int> pick_conflict(conflict_weights.begin(), conflict_weights.end());
  std::vector<double> publisher_weights;
  for (int i = 0; i < 500; ++i) publisher_weights.push_back(1.0 / (i + 1.0));
  std::discrete_distribution<int> pick_publisher(publisher_weights.begin(),
                                                 publisher_weights.end());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 1.0);
  // Mentions per event: 1 + geometric, mean options.mentions_per_event.
  std::geometric_distribution<int> extra_mentions(1.0 / std::max(1.0, options.mentions_per_event));

  dyad::relations::DurableStoreOptions store_options{.dir = options.state_dir,
                                                     .topic = options.topic};
  RelationStore memory;
  auto store = DurableStore::Open(store_options, memory);
  if (!store.ok()) {
    std::fprintf(stderr, "dyad-bench-query generate: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  int64_t events = 0, mentions = 0, article = 0;
  std::map<std::pair<int, int>, int64_t> dyad_events;  // country indexes → events
  auto batch = (*store)->NewBatch();
  auto commit = [&]() -> bool {
    if (batch.empty()) return true;
    if (auto status = (*store)->Commit(std::move(batch)); !status.ok()) {
      std::fprintf(stderr, "dyad-bench-query generate: %s\n", status.ToString().c_str());
      return false;
    }
    batch = (*store)->NewBatch();
    return true;
  };
  for (int d = 0; d < options.days; ++d) {
    const int64_t day = first_day + d;
    const std::string date = dyad::core::FormatIsoDate(dyad::core::CivilFromDays(day));
    // Weekends are quieter.
    const int weekday = dyad::core::Weekday(day);
    const int todays = weekday >= 5 ? options.events_per_day * 2 / 3 : options.events_per_day;
    for (int e = 0; e < todays; ++e) {
      const int s = pick_country(random);
      int t = pick_country(random);
      while (t == s) t = pick_country(random);
      ++dyad_events[{s, t}];
      const std::string& sc = (*countries)[static_cast<std::size_t>(s)];
      const std::string& tc = (*countries)[static_cast<std::size_t>(t)];
      const char* s_role = kRoles[pick_role(random)].first;
      const char* t_role = kRoles[pick_role(random)].first;
      // Each ordered pair of countries drifts between cooperation and conflict on its own
      // half-year cycle.
      const double phase = static_cast<double>((s * 7919 + t * 104729) % 628) / 100.0;
      const double conflict_share =
          0.35 + 0.25 * std::sin(6.2832 * static_cast<double>(d) / 182.0 + phase);
      const bool conflict = unit(random) < conflict_share;
      const Code& code = (*codes)[static_cast<std::size_t>(
          conflict ? conflict_codes[static_cast<std::size_t>(pick_conflict(random))]
                   : coop_codes[static_cast<std::size_t>(pick_coop(random))])];
      const std::string place_country = unit(random) < 0.5 ? sc : tc;
      const std::string place = place_country + " city " + std::to_string(random() % 4);
      const int n = 1 + std::min(extra_mentions(random), 199);
      ++events;
      for (int m = 0; m < n; ++m) {
        dyad::v1::Event mention;
        mention.set_id("e-" + Hex(random()));
        // A few mentions come from the same article as the previous one (a round-up piece).
        if (m == 0 || unit(random) > 0.1) ++article;
        const int publisher = pick_publisher(random);
        mention.set_article_id("u-" + Hex(static_cast<uint64_t>(article) * 2654435761u));
        mention.set_publisher("publisher" + std::to_string(publisher) + ".example");
        mention.set_article_url("https://publisher" + std::to_string(publisher) + ".example/" +
                                date + "/" + Hex(static_cast<uint64_t>(article)));
        mention.mutable_published_at()->set_seconds(day * 86400 +
                                                    static_cast<int64_t>(random() % (2 * 86400)));
        const std::string sentence = "Officials of " + sc + " and " + tc + " were reported to " +
                                     (conflict ? "clash over" : "agree on") + " the matter in " +
                                     place + ", according to " + mention.publisher() + ".";
        const int32_t sentence_begin = static_cast<int32_t>(random() % 4000);
        mention.set_sentence(sentence);
        mention.set_sentence_index(static_cast<int32_t>(random() % 40));
        mention.set_sentence_begin(sentence_begin);
        mention.set_sentence_end(sentence_begin + static_cast<int32_t>(sentence.size()));
        mention.set_trigger_begin(sentence_begin + 35);
        mention.set_trigger_end(sentence_begin + 45);
        mention.mutable_date()->set_date(date);
        mention.mutable_date()->set_granularity(dyad::v1::DATE_GRANULARITY_DAY);
        auto* source = mention.mutable_source();
        source->set_code(sc + s_role);
        source->set_country(sc);
        if (*s_role != '\0') source->add_roles(s_role);
        auto* target = mention.mutable_target();
        target->set_code(tc + t_role);
        target->set_country(tc);
        if (*t_role != '\0') target->add_roles(t_role);
        mention.set_code(code.code);
        mention.set_base_code(code.code);
        mention.set_root_code(code.root);
        mention.set_quad_class(code.quad);
        mention.set_goldstein(code.goldstein);
        mention.mutable_place()->set_name(place);
        mention.mutable_place()->set_country(place_country);
        mention.set_tone(std::clamp((conflict ? -2.0 : 1.0) + 1.5 * noise(random), -10.0, 10.0));
        mention.set_confidence(0.4 + 0.6 * unit(random));
        mention.set_coder_version("dyad-bench-query");
        std::string why;
        if (batch.Add(mention, &why) == dyad::relations::EventOutcome::kRejected) {
          std::fprintf(stderr, "dyad-bench-query generate: a generated mention was rejected: %s\n",
                       why.c_str());
          return 1;
        }
        ++mentions;
        if (batch.new_events() >= options.batch && !commit()) return 1;
      }
    }
    if ((d + 1) % 61 == 0 || d + 1 == options.days) {
      std::fprintf(stderr, "  %s: %lld events, %lld mentions (%.0f s)\n", date.c_str(),
                   static_cast<long long>(events), static_cast<long long>(mentions),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  if (!commit()) return 1;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto stats = memory.Stats();
  std::printf(
      "state: %s\n  %d countries, %d days from %s: %lld generated events, %lld mentions; "
      "the store holds %lld mentions, %lld de-duplicated events, %lld dyads (actor codes), "
      "%lld actors\n  written in %.1f s; %lld bytes on disk\n",
      options.state_dir.c_str(), options.countries, options.days, options.first_day.c_str(),
      static_cast<long long>(events), static_cast<long long>(mentions),
      static_cast<long long>(stats.events), static_cast<long long>(stats.deduplicated_events),
      static_cast<long long>(stats.dyads), static_cast<long long>(stats.actors), seconds,
      static_cast<long long>((*store)->DiskBytes()));
  std::vector<std::pair<int64_t, std::pair<int, int>>> heavy;
  for (const auto& [pair, n] : dyad_events) heavy.emplace_back(n, pair);
  std::sort(heavy.rbegin(), heavy.rend());
  std::printf("  heaviest country dyads (generated events):");
  for (std::size_t i = 0; i < heavy.size() && i < 6; ++i) {
    std::printf(" %s->%s %lld",
                (*countries)[static_cast<std::size_t>(heavy[i].second.first)].c_str(),
                (*countries)[static_cast<std::size_t>(heavy[i].second.second)].c_str(),
                static_cast<long long>(heavy[i].first));
  }
  std::printf("\n  country dyads with events: %zu of %d\n", dyad_events.size(),
              options.countries * (options.countries - 1));
  return 0;
}

int Broker() {
  auto broker = dyad::kafka::EmbeddedBroker::Start(1);
  if (!broker.ok()) {
    std::fprintf(stderr, "dyad-bench-query broker: %s\n", broker.status().ToString().c_str());
    return 1;
  }
  if (auto status = (*broker)->CreateTopic({dyad::kafka::kEventsTopic, 1, 1}); !status.ok()) {
    std::fprintf(stderr, "dyad-bench-query broker: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("dyad-bench-query broker listening on %s\n", (*broker)->bootstrap_servers().c_str());
  std::fflush(stdout);
  dyad::core::InstallShutdownHandlers();
  while (!dyad::core::WaitForShutdown(std::chrono::hours(1))) {
  }
  return 0;
}

int Probe(const std::string& server, const dyad::v1::GetRelationRequest& request) {
  const std::string& source = request.source();
  const std::string& target = request.target();
  const std::string& from = request.from();
  const std::string& to = request.to();
  auto stub = dyad::v1::RelationsService::NewStub(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  dyad::v1::GetRelationResponse response;
  double best_ms = 1e9;
  double first_ms = 0;
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status status = stub->GetRelation(&context, request, &response);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!status.ok()) {
      std::fprintf(stderr, "dyad-bench-query probe: GetRelation at %s: %s\n", server.c_str(),
                   status.error_message().c_str());
      return 1;
    }
    if (i == 0) {
      first_ms = ms;
    } else {
      best_ms = std::min(best_ms, ms);
    }
  }
  std::printf(
      "GetRelation %s -> %s %s..%s by %s, %s: %d buckets, %lld events, %lld mentions, %lld "
      "articles, %lld sources; response %zu bytes; first call %.3f ms (built, unless an earlier "
      "run left it in the server's cache), fastest of the next 19 %.3f ms\n",
      source.c_str(), target.c_str(), from.c_str(), to.c_str(),
      dyad::v1::Bucket_Name(request.bucket()).c_str(),
      dyad::v1::RelationDetail_Name(request.detail()).c_str(), response.buckets_size(),
      static_cast<long long>(response.total().events()),
      static_cast<long long>(response.total().mentions()),
      static_cast<long long>(response.total().articles()),
      static_cast<long long>(response.total().sources()), response.ByteSizeLong(), first_ms,
      best_ms);
  // What the bytes are: the response serialised again without each optional part.
  dyad::v1::GetRelationResponse lean = response;
  auto strip = [&](auto&& edit) {
    for (auto& b : *lean.mutable_buckets()) edit(b);
    return lean.ByteSizeLong();
  };
  const std::size_t full = response.ByteSizeLong();
  const std::size_t no_names = strip([](auto& b) {
    for (auto& c : *b.mutable_top_codes()) c.clear_name();
  });
  const std::size_t no_ids = strip([](auto& b) { b.clear_event_ids(); });
  const std::size_t no_top = strip([](auto& b) { b.clear_top_codes(); });
  const std::size_t no_roots = strip([](auto& b) { b.clear_root_codes(); });
  std::printf(
      "  bytes of the buckets' parts: top-code names %zu, exemplar ids %zu, top codes without "
      "names %zu, root-code maps %zu; the counts and dates %zu\n",
      full - no_names, no_names - no_ids, no_ids - no_top, no_top - no_roots, no_roots);
  if (response.buckets_size() == 0) {
    std::printf("  (no events: this measures the service without the relation's work)\n");
  }
  return 0;
}

struct LoadOptions {
  std::string server = "127.0.0.1:50052";
  int connections = 4;
  int concurrency = 50;
  double rate = 0;  // calls/s; 0 = closed loop
  double seconds = 20;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// A load generator with generated C++ stubs and gRPC's callback API, for comparison with ghz:
// closed loop (`concurrency` calls in flight, the next one issued from the completion) or open
// loop (a call every 1/rate s on schedule, latency measured from the scheduled time, so a slow
// server is not hidden by a client that waits; at most `concurrency` x 100 in flight). Every
// response is parsed into GetRelationResponse, as a real client would.
int Load(const LoadOptions& options, const dyad::v1::GetRelationRequest& request) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::unique_ptr<dyad::v1::RelationsService::Stub>> stubs;
  for (int i = 0; i < options.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per channel
    args.SetMaxReceiveMessageSize(64 << 20);
    stubs.push_back(dyad::v1::RelationsService::NewStub(
        grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(), args)));
  }
  struct Call {
    grpc::ClientContext context;
    dyad::v1::GetRelationResponse response;
    Clock::time_point scheduled;
  };
  std::mutex mu;
  std::condition_variable idle;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 20);
  int64_t errors = 0, in_flight = 0, issued = 0, not_sent = 0;
  std::string first_error;
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(options.seconds));
  std::function<void(Clock::time_point)> issue = [&](Clock::time_point scheduled) {
    auto* call = new Call;
    call->scheduled = scheduled;
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    int64_t n;
    {
      std::lock_guard lock(mu);
      n = issued++;
      ++in_flight;
    }
    stubs[static_cast<std::size_t>(n) % stubs.size()]->async()->GetRelation(
        &call->context, &request, &call->response, [&, call](grpc::Status status) {
          const auto done = Clock::now();
          const bool measured = call->scheduled < end;
          {
            std::lock_guard lock(mu);
            if (measured) {
              if (status.ok()) {
                latencies_ms.push_back(
                    std::chrono::duration<double, std::milli>(done - call->scheduled).count());
              } else {
                if (errors++ == 0) first_error = status.error_message();
              }
            }
            --in_flight;
          }
          delete call;
          if (options.rate <= 0 && !stop.load() && done < end) {
            issue(done);
          } else {
            idle.notify_all();
          }
        });
  };
  const double cpu_before = CpuSeconds();
  if (options.rate <= 0) {
    for (int i = 0; i < options.concurrency; ++i) issue(Clock::now());
  } else {
    const auto interval = std::chrono::duration<double>(1.0 / options.rate);
    for (int64_t i = 0;; ++i) {
      const auto at = start + std::chrono::duration_cast<Clock::duration>(interval * i);
      if (at >= end) break;
      std::this_thread::sleep_until(at);
      bool full;
      {
        std::lock_guard lock(mu);
        full = in_flight >= int64_t{options.concurrency} * 100;
      }
      if (full) {
        std::lock_guard lock(mu);
        ++not_sent;  // the server is that far behind: reported apart from the errors
        continue;
      }
      issue(at);
    }
  }
  std::this_thread::sleep_until(end);
  stop.store(true);
  {
    std::unique_lock lock(mu);
    // Every call has a 20 s deadline, so this ends; the callbacks use this frame.
    idle.wait(lock, [&] { return in_flight == 0; });
  }
  const double cpu = CpuSeconds() - cpu_before;
  std::lock_guard lock(mu);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return std::nan("");
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(latencies_ms.size())));
    return latencies_ms[std::max<std::size_t>(rank, 1) - 1];
  };
  const double ok = static_cast<double>(latencies_ms.size());
  std::string mode = "closed loop";
  if (options.rate > 0)
    mode = "open loop at " + std::to_string(std::lround(options.rate)) + " calls/s";
  std::string problems = "errors " + std::to_string(errors);
  if (!first_error.empty()) problems += " (first: " + first_error + ")";
  if (not_sent > 0) {
    problems += ", not sent " + std::to_string(not_sent) + " (over " +
                std::to_string(int64_t{options.concurrency} * 100) + " in flight)";
  }
  std::printf(
      "%s: %zu calls in %.1f s = %.0f calls/s; p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max "
      "%.1f ms; %s; client CPU %.1f s = %.3f ms per call\n",
      mode.c_str(), latencies_ms.size(), options.seconds, ok / options.seconds, pct(50), pct(99),
      pct(99.9), latencies_ms.empty() ? std::nan("") : latencies_ms.back(), problems.c_str(), cpu,
      ok > 0 ? 1000.0 * cpu / ok : std::nan(""));
  return errors == 0 && not_sent == 0 && !latencies_ms.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dyad-bench-query: state and helpers for the GetRelation benchmark (run.sh)"};
  app.require_subcommand(1);
  GenerateOptions options;
  auto* generate = app.add_subcommand("generate", "write a dyad-query state directory");
  generate->add_option("--state-dir", options.state_dir, "new directory to write")->required();
  generate->add_option("--topic", options.topic, "topic recorded in the state")
      ->capture_default_str();
  generate->add_option("--data-dir", options.data_dir,
                       "dyad's data/ (countries, CAMEO codes); default $DYAD_DATA_DIR or the "
                       "source tree's");
  generate->add_option("--countries", options.countries)
      ->check(CLI::Range(2, 250))
      ->capture_default_str();
  generate->add_option("--first-day", options.first_day)->capture_default_str();
  generate->add_option("--days", options.days)->check(CLI::Range(1, 20000))->capture_default_str();
  generate->add_option("--events-per-day", options.events_per_day, "generated events per weekday")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  generate->add_option("--mentions-per-event", options.mentions_per_event, "mean")
      ->check(CLI::Range(1.0, 100.0))
      ->capture_default_str();
  generate
      ->add_option("--country-skew", options.country_skew,
                   "Zipf exponent of country activity (0 = uniform)")
      ->check(CLI::Range(0.0, 3.0))
      ->capture_default_str();
  generate->add_option("--seed", options.seed)->capture_default_str();
  generate->add_option("--batch", options.batch, "mentions per WriteBatch")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_subcommand("broker", "run an embedded Kafka broker with an empty events topic");
  auto* probe = app.add_subcommand("probe", "call GetRelation and describe the answer");
  std::string server = "127.0.0.1:50052";
  std::string source = "USA", target = "CHN", from = "2025-01-01", to = "2025-12-31";
  std::string bucket = "day";
  const std::map<std::string, dyad::v1::Bucket> buckets = {{"day", dyad::v1::BUCKET_DAY},
                                                           {"week", dyad::v1::BUCKET_WEEK},
                                                           {"month", dyad::v1::BUCKET_MONTH},
                                                           {"year", dyad::v1::BUCKET_YEAR}};
  probe->add_option("--server", server)->capture_default_str();
  probe->add_option("--source", source)->capture_default_str();
  probe->add_option("--target", target)->capture_default_str();
  probe->add_option("--from", from)->capture_default_str();
  probe->add_option("--to", to)->capture_default_str();
  probe->add_option("--bucket", bucket)
      ->check(CLI::IsMember({"day", "week", "month", "year"}))
      ->capture_default_str();
  std::string detail = "full";
  probe->add_option("--detail", detail, "what each bucket carries: full or counts")
      ->check(CLI::IsMember({"full", "counts"}))
      ->capture_default_str();
  auto* load = app.add_subcommand("load", "drive GetRelation with a C++ client (compare ghz)");
  LoadOptions load_options;
  load->add_option("--server", load_options.server)->capture_default_str();
  load->add_option("--source", source)->capture_default_str();
  load->add_option("--target", target)->capture_default_str();
  load->add_option("--from", from)->capture_default_str();
  load->add_option("--to", to)->capture_default_str();
  load->add_option("--bucket", bucket)
      ->check(CLI::IsMember({"day", "week", "month", "year"}))
      ->capture_default_str();
  load->add_option("--detail", detail, "what each bucket carries: full or counts")
      ->check(CLI::IsMember({"full", "counts"}))
      ->capture_default_str();
  load->add_option("--connections", load_options.connections)
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  load->add_option("--concurrency", load_options.concurrency, "calls in flight (closed loop)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  load->add_option("--rate", load_options.rate, "calls/s on a fixed schedule (0: closed loop)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  load->add_option("--seconds", load_options.seconds)
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  dyad::v1::GetRelationRequest request;
  request.set_source(source);
  request.set_target(target);
  request.set_from(from);
  request.set_to(to);
  request.set_bucket(buckets.at(bucket));
  request.set_detail(detail == "counts" ? dyad::v1::RELATION_DETAIL_COUNTS
                                        : dyad::v1::RELATION_DETAIL_FULL);
  if (load->parsed()) return Load(load_options, request);
  if (generate->parsed()) return Generate(options);
  if (probe->parsed()) return Probe(server, request);
  return Broker();
}
