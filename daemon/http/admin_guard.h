// Who may call the admin routes (POST /-/reload), docs/design.md, "Safe to
// expose":
// - with a token (--http.admin_token_file): requests must carry
//   "Authorization: Bearer <token>" (401 otherwise);
// - without one: requests must come from a loopback address and name a
//   loopback host (so a DNS-rebound name cannot reach it; 403 otherwise).
// In both modes a request a browser marks as cross-site (an Origin that is
// not the Host, or Sec-Fetch-Site other than same-origin/none) is refused
// with 403, so a web page cannot make an operator's browser reload rules.
//
// Thread safety: immutable after construction; Refuse() is safe from any
// thread.
#ifndef OUTCOMESD_DAEMON_HTTP_ADMIN_GUARD_H_
#define OUTCOMESD_DAEMON_HTTP_ADMIN_GUARD_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/http/http_types.h"

namespace outcomes {

class AdminGuard {
 public:
  static AdminGuard LoopbackOnly() { return AdminGuard(""); }
  // The token is the file's content without surrounding whitespace.
  // Errors: unreadable file, empty token, or one shorter than 16 bytes.
  static absl::StatusOr<AdminGuard> FromTokenFile(const std::string& path);
  // REQUIRES: `token` is not empty.
  static AdminGuard WithToken(std::string token);

  bool has_token() const { return !token_.empty(); }
  // The response refusing `request`, or nullopt when it may proceed.
  std::optional<HttpResponse> Refuse(const HttpRequest& request) const;

 private:
  explicit AdminGuard(std::string token) : token_(std::move(token)) {}
  std::string token_;  // empty: loopback only
};

// True when the hostname of a Host header value ("name[:port]",
// "[v6]:port") is localhost, an address in 127/8, or ::1.
bool IsLoopbackHost(const std::string& host_header);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_ADMIN_GUARD_H_
