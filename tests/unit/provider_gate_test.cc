// ProviderGate, PartitionProviders and the --providers.file format
// (docs/design.md, "Safe to expose"): which providers take a slot, when slots
// free, what the allowlist rejects, reloads.
#include "daemon/ingest/provider_gate.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "daemon/ingest/partition_providers.h"
#include "daemon/ingest/provider_list.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

// The value of the first sample of metric family `name` (labels `result`
// when given); -1 when absent.
double Sample(prometheus::Registry& registry, const std::string& name,
              const std::string& result = "") {
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    if (f.name != name) continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      if (!result.empty() && (m.label.empty() || m.label[0].value != result)) {
        continue;
      }
      return f.type == prometheus::MetricType::Counter ? m.counter.value
                                                       : m.gauge.value;
    }
  }
  return -1;
}

std::string Reason(std::optional<RejectReason> r) {
  return r ? RejectReasonName(*r) : "ok";
}

// Judges an event of `provider` and, when admitted, applies it.
std::string Admit(PartitionProviders& p, const std::string& provider) {
  std::optional<RejectReason> r = p.Judge(provider);
  if (!r) p.Applied(provider);
  return Reason(r);
}

TEST(ProviderListTest, IgnoresCommentsBlankLinesAndWhitespace) {
  auto list = ParseProviderList(
      "# providers of contract wd-2026\n"
      "prov-a\n"
      "\n"
      "  prov-b   # Acme Jobs\r\n"
      "prov:c.1\n"
      "prov-a\n",
      "p.txt");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, UnorderedElementsAre("prov-a", "prov-b", "prov:c.1"));
}

TEST(ProviderListTest, BadIdNamesFileAndLine) {
  auto list = ParseProviderList("prov-a\n# ok\nprov b\n", "p.txt");
  EXPECT_EQ(list.status().message(),
            "p.txt:3: 'prov b' is not a valid provider id (1-64 chars of "
            "[A-Za-z0-9._:-])");
}

TEST(ProviderListTest, FileWithoutIdsIsAnError) {
  auto list = ParseProviderList("# nothing yet\n\n", "p.txt");
  EXPECT_THAT(list.status().message(), HasSubstr("p.txt: lists no provider"));
}

TEST(ProviderListTest, UnreadableFileSaysWhy) {
  auto list = LoadProviderList("/nonexistent/providers.txt");
  EXPECT_EQ(list.status().message(),
            "--providers.file: cannot open /nonexistent/providers.txt: No "
            "such file or directory");
}

class ProviderGateTest : public ::testing::Test {
 protected:
  std::unique_ptr<ProviderGate> Gate(int max, std::string file = "") {
    auto gate = ProviderGate::Create({max, std::move(file)}, clock_, registry_);
    EXPECT_TRUE(gate.ok()) << gate.status();
    return gate.ok() ? *std::move(gate) : nullptr;
  }
  std::string WriteFile(const std::string& text) {
    const std::string path =
        ::testing::TempDir() + "/providers-" +
        ::testing::UnitTest::GetInstance()->current_test_info()->name() +
        ".txt";
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }
  FakeClock clock_{kNow};
  prometheus::Registry registry_;
};

TEST_F(ProviderGateTest, MaxBelowOneIsRejected) {
  auto gate = ProviderGate::Create({0, ""}, clock_, registry_);
  EXPECT_EQ(gate.status().message(),
            "--providers.max must be at least 1, got 0");
}

TEST_F(ProviderGateTest, NewProvidersBeyondTheLimitAreRejected) {
  auto gate = Gate(2);
  PartitionProviders p0(gate.get());
  EXPECT_EQ(Admit(p0, "a"), "ok");
  EXPECT_EQ(Admit(p0, "a"), "ok");  // counted once
  EXPECT_EQ(Admit(p0, "b"), "ok");
  EXPECT_EQ(Reason(p0.Judge("c")), "provider_limit");
  EXPECT_EQ(Reason(p0.Judge("a")), "ok");  // has a slot
  EXPECT_EQ(gate->providers(), 2u);
  EXPECT_EQ(Sample(registry_, "outcomes_providers"), 2);
  EXPECT_EQ(Sample(registry_, "outcomes_providers_limit"), 2);
}

