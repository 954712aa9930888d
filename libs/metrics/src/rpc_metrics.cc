#include "dyad/metrics/rpc_metrics.h"

#include <chrono>

namespace dyad::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RpcInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(RpcMetrics& metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}

  ~RpcInterceptor() override {
    if (!recorded_) Record(static_cast<int>(grpc::StatusCode::CANCELLED));
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!recorded_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(static_cast<int>(methods->GetSendStatus().error_code()));
    }
    methods->Proceed();
  }

 private:
  void Record(int code) {
    recorded_ = true;
    metrics_.Record(
        method_, code,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

  RpcMetrics& metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

class RpcInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcInterceptorFactory(RpcMetrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcInterceptor(metrics_, info->method() == nullptr ? "" : info->method());
  }

 private:
  RpcMetrics& metrics_;
};

}  // namespace

const char* StatusCodeName(int code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) return "UNKNOWN";
  return kNames[code];
}

RpcMetrics::RpcMetrics(Registry& registry)
    : requests_(registry.AddCounter("dyad_rpc_requests_total",
                                    "gRPC calls finished, by method and status code.",
                                    {"method", "code"})),
      seconds_(registry.AddHistogram("dyad_rpc_seconds",
                                     "gRPC call latency in seconds, from the call's start until "
                                     "its status is sent, by method.",
                                     LatencyBuckets(), {"method"})) {}

std::function<std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>()>
RpcMetrics::InterceptorFactories() {
  return [this] {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
    factories.push_back(std::make_unique<RpcInterceptorFactory>(*this));
    return factories;
  };
}

void RpcMetrics::Record(const std::string& method, int code, double seconds) {
  std::string label = method;
  {
    std::lock_guard lock(mu_);
    if (methods_.count(method) == 0) {
      if (methods_.size() >= kMaxMethods) {
        label = "other";
      } else {
        methods_.insert(method);
      }
    }
  }
  requests_.Get({label, StatusCodeName(code)}).Inc();
  seconds_.Get({label}).Observe(seconds);
}

}  // namespace dyad::metrics
