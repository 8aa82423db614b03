// The --alertmanager.* transport flags (daemon/alertmanager_client.h) and
// base URLs with userinfo (ParseBaseUrl, daemon/alerts/http_poster.h).
#include "daemon/alertmanager_client.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Header = std::pair<std::string, std::string>;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/am_client_" + name;
  std::ofstream(path) << text;
  return path;
}

const char kPem[] =
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

std::string Error(const AlertmanagerClientFlags& f) {
  return std::string(AlertmanagerClientOptions(f).status().message());
}

TEST(ParseBaseUrl, SplitsOriginPrefixAndDecodedUserinfo) {
  absl::StatusOr<BaseUrl> u = ParseBaseUrl("https://al%3Ace:p%40ss@am:9093/x/");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->origin, "https://am:9093");
  EXPECT_EQ(u->path_prefix, "/x");
  EXPECT_TRUE(u->has_userinfo);
  EXPECT_EQ(u->username, "al:ce");
  EXPECT_EQ(u->password, "p@ss");
}

TEST(ParseBaseUrl, PlainUrlHasNoUserinfo) {
  absl::StatusOr<BaseUrl> u = ParseBaseUrl("http://127.0.0.1:9093");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->origin, "http://127.0.0.1:9093");
  EXPECT_EQ(u->path_prefix, "");
  EXPECT_FALSE(u->has_userinfo);
}

TEST(ParseBaseUrl, RejectsOtherSchemesWithoutShowingThePassword) {
  const std::string m(ParseBaseUrl("ftp://u:hunter2@am:21").status().message());
  EXPECT_EQ(m,
            "'ftp://am:21' is not an http:// or https:// URL with a host "
            "(and no query)");
  EXPECT_THAT(std::string(ParseBaseUrl("u:hunter2@am:9093").status().message()),
              Not(HasSubstr("hunter2")));
  EXPECT_FALSE(ParseBaseUrl("http://am:9093?x=1").ok());
  EXPECT_FALSE(ParseBaseUrl("http://u:p%4@am").ok());  // broken escape
}

TEST(AlertmanagerClientOptions, NothingGivenIsPlainHttp) {
  AlertmanagerClientFlags f;
  f.urls = {"http://am:9093"};
  absl::StatusOr<HttpClientOptions> o = AlertmanagerClientOptions(f);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->tls_ca_file, "");
  EXPECT_EQ(o->basic_auth_username, "");
  EXPECT_EQ(o->bearer_token, "");
  EXPECT_TRUE(o->headers.empty());
  EXPECT_FALSE(o->tls_insecure_skip_verify);
}

TEST(AlertmanagerClientOptions, ReadsTlsBasicAuthAndHeaders) {
  AlertmanagerClientFlags f;
  f.urls = {"https://am:9093"};
  f.tls_ca_file = WriteFile("ca.pem", kPem);
  f.tls_cert_file = WriteFile("cert.pem", kPem);
  f.tls_key_file = WriteFile("key.pem", "-----BEGIN PRIVATE KEY-----\n");
  f.basic_auth_username = "outcomes";
  f.basic_auth_password_file = WriteFile("password", " s3cret \n");
  f.http_headers = "X-Scope-OrgID=tenant1, X-Team = care";
  absl::StatusOr<HttpClientOptions> o = AlertmanagerClientOptions(f);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->tls_ca_file, f.tls_ca_file);
  EXPECT_EQ(o->tls_key_file, f.tls_key_file);
  EXPECT_EQ(o->basic_auth_username, "outcomes");
  EXPECT_EQ(o->basic_auth_password, "s3cret");
  EXPECT_THAT(o->headers,
              ::testing::ElementsAre(Header{"X-Scope-OrgID", "tenant1"},
                                     Header{"X-Team", "care"}));
}

TEST(AlertmanagerClientOptions, ReadsBearerToken) {
  AlertmanagerClientFlags f;
  f.bearer_token_file = WriteFile("token", "abc.def\n");
  absl::StatusOr<HttpClientOptions> o = AlertmanagerClientOptions(f);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->bearer_token, "abc.def");
}

