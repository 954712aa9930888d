// gRPC server scaffolding shared by dyad-ingest and dyad-query: health checking
// (grpc.health.v1) and reflection on, message size limits, the bound port reported back.
//
// Lifecycle: StartServer() → Server::Wait()/Shutdown(); Shutdown lets in-flight calls finish for
// up to the grace period, then cancels them.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dyad::rpc {

struct ServerOptions {
  // host:port; port 0 picks a free port (see Server::port()).
  std::string listen = "127.0.0.1:0";
  // Largest request the server accepts; larger ones get RESOURCE_EXHAUSTED from gRPC.
  int max_receive_bytes = 16 * 1024 * 1024;
  int max_send_bytes = 64 * 1024 * 1024;
};

class Server {
 public:
  Server(std::unique_ptr<grpc::Server> server, int port, std::string host);
  ~Server();
  int port() const { return port_; }
  // "host:port" actually bound.
  std::string address() const;
  // Marks the services NOT_SERVING, then shuts down with a deadline of now + grace.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));
  grpc::Server* raw() { return server_.get(); }

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::string host_;
  bool shut_down_ = false;
};

// Builds and starts a server for `services` (not owned; they must outlive the server).
// UNAVAILABLE when the address cannot be bound, INVALID_ARGUMENT for a malformed address.
absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options,
                                                    const std::vector<grpc::Service*>& services);

}  // namespace dyad::rpc
