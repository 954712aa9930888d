// Cases for leaders_test.cc: who holds which role on which day, per region's dictionary file.
#pragma once

#include <string>
#include <vector>

namespace dyad::coder {

struct LeaderCase {
  std::string name;  // as written in a sentence
  std::string date;  // publication date, YYYY-MM-DD
  std::string code;  // expected actor code on that date
};

// G20, EU, South Asia, Middle East, armed groups (actors.txt, actors.groups.txt,
// actors.leaders-g20-asia-mideast.txt).
extern const std::vector<LeaderCase> kG20LeaderCases;
// African Union states (actors.leaders-africa.txt).
extern const std::vector<LeaderCase> kAfricaLeaderCases;

}  // namespace dyad::coder
