// SPDX-License-Identifier: BSD-2-Clause
// poll_gaps: the time between two polls of a worker that did not sleep.
#include "mpnet/core/poll_gap.hpp"

#include <gtest/gtest.h>

using namespace mpnet;

TEST(poll_gaps, CountsDecadesAndTheLongest) {
    poll_gaps g;
    uint64_t t = 5 * ns_per_s;
    g.note(t);  // the first poll: nothing before it
    EXPECT_EQ(g.max_ns.load(), 0u);
    g.note(t += 20 * ns_per_us);  // below the floor
    g.note(t += 150 * ns_per_us);
    g.note(t += 3 * ns_per_ms);
    g.note(t += 25 * ns_per_ms);
    g.note(t += 2 * ns_per_ms);
    EXPECT_EQ(g.over[0].load(), 4u);  // >= 100 us
    EXPECT_EQ(g.over[1].load(), 3u);  // >= 1 ms
    EXPECT_EQ(g.over[2].load(), 1u);  // >= 10 ms
    EXPECT_EQ(g.max_ns.load(), 25 * ns_per_ms);
}

TEST(poll_gaps, ASleepIsNotAGap) {
    poll_gaps g;
    uint64_t t = ns_per_s;
    g.note(t);
    g.slept();
    g.note(t += 50 * ns_per_ms);  // after a 50 ms nap: not a stall
    EXPECT_EQ(g.over[0].load(), 0u);
    EXPECT_EQ(g.max_ns.load(), 0u);
    g.note(t += 2 * ns_per_ms);  // busy again: counted
    EXPECT_EQ(g.over[1].load(), 1u);
    EXPECT_EQ(g.max_ns.load(), 2 * ns_per_ms);
    g.note(t);  // a clock that did not move (or went back) is no gap
    g.note(t - ns_per_ms);
    EXPECT_EQ(g.over[0].load(), 1u);
}
