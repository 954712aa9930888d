// A minimal HTTP/1.1 server for Prometheus scrapes: GET (or HEAD) /metrics answers 200 with
// Registry::Serialize() as "text/plain; version=0.0.4; charset=utf-8"; other paths 404, other
// methods on /metrics 405. One connection = one request (Connection: close).
//
// Hostile clients are bounded: a request line plus headers larger than max_request_bytes gets 431,
// bytes that are not HTTP (control characters, non-UTF-8, a malformed request line or header) get
// 400, a client that does not finish its request within read_timeout gets 408 and is closed (the
// others are served meanwhile: one thread multiplexes every connection with poll(2)), and beyond
// max_connections a new connection gets 503 at once and is closed. Nothing a client sends can
// crash or block the server.
//
// Lifecycle: Start() (binds and starts the thread) → address() → Stop() or the destructor (joins
// the thread, closes every socket). The Registry must outlive the server; its callbacks run on the
// server's thread.
// Thread-safety: address()/port() from any thread; Stop from one.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dyad/metrics/registry.h"

namespace dyad::metrics {

struct MetricsServerOptions {
  // host:port to listen on; port 0 picks a free port (see MetricsServer::address()). Host may be
  // a name, an IPv4 address, [an IPv6 address] or empty (every interface).
  std::string listen = "127.0.0.1:0";
  // Request line + headers; larger requests get 431.
  std::size_t max_request_bytes = 8192;
  // A connection must have sent its whole request (and read the answer) within this long.
  std::chrono::milliseconds read_timeout{5000};
  // Connections served at once; more get 503.
  int max_connections = 64;
};

class MetricsServer {
 public:
  // Binds and starts serving `registry` (not owned). INVALID_ARGUMENT for a listen address that
  // is not host:port (or a bad option), UNAVAILABLE when it cannot be bound (in use, not local).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(MetricsServerOptions options,
                                                              const Registry& registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // "host:port" actually bound (the host as given, the port resolved when 0 was asked).
  std::string address() const;
  int port() const;
  // Stops the thread and closes the listening socket and every connection. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" (host may be "[v6]" or empty). INVALID_ARGUMENT, naming the address and an
// example, when there is no port or it is not a number in 0..65535.
absl::Status ParseListenAddress(const std::string& listen, std::string& host, int& port);

}  // namespace dyad::metrics
