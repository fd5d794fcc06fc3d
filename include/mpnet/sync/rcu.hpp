// SPDX-License-Identifier: BSD-2-Clause
// RCU for mpnet: liburcu's QSBR flavour wrapped in types. NetBSD's pserialize(9)
// discipline: readers never lock; writers copy, publish, retire.
//
// Locking notes:
// - Every thread that reads RCU-published data registers (rcu_thread) and
//   reports a quiescent state between read sections (rcu_quiescent()); on
//   a worker lcore that is once per poll iteration, so the whole iteration is
//   the read section. Sleeping threads go offline (rcu_offline) first.
// - rcu_ptr<T>::publish() is a release store: a reader that sees the new pointer
//   sees the object fully built. read() is the matching acquire (liburcu's
//   rcu_dereference relies on address dependencies; acquire costs nothing on
//   x86 and is what the C++ memory model can name).
// - rcu_retire() frees an unpublished object after a grace period, on
//   liburcu's call_rcu thread. rcu_synchronize() waits for a grace period and
//   may be called by a registered thread that is online (it goes offline while
//   waiting, as urcu-qsbr does) or by an unregistered one.
// - Writers serialize among themselves by other means (the stack's control lock).
#pragma once

#include <atomic>
#include <utility>

namespace mpnet {

/// Registers the calling thread as an RCU reader for its lifetime (RAII).
/// Nesting is allowed; only the outermost registers and unregisters.
class rcu_thread {
public:
    rcu_thread();
    ~rcu_thread();
    rcu_thread(const rcu_thread&) = delete;
    rcu_thread& operator=(const rcu_thread&) = delete;
};

/// True when the calling thread is registered.
bool rcu_is_registered() noexcept;

/// Reports a quiescent state: the caller holds no pointer obtained by read()
/// before this call. Registered threads only.
void rcu_quiescent() noexcept;

/// Goes offline for the scope (sleep, block, wait) and back online after.
/// A no-op on an unregistered thread.
class rcu_offline {
public:
    rcu_offline();
    ~rcu_offline();
    rcu_offline(const rcu_offline&) = delete;
    rcu_offline& operator=(const rcu_offline&) = delete;

private:
    bool was_online_;
};

/// Waits until every reader has passed a quiescent state.
void rcu_synchronize();

/// Waits until every rcu_retire()d callback queued before has run.
void rcu_barrier();

namespace detail {
void rcu_defer(void (*fn)(void*), void* p);
/// rcu_defer from inside a deferred callback (liburcu's call_rcu thread,
/// registered by liburcu itself): another grace period for `p`.
void rcu_defer_from_callback(void (*fn)(void*), void* p);
}

/// Frees `p` with `delete` after a grace period. Thread context: writers.
template <typename T>
void rcu_retire(T* p) {
    if (p) detail::rcu_defer([](void* q) { delete static_cast<T*>(q); }, p);
}

/// A pointer to an immutable object, published by the writer and read by
/// lock-free readers. The writer owns the current object.
template <typename T>
class rcu_ptr {
public:
    rcu_ptr() = default;
    explicit rcu_ptr(T* initial) : p_(initial) {}
    rcu_ptr(const rcu_ptr&) = delete;
    rcu_ptr& operator=(const rcu_ptr&) = delete;

    /// Reader side: valid until the caller's next quiescent state.
    T* read() const noexcept { return p_.load(std::memory_order_acquire); }

    /// Writer side: publishes `next` and returns the previous object, which the
    /// caller must rcu_retire() (or free after rcu_synchronize()).
    [[nodiscard]] T* publish(T* next) noexcept {
        // Release: every store that built *next happens-before a reader's
        // acquire load that observes next.
        return p_.exchange(next, std::memory_order_acq_rel);
    }

    /// Writer side: publishes `next` and retires the previous object.
    void replace(T* next) { rcu_retire(publish(next)); }

private:
    std::atomic<T*> p_{nullptr};
};

}  // namespace mpnet
