#include "dyad/rpc/server.h"

#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"

namespace dyad::rpc {
namespace {

TEST(Server, RejectsMalformedAddress) {
  auto server = StartServer({.listen = "nocolon"}, {});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Server, BindsAFreePortAndAnswersHealthChecks) {
  auto server = StartServer({.listen = "127.0.0.1:0"}, {});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(stub->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(Server, SecondServerOnSamePortIsUnavailable) {
  auto first = StartServer({.listen = "127.0.0.1:0"}, {});
  ASSERT_TRUE(first.ok());
  auto second = StartServer({.listen = (*first)->address()}, {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dyad::rpc
