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

TEST(rx_rate, NapIsHalfTheRingFillTimeAtTheRate) {
    rx_rate r;
    // 1 Mpps for 3 ms: 100 packets every 100 us.
    for (uint64_t t = 100 * us; t <= 3 * ms; t += 100 * us) r.note(t, 100);
    EXPECT_EQ(r.pps, 1000000u);
    // 1024 slots at 1 Mpps fill in 1.024 ms: the nap is at most half.
    EXPECT_EQ(r.nap_bound(1000 * us, 1024), 512 * us);
    EXPECT_EQ(r.nap_bound(20 * us, 1024), 20 * us) << "a shorter nap is kept";
    // 100 Mpps on 64 slots: 0.32 us, floored at 1 us.
    rx_rate f;
    for (uint64_t t = 10 * us; t <= 2 * ms; t += 10 * us) f.note(t, 1000);
    EXPECT_EQ(f.nap_bound(1000 * us, 64), rx_rate::nap_floor_ns);
}

TEST(rx_rate, APauseKeepsThePeakBoundForASecond) {
    rx_rate r;
    uint64_t t = 0;
    for (t = 10 * us; t <= 5 * ms; t += 10 * us) r.note(t, 50);  // 5 Mpps
    EXPECT_EQ(r.peak_pps, 5000000u);
    // The sender pauses: the last windows see nothing, but the peak holds.
    for (; t <= 500 * ms; t += 100 * us) r.note(t, 0);
    EXPECT_EQ(r.pps, 0u);
    EXPECT_EQ(r.nap_bound(1000 * us, 1024), 1024 * 1000000000ULL / 5000000 / 2) << "102.4 us at 5 Mpps";
    // A slower window does not lower the peak while it holds.
    for (uint64_t end = t + 2 * ms; t <= end; t += 100 * us) r.note(t, 10);  // 100 kpps
    EXPECT_EQ(r.peak_pps, 5000000u);
    // A second after the peak, the next window replaces it.
    for (; t <= 1100 * ms; t += 100 * us) r.note(t, 0);
    EXPECT_EQ(r.peak_pps, 0u);
    EXPECT_EQ(r.nap_bound(1000 * us, 1024), 1000 * us);
}

}  // namespace
}  // namespace mpnet
