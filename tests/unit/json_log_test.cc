// Log lines (daemon/base/json_log.h): one JSON object, keys ts, level, msg,
// then the fields in order.
#include "daemon/base/json_log.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace outcomes {
namespace {

// The line after its "ts" (which is the time of the call).
std::string AfterTs(const std::string& line) {
  const size_t level = line.find(",\"level\":");
  EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
  EXPECT_EQ(level, sizeof("{\"ts\":\"2026-11-23T05:50:31.123Z\"") - 1) << line;
  return line.substr(level);
}

TEST(JsonLogTest, FieldsInOrderEscapedWithRoundTripDoubles) {
  EXPECT_EQ(
      AfterTs(FormatLogLine(
          LogLevel::kWarning, "say \"hi\"\n",
          {{"path", "a\\b"}, {"n", 42}, {"share", 0.1234567}, {"ok", true}})),
      R"(,"level":"warning","msg":"say \"hi\"\n","path":"a\\b","n":42,)"
      R"("share":0.1234567,"ok":true})");
}

TEST(JsonLogTest, NonFiniteIsNullAndFieldsCannotReplaceMsg) {
  EXPECT_EQ(
      AfterTs(FormatLogLine(LogLevel::kInfo, "m",
                            {{"nan", std::numeric_limits<double>::quiet_NaN()},
                             {"msg", "spoofed"},
                             {"bad", "\xff"}})),
      ",\"level\":\"info\",\"msg\":\"m\",\"nan\":null,\"bad\":"
      "\"\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace outcomes
