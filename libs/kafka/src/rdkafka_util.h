// Private helpers over librdkafka's C API: owning pointers, configuration building and error
// mapping. Never included from a public header.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dyad/kafka/config.h"

namespace dyad::kafka::internal {

// One deleter per librdkafka handle type, so every handle lives in a unique_ptr.
struct RdKafkaDeleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
  void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
  void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
  void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
  void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
};

using HandlePtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, RdKafkaDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, RdKafkaDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, RdKafkaDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, RdKafkaDeleter>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, RdKafkaDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, RdKafkaDeleter>;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, RdKafkaDeleter>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, RdKafkaDeleter>;

using Properties = std::vector<std::pair<std::string, std::string>>;

// Builds a configuration: bootstrap.servers and client.id from `client`, then `defaults` (dyad's
// choices), then the user's `client.properties`, which win. Every rd_kafka_conf_set is checked;
// INVALID_ARGUMENT names the key and carries librdkafka's message. Also routes librdkafka's log
// lines to spdlog and installs a logging error callback.
absl::StatusOr<ConfPtr> BuildConf(const ClientConfig& client, const Properties& defaults);

// Routes librdkafka's log lines to spdlog and logs client errors (fatal ones at error level).
void InstallLogging(rd_kafka_conf_t* conf);

// Stops (or resumes) forwarding `rk`'s log lines to spdlog: for handles left to finish their
// destruction in the background, which may outlive spdlog at process exit.
void SetLogsSilenced(const rd_kafka_t* rk, bool silenced);

// rd_kafka_destroy_flags on a helper thread, waiting at most `timeout`. librdkafka 2.0.2 can block
// indefinitely destroying a group consumer whose brokers went away (librdkafka issues #4519,
// #4674); then the handle is left to finish in the background, silenced, and this returns false.
bool DestroyWithin(rd_kafka_t* rk, int flags, std::chrono::milliseconds timeout);

// rd_kafka_new with ownership of `conf` passed on success. INVALID_ARGUMENT with librdkafka's
// message when the combination of properties is rejected.
absl::StatusOr<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf);

// True when librdkafka was built with the named feature (builtin.features, e.g. "lz4").
bool HasBuiltinFeature(absl::string_view feature);

// Maps a librdkafka error code to a status: retriable, transport and timeout errors are
// UNAVAILABLE, a full queue RESOURCE_EXHAUSTED, fatal idempotence errors INTERNAL. `what` says
// what failed ("delivery to topic x"); the message ends with a hint for the operator.
absl::Status ErrorToStatus(rd_kafka_resp_err_t err, absl::string_view what,
                           absl::string_view detail = {});

// As above for an rd_kafka_error_t (uses its retriable/fatal flags).
absl::Status ErrorToStatus(const rd_kafka_error_t* error, absl::string_view what);

// When `rk` has raised a fatal error: INTERNAL naming it; otherwise OK.
absl::Status FatalErrorStatus(rd_kafka_t* rk, absl::string_view what);

}  // namespace dyad::kafka::internal
