// For tests of TLS (target dyad::rpc_testing): a throw-away certificate authority with server and
// client certificates, made with the `openssl` command (Debian package openssl) in a directory.
//
//   auto pki = dyad::rpc::MakeTestPki(dir);
//   if (!pki.ok()) GTEST_SKIP() << pki.status();   // no openssl command
//
// Keys are P-256, certificates valid for two days. The server certificate is for "localhost"
// and 127.0.0.1 (so a client may dial 127.0.0.1:PORT).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace dyad::rpc {

struct TestPki {
  std::string dir;
  std::string ca_cert;      // the CA everything below is signed by
  std::string server_cert;  // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::string server_key;
  std::string client_cert;  // CN=dyad-test-client, for mutual TLS
  std::string client_key;
  // A second CA and a client certificate it signed: refused by a server trusting ca_cert.
  std::string other_ca_cert;
  std::string other_client_cert;
  std::string other_client_key;
};

// Creates `dir` (and parents) and the files above in it. FAILED_PRECONDITION when the openssl
// command is missing or fails (its output is in `dir`/openssl.log).
absl::StatusOr<TestPki> MakeTestPki(const std::string& dir);

}  // namespace dyad::rpc
