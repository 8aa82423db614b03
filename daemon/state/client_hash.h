// Stable 64-bit hash of a client_key (MurmurHash64A, seed fixed). Funnels
// store this hash instead of the key, so no client_key is ever kept in
// memory or in a checkpoint. Stable across processes and builds, unlike
// absl::Hash, because checkpoints outlive the process.
//
// Two clients of one provider+program collide with probability about
// n^2 / 2^65 (n clients): 3e-8 at a million clients; a collision merges
// their funnels.
#ifndef OUTCOMESD_DAEMON_STATE_CLIENT_HASH_H_
#define OUTCOMESD_DAEMON_STATE_CLIENT_HASH_H_

#include <cstdint>
#include <string_view>

namespace outcomes {

uint64_t ClientHash(std::string_view client_key);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_CLIENT_HASH_H_
