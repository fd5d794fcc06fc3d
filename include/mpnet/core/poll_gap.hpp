// SPDX-License-Identifier: BSD-2-Clause
// How long a busy worker stayed away from its RX rings: the time from the
// start of one poll to the start of the next, when the worker did not sleep
// in between (a nap is chosen; a gap is not). A gap longer than a ring's
// fill time at the offered rate loses packets, whatever the cause: the
// worker's own work (a long burst, a slow path), a lock, a page fault, or
// the VM taking the vCPU away. Counted in decades from 100 us, with the
// longest seen, so a zero-loss search that fails can tell a worker that
// stalled from input it never got to see.
//
// Locking notes: one worker writes (relaxed stores of its own counters);
// the control thread reads them for `show lcores`.
#pragma once

#include <atomic>
#include <cstdint>

#include "mpnet/core/clock.hpp"

namespace mpnet {

struct poll_gaps {
    static constexpr uint64_t floor_ns = 100 * ns_per_us;  // shorter gaps are not counted
    static constexpr unsigned decades = 3;                 // >= 100 us, >= 1 ms, >= 10 ms

    std::atomic<uint64_t> over[decades] = {};
    std::atomic<uint64_t> max_ns{0};
    uint64_t last_ns = 0;  // the previous poll's start; 0 after a sleep

    /// A poll starting at `now_ns`.
    void note(uint64_t now_ns) noexcept {
        const uint64_t prev = last_ns;
        last_ns = now_ns;
        if (prev == 0 || now_ns <= prev) return;
        const uint64_t gap = now_ns - prev;
        if (gap < floor_ns) return;
        if (gap > max_ns.load(std::memory_order_relaxed)) max_ns.store(gap, std::memory_order_relaxed);
        uint64_t bound = floor_ns;
        for (unsigned d = 0; d < decades && gap >= bound; ++d, bound *= 10)
            over[d].store(over[d].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    /// The worker slept (a nap, an interrupt wait): the next poll starts afresh.
    void slept() noexcept { last_ns = 0; }
};

}  // namespace mpnet
