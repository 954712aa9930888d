#include "dyad/core/data_dir.h"

#include <cstdlib>

namespace dyad::core {

std::string DefaultDataDir() {
  if (const char* env = std::getenv("DYAD_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return DYAD_DEFAULT_DATA_DIR;
}

}  // namespace dyad::core
