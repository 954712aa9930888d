#include "dyad/kafka/producer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dyad/kafka/consumer.h"
#include "rdkafka_util.h"

namespace dyad::kafka {

using internal::ErrorToStatus;
using internal::HandlePtr;

namespace {

// The per-message opaque: freed by the delivery report (or by Produce when queueing fails).
struct Pending {
  DeliveryCallback callback;
  std::atomic<int>* outstanding;
  ClientStats* stats;  // may be null
};

}  // namespace

class Producer::Impl {
 public:
  Impl(HandlePtr rk, int close_timeout_ms, std::shared_ptr<ClientStats> stats)
      : rk_(std::move(rk)), close_timeout_ms_(close_timeout_ms), stats_(std::move(stats)) {
    poller_ = std::thread([this] { PollLoop(); });
  }

  ~Impl() {
    const int left = Flush(std::chrono::milliseconds(close_timeout_ms_));
    if (left > 0) {
      spdlog::warn(
          "kafka producer {}: {} record(s) not delivered within close_timeout_ms={}; they are "
          "dropped and their callbacks report CANCELLED",
          rd_kafka_name(rk_.get()), left, close_timeout_ms_);
      // Purged records get their delivery report (once each) from the poll thread.
      rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT |
                                    RD_KAFKA_PURGE_F_NON_BLOCKING);
      Flush(std::chrono::milliseconds(1000));
    }
    stop_.store(true);
    poller_.join();
    // Serve whatever reports are still queued so that every callback runs exactly once.
    rd_kafka_poll(rk_.get(), 0);
  }

  rd_kafka_t* rk() const { return rk_.get(); }
  std::atomic<int>& outstanding() { return outstanding_; }
  ClientStats* stats() const { return stats_.get(); }

  int Flush(std::chrono::milliseconds timeout) {
    // Our own wait instead of rd_kafka_flush, which would run delivery callbacks on the calling
    // thread; the poll thread serves them and signals progress.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mu_);
    while (true) {
      const int left = outstanding_.load();
      if (left == 0 || std::chrono::steady_clock::now() >= deadline) return left;
      progress_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                        std::chrono::milliseconds(10)));
    }
  }

  static void DeliveryReportCallback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg,
                                     void* /*opaque*/) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(msg->_private));
    if (pending == nullptr) return;
    if (pending->stats != nullptr) {
      if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) pending->stats->AddDeliveryError();
      pending->stats->AddQueued(-1);
    }
    if (pending->callback) pending->callback(MakeReport(msg));
    // Only now is the record no longer outstanding: Flush waits for callbacks to have run.
    pending->outstanding->fetch_sub(1);
  }

 private:
  static DeliveryReport MakeReport(const rd_kafka_message_t* msg) {
    DeliveryReport report;
    report.topic = rd_kafka_topic_name(msg->rkt);
    report.partition = msg->partition;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      report.offset = msg->offset;
    } else {
      report.status = ErrorToStatus(
          msg->err, absl::StrCat("kafka delivery to topic ", report.topic, " failed"));
    }
    return report;
  }

  void PollLoop() {
    while (!stop_.load()) {
      rd_kafka_poll(rk_.get(), 50);
      std::lock_guard lock(mu_);
      progress_.notify_all();
    }
  }

  HandlePtr rk_;
  const int close_timeout_ms_;
  // Declared before the poll thread: outlives every delivery report.
  const std::shared_ptr<ClientStats> stats_;
  std::atomic<bool> stop_{false};
  std::atomic<int> outstanding_{0};
  std::mutex mu_;
  std::condition_variable progress_;
  std::thread poller_;
};

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const ProducerOptions& options) {
  if (options.delivery_timeout_ms <= 0 || options.close_timeout_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka producer: delivery_timeout_ms must be > 0 and close_timeout_ms >= 0 (got ",
        options.delivery_timeout_ms, " and ", options.close_timeout_ms, ")"));
  }
  internal::Properties defaults = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", std::to_string(options.delivery_timeout_ms)},
      {"linger.ms", "5"},
      // Kafka's broker/topic default max.message.bytes: a record the broker would take is taken
      // here, a larger one fails at once instead of after a round trip.
      {"message.max.bytes", "1048588"},
  };
  if (internal::HasBuiltinFeature("lz4")) defaults.emplace_back("compression.type", "lz4");
  if (!options.transactional_id.empty()) {
    defaults.emplace_back("transactional.id", options.transactional_id);
  }
  auto conf = internal::BuildConf(options.client, defaults);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &Impl::DeliveryReportCallback);
  auto rk = internal::NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  return std::unique_ptr<Producer>(new Producer(
      std::make_unique<Impl>(std::move(*rk), options.close_timeout_ms, options.client.stats),
      !options.transactional_id.empty()));
}

