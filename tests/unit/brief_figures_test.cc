// Where the brief's figures come from in a snapshot (brief_figures.h): the
// provider's own by binary search, and the providers it is ranked among,
// without those of partitions that are not ready.
#include "daemon/brief/brief_figures.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace outcomes {
namespace {

ProgramFigures Of(const std::string& provider, const std::string& program,
                  int64_t stalled) {
  ProgramFigures f;
  f.provider = provider;
  f.program = program;
  f.stalled_referrals = stalled;
  return f;
}

// Partition 0 (ready): a/prog, b/other, b/prog, d/prog. Partition 1 (being
// rebuilt): c/prog, d/prog (a keying error: d's first partition wins).
// Partition 2 (ready): e/prog.
StoreSnapshot Snapshot() {
  StoreSnapshot s;
  s.today = 100;
  s.partitions.resize(3);
  s.partitions[0].id = {"t", 0};
  s.partitions[0].programs = {Of("a", "prog", 1), Of("b", "other", 2),
                              Of("b", "prog", 3), Of("d", "prog", 4)};
  s.partitions[1].id = {"t", 1};
  s.partitions[1].ready = false;
  s.partitions[1].programs = {Of("c", "prog", 5), Of("d", "prog", 6)};
  s.partitions[2].id = {"t", 2};
  s.partitions[2].programs = {Of("e", "prog", 7)};
  return s;
}

std::vector<int64_t> Stalled(const std::vector<const ProgramFigures*>& fs) {
  std::vector<int64_t> out;
  for (const ProgramFigures* f : fs) out.push_back(f->stalled_referrals);
  return out;
}

TEST(BriefFiguresTest, OwnFiguresPointIntoTheSnapshot) {
  const StoreSnapshot s = Snapshot();
  const OwnFigures b = FindOwnFigures(s, "b", "prog");
  EXPECT_EQ(b.figures, &s.partitions[0].programs[2]);
  EXPECT_EQ(b.partition, &s.partitions[0]);
  EXPECT_EQ(b.programs, (std::set<std::string>{"other", "prog"}));
  const OwnFigures c = FindOwnFigures(s, "c", "prog");
  EXPECT_EQ(c.figures, &s.partitions[1].programs[0]);
  EXPECT_FALSE(c.partition->ready);
  EXPECT_EQ(FindOwnFigures(s, "d", "prog").figures->stalled_referrals, 4);
  const OwnFigures none = FindOwnFigures(s, "bb", "prog");
  EXPECT_EQ(none.figures, nullptr);
  EXPECT_TRUE(none.programs.empty());
  EXPECT_TRUE(FindOwnFigures(s, "b", "").programs.contains("other"));
  EXPECT_EQ(FindOwnFigures(s, "b", "").figures, nullptr);
}

TEST(BriefFiguresTest, RankedAmongReadyPartitionsOnlyWithoutTheProvider) {
  const StoreSnapshot s = Snapshot();
  // c (partition 1, not ready) is not ranked; d counts from partition 0.
  EXPECT_EQ(Stalled(RankedFigures(s, "a", "prog")),
            (std::vector<int64_t>{3, 4, 7}));
  EXPECT_EQ(Stalled(RankedFigures(s, "c", "prog")),
            (std::vector<int64_t>{1, 3, 4, 7}));
  EXPECT_EQ(RankedFigures(s, "b", "other").size(), 0u);
  EXPECT_EQ(RankedFigures(s, "a", "other")[0], &s.partitions[0].programs[1]);
}

}  // namespace
}  // namespace outcomes
