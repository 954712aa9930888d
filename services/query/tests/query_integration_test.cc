// dyad-query end to end in one process: the embedded broker, QueryServer on 127.0.0.1:0, records
// produced with dyad::kafka::Producer, and real gRPC stubs.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/query/query.h"
#include "dyad/v1/article.pb.h"
#include "dyad/v1/relations_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dyad::query {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename Pred>
bool WaitFor(Pred pred, milliseconds timeout = seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

dyad::v1::Event MakeEvent(const std::string& id, const std::string& source,
                          const std::string& target, const std::string& date, int quad,
                          double goldstein, const std::string& code) {
  dyad::v1::Event e;
  e.set_id(id);
  e.mutable_source()->set_code(source);
  e.mutable_source()->set_country(source.substr(0, 3));
  e.mutable_target()->set_code(target);
  e.mutable_target()->set_country(target.substr(0, 3));
  e.mutable_date()->set_date(date);
  e.set_quad_class(quad);
  e.set_goldstein(goldstein);
  e.set_code(code);
  e.set_root_code(code.substr(0, 2));
  return e;
}

std::string Key(const dyad::v1::Event& e) {
  return e.source().country() + ">" + e.target().country();
}

// A fresh state directory under the temp dir (removed by the suite's teardown).
std::string NewStateDir() {
  std::random_device random;
  return (std::filesystem::temp_directory_path() /
          ("dyad-query-it-" + std::to_string(getpid()) + "-" + std::to_string(random())))
      .string();
}

// Milliseconds every RPC sleeps before its query (the slow-query hook); 0 = none.
std::atomic<int> g_delay_ms{0};

class QueryIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto broker = kafka::EmbeddedBroker::Start(1);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker).release();
    QueryOptions options;
    options.client.brokers = broker_->bootstrap_servers();
    options.listen = "127.0.0.1:0";
    options.partitions = 3;
    state_dir_ = new std::string(NewStateDir());
    options.state_dir = *state_dir_;
    options.service.before_query = [] {
      if (const int ms = g_delay_ms.load(); ms > 0) std::this_thread::sleep_for(milliseconds(ms));
    };
    auto server = QueryServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server).release();
    kafka::ProducerOptions producer_options;
    producer_options.client.brokers = broker_->bootstrap_servers();
    auto producer = kafka::Producer::Create(producer_options);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer).release();

    // Six events (one delivered twice), then junk, an empty value and an Article.
    const std::vector<dyad::v1::Event> events = {
        MakeEvent("e-1", "USAGOV", "PAKGOV", "2025-09-13", 1, 1.0, "041"),
        MakeEvent("e-2", "USAGOV", "PAKMIL", "2025-09-13", 2, 7.0, "071"),
        MakeEvent("e-3", "USA", "PAK", "2025-09-15", 3, -2.0, "112"),
        MakeEvent("e-4", "PAKGOV", "USAGOV", "2025-09-14", 1, 3.0, "042"),
        MakeEvent("e-5", "INDMIL", "PAKMIL", "2025-09-14", 4, -10.0, "190"),
        MakeEvent("e-6", "USAGOV", "PAKGOV", "2025-08-01", 1, 1.0, "041"),
    };
    for (const auto& e : events) Produce(Key(e), e.SerializeAsString());
    Produce(Key(events[0]), events[0].SerializeAsString());
    static constexpr char kJunk[] = "\xff\xfe not a protobuf \x01\x02";
    Produce("junk", std::string(kJunk, sizeof kJunk - 1));
    Produce("empty", "");
    dyad::v1::Article article;
    article.set_id("u-1");
    article.set_url("https://example.org/1");
    article.set_title("Rubio calls Dar");
    article.set_body("WASHINGTON - The US Secretary of State spoke with Pakistan's Dar.");
    Produce("u-1", article.SerializeAsString());
    ASSERT_TRUE(WaitFor([] { return server_->applier_stats().records.load() >= 10; }))
        << "records consumed: " << server_->applier_stats().records.load();
  }

  static void TearDownTestSuite() {
    delete producer_;
    delete server_;
    delete broker_;
    std::error_code ec;
    std::filesystem::remove_all(*state_dir_, ec);
    delete state_dir_;
  }

  static void Produce(const std::string& key, const std::string& value) {
    auto report = producer_->ProduceSync(kafka::kEventsTopic, key, value, seconds(10));
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->status.ok()) << report->status;
  }

  void SetUp() override {
    g_delay_ms = 0;
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = dyad::v1::RelationsService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context(milliseconds timeout = seconds(10)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + timeout);
    return context;
  }

  static kafka::EmbeddedBroker* broker_;
  static std::string* state_dir_;
  static QueryServer* server_;
  static kafka::Producer* producer_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dyad::v1::RelationsService::Stub> stub_;
};

