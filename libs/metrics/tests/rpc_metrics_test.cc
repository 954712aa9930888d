// RpcMetrics through a real gRPC server (dyad::rpc::StartServer) and its health service.
#include "dyad/metrics/rpc_metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "dyad/metrics/registry.h"
#include "dyad/rpc/server.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dyad::metrics {
namespace {

grpc::Status Check(grpc::health::v1::Health::Stub& stub, const std::string& service) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  return stub.Check(&context, request, &response);
}

TEST(RpcMetrics, CountsCallsByMethodAndCodeAndTimesThem) {
  Registry registry;
  RpcMetrics rpc_metrics(registry);
  auto server = rpc::StartServer(
      {.listen = "127.0.0.1:0", .interceptors = rpc_metrics.InterceptorFactories()}, {});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Check(*stub, "").ok());
  EXPECT_EQ(Check(*stub, "no.such.Service").error_code(), grpc::StatusCode::NOT_FOUND);
  (*server)->Shutdown(std::chrono::seconds(1));
  const std::string text = registry.Serialize();
  EXPECT_NE(text.find("dyad_rpc_requests_total{method=\"/grpc.health.v1.Health/Check\",code="
                      "\"OK\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("dyad_rpc_requests_total{method=\"/grpc.health.v1.Health/Check\",code="
                      "\"NOT_FOUND\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("dyad_rpc_seconds_count{method=\"/grpc.health.v1.Health/Check\"} 4\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("dyad_rpc_seconds_bucket{method=\"/grpc.health.v1.Health/Check\",le=\"+Inf\"} "
                "4\n"),
      std::string::npos);
}

TEST(RpcMetrics, MethodLabelsAreBounded) {
  Registry registry;
  RpcMetrics rpc_metrics(registry);
  for (std::size_t i = 0; i < RpcMetrics::kMaxMethods + 50; ++i) {
    rpc_metrics.Record("/random/" + std::to_string(i), 12, 0.001);
  }
  rpc_metrics.Record("/random/0", 0, 0.001);  // a known one keeps its label
  const std::string text = registry.Serialize();
  EXPECT_NE(text.find("dyad_rpc_requests_total{method=\"other\",code=\"UNIMPLEMENTED\"} 50\n"),
            std::string::npos)
      << text.substr(0, 500);
  EXPECT_NE(text.find("dyad_rpc_requests_total{method=\"/random/0\",code=\"OK\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(StatusCodeName(4), std::string("DEADLINE_EXCEEDED"));
  EXPECT_EQ(StatusCodeName(99), std::string("UNKNOWN"));
}

}  // namespace
}  // namespace dyad::metrics