Producer::Producer(std::unique_ptr<Impl> impl, bool transactional)
    : impl_(std::move(impl)), transactional_(transactional) {}
Producer::~Producer() = default;

absl::Status Producer::Produce(std::string_view topic, std::string_view key, std::string_view value,
                               DeliveryCallback on_delivery, const Headers& headers) {
  rd_kafka_t* rk = impl_->rk();
  internal::HeadersPtr hdrs;
  if (!headers.empty()) {
    hdrs.reset(rd_kafka_headers_new(headers.size()));
    for (const auto& [name, data] : headers) {
      rd_kafka_header_add(hdrs.get(), name.data(), static_cast<ssize_t>(name.size()), data.data(),
                          static_cast<ssize_t>(data.size()));
    }
  }
  auto pending = std::make_unique<Pending>(
      Pending{std::move(on_delivery), &impl_->outstanding(), impl_->stats()});
  const std::string topic_name(topic);
  std::vector<rd_kafka_vu_t> vus(4);
  vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[0].u.cstr = topic_name.c_str();
  vus[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[1].u.i = RD_KAFKA_MSG_F_COPY;
  vus[2].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[2].u.mem = {const_cast<char*>(value.data()), value.size()};
  vus[3].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vus[3].u.ptr = pending.get();
  // An empty key is sent as no key (null), so such records spread over the partitions.
  if (!key.empty()) {
    rd_kafka_vu_t& vu = vus.emplace_back();
    vu.vtype = RD_KAFKA_VTYPE_KEY;
    vu.u.mem = {const_cast<char*>(key.data()), key.size()};
  }
  if (hdrs != nullptr) {
    rd_kafka_vu_t& vu = vus.emplace_back();
    vu.vtype = RD_KAFKA_VTYPE_HEADERS;
    vu.u.headers = hdrs.get();
  }
  impl_->outstanding().fetch_add(1);
  if (impl_->stats() != nullptr) impl_->stats()->AddQueued(1);
  const internal::ErrorPtr error(rd_kafka_produceva(rk, vus.data(), vus.size()));
  if (error != nullptr) {
    impl_->outstanding().fetch_sub(1);
    if (impl_->stats() != nullptr) impl_->stats()->AddQueued(-1);
  }
  if (error != nullptr) {
    const rd_kafka_resp_err_t err = rd_kafka_error_code(error.get());
    const std::string what = absl::StrCat("kafka produce to topic ", topic_name);
    if (err == RD_KAFKA_RESP_ERR__FATAL) return internal::FatalErrorStatus(rk, what);
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
      return ErrorToStatus(
          err, what,
          absl::StrCat("key ", key.size(), " + value ", value.size(), " bytes (+ headers)"));
    }
    return ErrorToStatus(error.get(), what);
  }
  // librdkafka owns both now; `pending` is freed by the delivery report.
  static_cast<void>(hdrs.release());
  static_cast<void>(pending.release());
  return absl::OkStatus();
}

