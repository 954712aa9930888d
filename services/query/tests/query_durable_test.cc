// dyad-query's durable state against the embedded broker: a restart resumes from the offsets in
// the state directory (nothing read twice), a lost state directory is rebuilt by replay to the
// same relations, and hostile records are counted by kind, persisted and skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "dyad/kafka/admin.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/query/query.h"
#include "dyad/v1/article.pb.h"

namespace dyad::query {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace fs = std::filesystem;

template <typename Pred>
bool WaitFor(Pred pred, milliseconds timeout = seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

const char* const kSources[] = {"USAGOV", "PAKGOV", "INDMIL", "CHN"};
const char* const kTargets[] = {"PAKMIL", "USA", "CHNGOV"};

dyad::v1::Event MakeEvent(int i) {
  dyad::v1::Event e;
  e.set_id("ev-" + std::to_string(i));
  e.mutable_source()->set_code(kSources[i % 4]);
  e.mutable_target()->set_code(kTargets[(i / 4) % 3]);
  e.mutable_date()->set_date("2025-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10));
  e.set_quad_class(1 + i % 4);
  e.set_goldstein(static_cast<double>(i % 21 - 10) * 0.7);
  e.set_code(i % 3 == 0 ? "042" : "193");
  return e;
}

// The relations and the listing of a store, as text to compare (sums rounded: their last bits
// depend on the order events were added in).
std::string Snapshot(const relations::RelationStore& store) {
  std::string out;
  for (const char* s : {"USA", "PAK", "IND", "CHN"}) {
    for (const char* t : {"USA", "PAK", "IND", "CHN"}) {
      dyad::v1::GetRelationRequest request;
      request.set_source(s);
      request.set_target(t);
      request.set_bucket(dyad::v1::BUCKET_MONTH);
      auto r = store.GetRelation(request);
      EXPECT_TRUE(r.ok()) << r.status();
      out += std::string(s) + ">" + t + ":";
      for (const auto& b : r->buckets()) {
        out += b.start() + "=" + std::to_string(b.events()) + "/" +
               std::to_string(b.verbal_cooperation()) + "/" +
               std::to_string(b.material_conflict()) + "/" +
               std::to_string(std::llround(b.goldstein_sum() * 1e6)) + " ";
      }
      out += "\n";
    }
  }
  dyad::v1::ListEventsRequest list;
  list.set_page_size(relations::kMaxPageSize);
  while (true) {
    auto page = store.ListEvents(list);
    EXPECT_TRUE(page.ok()) << page.status();
    for (const auto& e : page->events()) out += e.id() + ",";
    if (page->next_page_token().empty()) break;
    list.set_page_token(page->next_page_token());
  }
  return out;
}

class QueryDurableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start(1);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    std::random_device random;
    const std::string suffix = std::to_string(getpid()) + "-" + std::to_string(random());
    topic_ = "dyad.events.durable-" + suffix;
    dir_ = fs::temp_directory_path() / ("dyad-query-durable-" + suffix);
    kafka::ClientConfig client;
    client.brokers = broker_->bootstrap_servers();
    ASSERT_TRUE(kafka::EnsureTopic(client, {topic_, 3, 1}).ok());
    kafka::ProducerOptions producer_options;
    producer_options.client.brokers = broker_->bootstrap_servers();
    producer_options.client.properties["message.max.bytes"] = "10000000";
    auto producer = kafka::Producer::Create(producer_options);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<QueryServer> StartServer() {
    QueryOptions options;
    options.client.brokers = broker_->bootstrap_servers();
    options.listen = "127.0.0.1:0";
    options.partitions = 3;
    options.events_topic = topic_;
    options.state_dir = dir_.string();
    auto server = QueryServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  void Produce(const std::string& key, const std::string& value) {
    auto report = producer_->ProduceSync(topic_, key, value, seconds(10));
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->status.ok()) << report->status;
  }

  void ProduceEvents(int from, int to) {
    for (int i = from; i < to; ++i) {
      const auto e = MakeEvent(i);
      ASSERT_TRUE(producer_->Produce(topic_, e.source().code(), e.SerializeAsString(), {}).ok());
    }
    ASSERT_EQ(producer_->Flush(seconds(30)), 0);
  }

  static bool CaughtUpWith(const QueryServer& server, int64_t events) {
    return server.caught_up() && server.store().Stats().events == events;
  }

  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<kafka::Producer> producer_;
  std::string topic_;
  fs::path dir_;
};

TEST_F(QueryDurableTest, RestartResumesFromTheStoredOffsetsAndReadsNothingTwice) {
  ProduceEvents(0, 500);
  std::string before;
  {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    EXPECT_TRUE(server->durable_store().load_info().created);
    ASSERT_TRUE(WaitFor([&] { return CaughtUpWith(*server, 500); }))
        << server->store().Stats().events;
    EXPECT_EQ(server->applier_stats().records.load(), 500);
    before = Snapshot(server->store());
    server->Stop();
  }
  // 100 new events and 10 re-deliveries of old ones while it is down.
  ProduceEvents(500, 600);
  ProduceEvents(0, 10);

  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(server->durable_store().load_info().created);
  EXPECT_EQ(server->durable_store().load_info().events, 500);  // from RocksDB, not Kafka
  ASSERT_TRUE(WaitFor([&] { return CaughtUpWith(*server, 600); }))
      << server->store().Stats().events;
  // Only what was produced after the stop was read.
  EXPECT_EQ(server->applier_stats().records.load(), 110);
  EXPECT_EQ(server->applier_stats().applied.load(), 100);
  EXPECT_EQ(server->applier_stats().duplicates.load(), 10);
  EXPECT_EQ(server->durable_store().Counter("records"), 610);
  EXPECT_EQ(server->durable_store().Counter("applied"), 600);
  EXPECT_EQ(server->durable_store().Counter("duplicate"), 10);
  int64_t next_offsets = 0;
  for (const auto& [partition, offset] : server->durable_store().NextOffsets()) {
    next_offsets += offset;
  }
  EXPECT_EQ(next_offsets, 610);  // the mock broker writes no transaction markers
  EXPECT_NE(Snapshot(server->store()), before);
  server->Stop();
  server.reset();

  // A restart with nothing new reads nothing.
  server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(WaitFor([&] { return CaughtUpWith(*server, 600); }));
  EXPECT_EQ(server->applier_stats().records.load(), 0);
}

TEST_F(QueryDurableTest, ALostStateDirIsRebuiltByReplayToTheSameRelations) {
  ProduceEvents(0, 800);
  ProduceEvents(100, 150);  // duplicates
  Produce("junk", "\xff\xfe not a protobuf");
  std::string first;
  {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    ASSERT_TRUE(WaitFor([&] { return CaughtUpWith(*server, 800); }));
    first = Snapshot(server->store());
    server->Stop();
  }
  fs::remove_all(dir_);
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->durable_store().load_info().created);
  ASSERT_TRUE(WaitFor([&] { return CaughtUpWith(*server, 800); }));
  EXPECT_EQ(server->applier_stats().records.load(), 851);
  EXPECT_EQ(server->applier_stats().duplicates.load(), 50);
  EXPECT_EQ(server->applier_stats().invalid.load(), 1);
  EXPECT_EQ(Snapshot(server->store()), first);
}

TEST_F(QueryDurableTest, HostileRecordsAreCountedByKindPersistedAndSkipped) {
  std::mt19937 random(7);
  // 2 MiB of random bytes: over kMaxRecordBytes. (librdkafka's mock broker keeps at most 5 MiB
  // per partition and drops older records past that, so the 5 MiB case is in query_unit_test.)
  std::string noise(2 << 20, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  dyad::v1::Article article;
  article.set_id("u-1");
  article.set_url("https://example.org/1");
  article.set_body("The US Secretary of State spoke with Pakistan's Dar.");

  Produce("huge", noise);
  Produce("empty-value", "");
  Produce("", MakeEvent(1).SerializeAsString());  // an empty key: the value is what counts
  Produce("article", article.SerializeAsString());
  Produce("small-noise", noise.substr(0, 1024));
  Produce("junk", "\xff\xff\xff junk");
  Produce("ok", MakeEvent(2).SerializeAsString());
  {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    // Keys spread the records over partitions: wait for all seven, in whatever order.
    ASSERT_TRUE(WaitFor([&] { return server->applier_stats().records.load() >= 7; }))
        << server->applier_stats().records.load();
    EXPECT_TRUE(server->store().Contains("ev-1"));
    EXPECT_TRUE(server->store().Contains("ev-2"));
    EXPECT_TRUE(server->applier_status().ok());
    EXPECT_EQ(server->applier_stats().records.load(), 7);
    EXPECT_EQ(server->applier_stats().invalid.load(), 5);
    const auto& state = server->durable_store();
    EXPECT_EQ(state.Counter("oversized"), 1);
    EXPECT_GE(state.Counter("missing_id"), 1);   // the empty value
    EXPECT_GE(state.Counter("unparseable"), 1);  // the junk
    EXPECT_EQ(state.Counter("oversized") + state.Counter("missing_id") +
                  state.Counter("unparseable") + state.Counter("rejected"),
              5);
    // A valid event after the hostile ones.
    Produce("later", MakeEvent(3).SerializeAsString());
    ASSERT_TRUE(WaitFor([&] { return server->store().Contains("ev-3"); }));
    server->Stop();
  }
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(WaitFor([&] { return CaughtUpWith(*server, 3); }));
  EXPECT_EQ(server->applier_stats().records.load(), 0);
  EXPECT_EQ(server->durable_store().Counter("oversized"), 1);
  EXPECT_EQ(server->durable_store().Counter("records"), 8);
}

}  // namespace
}  // namespace dyad::query
