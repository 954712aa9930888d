#include "dyad/metrics/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace dyad::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// After the answer is written: how long the rest of a request the server did not read may still
// be drained, so that closing does not reset the connection before the client read the answer.
constexpr std::chrono::milliseconds kLinger{1000};

void SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// True when `bytes` is valid UTF-8 without control characters other than tab, CR and LF.
bool CleanText(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return false;
      ++i;
      continue;
    }
    int extra = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= bytes.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + static_cast<std::size_t>(k)]);
      if ((next & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Response(int code, std::string_view reason, std::string_view content_type,
                     const std::string& body, bool head, std::string_view extra_header = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += extra_header;
  out += "Connection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

std::string Error(int code, std::string_view reason, std::string_view extra_header = {}) {
  return Response(code, reason, "text/plain; charset=utf-8", std::string(reason) + "\n", false,
                  extra_header);
}

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  std::size_t written = 0;
  enum class State { kReading, kWriting, kLingering } state = State::kReading;
  Clock::time_point deadline;
};

}  // namespace

absl::Status ParseListenAddress(const std::string& listen, std::string& host, int& port) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError("metrics listen address '" + listen + "' " +
                                      std::string(why) +
                                      " (give host:port, e.g. 0.0.0.0:9464 or 127.0.0.1:0)");
  };
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return bad("has no port");
  host = listen.substr(0, colon);
  const std::string digits = listen.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return bad("has no numeric port");
  }
  port = std::stoi(digits);
  if (port > 65535) return bad("has a port above 65535");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return bad("has an IPv6 host without brackets");
  }
  return absl::OkStatus();
}

class MetricsServer::Impl {
 public:
  Impl(MetricsServerOptions options, const Registry& registry)
      : options_(std::move(options)), registry_(registry) {}

  ~Impl() {
    Stop();
    if (listen_fd_ >= 0) close(listen_fd_);
    if (wake_[0] >= 0) close(wake_[0]);
    if (wake_[1] >= 0) close(wake_[1]);
  }

