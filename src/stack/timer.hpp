// SPDX-License-Identifier: BSD-2-Clause
// Control-plane timers: one ordered queue per stack, run under the control lock.
//
// Locking notes: control plane only (caller holds the stack's control lock).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

namespace mpnet {

class timer_queue {
public:
    using fn_t = std::function<void()>;

    /// Schedules fn at deadline_ns; returns a non-zero id for cancel().
    uint64_t add(uint64_t deadline_ns, fn_t fn);
    /// Cancels a pending timer; a no-op for id 0 or a timer that already ran.
    void cancel(uint64_t id) noexcept;
    /// Runs every timer due at now_ns, in deadline order. Callbacks may add and
    /// cancel timers. Returns how many ran.
    size_t run(uint64_t now_ns);
    /// The earliest deadline, or UINT64_MAX when empty.
    uint64_t next_deadline() const noexcept;
    size_t size() const noexcept { return by_id_.size(); }

private:
    std::map<std::pair<uint64_t, uint64_t>, fn_t> q_;  // (deadline, id) -> fn
    std::unordered_map<uint64_t, uint64_t> by_id_;     // id -> deadline
    uint64_t next_id_ = 1;
};

}  // namespace mpnet
