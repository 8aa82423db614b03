#include "daemon/process_metrics.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "daemon/build_info.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

// proc(5) order; comm holds a space and a ')' to test the split.
constexpr char kStat[] =
    "4242 (out comesd) x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 "
    "250 150 0 0 20 0 9 0 360000 104857600 2048 18446744073709551615 1 1 0 "
    "0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
constexpr char kRootStat[] =
    "cpu  1 2 3 4 5 6 7 0 0 0\n"
    "intr 12345\n"
    "btime 1764633600\n"
    "processes 4000\n";
constexpr char kLimits[] =
    "Limit                     Soft Limit           Hard Limit           Units "
    "    \n"
    "Max cpu time              unlimited            unlimited            "
    "seconds   \n"
    "Max open files            1024                 524288               "
    "files     \n";

TEST(ProcessMetricsTest, ParsesStatInPrometheusUnits) {
  auto s = ParseProcPidStat(kStat, 100, 4096, 1764633600);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);  // (250 + 150) / 100
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1764633600 + 3600.0);
  EXPECT_DOUBLE_EQ(s->virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 2048 * 4096.0);
}

TEST(ProcessMetricsTest, RejectsTruncatedStat) {
  EXPECT_FALSE(ParseProcPidStat("4242 (x) S 1 2 3", 100, 4096, 0));
  EXPECT_FALSE(ParseProcPidStat("no parenthesis", 100, 4096, 0));
  EXPECT_FALSE(ParseProcPidStat("", 100, 4096, 0));
}

TEST(ProcessMetricsTest, ParsesBootTime) {
  EXPECT_EQ(ParseBootTime(kRootStat), 1764633600);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n").has_value());
}

TEST(ProcessMetricsTest, ParsesSoftOpenFilesLimit) {
  EXPECT_EQ(ParseMaxOpenFiles(kLimits), 1024);
  EXPECT_FALSE(ParseMaxOpenFiles("Max open files  unlimited  unlimited  files")
                   .has_value());
  EXPECT_FALSE(ParseMaxOpenFiles("").has_value());
}

std::map<std::string, double> Values(const ProcessCollector& c) {
  std::map<std::string, double> out;
  for (const auto& f : c.Collect()) {
    EXPECT_EQ(f.metric.size(), 1u) << f.name;
    out[f.name] = f.type == prometheus::MetricType::Counter
                      ? f.metric[0].counter.value
                      : f.metric[0].gauge.value;
  }
  return out;
}

class ProcessCollectorFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("proc-fixture-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_ / "self" / "fd");
    Write("self/stat", kStat);
    Write("self/limits", kLimits);
    Write("stat", kRootStat);
    for (const char* fd : {"0", "1", "2"})
      Write(std::string("self/fd/") + fd, "");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ProcessCollectorFixtureTest, ExportsEveryMetricFromTheFixture) {
  const ProcessCollector c((dir_ / "self").string(), dir_.string());
  const auto v = Values(c);
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ASSERT_EQ(v.size(), 6u);
  EXPECT_DOUBLE_EQ(v.at("process_cpu_seconds_total"), 400 / tick);
  EXPECT_DOUBLE_EQ(v.at("process_resident_memory_bytes"), 2048 * page);
  EXPECT_DOUBLE_EQ(v.at("process_virtual_memory_bytes"), 104857600);
  EXPECT_DOUBLE_EQ(v.at("process_open_fds"), 3);
  EXPECT_DOUBLE_EQ(v.at("process_max_fds"), 1024);
  EXPECT_DOUBLE_EQ(v.at("process_start_time_seconds"),
                   1764633600 + 360000 / tick);
}

TEST_F(ProcessCollectorFixtureTest, UnreadableFilesGiveNoSeries) {
  std::filesystem::remove(dir_ / "stat");  // no boot time: no stat figures
  std::filesystem::remove(dir_ / "self" / "limits");
  const auto v =
      Values(ProcessCollector((dir_ / "self").string(), dir_.string()));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_DOUBLE_EQ(v.at("process_open_fds"), 3);
}

TEST(ProcessCollectorTest, ReadsThisProcess) {
  const auto v = Values(ProcessCollector());
  ASSERT_EQ(v.size(), 6u);
  EXPECT_GT(v.at("process_resident_memory_bytes"), 0);
  EXPECT_GE(v.at("process_virtual_memory_bytes"),
            v.at("process_resident_memory_bytes"));
  EXPECT_GE(v.at("process_open_fds"), 3);
  EXPECT_GT(v.at("process_start_time_seconds"), 1.5e9);
}

TEST(BuildInfoTest, ExportsOneSeriesOfValueOne) {
  prometheus::Registry registry;
  RegisterBuildInfo(registry);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  const std::string want = std::string("outcomes_build_info{compiler=\"") +
                           BuildCompiler() + "\",revision=\"" +
                           BuildRevision() + "\",version=\"" + BuildVersion() +
                           "\"} 1";
  EXPECT_NE(out.str().find(want), std::string::npos) << out.str();
  EXPECT_TRUE(std::regex_match(BuildVersion(), std::regex(R"(\d+\.\d+\.\d+)")));
  EXPECT_TRUE(
      std::regex_match(BuildRevision(), std::regex("[0-9a-f]{12}|unknown")));
}

}  // namespace
}  // namespace outcomes
