// The --alertmanager.* transport flags (TLS, credentials, headers) read and
// validated into the notifier's HttpClientOptions. Named after Prometheus's
// alertmanager_config (tls_config, basic_auth, authorization, http_headers).
//
// Every problem is a fatal start-up error naming the flag: a file that
// cannot be read or is empty, a certificate without its key, two kinds of
// credentials at once, a malformed header. Error messages name files, never
// their content; a URL is shown without its userinfo.
#ifndef OUTCOMESD_DAEMON_ALERTMANAGER_CLIENT_H_
#define OUTCOMESD_DAEMON_ALERTMANAGER_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/alerts/http_poster.h"

namespace outcomes {

// The flags as given ("" when not set).
struct AlertmanagerClientFlags {
  std::vector<std::string> urls;  // --alertmanager.url
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_insecure_skip_verify = false;
  std::string basic_auth_username;
  std::string basic_auth_password_file;
  std::string bearer_token_file;
  std::string http_headers;  // "Name=value,Name2=value2"
};

// Reads the files (a secret file's surrounding whitespace, e.g. the final
// newline, is dropped) and checks the combination.
absl::StatusOr<HttpClientOptions> AlertmanagerClientOptions(
    const AlertmanagerClientFlags& flags);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTMANAGER_CLIENT_H_
