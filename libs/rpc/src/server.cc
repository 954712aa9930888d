#include "dyad/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

namespace dyad::rpc {

Server::Server(std::unique_ptr<grpc::Server> server, int port, std::string host)
    : server_(std::move(server)), port_(port), host_(std::move(host)) {}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

std::string Server::address() const { return host_ + ":" + std::to_string(port_); }

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options,
                                                    const std::vector<grpc::Service*>& services) {
  const auto colon = options.listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == options.listen.size()) {
    return absl::InvalidArgumentError("listen address '" + options.listen +
                                      "' is not host:port (e.g. 127.0.0.1:50051)");
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port);
  // Without this, gRPC sets SO_REUSEPORT and a second server on the same port "succeeds".
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  for (auto* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError("cannot listen on " + options.listen +
                                  ": address in use or not local (try another --listen)");
  }
  return std::make_unique<Server>(std::move(server), port, options.listen.substr(0, colon));
}

}  // namespace dyad::rpc
