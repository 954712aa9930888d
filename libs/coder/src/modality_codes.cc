#include "modality_codes.h"

namespace dyad::coder::internal {
namespace {

bool Starts(std::string_view code, std::string_view prefix) {
  return code.substr(0, prefix.size()) == prefix;
}

// 13x: what threatening the act is.
std::string ThreatCode(std::string_view code) {
  if (Starts(code, "163")) return "1312";  // sanctions, embargo
  if (Starts(code, "161") || Starts(code, "1621") || Starts(code, "166")) return "1313";
  if (Starts(code, "164")) return "134";  // halt negotiations
  if (Starts(code, "16")) return "131";
  if (Starts(code, "17")) return "137";  // repression
  if (Starts(code, "15") || Starts(code, "18") || Starts(code, "19") || Starts(code, "20")) {
    return "138";  // military force
  }
  if (Starts(code, "14")) return "133";  // protest
  if (Starts(code, "11") || Starts(code, "12")) return "130";
  return std::string(code);
}

// 03x: what announcing the cooperative act is.
std::string IntentCode(std::string_view code) {
  if (Starts(code, "04")) return "036";
  if (Starts(code, "05")) return "030";
  if (Starts(code, "061")) return "0311";
  if (Starts(code, "062")) return "0312";
  if (Starts(code, "063")) return "0313";
  if (Starts(code, "064")) return "0314";
  if (Starts(code, "06")) return "031";
  if (Starts(code, "071")) return "0331";
  if (Starts(code, "072")) return "0332";
  if (Starts(code, "073")) return "0333";
  if (Starts(code, "074")) return "0334";
  if (Starts(code, "07")) return "033";
  if (Starts(code, "081")) return "0351";
  if (Starts(code, "085")) return "0354";
  if (Starts(code, "087")) return "0356";
  if (Starts(code, "08")) return "035";
  return std::string(code);
}

}  // namespace

std::string CodeUnderModality(std::string_view code, v1::Modality modality) {
  switch (modality) {
    case v1::MODALITY_THREATENED:
      return ThreatCode(code);
    case v1::MODALITY_PLANNED: {
      const bool conflict = code.size() >= 2 && code.substr(0, 2) >= "11";
      return conflict ? ThreatCode(code) : IntentCode(code);
    }
    default:
      return std::string(code);
  }
}

}  // namespace dyad::coder::internal
