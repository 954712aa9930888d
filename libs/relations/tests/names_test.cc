// Names from the data shipped with dyad: CAMEO event code names and actor code names.
#include "dyad/relations/names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace dyad::relations {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const Names& Repo() {
  static const Names names = [] {
    auto loaded = Names::Load(std::string(DYAD_SOURCE_DIR) + "/data");
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? *std::move(loaded) : Names();
  }();
  return names;
}

TEST(Names, ActorNamesAreCountryOrOrganisationThenRoles) {
  const Names& names = Repo();
  EXPECT_GT(names.countries(), 200u);
  EXPECT_GT(names.organisations(), 20u);
  EXPECT_EQ(names.ActorName("PAK"), "Pakistan");
  EXPECT_EQ(names.ActorName("PAKGOV"), "Pakistan government");
  EXPECT_EQ(names.ActorName("pakmil"), "Pakistan military");
  EXPECT_EQ(names.ActorName("INDGOVLEG"), "India government legislature");
  EXPECT_EQ(names.ActorName("IGOUNO"), "United Nations");
  EXPECT_EQ(names.ActorName("IGOUNOHLHWHO"), "World Health Organization");  // the longest IGO
  EXPECT_EQ(names.ActorName("IGOWSTNATMIL"), "NATO military");
  EXPECT_EQ(names.ActorName("NGO"), "non-governmental organisation");
}

TEST(Names, UnknownPartsStayCodes) {
  const Names& names = Repo();
  EXPECT_EQ(names.ActorName("XYZGOV"), "XYZ government");
  EXPECT_EQ(names.ActorName("PAKXXX"), "Pakistan XXX");
  EXPECT_EQ(names.ActorName("PAKGO"), "Pakistan GO");
  EXPECT_EQ(names.ActorName("IGOZZZ"), "intergovernmental organisation ZZZ");
  EXPECT_EQ(names.ActorName(""), "");
  EXPECT_EQ(names.ActorName(std::string(10000, 'A')).size(), 10000u + 3333u);  // 3334 parts
}

TEST(Names, EventCodeNames) {
  const Names& names = Repo();
  EXPECT_GT(names.event_codes(), 250u);
  EXPECT_EQ(names.CodeName("042"), "Make a visit");
  EXPECT_EQ(names.CodeName("190"), "Use conventional military force, not specified below");
  EXPECT_EQ(names.CodeName("999"), "");
  EXPECT_EQ(names.CodeName(""), "");
}

TEST(Names, WithoutDataOnlyRoles) {
  const Names names;
  EXPECT_EQ(names.ActorName("PAKGOV"), "PAK government");
  EXPECT_EQ(names.CodeName("042"), "");
}

class TempData {
 public:
  TempData() {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("dyad-names-test-" + std::to_string(getpid()) + "-" + std::to_string(random()));
    fs::create_directories(dir_ / "cameo");
    fs::create_directories(dir_ / "dictionaries");
    Write("cameo/cameo_eventcodes.tsv", "code\tname\n042\tMake a visit\n");
    Write("dictionaries/countries.txt", "# comment\nPAK | Pakistan | Pakistani |\n");
    Write("dictionaries/igos.txt", "IGOUNO | United Nations | UN\n");
  }
  ~TempData() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& file, const std::string& text) {
    std::ofstream(dir_ / file, std::ios::trunc) << text;
  }
  std::string str() const { return dir_.string(); }

 private:
  fs::path dir_;
};

TEST(Names, LoadsAnyDataDirectory) {
  TempData data;
  auto names = Names::Load(data.str());
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(names->ActorName("PAKGOV"), "Pakistan government");
  EXPECT_EQ(names->ActorName("USAGOV"), "USA government");
  EXPECT_EQ(names->CodeName("042"), "Make a visit");
}

TEST(Names, MalformedFilesNameTheLine) {
  TempData data;
  data.Write("dictionaries/countries.txt", "PAK | Pakistan\nthis line has no bar\n");
  auto names = Names::Load(data.str());
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(names.status().message(), HasSubstr("countries.txt:2"));

  data.Write("dictionaries/countries.txt", "PAK | Pakistan\n");
  data.Write("cameo/cameo_eventcodes.tsv", "code\tname\nabc\tnot a code\n");
  names = Names::Load(data.str());
  ASSERT_FALSE(names.ok());
  EXPECT_THAT(names.status().message(), HasSubstr("cameo_eventcodes.tsv:2"));
}

TEST(Names, MissingDataIsNotFound) {
  auto names = Names::Load("/nonexistent/dyad-data");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(names.status().message(), HasSubstr("DYAD_DATA_DIR"));
}

TEST(Names, LoadsFromDyadDataDir) {
  TempData data;
  ::setenv("DYAD_DATA_DIR", data.str().c_str(), 1);
  auto names = Names::Load();
  ::unsetenv("DYAD_DATA_DIR");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(names->countries(), 1u);
}

}  // namespace
}  // namespace dyad::relations
