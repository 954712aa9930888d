#include "dyad/kafka/consumer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rdkafka_util.h"

namespace dyad::kafka {

using internal::ErrorToStatus;
using internal::HandlePtr;
using internal::PartitionListPtr;

class Consumer::Impl {
 public:
  explicit Impl(const ConsumerOptions& options)
      : commit_timeout_ms_(options.commit_timeout_ms),
        reset_offset_(options.auto_offset_reset == "earliest" ? std::optional(kOffsetBeginning)
                      : options.auto_offset_reset == "latest" ? std::optional(kOffsetEnd)
                                                              : std::nullopt),
        commit_offsets_(options.commit_offsets),
        on_assign_(options.on_assign),
        on_revoke_(options.on_revoke),
        stats_(options.client.stats) {}

  ~Impl() {
    if (rk_ == nullptr) return;
    // Consumer::~Consumer ran Close (done or abandoned), so no second consumer close and no
    // callbacks into this Impl. Quick unless the brokers went away: then librdkafka 2.0.2 may
    // hang, and the handle is left to finish in the background.
    internal::DestroyWithin(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE,
                            std::chrono::milliseconds(commit_timeout_ms_));
  }

  // Creates the handle; `conf` gets this Impl as its opaque for the rebalance callback.
  absl::Status Init(internal::ConfPtr conf) {
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Impl::RebalanceCallback);
    auto rk = internal::NewHandle(RD_KAFKA_CONSUMER, std::move(conf));
    if (!rk.ok()) return rk.status();
    rk_ = std::move(*rk);
    // Serve all events (rebalances, errors, logs) from rd_kafka_consumer_poll.
    rd_kafka_poll_set_consumer(rk_.get());
    return absl::OkStatus();
  }

  rd_kafka_t* rk() const { return rk_.get(); }
  bool closed() const { return closed_; }
  bool commit_offsets() const { return commit_offsets_; }
  int64_t rebalance_count() const { return rebalances_.load(); }

