// The dyad-query executable as a child process: ready line, serving, flags, clean shutdown.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <tuple>

#include "dyad/core/subprocess.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/metrics/scrape.h"
#include "dyad/rpc/server.h"
#include "dyad/rpc/test_pki.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::query {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::MatchesRegex;

constexpr char kReadyPrefix[] = "dyad-query listening on ";
constexpr char kCaughtUpPrefix[] = "dyad-query caught up: ";

// A state directory under the temp dir, removed when it goes out of scope.
class StateDir {
 public:
  StateDir() {
    std::random_device random;
    path_ = (std::filesystem::temp_directory_path() /
             ("dyad-query-bin-" + std::to_string(getpid()) + "-" + std::to_string(random())))
                .string();
  }
  ~StateDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string flag() const { return "--state-dir=" + path_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<core::Subprocess> StartQuery(std::vector<std::string> args) {
  args.insert(args.begin(), DYAD_QUERY_BIN);
  auto child = core::Subprocess::Start(args);
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? std::move(*child) : nullptr;
}

TEST(QueryBinary, ServesAndStopsCleanlyOnSigterm) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  StateDir dir;
  auto child = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                           "--partitions=2", "--log-level=warn", dir.flag()});
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_THAT(*line, MatchesRegex("dyad-query listening on 127\\.0\\.0\\.1:[0-9]+"));
  const std::string address = line->substr(sizeof kReadyPrefix - 1);

  dyad::v1::Event event;
  event.set_id("e-bin-1");
  event.mutable_source()->set_code("USAGOV");
  event.mutable_target()->set_code("PAKGOV");
  event.mutable_date()->set_date("2025-09-13");
  event.set_quad_class(1);
  event.set_goldstein(1.0);
  kafka::ProducerOptions producer_options;
  producer_options.client.brokers = (*broker)->bootstrap_servers();
  auto producer = kafka::Producer::Create(producer_options);
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto report = (*producer)->ProduceSync(kafka::kEventsTopic, "USA>PAK", event.SerializeAsString(),
                                         seconds(10));
  ASSERT_TRUE(report.ok() && report->status.ok());

  auto stub = dyad::v1::RelationsService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  dyad::v1::GetRelationRequest request;
  request.set_source("USA");
  request.set_target("PAK");
  int64_t events = 0;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (events == 0 && std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(5));
    dyad::v1::GetRelationResponse response;
    auto status = stub->GetRelation(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    events = response.total().events();
    if (events == 0) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(events, 1);

  child->Signal(SIGTERM);
  auto code = child->Wait(seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

// --metrics-listen: the binary serves /metrics, and the numbers move as events arrive.
TEST(QueryBinary, ServesMetricsByFlag) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::string metrics_address = "127.0.0.1:" + std::to_string(metrics::FreeLoopbackPort());
  auto child =
      StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                  "--partitions=1", "--log-level=warn", "--metrics-listen=" + metrics_address});
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  auto before = metrics::HttpGet(metrics_address);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(metrics::FindSample(*before, "dyad_query_mentions_applied_total"), 0);
  EXPECT_TRUE(metrics::FindSample(*before, "process_resident_memory_bytes").has_value());

  dyad::v1::Event event;
  event.set_id("e-metrics-1");
  event.mutable_source()->set_code("USAGOV");
  event.mutable_target()->set_code("PAKGOV");
  event.mutable_date()->set_date("2025-09-13");
  event.set_quad_class(1);
  auto producer = kafka::Producer::Create({.client = {.brokers = (*broker)->bootstrap_servers()}});
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto report = (*producer)->ProduceSync(kafka::kEventsTopic, "USA>PAK", event.SerializeAsString(),
                                         seconds(10));
  ASSERT_TRUE(report.ok() && report->status.ok());
  std::optional<double> applied;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (applied != 1 && std::chrono::steady_clock::now() < deadline) {
    auto body = metrics::HttpGet(metrics_address);
    ASSERT_TRUE(body.ok()) << body.status();
    applied = metrics::FindSample(*body, "dyad_query_mentions_applied_total");
    if (applied != 1) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(applied, 1);

  child->Signal(SIGTERM);
  auto code = child->Wait(seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

TEST(QueryBinary, BadFlagsExitOne) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--partitions=0"},
           {"--no-such-flag"},
           {"--log-level=loud"},
           {"--kafka-config", "no-equals-sign"},
           // TLS: a certificate without its key, unreadable files, a client CA alone.
           {"--tls-cert=/etc/hostname"},
           {"--tls-cert=/nonexistent/server.pem", "--tls-key=/nonexistent/server.key"},
           {"--tls-client-ca=/etc/hostname"},
           {"--max-watchers=-1"},
           {"--metrics-listen=nocolon"},
           {"--metrics-listen=127.0.0.1:99999"},
       }) {
    auto child = StartQuery(args);
    ASSERT_NE(child, nullptr);
    auto code = child->Wait(seconds(20));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 1) << args[0];
  }
}

