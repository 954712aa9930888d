#include "dyad/rpc/test_pki.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dyad::rpc {
namespace {

// Single quotes for /bin/sh: the paths come from tests (temp directories), never from users.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError("cannot create " + dir + ": " + ec.message());
  }
  TestPki pki;
  pki.dir = dir;
  const auto path = [&](const std::string& name) {
    return (std::filesystem::path(dir) / name).string();
  };
  pki.ca_cert = path("ca.pem");
  pki.server_cert = path("server.pem");
  pki.server_key = path("server.key");
  pki.client_cert = path("client.pem");
  pki.client_key = path("client.key");
  pki.other_ca_cert = path("other-ca.pem");
  pki.other_client_cert = path("other-client.pem");
  pki.other_client_key = path("other-client.key");
  {
    std::ofstream server_ext(path("server.ext"));
    server_ext << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                  "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n";
    std::ofstream client_ext(path("client.ext"));
    client_ext << "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n";
  }
  const std::string log = Quote(path("openssl.log"));
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const auto ca = [&](const std::string& name, const std::string& cn) {
    return "openssl req -x509 " + key + " -keyout " + Quote(path(name + ".key")) + " -out " +
           Quote(path(name + ".pem")) + " -days 2 -subj /CN=" + cn +
           " -addext basicConstraints=critical,CA:TRUE"
           " -addext keyUsage=critical,keyCertSign,cRLSign >>" +
           log + " 2>&1";
  };
  const auto leaf = [&](const std::string& name, const std::string& cn, const std::string& ca_name,
                        const std::string& ext) {
    return "openssl req " + key + " -keyout " + Quote(path(name + ".key")) + " -out " +
           Quote(path(name + ".csr")) + " -subj /CN=" + cn + " >>" + log +
           " 2>&1 && openssl x509 -req -in " + Quote(path(name + ".csr")) + " -CA " +
           Quote(path(ca_name + ".pem")) + " -CAkey " + Quote(path(ca_name + ".key")) +
           " -CAcreateserial -days 2 -extfile " + Quote(path(ext)) + " -out " +
           Quote(path(name + ".pem")) + " >>" + log + " 2>&1";
  };
  const std::string script = ca("ca", "dyad-test-ca") + " && " + ca("other-ca", "dyad-other-ca") +
                             " && " + leaf("server", "localhost", "ca", "server.ext") + " && " +
                             leaf("client", "dyad-test-client", "ca", "client.ext") + " && " +
                             leaf("other-client", "dyad-other-client", "other-ca", "client.ext");
  const int code =
      std::system(("command -v openssl >/dev/null 2>&1 || exit 127; " + script).c_str());
  if (code != 0) {
    return absl::FailedPreconditionError(
        WIFEXITED(code) && WEXITSTATUS(code) == 127
            ? std::string("the openssl command is not installed (apt-get install openssl)")
            : "openssl failed making test certificates; see " + path("openssl.log"));
  }
  return pki;
}

}  // namespace dyad::rpc
