// End-to-end: the built binaries as processes on loopback — `dyad broker`, dyad-query,
// dyad-extractor, dyad-ingest — driven over gRPC like a user's client would.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "dyad/core/subprocess.h"
#include "dyad/metrics/scrape.h"
#include "dyad/v1/ingest_service.grpc.pb.h"
#include "dyad/v1/relations_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dyad {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Bin(const std::string& name) {
  const std::string dir = name == "dyad" ? "cli" : name.substr(5);  // dyad-query → query
  return std::string(DYAD_BINARY_DIR) + "/services/" + dir + "/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Reads lines until one contains " listening on " or " ready"; returns what follows "on ".
std::string AwaitReady(core::Subprocess& child) {
  while (true) {
    auto line = child.ReadLine(seconds(60));
    if (!line.ok()) {
      ADD_FAILURE() << "child did not become ready: " << line.status();
      return "";
    }
    if (auto at = line->find(" listening on "); at != std::string::npos)
      return line->substr(at + 14);
    if (line->find(" ready") != std::string::npos) return "ready";
  }
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = Start({Bin("dyad"), "broker", "--partitions=3"});
    brokers_ = AwaitReady(*broker_);
    ASSERT_FALSE(brokers_.empty());
    query_ = Start({Bin("dyad-query"), "--brokers=" + brokers_, "--listen=127.0.0.1:0",
                    "--metrics-listen=" + metrics_.query});
    query_address_ = AwaitReady(*query_);
    // The embedded broker (librdkafka's mock cluster) stores no transactional offsets and does
    // not filter aborted records, so exactly-once cannot work on it: at-least-once here.
    extractor_ = Start({Bin("dyad-extractor"), "--brokers=" + brokers_, "--delivery=at-least-once",
                        "--metrics-listen=" + metrics_.extractor});
    ASSERT_EQ(AwaitReady(*extractor_), "ready");
    ingest_ = Start({Bin("dyad-ingest"), "--brokers=" + brokers_, "--listen=127.0.0.1:0",
                     "--metrics-listen=" + metrics_.ingest});
    ingest_address_ = AwaitReady(*ingest_);
    ASSERT_FALSE(query_address_.empty());
    ASSERT_FALSE(ingest_address_.empty());
  }

  std::unique_ptr<core::Subprocess> Start(const std::vector<std::string>& argv) {
    auto child = core::Subprocess::Start(argv, {"DYAD_LOG_LEVEL=warn"});
    EXPECT_TRUE(child.ok()) << child.status();
    return child.ok() ? std::move(*child) : nullptr;
  }

  // Polls GetRelation until it reports at least one event or 60 s pass.
  v1::GetRelationResponse AwaitRelation(const v1::GetRelationRequest& request) {
    auto stub = v1::RelationsService::NewStub(
        grpc::CreateChannel(query_address_, grpc::InsecureChannelCredentials()));
    v1::GetRelationResponse response;
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(5));
      response.Clear();
      const auto status = stub->GetRelation(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (response.total().events() > 0) break;
      std::this_thread::sleep_for(milliseconds(200));
    }
    return response;
  }

  // One sample of a service's /metrics (-1 when the scrape or the sample is missing).
  static double Sample(const std::string& address, const std::string& series) {
    auto text = metrics::HttpGet(address);
    EXPECT_TRUE(text.ok()) << address << ": " << text.status();
    if (!text.ok()) return -1;
    return metrics::FindSample(*text, series).value_or(-1);
  }

  struct MetricsAddresses {
    std::string Loopback() const {
      return "127.0.0.1:" + std::to_string(metrics::FreeLoopbackPort());
    }
    std::string query = Loopback(), extractor = Loopback(), ingest = Loopback();
  };

  MetricsAddresses metrics_;
  std::unique_ptr<core::Subprocess> broker_, query_, extractor_, ingest_;
  std::string brokers_, query_address_, ingest_address_;
};

