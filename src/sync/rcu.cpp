// SPDX-License-Identifier: BSD-2-Clause
// liburcu QSBR behind mpnet's RCU types.
#include "mpnet/sync/rcu.hpp"

#include <urcu-qsbr.h>
#include <urcu/call-rcu.h>

#include <cassert>

// urcu-qsbr.h maps the generic names to urcu_qsbr_* with macros; mpnet's own
// rcu_barrier() must not be renamed with them.
#undef rcu_barrier

namespace mpnet {

namespace {
thread_local int tls_register_depth = 0;

struct defer_node {
    rcu_head head;
    void (*fn)(void*);
    void* p;
};

void defer_cb(rcu_head* h) {
    auto* n = caa_container_of(h, defer_node, head);
    n->fn(n->p);
    delete n;
}
}  // namespace

rcu_thread::rcu_thread() {
    if (tls_register_depth++ == 0) rcu_register_thread();
}

rcu_thread::~rcu_thread() {
    assert(tls_register_depth > 0);
    if (--tls_register_depth == 0) rcu_unregister_thread();
}

bool rcu_is_registered() noexcept { return tls_register_depth > 0; }

void rcu_quiescent() noexcept {
    assert(tls_register_depth > 0);
    rcu_quiescent_state();
}

rcu_offline::rcu_offline() : was_online_(tls_register_depth > 0 && rcu_read_ongoing()) {
    if (was_online_) rcu_thread_offline();
}

rcu_offline::~rcu_offline() {
    if (was_online_) rcu_thread_online();
}

void rcu_synchronize() {
    // urcu-qsbr's synchronize_rcu() takes an online caller offline for the wait.
    synchronize_rcu();
}

void rcu_barrier() {
    // rcu_barrier() must not run inside a read section: go offline around it.
    rcu_offline off;
    urcu_qsbr_barrier();
}

namespace detail {
void rcu_defer(void (*fn)(void*), void* p) {
    auto* n = new defer_node{{}, fn, p};
    // call_rcu needs a registered caller in QSBR; writers always are, but an
    // unregistered caller (a test's main thread at teardown) registers briefly.
    if (tls_register_depth > 0) {
        call_rcu(&n->head, defer_cb);
    } else {
        rcu_thread t;
        call_rcu(&n->head, defer_cb);
    }
}
void rcu_defer_from_callback(void (*fn)(void*), void* p) {
    auto* n = new defer_node{{}, fn, p};
    call_rcu(&n->head, defer_cb);  // the call_rcu thread is a registered reader already
}
}  // namespace detail

}  // namespace mpnet
