// The `dyad` query commands as a user runs them (the binary, its stdout, stderr and exit code)
// against a RelationsService in this process over a real RelationStore with known mentions, on
// 127.0.0.1:0: relation (table, chart, filters), partners, event, actors, watch (lines, drops,
// Ctrl-C, server shutdown), and the errors: invalid arguments passed through, unknown event id,
// unreachable server, deadline, TLS.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dyad/core/dates.h"
#include "dyad/core/subprocess.h"
#include "dyad/query/query.h"
#include "dyad/query/watch.h"
#include "dyad/relations/names.h"
#include "dyad/relations/relation_store.h"
#include "dyad/rpc/server.h"
#include "dyad/rpc/test_pki.h"

namespace dyad {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

const std::string kDyad = std::string(DYAD_BINARY_DIR) + "/services/cli/dyad";

struct RunResult {
  int exit_code = -1;
  std::vector<std::string> lines;  // stdout and stderr, merged
  std::string Joined() const {
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  }
  // The whitespace-separated fields of the first line starting with `prefix`; empty if none.
  std::vector<std::string> Row(const std::string& prefix) const {
    for (const auto& line : lines) {
      if (line.rfind(prefix, 0) != 0) continue;
      std::istringstream in(line);
      std::vector<std::string> fields;
      for (std::string f; in >> f;) fields.push_back(f);
      return fields;
    }
    return {};
  }
};

// Runs `dyad ARGS` (a shell word list) to completion, stdout and stderr merged.
RunResult Dyad(const std::string& args) {
  RunResult run;
  auto child = core::Subprocess::Start({"/bin/sh", "-c", "exec " + kDyad + " " + args + " 2>&1"},
                                       {"NO_COLOR=1"});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return run;
  while (true) {
    auto line = (*child)->ReadLine(seconds(60));
    if (!line.ok()) break;
    run.lines.push_back(*line);
  }
  run.exit_code = (*child)->Wait(seconds(30)).value_or(-1);
  return run;
}

bool Contains(const RunResult& run, const std::string& text) {
  return run.Joined().find(text) != std::string::npos;
}

int64_t Day(const char* iso) { return core::DaysFromCivil(*core::ParseIsoDate(iso)); }

// A mention; each gets its own article unless `article` is given.
dyad::v1::Event Mention(const std::string& id, const std::string& source, const std::string& target,
                        const std::string& code, int quad, double goldstein, const char* date,
                        const std::string& place, const std::string& publisher,
                        const std::string& article = "") {
  dyad::v1::Event e;
  e.set_id(id);
  e.set_article_id(article.empty() ? "a-" + id : article);
  e.set_article_url("https://" + publisher + ".example/" + e.article_id());
  e.set_publisher(publisher);
  e.mutable_published_at()->set_seconds(Day(date) * 86400 + 3600);
  e.set_sentence("Officials of " + source + " met " + target + " today.");
  e.set_sentence_begin(200);
  e.set_sentence_end(200 + static_cast<int32_t>(e.sentence().size()));
  e.set_trigger_begin(200 + static_cast<int32_t>(("Officials of " + source + " ").size()));
  e.set_trigger_end(e.trigger_begin() + 3);
  e.mutable_date()->set_date(date);
  e.mutable_source()->set_code(source);
  e.mutable_source()->set_country(source.substr(0, 3));
  e.mutable_target()->set_code(target);
  e.mutable_target()->set_country(target.substr(0, 3));
  e.set_code(code);
  e.set_base_code(code);
  e.set_root_code(code.substr(0, 2));
  e.set_quad_class(quad);
  e.set_goldstein(goldstein);
  if (!place.empty()) {
    e.mutable_place()->set_name(place);
    e.mutable_place()->set_country(place == "Islamabad" ? "PAK" : "USA");
  }
  e.set_tone(1.0);
  e.set_confidence(0.9);
  return e;
}

// PAK -> USA in March 2025: 4 events from 7 mentions; USA -> PAK 1; IND -> PAK 3; IND -> USA 1.
std::vector<dyad::v1::Event> Mentions() {
  std::vector<dyad::v1::Event> m;
  // 2025-03-03: one visit reported 3 times (2 publishers), one accusation of low confidence.
  m.push_back(Mention("e-m1", "PAKGOV", "USAGOV", "042", 1, 2.0, "2025-03-03", "Washington", "p1"));
  m.push_back(Mention("e-m2", "PAKGOV", "USAGOV", "042", 1, 2.0, "2025-03-03", "Washington", "p1"));
  m.push_back(Mention("e-m3", "PAKGOV", "USAGOV", "042", 1, 2.0, "2025-03-03", "Washington", "p2"));
  m.push_back(Mention("e-m4", "PAKGOV", "USAGOV", "112", 3, -2.0, "2025-03-03", "", "p4"));
  m.back().set_confidence(0.3);
  // 2025-03-05: force, reported twice by one publisher.
  m.push_back(Mention("e-m5", "PAK", "USA", "190", 4, -10.0, "2025-03-05", "Islamabad", "p3"));
  m.push_back(Mention("e-m6", "PAK", "USA", "190", 4, -10.0, "2025-03-05", "Islamabad", "p3"));
  m.back().mutable_published_at()->set_seconds(Day("2025-03-06") * 86400 + 7200);
  // 2025-03-20: an agreement.
  m.push_back(Mention("e-m7", "PAKMIL", "USAMIL", "057", 1, 8.0, "2025-03-20", "", "p5"));
  // The other direction and other dyads.
  m.push_back(Mention("e-m8", "USAGOV", "PAKGOV", "036", 1, 4.0, "2025-03-03", "", "p1"));
  m.push_back(Mention("e-m9", "IND", "PAK", "173", 4, -5.0, "2025-03-04", "", "p6"));
  m.push_back(Mention("e-m10", "IND", "PAK", "112", 3, -2.0, "2025-03-04", "", "p6"));
  m.push_back(Mention("e-m11", "IND", "USA", "042", 1, 1.9, "2025-03-06", "", "p6"));
  m.push_back(Mention("e-m12", "IND", "PAK", "190", 4, -10.0, "2025-03-10", "", "p7"));
  return m;
}

// A RelationsService over a store holding Mentions(), served on 127.0.0.1:0.
struct Served {
  std::unique_ptr<relations::RelationStore> store;
  std::unique_ptr<query::WatchHub> hub;
  std::unique_ptr<query::RelationsService> service;
  std::unique_ptr<rpc::Server> server;