  // Eager protocol: the whole assignment is replaced at each rebalance. Runs on the thread
  // inside Poll/Close.
  static void RebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    self->rebalances_.fetch_add(1);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      if (self->on_assign_) self->ChooseStartOffsets(partitions);
      self->ResolveCommittedOffsets(partitions);
      spdlog::info("kafka consumer {}: assigned {}", rd_kafka_name(rk), Describe(partitions));
      if (auto assign_err = rd_kafka_assign(rk, partitions); assign_err) {
        spdlog::error("kafka consumer {}: assign failed: {}", rd_kafka_name(rk),
                      rd_kafka_err2str(assign_err));
      }
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      if (self->on_revoke_) self->on_revoke_(ToVector(partitions));
      if (rd_kafka_assignment_lost(rk)) {
        // The group moved on without us (session timed out): our offsets would be refused.
        spdlog::warn(
            "kafka consumer {}: lost {}; records processed since the last commit will "
            "be delivered again to their new owner",
            rd_kafka_name(rk), Describe(partitions));
      } else {
        spdlog::info("kafka consumer {}: revoked {}", rd_kafka_name(rk), Describe(partitions));
        // Commit what was processed before someone else takes the partitions over.
        if (self->commit_offsets_) self->CommitStored("commit on revoke").IgnoreError();
      }
    } else {
      spdlog::warn("kafka consumer {}: rebalance error {}", rd_kafka_name(rk),
                   rd_kafka_err2str(err));
    }
    rd_kafka_assign(rk, nullptr);
  }

  // Lets on_assign choose where each newly assigned partition starts.
  void ChooseStartOffsets(rd_kafka_topic_partition_list_t* partitions) {
    std::vector<TopicPartitionOffset> offsets;
    offsets.reserve(static_cast<size_t>(partitions->cnt));
    for (int i = 0; i < partitions->cnt; ++i) {
      offsets.push_back(
          {partitions->elems[i].topic, partitions->elems[i].partition, kOffsetStored});
    }
    on_assign_(offsets);
    for (int i = 0; i < partitions->cnt && i < static_cast<int>(offsets.size()); ++i) {
      partitions->elems[i].offset = offsets[static_cast<size_t>(i)].offset;
    }
  }

  // Gives the partitions that are to start from the group's committed offset (INVALID from the
  // rebalance, or kOffsetStored left by on_assign) that offset explicitly, read here.
  //
  // Why: librdkafka (2.0.2, and its master as of this writing) starts a partition from
  // auto.offset.reset instead of its committed offset when an open transaction blocks that offset
  // (UNSTABLE_OFFSET_COMMIT) and the assignment changed while it asked:
  // rd_kafka_assignment_apply_offsets puts the partition back as pending with the response's
  // offset, INVALID. The fault tests caught it: an exactly-once extractor re-read a partition
  // from its beginning after a rebalance, doubling events (with auto.offset.reset=latest it would
  // skip records). rd_kafka_committed (require_stable under read_committed) is asked again until
  // no partition is unstable, for up to kResolveCommittedTimeout; whatever is still unresolved
  // then is left to librdkafka.
  void ResolveCommittedOffsets(rd_kafka_topic_partition_list_t* partitions) {
    PartitionListPtr query(rd_kafka_topic_partition_list_new(partitions->cnt));
    for (int i = 0; i < partitions->cnt; ++i) {
      const auto& p = partitions->elems[i];
      if (p.offset == RD_KAFKA_OFFSET_INVALID || p.offset == RD_KAFKA_OFFSET_STORED) {
        rd_kafka_topic_partition_list_add(query.get(), p.topic, p.partition);
      }
    }
    if (query->cnt == 0) return;
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + kResolveCommittedTimeout;
    int waits = 0;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      const rd_kafka_resp_err_t err = rd_kafka_committed(
          rk_.get(), query.get(), static_cast<int>(std::clamp<int64_t>(left.count(), 1, 10000)));
      int unstable = 0;
      for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < query->cnt; ++i) {
        if (query->elems[i].err == RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT) ++unstable;
      }
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR && unstable == 0) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        spdlog::warn(
            "kafka consumer {}: committed offsets still unreadable after {} s ({}); librdkafka "
            "will look them up itself",
            rd_kafka_name(rk_.get()), kResolveCommittedTimeout.count(),
            err != RD_KAFKA_RESP_ERR_NO_ERROR
                ? rd_kafka_err2str(err)
                : absl::StrCat(unstable, " partition(s) blocked by open transactions").c_str());
        return;
      }
      ++waits;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (waits > 0) {
      spdlog::info(
          "kafka consumer {}: waited {} ms for open transactions to end before reading "
          "the committed offsets",
          rd_kafka_name(rk_.get()),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                started)
              .count());
    }
    for (int i = 0; i < query->cnt; ++i) {
      const auto& q = query->elems[i];
      if (q.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // left to librdkafka
      rd_kafka_topic_partition_t* p =
          rd_kafka_topic_partition_list_find(partitions, q.topic, q.partition);
      if (p == nullptr) continue;
      if (q.offset >= 0) {
        p->offset = q.offset;
      } else if (reset_offset_.has_value()) {
        p->offset = *reset_offset_;  // no committed offset: auto_offset_reset
      }
    }
  }

  // Commits the stored offsets and waits for the outcome, at most commit_timeout_ms (a plain
  // synchronous rd_kafka_commit waits for an unreachable coordinator up to session.timeout.ms).
  // Nothing stored is not an error.
  absl::Status CommitStored(absl::string_view what) {
    const std::string context =
        absl::StrCat("kafka consumer ", rd_kafka_name(rk_.get()), ": ", what);
    internal::QueuePtr queue(rd_kafka_queue_new(rk_.get()));
    rd_kafka_resp_err_t err =
        rd_kafka_commit_queue(rk_.get(), nullptr, queue.get(), nullptr, nullptr);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      internal::EventPtr event(rd_kafka_queue_poll(queue.get(), commit_timeout_ms_));
      if (event == nullptr) {
        auto status = absl::UnavailableError(absl::StrCat(
            context, ": no answer from the group coordinator within ", commit_timeout_ms_,
            " ms; records processed since the last commit may be delivered again, check "
            "--brokers and that Kafka is up"));
        spdlog::warn("{}", std::string(status.message()));
        return status;
      }
      err = rd_kafka_event_error(event.get());
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
      return absl::OkStatus();
    }
    auto status = ErrorToStatus(err, context);
    spdlog::warn("{}", std::string(status.message()));
    return status;
  }

  // Logs a consumer error at warn the first time its code is seen, then at debug.
  void LogOnce(rd_kafka_resp_err_t err, const char* detail) {
    if (seen_errors_.insert(err).second) {
      spdlog::warn("kafka consumer {}: {} ({}); retrying", rd_kafka_name(rk_.get()), detail,
                   rd_kafka_err2name(err));
    } else {
      spdlog::debug("kafka consumer {}: {} ({})", rd_kafka_name(rk_.get()), detail,
                    rd_kafka_err2name(err));
    }
  }

  // At most once a second (from Poll): the lag of every assigned partition into stats_, from
  // librdkafka's local view (position, and the high watermark of the last fetch response).
  void MaybeUpdateLag() {
    if (stats_ == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_lag_update_) return;
    next_lag_update_ = now + std::chrono::seconds(1);
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(rk_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR || raw == nullptr) {
      return;
    }
    const PartitionListPtr assignment(raw);
    std::vector<PartitionLag> lag;
    if (rd_kafka_position(rk_.get(), assignment.get()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < assignment->cnt; ++i) {
        const auto& tp = assignment->elems[i];
        int64_t low = -1, high = -1;
        if (tp.offset < 0 ||
            rd_kafka_get_watermark_offsets(rk_.get(), tp.topic, tp.partition, &low, &high) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0) {
          continue;
        }
        lag.push_back({tp.topic, tp.partition, std::max<int64_t>(0, high - tp.offset)});
      }
    }
    stats_->SetConsumerLag(this, std::move(lag));
  }

  absl::Status Close() {
    if (closed_) return absl::OkStatus();
    closed_ = true;
    if (stats_ != nullptr) stats_->SetConsumerLag(this, {});
    absl::Status status = commit_offsets_ ? CommitStored("commit on close") : absl::OkStatus();
    if (absl::IsUnavailable(status)) {
      // rd_kafka_consumer_close would retry the commit until session.timeout.ms: give up now.
      spdlog::warn("kafka consumer {}: brokers unreachable, closing without leaving the group",
                   rd_kafka_name(rk_.get()));
      abandoned_ = true;
      return status;
    }
    const rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && status.ok()) {
      status =
          ErrorToStatus(err, absl::StrCat("kafka consumer ", rd_kafka_name(rk_.get()), ": close"));
    }
    return status;
  }

 private:
  static std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* partitions) {
    std::vector<TopicPartition> out;
    out.reserve(static_cast<size_t>(partitions->cnt));
    for (int i = 0; i < partitions->cnt; ++i) {
      out.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
    }
    return out;
  }

  static std::string Describe(const rd_kafka_topic_partition_list_t* partitions) {
    std::vector<std::string> names;
    names.reserve(static_cast<size_t>(partitions->cnt));
    for (int i = 0; i < partitions->cnt; ++i) {
      names.push_back(
          absl::StrCat(partitions->elems[i].topic, "[", partitions->elems[i].partition, "]"));
    }
    return names.empty() ? "nothing" : absl::StrJoin(names, ",");
  }

  // How long an assignment waits for open transactions that block its committed offsets
  // (the previous owner's transaction commits or aborts; at worst the broker aborts it after its
  // transaction.timeout.ms, 60 s for the extractor).
  static constexpr std::chrono::seconds kResolveCommittedTimeout{120};

  const int commit_timeout_ms_;
  // auto_offset_reset as a start offset (nullopt: "error" or another policy librdkafka applies).
  const std::optional<int64_t> reset_offset_;
  const bool commit_offsets_;
  const std::function<void(std::vector<TopicPartitionOffset>&)> on_assign_;
  const std::function<void(const std::vector<TopicPartition>&)> on_revoke_;
  const std::shared_ptr<ClientStats> stats_;  // may be null
  std::chrono::steady_clock::time_point next_lag_update_;
  std::atomic<int64_t> rebalances_{0};
  HandlePtr rk_;
  bool closed_ = false;
  bool abandoned_ = false;  // Close gave up on unreachable brokers
  std::set<rd_kafka_resp_err_t> seen_errors_;
};

