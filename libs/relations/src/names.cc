#include "dyad/relations/names.h"

#include <cstdlib>

namespace dyad::relations {

std::string DefaultDataDir() {
  if (const char* env = std::getenv("DYAD_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return DYAD_DEFAULT_DATA_DIR;
}

absl::StatusOr<Names> Names::Load(const std::string&) {
  return absl::UnimplementedError("Names::Load is not implemented yet");
}

std::string Names::ActorName(std::string_view code) const { return std::string(code); }

std::string Names::CodeName(std::string_view) const { return {}; }

}  // namespace dyad::relations
