// SPDX-License-Identifier: BSD-2-Clause
// The stack's monotonic clock (NetBSD's time_uptime, in nanoseconds), injectable
// so that scenario tests run on virtual time.
//
// Locking notes: now_ns() may be called from any thread. manual_clock's value
// is one atomic; advance() is called by the test driver only.
#pragma once

#include <atomic>
#include <cstdint>

namespace mpnet {

inline constexpr uint64_t ns_per_us = 1000ULL;
inline constexpr uint64_t ns_per_ms = 1000ULL * 1000ULL;
inline constexpr uint64_t ns_per_s = 1000ULL * 1000ULL * 1000ULL;

class clock_source {
public:
    virtual ~clock_source() = default;
    /// Monotonic nanoseconds since an arbitrary origin; never goes backwards.
    virtual uint64_t now_ns() const noexcept = 0;
};

/// CLOCK_MONOTONIC.
class monotonic_clock final : public clock_source {
public:
    uint64_t now_ns() const noexcept override;
};

/// Virtual time: moves only when advance() is called.
class manual_clock final : public clock_source {
public:
    explicit manual_clock(uint64_t start_ns = 1000 * ns_per_s) : t_(start_ns) {}
    uint64_t now_ns() const noexcept override { return t_.load(std::memory_order_acquire); }
    void advance(uint64_t delta_ns) noexcept { t_.fetch_add(delta_ns, std::memory_order_acq_rel); }

private:
    std::atomic<uint64_t> t_;
};

}  // namespace mpnet