kafka::EmbeddedBroker* QueryIntegrationTest::broker_ = nullptr;
std::string* QueryIntegrationTest::state_dir_ = nullptr;
QueryServer* QueryIntegrationTest::server_ = nullptr;
kafka::Producer* QueryIntegrationTest::producer_ = nullptr;

TEST_F(QueryIntegrationTest, CountsEventsOnceAndSkipsJunk) {
  const auto& stats = server_->applier_stats();
  EXPECT_EQ(stats.applied.load(), 6);
  EXPECT_EQ(stats.duplicates.load(), 1);
  EXPECT_EQ(stats.invalid.load(), 3);
  EXPECT_TRUE(server_->applier_status().ok());
  EXPECT_EQ(server_->store().Stats().events, 6);
  // The same numbers in the state's persistent counters.
  const auto& durable = server_->durable_store();
  EXPECT_EQ(durable.Counter("applied"), server_->store().Stats().events);
  EXPECT_GE(durable.Counter("duplicate"), 1);
  EXPECT_EQ(durable.Counter("unparseable") + durable.Counter("missing_id") +
                durable.Counter("rejected") + durable.Counter("oversized"),
            stats.invalid.load());
}

TEST_F(QueryIntegrationTest, NoStateDirMeansATemporaryOneAndAnotherTopicsIsRefused) {
  QueryOptions options;
  options.client.brokers = broker_->bootstrap_servers();
  options.listen = "127.0.0.1:0";
  auto server = QueryServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string temporary = (*server)->state_dir();
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(temporary) / "CURRENT")) << temporary;
  ASSERT_TRUE(WaitFor([&] { return (*server)->store().Stats().events >= 6; }));
  server->reset();
  EXPECT_FALSE(std::filesystem::exists(temporary)) << temporary;
  // Another topic's state directory is refused before reading anything.
  options.state_dir = NewStateDir();
  {
    relations::RelationStore memory;
    ASSERT_TRUE(relations::DurableStore::Open(
                    {.dir = options.state_dir, .topic = "dyad.events.other"}, memory)
                    .ok());
  }
  server = QueryServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(server.status().message(), HasSubstr("holds the state of topic dyad.events.other"));
  std::filesystem::remove_all(options.state_dir);
}

TEST_F(QueryIntegrationTest, GetRelation) {
  dyad::v1::GetRelationRequest request;
  request.set_source("USA");
  request.set_target("PAK");
  request.set_from("2025-09-01");
  request.set_bucket(dyad::v1::BUCKET_DAY);
  dyad::v1::GetRelationResponse response;
  auto status = stub_->GetRelation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.buckets_size(), 2);
  EXPECT_EQ(response.buckets(0).start(), "2025-09-13");
  EXPECT_EQ(response.buckets(0).events(), 2);
  EXPECT_EQ(response.buckets(1).start(), "2025-09-15");
  const auto& total = response.total();
  EXPECT_EQ(total.events(), 3);
  EXPECT_EQ(total.verbal_cooperation(), 1);
  EXPECT_EQ(total.material_cooperation(), 1);
  EXPECT_EQ(total.verbal_conflict(), 1);
  EXPECT_DOUBLE_EQ(total.goldstein_sum(), 6.0);
  EXPECT_DOUBLE_EQ(total.goldstein_mean(), 2.0);
  EXPECT_THAT(total.event_ids(), ElementsAre("e-3", "e-2", "e-1"));

  request.set_both_directions(true);
  request.set_bucket(dyad::v1::BUCKET_MONTH);
  request.clear_from();
  auto both_context = Context();
  status = stub_->GetRelation(both_context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.buckets_size(), 2);
  EXPECT_EQ(response.buckets(0).start(), "2025-08-01");
  EXPECT_EQ(response.buckets(1).events(), 4);
  EXPECT_EQ(response.total().events(), 5);
}

