// Where the data shipped with dyad lives (CAMEO tables, dictionaries, tone lexicon: data/).
#pragma once

#include <string>

namespace dyad::core {

// $DYAD_DATA_DIR when set and not empty, else the source tree's data/ directory (fixed at build
// time). Installed binaries (containers, packages) set DYAD_DATA_DIR. Reads the environment on
// every call; thread-safe as long as nothing modifies the environment concurrently.
std::string DefaultDataDir();

}  // namespace dyad::core
