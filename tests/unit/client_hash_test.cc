// Keyed client hashes (docs/design.md, "Safe to expose"): keyed, stable, and
// key files are checked strictly without their content ever showing in an
// error.
//
// The known answers were computed independently of libsodium: Python's
// hashlib.blake2b(secret, digest_size=16, person=b"outcomesd-ckey01") for
// the key, hashlib.blake2b(key, digest_size=16, person=b"outcomesd-kfpr01")
// for the fingerprint, and a reference SipHash-2-4 (checked against the
// paper's test vector) read little-endian.
#include "daemon/state/client_hash.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/state/state_settings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kSecretA = "0123456789abcdef";
constexpr std::string_view kSecretB = "another secret key, 32 bytes ok!";

ClientHasher Hasher(std::string_view secret) {
  absl::StatusOr<ClientHasher> h = ClientHasher::FromSecret(secret);
  EXPECT_TRUE(h.ok()) << h.status();
  return *h;
}

TEST(ClientHasherTest, KnownAnswersForFixedKeys) {
  const ClientHasher a = Hasher(kSecretA);
  EXPECT_EQ(a.Hash(""), 0x07c7a0f1125b2ed6ULL);
  EXPECT_EQ(a.Hash("12345678"), 0xbdb256f2c7e46fafULL);
  EXPECT_EQ(a.Hash("c-00000000deadbeef"), 0x98249219276f0eb7ULL);
  EXPECT_EQ(a.Hash("case-2024-000017"), 0xe3d326070c95cc37ULL);
  EXPECT_EQ(a.FingerprintHex(), "40f588fb55d1d8ee16b1dacc8a1fef98");
  const ClientHasher b = Hasher(kSecretB);
  EXPECT_EQ(b.Hash("12345678"), 0xe4248bdb539dc556ULL);
  EXPECT_EQ(b.Hash("case-2024-000017"), 0x9ca76bf0c0ed5bdfULL);
  EXPECT_EQ(b.FingerprintHex(), "0a90053f533368937679bef9ebf30c64");
}

TEST(ClientHasherTest, DefaultKeyIsStableAndMarked) {
  const ClientHasher d;
  EXPECT_TRUE(d.is_default());
  EXPECT_FALSE(Hasher(kSecretA).is_default());
  // Pinned: a restart without --privacy.key_file must match its checkpoints.
  EXPECT_EQ(d.Hash("12345678"), 0x977616dc95a8ce1aULL);
  EXPECT_EQ(d.Hash("c-00000000deadbeef"), 0x842e834c29742f09ULL);
  EXPECT_EQ(d.FingerprintHex(), "61fb06e358b26e95990e72082188cac0");
  EXPECT_EQ(ClientHasher().Hash("x"), d.Hash("x"));
  // What every PartitionState gets unless main sets the key file's.
  EXPECT_TRUE(StateSettings{}.client_hasher.is_default());
  EXPECT_EQ(StateSettings{}.client_hasher.fingerprint(), d.fingerprint());
}

TEST(ClientHasherTest, SameInputDifferentKeysGiveDifferentHashes) {
  const ClientHasher a = Hasher(kSecretA);
  const ClientHasher b = Hasher(kSecretB);
  const ClientHasher d;
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = std::to_string(10000000 + i);
    same += a.Hash(key) == b.Hash(key);
    same += a.Hash(key) == d.Hash(key);
  }
  EXPECT_EQ(same, 0);
  EXPECT_NE(a.fingerprint(), b.fingerprint());
  EXPECT_NE(a.fingerprint(), d.fingerprint());
  // One more byte (a trailing newline) is another key.
  EXPECT_NE(Hasher(std::string(kSecretA) + "\n").fingerprint(),
            a.fingerprint());
}

TEST(ClientHasherTest, SameSecretSameHashes) {
  EXPECT_EQ(Hasher(kSecretA).Hash("case-1"), Hasher(kSecretA).Hash("case-1"));
  EXPECT_EQ(Hasher(kSecretA).fingerprint(), Hasher(kSecretA).fingerprint());
}