// --tls-cert/--tls-key/--tls-client-ca: the binary serves mutual TLS; plaintext clients and
// clients without a certificate signed by the client CA are refused at the handshake.
TEST(QueryBinary, ServesMutualTlsByFlags) {
  StateDir dir;
  auto pki = rpc::MakeTestPki(dir.path() + "-pki");
  if (!pki.ok()) GTEST_SKIP() << "no test certificates: " << pki.status();
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  auto child = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                           "--log-level=warn", dir.flag(), "--tls-cert=" + pki->server_cert,
                           "--tls-key=" + pki->server_key, "--tls-client-ca=" + pki->ca_cert});
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  const std::string address = line->substr(sizeof kReadyPrefix - 1);
  const auto list_actors = [&](const rpc::ClientTls& tls) {
    auto credentials = rpc::MakeChannelCredentials(tls);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    auto stub = dyad::v1::RelationsService::NewStub(grpc::CreateChannel(address, *credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(10));
    dyad::v1::ListActorsResponse response;
    return stub->ListActors(&context, dyad::v1::ListActorsRequest(), &response);
  };
  EXPECT_EQ(list_actors({}).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(list_actors({.ca_file = pki->ca_cert}).error_code(), grpc::StatusCode::UNAVAILABLE);
  const auto ok = list_actors(
      {.ca_file = pki->ca_cert, .cert_file = pki->client_cert, .key_file = pki->client_key});
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  child->Signal(SIGTERM);
  auto code = child->Wait(seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  std::filesystem::remove_all(dir.path() + "-pki");
}

TEST(QueryBinary, AddressInUseExitsOne) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  StateDir first_dir;
  StateDir second_dir;
  auto first = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                           "--log-level=warn", first_dir.flag()});
  ASSERT_NE(first, nullptr);
  auto line = first->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  auto second = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(),
                            "--listen=" + line->substr(sizeof kReadyPrefix - 1), "--log-level=warn",
                            second_dir.flag()});
  ASSERT_NE(second, nullptr);
  auto code = second->Wait(seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1);
}

TEST(QueryBinary, StateDirInUseOrOfAnotherTopicExitsOne) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  StateDir dir;
  auto first = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                           "--log-level=warn", dir.flag()});
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->ReadLine(seconds(60)).ok());
  // A second process on the same directory.
  auto second = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                            "--log-level=warn", dir.flag()});
  ASSERT_NE(second, nullptr);
  auto code = second->Wait(seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1);
  first->Signal(SIGTERM);
  ASSERT_TRUE(first->Wait(seconds(20)).ok());
  // The directory holds dyad.events.v1's state: another topic is refused.
  auto other = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                           "--log-level=warn", dir.flag(), "--events-topic=dyad.events.other"});
  ASSERT_NE(other, nullptr);
  code = other->Wait(seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1);
}

// Events of the kill test: 4 sources × 3 targets, spread over months.
dyad::v1::Event KillTestEvent(int i) {
  static const char* const kSources[] = {"USAGOV", "PAKGOV", "INDMIL", "CHN"};
  static const char* const kTargets[] = {"PAKMIL", "USA", "CHNGOV"};
  dyad::v1::Event e;
  e.set_id("k-" + std::to_string(i));
  e.mutable_source()->set_code(kSources[i % 4]);
  e.mutable_target()->set_code(kTargets[(i / 4) % 3]);
  e.mutable_date()->set_date("2025-0" + std::to_string(1 + i % 9) + "-2" + std::to_string(i % 8));
  e.set_quad_class(1 + i % 4);
  e.set_goldstein(static_cast<double>(i % 21 - 10) * 0.7);
  e.set_code(i % 3 == 0 ? "042" : "193");
  e.set_sentence("Sentence number " + std::to_string(i) + " of the kill test.");
  return e;
}

