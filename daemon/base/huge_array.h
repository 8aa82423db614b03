// HugeArray: a fixed-size, zero-filled array for large hash tables that are
// probed at random (DedupeIndex's slots), backed by transparent huge pages
// where the kernel allows them.
//
// Why: a random probe into a table of many megabytes spread over 4 KiB pages
// misses the TLB as well as the cache, and a page walk (two-dimensional in
// a VM) costs as much as the miss itself; software prefetches wait for it.
// With 2 MiB pages the walks nearly vanish (bench_state's BM_PipelineNoState
// ~310 -> ~230 ns/event with every heap page huge).
//
// Arrays of at least kMinHugeBytes are mapped directly (mmap), aligned to
// and rounded up to 2 MiB, and advised MADV_HUGEPAGE (a hint: with THP
// "never" they are ordinary pages, and nothing else changes); smaller ones
// come from the heap. Memory: at most 2 MiB - 1 byte more than asked for
// each large array.
//
// Header-only (daemon/ingest/dedupe.cc, in outcomes_core, uses it). Thread
// safety: none needed (no shared state).
#ifndef OUTCOMESD_DAEMON_BASE_HUGE_ARRAY_H_
#define OUTCOMESD_DAEMON_BASE_HUGE_ARRAY_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace outcomes {

namespace huge_array_internal {

inline constexpr size_t kHugePage = size_t{2} << 20;
inline constexpr size_t kMinHugeBytes = size_t{1} << 20;

// The bytes actually reserved for a request of `bytes`.
inline size_t ReservedBytes(size_t bytes) {
  return bytes < kMinHugeBytes ? bytes
                               : (bytes + kHugePage - 1) & ~(kHugePage - 1);
}

// Zero-filled memory of `bytes` (> 0); throws std::bad_alloc.
inline void* Allocate(size_t bytes) {
  if (bytes < kMinHugeBytes) {
    void* p = std::calloc(1, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const size_t size = ReservedBytes(bytes);
  // Over-map by a page so that an aligned range of `size` fits, then trim.
  void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t tail = start + size + kHugePage - (aligned + size);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // a hint: failure changes nothing
  return p;
}

inline void Free(void* p, size_t bytes) {
  if (p == nullptr) return;
  if (bytes < kMinHugeBytes) {
    std::free(p);
  } else {
    munmap(p, ReservedBytes(bytes));
  }
}

}  // namespace huge_array_internal

// REQUIRES: T is trivially copyable and all-zero bytes are a valid T (the
// value the elements start with).
template <typename T>
class HugeArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  HugeArray() = default;
  // `size` zero-filled elements.
  explicit HugeArray(size_t size)
      : data_(size == 0 ? nullptr
                        : static_cast<T*>(
                              huge_array_internal::Allocate(size * sizeof(T)))),
        size_(size) {}
  ~HugeArray() { huge_array_internal::Free(data_, size_ * sizeof(T)); }
  HugeArray(HugeArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)) {}
  HugeArray& operator=(HugeArray&& other) noexcept {
    if (this != &other) {
      huge_array_internal::Free(data_, size_ * sizeof(T));
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_HUGE_ARRAY_H_