TEST_F(ProviderGateTest, AProviderInTwoPartitionsTakesOneSlot) {
  auto gate = Gate(2);
  PartitionProviders p0(gate.get()), p1(gate.get());
  Admit(p0, "a");
  Admit(p0, "b");
  EXPECT_EQ(Admit(p1, "a"), "ok");  // held elsewhere: no new slot
  EXPECT_EQ(gate->providers(), 2u);
  { PartitionProviders gone = std::move(p0); }  // p0 revoked: b frees
  EXPECT_EQ(gate->providers(), 1u);
  EXPECT_EQ(Reason(p1.Judge("c")), "ok");
}

TEST_F(ProviderGateTest, RestoredStateIsNeverCutAndEvictionFreesSlots) {
  auto gate = Gate(2);
  PartitionProviders p0(gate.get());
  p0.Reset({"x", "y", "z"});  // a checkpoint with more than the limit
  EXPECT_EQ(gate->providers(), 3u);
  EXPECT_EQ(Reason(p0.Judge("z")), "ok");
  EXPECT_EQ(Reason(p0.Judge("new")), "provider_limit");
  p0.Reset({"x"});  // y and z evicted past the horizon
  EXPECT_EQ(gate->providers(), 1u);
  EXPECT_EQ(Sample(registry_, "outcomes_providers"), 1);
  EXPECT_EQ(Reason(p0.Judge("new")), "ok");
}

TEST_F(ProviderGateTest, AllowlistRejectsUnlistedAndReloadKeepsOldOnError) {
  const std::string path = WriteFile("a\n");
  auto gate = Gate(10, path);
  PartitionProviders p0(gate.get());
  EXPECT_EQ(Admit(p0, "a"), "ok");
  EXPECT_EQ(Reason(p0.Judge("b")), "unknown_provider");
  EXPECT_EQ(Sample(registry_, "outcomes_providers_listed"), 1);

  WriteFile("a\nb c\n");
  EXPECT_THAT(gate->Reload().message(), HasSubstr(":2: 'b c' is not a valid"));
  EXPECT_EQ(Reason(p0.Judge("b")), "unknown_provider");  // old list
  EXPECT_EQ(Sample(registry_, "outcomes_providers_reloads_total", "failure"),
            1);
  EXPECT_EQ(Sample(registry_, "outcomes_providers_last_reload_success"), 0);

  WriteFile("a\nb\n");
  EXPECT_TRUE(gate->Reload().ok());
  EXPECT_EQ(Reason(p0.Judge("b")), "ok");
  EXPECT_EQ(Sample(registry_, "outcomes_providers_reloads_total", "success"),
            2);
  EXPECT_EQ(Sample(registry_, "outcomes_providers_last_reload_success"), 1);

  // Removed: new events rejected, its state (slot) stays until evicted.
  WriteFile("b\n");
  EXPECT_TRUE(gate->Reload().ok());
  EXPECT_EQ(Reason(p0.Judge("a")), "unknown_provider");
  EXPECT_EQ(gate->providers(), 1u);
}

TEST_F(ProviderGateTest, BadFileAtStartIsAnError) {
  auto gate =
      ProviderGate::Create({10, WriteFile("ok\n\n-bad!\n")}, clock_, registry_);
  EXPECT_THAT(gate.status().message(), HasSubstr(":3: '-bad!' is not a valid"));
}

TEST_F(ProviderGateTest, RejectionsAreLoggedOncePerMinute) {
  auto gate = Gate(1);
  PartitionProviders p0(gate.get());
  Admit(p0, "a");
  ::testing::internal::CaptureStderr();
  gate->Judge("b", false);
  gate->Judge("c", false);
  gate->Judge("d", false);
  clock_.Advance(absl::Seconds(61));
  gate->Judge("e", false);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
  EXPECT_THAT(log, HasSubstr("\"rejected_since_last_warning\":1,"
                             "\"provider\":\"b\""));
  EXPECT_THAT(log, HasSubstr("\"rejected_since_last_warning\":3,"
                             "\"provider\":\"e\""));
}

}  // namespace
}  // namespace outcomes
