// Human-readable names for CAMEO codes: event base codes ("042" → "Make a visit") and actor codes
// ("PAKGOV" → "Pakistan government", "IGOUNO" → "United Nations"), loaded from the data shipped
// with dyad (the CAMEO event table and the coder's dictionaries).
//
// Thread-safety: immutable after Load; every const method may be called from any thread.
// Errors: Load returns NOT_FOUND for a missing file and INVALID_ARGUMENT "<file>:<line>: ..." for a
// malformed line; the name lookups never fail (an unknown code is returned as it is).
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace dyad::relations {

class Names {
 public:
  // No data loaded: ActorName knows only the built-in role names ("PAKGOV" → "PAK government")
  // and CodeName returns an empty string.
  Names() = default;

  // Reads <data_dir>/cameo/cameo_eventcodes.tsv (columns code, name, ...: event code names) and
  // <data_dir>/dictionaries/countries.txt ("CODE | name | ...": country names) and igos.txt
  // ("CODE | name | ...": organisation names). An empty `data_dir` means core::DefaultDataDir()
  // ($DYAD_DATA_DIR, else the source tree's data/).
  // Role names (GOV → "government", MIL → "military", ...) are the CAMEO actor type labels, built
  // in. Loading takes a few milliseconds.
  static absl::StatusOr<Names> Load(const std::string& data_dir = {});

  // "PAKGOV" → "Pakistan government", "USAMILREB" → "United States military rebels",
  // "IGOUNOHLHWHO" → "World Health Organization", "IGOUNOMIL" → "United Nations military".
  // The code is read as the longest known organisation (igos.txt) or a 3-letter country code, then
  // 3-letter role codes; a part that is not known is kept as its code ("XYZGOV" → "XYZ
  // government", "PAKXXX" → "Pakistan XXX"). Case-insensitive; empty for an empty code.
  // O(length of the code).
  std::string ActorName(std::string_view code) const;

  // The CAMEO name of an event code ("042" → "Make a visit", "04" → "Consult"); empty when the
  // table has no such code. O(1).
  std::string CodeName(std::string_view code) const;

  // Number of event codes, countries and organisations loaded (0 for a default-constructed Names).
  std::size_t event_codes() const { return codes_.size(); }
  std::size_t countries() const { return countries_.size(); }
  std::size_t organisations() const { return igos_.size(); }

 private:
  absl::flat_hash_map<std::string, std::string> codes_;      // event code → name
  absl::flat_hash_map<std::string, std::string> countries_;  // "PAK" → "Pakistan"
  absl::flat_hash_map<std::string, std::string> igos_;       // "IGOUNO" → "United Nations"
  std::size_t longest_igo_ = 0;
};

}  // namespace dyad::relations
