// CAMEO codes for events that are announced, planned or threatened rather than done.
//
// CAMEO codes a stated intention as 03 ("express intent to ...") and a threat as 13 ("threaten
// ..."), not as the act itself: "Russia threatened to attack Ukraine" is 138, "China plans to sign
// a trade deal with Brazil" is 0311. The Event keeps the modality too, so users can tell
// "threatened" from "planned" within either family.
#pragma once

#include <string>
#include <string_view>

#include "dyad/v1/event.pb.h"

namespace dyad::coder::internal {

// The code to emit for an act coded `code` under `modality`: unchanged for ASSERTED, CLAIMED and
// CONDITIONAL; for PLANNED the 03x intent code of a cooperative act (04 → 036, 061 → 0311, 07x →
// 033x, 08x → 035x) and the 13x threat code of a conflictual one (16x–20x, like THREATENED);
// for THREATENED the 13x threat code (163 → 1312, 17x → 137, 18x–20x and 15x → 138, ...).
// Codes with no intent/threat form (01–03, 09, 10, 13) are returned unchanged.
std::string CodeUnderModality(std::string_view code, v1::Modality modality);

}  // namespace dyad::coder::internal
