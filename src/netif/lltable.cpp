// SPDX-License-Identifier: BSD-2-Clause
// lltable on liburcu's lock-free hash table (QSBR flavour).
#include "mpnet/netif/lltable.hpp"

#include "mpnet/sync/rcu.hpp"

#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include <cassert>
#include <vector>

namespace mpnet {

struct llentry_node {
    cds_lfht_node node;
    rcu_head rcu;
    llentry e;
    explicit llentry_node(const llkey& k) : e(k) { cds_lfht_node_init(&node); }
};

namespace {

uint64_t hash_key(const llkey& k) noexcept {
    // FNV-1a over the key, then a 64-bit finalizer: cheap and well spread for
    // the sequential addresses neighbor tables are full of.
    uint64_t h = 1469598103934665603ULL ^ k.family;
    for (uint8_t b : k.a) h = (h ^ b) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

int match_key(cds_lfht_node* n, const void* key) {
    auto* en = caa_container_of(n, llentry_node, node);
    return en->e.key == *static_cast<const llkey*>(key);
}

llentry_node* node_of(llentry* e) {
    // llentry is a member of llentry_node: recover the node from it.
    return reinterpret_cast<llentry_node*>(reinterpret_cast<char*>(e) - offsetof(llentry_node, e));
}

void free_node(rcu_head* h) { delete caa_container_of(h, llentry_node, rcu); }

}  // namespace

char ll_state_letter(ll_state s) noexcept {
    switch (s) {
        case ll_state::nostate:
            return 'N';
        case ll_state::incomplete:
            return 'I';
        case ll_state::reachable:
            return 'R';
        case ll_state::stale:
            return 'S';
        case ll_state::delay:
            return 'D';
        case ll_state::probe:
            return 'P';
    }
    return '?';
}

lltable::lltable(size_t max_entries) : max_(max_entries) {
    ht_ = cds_lfht_new(16, 16, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, nullptr);
    if (!ht_) throw std::bad_alloc();
}

lltable::~lltable() {
    // Destruction happens after the owning interface is unpublished and a grace
    // period has passed: no reader can be in the table.
    std::vector<llentry*> all;
    for_each([&](llentry& e) { all.push_back(&e); });
    for (auto* e : all) {
        assert(e->hold_n == 0);
        cds_lfht_del(ht_, &node_of(e)->node);
        delete node_of(e);
    }
    // cds_lfht_destroy waits for a pending resize, and the resize waits for a
    // grace period: an online caller would wait for itself. Go offline.
    rcu_offline off;
    int rc = cds_lfht_destroy(ht_, nullptr);
    assert(rc == 0);
    (void)rc;
}

llentry* lltable::lookup(const llkey& k) const noexcept {
    cds_lfht_iter it;
    cds_lfht_lookup(ht_, hash_key(k), match_key, &k, &it);
    cds_lfht_node* n = cds_lfht_iter_get_node(&it);
    return n ? &caa_container_of(n, llentry_node, node)->e : nullptr;
}

result<llentry*> lltable::create(const llkey& k) {
    if (count_ >= max_) return errc::nospc;
    auto* n = new llentry_node(k);
    cds_lfht_node* got = cds_lfht_add_unique(ht_, hash_key(k), match_key, &k, &n->node);
    if (got != &n->node) {
        delete n;
        return errc::exist;
    }
    ++count_;
    return &n->e;
}

void lltable::remove(llentry* e) {
    llentry_node* n = node_of(e);
    assert(e->hold_n == 0);
    if (cds_lfht_del(ht_, &n->node) == 0) {
        --count_;
        call_rcu(&n->rcu, free_node);
    }
}

void lltable::for_each_impl(void (*fn)(llentry&, void*), void* ctx) {
    cds_lfht_iter it;
    cds_lfht_node* n;
    cds_lfht_first(ht_, &it);
    while ((n = cds_lfht_iter_get_node(&it)) != nullptr) {
        // Advance before calling fn so that fn may remove the current entry.
        cds_lfht_next(ht_, &it);
        fn(caa_container_of(n, llentry_node, node)->e, ctx);
    }
}

}  // namespace mpnet