  static std::unique_ptr<Served> Start(query::RelationsServiceOptions options = {},
                                       rpc::ServerTls tls = {}) {
    auto served = std::make_unique<Served>();
    auto names = relations::Names::Load(std::string(DYAD_SOURCE_DIR) + "/data");
    EXPECT_TRUE(names.ok()) << names.status();
    served->store = std::make_unique<relations::RelationStore>(
        names.ok() ? std::make_shared<const relations::Names>(*std::move(names)) : nullptr);
    for (const auto& m : Mentions()) {
      auto applied = served->store->Apply(m);
      EXPECT_TRUE(applied.ok() && *applied) << m.id();
    }
    served->hub = std::make_unique<query::WatchHub>();
    served->service =
        std::make_unique<query::RelationsService>(*served->store, *served->hub, std::move(options));
    auto server =
        rpc::StartServer({.listen = "127.0.0.1:0", .tls = std::move(tls)}, {served->service.get()});
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) served->server = *std::move(server);
    return served;
  }
  std::string address() const { return server ? server->address() : "127.0.0.1:1"; }
  ~Served() {
    if (hub) hub->Shutdown();
    if (server) server->Shutdown(milliseconds(500));
  }
};

class DyadQuery : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { served_ = Served::Start().release(); }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
  }
  static std::string Server() { return " --server " + served_->address(); }
  static Served* served_;
};
Served* DyadQuery::served_ = nullptr;