absl::StatusOr<DeliveryReport> Producer::ProduceSync(std::string_view topic, std::string_view key,
                                                     std::string_view value,
                                                     std::chrono::milliseconds timeout,
                                                     const Headers& headers) {
  struct Waiter {
    std::mutex mu;
    std::condition_variable done;
    std::optional<DeliveryReport> report;
  };
  auto waiter = std::make_shared<Waiter>();
  auto status = Produce(
      topic, key, value,
      [waiter](const DeliveryReport& report) {
        std::lock_guard lock(waiter->mu);
        waiter->report = report;
        waiter->done.notify_all();
      },
      headers);
  if (!status.ok()) return status;
  std::unique_lock lock(waiter->mu);
  if (!waiter->done.wait_for(lock, timeout, [&] { return waiter->report.has_value(); })) {
    return absl::UnavailableError(absl::StrCat(
        "kafka produce to topic ", std::string(topic), ": no delivery report within ",
        timeout.count(),
        " ms; the record may still be delivered later, check that the brokers are up"));
  }
  if (!waiter->report->status.ok()) return waiter->report->status;
  return std::move(*waiter->report);
}

int Producer::Flush(std::chrono::milliseconds timeout) { return impl_->Flush(timeout); }

int Producer::OutstandingCount() const { return impl_->outstanding().load(); }

namespace {

// A transactional call's error: ABORTED when the transaction must be aborted, else as
// ErrorToStatus (UNAVAILABLE retriable, INTERNAL fatal).
absl::Status TxnStatus(rd_kafka_error_t* raw, const char* what) {
  const internal::ErrorPtr error(raw);
  if (error == nullptr) return absl::OkStatus();
  if (rd_kafka_error_txn_requires_abort(error.get()) && !rd_kafka_error_is_fatal(error.get())) {
    return absl::AbortedError(absl::StrCat("kafka ", what, ": ", rd_kafka_error_string(error.get()),
                                           " (abort the transaction and redo the batch)"));
  }
  return internal::ErrorToStatus(error.get(), absl::StrCat("kafka ", what));
}

int Ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, INT32_MAX));
}

}  // namespace

absl::Status Producer::RequireTransactional(const char* what) const {
  if (transactional_) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("kafka ", what, ": the producer has no transactional_id"));
}

absl::Status Producer::InitTransactions(std::chrono::milliseconds timeout) {
  if (auto s = RequireTransactional("init transactions"); !s.ok()) return s;
  return TxnStatus(rd_kafka_init_transactions(impl_->rk(), Ms(timeout)), "init transactions");
}

absl::Status Producer::BeginTransaction() {
  if (auto s = RequireTransactional("begin transaction"); !s.ok()) return s;
  return TxnStatus(rd_kafka_begin_transaction(impl_->rk()), "begin transaction");
}

absl::Status Producer::SendOffsetsToTransaction(const Consumer& consumer,
                                                const std::vector<TopicPartitionOffset>& offsets,
                                                std::chrono::milliseconds timeout) {
  if (auto s = RequireTransactional("send offsets to transaction"); !s.ok()) return s;
  if (offsets.empty()) return absl::OkStatus();
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>
      list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())),
           &rd_kafka_topic_partition_list_destroy);
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset = o.offset;
  }
  std::unique_ptr<rd_kafka_consumer_group_metadata_t,
                  decltype(&rd_kafka_consumer_group_metadata_destroy)>
      group(rd_kafka_consumer_group_metadata(static_cast<rd_kafka_t*>(consumer.RawHandle())),
            &rd_kafka_consumer_group_metadata_destroy);
  return TxnStatus(
      rd_kafka_send_offsets_to_transaction(impl_->rk(), list.get(), group.get(), Ms(timeout)),
      "send offsets to transaction");
}

absl::Status Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  if (auto s = RequireTransactional("commit transaction"); !s.ok()) return s;
  return TxnStatus(rd_kafka_commit_transaction(impl_->rk(), Ms(timeout)), "commit transaction");
}

absl::Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  if (auto s = RequireTransactional("abort transaction"); !s.ok()) return s;
  return TxnStatus(rd_kafka_abort_transaction(impl_->rk(), Ms(timeout)), "abort transaction");
}

}  // namespace dyad::kafka
