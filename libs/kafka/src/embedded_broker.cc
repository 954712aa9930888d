#include "dyad/kafka/embedded_broker.h"

#include <spdlog/spdlog.h>

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "embedded_registry.h"
#include "rdkafka_util.h"
// After rdkafka.h (from rdkafka_util.h), as it requires.
#include <librdkafka/rdkafka_mock.h>

namespace dyad::kafka {
namespace {

struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* p) const { rd_kafka_mock_cluster_destroy(p); }
};
using MockClusterPtr = std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter>;

}  // namespace

class EmbeddedBroker::Impl {
 public:
  Impl(internal::HandlePtr rk, MockClusterPtr cluster)
      : rk_(std::move(rk)),
        cluster_(std::move(cluster)),
        bootstrap_servers_(rd_kafka_mock_cluster_bootstraps(cluster_.get())) {
    internal::RegisterEmbeddedBroker(bootstrap_servers_,
                                     [this](const TopicSpec& topic) { return CreateTopic(topic); });
  }

  ~Impl() {
    internal::UnregisterEmbeddedBroker(bootstrap_servers_);
    cluster_.reset();  // before the handle it was created with
    rk_.reset();
  }

  rd_kafka_mock_cluster_t* cluster() const { return cluster_.get(); }

  absl::Status CreateTopic(const TopicSpec& topic) {
    if (topic.name.empty() || topic.partitions < 1 || topic.replication_factor < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("embedded broker: bad topic '", topic.name, "' (", topic.partitions,
                       " partitions, replication factor ", topic.replication_factor,
                       "): give a name and at least 1 of each"));
    }
    const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
        cluster_.get(), topic.name.c_str(), topic.partitions, topic.replication_factor);
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return absl::OkStatus();
    return internal::ErrorToStatus(err, absl::StrCat("embedded broker: create topic ", topic.name));
  }
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

 private:
  internal::HandlePtr rk_;
  MockClusterPtr cluster_;
  std::string bootstrap_servers_;
};

absl::StatusOr<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(int brokers) {
  if (brokers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("embedded broker: need at least 1 broker, got ", brokers));
  }
  // The mock cluster needs a client handle for its bookkeeping; it never sends anything.
  internal::ConfPtr conf(rd_kafka_conf_new());
  internal::InstallLogging(conf.get());
  // This handle never connects anywhere: keep its "no bootstrap.servers" notice out of the log.
  for (const auto& [key, value] :
       {std::pair<const char*, const char*>{"client.id", "dyad-embedded-broker"},
        {"log_level", "4"}}) {
    std::array<char, 256> errstr{};
    if (rd_kafka_conf_set(conf.get(), key, value, errstr.data(), errstr.size()) !=
        RD_KAFKA_CONF_OK) {
      return absl::InternalError(absl::StrCat("embedded broker: ", key, ": ", errstr.data()));
    }
  }
  auto rk = internal::NewHandle(RD_KAFKA_PRODUCER, std::move(conf));
  if (!rk.ok()) return rk.status();
  MockClusterPtr cluster(rd_kafka_mock_cluster_new(rk->get(), brokers));
  if (cluster == nullptr) {
    return absl::InternalError(
        "embedded broker: librdkafka could not start its mock cluster; check that loopback "
        "networking is available");
  }
  auto impl = std::make_unique<Impl>(std::move(*rk), std::move(cluster));
  spdlog::info("embedded kafka broker ({} broker(s)) on {}", brokers, impl->bootstrap_servers());
  return std::unique_ptr<EmbeddedBroker>(new EmbeddedBroker(std::move(impl)));
}

EmbeddedBroker::EmbeddedBroker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddedBroker::~EmbeddedBroker() = default;

const std::string& EmbeddedBroker::bootstrap_servers() const { return impl_->bootstrap_servers(); }

absl::Status EmbeddedBroker::CreateTopic(const TopicSpec& topic) {
  return impl_->CreateTopic(topic);
}

absl::Status EmbeddedBroker::SetBrokerDown(int32_t broker_id) {
  return internal::ErrorToStatus(rd_kafka_mock_broker_set_down(impl_->cluster(), broker_id),
                                 absl::StrCat("embedded broker: set broker ", broker_id, " down"));
}

absl::Status EmbeddedBroker::SetBrokerUp(int32_t broker_id) {
  return internal::ErrorToStatus(rd_kafka_mock_broker_set_up(impl_->cluster(), broker_id),
                                 absl::StrCat("embedded broker: set broker ", broker_id, " up"));
}

}  // namespace dyad::kafka
