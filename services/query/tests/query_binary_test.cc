// The dyad-query executable as a child process: ready line, serving, flags, clean shutdown.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "dyad/core/subprocess.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/kafka/producer.h"
#include "dyad/kafka/topics.h"
#include "dyad/v1/relations_service.grpc.pb.h"

namespace dyad::query {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::MatchesRegex;

constexpr char kReadyPrefix[] = "dyad-query listening on ";

std::unique_ptr<core::Subprocess> StartQuery(std::vector<std::string> args) {
  args.insert(args.begin(), DYAD_QUERY_BIN);
  auto child = core::Subprocess::Start(args);
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? std::move(*child) : nullptr;
}

TEST(QueryBinary, ServesAndStopsCleanlyOnSigterm) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  auto child = StartQuery({"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0",
                           "--partitions=2", "--log-level=warn"});
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

TEST(QueryBinary, BadFlagsExitOne) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--partitions=0"},
           {"--no-such-flag"},
           {"--log-level=loud"},
           {"--kafka-config", "no-equals-sign"},
       }) {
    auto child = StartQuery(args);
    ASSERT_NE(child, nullptr);
    auto code = child->Wait(seconds(20));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 1) << args[0];
  }
}

TEST(QueryBinary, AddressInUseExitsOne) {
  auto broker = kafka::EmbeddedBroker::Start(1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  auto first = StartQuery(
      {"--brokers=" + (*broker)->bootstrap_servers(), "--listen=127.0.0.1:0", "--log-level=warn"});
  ASSERT_NE(first, nullptr);
  auto line = first->ReadLine(seconds(60));
  ASSERT_TRUE(line.ok()) << line.status();
  auto second =
      StartQuery({"--brokers=" + (*broker)->bootstrap_servers(),
                  "--listen=" + line->substr(sizeof kReadyPrefix - 1), "--log-level=warn"});
  ASSERT_NE(second, nullptr);
  auto code = second->Wait(seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1);
}

}  // namespace
}  // namespace dyad::query