  absl::Status Bind() {
    std::string host;
    int port = 0;
    if (auto status = ParseListenAddress(options_.listen, host, port); !status.ok()) {
      return status;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int err =
            getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
        err != 0) {
      return absl::InvalidArgumentError("metrics listen address '" + options_.listen +
                                        "': cannot resolve host: " + gai_strerror(err));
    }
    std::string last_error = "no address";
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) {
        last_error = std::strerror(errno);
        continue;
      }
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        last_error = std::strerror(errno);
        close(fd);
        continue;
      }
      listen_fd_ = fd;
      break;
    }
    freeaddrinfo(found);
    if (listen_fd_ < 0) {
      return absl::UnavailableError("cannot listen for metrics on " + options_.listen + ": " +
                                    last_error + " (try another --metrics-listen)");
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                                          : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    const auto colon = options_.listen.rfind(':');
    address_ = options_.listen.substr(0, colon) + ":" + std::to_string(port_);
    SetNonBlocking(listen_fd_);
    if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
      return absl::InternalError(std::string("metrics server: pipe: ") + std::strerror(errno));
    }
    return absl::OkStatus();
  }

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    const char byte = 0;
    [[maybe_unused]] const auto n = write(wake_[1], &byte, 1);
    thread_.join();
    for (auto& connection : connections_) {
      if (connection.fd >= 0) close(connection.fd);
    }
    connections_.clear();
    close(listen_fd_);
    listen_fd_ = -1;
  }

  const std::string& address() const { return address_; }
  int port() const { return port_; }

 private:
  void Run() {
    std::vector<pollfd> fds;
    std::vector<std::list<Connection>::iterator> polled;
    while (!stop_.load()) {
      fds.clear();
      polled.clear();
      fds.push_back({wake_[0], POLLIN, 0});
      // Not polled while accepting is paused (out of file descriptors): poll would spin.
      fds.push_back({Clock::now() >= accept_paused_until_ ? listen_fd_ : -1, POLLIN, 0});
      auto next_deadline = Clock::now() + std::chrono::seconds(1);
      if (accept_paused_until_ > Clock::now()) {
        next_deadline = std::min(next_deadline, accept_paused_until_);
      }
      for (auto it = connections_.begin(); it != connections_.end(); ++it) {
        const short events =
            it->state == Connection::State::kWriting ? short{POLLOUT} : short{POLLIN};
        fds.push_back({it->fd, events, 0});
        polled.push_back(it);
        next_deadline = std::min(next_deadline, it->deadline);
      }
      const auto wait =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - Clock::now());
      const int ready = poll(fds.data(), static_cast<nfds_t>(fds.size()),
                             static_cast<int>(std::clamp<int64_t>(wait.count() + 1, 0, 1000)));
      if (ready < 0 && errno != EINTR) break;
      if (stop_.load()) break;
      if (ready > 0 && (fds[1].revents & POLLIN) != 0) Accept();
      for (std::size_t i = 0; i < polled.size(); ++i) {
        const short revents = fds[i + 2].revents;
        if (revents != 0) Serve(*polled[i], revents);
      }
      // Timed-out and finished connections.
      const auto now = Clock::now();
      for (auto it = connections_.begin(); it != connections_.end();) {
        if (it->fd >= 0 && now >= it->deadline) {
          if (it->state == Connection::State::kReading && !it->in.empty()) {
            // Best effort: the client is told why before the connection closes.
            const std::string answer = Error(408, "Request Timeout");
            [[maybe_unused]] const auto n =
                send(it->fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          }
          close(it->fd);
          it->fd = -1;
        }
        it = it->fd < 0 ? connections_.erase(it) : std::next(it);
      }
    }
  }

  void Accept() {
    while (true) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // EMFILE/ENFILE/ENOBUFS: pending connections wait in the backlog; try again shortly.
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
          accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
        }
        return;
      }
      if (static_cast<int>(connections_.size()) >= options_.max_connections) {
        const std::string answer = Error(503, "Service Unavailable");
        [[maybe_unused]] const auto n =
            send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
        continue;
      }
      Connection connection;
      connection.fd = fd;
      connection.deadline = Clock::now() + options_.read_timeout;
      connections_.push_back(std::move(connection));
    }
  }

  void Serve(Connection& c, short revents) {
    if (c.state == Connection::State::kWriting) {
      if ((revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (revents & POLLOUT) == 0) {
        Drop(c);
        return;
      }
      while (c.written < c.out.size()) {
        const ssize_t n = send(c.fd, c.out.data() + c.written, c.out.size() - c.written,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
          Drop(c);
          return;
        }
        c.written += static_cast<std::size_t>(n);
      }
      shutdown(c.fd, SHUT_WR);
      c.state = Connection::State::kLingering;
      c.deadline = std::min(c.deadline, Clock::now() + kLinger);
      return;
    }
    // Reading a request, or draining what follows the answer.
    char buffer[4096];
    while (true) {
      const ssize_t n = recv(c.fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) {
        Drop(c);  // the client closed (before finishing its request, or after our answer)
        return;
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        Drop(c);
        return;
      }
      if (c.state == Connection::State::kLingering) continue;
      c.in.append(buffer, static_cast<std::size_t>(n));
      if (Handle(c)) return;
    }
  }

  // Looks at what was read so far; true once an answer is queued.
  bool Handle(Connection& c) {
    std::size_t end = c.in.find("\r\n\r\n");
    std::size_t end_length = 4;
    if (const std::size_t bare = c.in.find("\n\n"); bare != std::string::npos && bare < end) {
      end = bare;
      end_length = 2;
    }
    if (end == std::string::npos || end + end_length > options_.max_request_bytes) {
      if (c.in.size() > options_.max_request_bytes) {
        Answer(c, Error(431, "Request Header Fields Too Large"));
        return true;
      }
      // Garbage need not wait for the end of a request that will never come.
      if (!CleanText(std::string_view(c.in).substr(0, LastCompleteUtf8(c.in)))) {
        Answer(c, Error(400, "Bad Request"));
        return true;
      }
      return false;
    }
    Answer(c, Respond(std::string_view(c.in).substr(0, end)));
    return true;
  }

  // Length of the prefix of `bytes` that does not end in the middle of a UTF-8 sequence.
  static std::size_t LastCompleteUtf8(const std::string& bytes) {
    std::size_t i = bytes.size();
    for (int back = 0; back < 3 && i > 0; ++back) {
      const auto c = static_cast<unsigned char>(bytes[i - 1]);
      if ((c & 0xc0) == 0x80) {
        --i;
        continue;
      }
      if (c >= 0xc0) return i - 1;
      break;
    }
    return bytes.size();
  }

  std::string Respond(std::string_view head) {
    if (!CleanText(head)) return Error(400, "Bad Request");
    const std::size_t line_end = head.find('\n');
    std::string_view line = head.substr(0, line_end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // METHOD SP target SP HTTP/1.x
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0 ||
        line.find(' ', sp2 + 1) != std::string_view::npos) {
      return Error(400, "Bad Request");
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!std::all_of(method.begin(), method.end(), IsTokenChar) || target.empty() ||
        target.front() != '/' || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
      return Error(400, "Bad Request");
    }
    // Header lines: name ":" value.
    std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 1;
    while (pos < head.size()) {
      std::size_t next = head.find('\n', pos);
      if (next == std::string_view::npos) next = head.size();
      std::string_view header = head.substr(pos, next - pos);
      if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
      const std::size_t colon = header.find(':');
      if (colon == 0 || colon == std::string_view::npos ||
          !std::all_of(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(colon),
                       IsTokenChar)) {
        return Error(400, "Bad Request");
      }
      pos = next + 1;
    }
    const std::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics") return Error(404, "Not Found");
    if (method != "GET" && method != "HEAD") {
      return Error(405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
    }
    return Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", registry_.Serialize(),
                    method == "HEAD");
  }

  void Answer(Connection& c, std::string answer) {
    c.out = std::move(answer);
    c.in.clear();
    c.in.shrink_to_fit();
    c.state = Connection::State::kWriting;
    Serve(c, POLLOUT);
  }

  void Drop(Connection& c) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
  }

  const MetricsServerOptions options_;
  const Registry& registry_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::list<Connection> connections_;      // server thread only (and Stop after the join)
  Clock::time_point accept_paused_until_;  // server thread only
};

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(MetricsServerOptions options,
                                                                    const Registry& registry) {
  if (options.max_request_bytes < 64 || options.max_connections < 1 ||
      options.read_timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        "metrics server: max_request_bytes must be >= 64, max_connections >= 1 and "
        "read_timeout > 0");
  }
  auto impl = std::make_unique<Impl>(std::move(options), registry);
  if (auto status = impl->Bind(); !status.ok()) return status;
  impl->StartThread();
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricsServer::~MetricsServer() = default;
std::string MetricsServer::address() const { return impl_->address(); }
int MetricsServer::port() const { return impl_->port(); }
void MetricsServer::Stop() { impl_->Stop(); }

}  // namespace dyad::metrics
