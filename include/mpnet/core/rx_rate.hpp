// SPDX-License-Identifier: BSD-2-Clause
// The receive rate an adaptive worker measures, and the longest nap it
// allows: packets per second over windows of a millisecond or more, the
// highest window rate of the last second, and half the time the smallest RX
// ring takes to fill at that rate, less a margin for a late wake-up (none at
// all, poll, when the ring is too small for the margin).
//
// Why the peak: a sender that paused (a generator's vCPU taken away, a gap
// between bursts) comes back with its backlog at its peak rate. A bound
// that followed only the last window let the naps grow in the first quiet
// millisecond, and the returning burst overflowed the ring during the nap.
//
// Locking notes: one worker's own state (lcore_ctx); no sharing.
#pragma once

#include <algorithm>
#include <cstdint>

#include "mpnet/core/clock.hpp"

namespace mpnet {

struct rx_rate {
    static constexpr uint64_t window_ns = ns_per_ms;
    static constexpr uint64_t peak_hold_ns = ns_per_s;  // a peak bounds naps this long
    static constexpr uint64_t nap_floor_ns = ns_per_us;  // never asks for less than 1 us
    // How much later than asked a nap may end: on these VMs a worker that
    // sleeps gives its vCPU back to the host, and the wake-up came up to a
    // few milliseconds late (adaptive mode lost packets at 350 kpps, where a
    // 1024-slot ring holds 2.9 ms, with naps bounded to 1 ms).
    static constexpr uint64_t wake_margin_ns = 2 * ns_per_ms;

    uint64_t win_ns = 0, win_pkts = 0;  // the open window
    uint64_t pps = 0;                   // the last closed window's rate
    uint64_t peak_pps = 0, peak_ns = 0;  // the highest closed window of the last peak_hold_ns

    /// `got` packets received by `now_ns`.
    void note(uint64_t now_ns, uint64_t got) noexcept {
        if (win_ns == 0) {  // the first look opens the first window (what it got came before)
            win_ns = now_ns;
            return;
        }
        win_pkts += got;
        const uint64_t span = now_ns - win_ns;
        if (span < window_ns) return;
        pps = win_pkts * ns_per_s / span;
        win_ns = now_ns;
        win_pkts = 0;
        if (pps >= peak_pps || now_ns - peak_ns > peak_hold_ns) {
            peak_pps = pps;
            peak_ns = now_ns;
        }
    }

    /// A nap of `want_ns`, shortened so that it ends, with wake_margin_ns of
    /// overshoot, within half the time a ring of `ring` slots takes to fill
    /// at the higher of the last and the peak rate; 0 (do not nap: poll)
    /// where the ring leaves no room for that.
    uint64_t nap_bound(uint64_t want_ns, uint32_t ring) const noexcept {
        const uint64_t rate = std::max(pps, peak_pps);
        if (rate == 0 || ring == 0) return want_ns;
        const uint64_t half_fill = uint64_t(ring) * ns_per_s / rate / 2;
        if (half_fill <= wake_margin_ns) return 0;
        return std::max(std::min(want_ns, half_fill - wake_margin_ns), nap_floor_ns);
    }
};

}  // namespace mpnet