// Per (source country, target country): mentions are the records (each distinct id once);
// events are the de-duplicated groups (full dyad, base code, place, day), whose quad class is
// their representative's (smallest id) and whose Goldstein is the mean over their mentions.
struct PairTotals {
  int64_t mentions = 0;
  int64_t events = 0;
  int64_t verbal_cooperation = 0;
  double goldstein_sum = 0;
};

// GetRelation totals of every (source country, target country) pair of the kill test.
absl::StatusOr<std::map<std::string, PairTotals>> Totals(const std::string& address) {
  auto stub = dyad::v1::RelationsService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  std::map<std::string, PairTotals> out;
  for (const char* s : {"USA", "PAK", "IND", "CHN"}) {
    for (const char* t : {"PAK", "USA", "CHN"}) {
      dyad::v1::GetRelationRequest request;
      request.set_source(s);
      request.set_target(t);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(10));
      dyad::v1::GetRelationResponse response;
      auto status = stub->GetRelation(&context, request, &response);
      if (!status.ok()) return absl::UnavailableError(status.error_message());
      out[std::string(s) + ">" + t] = {response.total().mentions(), response.total().events(),
                                       response.total().verbal_cooperation(),
                                       response.total().goldstein_sum()};
    }
  }
  return out;
}

// Mentions over all pairs: every record applied once.
int64_t Sum(const std::map<std::string, PairTotals>& totals) {
  int64_t n = 0;
  for (const auto& [pair, t] : totals) n += t.mentions;
  return n;
}

// Reads the child's stdout until the caught-up line; its text, or an error.
absl::StatusOr<std::string> WaitCaughtUp(core::Subprocess& child, std::chrono::seconds timeout) {
  while (true) {
    auto line = child.ReadLine(timeout);
    if (!line.ok()) return line.status();
    if (line->rfind(kCaughtUpPrefix, 0) == 0) return *line;
  }
}

