#include "daemon/state/huge_pool.h"

#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "daemon/state/huge_array.h"

namespace outcomes {
namespace {

constexpr size_t kMaxHeapBytes = 4096;  // up to this: malloc
constexpr size_t kMinClassLog = 12;     // classes cover (4 KiB, 1 MiB]
constexpr size_t kMaxPooledBytes = size_t{1} << 20;
constexpr size_t kChunkBytes = huge_array_internal::kHugePage;
constexpr size_t kNumClasses = 4 * (20 - kMinClassLog);
static_assert(kMaxPooledBytes <= huge_array_internal::kMinHugeBytes);

bool Pooled(size_t bytes) {
  return bytes > kMaxHeapBytes && bytes <= kMaxPooledBytes;
}

// The size class of `bytes` (Pooled): base < bytes <= 2 base with base a
// power of two; classes are base * 5/4, 6/4, 7/4 and 8/4.
struct SizeClass {
  size_t index;
  size_t bytes;
};
SizeClass ClassOf(size_t bytes) {
  const size_t log = std::bit_width(bytes - 1) - 1;  // base = 2^log
  const size_t base = size_t{1} << log;
  const size_t quarter = base / 4;
  const size_t step = (bytes - base + quarter - 1) / quarter;  // 1..4
  return {(log - kMinClassLog) * 4 + step - 1, base + step * quarter};
}

class Pool {
 public:
  void* Allocate(const SizeClass& c) {
    {
      std::lock_guard lock(mu_);
      std::vector<void*>& free = free_[c.index];
      if (!free.empty()) {
        void* block = free.back();
        free.pop_back();
        std::memset(block, 0, c.bytes);
        return block;
      }
      if (left_ < c.bytes) {
        // The rest of the chunk is left unused (less than one block).
        next_ = static_cast<char*>(huge_array_internal::Allocate(kChunkBytes));
        left_ = kChunkBytes;
      }
      void* block = next_;
      next_ += c.bytes;
      left_ -= c.bytes;
      return block;  // fresh mapping: zero
    }
  }
  void Free(void* block, const SizeClass& c) {
    std::lock_guard lock(mu_);
    free_[c.index].push_back(block);
  }

 private:
  std::mutex mu_;
  std::array<std::vector<void*>, kNumClasses> free_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

Pool& ThePool() {
  static Pool* pool = new Pool;  // never destroyed: blocks outlive statics
  return *pool;
}

}  // namespace

size_t BlockBytes(size_t bytes) {
  if (Pooled(bytes)) return ClassOf(bytes).bytes;
  return huge_array_internal::ReservedBytes(bytes);
}

void* AllocateBlock(size_t bytes) {
  if (Pooled(bytes)) return ThePool().Allocate(ClassOf(bytes));
  return huge_array_internal::Allocate(bytes);
}

void FreeBlock(void* block, size_t bytes) {
  if (block == nullptr) return;
  if (Pooled(bytes)) {
    ThePool().Free(block, ClassOf(bytes));
  } else {
    huge_array_internal::Free(block, bytes);
  }
}

}  // namespace outcomes
