// SPDX-License-Identifier: BSD-2-Clause
// Passive references: acquire/release and destroy-waits-for-references.
#include "mpnet/sync/psref.hpp"

#include <cassert>

#include "mpnet/sync/rcu.hpp"

namespace mpnet {

psref_target::~psref_target() {
    // Freeing a target with live references is a use-after-free in waiting.
    assert(refs_.load(std::memory_order_acquire) == 0);
}

bool psref_target::acquire() noexcept {
    // Increment first, then check: drain() sets draining_ before waiting, so a
    // racing acquire either sees draining_ and backs out, or its increment is
    // seen by drain()'s wait loop (both seq_cst).
    refs_.fetch_add(1, std::memory_order_seq_cst);
    if (draining_.load(std::memory_order_seq_cst)) {
        release();
        return false;
    }
    return true;
}

void psref_target::release() noexcept {
    uint32_t prev = refs_.fetch_sub(1, std::memory_order_acq_rel);
    assert(prev > 0);
    if (prev == 1) refs_.notify_all();
}

void psref_target::drain() {
    draining_.store(true, std::memory_order_seq_cst);
    // After the grace period no reader can still be between reaching the object
    // and acquire(): the count can only fall from here.
    rcu_synchronize();
    rcu_offline off;
    for (uint32_t v = refs_.load(std::memory_order_acquire); v != 0; v = refs_.load(std::memory_order_acquire))
        refs_.wait(v, std::memory_order_acquire);
}

}  // namespace mpnet