// kill -9 dyad-query while it applies a stream of 20,000 mentions (plus 500 re-delivered), restart
// it on the same state directory: every mention is counted exactly once, the de-duplicated events
// are what the test computes, and the relations equal those of a clean run on a fresh directory.
TEST(QueryBinary, SigkillMidApplyThenRestartCountsEveryEventOnce) {
  constexpr int kEvents = 20000;
  constexpr int kRedelivered = 500;
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  std::random_device random;
  const std::string topic = "dyad.events.kill-" + std::to_string(random());
  const std::string brokers = "--brokers=" + (*broker)->bootstrap_servers();
  StateDir dir;
  const std::vector<std::string> args = {brokers,
                                         "--listen=127.0.0.1:0",
                                         "--partitions=3",
                                         "--log-level=warn",
                                         "--events-topic=" + topic,
                                         dir.flag()};

  // The groups, computed here: (full source, full target, base code, day; no place) → the
  // representative's (smallest id) quad class, and the mentions' Goldstein sum and count.
  struct Group {
    std::string smallest_id;
    int quad = 0;
    double goldstein_sum = 0;
    int mentions = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Group> groups;
  for (int i = 0; i < kEvents; ++i) {
    const auto e = KillTestEvent(i);
    auto& g =
        groups[{e.source().code(), e.target().code(), e.code().substr(0, 3), e.date().date()}];
    if (g.mentions == 0 || e.id() < g.smallest_id) {
      g.smallest_id = e.id();
      g.quad = e.quad_class();
    }
    g.goldstein_sum += e.goldstein();
    ++g.mentions;
  }
  std::map<std::string, PairTotals> expected;
  for (const auto& [key, g] : groups) {
    auto& t = expected[std::get<0>(key).substr(0, 3) + ">" + std::get<1>(key).substr(0, 3)];
    t.mentions += g.mentions;
    ++t.events;
    if (g.quad == 1) ++t.verbal_cooperation;
    t.goldstein_sum += g.goldstein_sum / g.mentions;
  }
  ASSERT_LT(groups.size(), static_cast<std::size_t>(kEvents));  // the rule groups something

  auto child = StartQuery(args);
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  std::string address = line->substr(sizeof kReadyPrefix - 1);

  // The stream, produced while the service applies it.
  kafka::ProducerOptions producer_options;
  producer_options.client.brokers = (*broker)->bootstrap_servers();
  auto producer = kafka::Producer::Create(producer_options);
  ASSERT_TRUE(producer.ok()) << producer.status();
  std::thread produce([&] {
    for (int n = 0; n < kEvents + kRedelivered; ++n) {
      const int i = n < kEvents ? n : (n - kEvents) * 37 % kEvents;
      const auto e = KillTestEvent(i);
      while (true) {
        auto status = (*producer)->Produce(topic, e.source().code(), e.SerializeAsString(), {});
        if (status.ok()) break;
        ASSERT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
        std::this_thread::sleep_for(milliseconds(5));
      }
      if (n % 1000 == 999) std::this_thread::sleep_for(milliseconds(20));
    }
    ASSERT_EQ((*producer)->Flush(seconds(60)), 0);
  });

  // Kill it once it has applied a part of the stream.
  int64_t at_kill = 0;
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto totals = Totals(address);
    ASSERT_TRUE(totals.ok()) << totals.status();
    at_kill = Sum(*totals);
    if (at_kill >= 3000) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  child->Signal(SIGKILL);
  auto code = child->Wait(seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGKILL);
  produce.join();
  EXPECT_GE(at_kill, 3000);
  EXPECT_LT(at_kill, kEvents) << "the service applied everything before the kill";
  std::printf("killed with SIGKILL after %lld of %d mentions were served\n",
              static_cast<long long>(at_kill), kEvents);

  // Restart on the same directory; it resumes and catches up.
  child = StartQuery(args);
  ASSERT_NE(child, nullptr);
  line = child->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  address = line->substr(sizeof kReadyPrefix - 1);
  auto caught_up = WaitCaughtUp(*child, seconds(120));
  ASSERT_TRUE(caught_up.ok()) << caught_up.status();
  std::printf("after the restart: %s\n", caught_up->c_str());
  std::map<std::string, PairTotals> after;
  const auto settle = std::chrono::steady_clock::now() + seconds(60);
  while (std::chrono::steady_clock::now() < settle) {
    auto totals = Totals(address);
    ASSERT_TRUE(totals.ok()) << totals.status();
    after = *totals;
    if (Sum(after) >= kEvents) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  std::this_thread::sleep_for(milliseconds(500));  // nothing more arrives: none doubled
  auto final_totals = Totals(address);
  ASSERT_TRUE(final_totals.ok()) << final_totals.status();
  EXPECT_EQ(Sum(*final_totals), kEvents);
  for (const auto& [pair, want] : expected) {
    const auto& got = (*final_totals)[pair];
    EXPECT_EQ(got.mentions, want.mentions) << pair;
    EXPECT_EQ(got.events, want.events) << pair;
    EXPECT_EQ(got.verbal_cooperation, want.verbal_cooperation) << pair;
    // The store keeps Goldstein in millionths and rounds each event's mean to one.
    EXPECT_NEAR(got.goldstein_sum, want.goldstein_sum, 1e-6 * static_cast<double>(want.events))
        << pair;
  }

  // A clean run on a fresh directory ends with the same relations.
  StateDir clean_dir;
  auto clean_args = args;
  clean_args.back() = clean_dir.flag();
  auto clean = StartQuery(clean_args);
  ASSERT_NE(clean, nullptr);
  line = clean->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_TRUE(WaitCaughtUp(*clean, seconds(120)).ok());
  const std::string clean_address = line->substr(sizeof kReadyPrefix - 1);
  auto clean_totals = Totals(clean_address);
  const auto clean_deadline = std::chrono::steady_clock::now() + seconds(60);
  while (clean_totals.ok() && Sum(*clean_totals) < kEvents &&
         std::chrono::steady_clock::now() < clean_deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    clean_totals = Totals(clean_address);
  }
  ASSERT_TRUE(clean_totals.ok()) << clean_totals.status();
  EXPECT_EQ(Sum(*clean_totals), kEvents);
  for (const auto& [pair, want] : *clean_totals) {
    EXPECT_EQ((*final_totals)[pair].mentions, want.mentions) << pair;
    EXPECT_EQ((*final_totals)[pair].events, want.events) << pair;
    // Integer sums: the same answer whatever the order the mentions arrived in.
    EXPECT_EQ((*final_totals)[pair].goldstein_sum, want.goldstein_sum) << pair;
  }

  for (auto* process : {child.get(), clean.get()}) {
    process->Signal(SIGTERM);
    code = process->Wait(seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0);
  }
}

}  // namespace
}  // namespace dyad::query
