// The --providers.file allowlist (docs/design.md, "Safe to expose"): which
// provider ids this daemon keeps figures for.
//
// Format: one provider id per line (1-64 chars of [A-Za-z0-9._:-], the
// ServiceEvent.provider_id rule). Leading and trailing whitespace (CRLF
// line ends included) is ignored; blank lines are ignored; '#' starts a
// comment that runs to the end of the line (ids cannot contain '#' or
// spaces, so "prov-a  # Acme Jobs" is the id "prov-a"). An id listed twice
// is listed once. A file that lists no id is an error: it would reject
// every event (a truncated or empty ConfigMap is the likely cause).
//
// Thread safety: free functions; ProviderList is an immutable value once
// built.
#ifndef OUTCOMESD_DAEMON_INGEST_PROVIDER_LIST_H_
#define OUTCOMESD_DAEMON_INGEST_PROVIDER_LIST_H_

#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace outcomes {

using ProviderList = absl::flat_hash_set<std::string>;

// Parses file contents; errors name `name` and the line:
// "providers.txt:3: 'prov a' is not a valid provider id (...)".
absl::StatusOr<ProviderList> ParseProviderList(std::string_view text,
                                               std::string_view name);

// Reads and parses the file at `path`. Unreadable: InvalidArgument naming
// the path and the OS error (e.g. "No such file or directory").
absl::StatusOr<ProviderList> LoadProviderList(const std::string& path);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_PROVIDER_LIST_H_
