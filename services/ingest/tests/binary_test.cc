// The dyad-ingest executable as a process: ready line, serving, SIGTERM → exit 0, bad flags → 1.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "dyad/core/subprocess.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/metrics/scrape.h"
#include "dyad/v1/ingest_service.grpc.pb.h"
#include "test_util.h"

namespace dyad::ingest {
namespace {

using std::chrono::seconds;

std::unique_ptr<core::Subprocess> Start(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {DYAD_INGEST_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = core::Subprocess::Start(argv, {"DYAD_LOG_LEVEL=warn"});
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

TEST(DyadIngestBinary, ServesAndStopsCleanlyOnSigterm) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  auto child = Start(
      {"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0", "--partitions=2"});
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(std::chrono::seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  const std::string prefix = "dyad-ingest listening on 127.0.0.1:";
  ASSERT_EQ(line->substr(0, prefix.size()), prefix) << *line;
  const std::string address = line->substr(std::string("dyad-ingest listening on ").size());

  auto stub =
      v1::IngestService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::PublishRequest request;
  request.set_url("https://x.org/binary");
  request.set_text("ISLAMABAD: Published through the binary.");
  v1::PublishResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(30));
  const auto status = stub->Publish(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.article_id().substr(0, 2), "u-");

  child->Signal(SIGTERM);
  auto code = child->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

// Records in flight with the brokers gone, then SIGTERM: the process exits within the flush
// timeout, the callers of those records get UNAVAILABLE, and the log says how many were not
// delivered.
TEST(DyadIngestBinary, SigtermWithBrokersDownFailsInFlightCallsAndCountsThem) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  testing::TempDir dir;
  const auto log = dir.path() / "stderr.log";
  // stderr to a file (Subprocess inherits it), through a shell that execs the binary.
  std::vector<std::string> argv = {"/bin/sh",
                                   "-c",
                                   std::string("exec \"$0\" \"$@\" 2>'") + log.string() + "'",
                                   DYAD_INGEST_BINARY,
                                   "--brokers=" + (*broker)->bootstrap_servers(),
                                   "--listen=127.0.0.1:0",
                                   "--partitions=2",
                                   "--articles-topic=dyad.test.sigterm",
                                   "--delivery-timeout=60000",
                                   "--flush-timeout=1500"};
  auto started = core::Subprocess::Start(argv, {"DYAD_LOG_LEVEL=info"});
  ASSERT_TRUE(started.ok()) << started.status();
  auto child = *std::move(started);
  auto line = child->ReadLine(std::chrono::seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  const std::string address = line->substr(std::string("dyad-ingest listening on ").size());
  auto stub =
      v1::IngestService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));

  ASSERT_TRUE((*broker)->SetBrokerDown().ok());
  constexpr int kCalls = 4;
  std::vector<grpc::Status> results(kCalls);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      v1::PublishRequest request;
      request.set_url("https://x.org/sigterm/" + std::to_string(i));
      request.set_text("In flight when the process was told to stop.");
      v1::PublishResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(60));
      results[static_cast<std::size_t>(i)] = stub->Publish(&context, request, &response);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the calls wait for Kafka now
  const auto start = std::chrono::steady_clock::now();
  child->Signal(SIGTERM);
  auto code = child->Wait(std::chrono::seconds(30));
  const auto took = std::chrono::steady_clock::now() - start;
  for (auto& caller : callers) caller.join();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  // The flush timeout (1.5 s) plus the server's and workers' stop, far below the 60 s delivery
  // timeout the records would otherwise wait for.
  EXPECT_LT(took, std::chrono::seconds(8));
  for (const auto& result : results) {
    EXPECT_EQ(result.error_code(), grpc::StatusCode::UNAVAILABLE) << result.error_message();
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::printf(
      "SIGTERM to exit with %d records in flight, brokers down: %lld ms; log:\n%s", kCalls,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
      text.str().c_str());
  EXPECT_NE(text.str().find(std::to_string(kCalls) + " records were not delivered"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find(std::to_string(kCalls) + " failed"), std::string::npos) << text.str();
}

// --metrics-listen: the binary serves /metrics and the numbers move with the calls.
TEST(DyadIngestBinary, ServesMetricsByFlag) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::string metrics_address = "127.0.0.1:" + std::to_string(metrics::FreeLoopbackPort());
  auto child = Start({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                      "--partitions=2", "--metrics-listen=" + metrics_address});
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(std::chrono::seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  const std::string address = line->substr(std::string("dyad-ingest listening on ").size());
  auto before = metrics::HttpGet(metrics_address);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(metrics::FindSample(*before, "dyad_ingest_articles_total{outcome=\"published\"}"), 0);

  auto stub =
      v1::IngestService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::PublishRequest request;
  request.set_url("https://x.org/metrics");
  request.set_text("ISLAMABAD: Published through the binary, counted.");
  v1::PublishResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(30));
  ASSERT_TRUE(stub->Publish(&context, request, &response).ok());

  auto after = metrics::HttpGet(metrics_address);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(metrics::FindSample(*after, "dyad_ingest_articles_total{outcome=\"published\"}"), 1);
  EXPECT_EQ(metrics::FindSample(*after, "dyad_ingest_publish_seconds_count"), 1);
  EXPECT_EQ(
      metrics::FindSample(
          *after, "dyad_rpc_requests_total{method=\"/dyad.v1.IngestService/Publish\",code=\"OK\"}"),
      1);
  EXPECT_EQ(metrics::FindSample(*after, "dyad_kafka_producer_queue_messages"), 0);
  EXPECT_TRUE(metrics::FindSample(*after, "process_cpu_seconds_total").has_value());

  child->Signal(SIGTERM);
  auto code = child->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

TEST(DyadIngestBinary, BadFlagsExitOne) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--max-article-bytes=0"},
        {"--log-level=loud"},
        {"--kafka-config=novalue"},
        {"--brokers=127.0.0.1:1", "--listen=nocolon"},
        {"--brokers=127.0.0.1:1", "--metrics-listen=nocolon"},
        {"--brokers=127.0.0.1:1", "--metrics-listen=:x"}}) {
    auto child = Start(args);
    ASSERT_NE(child, nullptr);
    auto code = child->Wait(std::chrono::seconds(60));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 1) << args[0];
  }
}

}  // namespace
}  // namespace dyad::ingest
