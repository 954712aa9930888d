// dyad.v1.RelationsService end to end in one process: the embedded broker, QueryServer on
// 127.0.0.1:0 with the CAMEO names, mentions produced to dyad.events.v1 as the extractor writes
// them, and real gRPC stubs. Every RPC: normal use, an empty result, bad arguments, an expired
// deadline. WatchEvents: new mentions in order, filters, a slow reader, cancel, deadline, the
// watcher limit, shutdown.
//
// The seed (Seed()): eight mentions of five events around Pakistan, the same as
// tests/clients/events.jsonl, so every expected number below can be counted by hand:
//   A  USAGOV→PAKGOV 042 Islamabad 2025-09-13: m-a1 (Reuters), m-a2 (AP), m-a3 (Reuters, a day
//      later, same event day)           Goldstein 1.9, quad 1
//   B  PAKGOV→USAGOV 036 Washington 2025-09-14: m-b1 (Dawn)             4.0, quad 1
//   C  USAMIL→PAKMIL 190 (no place) 2025-09-20: m-c1 (AP)              -10.0, quad 4
//   D  INDGOV→PAKGOV 112 New Delhi 2025-09-15: m-d1 (The Hindu), m-d2 (Dawn)  -2.0, quad 3
//   E  CHNGOV→PAKGOV 057 Beijing 2025-09-16: m-e1 (Xinhua)              8.0, quad 1
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/query/query.h"
#include "dyad/relations/names.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::query {
namespace {

using google::protobuf::util::MessageDifferencer;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

template <typename Pred>
bool WaitFor(Pred pred, milliseconds timeout = seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

struct MentionSpec {
  std::string id, article, publisher, published;  // published: RFC 3339
  std::string day, source, target, code;
  int quad = 0;
  double goldstein = 0, confidence = 0.9;
  std::string place, place_country;
};

dyad::v1::Event MakeMention(const MentionSpec& m) {
  dyad::v1::Event e;
  e.set_id(m.id);
  e.set_article_id(m.article);
  e.set_article_url("https://news.example/" + m.article);
  e.set_publisher(m.publisher);
  google::protobuf::util::TimeUtil::FromString(m.published, e.mutable_published_at());
  e.set_sentence("A sentence of " + m.article + " reporting " + m.code + ".");
  e.set_sentence_begin(10);
  e.set_sentence_end(60);
  e.set_trigger_begin(20);
  e.set_trigger_end(27);
  e.mutable_date()->set_date(m.day);
  e.mutable_date()->set_granularity(dyad::v1::DATE_GRANULARITY_DAY);
  e.mutable_source()->set_code(m.source);
  e.mutable_source()->set_country(m.source.substr(0, 3));
  e.mutable_target()->set_code(m.target);
  e.mutable_target()->set_country(m.target.substr(0, 3));
  e.set_code(m.code);
  e.set_base_code(m.code.substr(0, 3));
  e.set_root_code(m.code.substr(0, 2));
  e.set_quad_class(m.quad);
  e.set_goldstein(m.goldstein);
  e.set_confidence(m.confidence);
  e.set_tone(0.5);
  if (!m.place.empty()) {
    e.mutable_place()->set_name(m.place);
    e.mutable_place()->set_country(m.place_country);
  }
  return e;
}

std::vector<dyad::v1::Event> Seed() {
  std::vector<MentionSpec> specs = {
      {"m-a1", "art-1", "Reuters", "2025-09-13T08:00:00Z", "2025-09-13", "USAGOV", "PAKGOV", "042",
       1, 1.9, 0.9, "Islamabad", "PAK"},
      {"m-a2", "art-2", "AP", "2025-09-13T10:30:00Z", "2025-09-13", "USAGOV", "PAKGOV", "042", 1,
       1.9, 0.8, "Islamabad", "PAK"},
      {"m-a3", "art-3", "Reuters", "2025-09-14T06:00:00Z", "2025-09-13", "USAGOV", "PAKGOV", "042",
       1, 1.9, 0.7, "Islamabad", "PAK"},
      {"m-b1", "art-4", "Dawn", "2025-09-14T12:00:00Z", "2025-09-14", "PAKGOV", "USAGOV", "036", 1,
       4.0, 0.85, "Washington", "USA"},
      {"m-c1", "art-5", "AP", "2025-09-20T09:00:00Z", "2025-09-20", "USAMIL", "PAKMIL", "190", 4,
       -10.0, 0.6, "", ""},
      {"m-d1", "art-6", "The Hindu", "2025-09-15T07:00:00Z", "2025-09-15", "INDGOV", "PAKGOV",
       "112", 3, -2.0, 0.75, "New Delhi", "IND"},
      {"m-d2", "art-7", "Dawn", "2025-09-15T15:00:00Z", "2025-09-15", "INDGOV", "PAKGOV", "112", 3,
       -2.0, 0.65, "New Delhi", "IND"},
      {"m-e1", "art-8", "Xinhua", "2025-09-16T03:00:00Z", "2025-09-16", "CHNGOV", "PAKGOV", "057",
       1, 8.0, 0.95, "Beijing", "CHN"},
  };
  std::vector<dyad::v1::Event> events;
  for (const auto& spec : specs) events.push_back(MakeMention(spec));
  return events;
}

std::string NewStateDir() {
  std::random_device random;
  return (std::filesystem::temp_directory_path() /
          ("dyad-query-svc-" + std::to_string(getpid()) + "-" + std::to_string(random())))
      .string();
}

std::atomic<int> g_delay_ms{0};

class RelationsServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto broker = kafka::EmbeddedBroker::Start(1);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker).release();
    auto names = relations::Names::Load(DYAD_SOURCE_DIR "/data");
    ASSERT_TRUE(names.ok()) << names.status();
    names_ = std::make_shared<const relations::Names>(*std::move(names));
    state_dir_ = new std::string(NewStateDir());
    auto server = QueryServer::Start(Options(*state_dir_));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server).release();
    kafka::ProducerOptions producer_options;
    producer_options.client.brokers = broker_->bootstrap_servers();
    auto producer = kafka::Producer::Create(producer_options);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer).release();
    for (const auto& e : Seed()) Produce(e);
    ASSERT_TRUE(WaitFor([] { return server_->store().Stats().events >= 8; }))
        << server_->store().Stats().events;
  }

  static QueryOptions Options(const std::string& state_dir) {
    QueryOptions options;
    options.client.brokers = broker_->bootstrap_servers();
    options.listen = "127.0.0.1:0";
    options.partitions = 3;
    options.state_dir = state_dir;
    options.names = names_;
    options.service.before_query = [] {
      if (const int ms = g_delay_ms.load(); ms > 0) std::this_thread::sleep_for(milliseconds(ms));
    };
    return options;
  }

  static void TearDownTestSuite() {
    delete producer_;
    delete server_;
    delete broker_;
    names_.reset();
    std::error_code ec;
    std::filesystem::remove_all(*state_dir_, ec);
    delete state_dir_;
  }

  static void Produce(const dyad::v1::Event& e, const std::string& key = "") {
    auto report = producer_->ProduceSync(
        kafka::kEventsTopic, key.empty() ? e.source().code() + ">" + e.target().code() : key,
        e.SerializeAsString(), seconds(10));
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->status.ok()) << report->status;
  }

  void SetUp() override {
    g_delay_ms = 0;
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = dyad::v1::RelationsService::NewStub(channel_);
  }
  void TearDown() override { g_delay_ms = 0; }

  static std::unique_ptr<grpc::ClientContext> Context(milliseconds timeout = seconds(10)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + timeout);
    return context;
  }

  // A call made with a 50 ms deadline while every query sleeps 300 ms first: the caller sees
  // DEADLINE_EXCEEDED quickly and the server counts an abandoned call.
  template <typename Call>
  void ExpectDeadlineExceeded(Call call) {
    const int64_t abandoned_before = server_->service().abandoned_calls();
    g_delay_ms = 300;
    const auto started = std::chrono::steady_clock::now();
    grpc::Status status = call(Context(milliseconds(50)).get());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(250));
    EXPECT_TRUE(WaitFor([&] { return server_->service().abandoned_calls() > abandoned_before; },
                        seconds(5)));
    g_delay_ms = 0;
  }

  static kafka::EmbeddedBroker* broker_;
  static std::shared_ptr<const relations::Names> names_;
  static std::string* state_dir_;
  static QueryServer* server_;
  static kafka::Producer* producer_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dyad::v1::RelationsService::Stub> stub_;
};

