#include "daemon/alertmanager_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/base/checked_file.h"

namespace outcomes {
namespace {

constexpr const char* kReservedHeaders[] = {
    "authorization",    "host",       "content-type",     "content-length",
    "content-encoding", "connection", "transfer-encoding"};

// The content of the file `path` given to --alertmanager.`flag`.
absl::StatusOr<std::string> ReadFlagFile(const char* flag,
                                         const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--alertmanager.", flag, ": cannot read '", path,
                     "': ", text.status().message()));
  }
  if (absl::StripAsciiWhitespace(*text).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--alertmanager.", flag, ": '", path, "' is empty"));
  }
  return text;
}

// A secret: one line, no surrounding whitespace, usable in a header.
absl::StatusOr<std::string> ReadSecret(const char* flag,
                                       const std::string& path) {
  absl::StatusOr<std::string> text = ReadFlagFile(flag, path);
  if (!text.ok()) return text.status();
  std::string secret(absl::StripAsciiWhitespace(*text));
  if (secret.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--alertmanager.", flag, ": '", path, "' holds more than one line"));
  }
  return secret;
}

// PEM files (CA bundle, certificate, key): readable and PEM.
absl::Status CheckPemFile(const char* flag, const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadFlagFile(flag, path);
  if (!text.ok()) return text.status();
  if (!absl::StrContains(*text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--alertmanager.", flag, ": '", path, "' is not a PEM file"));
  }
  return absl::OkStatus();
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::StrContains("!#$%&'*+-.^_`|~", c);
}

// "Name=value,..." -> o.headers. Errors show header names, never values.
absl::Status ParseHeaders(const std::string& text, HttpClientOptions& o) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          "--alertmanager.http_headers: an item is not Name=value");
    }
    const std::string name(absl::StripAsciiWhitespace(item.substr(0, eq)));
    bool valid = !name.empty();
    for (char c : name) valid = valid && IsTokenChar(c);
    const std::string value(absl::StripAsciiWhitespace(item.substr(eq + 1)));
    for (char c : value) valid = valid && c != '\r' && c != '\n';
    for (const auto& [seen, unused] : o.headers) {
      valid = valid && !absl::EqualsIgnoreCase(seen, name);
    }
    if (!valid) {
      return absl::InvalidArgumentError(
          absl::StrCat("--alertmanager.http_headers: '", name,
                       "' is not a new header name with a one-line value"));
    }
    for (const char* reserved : kReservedHeaders) {
      if (absl::EqualsIgnoreCase(name, reserved)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--alertmanager.http_headers: ", name,
            " is set by outcomesd (use --alertmanager.basic_auth_* or "
            "--alertmanager.bearer_token_file for credentials)"));
      }
    }
    o.headers.emplace_back(name, value);
  }
  return absl::OkStatus();
}

absl::Status CheckTls(const AlertmanagerClientFlags& f) {
  if (f.tls_cert_file.empty() != f.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--alertmanager.tls_cert_file and --alertmanager.tls_key_file must "
        "be given together");
  }
  for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{
                                       "tls_ca_file", f.tls_ca_file},
                                   {"tls_cert_file", f.tls_cert_file},
                                   {"tls_key_file", f.tls_key_file}}) {
    if (absl::Status s = CheckPemFile(flag, path); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Basic auth or a bearer token, at most one, and not with a URL's userinfo.
absl::Status LoadCredentials(const AlertmanagerClientFlags& f,
                             HttpClientOptions& o) {
  const bool basic = !f.basic_auth_username.empty();
  const bool bearer = !f.bearer_token_file.empty();
  if (basic != !f.basic_auth_password_file.empty()) {
    return absl::InvalidArgumentError(
        "--alertmanager.basic_auth_username and "
        "--alertmanager.basic_auth_password_file must be given together");
  }
  if (basic && bearer) {
    return absl::InvalidArgumentError(
        "give at most one of --alertmanager.basic_auth_* and "
        "--alertmanager.bearer_token_file");
  }
  for (const std::string& url : f.urls) {
    absl::StatusOr<BaseUrl> parsed = ParseBaseUrl(url);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--alertmanager.url: ", parsed.status().message()));
    }
    if (parsed->has_userinfo && (basic || bearer)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--alertmanager.url: ", parsed->origin,
          " has credentials in the URL and --alertmanager.basic_auth_* or "
          "--alertmanager.bearer_token_file is given too; give one"));
    }
  }
  if (basic) {
    absl::StatusOr<std::string> password =
        ReadSecret("basic_auth_password_file", f.basic_auth_password_file);
    if (!password.ok()) return password.status();
    o.basic_auth_username = f.basic_auth_username;
    o.basic_auth_password = *std::move(password);
  }
  if (bearer) {
    absl::StatusOr<std::string> token =
        ReadSecret("bearer_token_file", f.bearer_token_file);
    if (!token.ok()) return token.status();
    o.bearer_token = *std::move(token);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HttpClientOptions> AlertmanagerClientOptions(
    const AlertmanagerClientFlags& flags) {
  HttpClientOptions o;
  if (absl::Status s = CheckTls(flags); !s.ok()) return s;
  o.tls_ca_file = flags.tls_ca_file;
  o.tls_cert_file = flags.tls_cert_file;
  o.tls_key_file = flags.tls_key_file;
  o.tls_insecure_skip_verify = flags.tls_insecure_skip_verify;
  if (absl::Status s = LoadCredentials(flags, o); !s.ok()) return s;
  if (absl::Status s = ParseHeaders(flags.http_headers, o); !s.ok()) return s;
  return o;
}

}  // namespace outcomes