void* Consumer::RawHandle() const { return impl_->rk(); }

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const ConsumerOptions& options) {
  if (options.commit_timeout_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka consumer: commit_timeout_ms must be > 0, got ", options.commit_timeout_ms));
  }
  if (options.group_id.empty()) {
    return absl::InvalidArgumentError(
        "kafka consumer: group_id is empty; every dyad consumer belongs to a group");
  }
  const internal::Properties defaults = {
      {"group.id", options.group_id},
      {"enable.auto.commit", options.commit_offsets ? "true" : "false"},
      // Only offsets the caller stored after processing are committed (at least once).
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", options.auto_offset_reset},
      {"isolation.level", options.isolation_level},
      // Eager assignors: cooperative-sticky had fixes after 2.0.2 (see PLATFORM.md).
      {"partition.assignment.strategy", "range,roundrobin"},
  };
  auto conf = internal::BuildConf(options.client, defaults);
  if (!conf.ok()) return conf.status();
  auto impl = std::make_unique<Impl>(options);
  if (auto status = impl->Init(std::move(*conf)); !status.ok()) return status;
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Consumer::~Consumer() {
  if (auto status = impl_->Close(); !status.ok()) {
    spdlog::warn("kafka consumer close: {}", std::string(status.message()));
  }
}

absl::Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  if (impl_->closed()) return absl::FailedPreconditionError("kafka consumer: already closed");
  if (topics.empty()) {
    return absl::InvalidArgumentError("kafka consumer: subscribe to at least one topic");
  }
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& topic : topics) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->rk(), list.get());
  return ErrorToStatus(err,
                       absl::StrCat("kafka consumer: subscribe to ", absl::StrJoin(topics, ",")));
}