TEST_F(QueryIntegrationTest, ListEventsPages) {
  dyad::v1::ListEventsRequest request;
  request.set_actor("PAK");
  request.set_page_size(4);
  dyad::v1::ListEventsResponse page;
  auto status = stub_->ListEvents(Context().get(), request, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> ids;
  for (const auto& e : page.events()) ids.push_back(e.id());
  EXPECT_THAT(ids, ElementsAre("e-3", "e-5", "e-4", "e-2"));
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  status = stub_->ListEvents(Context().get(), request, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(page.events_size(), 2);
  EXPECT_EQ(page.events(0).id(), "e-1");
  EXPECT_EQ(page.events(1).id(), "e-6");
  EXPECT_EQ(page.events(1).code(), "041");
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_F(QueryIntegrationTest, BadArgumentsAreInvalidArgument) {
  dyad::v1::GetRelationRequest relation;
  relation.set_target("PAK");
  dyad::v1::GetRelationResponse relation_response;
  auto status = stub_->GetRelation(Context().get(), relation, &relation_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("source actor is empty"));

  relation.set_source("USA");
  relation.set_from("2025-09-14");
  relation.set_to("2025-09-01");
  status = stub_->GetRelation(Context().get(), relation, &relation_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  dyad::v1::ListEventsRequest list;
  list.set_page_token("garbage!");
  dyad::v1::ListEventsResponse list_response;
  status = stub_->ListEvents(Context().get(), list, &list_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
  list.clear_page_token();
  list.set_page_size(5000);
  status = stub_->ListEvents(Context().get(), list, &list_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(QueryIntegrationTest, ShortDeadlineIsHonoured) {
  const int64_t abandoned_before = server_->service().abandoned_calls();
  g_delay_ms = 300;
  dyad::v1::GetRelationRequest request;
  request.set_source("USA");
  request.set_target("PAK");
  dyad::v1::GetRelationResponse response;
  const auto started = std::chrono::steady_clock::now();
  auto status = stub_->GetRelation(Context(milliseconds(50)).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(250));
  // The server sees the deadline too and answers without running the query.
  EXPECT_TRUE(
      WaitFor([&] { return server_->service().abandoned_calls() > abandoned_before; }, seconds(5)));
  g_delay_ms = 0;
  status = stub_->GetRelation(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(QueryIntegrationTest, HealthIsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  auto status = health->Check(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(QueryIntegrationTest, KeepsApplyingAfterJunkAndEveryReplicaSeesEverything) {
  const auto e = MakeEvent("e-7", "USAGOV", "PAKGOV", "2025-09-16", 1, 1.0, "041");
  Produce(Key(e), e.SerializeAsString());
  ASSERT_TRUE(WaitFor([] { return server_->store().Contains("e-7"); }));
  EXPECT_EQ(server_->applier_stats().invalid.load(), 3);

  // A second replica has its own group, reads every partition from the beginning and ends up
  // with the same state.
  QueryOptions options;
  options.client.brokers = broker_->bootstrap_servers();
  options.listen = "127.0.0.1:0";
  options.state_dir = NewStateDir();
  auto replica = QueryServer::Start(options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  EXPECT_NE((*replica)->group_id(), server_->group_id());
  ASSERT_TRUE(WaitFor([&] { return (*replica)->store().Stats().events == 7; }))
      << (*replica)->store().Stats().events;
  EXPECT_EQ((*replica)->applier_stats().invalid.load(), 3);
  EXPECT_EQ((*replica)->applier_stats().duplicates.load(), 1);
  (*replica)->Stop();
  replica->reset();
  std::filesystem::remove_all(options.state_dir);
}

}  // namespace
}  // namespace dyad::query
