// gRPC server scaffolding shared by dyad-ingest and dyad-query: health checking
// (grpc.health.v1) and reflection on, message size limits, optional TLS and mutual TLS, the bound
// port reported back.
//
// Lifecycle: StartServer() → Server::Wait()/Shutdown(); Shutdown lets in-flight calls finish for
// up to the grace period, then cancels them.
// Thread-safety: a Server is used from one thread (the one that started it); the services it
// runs are called from gRPC's threads.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dyad::rpc {

// TLS for a server. All empty: plaintext. The files are PEM, read once at start.
struct ServerTls {
  // The server's certificate chain and private key: both or neither.
  std::string cert_file;
  std::string key_file;
  // CA certificates (PEM bundle) that client certificates must be signed by. Set: mutual TLS,
  // a client without a certificate signed by one of them is refused at the handshake. Needs
  // cert_file and key_file.
  std::string client_ca_file;

  bool enabled() const {
    return !cert_file.empty() || !key_file.empty() || !client_ca_file.empty();
  }
};

struct ServerOptions {
  // host:port; port 0 picks a free port (see Server::port()).
  std::string listen = "127.0.0.1:0";
  // Largest request the server accepts; larger ones get RESOURCE_EXHAUSTED from gRPC.
  int max_receive_bytes = 16 * 1024 * 1024;
  int max_send_bytes = 64 * 1024 * 1024;
  ServerTls tls;
  // Optional: makes the interceptor factories every call passes through (e.g. the RPC metrics of
  // dyad::metrics::RpcMetrics::InterceptorFactories()); called once by StartServer. Empty: none.
  std::function<
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>()>
      interceptors;
};

class Server {
 public:
  Server(std::unique_ptr<grpc::Server> server, int port, std::string host, bool tls);
  ~Server();
  int port() const { return port_; }
  // "host:port" actually bound.
  std::string address() const;
  // True when the port speaks TLS (ServerOptions::tls was set).
  bool tls() const { return tls_; }
  // Runs before the gRPC server shuts down (after the services are marked NOT_SERVING), e.g. to
  // end long-lived streams that would otherwise hold the shutdown for the whole grace period.
  // Set once, before Shutdown.
  void OnShutdown(std::function<void()> fn) { on_shutdown_ = std::move(fn); }
  // Marks the services NOT_SERVING, runs the OnShutdown hook, then shuts down with a deadline of
  // now + grace: in-flight calls may finish until then, later they are cancelled. Idempotent.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));
  grpc::Server* raw() { return server_.get(); }

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::string host_;
  bool tls_;
  std::function<void()> on_shutdown_;
  bool shut_down_ = false;
};

// The credentials for `tls`: insecure ones when it is empty. INVALID_ARGUMENT, naming the file
// and the flag's field, for a file that cannot be read, is not PEM, holds no certificate or no
// private key, for a key that does not belong to the certificate, or for an incomplete set (a
// certificate without a key, a client CA without a server certificate).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTls& tls);

// Builds and starts a server for `services` (not owned; they must outlive the server).
// UNAVAILABLE when the address cannot be bound, INVALID_ARGUMENT for a malformed address or bad
// TLS files (see MakeServerCredentials).
absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options,
                                                    const std::vector<grpc::Service*>& services);

// --- Clients ----------------------------------------------------------------------------------

// TLS for a client channel. All empty: plaintext.
struct ClientTls {
  // CA certificates the server's certificate must be signed by; empty with `enabled` = the
  // system's roots.
  std::string ca_file;
  // The client's certificate chain and key, for mutual TLS: both or neither.
  std::string cert_file;
  std::string key_file;
  // Use TLS even when all files are empty (system roots, no client certificate).
  bool enabled = false;
};

// Channel credentials for `tls`: insecure ones when it is off. INVALID_ARGUMENT as for
// MakeServerCredentials.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTls& tls);

}  // namespace dyad::rpc