TEST_F(PipelineTest, SeedArticleReachesGetRelation) {
  const std::string seed =
      ReadFile(std::string(DYAD_SHARED_DIR) + "/examples/000_5447edb819e78dad.txt");
  ASSERT_FALSE(seed.empty());
  v1::PublishRequest article;
  article.set_url(seed.substr(0, seed.find('\n')));
  article.set_text(seed.substr(seed.find('\n') + 1));
  article.mutable_published_at()->set_seconds(1757808000);  // 2025-09-14T00:00:00Z

  // Each service's metrics before the article: nothing done yet.
  const std::string published_series = "dyad_ingest_articles_total{outcome=\"published\"}";
  const std::string coded_series = "dyad_extractor_articles_total{outcome=\"coded\"}";
  EXPECT_EQ(Sample(metrics_.ingest, published_series), 0);
  EXPECT_EQ(Sample(metrics_.extractor, coded_series), 0);
  EXPECT_EQ(Sample(metrics_.query, "dyad_query_mentions_applied_total"), 0);

  auto ingest = v1::IngestService::NewStub(
      grpc::CreateChannel(ingest_address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(30));
  v1::PublishResponse published;
  const auto status = ingest->Publish(&context, article, &published);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(published.duplicate());

  v1::GetRelationRequest usa_pak;
  usa_pak.set_source("USA");
  usa_pak.set_target("PAK");
  usa_pak.set_both_directions(true);
  usa_pak.set_bucket(v1::BUCKET_MONTH);
  const auto relation = AwaitRelation(usa_pak);
  ASSERT_GT(relation.total().events(), 0);
  EXPECT_GT(relation.total().root_codes().count("04"), 0u) << relation.DebugString();
  EXPECT_GT(relation.total().verbal_cooperation(), 0);

  v1::GetRelationRequest usa_ind;
  usa_ind.set_source("USA");
  usa_ind.set_target("IND");
  const auto tariffs = AwaitRelation(usa_ind);
  EXPECT_GT(tariffs.total().verbal_conflict() + tariffs.total().material_conflict(), 0)
      << tariffs.DebugString();

  // ... and after it: the metrics moved with the work, in every service.
  EXPECT_EQ(Sample(metrics_.ingest, published_series), 1);
  EXPECT_EQ(Sample(metrics_.extractor, coded_series), 1);
  const double events_out = Sample(metrics_.extractor, "dyad_extractor_events_total");
  EXPECT_GT(events_out, 0);
  // Mentions are applied in batches: the query's count reaches the extractor's shortly after the
  // relation shows the first ones.
  double applied = 0;
  for (int i = 0; i < 100 && applied < events_out; ++i) {
    applied = Sample(metrics_.query, "dyad_query_mentions_applied_total");
    if (applied < events_out) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(applied, events_out);

  // The same article again is a duplicate and changes nothing downstream.
  grpc::ClientContext again;
  v1::PublishResponse duplicate;
  ASSERT_TRUE(ingest->Publish(&again, article, &duplicate).ok());
  EXPECT_TRUE(duplicate.duplicate());
  EXPECT_EQ(duplicate.article_id(), published.article_id());
}

TEST_F(PipelineTest, HealthAndBadInputOverGrpc) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(query_address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckResponse serving;
  ASSERT_TRUE(health->Check(&health_context, {}, &serving).ok());
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto ingest = v1::IngestService::NewStub(
      grpc::CreateChannel(ingest_address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::PublishRequest empty;
  v1::PublishResponse response;
  const auto status = ingest->Publish(&context, empty, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("text"), std::string::npos) << status.error_message();

  auto query = v1::RelationsService::NewStub(
      grpc::CreateChannel(query_address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext query_context;
  v1::GetRelationRequest bad;
  bad.set_source("USA");
  bad.set_target("PAK");
  bad.set_from("2025-13-01");
  v1::GetRelationResponse relation;
  EXPECT_EQ(query->GetRelation(&query_context, bad, &relation).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace dyad
