#include "dyad/core/ids.h"

#include <openssl/evp.h>

#include <array>

namespace dyad::core {

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

std::string StableId(std::string_view prefix, std::string_view content) {
  std::string id(prefix);
  id += Sha256Hex(content).substr(0, 32);
  return id;
}

}  // namespace dyad::core
