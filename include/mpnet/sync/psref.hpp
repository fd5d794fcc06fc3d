// SPDX-License-Identifier: BSD-2-Clause
// Passive references (NetBSD psref(9)): hold an RCU-published object across a
// point where the holder goes offline or sleeps.
//
// Locking notes: an object embeds a psref_target. A reader acquires a
// reference inside its read section, on an object it reached through an
// rcu_ptr, and may then go offline and keep using it until release(). The
// writer destroys in three steps: unpublish the object (no new reader can
// reach it), psref_target::drain() (a grace period, then wait until the count
// is zero), free. NetBSD keeps per-CPU lists to avoid sharing a cache line;
// mpnet uses one atomic count because these references are rare by design
// (control operations that sleep), never per packet.
#pragma once

#include <atomic>
#include <cstdint>

namespace mpnet {

class psref_target {
public:
    psref_target() = default;
    psref_target(const psref_target&) = delete;
    psref_target& operator=(const psref_target&) = delete;
    ~psref_target();

    /// Takes a reference. Reader context, inside a read section. Returns false
    /// if the target is already being destroyed (the caller must act as if the
    /// object was not found).
    [[nodiscard]] bool acquire() noexcept;
    /// Drops a reference taken by acquire(). Any context.
    void release() noexcept;
    /// Writer context, after unpublishing: waits for a grace period and then
    /// for every reference to be released. Sleeps offline; never call it from
    /// a thread that holds a reference to this target.
    void drain();
    uint32_t refs() const noexcept { return refs_.load(std::memory_order_acquire); }
    bool is_draining() const noexcept { return draining_.load(std::memory_order_acquire); }

private:
    std::atomic<uint32_t> refs_{0};
    std::atomic<bool> draining_{false};
};

/// RAII holder of one reference.
class psref {
public:
    psref() = default;
    explicit psref(psref_target& t) noexcept : t_(t.acquire() ? &t : nullptr) {}
    psref(psref&& o) noexcept : t_(o.t_) { o.t_ = nullptr; }
    psref& operator=(psref&& o) noexcept {
        if (this != &o) {
            reset();
            t_ = o.t_;
            o.t_ = nullptr;
        }
        return *this;
    }
    ~psref() { reset(); }
    explicit operator bool() const noexcept { return t_ != nullptr; }
    void reset() noexcept {
        if (t_) t_->release();
        t_ = nullptr;
    }

private:
    psref_target* t_ = nullptr;
};

}  // namespace mpnet
