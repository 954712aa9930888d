#include "rdkafka_util.h"

#include <spdlog/spdlog.h>

#include <array>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dyad::kafka::internal {
namespace {

// librdkafka logs with syslog levels (0 emergency .. 7 debug).
spdlog::level::level_enum SpdlogLevel(int syslog_level) {
  if (syslog_level <= 3) return spdlog::level::err;
  if (syslog_level == 4) return spdlog::level::warn;
  if (syslog_level <= 6) return spdlog::level::info;
  return spdlog::level::debug;
}

std::mutex& SilencedMutex() {
  static std::mutex mu;
  return mu;
}

std::set<const rd_kafka_t*>& Silenced() {
  static auto* silenced = new std::set<const rd_kafka_t*>();  // never destroyed: used at exit
  return *silenced;
}

void LogCallback(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
  {
    std::lock_guard lock(SilencedMutex());
    if (Silenced().count(rk) != 0) return;
  }
  spdlog::log(SpdlogLevel(level), "librdkafka {} [{}]: {}", rd_kafka_name(rk), facility, line);
}

// Connection problems are also logged by LogCallback, so only fatal and all-brokers-down errors
// are worth a line of their own here.
void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, 512> errstr{};
    const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, errstr.data(), errstr.size());
    spdlog::error("kafka {}: fatal error {}: {}; restart the process", rd_kafka_name(rk),
                  rd_kafka_err2name(fatal), errstr.data());
  } else if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    spdlog::warn("kafka {}: all brokers are down ({}); retrying, check --brokers",
                 rd_kafka_name(rk), reason);
  } else {
    spdlog::debug("kafka {}: {} ({})", rd_kafka_name(rk), reason, rd_kafka_err2name(code));
  }
}

// Values of these keys are credentials: never echo them in an error.
bool IsSecretKey(absl::string_view key) {
  return absl::StrContains(key, "password") || absl::StrContains(key, "secret") ||
         absl::StrContains(key, "jaas") || absl::StrContains(key, ".pem");
}

absl::Status Set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  std::array<char, 512> errstr{};
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr.data(), errstr.size()) ==
      RD_KAFKA_CONF_OK) {
    return absl::OkStatus();
  }
  const std::string shown = IsSecretKey(key) ? "<redacted>" : "'" + value + "'";
  return absl::InvalidArgumentError(absl::StrCat(
      "kafka property '", key, "' = ", shown, " rejected: ", errstr.data(),
      "; fix or remove it (--kafka-config takes librdkafka properties, see librdkafka's "
      "CONFIGURATION.md)"));
}

enum class Kind {
  kUnavailable,
  kExhausted,
  kFatal,
  kTooLarge,
  kInvalid,
  kNotFound,
  kDenied,
  kUnauthenticated,
  kCancelled,
  kUnsupported,
  kAlreadyExists,
  kOther
};

Kind Classify(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__RETRY:
    case RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__NOT_CONFIGURED:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
      return Kind::kUnavailable;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Kind::kExhausted;
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__GAPLESS_GUARANTEE:
    case RD_KAFKA_RESP_ERR__INCONSISTENT:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
      return Kind::kFatal;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
      return Kind::kTooLarge;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
      return Kind::kInvalid;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_GROUP:
      return Kind::kNotFound;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return Kind::kDenied;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return Kind::kUnauthenticated;
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__DESTROY:
      return Kind::kCancelled;
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return Kind::kUnsupported;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return Kind::kAlreadyExists;
    default:
      return Kind::kOther;
  }
}

absl::Status Make(Kind kind, const std::string& message) {
  switch (kind) {
    case Kind::kUnavailable:
      return absl::UnavailableError(
          absl::StrCat(message,
                       "; the brokers were unreachable or too slow: check --brokers and that Kafka "
                       "is up, retrying is safe"));
    case Kind::kExhausted:
      return absl::ResourceExhaustedError(
          absl::StrCat(message,
                       "; the local producer queue is full: retry in a moment, or raise "
                       "queue.buffering.max.messages / queue.buffering.max.kbytes"));
    case Kind::kFatal:
      return absl::InternalError(
          absl::StrCat(message,
                       "; the idempotent producer can no longer guarantee order and no duplicates: "
                       "restart the process (acknowledged records are safe)"));
    case Kind::kTooLarge:
      return absl::InvalidArgumentError(
          absl::StrCat(message,
                       "; the record is larger than message.max.bytes: shrink it, or raise "
                       "message.max.bytes (--kafka-config) together with the topic's "
                       "max.message.bytes"));
    case Kind::kInvalid:
      return absl::InvalidArgumentError(
          absl::StrCat(message, "; the request or topic settings are invalid: fix them"));
    case Kind::kNotFound:
      return absl::NotFoundError(
          absl::StrCat(message,
                       "; create the topic (each service ensures its topics at start) or check "
                       "its name"));
    case Kind::kDenied:
      return absl::PermissionDeniedError(
          absl::StrCat(message, "; grant this client's principal access in the broker ACLs"));
    case Kind::kUnauthenticated:
      return absl::UnauthenticatedError(
          absl::StrCat(message, "; check the SASL/TLS settings given with --kafka-config"));
    case Kind::kCancelled:
      return absl::CancelledError(absl::StrCat(
          message, "; the client was closed before this finished: send again after restart"));
    case Kind::kUnsupported:
      return absl::UnimplementedError(
          absl::StrCat(message, "; the broker does not support this request: use a newer Kafka"));
    case Kind::kAlreadyExists:
      return absl::AlreadyExistsError(message);
    case Kind::kOther:
      break;
  }
  return absl::UnknownError(
      absl::StrCat(message, "; unexpected Kafka error: see the broker and client logs"));
}

}  // namespace

