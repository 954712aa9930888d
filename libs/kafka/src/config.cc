#include "dyad/kafka/config.h"

#include "absl/strings/str_cat.h"
#include "dyad/core/config.h"

namespace dyad::kafka {

absl::StatusOr<std::map<std::string, std::string>> ParseProperties(
    const std::vector<std::string>& key_values) {
  std::map<std::string, std::string> properties;
  for (const std::string& entry : key_values) {
    auto parsed = core::ParseKeyValue(entry);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--kafka-config '", entry, "': ", parsed.status().message(),
          "; write it as a librdkafka property, e.g. --kafka-config security.protocol=SASL_SSL"));
    }
    // A later entry for the same key wins, as with repeated flags elsewhere.
    properties[parsed->first] = std::move(parsed->second);
  }
  return properties;
}

}  // namespace dyad::kafka
