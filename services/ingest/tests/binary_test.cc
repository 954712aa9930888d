// The dyad-ingest executable as a process: ready line, serving, SIGTERM → exit 0, bad flags → 1.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <csignal>

#include "dyad/core/subprocess.h"
#include "dyad/kafka/embedded_broker.h"
#include "dyad/v1/ingest_service.grpc.pb.h"

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

TEST(DyadIngestBinary, BadFlagsExitOne) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--max-article-bytes=0"},
                                               {"--log-level=loud"},
                                               {"--kafka-config=novalue"},
                                               {"--brokers=127.0.0.1:1", "--listen=nocolon"}}) {
    auto child = Start(args);
    ASSERT_NE(child, nullptr);
    auto code = child->Wait(std::chrono::seconds(60));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 1) << args[0];
  }
}

}  // namespace
}  // namespace dyad::ingest
