// Blocks of memory for the state's mid-sized hash tables (FunnelTable's
// slots: a few KiB to 1 MiB each, thousands of them), carved from 2 MiB
// chunks advised to be transparent huge pages (HugeArray, huge_array.h).
// Probes into thousands of such tables, each on its own 4 KiB pages, miss
// the TLB on nearly every event; packed into huge pages they mostly do not.
//
// Sizes above 4 KiB are rounded up to a size class (four per doubling:
// at most 25 % more than asked); blocks of a class are reused once freed
// and never returned to the system (the chunks stay mapped for the life of
// the process). Up to 4 KiB comes from the heap; from 1 MiB on, a block is
// its own HugeArray-style mapping.
//
// Thread safety: AllocateBlock and FreeBlock may be called from any thread
// (one mutex, taken once per call: tables allocate only when they grow or
// are rebuilt).
#ifndef OUTCOMESD_DAEMON_STATE_HUGE_POOL_H_
#define OUTCOMESD_DAEMON_STATE_HUGE_POOL_H_

#include <cstddef>

namespace outcomes {

// Zero-filled memory of at least `bytes` (> 0), 64-byte aligned when
// bytes > 4 KiB; throws std::bad_alloc.
void* AllocateBlock(size_t bytes);
// Frees a block of AllocateBlock(bytes). REQUIRES: the same `bytes`.
void FreeBlock(void* block, size_t bytes);
// The bytes a block of `bytes` actually takes (its size class).
size_t BlockBytes(size_t bytes);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_HUGE_POOL_H_
