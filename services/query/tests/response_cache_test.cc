// ResponseCache: hits at the same version only, stale entries dropped, least recently used
// evicted to stay within capacity, oversized answers not kept.
#include "dyad/query/response_cache.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>

namespace dyad::query {
namespace {

std::string Text(const grpc::Slice& slice) {
  return std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

class ResponseCacheTest : public ::testing::Test {
 protected:
  // grpc::Slice needs the gRPC library initialised.
  grpc::internal::GrpcLibraryInitializer init_;
  ResponseCacheTest() { init_.summon(); }
};

TEST_F(ResponseCacheTest, HitsOnlyAtTheVersionItWasBuiltAt) {
  ResponseCache cache(1 << 20);
  EXPECT_FALSE(cache.Find("a", 1).has_value());
  cache.Insert("a", 1, grpc::Slice(std::string("answer-1")));
  auto hit = cache.Find("a", 1);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(Text(*hit), "answer-1");
  EXPECT_FALSE(cache.Find("b", 1).has_value());

  // Another version: a miss, and the entry is gone (also for its own version).
  EXPECT_FALSE(cache.Find("a", 2).has_value());
  EXPECT_FALSE(cache.Find("a", 1).has_value());
  const auto stats = cache.stats();
  EXPECT_EQ(stats.hits, 1);
  EXPECT_EQ(stats.misses, 4);
  EXPECT_EQ(stats.stale, 1);
  EXPECT_EQ(stats.entries, 0);
  EXPECT_EQ(stats.bytes, 0U);

  // Insert replaces.
  cache.Insert("a", 2, grpc::Slice(std::string("answer-2")));
  cache.Insert("a", 3, grpc::Slice(std::string("answer-3")));
  EXPECT_EQ(cache.stats().entries, 1);
  EXPECT_FALSE(cache.Find("a", 2).has_value());
  cache.Insert("a", 3, grpc::Slice(std::string("answer-3")));
  ASSERT_TRUE(cache.Find("a", 3).has_value());
  EXPECT_EQ(Text(*cache.Find("a", 3)), "answer-3");
}

TEST_F(ResponseCacheTest, EvictsTheLeastRecentlyUsed) {
  // Room for eight entries of a 1-byte key and 100 bytes (an entry may take an eighth).
  const std::size_t entry = 1 + 100 + ResponseCache::kEntryOverhead;
  ResponseCache cache(8 * entry + entry / 2);
  const std::string bytes(100, 'x');
  for (const char* key : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
    cache.Insert(key, 1, grpc::Slice(bytes));
  }
  EXPECT_EQ(cache.stats().entries, 8);
  ASSERT_TRUE(cache.Find("a", 1).has_value());  // a is now the most recently used
  cache.Insert("i", 1, grpc::Slice(bytes));     // b, the least recently used, goes
  EXPECT_FALSE(cache.Find("b", 1).has_value());
  for (const char* key : {"a", "c", "d", "e", "f", "g", "h", "i"}) {
    EXPECT_TRUE(cache.Find(key, 1).has_value()) << key;
  }
  const auto stats = cache.stats();
  EXPECT_EQ(stats.evictions, 1);
  EXPECT_EQ(stats.entries, 8);
  EXPECT_EQ(stats.bytes, 8 * entry);
}

TEST_F(ResponseCacheTest, OversizedAnswersAndZeroCapacityKeepNothing) {
  ResponseCache cache(8000);
  cache.Insert("small", 1, grpc::Slice(std::string(100, 'x')));
  cache.Insert("huge", 1, grpc::Slice(std::string(1001, 'x')));  // > an eighth of 8000
  EXPECT_TRUE(cache.Find("small", 1).has_value());
  EXPECT_FALSE(cache.Find("huge", 1).has_value());
  EXPECT_EQ(cache.stats().entries, 1);

  ResponseCache none(0);
  none.Insert("a", 1, grpc::Slice(std::string("x")));
  EXPECT_FALSE(none.Find("a", 1).has_value());
  EXPECT_EQ(none.stats().bytes, 0U);
}

// A hit shares the cached buffer: the bytes stay valid after the entry is evicted.
TEST_F(ResponseCacheTest, HitOutlivesItsEntry) {
  ResponseCache cache(1 << 20);
  cache.Insert("a", 1, grpc::Slice(std::string("kept")));
  auto hit = cache.Find("a", 1);
  ASSERT_TRUE(hit.has_value());
  EXPECT_FALSE(cache.Find("a", 2).has_value());  // drops the entry
  EXPECT_EQ(Text(*hit), "kept");
}

}  // namespace
}  // namespace dyad::query
