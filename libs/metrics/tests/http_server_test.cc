// The metrics HTTP server over real sockets on loopback.
#include "dyad/metrics/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dyad/metrics/registry.h"
#include "dyad/metrics/scrape.h"

namespace dyad::metrics {
namespace {

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (431, 400): the answer is read anyway
    sent += static_cast<std::size_t>(n);
  }
}

// Everything the server sends until it closes (or 10 s pass).
std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

std::string Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return "connect failed";
  SendAll(fd, request);
  std::string answer = ReadAll(fd);
  close(fd);
  return answer;
}

std::string StatusLine(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AddCounter("dyad_test_total", "A counter.").Get().Inc(5);
    Start({});
  }
  void Start(MetricsServerOptions options) {
    server_.reset();
    options.listen = "127.0.0.1:0";
    auto server = MetricsServer::Start(options, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
  }
  Registry registry_;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, GetMetricsAnswersTheExposition) {
  EXPECT_EQ(server_->address(), "127.0.0.1:" + std::to_string(server_->port()));
  const std::string answer =
      Exchange(server_->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 200 OK");
  EXPECT_NE(answer.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << answer;
  const std::string body = registry_.Serialize();
  EXPECT_NE(answer.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_EQ(answer.substr(answer.find("\r\n\r\n") + 4), body);
  EXPECT_NE(body.find("dyad_test_total 5\n"), std::string::npos);
  // HTTP/1.0, a query string, bare LF line ends.
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metrics?x=1 HTTP/1.0\n\n")),
            "HTTP/1.1 200 OK");
  // HEAD: the headers only.
  const std::string head = Exchange(server_->port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusLine(head), "HTTP/1.1 200 OK");
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "");
}

TEST_F(MetricsServerTest, RequestsArriveInPieces) {
  const int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /met");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  SendAll(fd, "rics HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  SendAll(fd, "st: x\r\n\r\n");
  EXPECT_EQ(StatusLine(ReadAll(fd)), "HTTP/1.1 200 OK");
  close(fd);
}

TEST_F(MetricsServerTest, OtherPathsAre404AndOtherMethods405) {
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET / HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 404 Not Found");
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metricsx HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 404 Not Found");
  const std::string post =
      Exchange(server_->port(), "POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(StatusLine(post), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(post.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "DELETE /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 405 Method Not Allowed");
}

TEST_F(MetricsServerTest, OversizedRequestGets431) {
  const std::string huge =
      "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(StatusLine(Exchange(server_->port(), huge)),
            "HTTP/1.1 431 Request Header Fields Too Large");
  // A request line that never ends.
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /" + std::string(9000, 'm'))),
            "HTTP/1.1 431 Request Header Fields Too Large");
  // The server still serves.
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 200 OK");
}

TEST_F(MetricsServerTest, GarbageGets400) {
  const std::vector<std::string> garbage = {
      std::string("\x00\x01\x02\xff\xfe binary", 12),
      "GET /metrics HTTP/1.1\r\nX: \xc3\x28\r\n\r\n",  // invalid UTF-8 in a header
      "GET /m\xe9trics HTTP/1.1\r\n\r\n",              // Latin-1, not UTF-8
      "GET /metrics\r\n\r\n",                          // HTTP/0.9 style
      "GET  /metrics HTTP/1.1\r\n\r\n",                // two spaces
      "GET /metrics HTTP/2.0\r\n\r\n",
      "GET metrics HTTP/1.1\r\n\r\n",
      "G(T /metrics HTTP/1.1\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
      "GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
      "\r\n\r\n",
  };
  for (const auto& request : garbage) {
    EXPECT_EQ(StatusLine(Exchange(server_->port(), request)), "HTTP/1.1 400 Bad Request")
        << testing::PrintToString(request);
  }
  // Garbage is refused before the request would end (no waiting for the timeout).
  const int fd = Connect(server_->port());
  SendAll(fd, std::string("\x16\x03\x01\x02\x00\x01\x00", 7));  // a TLS ClientHello's start
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(StatusLine(ReadAll(fd)), "HTTP/1.1 400 Bad Request");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  close(fd);
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 200 OK");
}

TEST_F(MetricsServerTest, SilentClientTimesOutWhileOthersAreServed) {
  Start({.read_timeout = std::chrono::milliseconds(500)});
  const int silent = Connect(server_->port());
  ASSERT_GE(silent, 0);
  const int partial = Connect(server_->port());
  SendAll(partial, "GET /metrics HTTP/1.1\r\n");
  // Both held open: others are served meanwhile.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n")),
              "HTTP/1.1 200 OK");
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(silent), "");  // closed without an answer: it asked nothing
  EXPECT_EQ(StatusLine(ReadAll(partial)), "HTTP/1.1 408 Request Timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  close(silent);
  close(partial);
}

