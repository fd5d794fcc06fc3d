// SPDX-License-Identifier: BSD-2-Clause
// rcu_hash_core on liburcu's lock-free hash table (QSBR flavour).
#include "mpnet/sync/rcu_hash.hpp"

#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include <cassert>
#include <cstdlib>
#include <vector>

#include "mpnet/sync/rcu.hpp"

namespace mpnet {

namespace {

// What precedes every payload: the hash node, the RCU callback head, and the
// destroy function the callback needs. The payload starts on a 64-byte line.
struct alignas(64) node_head {
    cds_lfht_node node;
    rcu_head rcu;
    rcu_hash_core::destroy_fn destroy;
};

node_head* head_of(void* payload) noexcept {
    return reinterpret_cast<node_head*>(static_cast<char*>(payload) - sizeof(node_head));
}
void* payload_of(node_head* h) noexcept { return reinterpret_cast<char*>(h) + sizeof(node_head); }

struct match_ctx {
    rcu_hash_core::match_fn match;
    const void* key;
};

int match_node(cds_lfht_node* n, const void* ctx) {
    auto* h = caa_container_of(n, node_head, node);
    const auto* m = static_cast<const match_ctx*>(ctx);
    return m->match(payload_of(h), m->key) ? 1 : 0;
}

void free_head(node_head* h) noexcept {
    h->~node_head();
    std::free(h);
}

void retire_cb(rcu_head* r) {
    node_head* h = caa_container_of(r, node_head, rcu);
    h->destroy(payload_of(h));
    free_head(h);
}

}  // namespace

rcu_hash_core::rcu_hash_core(size_t max_entries, match_fn match, destroy_fn destroy)
    : match_(match), destroy_(destroy), max_(max_entries) {
    ht_ = cds_lfht_new(16, 16, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, nullptr);
    if (!ht_) throw std::bad_alloc();
}

rcu_hash_core::~rcu_hash_core() {
    // The owner unpublished the table and waited a grace period: no reader.
    auto* ht = static_cast<cds_lfht*>(ht_);
    std::vector<node_head*> all;
    cds_lfht_iter it;
    cds_lfht_node* n;
    cds_lfht_first(ht, &it);
    while ((n = cds_lfht_iter_get_node(&it)) != nullptr) {
        all.push_back(caa_container_of(n, node_head, node));
        cds_lfht_next(ht, &it);
    }
    for (node_head* h : all) {
        cds_lfht_del(ht, &h->node);
        destroy_(payload_of(h));
        free_head(h);
    }
    // cds_lfht_destroy waits for a pending resize, and the resize waits for a
    // grace period: an online caller would wait for itself. Go offline.
    rcu_offline off;
    [[maybe_unused]] int rc = cds_lfht_destroy(ht, nullptr);
    assert(rc == 0);
}

void* rcu_hash_core::lookup(uint64_t hash, const void* key) const noexcept {
    const match_ctx m{match_, key};
    cds_lfht_iter it;
    cds_lfht_lookup(static_cast<cds_lfht*>(ht_), hash, match_node, &m, &it);
    cds_lfht_node* n = cds_lfht_iter_get_node(&it);
    return n ? payload_of(caa_container_of(n, node_head, node)) : nullptr;
}

void* rcu_hash_core::alloc(size_t size) {
    void* mem = std::aligned_alloc(alignof(node_head), (sizeof(node_head) + size + 63) & ~size_t{63});
    if (!mem) return nullptr;
    auto* h = new (mem) node_head{};
    cds_lfht_node_init(&h->node);
    return payload_of(h);
}

void rcu_hash_core::free_unpublished(void* payload) noexcept { free_head(head_of(payload)); }

bool rcu_hash_core::add_unique(uint64_t hash, const void* key, void* payload) noexcept {
    node_head* h = head_of(payload);
    h->destroy = destroy_;
    const match_ctx m{match_, key};
    cds_lfht_node* got = cds_lfht_add_unique(static_cast<cds_lfht*>(ht_), hash, match_node, &m, &h->node);
    if (got != &h->node) return false;
    ++count_;
    return true;
}

void rcu_hash_core::remove(void* payload, std::atomic<uint64_t>* gen) noexcept {
    node_head* h = head_of(payload);
    if (cds_lfht_del(static_cast<cds_lfht*>(ht_), &h->node) == 0) {
        --count_;
        // Unlinked, then the generation, then the grace period: a reader
        // that read the old generation is inside a read section the grace
        // period waits for; one that reads the new one no longer finds it.
        if (gen) gen->fetch_add(1, std::memory_order_seq_cst);
        call_rcu(&h->rcu, retire_cb);
    }
}

void rcu_hash_core::for_each(void (*fn)(void* payload, void* ctx), void* ctx) {
    auto* ht = static_cast<cds_lfht*>(ht_);
    cds_lfht_iter it;
    cds_lfht_node* n;
    cds_lfht_first(ht, &it);
    while ((n = cds_lfht_iter_get_node(&it)) != nullptr) {
        // Advance before calling fn so that fn may remove the current entry.
        cds_lfht_next(ht, &it);
        fn(payload_of(caa_container_of(n, node_head, node)), ctx);
    }
}

}  // namespace mpnet
