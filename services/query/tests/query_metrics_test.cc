// dyad-query's Prometheus endpoint: QueryServer in-process (embedded broker, 127.0.0.1:0) with
// metrics on port 0; records produced, GetRelation called, /metrics scraped over a socket.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/metrics/scrape.h"
#include "dyad/query/query.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::query {
namespace {

using std::chrono::seconds;

dyad::v1::Event MakeEvent(const std::string& id, const std::string& date) {
  dyad::v1::Event e;
  e.set_id(id);
  e.mutable_source()->set_code("USAGOV");
  e.mutable_source()->set_country("USA");
  e.mutable_target()->set_code("PAKGOV");
  e.mutable_target()->set_country("PAK");
  e.mutable_date()->set_date(date);
  e.set_quad_class(1);
  e.set_goldstein(1.0);
  e.set_code("041");
  e.set_root_code("04");
  return e;
}

double Sample(const std::string& text, const std::string& series) {
  const auto value = metrics::FindSample(text, series);
  EXPECT_TRUE(value.has_value()) << series << " not in:\n" << text;
  return value.value_or(-1);
}

TEST(QueryMetrics, ScrapeShowsAppliedRejectedCacheRpcLagAndProcess) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  QueryOptions options;
  options.client.brokers = (*broker)->bootstrap_servers();
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.partitions = 2;
  auto server = QueryServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->metrics_address();
  ASSERT_NE(address.find("127.0.0.1:"), std::string::npos);
  EXPECT_NE(address, "127.0.0.1:0");

  kafka::ProducerOptions producer_options;
  producer_options.client.brokers = (*broker)->bootstrap_servers();
  auto producer = kafka::Producer::Create(producer_options);
  ASSERT_TRUE(producer.ok());
  const auto produce = [&](const std::string& key, const std::string& value) {
    auto report = (*producer)->ProduceSync(kafka::kEventsTopic, key, value, seconds(10));
    ASSERT_TRUE(report.ok() && report->status.ok());
  };
  constexpr int kMentions = 7;
  for (int i = 0; i < kMentions; ++i) {
    produce("USA>PAK", MakeEvent("m-" + std::to_string(i), "2025-09-1" + std::to_string(i % 3))
                           .SerializeAsString());
  }
  produce("USA>PAK", MakeEvent("m-0", "2025-09-10").SerializeAsString());  // a duplicate
  produce("junk", "\xff\xfe not protobuf");
  produce("junk", "\xff\xfe not protobuf either");
  produce("empty", "");
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while ((*server)->applier_stats().records.load() < kMentions + 4 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ((*server)->applier_stats().records.load(), kMentions + 4);

  // GetRelation twice: built once (a miss), then served from the cache (a hit); one bad call.
  auto stub = dyad::v1::RelationsService::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    dyad::v1::GetRelationRequest request;
    request.set_source("USA");
    request.set_target("PAK");
    dyad::v1::GetRelationResponse response;
    ASSERT_TRUE(stub->GetRelation(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    dyad::v1::GetRelationRequest request;  // no actors: INVALID_ARGUMENT
    dyad::v1::GetRelationResponse response;
    EXPECT_EQ(stub->GetRelation(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  // The consumer lag is refreshed once a second: wait for every partition to report 0.
  std::string text;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto body = metrics::HttpGet(address);
    ASSERT_TRUE(body.ok()) << body.status();
    text = *body;
    const auto lag0 = metrics::FindSample(
        text, "dyad_kafka_consumer_lag{topic=\"dyad.events.v1\",partition=\"0\"}");
    const auto lag1 = metrics::FindSample(
        text, "dyad_kafka_consumer_lag{topic=\"dyad.events.v1\",partition=\"1\"}");
    if (lag0 == 0 && lag1 == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(Sample(text, "dyad_query_mentions_applied_total"), kMentions);
  EXPECT_EQ(Sample(text, "dyad_query_records_duplicate_total"), 1);
  EXPECT_EQ(Sample(text, "dyad_query_records_rejected_total{kind=\"unparseable\"}"), 2);
  EXPECT_EQ(Sample(text, "dyad_query_records_rejected_total{kind=\"missing_id\"}"), 1);
  EXPECT_EQ(Sample(text, "dyad_query_records_rejected_total{kind=\"rejected\"}"), 0);
  EXPECT_EQ(Sample(text, "dyad_query_records_rejected_total{kind=\"oversized\"}"), 0);
  EXPECT_GE(Sample(text, "dyad_query_state_bytes"), 0);
  EXPECT_EQ(Sample(text, "dyad_query_relation_cache_misses_total"), 1);
  EXPECT_EQ(Sample(text, "dyad_query_relation_cache_hits_total"), 1);
  EXPECT_EQ(Sample(text, "dyad_query_caught_up"), 1);
  EXPECT_EQ(Sample(text,
                   "dyad_rpc_requests_total{method=\"/dyad.v1.RelationsService/"
                   "GetRelation\",code=\"OK\"}"),
            2);
  EXPECT_EQ(Sample(text,
                   "dyad_rpc_requests_total{method=\"/dyad.v1.RelationsService/"
                   "GetRelation\",code=\"INVALID_ARGUMENT\"}"),
            1);
  EXPECT_EQ(
      Sample(text, "dyad_rpc_seconds_count{method=\"/dyad.v1.RelationsService/GetRelation\"}"), 3);
  EXPECT_EQ(Sample(text, "dyad_kafka_consumer_lag{topic=\"dyad.events.v1\",partition=\"0\"}"), 0);
  EXPECT_EQ(Sample(text, "dyad_kafka_consumer_lag{topic=\"dyad.events.v1\",partition=\"1\"}"), 0);
  EXPECT_GT(Sample(text, "process_resident_memory_bytes"), 0);
  EXPECT_GE(Sample(text, "process_cpu_seconds_total"), 0);

  // Stopped with the server.
  server->reset();
  EXPECT_EQ(metrics::HttpGet(address).status().code(), absl::StatusCode::kUnavailable);
}

TEST(QueryMetrics, OffByDefaultAndBadAddressRefused) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok());
  QueryOptions options;
  options.client.brokers = (*broker)->bootstrap_servers();
  options.listen = "127.0.0.1:0";
  {
    auto server = QueryServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->metrics_address(), "");
  }
  options.metrics_listen = "127.0.0.1";
  auto server = QueryServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("host:port"), std::string::npos);
}

}  // namespace
}  // namespace dyad::query
