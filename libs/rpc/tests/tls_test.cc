// TLS and mutual TLS of StartServer, with certificates made by the openssl command at test time,
// checked by real gRPC clients (health checks) over loopback.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "dyad/rpc/server.h"
#include "dyad/rpc/test_pki.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dyad::rpc {
namespace {

using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::random_device random;
    dir_ = new std::string(
        (std::filesystem::temp_directory_path() /
         ("dyad-rpc-tls-" + std::to_string(getpid()) + "-" + std::to_string(random())))
            .string());
    auto pki = MakeTestPki(*dir_);
    if (pki.ok()) {
      pki_ = new TestPki(*pki);
    } else {
      skip_ = new std::string(pki.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    delete pki_;
    delete skip_;
    pki_ = nullptr;
    skip_ = nullptr;
  }
  void SetUp() override {
    if (pki_ == nullptr) GTEST_SKIP() << "no test certificates: " << *skip_;
  }

  // A health check through `credentials`; the status it ended with.
  static grpc::Status Check(const std::string& address,
                            const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
    auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(address, credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    auto status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "not SERVING");
    }
    return status;
  }

  static std::shared_ptr<grpc::ChannelCredentials> Client(ClientTls tls) {
    auto credentials = MakeChannelCredentials(tls);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return credentials.ok() ? *credentials : nullptr;
  }

  static std::string* dir_;
  static TestPki* pki_;
  static std::string* skip_;
};

std::string* TlsTest::dir_ = nullptr;
TestPki* TlsTest::pki_ = nullptr;
std::string* TlsTest::skip_ = nullptr;

TEST_F(TlsTest, TlsServerRefusesPlaintextAndServesTlsClients) {
  auto server = StartServer({.listen = "127.0.0.1:0",
                             .tls = {.cert_file = pki_->server_cert, .key_file = pki_->server_key}},
                            {});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->tls());
  const std::string address = (*server)->address();

  const auto plaintext = Check(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE) << plaintext.error_message();

  const auto tls = Check(address, Client({.ca_file = pki_->ca_cert}));
  EXPECT_TRUE(tls.ok()) << tls.error_message();

  // A client that trusts another CA does not accept the server's certificate.
  const auto wrong_ca = Check(address, Client({.ca_file = pki_->other_ca_cert}));
  EXPECT_EQ(wrong_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << wrong_ca.error_message();
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateSignedByTheClientCa) {
  auto server = StartServer({.listen = "127.0.0.1:0",
                             .tls = {.cert_file = pki_->server_cert,
                                     .key_file = pki_->server_key,
                                     .client_ca_file = pki_->ca_cert}},
                            {});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->address();

  const auto no_cert = Check(address, Client({.ca_file = pki_->ca_cert}));
  EXPECT_EQ(no_cert.error_code(), grpc::StatusCode::UNAVAILABLE) << no_cert.error_message();

  const auto other_ca = Check(address, Client({.ca_file = pki_->ca_cert,
                                               .cert_file = pki_->other_client_cert,
                                               .key_file = pki_->other_client_key}));
  EXPECT_EQ(other_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << other_ca.error_message();

  const auto plaintext = Check(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE);

  const auto with_cert = Check(address, Client({.ca_file = pki_->ca_cert,
                                                .cert_file = pki_->client_cert,
                                                .key_file = pki_->client_key}));
  EXPECT_TRUE(with_cert.ok()) << with_cert.error_message();
}

TEST_F(TlsTest, BadTlsFilesAreClearErrors) {
  const auto start = [](ServerTls tls) {
    return StartServer({.listen = "127.0.0.1:0", .tls = tls}, {}).status();
  };
  auto status = start({.cert_file = pki_->server_cert});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("give --tls-key"));

  status = start({.key_file = pki_->server_key});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("give --tls-cert"));

  status = start({.client_ca_file = pki_->ca_cert});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--tls-client-ca"));

  status = start({.cert_file = *dir_ + "/missing.pem", .key_file = pki_->server_key});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("missing.pem: cannot read it"));

  status = start({.cert_file = *dir_, .key_file = pki_->server_key});
  EXPECT_THAT(status.message(), HasSubstr("is a directory"));

  // The client's key with the server's certificate.
  status = start({.cert_file = pki_->server_cert, .key_file = pki_->client_key});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("is not the private key of the --tls-cert certificate"));

  // Swapped: a key where the certificate goes.
  status = start({.cert_file = pki_->server_key, .key_file = pki_->server_cert});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("holds no PEM certificate"));

  const std::string junk = *dir_ + "/junk.pem";
  std::ofstream(junk) << "\xff\xfe not PEM at all\n";
  status = start({.cert_file = pki_->server_cert, .key_file = junk});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("holds no unencrypted PEM private key"));

  status =
      start({.cert_file = pki_->server_cert, .key_file = pki_->server_key, .client_ca_file = junk});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--tls-client-ca"));

  const std::string empty = *dir_ + "/empty.pem";
  std::ofstream{empty};
  status = start({.cert_file = empty, .key_file = pki_->server_key});
  EXPECT_THAT(status.message(), HasSubstr("the file is empty"));

  // Client side: the same checks.
  EXPECT_EQ(MakeChannelCredentials({.cert_file = pki_->client_cert}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeChannelCredentials({.ca_file = junk}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dyad::rpc