TEST_F(DyadQuery, RelationTablePerDayWithDeduplicatedEventsAndAnAsciiChart) {
  const RunResult run =
      Dyad("relation PAK USA --bucket day --from 2025-03-01 --to 2025-03-31" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_EQ(run.lines[0], "PAK -> USA by day, 2025-03-01 .. 2025-03-31") << run.Joined();
  // bucket events mentions articles sources coop conflict goldstein tone top-codes...
  EXPECT_EQ(run.Row("2025-03-03"),
            (std::vector<std::string>{"2025-03-03", "2", "4", "4", "3", "1", "1", "+0.00", "+1.00",
                                      "042:1", "112:1"}))
      << run.Joined();
  EXPECT_EQ(run.Row("2025-03-05"), (std::vector<std::string>{"2025-03-05", "1", "2", "2", "1", "0",
                                                             "1", "-10.00", "+1.00", "190:1"}))
      << run.Joined();
  EXPECT_EQ(run.Row("2025-03-20"), (std::vector<std::string>{"2025-03-20", "1", "1", "1", "1", "1",
                                                             "0", "+8.00", "+1.00", "057:1"}))
      << run.Joined();
  // Top codes: most events, then most mentions (042: 3, 190: 2), then by code.
  EXPECT_EQ(run.Row("total"),
            (std::vector<std::string>{"total", "4", "7", "7", "5", "2", "2", "-0.50", "+1.00",
                                      "042:1", "190:1", "057:1", "112:1"}))
      << run.Joined();
  EXPECT_TRUE(run.Row("2025-03-04").empty()) << run.Joined();  // no PAK -> USA that day
  EXPECT_EQ(run.Row("042  "), (std::vector<std::string>{"042", "Make", "a", "visit", "1", "3"}))
      << run.Joined();
  EXPECT_TRUE(Contains(run, "exemplar events (dyad event ID): e-m1")) << run.Joined();
  // The chart: not a terminal, so ASCII; the month of days on one axis, 31 columns.
  EXPECT_TRUE(Contains(run, "events per day:")) << run.Joined();
  EXPECT_TRUE(Contains(run, "+" + std::string(31 * 2, '-'))) << run.Joined();
  EXPECT_TRUE(Contains(run, "peak conflict 1 (day of 2025-03-03)")) << run.Joined();
  for (const auto& line : run.lines) {
    for (char c : line) ASSERT_TRUE(c >= 0x20 && c < 0x7F) << "not ASCII: " << line;
  }
}

TEST_F(DyadQuery, RelationFiltersAndBothDirections) {
  RunResult run = Dyad("relation PAK USA --bucket month --both --no-chart" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_EQ(run.lines[0], "PAK <-> USA by month, all time");
  EXPECT_EQ(run.Row("2025-03-01").at(1), "5") << run.Joined();  // + USAGOV -> PAKGOV 036
  EXPECT_FALSE(Contains(run, "events per month")) << run.Joined();

  run = Dyad("relation PAK USA --bucket day --quad 3,4 --no-chart" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_EQ(run.Row("2025-03-03").at(1), "1") << run.Joined();
  EXPECT_EQ(run.Row("2025-03-03").at(6), "1") << run.Joined();  // the conflict column
  EXPECT_TRUE(run.Row("2025-03-20").empty()) << run.Joined();
  EXPECT_EQ(run.Row("total").at(1), "2") << run.Joined();

  run = Dyad("relation PAK USA --bucket day --min-confidence 0.5 --root-codes 4,11,19 --no-chart" +
             Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_EQ(run.lines[0], "PAK -> USA by day, all time; root codes 04, 11, 19; confidence >= 0.50");
  EXPECT_EQ(run.Row("2025-03-03").at(1), "1") << run.Joined();  // the accusation has 0.3
  EXPECT_EQ(run.Row("total").at(1), "2") << run.Joined();       // 042 and 190, not 057

  run = Dyad("relation PAK USA --bucket week --no-table" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_TRUE(run.Row("bucket").empty()) << run.Joined();
  EXPECT_TRUE(Contains(run, "events per week:")) << run.Joined();

  run = Dyad("relation ZZZ USA" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_TRUE(Contains(run, "no events")) << run.Joined();
}

TEST_F(DyadQuery, InvalidArgumentsArePassedThroughAndExitTwo) {
  dyad::v1::GetRelationRequest request;
  request.set_source("PAK");
  request.set_target("USA");
  request.set_from("2025-02-30");
  const auto refused = served_->store->GetRelation(request);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  RunResult run = Dyad("relation PAK USA --from 2025-02-30" + Server());
  EXPECT_EQ(run.exit_code, 2) << run.Joined();
  EXPECT_TRUE(Contains(run, "dyad relation: " + std::string(refused.status().message())))
      << run.Joined();

  run = Dyad("relation PAK 'US A'" + Server());
  EXPECT_EQ(run.exit_code, 2) << run.Joined();

  // Refused by the command itself, before any call.
  run = Dyad("relation PAK USA --bucket fortnight" + Server());
  EXPECT_EQ(run.exit_code, 2) << run.Joined();
  EXPECT_TRUE(Contains(run, "fortnight")) << run.Joined();
  EXPECT_EQ(Dyad("relation PAK USA --quad 5" + Server()).exit_code, 2);
  EXPECT_EQ(Dyad("relation PAK USA --min-confidence 1.5" + Server()).exit_code, 2);
  run = Dyad("relation PAK USA --root-codes 4x" + Server());
  EXPECT_EQ(run.exit_code, 2) << run.Joined();
  EXPECT_TRUE(Contains(run, "'4x' is not a CAMEO root code")) << run.Joined();
  EXPECT_EQ(Dyad("partners PAK --order best" + Server()).exit_code, 2);
  EXPECT_EQ(Dyad("partners" + Server()).exit_code, 2);
  EXPECT_EQ(Dyad("event" + Server()).exit_code, 2);
  EXPECT_EQ(Dyad("event ' '" + Server()).exit_code, 2);
}

TEST_F(DyadQuery, PartnersByVolumeAndByConflict) {
  RunResult run = Dyad("partners PAK" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_EQ(run.lines[0], "partners of PAK by volume (most first), both directions, all time");
  // # partner name... events: USA 4 + 1 the other way, IND 3.
  ASSERT_GE(run.lines.size(), 4u) << run.Joined();
  EXPECT_EQ(run.Row("1  USA").at(0), "1") << run.Joined();
  EXPECT_TRUE(Contains(run, "United States")) << run.Joined();
  EXPECT_EQ(run.Row("2  IND").size() > 0, true) << run.Joined();

  run = Dyad("partners PAK --order conflict --limit 1" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_FALSE(run.Row("1  IND").empty()) << run.Joined();
  EXPECT_TRUE(run.Row("2  ").empty()) << run.Joined();
}

TEST_F(DyadQuery, EventWithItsProvenanceAndUnknownIds) {
  const RunResult run = Dyad("event e-m6" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_EQ(run.lines[0], "event e-m5") << run.Joined();  // the representative: smallest id
  EXPECT_TRUE(Contains(run, "dyad       PAK")) << run.Joined();
  EXPECT_TRUE(Contains(run, "place      Islamabad, PAK")) << run.Joined();
  EXPECT_TRUE(Contains(run,
                       "2 mentions in 2 articles from 1 source; first seen "
                       "2025-03-05T01:00:00Z, last seen 2025-03-06T02:00:00Z"))
      << run.Joined();
  EXPECT_TRUE(Contains(run, "https://p3.example/a-e-m5")) << run.Joined();
  EXPECT_TRUE(Contains(run, "https://p3.example/a-e-m6")) << run.Joined();
  EXPECT_TRUE(Contains(run, "\"Officials of PAK [met] USA today.\"")) << run.Joined();

  dyad::v1::GetEventRequest request;
  request.set_id("e-nope");
  const auto missing = served_->store->GetEvent(request);
  ASSERT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const RunResult unknown = Dyad("event e-nope" + Server());
  EXPECT_EQ(unknown.exit_code, 1) << unknown.Joined();
  EXPECT_TRUE(Contains(unknown, "dyad event: " + std::string(missing.status().message())))
      << unknown.Joined();
  EXPECT_TRUE(Contains(unknown, "dyad events")) << unknown.Joined();
}

TEST_F(DyadQuery, ActorsByPrefix) {
  const RunResult run = Dyad("actors paki" + Server());
  ASSERT_EQ(run.exit_code, 0) << run.Joined();
  EXPECT_FALSE(run.Row("PAKGOV").empty()) << run.Joined();
  EXPECT_TRUE(Contains(run, "Pakistan")) << run.Joined();
  EXPECT_TRUE(run.Row("USA").empty()) << run.Joined();
}

TEST(DyadQueryErrors, UnreachableServerSaysWhereAndHowToStartIt) {
  for (const std::string command :
       {"relation PAK USA", "partners PAK", "event e-1", "watch --actor PAK"}) {
    const RunResult run = Dyad(command + " --server 127.0.0.1:1");
    EXPECT_EQ(run.exit_code, 1) << command << "\n" << run.Joined();
    EXPECT_TRUE(Contains(run, "cannot reach dyad-query at 127.0.0.1:1")) << run.Joined();
    EXPECT_TRUE(Contains(run, "dyad up")) << run.Joined();
  }
}

TEST(DyadQueryErrors, SlowServerIsReportedWithTheTimeout) {
  query::RelationsServiceOptions slow;
  slow.before_query = [] { std::this_thread::sleep_for(milliseconds(1500)); };
  auto served = Served::Start(std::move(slow));
  const RunResult run = Dyad("relation PAK USA --timeout 0.3 --server " + served->address());
  EXPECT_EQ(run.exit_code, 1) << run.Joined();
  EXPECT_TRUE(Contains(run, "did not answer GetRelation within 0.3 s")) << run.Joined();
}

TEST(DyadQueryErrors, TlsAndMutualTls) {
  const fs::path dir = fs::temp_directory_path() / ("dyad-cli-tls-" + std::to_string(getpid()));
  auto pki = rpc::MakeTestPki(dir.string());
  if (!pki.ok()) GTEST_SKIP() << pki.status();
  {
    auto served = Served::Start({}, {.cert_file = pki->server_cert, .key_file = pki->server_key});
    const std::string server = " --server " + served->address();
    RunResult run = Dyad("relation PAK USA --no-chart --tls-ca " + pki->ca_cert + server);
    EXPECT_EQ(run.exit_code, 0) << run.Joined();
    EXPECT_EQ(run.Row("total").at(1), "4") << run.Joined();
    run = Dyad("relation PAK USA" + server);  // plaintext to a TLS port
    EXPECT_EQ(run.exit_code, 1) << run.Joined();
    EXPECT_TRUE(Contains(run, "give --tls-ca")) << run.Joined();
    run = Dyad("relation PAK USA --tls-ca " + pki->other_ca_cert + server);  // wrong CA
    EXPECT_EQ(run.exit_code, 1) << run.Joined();
    EXPECT_TRUE(Contains(run, "check that it serves TLS")) << run.Joined();
    run = Dyad("relation PAK USA --tls-ca /nonexistent/ca.pem" + server);
    EXPECT_EQ(run.exit_code, 2) << run.Joined();
    EXPECT_TRUE(Contains(run, "/nonexistent/ca.pem")) << run.Joined();
  }
  {
    auto served = Served::Start({}, {.cert_file = pki->server_cert,
                                     .key_file = pki->server_key,
                                     .client_ca_file = pki->ca_cert});
    const std::string server = " --server " + served->address();
    RunResult run = Dyad("partners PAK --tls-ca " + pki->ca_cert + " --tls-cert " +
                         pki->client_cert + " --tls-key " + pki->client_key + server);
    EXPECT_EQ(run.exit_code, 0) << run.Joined();
    run = Dyad("partners PAK --tls-ca " + pki->ca_cert + server);  // no client certificate
    EXPECT_EQ(run.exit_code, 1) << run.Joined();
  }
  fs::remove_all(dir);
}

// `dyad watch` as a process: stdout and stderr merged, read line by line.
struct Watch {
  std::unique_ptr<core::Subprocess> process;
  std::vector<std::string> lines;

  static Watch Start(const std::string& args) {
    Watch watch;
    auto child =
        core::Subprocess::Start({"/bin/sh", "-c", "exec " + kDyad + " watch " + args + " 2>&1"});
    EXPECT_TRUE(child.ok()) << child.status();
    if (child.ok()) watch.process = *std::move(child);
    return watch;
  }
  // Reads lines until one contains `text` (true) or `timeout` passes (false).
  bool WaitFor(const std::string& text, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    while (process && std::chrono::steady_clock::now() < deadline) {
      auto line = process->ReadLine(milliseconds(100));
      if (line.ok()) {
        lines.push_back(*line);
        if (line->find(text) != std::string::npos) return true;
      } else if (line.status().code() == absl::StatusCode::kOutOfRange) {
        return false;
      }
    }
    return false;
  }
  std::string Joined() const {
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  }
};

dyad::v1::Event Live(int i, const std::string& source, const std::string& target) {
  return Mention("e-live-" + std::to_string(i), source, target, "042", 1, 1.9, "2025-04-01", "",
                 "p1");
}

TEST(DyadWatch, PrintsMatchingEventsUntilCountThenStops) {
  auto served = Served::Start();
  Watch watch = Watch::Start("--actor PAK --count 2 --server " + served->address());
  ASSERT_TRUE(watch.WaitFor("watching dyad-query at", seconds(30))) << watch.Joined();
  // The stream subscribes after the line: publish until the watcher has seen two.
  for (int round = 0; round < 100 && served->service->active_watches() == 0; ++round) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  served->hub->Publish({Live(1, "IND", "USA"), Live(2, "PAKGOV", "USA"), Live(3, "CHN", "USA"),
                        Live(4, "USA", "PAK")});
  ASSERT_TRUE(watch.WaitFor("stopped after 2 events", seconds(30))) << watch.Joined();
  EXPECT_EQ(*watch.process->Wait(seconds(10)), 0);
  const std::string out = watch.Joined();
  EXPECT_NE(out.find("2025-04-01  PAKGOV    -> USA       042     1.9  e-live-2"), std::string::npos)
      << out;
  EXPECT_NE(out.find("USA       -> PAK       042     1.9  e-live-4"), std::string::npos) << out;
  EXPECT_EQ(out.find("e-live-1"), std::string::npos) << out;
  EXPECT_EQ(out.find("e-live-3"), std::string::npos) << out;
}

TEST(DyadWatch, ReportsDropsAndStopsOnCtrlC) {
  auto served = Served::Start();
  Watch watch = Watch::Start("--buffer 1 --server " + served->address());
  ASSERT_TRUE(watch.WaitFor("watching dyad-query at", seconds(30))) << watch.Joined();
  for (int round = 0; round < 100 && served->service->active_watches() == 0; ++round) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  // A burst far larger than the watcher's buffer of 1, in one Publish: most are dropped.
  std::vector<dyad::v1::Event> burst;
  for (int i = 0; i < 5000; ++i) burst.push_back(Live(i, "PAK", "USA"));
  served->hub->Publish(burst);
  served->hub->Publish({Live(99999, "PAK", "USA")});  // carries the drop count if none did
  ASSERT_TRUE(watch.WaitFor("for this watcher (it read too slowly)", seconds(30)))
      << watch.Joined();
  ASSERT_TRUE(watch.WaitFor("e-live-99999", seconds(30))) << watch.Joined();
  watch.process->Signal(SIGINT);
  ASSERT_TRUE(watch.WaitFor("dyad watch: stopped after", seconds(30))) << watch.Joined();
  EXPECT_EQ(*watch.process->Wait(seconds(10)), 0) << watch.Joined();
  EXPECT_NE(watch.Joined().find(" dropped)"), std::string::npos) << watch.Joined();
}

TEST(DyadWatch, ServerShutdownEndsTheWatchWithAMessage) {
  auto served = Served::Start();
  Watch watch = Watch::Start("--server " + served->address());
  ASSERT_TRUE(watch.WaitFor("watching dyad-query at", seconds(30))) << watch.Joined();
  for (int round = 0; round < 100 && served->service->active_watches() == 0; ++round) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  served->hub->Shutdown();
  ASSERT_TRUE(watch.WaitFor("ended the stream", seconds(30))) << watch.Joined();
  EXPECT_EQ(*watch.process->Wait(seconds(10)), 1) << watch.Joined();
}

}  // namespace
}  // namespace dyad