TEST(AlertmanagerClientOptions, CertificateWithoutKeyIsFatal) {
  AlertmanagerClientFlags f;
  f.tls_cert_file = WriteFile("cert2.pem", kPem);
  EXPECT_EQ(Error(f),
            "--alertmanager.tls_cert_file and --alertmanager.tls_key_file "
            "must be given together");
  f.tls_cert_file = "";
  f.tls_key_file = WriteFile("key2.pem", kPem);
  EXPECT_THAT(Error(f), HasSubstr("must be given together"));
}

TEST(AlertmanagerClientOptions, UnreadableOrNonPemFilesAreFatal) {
  AlertmanagerClientFlags f;
  f.tls_ca_file = "/nonexistent/ca.pem";
  EXPECT_THAT(Error(f), HasSubstr("--alertmanager.tls_ca_file: cannot read "
                                  "'/nonexistent/ca.pem'"));
  f.tls_ca_file = WriteFile("not-pem", "hello\n");
  EXPECT_EQ(Error(f), "--alertmanager.tls_ca_file: '" + f.tls_ca_file +
                          "' is not a PEM file");
  f.tls_ca_file = "";
  f.basic_auth_username = "u";
  f.basic_auth_password_file = WriteFile("empty", "\n");
  EXPECT_EQ(Error(f), "--alertmanager.basic_auth_password_file: '" +
                          f.basic_auth_password_file + "' is empty");
  f.basic_auth_password_file = "/nonexistent/password";
  EXPECT_THAT(Error(f), HasSubstr("--alertmanager.basic_auth_password_file: "
                                  "cannot read '/nonexistent/password'"));
}

TEST(AlertmanagerClientOptions, SecretsNeverAppearInErrors) {
  AlertmanagerClientFlags f;
  f.bearer_token_file = WriteFile("two-lines", "hunter2\nhunter3\n");
  EXPECT_EQ(Error(f), "--alertmanager.bearer_token_file: '" +
                          f.bearer_token_file + "' holds more than one line");
  f.bearer_token_file = "";
  f.http_headers = "X-Api-Key:hunter2";
  EXPECT_EQ(Error(f), "--alertmanager.http_headers: an item is not Name=value");
}

TEST(AlertmanagerClientOptions, OneKindOfCredentials) {
  AlertmanagerClientFlags f;
  f.basic_auth_username = "u";
  EXPECT_EQ(Error(f),
            "--alertmanager.basic_auth_username and "
            "--alertmanager.basic_auth_password_file must be given together");
  f.basic_auth_password_file = WriteFile("pw", "p\n");
  f.bearer_token_file = WriteFile("tok", "t\n");
  EXPECT_EQ(Error(f),
            "give at most one of --alertmanager.basic_auth_* and "
            "--alertmanager.bearer_token_file");
  f.bearer_token_file = "";
  f.urls = {"http://am:9093", "http://x:hunter2@am2:9093"};
  EXPECT_EQ(Error(f),
            "--alertmanager.url: http://am2:9093 has credentials in the URL "
            "and --alertmanager.basic_auth_* or "
            "--alertmanager.bearer_token_file is given too; give one");
}

TEST(AlertmanagerClientOptions, RejectsReservedDuplicateAndBadHeaders) {
  AlertmanagerClientFlags f;
  f.http_headers = "authorization=Bearer x";
  EXPECT_THAT(Error(f), HasSubstr("--alertmanager.http_headers: authorization "
                                  "is set by outcomesd"));
  f.http_headers = "X-A=1,x-a=2";
  EXPECT_EQ(Error(f),
            "--alertmanager.http_headers: 'x-a' is not a new header name "
            "with a one-line value");
  f.http_headers = "Bad Name=1";
  EXPECT_THAT(Error(f), HasSubstr("'Bad Name' is not a new header name"));
}

TEST(AlertmanagerClientOptions, BadUrlIsFatal) {
  AlertmanagerClientFlags f;
  f.urls = {"am:9093"};
  EXPECT_EQ(Error(f),
            "--alertmanager.url: 'am:9093' is not an http:// or https:// URL "
            "with a host (and no query)");
}

}  // namespace
}  // namespace outcomes