TEST_F(MetricsServerTest, ManyConnectionsAreBounded) {
  Start({.read_timeout = std::chrono::milliseconds(2000), .max_connections = 8});
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(Connect(server_->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all accepted
  // The ninth gets 503 at once.
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 503 Service Unavailable");
  for (int fd : idle) close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 200 OK");
  // Many concurrent scrapers all get an answer (200 or 503), none hangs.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0}, busy{0};
  for (int i = 0; i < 32; ++i) {
    clients.emplace_back([&] {
      const std::string line =
          StatusLine(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n"));
      if (line == "HTTP/1.1 200 OK") ++ok;
      if (line == "HTTP/1.1 503 Service Unavailable") ++busy;
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok + busy, 32);
  EXPECT_GT(ok, 0);
}

TEST_F(MetricsServerTest, RandomBytesNeverBreakTheServer) {
  Start({.read_timeout = std::chrono::milliseconds(100)});
  std::mt19937 random(6);
  const std::vector<std::string> pieces = {
      "GET ", "/metrics", " HTTP/1.1",          "\r\n",     "\n",    "Host: x", ":",
      " ",    "\xff",     std::string(1, '\0'), "\xc3\xa9", "POST ", "/"};
  for (int i = 0; i < 200; ++i) {
    std::string request;
    const int parts = static_cast<int>(random() % 12);
    for (int p = 0; p < parts; ++p) {
      if (random() % 3 == 0) {
        request += static_cast<char>(random() % 256);
      } else {
        request += pieces[random() % pieces.size()];
      }
    }
    if (random() % 2 == 0) request += "\r\n\r\n";
    const std::string line = StatusLine(Exchange(server_->port(), request));
    // An answer with a known status, or a close without one (nothing complete was sent).
    EXPECT_TRUE(line.empty() || line == "HTTP/1.1 200 OK" || line == "HTTP/1.1 400 Bad Request" ||
                line == "HTTP/1.1 404 Not Found" || line == "HTTP/1.1 405 Method Not Allowed" ||
                line == "HTTP/1.1 408 Request Timeout")
        << testing::PrintToString(request) << " -> " << line;
  }
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 200 OK");
}

// Out of file descriptors: accept fails, the server pauses accepting (no busy loop) and serves
// the waiting connections once descriptors are free again.
TEST_F(MetricsServerTest, OutOfDescriptorsPausesAcceptingThenServes) {
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(socket(AF_INET, SOCK_STREAM, 0));
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int open_fds = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++open_fds;
  }
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(open_fds);  // no new descriptor in this process
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : clients) {
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);  // the backlog
    SendAll(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  }
  const std::clock_t cpu_before = std::clock();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  // A server spinning on accept would burn the whole 0.8 s.
  EXPECT_LT(cpu_seconds, 0.4);
  for (int fd : clients) {
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    EXPECT_EQ(StatusLine(ReadAll(fd)), "HTTP/1.1 200 OK");
    close(fd);
  }
}

TEST(MetricsServer, BadAddressesAreRefused) {
  Registry registry;
  for (const std::string listen :
       {"nocolon", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", "::1:9464"}) {
    auto server = MetricsServer::Start({.listen = listen}, registry);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << listen;
    EXPECT_NE(server.status().message().find("host:port"), std::string::npos);
  }
  auto first = MetricsServer::Start({.listen = "127.0.0.1:0"}, registry);
  ASSERT_TRUE(first.ok());
  auto second =
      MetricsServer::Start({.listen = "127.0.0.1:" + std::to_string((*first)->port())}, registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  auto v6 = MetricsServer::Start({.listen = "[::1]:0"}, registry);
  if (v6.ok()) {
    EXPECT_EQ((*v6)->address(), "[::1]:" + std::to_string((*v6)->port()));
  }
}

TEST(MetricsServer, StopClosesOpenConnections) {
  Registry registry;
  auto server = MetricsServer::Start({}, registry);
  ASSERT_TRUE(server.ok());
  const int fd = Connect((*server)->port());
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*server)->Stop();
  (*server)->Stop();  // idempotent
  EXPECT_EQ(ReadAll(fd), "");
  close(fd);
  EXPECT_LT(Connect((*server)->port()), 0);
}

TEST_F(MetricsServerTest, ScrapeClientReadsSamples) {
  registry_.AddGauge("dyad_test_lag", "Lag.", {"topic", "partition"}).Get({"t", "3"}).Set(42);
  auto body = HttpGet(server_->address());
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(FindSample(*body, "dyad_test_total"), 5);
  EXPECT_EQ(FindSample(*body, "dyad_test_lag{topic=\"t\",partition=\"3\"}"), 42);
  EXPECT_EQ(FindSample(*body, "dyad_test_lag"), std::nullopt);  // the series has labels
  EXPECT_EQ(FindSample(*body, "dyad_test"), std::nullopt);      // a prefix is not a series
  auto missing = HttpGet(server_->address(), "/nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(missing.status().message().find("404"), std::string::npos);
  server_->Stop();
  EXPECT_EQ(HttpGet(server_->address()).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dyad::metrics