kafka::EmbeddedBroker* RelationsServiceTest::broker_ = nullptr;
std::shared_ptr<const relations::Names> RelationsServiceTest::names_;
std::string* RelationsServiceTest::state_dir_ = nullptr;
QueryServer* RelationsServiceTest::server_ = nullptr;
kafka::Producer* RelationsServiceTest::producer_ = nullptr;

// --- GetRelation -----------------------------------------------------------------------------

TEST_F(RelationsServiceTest, GetRelationCountsEventsMentionsArticlesAndSources) {
  dyad::v1::GetRelationRequest request;
  request.set_source("USA");
  request.set_target("PAK");
  request.set_from("2025-09-01");
  request.set_to("2025-09-30");
  request.set_bucket(dyad::v1::BUCKET_MONTH);
  dyad::v1::GetRelationResponse response;
  auto status = stub_->GetRelation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.buckets_size(), 1);
  EXPECT_EQ(response.buckets(0).start(), "2025-09-01");
  const auto& total = response.total();
  EXPECT_EQ(total.events(), 2);    // A (three mentions) and C
  EXPECT_EQ(total.mentions(), 4);  // m-a1..3, m-c1
  EXPECT_EQ(total.articles(), 4);
  EXPECT_EQ(total.sources(), 2);  // Reuters, AP
  EXPECT_EQ(total.verbal_cooperation(), 1);
  EXPECT_EQ(total.material_conflict(), 1);
  EXPECT_NEAR(total.goldstein_sum(), 1.9 - 10.0, 1e-6);
  EXPECT_NEAR(total.goldstein_mean(), (1.9 - 10.0) / 2, 1e-6);
  EXPECT_THAT(total.root_codes(), ::testing::UnorderedElementsAre(Pair("04", 1), Pair("19", 1)));
  ASSERT_EQ(total.top_codes_size(), 2);
  EXPECT_EQ(total.top_codes(0).code(), "042");
  EXPECT_EQ(total.top_codes(0).name(), "Make a visit");
  EXPECT_EQ(total.top_codes(0).mentions(), 3);
  EXPECT_THAT(total.event_ids(), ElementsAre("m-a1", "m-c1"));  // most mentions first

  // Both directions, by day: B joins.
  request.set_both_directions(true);
  request.set_bucket(dyad::v1::BUCKET_DAY);
  status = stub_->GetRelation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::pair<std::string, int64_t>> days;
  for (const auto& b : response.buckets()) days.emplace_back(b.start(), b.events());
  EXPECT_THAT(days,
              ElementsAre(Pair("2025-09-13", 1), Pair("2025-09-14", 1), Pair("2025-09-20", 1)));
  EXPECT_EQ(response.total().sources(), 3);  // + Dawn

  // Filters: conflict only; a confidence that leaves one mention of A.
  request.mutable_filter()->add_quad_classes(4);
  status = stub_->GetRelation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.total().events(), 1);
  EXPECT_THAT(response.total().event_ids(), ElementsAre("m-c1"));
  request.clear_filter();
  request.mutable_filter()->set_min_confidence(0.85);
  request.set_both_directions(false);
  status = stub_->GetRelation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.total().events(), 1);
  EXPECT_EQ(response.total().mentions(), 1);
}

