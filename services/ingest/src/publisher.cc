#include "dyad/ingest/publisher.h"

#include <spdlog/spdlog.h>

#include "dyad/ingest/article.h"
#include "strings.h"

namespace dyad::ingest {

Publisher::Publisher(std::unique_ptr<RecordWriter> writer, std::size_t dedup_capacity)
    : writer_(std::move(writer)), capacity_(std::max<std::size_t>(dedup_capacity, 1)) {}

bool Publisher::ContainsLocked(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  lru_.splice(lru_.begin(), lru_, it->second);
  return true;
}

void Publisher::RememberLocked(const std::string& id) {
  if (ContainsLocked(id)) return;
  lru_.push_front(id);
  index_.emplace(lru_.front(), lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back());
    lru_.pop_back();
  }
}

absl::StatusOr<PublishResult> Publisher::Publish(const dyad::v1::Article& article) {
  const std::string& id = article.id();
  if (id.empty()) return FieldError("id", "the article has no id; build it with BuildArticle");
  {
    std::unique_lock lock(mu_);
    while (true) {
      if (ContainsLocked(id)) return PublishResult{id, true};
      if (!in_flight_.contains(id)) break;
      done_.wait(lock);
    }
    in_flight_.insert(id);
  }
  std::string value;
  absl::Status status;
  if (!article.SerializeToString(&value)) {
    status = absl::InternalError("cannot serialize the article");
  } else {
    status = writer_->Write(id, value);
  }
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(id);
    if (status.ok()) RememberLocked(id);
  }
  done_.notify_all();
  if (!status.ok()) {
    if (status.code() == absl::StatusCode::kInternal) return status;
    return absl::UnavailableError(
        Cat("Kafka did not acknowledge article ", id, ": ", status.message(),
            "; retry later (the article id is stable: downstream counts it once)"));
  }
  return PublishResult{id, false};
}

int Publisher::Flush(std::chrono::milliseconds timeout) { return writer_->Flush(timeout); }

int Publisher::Close(std::chrono::milliseconds timeout) { return writer_->Close(timeout); }

std::size_t Publisher::remembered() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace dyad::ingest
