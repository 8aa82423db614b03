// The request and response of one HTTP exchange, as handlers see them.
#ifndef OUTCOMESD_DAEMON_HTTP_HTTP_TYPES_H_
#define OUTCOMESD_DAEMON_HTTP_HTTP_TYPES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace outcomes {

// Requests carry no body: no route takes one (the server reads and drops
// at most a small one). Only the headers the server acts on are kept.
struct HttpRequest {
  std::string method;
  std::string path;            // decoded, without the query string
  bool peer_loopback = false;  // the client connected from 127/8 or ::1
  std::string host;            // Host header
  std::string authorization;   // Authorization header
  std::string origin;          // Origin header (browsers, cross-origin)
  std::string sec_fetch_site;  // Sec-Fetch-Site header (browsers)
  // The query string's arguments, decoded (the last value of a repeated
  // name wins; "?a" gives a -> "").
  std::map<std::string, std::string> query;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// {"error":"<message>"} with `status`.
HttpResponse JsonError(int status, const std::string& message);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_HTTP_TYPES_H_
