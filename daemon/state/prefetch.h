// PrefetchLine: starts loading a cache line, for the staged updates of
// PartitionState::Apply (a hint: never faults, changes nothing).
#ifndef OUTCOMESD_DAEMON_STATE_PREFETCH_H_
#define OUTCOMESD_DAEMON_STATE_PREFETCH_H_

namespace outcomes {

// An asm statement on x86-64: GCC 12 silently drops __builtin_prefetch in
// some of the functions that use this.
inline void PrefetchLine(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetcht0 (%0)" : : "r"(p));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_PREFETCH_H_
