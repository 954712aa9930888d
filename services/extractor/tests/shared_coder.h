// The coder with the shipped dictionaries, loaded once per test process (loading takes ~0.2 s
// and 40 MB): shared by the extractor's test files.
#pragma once

#include <gtest/gtest.h>

#include "dyad/coder/coder.h"

namespace dyad::extractor {

inline const coder::Coder& SharedCoder() {
  static auto* coder = [] {
    auto loaded = coder::Coder::Load(coder::DefaultCoderOptions());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded->release();
  }();
  return *coder;
}

}  // namespace dyad::extractor
