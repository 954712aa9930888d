#include "dyad/relations/names.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dyad/core/data_dir.h"

namespace dyad::relations {
namespace {

// CAMEO actor type codes (roles, sectors, generic international actors) and how they read after
// a country or organisation name. Labels worded for dyad after the CAMEO actor codebook's types.
struct RoleName {
  std::string_view code;
  std::string_view name;
};
constexpr RoleName kRoles[] = {
    {"AGR", "agriculture"},
    {"AMN", "Amnesty International"},
    {"BUD", "Buddhists"},
    {"BUS", "business"},
    {"CHR", "Christians"},
    {"COP", "police"},
    {"CRM", "criminals"},
    {"CTH", "Catholics"},
    {"CVL", "civilians"},
    {"DEV", "development"},
    {"EDU", "education"},
    {"ELI", "elites"},
    {"ENV", "environmental groups"},
    {"GOV", "government"},
    {"GRP", "Greenpeace"},
    {"HIN", "Hindus"},
    {"HLH", "health"},
    {"HRI", "human rights groups"},
    {"IGO", "intergovernmental organisation"},
    {"IMG", "international militarized group"},
    {"INS", "insurgents"},
    {"INT", "international actors"},
    {"IRC", "Red Cross"},
    {"JEW", "Jews"},
    {"JUD", "judiciary"},
    {"LAB", "labour"},
    {"LEG", "legislature"},
    {"MED", "media"},
    {"MIL", "military"},
    {"MNC", "multinational corporation"},
    {"MOD", "moderates"},
    {"MOS", "Muslims"},
    {"NGM", "non-governmental movement"},
    {"NGO", "non-governmental organisation"},
    {"OPP", "opposition"},
    {"PKO", "peacekeepers"},
    {"PPL", "people"},
    {"PRO", "Protestants"},
    {"PTY", "political party"},
    {"RAD", "radicals"},
    {"REB", "rebels"},
    {"REF", "refugees"},
    {"REL", "religious groups"},
    {"SEP", "separatists"},
    {"SET", "settlers"},
    {"SPY", "intelligence"},
    {"UAF", "unaligned armed forces"},
    {"UIS", "unidentified state actor"},
    {"UNO", "United Nations"},
};

std::string_view RoleNameOf(std::string_view code) {
  for (const auto& role : kRoles) {
    if (role.code == code) return role.name;
  }
  return {};
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsCode(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// Lines of a text file, for the loaders below.
absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path,
                     ": cannot open (set DYAD_DATA_DIR to the directory holding dyad's "
                     "data/, or pass the data directory)"));
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (in.bad()) return absl::UnavailableError(absl::StrCat(path, ": read error"));
  return lines;
}

// "CODE | name | ..." files (countries.txt, igos.txt): '#' comments, blank lines ignored.
absl::Status LoadCodeNames(const std::string& path,
                           absl::flat_hash_map<std::string, std::string>& out) {
  auto lines = ReadLines(path);
  if (!lines.ok()) return lines.status();
  for (std::size_t i = 0; i < lines->size(); ++i) {
    absl::string_view line = (*lines)[i];
    if (const auto hash = line.find('#'); hash != absl::string_view::npos)
      line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, '|');
    const absl::string_view code = absl::StripAsciiWhitespace(fields[0]);
    const absl::string_view name =
        fields.size() > 1 ? absl::StripAsciiWhitespace(fields[1]) : absl::string_view();
    if (fields.size() < 2 || !IsCode(std::string_view(code.data(), code.size())) || name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", i + 1, ": expected \"CODE | name | ...\" with an upper-case code (in \"",
          std::string(line.substr(0, 80)), "\")"));
    }
    out.try_emplace(std::string(code), std::string(name));
  }
  return absl::OkStatus();
}

// The CAMEO event table: a header line, then code TAB name TAB ...
absl::Status LoadEventCodes(const std::string& path,
                            absl::flat_hash_map<std::string, std::string>& out) {
  auto lines = ReadLines(path);
  if (!lines.ok()) return lines.status();
  for (std::size_t i = 1; i < lines->size(); ++i) {
    const absl::string_view line = (*lines)[i];
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    if (fields.size() < 2 || fields[0].empty() || fields[1].empty() ||
        !std::all_of(fields[0].begin(), fields[0].end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", i + 1,
                                                     ": expected \"code<TAB>name<TAB>...\" (in \"",
                                                     std::string(line.substr(0, 80)), "\")"));
    }
    out.try_emplace(std::string(fields[0]), std::string(fields[1]));
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no event codes"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Names> Names::Load(const std::string& data_dir) {
  const std::string dir = data_dir.empty() ? core::DefaultDataDir() : data_dir;
  Names names;
  if (auto s = LoadEventCodes(dir + "/cameo/cameo_eventcodes.tsv", names.codes_); !s.ok()) return s;
  if (auto s = LoadCodeNames(dir + "/dictionaries/countries.txt", names.countries_); !s.ok()) {
    return s;
  }
  if (auto s = LoadCodeNames(dir + "/dictionaries/igos.txt", names.igos_); !s.ok()) return s;
  for (const auto& [code, name] : names.igos_) {
    names.longest_igo_ = std::max(names.longest_igo_, code.size());
  }
  return names;
}

std::string Names::ActorName(std::string_view code_in) const {
  const std::string code = Upper(code_in);
  std::vector<std::string> parts;
  std::size_t at = 0;
  // The organisation or country: the longest IGO code that prefixes the code, else 3 letters.
  for (std::size_t n = std::min(longest_igo_, code.size()); n > 0; --n) {
    if (const auto it = igos_.find(code.substr(0, n)); it != igos_.end()) {
      parts.push_back(it->second);
      at = n;
      break;
    }
  }
  if (at == 0) {
    at = std::min<std::size_t>(3, code.size());
    const std::string head = code.substr(0, at);
    if (const auto it = countries_.find(head); it != countries_.end()) {
      parts.push_back(it->second);
    } else if (const auto role = RoleNameOf(head); !role.empty()) {
      parts.emplace_back(role);
    } else {
      parts.push_back(head);
    }
  }
  // Then roles, 3 letters each; an unknown one (or a shorter tail) stays as it is.
  for (; at < code.size(); at += 3) {
    const std::string part = code.substr(at, 3);
    const auto role = RoleNameOf(part);
    parts.push_back(role.empty() ? part : std::string(role));
  }
  std::string out;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += part;
  }
  return out;
}

std::string Names::CodeName(std::string_view code) const {
  const auto it = codes_.find(absl::string_view(code.data(), code.size()));
  return it == codes_.end() ? std::string() : it->second;
}

}  // namespace dyad::relations
