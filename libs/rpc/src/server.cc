#include "dyad/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dyad::rpc {
namespace {

// Larger than any certificate bundle or key anyone would give.
constexpr std::streamsize kMaxPemBytes = 1 << 20;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// Never prompts for a pass phrase on the terminal: an encrypted key is an error.
int NoPassword(char*, int, int, void*) { return 0; }

// The whole file; `what` names it in errors ("--tls-cert").
absl::StatusOr<std::string> ReadPem(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(what + " " + path + " is a directory; give a PEM file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(what + " " + path + ": cannot read it (" +
                                      std::strerror(errno) + "); give a readable PEM file");
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string pem = contents.str();
  if (pem.empty()) {
    return absl::InvalidArgumentError(what + " " + path + ": the file is empty; give a PEM file");
  }
  if (static_cast<std::streamsize>(pem.size()) > kMaxPemBytes) {
    return absl::InvalidArgumentError(what + " " + path + ": larger than 1 MiB, not a PEM file");
  }
  return pem;
}

std::unique_ptr<BIO, BioFree> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of a PEM bundle; INVALID_ARGUMENT when there is none.
absl::StatusOr<std::unique_ptr<X509, X509Free>> FirstCertificate(const std::string& pem,
                                                                 const std::string& path,
                                                                 const std::string& what) {
  auto bio = Bio(pem);
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
  ERR_clear_error();
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        what + " " + path + ": holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
  }
  return cert;
}

absl::StatusOr<std::unique_ptr<EVP_PKEY, KeyFree>> PrivateKey(const std::string& pem,
                                                              const std::string& path,
                                                              const std::string& what) {
  auto bio = Bio(pem);
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        what + " " + path +
        ": holds no unencrypted PEM private key (\"-----BEGIN PRIVATE KEY-----\"); an encrypted "
        "key must be decrypted first (openssl pkey -in KEY -out PLAIN)");
  }
  return key;
}

// Reads and checks a certificate chain and its key; fills `pair`.
absl::Status LoadKeyPair(const std::string& cert_file, const std::string& key_file,
                         const std::string& cert_what, const std::string& key_what,
                         std::string& cert_pem, std::string& key_pem) {
  auto cert_contents = ReadPem(cert_file, cert_what);
  if (!cert_contents.ok()) return cert_contents.status();
  auto key_contents = ReadPem(key_file, key_what);
  if (!key_contents.ok()) return key_contents.status();
  auto cert = FirstCertificate(*cert_contents, cert_file, cert_what);
  if (!cert.ok()) return cert.status();
  auto key = PrivateKey(*key_contents, key_file, key_what);
  if (!key.ok()) return key.status();
  const int matches = X509_check_private_key(cert->get(), key->get());
  ERR_clear_error();
  if (matches != 1) {
    return absl::InvalidArgumentError(
        key_what + " " + key_file + " is not the private key of the " + cert_what +
        " certificate " + cert_file + "; give the key the certificate was made for");
  }
  cert_pem = std::move(*cert_contents);
  key_pem = std::move(*key_contents);
  return absl::OkStatus();
}

absl::StatusOr<std::string> LoadCa(const std::string& path, const std::string& what) {
  auto pem = ReadPem(path, what);
  if (!pem.ok()) return pem.status();
  if (auto cert = FirstCertificate(*pem, path, what); !cert.ok()) return cert.status();
  return pem;
}

}  // namespace

Server::Server(std::unique_ptr<grpc::Server> server, int port, std::string host, bool tls)
    : server_(std::move(server)), port_(port), host_(std::move(host)), tls_(tls) {}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

std::string Server::address() const { return host_ + ":" + std::to_string(port_); }

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  if (on_shutdown_) on_shutdown_();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTls& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        tls.cert_file.empty()
            ? "TLS needs the server's certificate: give --tls-cert with --tls-key" +
                  std::string(tls.client_ca_file.empty() ? "" : " (and --tls-client-ca)")
            : "TLS needs the server's private key: give --tls-key with --tls-cert");
  }
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (auto status = LoadKeyPair(tls.cert_file, tls.key_file, "--tls-cert", "--tls-key",
                                pair.cert_chain, pair.private_key);
      !status.ok()) {
    return status;
  }
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!tls.client_ca_file.empty()) {
    auto ca = LoadCa(tls.client_ca_file, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = std::move(*ca);
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTls& tls) {
  if (!tls.enabled && tls.ca_file.empty() && tls.cert_file.empty() && tls.key_file.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_file.empty()) {
    auto ca = LoadCa(tls.ca_file, "--tls-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = std::move(*ca);
  }
  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      return absl::InvalidArgumentError("a client certificate needs both --tls-cert and --tls-key");
    }
    if (auto status = LoadKeyPair(tls.cert_file, tls.key_file, "--tls-cert", "--tls-key",
                                  ssl.pem_cert_chain, ssl.pem_private_key);
        !status.ok()) {
      return status;
    }
  }
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options,
                                                    const std::vector<grpc::Service*>& services) {
  const auto colon = options.listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == options.listen.size()) {
    return absl::InvalidArgumentError("listen address '" + options.listen +
                                      "' is not host:port (e.g. 127.0.0.1:50051)");
  }
  auto credentials = MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  // Without this, gRPC sets SO_REUSEPORT and a second server on the same port "succeeds".
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  for (auto* service : services) builder.RegisterService(service);
  if (options.interceptors) builder.experimental().SetInterceptorCreators(options.interceptors());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError("cannot listen on " + options.listen +
                                  ": address in use or not local (try another --listen)");
  }
  return std::make_unique<Server>(std::move(server), port, options.listen.substr(0, colon),
                                  options.tls.enabled());
}

}  // namespace dyad::rpc