TEST(ClientHasherTest, SecretLengthIsBounded) {
  EXPECT_FALSE(ClientHasher::FromSecret("").ok());
  const absl::Status short_key =
      ClientHasher::FromSecret("fifteen bytes!!").status();
  EXPECT_EQ(short_key.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_key.message(), HasSubstr("is 15 bytes"));
  EXPECT_THAT(short_key.message(), Not(HasSubstr("fifteen")));
  EXPECT_TRUE(ClientHasher::FromSecret(std::string(16, 'k')).ok());
  EXPECT_TRUE(ClientHasher::FromSecret(std::string(4096, 'k')).ok());
  EXPECT_FALSE(ClientHasher::FromSecret(std::string(4097, 'k')).ok());
}

// Stays what it was (MurmurHash64A, seed "outcomes") for provider/program.
TEST(StableIdHashTest, IsTheUnkeyedMurmurHash) {
  EXPECT_EQ(StableIdHash("prov-001"), StableIdHash("prov-001"));
  EXPECT_NE(StableIdHash("prov-001"), StableIdHash("prov-002"));
  EXPECT_EQ(StableIdHash("workforce"), 0x49c4edee9cb89df4ULL);
}

class KeyFileTest : public ::testing::Test {
 protected:
  KeyFileTest()
      : path_(
            std::filesystem::temp_directory_path() /
            ("key-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
  }
  ~KeyFileTest() override { std::filesystem::remove_all(path_); }
  std::string Write(std::string_view content) {
    std::ofstream(path_, std::ios::binary) << content;
    return path_.string();
  }
  std::filesystem::path path_;
};

TEST_F(KeyFileTest, LoadsTheFileBytesExactly) {
  absl::StatusOr<ClientHasher> h = LoadClientHasher(Write(kSecretB));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->fingerprint(), Hasher(kSecretB).fingerprint());
  EXPECT_EQ(h->Hash("12345678"), 0xe4248bdb539dc556ULL);
}

TEST_F(KeyFileTest, MissingFileNamesFlagAndPath) {
  const absl::Status s = LoadClientHasher(path_.string()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--privacy.key_file=" + path_.string() +
                                     ": cannot open: No such file"));
}

TEST_F(KeyFileTest, EmptyFileIsRefused) {
  const absl::Status s = LoadClientHasher(Write("")).status();
  EXPECT_EQ(s.message(),
            "--privacy.key_file=" + path_.string() + ": empty file");
}

TEST_F(KeyFileTest, ShortFileIsRefusedWithoutItsContent) {
  const absl::Status s = LoadClientHasher(Write("hunter2\n")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(": the key is 8 bytes; it must be 16 to "
                                     "4096 bytes"));
  EXPECT_THAT(s.message(), Not(HasSubstr("hunter2")));
}

TEST_F(KeyFileTest, TooLongFileIsRefused) {
  const absl::Status s =
      LoadClientHasher(Write(std::string(5000, 'k'))).status();
  EXPECT_EQ(s.message(), "--privacy.key_file=" + path_.string() +
                             ": more than 4096 bytes: not a key file");
  EXPECT_TRUE(LoadClientHasher(Write(std::string(4096, 'k'))).ok());
}

TEST_F(KeyFileTest, DirectoryIsRefused) {
  std::filesystem::create_directories(path_);
  EXPECT_THAT(LoadClientHasher(path_.string()).status().message(),
              HasSubstr("--privacy.key_file=" + path_.string() +
                        ": cannot read: Is a directory"));
}

TEST_F(KeyFileTest, UnreadableFileIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  Write(kSecretA);
  std::filesystem::permissions(path_, std::filesystem::perms::none);
  const absl::Status s = LoadClientHasher(path_.string()).status();
  EXPECT_THAT(s.message(), HasSubstr(": cannot open: Permission denied"));
}

}  // namespace
}  // namespace outcomes
