#include "embedded_registry.h"

#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace dyad::kafka::internal {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

// host:port of each mock broker → its cluster's topic creator.
std::map<std::string, CreateTopicFn>& Registry() {
  static auto* registry = new std::map<std::string, CreateTopicFn>();
  return *registry;
}

}  // namespace

void RegisterEmbeddedBroker(const std::string& bootstrap_servers, const CreateTopicFn& create) {
  std::lock_guard lock(RegistryMutex());
  for (absl::string_view address : absl::StrSplit(bootstrap_servers, ',', absl::SkipEmpty())) {
    Registry()[std::string(address)] = create;
  }
}

void UnregisterEmbeddedBroker(const std::string& bootstrap_servers) {
  std::lock_guard lock(RegistryMutex());
  for (absl::string_view address : absl::StrSplit(bootstrap_servers, ',', absl::SkipEmpty())) {
    Registry().erase(std::string(address));
  }
}

bool CreateTopicInEmbeddedBroker(const std::string& brokers, const TopicSpec& topic,
                                 absl::Status& status) {
  std::lock_guard lock(RegistryMutex());
  for (absl::string_view address : absl::StrSplit(brokers, ',', absl::SkipEmpty())) {
    auto it = Registry().find(std::string(absl::StripAsciiWhitespace(address)));
    if (it != Registry().end()) {
      status = it->second(topic);
      return true;
    }
  }
  return false;
}

}  // namespace dyad::kafka::internal