absl::StatusOr<std::optional<Message>> Consumer::Poll(std::chrono::milliseconds timeout) {
  if (impl_->closed()) return absl::FailedPreconditionError("kafka consumer: already closed");
  rd_kafka_t* rk = impl_->rk();
  impl_->MaybeUpdateLag();
  internal::MessagePtr msg(rd_kafka_consumer_poll(rk, static_cast<int>(timeout.count())));
  if (msg == nullptr) {
    if (auto fatal = internal::FatalErrorStatus(rk, "kafka consumer"); !fatal.ok()) return fatal;
    return std::nullopt;
  }
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
      return internal::FatalErrorStatus(rk, "kafka consumer");
    }
    if (msg->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
        msg->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
      return ErrorToStatus(msg->err, "kafka consumer", rd_kafka_message_errstr(msg.get()));
    }
    // Partition EOF, unknown topic (may be created soon), broker down: librdkafka retries.
    if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      impl_->LogOnce(msg->err, rd_kafka_message_errstr(msg.get()));
    }
    return std::nullopt;
  }
  Message out;
  out.topic = rd_kafka_topic_name(msg->rkt);
  out.partition = msg->partition;
  out.offset = msg->offset;
  if (msg->key != nullptr) out.key.assign(static_cast<const char*>(msg->key), msg->key_len);
  if (msg->payload != nullptr) {
    out.value.assign(static_cast<const char*>(msg->payload), msg->len);
  }
  rd_kafka_headers_t* hdrs = nullptr;  // owned by the message
  if (rd_kafka_message_headers(msg.get(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* data = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &data, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      out.headers.emplace_back(name, data == nullptr
                                         ? std::string()
                                         : std::string(static_cast<const char*>(data), size));
    }
  }
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t ts = rd_kafka_message_timestamp(msg.get(), &type);
  out.timestamp_ms = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
  return out;
}

absl::Status Consumer::StoreOffset(const Message& message) {
  if (impl_->closed()) return absl::FailedPreconditionError("kafka consumer: already closed");
  if (!impl_->commit_offsets()) {
    return absl::FailedPreconditionError(
        "kafka consumer: StoreOffset on a consumer created with commit_offsets = false; its "
        "offsets are kept by the caller (transaction or own store)");
  }
  PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), message.topic.c_str(), message.partition)->offset =
      message.offset + 1;
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(impl_->rk(), list.get());
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
  // 2.0.2 answers _UNKNOWN_PARTITION for a partition not assigned here, later versions _STATE.
  if (err == RD_KAFKA_RESP_ERR__STATE || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
    return absl::FailedPreconditionError(absl::StrCat(
        "kafka consumer: cannot store offset for ", message.topic, "[", message.partition,
        "]: the partition is no longer assigned to this consumer (rebalanced); its new owner "
        "will process the record again, carry on polling"));
  }
  return ErrorToStatus(err, absl::StrCat("kafka consumer: store offset ", message.offset + 1,
                                         " for ", message.topic, "[", message.partition, "]"));
}

int64_t Consumer::rebalance_count() const { return impl_->rebalance_count(); }

absl::Status Consumer::Seek(const std::string& topic, int32_t partition, int64_t offset,
                            std::chrono::milliseconds timeout) {
  if (impl_->closed()) return absl::FailedPreconditionError("kafka consumer: already closed");
  const std::string what =
      absl::StrCat("kafka consumer: seek ", topic, "[", partition, "] to ", offset);
  if (offset < 0 && offset != kOffsetBeginning && offset != kOffsetEnd) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not an offset"));
  }
  PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  std::unique_ptr<rd_kafka_error_t, decltype(&rd_kafka_error_destroy)> error(
      rd_kafka_seek_partitions(impl_->rk(), list.get(), static_cast<int>(timeout.count())),
      &rd_kafka_error_destroy);
  if (error != nullptr) return ErrorToStatus(error.get(), what);
  const rd_kafka_resp_err_t err = list->elems[0].err;
  if (err == RD_KAFKA_RESP_ERR__STATE || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": the partition is not assigned to this consumer"));
  }
  return ErrorToStatus(err, what);
}

absl::Status Consumer::Commit() {
  if (impl_->closed()) return absl::FailedPreconditionError("kafka consumer: already closed");
  return impl_->CommitStored("commit");
}

absl::StatusOr<std::vector<TopicPartition>> Consumer::Assignment() const {
  if (impl_->closed()) return std::vector<TopicPartition>{};
  rd_kafka_topic_partition_list_t* raw = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_assignment(impl_->rk(), &raw);
  PartitionListPtr list(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return ErrorToStatus(err, "kafka consumer: assignment");
  }
  std::vector<TopicPartition> out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  }
  return out;
}

absl::Status Consumer::Close() { return impl_->Close(); }

}  // namespace dyad::kafka