TEST_F(RelationsServiceTest, GetRelationEmpty) {
  dyad::v1::GetRelationRequest request;
  request.set_source("BRA");
  request.set_target("ARG");
  dyad::v1::GetRelationResponse response;
  auto status = stub_->GetRelation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.buckets_size(), 0);
  EXPECT_EQ(response.total().events(), 0);
  request.set_source("USA");
  request.set_target("PAK");
  request.set_from("2024-01-01");
  request.set_to("2024-12-31");
  status = stub_->GetRelation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.buckets_size(), 0);
}

TEST_F(RelationsServiceTest, GetRelationBadArguments) {
  const auto call = [&](dyad::v1::GetRelationRequest request) {
    dyad::v1::GetRelationResponse response;
    return stub_->GetRelation(Context().get(), request, &response);
  };
  dyad::v1::GetRelationRequest request;
  request.set_target("PAK");
  auto status = call(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("source actor is empty"));
  request.set_source("USA");
  request.set_from("1900-01-01");
  request.set_to("2025-01-01");
  status = call(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("50 years"));
  request.clear_from();
  request.set_to("2025-13-45");
  EXPECT_EQ(call(request).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.clear_to();
  request.mutable_filter()->add_root_codes("4");
  EXPECT_EQ(call(request).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.clear_filter();
  request.set_source("P\xc3\x84K");  // "PÄK": UTF-8, but not a CAMEO code
  status = call(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("letters and digits"));
}

TEST_F(RelationsServiceTest, GetRelationDeadline) {
  ExpectDeadlineExceeded([&](grpc::ClientContext* context) {
    dyad::v1::GetRelationRequest request;
    request.set_source("USA");
    request.set_target("PAK");
    dyad::v1::GetRelationResponse response;
    return stub_->GetRelation(context, request, &response);
  });
}

// RELATION_DETAIL_COUNTS: the same buckets with the same numbers, without their details; the
// total is the full one.
TEST_F(RelationsServiceTest, GetRelationCountsOnlyKeepsTheNumbers) {
  dyad::v1::GetRelationRequest request;
  request.set_source("USA");
  request.set_target("PAK");
  request.set_both_directions(true);
  request.set_from("2025-09-01");
  request.set_to("2025-09-30");
  dyad::v1::GetRelationResponse full;
  auto status = stub_->GetRelation(Context().get(), request, &full);
  ASSERT_TRUE(status.ok()) << status.error_message();
  request.set_detail(dyad::v1::RELATION_DETAIL_COUNTS);
  dyad::v1::GetRelationResponse counts;
  status = stub_->GetRelation(Context().get(), request, &counts);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(counts.buckets_size(), full.buckets_size());
  ASSERT_EQ(counts.buckets_size(), 3);
  for (int i = 0; i < full.buckets_size(); ++i) {
    dyad::v1::RelationBucket numbers = full.buckets(i);
    numbers.clear_root_codes();
    numbers.clear_top_codes();
    numbers.clear_event_ids();
    EXPECT_TRUE(MessageDifferencer::Equals(counts.buckets(i), numbers)) << i;
    EXPECT_FALSE(full.buckets(i).event_ids().empty()) << i;
  }
  EXPECT_TRUE(MessageDifferencer::Equals(counts.total(), full.total()))
      << counts.total().DebugString() << full.total().DebugString();
  EXPECT_LT(counts.ByteSizeLong(), full.ByteSizeLong());

  request.set_detail(static_cast<dyad::v1::RelationDetail>(7));
  status = stub_->GetRelation(Context().get(), request, &counts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("detail 7 is unknown"));
}

// A repeated GetRelation is answered from the cache; a new mention of the country pair changes
// the answer at once, a mention of another pair leaves the entry in use.
TEST_F(RelationsServiceTest, GetRelationRepeatedIsCachedAndNeverStale) {
  // 2030: no other test's window.
  const auto mention = [](const std::string& id, const std::string& day, const std::string& source,
                          const std::string& target, const std::string& code, int quad) {
    return MakeMention({id, "art-" + id, "AP", day + "T12:00:00Z", day, source, target, code, quad,
                        quad <= 2 ? 1.9 : -10.0, 0.9, "", ""});
  };
  const auto produce_and_wait = [&](const dyad::v1::Event& e) {
    Produce(e);
    ASSERT_TRUE(WaitFor([&] { return server_->store().Contains(e.id()); })) << e.id();
  };
  produce_and_wait(mention("cache-1", "2030-03-02", "FRAGOV", "DEUGOV", "042", 1));
  dyad::v1::GetRelationRequest request;
  request.set_source("FRA");
  request.set_target("DEU");
  request.set_from("2030-01-01");
  request.set_to("2030-12-31");
  request.set_bucket(dyad::v1::BUCKET_MONTH);
  const auto call = [&](const dyad::v1::GetRelationRequest& r) {
    dyad::v1::GetRelationResponse response;
    const auto status = stub_->GetRelation(Context().get(), r, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  const auto stats = [&] { return server_->service().relation_cache_stats(); };

  const auto first = call(request);
  EXPECT_EQ(first.total().events(), 1);
  const auto before = stats();
  const auto second = call(request);
  EXPECT_TRUE(MessageDifferencer::Equals(second, first));
  EXPECT_EQ(stats().hits, before.hits + 1);

  // A new mention of FRA → DEU: the next answer has it.
  produce_and_wait(mention("cache-2", "2030-03-05", "FRAMIL", "DEUGOV", "190", 4));
  const auto after_new = call(request);
  EXPECT_EQ(after_new.total().events(), 2);
  EXPECT_EQ(after_new.total().material_conflict(), 1);
  EXPECT_EQ(stats().stale, before.stale + 1);

  // Another pair's mention leaves FRA → DEU's entry in use.
  const auto cached = stats();
  produce_and_wait(mention("cache-3", "2030-04-01", "ITAGOV", "ESPGOV", "042", 1));
  EXPECT_TRUE(MessageDifferencer::Equals(call(request), after_new));
  EXPECT_EQ(stats().hits, cached.hits + 1);

  // Prefixes shorter than a country code depend on every mention; the reverse direction on the
  // reverse pair.
  request.set_source("FR");
  request.set_target("DE");
  EXPECT_EQ(call(request).total().events(), 2);
  produce_and_wait(mention("cache-4", "2030-04-02", "ITAGOV", "ESPGOV", "042", 1));
  const auto before_short = stats();
  EXPECT_EQ(call(request).total().events(), 2);
  EXPECT_EQ(stats().stale, before_short.stale + 1);
  request.set_source("FRA");
  request.set_target("DEU");
  request.set_both_directions(true);
  EXPECT_EQ(call(request).total().events(), 2);
  produce_and_wait(mention("cache-5", "2030-04-03", "DEUGOV", "FRAGOV", "036", 1));
  EXPECT_EQ(call(request).total().events(), 3);
}

// GetRelation parses its request itself: bytes that are not a GetRelationRequest, or a string
// field that is not UTF-8, get INVALID_ARGUMENT; empty bytes are an empty request.
TEST_F(RelationsServiceTest, GetRelationMalformedRequestBytes) {
  grpc::GenericStub generic(channel_);
  const auto call = [&](const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    auto context = Context();
    std::promise<grpc::Status> done;
    generic.UnaryCall(context.get(), "/dyad.v1.RelationsService/GetRelation", grpc::StubOptions(),
                      &request, &response, [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  };
  auto status = call("\xff\xff\xff\xff");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not a dyad.v1.GetRelationRequest"));
  // Field 1 (source), 3 bytes that are not UTF-8.
  status =
      call(std::string("\x0a\x03\xff\xfe"
                       "A",
                       5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("UTF-8"));
  status = call("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("source actor is empty"));
  // Still serving.
  dyad::v1::GetRelationRequest request;
  request.set_source("USA");
  request.set_target("PAK");
  dyad::v1::GetRelationResponse response;
  EXPECT_TRUE(stub_->GetRelation(Context().get(), request, &response).ok());
}

// --- TopPartners -----------------------------------------------------------------------------

TEST_F(RelationsServiceTest, TopPartners) {
  dyad::v1::TopPartnersRequest request;
  request.set_actor("PAK");
  dyad::v1::TopPartnersResponse response;
  auto status = stub_->TopPartners(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::pair<std::string, int64_t>> partners;
  for (const auto& p : response.partners()) partners.emplace_back(p.actor(), p.totals().events());
  EXPECT_THAT(partners, ElementsAre(Pair("USA", 3), Pair("CHN", 1), Pair("IND", 1)));
  EXPECT_THAT(response.partners(0).name(), HasSubstr("United States"));

  // The most hostile: lowest mean Goldstein first (IND −2.0, USA (1.9+4−10)/3, CHN 8).
  request.set_order(dyad::v1::PARTNER_ORDER_GOLDSTEIN);
  request.set_ascending(true);
  status = stub_->TopPartners(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> order;
  for (const auto& p : response.partners()) order.push_back(p.actor());
  EXPECT_THAT(order, ElementsAre("IND", "USA", "CHN"));
  EXPECT_NEAR(response.partners(1).totals().goldstein_mean(), (1.9 + 4.0 - 10.0) / 3, 1e-6);

  // Directed, with roles: only PAKGOV → USAGOV.
  request.Clear();
  request.set_actor("PAK");
  request.set_directed(true);
  request.set_partner_code_length(6);
  status = stub_->TopPartners(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.partners_size(), 1);
  EXPECT_EQ(response.partners(0).actor(), "USAGOV");
}

TEST_F(RelationsServiceTest, TopPartnersEmptyBadAndDeadline) {
  dyad::v1::TopPartnersRequest request;
  request.set_actor("UKR");
  dyad::v1::TopPartnersResponse response;
  auto status = stub_->TopPartners(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.partners_size(), 0);

  request.set_actor("");
  EXPECT_EQ(stub_->TopPartners(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_actor("PAK");
  request.set_limit(1001);
  status = stub_->TopPartners(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("limit"));
  request.set_limit(0);
  request.set_order(static_cast<dyad::v1::PartnerOrder>(99));
  EXPECT_EQ(stub_->TopPartners(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  ExpectDeadlineExceeded([&](grpc::ClientContext* context) {
    dyad::v1::TopPartnersRequest ok;
    ok.set_actor("PAK");
    return stub_->TopPartners(context, ok, &response);
  });
}

// --- ListEvents ------------------------------------------------------------------------------

TEST_F(RelationsServiceTest, ListEventsPagesNewestFirst) {
  dyad::v1::ListEventsRequest request;
  request.set_actor("PAK");
  request.set_page_size(5);
  dyad::v1::ListEventsResponse page;
  auto status = stub_->ListEvents(Context().get(), request, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> ids;
  for (const auto& e : page.events()) ids.push_back(e.id());
  EXPECT_THAT(ids, ElementsAre("m-c1", "m-e1", "m-d2", "m-d1", "m-b1"));
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  status = stub_->ListEvents(Context().get(), request, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ids.clear();
  for (const auto& e : page.events()) ids.push_back(e.id());
  EXPECT_THAT(ids, ElementsAre("m-a3", "m-a2", "m-a1"));
  EXPECT_TRUE(page.next_page_token().empty());
  EXPECT_EQ(page.events(0).article_url(), "https://news.example/art-3");

  request.Clear();
  request.set_actor("PAK");
  request.set_min_confidence(0.8);
  status = stub_->ListEvents(Context().get(), request, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ids.clear();
  for (const auto& e : page.events()) ids.push_back(e.id());
  EXPECT_THAT(ids, ElementsAre("m-e1", "m-b1", "m-a2", "m-a1"));
}

TEST_F(RelationsServiceTest, ListEventsEmptyBadAndDeadline) {
  dyad::v1::ListEventsRequest request;
  request.set_source("BRA");
  dyad::v1::ListEventsResponse page;
  auto status = stub_->ListEvents(Context().get(), request, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(page.events_size(), 0);
  EXPECT_TRUE(page.next_page_token().empty());

  request.Clear();
  request.set_page_size(5000);
  status = stub_->ListEvents(Context().get(), request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size"));
  request.Clear();
  request.set_page_token("garbage!");
  EXPECT_EQ(stub_->ListEvents(Context().get(), request, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.Clear();
  request.set_min_confidence(-0.1);
  EXPECT_EQ(stub_->ListEvents(Context().get(), request, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  ExpectDeadlineExceeded([&](grpc::ClientContext* context) {
    return stub_->ListEvents(context, dyad::v1::ListEventsRequest(), &page);
  });
}

// --- GetEvent --------------------------------------------------------------------------------

TEST_F(RelationsServiceTest, GetEventHasEveryMentionWithProvenance) {
  dyad::v1::GetEventRequest request;
  request.set_id("m-a3");  // any mention's id
  dyad::v1::GetEventResponse response;
  auto status = stub_->GetEvent(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.event().id(), "m-a1");  // the representative: smallest id
  std::vector<std::string> mentions;
  for (const auto& m : response.mentions()) mentions.push_back(m.event_id());
  EXPECT_THAT(mentions, ElementsAre("m-a1", "m-a2", "m-a3"));  // oldest published_at first
  const auto& second = response.mentions(1);
  EXPECT_EQ(second.article_id(), "art-2");
  EXPECT_EQ(second.article_url(), "https://news.example/art-2");
  EXPECT_EQ(second.publisher(), "AP");
  EXPECT_EQ(second.sentence(), "A sentence of art-2 reporting 042.");
  EXPECT_EQ(second.sentence_begin(), 10);
  EXPECT_EQ(second.trigger_end(), 27);
  EXPECT_EQ(second.code(), "042");
  EXPECT_DOUBLE_EQ(second.confidence(), 0.8);
  EXPECT_EQ(google::protobuf::util::TimeUtil::ToString(response.first_seen()),
            "2025-09-13T08:00:00Z");
  EXPECT_EQ(google::protobuf::util::TimeUtil::ToString(response.last_seen()),
            "2025-09-14T06:00:00Z");
  EXPECT_EQ(response.articles(), 3);
  EXPECT_EQ(response.sources(), 2);
  EXPECT_NEAR(response.goldstein(), 1.9, 1e-6);
}

TEST_F(RelationsServiceTest, GetEventNotFoundBadAndDeadline) {
  dyad::v1::GetEventRequest request;
  request.set_id("m-no-such");
  dyad::v1::GetEventResponse response;
  auto status = stub_->GetEvent(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("m-no-such"));
  request.set_id("");
  EXPECT_EQ(stub_->GetEvent(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ExpectDeadlineExceeded([&](grpc::ClientContext* context) {
    dyad::v1::GetEventRequest ok;
    ok.set_id("m-a1");
    return stub_->GetEvent(context, ok, &response);
  });
}

// --- GetGraph --------------------------------------------------------------------------------

TEST_F(RelationsServiceTest, GetGraph) {
  dyad::v1::GetGraphRequest request;
  request.set_from("2025-09-01");
  request.set_to("2025-09-30");
  dyad::v1::GetGraphResponse response;
  auto status = stub_->GetGraph(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::tuple<std::string, std::string, int64_t>> edges;
  for (const auto& e : response.edges()) edges.emplace_back(e.source(), e.target(), e.events());
  EXPECT_THAT(edges,
              ElementsAre(std::make_tuple("USA", "PAK", 2), std::make_tuple("CHN", "PAK", 1),
                          std::make_tuple("IND", "PAK", 1), std::make_tuple("PAK", "USA", 1)));
  EXPECT_EQ(response.edges(0).mentions(), 4);
  EXPECT_EQ(response.edges(0).cooperation(), 1);
  EXPECT_EQ(response.edges(0).conflict(), 1);
  std::vector<std::pair<std::string, int64_t>> nodes;
  for (const auto& n : response.nodes()) nodes.emplace_back(n.actor(), n.events());
  EXPECT_THAT(nodes, ElementsAre(Pair("CHN", 1), Pair("IND", 1), Pair("PAK", 5), Pair("USA", 3)));
  EXPECT_THAT(response.nodes(2).name(), HasSubstr("Pakistan"));
  EXPECT_FALSE(response.truncated());

  request.set_limit(2);
  status = stub_->GetGraph(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.edges_size(), 2);
  EXPECT_TRUE(response.truncated());
}

TEST_F(RelationsServiceTest, GetGraphEmptyBadAndDeadline) {
  dyad::v1::GetGraphRequest request;
  request.set_min_events(100);
  dyad::v1::GetGraphResponse response;
  auto status = stub_->GetGraph(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.edges_size(), 0);
  EXPECT_EQ(response.nodes_size(), 0);

  request.set_min_events(-1);
  EXPECT_EQ(stub_->GetGraph(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_min_events(0);
  request.set_limit(100001);
  status = stub_->GetGraph(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("limit"));
  request.set_limit(0);
  request.set_node_code_length(65);
  EXPECT_EQ(stub_->GetGraph(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ExpectDeadlineExceeded([&](grpc::ClientContext* context) {
    return stub_->GetGraph(context, dyad::v1::GetGraphRequest(), &response);
  });
}

// --- ListActors ------------------------------------------------------------------------------

TEST_F(RelationsServiceTest, ListActorsByCodeAndName) {
  dyad::v1::ListActorsRequest request;
  request.set_prefix("pak");
  dyad::v1::ListActorsResponse response;
  auto status = stub_->ListActors(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::pair<std::string, int64_t>> actors;
  for (const auto& a : response.actors()) actors.emplace_back(a.code(), a.mentions());
  EXPECT_THAT(actors, ElementsAre(Pair("PAKGOV", 7), Pair("PAKMIL", 1)));
  EXPECT_EQ(response.actors(0).name(), "Pakistan government");

  request.set_prefix("united st");
  status = stub_->ListActors(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> codes;
  for (const auto& a : response.actors()) codes.push_back(a.code());
  EXPECT_THAT(codes, ElementsAre("USAGOV", "USAMIL"));
}

TEST_F(RelationsServiceTest, ListActorsEmptyBadAndDeadline) {
  dyad::v1::ListActorsRequest request;
  request.set_prefix("QQ");
  dyad::v1::ListActorsResponse response;
  auto status = stub_->ListActors(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.actors_size(), 0);
  request.set_prefix("");
  request.set_limit(1001);
  EXPECT_EQ(stub_->ListActors(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_limit(0);
  request.set_prefix(std::string(200, 'A'));
  EXPECT_EQ(stub_->ListActors(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ExpectDeadlineExceeded([&](grpc::ClientContext* context) {
    return stub_->ListActors(context, dyad::v1::ListActorsRequest(), &response);
  });
}

// The receive limit (rpc::ServerOptions::max_receive_bytes, 16 MiB) holds before any query.
TEST_F(RelationsServiceTest, OversizedRequestIsRefused) {
  dyad::v1::ListActorsRequest request;
  request.set_prefix(std::string(17 << 20, 'A'));
  dyad::v1::ListActorsResponse response;
  const auto status = stub_->ListActors(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  // The server is fine afterwards.
  request.set_prefix("PAK");
  EXPECT_TRUE(stub_->ListActors(Context().get(), request, &response).ok());
}

// --- WatchEvents -----------------------------------------------------------------------------

// An open WatchEvents stream. The constructor returns once the server has subscribed it (the
// initial metadata arrived).
class Watch {
 public:
  Watch(dyad::v1::RelationsService::Stub& stub, const dyad::v1::WatchEventsRequest& request,
        milliseconds timeout = seconds(60)) {
    context_.set_deadline(std::chrono::system_clock::now() + timeout);
    reader_ = stub.WatchEvents(&context_, request);
    reader_->WaitForInitialMetadata();
  }
  // The next message, or nullopt when the stream ended.
  std::optional<dyad::v1::WatchEventsResponse> Next() {
    dyad::v1::WatchEventsResponse response;
    if (!reader_->Read(&response)) return std::nullopt;
    return response;
  }
  grpc::Status Finish() {
    finished_ = true;
    return reader_->Finish();
  }
  void Cancel() { context_.TryCancel(); }
  ~Watch() {
    if (!finished_) {
      Cancel();
      Finish();
    }
  }

 private:
  bool finished_ = false;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<dyad::v1::WatchEventsResponse>> reader_;
};

std::vector<dyad::v1::Event> LiveMentions(const std::string& prefix, int n,
                                          const std::string& source = "USAGOV",
                                          const std::string& target = "PAKGOV",
                                          const std::string& code = "042", int quad = 1) {
  std::vector<dyad::v1::Event> events;
  for (int i = 0; i < n; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "%s-%05d", prefix.c_str(), i);
    events.push_back(MakeMention({id, std::string("art-") + id, "AP", "2025-10-01T12:00:00Z",
                                  "2025-10-01", source, target, code, quad, 1.9, 0.9, "", ""}));
  }
  return events;
}

TEST_F(RelationsServiceTest, WatchEventsReceivesNewMentionsInOrder) {
  Watch watch(*stub_, dyad::v1::WatchEventsRequest());
  const auto live = LiveMentions("w-order", 20);
  // One key: one partition, so the applier reads them in the order produced.
  for (const auto& e : live) Produce(e, "w-order");
  for (const auto& e : live) {
    auto next = watch.Next();
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->event().id(), e.id());
    EXPECT_EQ(next->dropped(), 0);
    EXPECT_EQ(next->event().article_url(), e.article_url());
  }
  // They were applied before they were sent: a query sees the last one.
  EXPECT_TRUE(server_->store().Contains(live.back().id()));
  watch.Cancel();
  EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(RelationsServiceTest, WatchEventsFilters) {
  dyad::v1::WatchEventsRequest request;
  request.set_actor("irn");
  request.set_code("19");
  Watch iran_force(*stub_, request);
  dyad::v1::WatchEventsRequest cooperation;
  cooperation.set_source("IRN");
  cooperation.set_quad_class(1);
  cooperation.set_min_confidence(0.5);
  Watch iran_cooperation(*stub_, cooperation);

  std::vector<dyad::v1::Event> mixed;
  for (const auto& e : LiveMentions("w-f-a", 2, "ISRMIL", "IRNMIL", "190", 4)) mixed.push_back(e);
  for (const auto& e : LiveMentions("w-f-b", 2, "IRNGOV", "IRQGOV", "042", 1)) mixed.push_back(e);
  for (const auto& e : LiveMentions("w-f-c", 2, "USAGOV", "PAKGOV", "190", 4)) mixed.push_back(e);
  for (const auto& e : LiveMentions("w-f-d", 1, "IRNMIL", "ISRMIL", "195", 4)) mixed.push_back(e);
  for (const auto& e : mixed) Produce(e, "w-filter");

  std::vector<std::string> force, coop;
  for (int i = 0; i < 3; ++i) {
    auto next = iran_force.Next();
    ASSERT_TRUE(next.has_value());
    force.push_back(next->event().id());
  }
  for (int i = 0; i < 2; ++i) {
    auto next = iran_cooperation.Next();
    ASSERT_TRUE(next.has_value());
    coop.push_back(next->event().id());
  }
  EXPECT_THAT(force, ElementsAre("w-f-a-00000", "w-f-a-00001", "w-f-d-00000"));
  EXPECT_THAT(coop, ElementsAre("w-f-b-00000", "w-f-b-00001"));
  // A mention that matches neither, then one that matches: the next message is that one.
  Produce(LiveMentions("w-f-e", 1, "USAGOV", "PAKGOV", "042", 1)[0], "w-filter");
  Produce(LiveMentions("w-f-f", 1, "IRNGOV", "CHNGOV", "057", 1)[0], "w-filter");
  auto next = iran_cooperation.Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->event().id(), "w-f-f-00000");
  iran_force.Cancel();
  iran_cooperation.Cancel();
}

TEST_F(RelationsServiceTest, WatchEventsBadFilterIsInvalidArgument) {
  for (auto set : std::vector<std::function<void(dyad::v1::WatchEventsRequest&)>>{
           [](auto& r) { r.set_quad_class(7); },
           [](auto& r) { r.set_actor("U S A"); },
           [](auto& r) { r.set_code("x"); },
           [](auto& r) { r.set_buffer(200000); },
           [](auto& r) { r.set_min_confidence(3); },
       }) {
    dyad::v1::WatchEventsRequest request;
    set(request);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(10));
    auto reader = stub_->WatchEvents(&context, request);
    dyad::v1::WatchEventsResponse response;
    EXPECT_FALSE(reader->Read(&response));
    const auto status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << request.DebugString();
    EXPECT_FALSE(status.error_message().empty());
  }
}

// A reader that does not read: its buffer (10) overflows, the oldest mentions are dropped and
// counted, and the applier goes on applying at its own pace all the same. What the reader then
// gets plus what it is told was dropped is exactly what was published for it, in order.
TEST_F(RelationsServiceTest, WatchEventsSlowReaderGetsDroppedAndTheApplierIsNotSlowed) {
  dyad::v1::WatchEventsRequest request;
  request.set_source("NOR");  // only this test's mentions
  request.set_buffer(10);
  Watch slow(*stub_, request);
  constexpr int kMentions = 3000;
  const auto live = LiveMentions("w-slow", kMentions, "NORGOV", "SWEGOV");
  const int64_t applied_before = server_->applier_stats().applied.load();
  const int64_t dropped_before = server_->watch_hub().Stats().dropped;
  std::atomic<int> delivered{0};
  for (const auto& e : live) {
    absl::Status status;
    do {
      status = producer_->Produce(kafka::kEventsTopic, "w-slow", e.SerializeAsString(),
                                  [&](const kafka::DeliveryReport& report) {
                                    if (report.status.ok()) delivered.fetch_add(1);
                                  });
      if (status.code() == absl::StatusCode::kResourceExhausted) {
        std::this_thread::sleep_for(milliseconds(5));
      }
    } while (status.code() == absl::StatusCode::kResourceExhausted);
    ASSERT_TRUE(status.ok()) << status;
  }
  ASSERT_EQ(producer_->Flush(seconds(30)), 0);
  ASSERT_EQ(delivered.load(), kMentions);
  // Every mention applied while the reader has read nothing, and drops already happened.
  ASSERT_TRUE(
      WaitFor([&] { return server_->applier_stats().applied.load() - applied_before >= kMentions; },
              seconds(60)))
      << server_->applier_stats().applied.load() - applied_before;
  EXPECT_GT(server_->watch_hub().Stats().dropped - dropped_before, 0);

  int64_t received = 0, dropped = 0;
  std::string last;
  bool ordered = true;
  while (received + dropped < kMentions) {
    auto next = slow.Next();
    ASSERT_TRUE(next.has_value()) << received << " received, " << dropped << " dropped";
    ++received;
    dropped += next->dropped();
    ordered = ordered && next->event().id() > last;
    last = next->event().id();
  }
  EXPECT_EQ(received + dropped, kMentions);
  EXPECT_GT(dropped, 0);
  EXPECT_TRUE(ordered);
  EXPECT_EQ(last, live.back().id());  // the newest is never the one dropped
  slow.Cancel();
}

TEST_F(RelationsServiceTest, WatchEventsCancelAndDeadlineEndTheStream) {
  // Streams of earlier tests are let go of asynchronously.
  ASSERT_TRUE(WaitFor([&] { return server_->watch_hub().Stats().watchers == 0; }, seconds(5)));
  const int64_t watchers_before = 0;
  {
    Watch watch(*stub_, dyad::v1::WatchEventsRequest());
    EXPECT_EQ(server_->watch_hub().Stats().watchers, watchers_before + 1);
    watch.Cancel();
    EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_TRUE(WaitFor([&] { return server_->watch_hub().Stats().watchers == watchers_before; },
                      seconds(5)));
  {
    const auto started = std::chrono::steady_clock::now();
    Watch watch(*stub_, dyad::v1::WatchEventsRequest(), milliseconds(300));
    EXPECT_FALSE(watch.Next().has_value());
    EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));
  }
  // The server let go of it too.
  EXPECT_TRUE(WaitFor([&] { return server_->watch_hub().Stats().watchers == watchers_before; },
                      seconds(5)));
  // Already past its deadline when it arrives: answered without subscribing.
  ExpectDeadlineExceeded([&](grpc::ClientContext* context) {
    auto reader = stub_->WatchEvents(context, dyad::v1::WatchEventsRequest());
    dyad::v1::WatchEventsResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  });
}

// A server of its own: the watcher limit, and shutdown ending every stream with UNAVAILABLE
// without waiting for the grace period.
TEST_F(RelationsServiceTest, WatchEventsLimitAndShutdown) {
  const std::string dir = NewStateDir();
  auto options = Options(dir);
  options.max_watchers = 2;
  auto server = QueryServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = dyad::v1::RelationsService::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  auto first = std::make_unique<Watch>(*stub, dyad::v1::WatchEventsRequest());
  auto second = std::make_unique<Watch>(*stub, dyad::v1::WatchEventsRequest());
  {
    Watch third(*stub, dyad::v1::WatchEventsRequest());
    EXPECT_FALSE(third.Next().has_value());
    const auto status = third.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), HasSubstr("--max-watchers"));
  }
  // Unary calls still work meanwhile.
  dyad::v1::ListActorsResponse actors;
  EXPECT_TRUE(stub->ListActors(Context().get(), dyad::v1::ListActorsRequest(), &actors).ok());

  const auto started = std::chrono::steady_clock::now();
  std::thread stopper([&] { (*server)->Stop(seconds(10)); });
  for (auto* watch : {first.get(), second.get()}) {
    EXPECT_FALSE(watch->Next().has_value());
    const auto status = watch->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(status.error_message(), HasSubstr("server shutting down"));
  }
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));  // not the 10 s grace
  first.reset();
  second.reset();
  server->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dyad::query
