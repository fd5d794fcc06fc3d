// SPDX-License-Identifier: BSD-2-Clause
// The adaptive worker's receive rate and nap bound (core/rx_rate.hpp).
#include <gtest/gtest.h>

#include "mpnet/core/rx_rate.hpp"

namespace mpnet {
namespace {

constexpr uint64_t ms = 1000000, us = 1000;

TEST(rx_rate, NoTrafficLeavesTheNapAlone) {
    rx_rate r;
    for (uint64_t t = 1; t < 5 * ms; t += 100 * us) r.note(t, 0);
    EXPECT_EQ(r.pps, 0u);
    EXPECT_EQ(r.nap_bound(1000 * us, 1024), 1000 * us);
    EXPECT_EQ(rx_rate{}.nap_bound(1000 * us, 0), 1000 * us) << "no ring known: no bound";
}

TEST(rx_rate, NapEndsWithinHalfTheRingFillTimeLessTheMargin) {
    rx_rate r;
    // 100 kpps for 3 ms: 10 packets every 100 us.
    for (uint64_t t = 0; t <= 3 * ms; t += 100 * us) r.note(t, 10);
    EXPECT_EQ(r.pps, 100000u);
    // 1024 slots at 100 kpps fill in 10.24 ms: half is 5.12 ms, less the
    // 2 ms margin for a late wake-up.
    EXPECT_EQ(r.nap_bound(10 * ms, 1024), 5120 * us - rx_rate::wake_margin_ns);
    EXPECT_EQ(r.nap_bound(1 * ms, 1024), 1 * ms) << "a shorter nap is kept";
    // 4096 slots at the same rate: 40.96 ms to fill.
    EXPECT_EQ(r.nap_bound(100 * ms, 4096), 20480 * us - rx_rate::wake_margin_ns);
}

TEST(rx_rate, NoNapWhereTheRingLeavesNoRoomForALateWakeUp) {
    rx_rate r;
    // 350 kpps (where adaptive mode lost packets with 1 ms naps): 1024
    // slots hold 2.9 ms, half of it is under the margin.
    for (uint64_t t = 0; t <= 3 * ms; t += 100 * us) r.note(t, 35);
    EXPECT_EQ(r.pps, 350000u);
    EXPECT_EQ(r.nap_bound(20 * us, 1024), 0u);
    EXPECT_GT(r.nap_bound(20 * us, 4096), 0u) << "a deeper ring leaves room";
}

TEST(rx_rate, APauseKeepsThePeakBoundForASecond) {
    rx_rate r;
    uint64_t t = 0;
    for (t = 0; t <= 5 * ms; t += 10 * us) r.note(t, 2);  // 200 kpps
    EXPECT_EQ(r.peak_pps, 200000u);
    // The sender pauses: the last windows see nothing, but the peak holds.
    for (; t <= 500 * ms; t += 100 * us) r.note(t, 0);
    EXPECT_EQ(r.pps, 0u);
    // 8192 slots at 200 kpps: 40.96 ms to fill.
    EXPECT_EQ(r.nap_bound(100 * ms, 8192), 20480 * us - rx_rate::wake_margin_ns);
    EXPECT_EQ(r.nap_bound(100 * ms, 1024), 2560 * us - rx_rate::wake_margin_ns) << "5.12 ms to fill";
    EXPECT_EQ(r.nap_bound(100 * ms, 512), 0u) << "2.56 ms to fill at 200 kpps: no room";
    // A slower window does not lower the peak while it holds.
    for (uint64_t end = t + 2 * ms; t <= end; t += 100 * us) r.note(t, 1);  // 10 kpps
    EXPECT_EQ(r.peak_pps, 200000u);
    // A second after the peak, the next window replaces it.
    for (; t <= 1100 * ms; t += 100 * us) r.note(t, 0);
    EXPECT_EQ(r.peak_pps, 0u);
    EXPECT_EQ(r.nap_bound(1 * ms, 1024), 1 * ms);
}

}  // namespace
}  // namespace mpnet