absl::StatusOr<ConfPtr> BuildConf(const ClientConfig& client, const Properties& defaults) {
  ConfPtr conf(rd_kafka_conf_new());
  // An empty bootstrap.servers would let the client wait forever without a word.
  if (client.brokers.empty() && client.properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError(
        "kafka property 'bootstrap.servers' is empty: give --brokers host:port[,host:port]");
  }
  if (!client.brokers.empty()) {
    if (auto s = Set(conf.get(), "bootstrap.servers", client.brokers); !s.ok()) return s;
  }
  if (!client.client_id.empty()) {
    if (auto s = Set(conf.get(), "client.id", client.client_id); !s.ok()) return s;
  }
  for (const auto& [key, value] : defaults) {
    if (auto s = Set(conf.get(), key, value); !s.ok()) return s;
  }
  for (const auto& [key, value] : client.properties) {
    if (auto s = Set(conf.get(), key, value); !s.ok()) return s;
  }
  InstallLogging(conf.get());
  return conf;
}

void SetLogsSilenced(const rd_kafka_t* rk, bool silenced) {
  std::lock_guard lock(SilencedMutex());
  if (silenced) {
    Silenced().insert(rk);
  } else {
    Silenced().erase(rk);
  }
}

bool DestroyWithin(rd_kafka_t* rk, int flags, std::chrono::milliseconds timeout) {
  struct State {
    std::mutex mu;
    std::condition_variable done_cv;
    bool done = false;
  };
  auto state = std::make_shared<State>();
  std::thread destroyer([rk, flags, state] {
    rd_kafka_destroy_flags(rk, flags);
    SetLogsSilenced(rk, false);  // the address may be reused by a later handle
    std::lock_guard lock(state->mu);
    state->done = true;
    state->done_cv.notify_all();
  });
  std::unique_lock lock(state->mu);
  if (state->done_cv.wait_for(lock, timeout, [&] { return state->done; })) {
    lock.unlock();
    destroyer.join();
    return true;
  }
  // Silence first: the handle's threads may outlive spdlog if the process exits meanwhile.
  spdlog::warn(
      "kafka {}: librdkafka did not finish closing the client within {} ms (its brokers are "
      "unreachable; librdkafka 2.0.2 issues #4519/#4674); leaving it to finish in the background",
      rd_kafka_name(rk), timeout.count());
  SetLogsSilenced(rk, true);
  lock.unlock();
  destroyer.detach();
  return false;
}

void InstallLogging(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, &LogCallback);
  rd_kafka_conf_set_error_cb(conf, &ErrorCallback);
}

absl::StatusOr<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf) {
  std::array<char, 512> errstr{};
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr.data(), errstr.size());
  if (rk == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kafka client configuration rejected: ", errstr.data(),
                     "; fix the properties given with --kafka-config"));
  }
  static_cast<void>(conf.release());  // rd_kafka_new owns it now
  return HandlePtr(rk);
}

bool HasBuiltinFeature(absl::string_view feature) {
  ConfPtr conf(rd_kafka_conf_new());
  std::array<char, 1024> buf{};
  size_t size = buf.size();
  if (rd_kafka_conf_get(conf.get(), "builtin.features", buf.data(), &size) != RD_KAFKA_CONF_OK) {
    return false;
  }
  for (absl::string_view rest(buf.data()); !rest.empty();) {
    const auto comma = rest.find(',');
    if (rest.substr(0, comma) == feature) return true;
    if (comma == absl::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

absl::Status ErrorToStatus(rd_kafka_resp_err_t err, absl::string_view what,
                           absl::string_view detail) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  std::string message =
      absl::StrCat(what, ": ", rd_kafka_err2str(err), " (", rd_kafka_err2name(err), ")");
  if (!detail.empty() && detail != rd_kafka_err2str(err)) absl::StrAppend(&message, ": ", detail);
  return Make(Classify(err), message);
}

absl::Status ErrorToStatus(const rd_kafka_error_t* error, absl::string_view what) {
  if (error == nullptr) return absl::OkStatus();
  const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  std::string message =
      absl::StrCat(what, ": ", rd_kafka_error_string(error), " (", rd_kafka_error_name(error), ")");
  Kind kind = Classify(code);
  if (rd_kafka_error_is_fatal(error)) {
    kind = Kind::kFatal;
  } else if (kind == Kind::kOther && rd_kafka_error_is_retriable(error)) {
    kind = Kind::kUnavailable;
  }
  return Make(kind, message);
}

absl::Status FatalErrorStatus(rd_kafka_t* rk, absl::string_view what) {
  std::array<char, 512> errstr{};
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk, errstr.data(), errstr.size());
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return Make(Kind::kFatal,
              absl::StrCat(what, ": fatal ", rd_kafka_err2name(err), ": ", errstr.data()));
}

}  // namespace dyad::kafka::internal
