// HugeArray and the block pool behind FunnelTable's slots: sizes, zero
// fill, reuse of freed blocks.
#include "daemon/state/huge_pool.h"

#include <cstdint>
#include <cstring>

#include "daemon/state/huge_array.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

bool AllZero(const void* p, size_t bytes) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < bytes; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

TEST(HugePoolTest, SizeClassesAreFourPerDoubling) {
  EXPECT_EQ(BlockBytes(100), 100u);    // heap
  EXPECT_EQ(BlockBytes(4096), 4096u);  // heap
  EXPECT_EQ(BlockBytes(4097), 5120u);  // 4 KiB * 5/4
  EXPECT_EQ(BlockBytes(6144), 6144u);  // 4 KiB * 6/4
  EXPECT_EQ(BlockBytes(6145), 7168u);
  EXPECT_EQ(BlockBytes(8192), 8192u);
  EXPECT_EQ(BlockBytes(8193), 10240u);
  EXPECT_EQ(BlockBytes(1 << 20), 1u << 20);
  // From 1 MiB on: its own mapping, in whole 2 MiB pages.
  EXPECT_EQ(BlockBytes((1 << 20) + 1), 2u << 20);
  EXPECT_EQ(BlockBytes((3 << 20)), 4u << 20);
}

TEST(HugePoolTest, BlocksAreZeroedAlignedAndReused) {
  for (size_t bytes : {size_t{24}, size_t{5000}, size_t{70000}, size_t{1} << 20,
                       size_t{3} << 20}) {
    void* a = AllocateBlock(bytes);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(AllZero(a, bytes)) << bytes;
    if (bytes > 4096) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u) << bytes;
    }
    std::memset(a, 0xab, bytes);
    FreeBlock(a, bytes);
    // A pooled block of the same class comes back, zeroed again.
    void* b = AllocateBlock(bytes);
    if (bytes > 4096 && bytes <= (1u << 20)) {
      EXPECT_EQ(b, a) << bytes;
    }
    EXPECT_TRUE(AllZero(b, bytes)) << bytes;
    FreeBlock(b, bytes);
  }
}

TEST(HugePoolTest, LiveBlocksDoNotOverlap) {
  constexpr size_t kBytes = 300000;  // 6 of them do not fit one 2 MiB chunk
  void* blocks[8];
  for (int i = 0; i < 8; ++i) {
    blocks[i] = AllocateBlock(kBytes);
    std::memset(blocks[i], i + 1, kBytes);
  }
  for (int i = 0; i < 8; ++i) {
    const auto* b = static_cast<const unsigned char*>(blocks[i]);
    EXPECT_EQ(b[0], i + 1);
    EXPECT_EQ(b[kBytes - 1], i + 1);
  }
  for (void* b : blocks) FreeBlock(b, kBytes);
}

TEST(HugeArrayTest, ZeroFilledMovable) {
  HugeArray<uint64_t> big((size_t{3} << 20) / 8 + 1);  // mapped
  ASSERT_EQ(big.size(), (size_t{3} << 20) / 8 + 1);
  EXPECT_TRUE(AllZero(big.begin(), big.size() * 8));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.begin()) % (2u << 20), 0u);
  big[big.size() - 1] = 7;
  HugeArray<uint64_t> moved = std::move(big);
  EXPECT_TRUE(big.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved[moved.size() - 1], 7u);
  HugeArray<uint64_t> small(10);  // heap
  EXPECT_EQ(small.size(), 10u);
  EXPECT_TRUE(AllZero(small.begin(), 80));
  moved = std::move(small);
  EXPECT_EQ(moved.size(), 10u);
}

}  // namespace
}  // namespace outcomes
