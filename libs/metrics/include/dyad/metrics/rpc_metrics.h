// gRPC server metrics through an interceptor: every call counted by method and status code
// (dyad_rpc_requests_total{method,code}) and timed from its start until its status is sent
// (dyad_rpc_seconds{method}, a histogram with LatencyBuckets()).
//
//   metrics::RpcMetrics rpc_metrics(registry);
//   server_options.interceptors = rpc_metrics.InterceptorFactories();  // dyad::rpc::ServerOptions
//
// method is the full gRPC path ("/dyad.v1.RelationsService/GetRelation"); code the status code's
// name ("OK", "INVALID_ARGUMENT", ...). A call that ends without a status being sent (cancelled
// by the client before the handler finished) is counted as CANCELLED. At most kMaxMethods
// distinct methods are labelled; further ones (a client calling random paths) count as "other",
// so a client cannot grow the registry without bound.
//
// Thread-safety: the interceptors run on gRPC's threads; each call does two map lookups under a
// mutex (the families') and a few atomic adds.
// Lifecycle: the RpcMetrics object must outlive every server it intercepts.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "dyad/metrics/registry.h"

namespace dyad::metrics {

// The name of a gRPC status code as in the gRPC docs ("OK", "DEADLINE_EXCEEDED", ...); "UNKNOWN"
// for numbers outside the enum.
const char* StatusCodeName(int code);

class RpcMetrics {
 public:
  static constexpr std::size_t kMaxMethods = 200;

  // Registers dyad_rpc_requests_total and dyad_rpc_seconds in `registry` (std::invalid_argument
  // when they are there already).
  explicit RpcMetrics(Registry& registry);

  // A new factory list for grpc::ServerBuilder::experimental().SetInterceptorCreators (what
  // dyad::rpc::ServerOptions::interceptors expects).
  std::function<
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>()>
  InterceptorFactories();

  // Counts one finished call (what the interceptor does).
  void Record(const std::string& method, int code, double seconds);

 private:
  Family<Counter>& requests_;
  Family<Histogram>& seconds_;
  std::mutex mu_;
  std::set<std::string> methods_;
};

}  // namespace dyad::metrics
