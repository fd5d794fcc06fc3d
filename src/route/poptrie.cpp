// SPDX-License-Identifier: BSD-2-Clause
// The Poptrie-family LPM (see poptrie.hpp): buddy arenas, the writer's binary
// trie, incremental sub-trie rebuilds, RCU publication and rollback.
#include "mpnet/route/poptrie.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>

#include "mpnet/sync/rcu.hpp"

namespace mpnet {

namespace detail {

void buddy::init(uint32_t capacity) {
    cap_ = capacity;
    max_order_ = order_for(capacity);
    free_.assign(max_order_ + 1, {});
    state_.assign(capacity, 0);
    used_ = 0;
    free_[max_order_].push_back(0);
    state_[0] = uint8_t(max_order_ + 1);
}

uint32_t buddy::alloc(unsigned order) {
    if (order > max_order_) return none;
    unsigned o = order;
    uint32_t off = none;
    for (; o <= max_order_; ++o) {
        auto& st = free_[o];
        while (!st.empty()) {
            const uint32_t c = st.back();
            st.pop_back();
            if (state_[c] == o + 1) {
                off = c;
                break;
            }
        }
        if (off != none) break;
    }
    if (off == none) return none;
    state_[off] = 0;
    while (o > order) {  // split: keep the lower half, free the upper
        --o;
        const uint32_t hi = off + (1u << o);
        state_[hi] = uint8_t(o + 1);
        free_[o].push_back(hi);
    }
    used_ += size_t(1) << order;
    return off;
}

void buddy::free(uint32_t off, unsigned order) {
    used_ -= size_t(1) << order;
    while (order < max_order_) {
        const uint32_t bud = off ^ (1u << order);
        if (state_[bud] != order + 1) break;
        state_[bud] = 0;  // its stack entry goes stale
        off = std::min(off, bud);
        ++order;
    }
    state_[off] = uint8_t(order + 1);
    free_[order].push_back(off);
    // Stale entries are bounded by the merges since the last compaction.
    auto& st = free_[order];
    if (st.size() > 64 && st.size() > 2 * (size_t(cap_) >> order)) {
        st.erase(std::remove_if(st.begin(), st.end(), [&](uint32_t c) { return state_[c] != order + 1; }),
                 st.end());
        std::sort(st.begin(), st.end());
        st.erase(std::unique(st.begin(), st.end()), st.end());
    }
}

template <typename T>
arena<T>::~arena() {
    if (p_) ::munmap(p_, bytes_);
}

template <typename T>
bool arena<T>::reserve(size_t n, bool huge) {
    // With `huge`: transparent huge pages where the kernel allows them (the
    // walk's loads land anywhere in the arenas, and on 4 KiB pages nearly
    // each one is a TLB miss as well). The size is rounded up to 2 MiB and
    // the start aligned to it, so even the 1 MiB IPv4 direct table is one
    // huge page. Advice only: where THP is off this is a plain mapping, and
    // nothing is touched here (a page is taken when the writer first writes).
    constexpr size_t huge_sz = size_t(2) << 20;
    const size_t want = n * sizeof(T);
    const size_t bytes = huge ? (want + huge_sz - 1) & ~(huge_sz - 1) : want;
    const size_t map = huge ? bytes + huge_sz : bytes;
    void* p = ::mmap(nullptr, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    auto* c = static_cast<char*>(p);
    if (huge) {
        auto* start = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(c) + huge_sz - 1) & ~(huge_sz - 1));
        if (start > c) ::munmap(c, size_t(start - c));
        if (c + map > start + bytes) ::munmap(start + bytes, size_t(c + map - (start + bytes)));
        c = start;
        (void)::madvise(c, bytes, MADV_HUGEPAGE);
    }
    bytes_ = bytes;
    p_ = reinterpret_cast<T*>(c);
    return true;
}

template class arena<uint32_t>;
template class arena<poptrie_node>;

}  // namespace detail

// Blocks retired by one commit: back to the writer's allocator after a grace
// period (the call_rcu thread only queues them; the writer frees them).
template <typename K, unsigned KB, unsigned DB>
struct poptrie<K, KB, DB>::retired {
    std::shared_ptr<freed_list> to;
    std::vector<block> blocks;
    ~retired() {
        std::lock_guard<std::mutex> g(to->mu);
        to->v.insert(to->v.end(), blocks.begin(), blocks.end());
    }
};

template <typename K, unsigned KB, unsigned DB>
result<std::unique_ptr<poptrie<K, KB, DB>>> poptrie<K, KB, DB>::create(const poptrie_config& cfg) {
    auto pow2 = [](uint32_t x) { return x != 0 && (x & (x - 1)) == 0; };
    if (!pow2(cfg.max_nodes) || !pow2(cfg.max_leaves) || cfg.max_routes == 0 || cfg.max_nodes > (1u << 30) ||
        cfg.max_leaves > (1u << 30))
        return errc::inval;
    std::unique_ptr<poptrie> t(new poptrie());
    t->cfg_ = cfg;
    if (!t->direct_mem_.reserve(size_t(1) << DB, cfg.huge_pages) || !t->nodes_.reserve(cfg.max_nodes, cfg.huge_pages) ||
        !t->leaves_.reserve(cfg.max_leaves, cfg.huge_pages))
        return errc::nomem;
    t->direct_ = t->direct_mem_.data();
    std::fill_n(t->direct_, size_t(1) << DB, leaf_none);
    t->node_alloc_.init(cfg.max_nodes);
    t->leaf_alloc_.init(cfg.max_leaves);
    t->meta_.assign(size_t(1) << DB, {});
    t->dirty_bit_.assign(size_t(1) << DB, 0);
    t->slot_root_.assign(size_t(1) << DB, -1);
    t->slot_inh_.assign(size_t(1) << DB, leaf_none);
    t->bt_.emplace_back();  // the root (the default route's node)
    t->freed_ = std::make_shared<freed_list>();
    return t;
}

template <typename K, unsigned KB, unsigned DB>
poptrie<K, KB, DB>::~poptrie() = default;

template <typename K, unsigned KB, unsigned DB>
int32_t poptrie<K, KB, DB>::bt_new() {
    if (!bt_free_.empty()) {
        const int32_t i = bt_free_.back();
        bt_free_.pop_back();
        bt_[size_t(i)] = bnode{};
        return i;
    }
    bt_.emplace_back();
    return int32_t(bt_.size() - 1);
}

template <typename K, unsigned KB, unsigned DB>
uint32_t poptrie<K, KB, DB>::bt_set(K k, unsigned len, uint32_t nh) {
    // Routes longer than the direct table start at their slot's node (depth
    // DB) when it exists: a /24 change walks 6 levels, not 24.
    const uint32_t slot = top(k);
    int32_t path[KB + 1];
    unsigned from = 0;
    path[0] = 0;
    if (len > DB && slot_root_[slot] >= 0) {
        from = DB;
        path[DB] = slot_root_[slot];
    }
    int32_t i = path[from];
    if (nh != leaf_none) {
        for (unsigned b = from; b < len; ++b) {
            const unsigned d = bit(k, b);
            if (bt_[size_t(i)].child[d] < 0) {
                const int32_t c = bt_new();
                bt_[size_t(i)].child[d] = c;
                if (b + 1 == DB) slot_root_[slot] = c;
            }
            i = bt_[size_t(i)].child[d];
        }
        return std::exchange(bt_[size_t(i)].nh, nh);
    }
    // Remove, then prune the nodes that no longer lead anywhere.
    for (unsigned b = from; b < len; ++b) {
        i = bt_[size_t(i)].child[bit(k, b)];
        if (i < 0) return leaf_none;
        path[b + 1] = i;
    }
    const uint32_t old = std::exchange(bt_[size_t(i)].nh, leaf_none);
    for (unsigned b = len; b > 0; --b) {
        if (b == from) {
            // Pruning reached the slot's node: the levels above come from a full walk.
            int32_t j = 0;
            for (unsigned x = 0; x < DB; ++x) path[x + 1] = j = bt_[size_t(j)].child[bit(k, x)];
            from = 0;
        }
        const bnode& n = bt_[size_t(path[b])];
        if (n.nh != leaf_none || n.child[0] >= 0 || n.child[1] >= 0) break;
        bt_free_.push_back(path[b]);
        bt_[size_t(path[b - 1])].child[bit(k, b - 1)] = -1;
        if (b == DB) slot_root_[slot] = -1;
    }
    return old;
}

template <typename K, unsigned KB, unsigned DB>
uint32_t poptrie<K, KB, DB>::find(K k, unsigned len) const noexcept {
    if (len > KB) return miss;
    k = mask(k, len);
    int32_t i = 0;
    for (unsigned b = 0; b < len && i >= 0; ++b) i = bt_[size_t(i)].child[bit(k, b)];
    if (i < 0 || bt_[size_t(i)].nh == leaf_none) return miss;
    return bt_[size_t(i)].nh;
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::mark(K k, unsigned len) {
    // dirty_long: a route inside the slot changed (its sub-trie's shape);
    // dirty_short: a route covering the whole slot did (what it inherits).
    const uint32_t first = top(k);
    const uint32_t count = len > DB ? 1u : (1u << (DB - len));
    const uint8_t why = len > DB ? dirty_long : dirty_short;
    for (uint32_t s = first; s < first + count; ++s) {
        if (!dirty_bit_[s]) dirty_.push_back(s);
        dirty_bit_[s] |= why;
    }
}

template <typename K, unsigned KB, unsigned DB>
status poptrie<K, KB, DB>::add(K k, unsigned len, uint32_t nh) {
    if (len > KB || nh > nexthop_max) return errc::inval;
    k = mask(k, len);
    if (routes_ >= cfg_.max_routes && find(k, len) == miss) return errc::nospc;
    const uint32_t old = bt_set(k, len, nh);  // one walk: set and learn what was there
    if (old == nh) return {};
    undo_.push_back({k, uint8_t(len), old});
    if (old == leaf_none) ++routes_;
    mark(k, len);
    return {};
}

template <typename K, unsigned KB, unsigned DB>
status poptrie<K, KB, DB>::del(K k, unsigned len) {
    if (len > KB) return errc::inval;
    k = mask(k, len);
    const uint32_t old = bt_set(k, len, leaf_none);
    if (old == leaf_none) return errc::noent;
    undo_.push_back({k, uint8_t(len), old});
    --routes_;
    mark(k, len);
    return {};
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::clear_staged() {
    for (uint32_t s : dirty_) dirty_bit_[s] = 0;
    dirty_.clear();
    undo_.clear();
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::abort() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
        const bool present = bt_set(it->key, it->len, it->old) != leaf_none;
        routes_ += size_t(it->old != leaf_none) - size_t(present);
    }
    clear_staged();
}

template <typename K, unsigned KB, unsigned DB>
status poptrie<K, KB, DB>::clear() {
    stage_clear();
    return commit();
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::stage_clear() {
    // Every route through the undo log, so that a refused batch rolls back.
    std::vector<std::pair<K, unsigned>> all;
    all.reserve(routes_);
    struct frame {
        int32_t i;
        unsigned depth;
        K key;
    };
    std::vector<frame> st{{0, 0, K(0)}};
    while (!st.empty()) {
        const frame f = st.back();
        st.pop_back();
        const bnode& n = bt_[size_t(f.i)];
        if (n.nh != leaf_none) all.emplace_back(f.key, f.depth);
        for (unsigned d = 0; d < 2; ++d)
            if (n.child[d] >= 0) st.push_back({n.child[d], f.depth + 1, K(f.key | (K(d) << (KB - 1 - f.depth)))});
    }
    for (auto& [k, len] : all) (void)del(k, len);
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::reclaim() {
    std::vector<block> v;
    {
        std::lock_guard<std::mutex> g(freed_->mu);
        v.swap(freed_->v);
    }
    for (const block& b : v) {
        if (cfg_.poison_freed) {
            // A reader still inside this block would now walk garbage (and
            // give a wrong answer or fault), so the torture test sees it.
            if (b.leaf)
                std::memset(leaves_.data() + b.off, 0x5a, sizeof(uint32_t) << b.order);
            else
                std::memset(static_cast<void*>(nodes_.data() + b.off), 0xff, sizeof(node) << b.order);
        }
        (b.leaf ? leaf_alloc_ : node_alloc_).free(b.off, b.order);
    }
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::fill(int32_t b, unsigned lvl, unsigned v, uint32_t inh, unsigned real, unsigned depth,
                              int32_t* child_at, uint32_t* nh_at) const {
    // b is the binary node `lvl` bits below the node's root along the bits of
    // v; inh already includes b's own route. Its range of the 64 slots:
    const unsigned lo = v << (6 - lvl), hi = (v + 1) << (6 - lvl);
    const bnode& n = bt_[size_t(b)];
    const bool below = n.child[0] >= 0 || n.child[1] >= 0;
    if (lvl == real || !below) {
        // A leaf run, or (a full 6-bit step with routes deeper) one child node.
        const bool child = below && lvl == 6 && depth + 6 < KB;
        for (unsigned s = lo; s < hi; ++s) {
            child_at[s] = child ? b : -1;
            nh_at[s] = inh;
        }
        return;
    }
    for (unsigned d = 0; d < 2; ++d) {
        const int32_t c = n.child[d];
        if (c < 0) {
            const unsigned clo = (2 * v + d) << (5 - lvl), chi = (2 * v + d + 1) << (5 - lvl);
            for (unsigned s = clo; s < chi; ++s) {
                child_at[s] = -1;
                nh_at[s] = inh;
            }
            continue;
        }
        const uint32_t cnh = bt_[size_t(c)].nh;
        fill(c, lvl + 1, 2 * v + d, cnh != leaf_none ? cnh : inh, real, depth, child_at, nh_at);
    }
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::build_node(int32_t b, unsigned depth, uint32_t inherited, uint32_t dst) {
    const unsigned real = depth + 6 <= KB ? 6u : KB - depth;
    int32_t child_at[64];
    uint32_t nh_at[64];
    fill(b, 0, 0, inherited, real, depth, child_at, nh_at);
    node n;
    n.base0 = uint32_t(tmp_leaves_.size());
    bool first = true;
    uint32_t last = 0;
    for (unsigned v = 0; v < 64; ++v) {
        if (child_at[v] >= 0) {
            n.vector |= 1ULL << v;
            continue;
        }
        if (first || nh_at[v] != last) {
            n.leafvec |= 1ULL << v;
            tmp_leaves_.push_back(nh_at[v]);
            last = nh_at[v];
            first = false;
        }
    }
    n.base1 = uint32_t(tmp_nodes_.size());
    tmp_nodes_.resize(tmp_nodes_.size() + unsigned(__builtin_popcountll(n.vector)));
    tmp_nodes_[dst] = n;
    uint32_t k = n.base1;
    for (unsigned v = 0; v < 64; ++v)
        if (child_at[v] >= 0) build_node(child_at[v], depth + 6, nh_at[v], k++);
}

template <typename K, unsigned KB, unsigned DB>
std::pair<int32_t, uint32_t> poptrie<K, KB, DB>::slot_walk(uint32_t slot) const noexcept {
    // The binary node at depth DB along the slot's bits (or -1), and the
    // nexthop of the longest route covering the whole slot.
    int32_t i = 0;
    uint32_t inh = bt_[0].nh;
    for (unsigned b = 0; b < DB && i >= 0; ++b) {
        i = bt_[size_t(i)].child[(slot >> (DB - 1 - b)) & 1u];
        if (i >= 0 && bt_[size_t(i)].nh != leaf_none) inh = bt_[size_t(i)].nh;
    }
    return {i, inh};
}

template <typename K, unsigned KB, unsigned DB>
bool poptrie<K, KB, DB>::rebuild(uint32_t slot, std::vector<switched>& done) {
    // The binary node at depth DB along the slot's bits, and the route it
    // inherits: walked when a covering route changed, cached otherwise.
    int32_t i = slot_root_[slot];
    uint32_t inh = slot_inh_[slot];
    if (dirty_bit_[slot] & dirty_short) {
        std::tie(i, inh) = slot_walk(slot);
        slot_inh_[slot] = inh;
    }
    const uint32_t old_e = direct_[slot];
    switched sw{slot, old_e, inh, meta_[slot], {}};
    if (i >= 0 && (bt_[size_t(i)].child[0] >= 0 || bt_[size_t(i)].child[1] >= 0)) {
        tmp_nodes_.assign(1, node{});
        tmp_leaves_.clear();
        build_node(i, DB, inh, 0);
        slot_meta m;
        m.nodes = uint32_t(tmp_nodes_.size());
        m.leaves = uint32_t(tmp_leaves_.size());
        m.node_order = uint8_t(detail::buddy::order_for(m.nodes));
        m.leaf_order = uint8_t(detail::buddy::order_for(m.leaves));
        const uint32_t no = node_alloc_.alloc(m.node_order);
        if (no == detail::buddy::none) return false;
        const uint32_t lo = leaf_alloc_.alloc(m.leaf_order);
        if (lo == detail::buddy::none) {
            node_alloc_.free(no, m.node_order);  // never published
            return false;
        }
        m.leaf_off = lo;
        node* nd = nodes_.data() + no;
        for (uint32_t x = 0; x < m.nodes; ++x) {
            node n = tmp_nodes_[x];
            n.base0 += lo;
            n.base1 += no;
            nd[x] = n;
        }
        std::memcpy(leaves_.data() + lo, tmp_leaves_.data(), m.leaves * sizeof(uint32_t));
        sw.new_e = internal_bit | no;
        sw.new_m = m;
    } else if (old_e == inh) {
        return true;  // same leaf: nothing to publish
    }
    // Release: the sub-trie's stores happen-before a reader's acquire of the entry.
    __atomic_store_n(&direct_[slot], sw.new_e, __ATOMIC_RELEASE);
    meta_[slot] = sw.new_m;
    live_nodes_ += sw.new_m.nodes;
    live_leaves_ += sw.new_m.leaves;
    if (old_e & internal_bit) {
        live_nodes_ -= sw.old_m.nodes;
        live_leaves_ -= sw.old_m.leaves;
    }
    done.push_back(sw);
    ++rebuilt_;
    return true;
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::release(const slot_meta& m, uint32_t node_off, std::vector<block>& out) const {
    out.push_back({node_off, m.node_order, false});
    out.push_back({m.leaf_off, m.leaf_order, true});
}

template <typename K, unsigned KB, unsigned DB>
status poptrie<K, KB, DB>::commit() {
    reclaim();
    std::vector<switched> done;
    done.reserve(dirty_.size());
    bool ok = true;
    for (size_t x = 0; x < dirty_.size() && ok; ++x) {
        ok = rebuild(dirty_[x], done);
        if (!ok) {
            // Blocks retired by earlier commits may be waiting for their grace
            // period: wait for them once, then try again.
            rcu_barrier();
            reclaim();
            ok = rebuild(dirty_[x], done);
        }
    }
    auto r = std::make_unique<retired>();
    r->to = freed_;
    if (!ok) {
        // Switch every entry this commit changed back, retire what it built,
        // and undo the batch in the binary trie.
        for (auto it = done.rbegin(); it != done.rend(); ++it) {
            __atomic_store_n(&direct_[it->slot], it->old_e, __ATOMIC_RELEASE);
            meta_[it->slot] = it->old_m;
            if (it->new_e & internal_bit) {
                release(it->new_m, it->new_e & ~internal_bit, r->blocks);
                live_nodes_ -= it->new_m.nodes;
                live_leaves_ -= it->new_m.leaves;
            }
            if (it->old_e & internal_bit) {
                live_nodes_ += it->old_m.nodes;
                live_leaves_ += it->old_m.leaves;
            }
            --rebuilt_;
        }
        std::vector<uint32_t> covered;
        for (uint32_t x : dirty_)
            if (dirty_bit_[x] & dirty_short) covered.push_back(x);
        abort();
        for (uint32_t x : covered) slot_inh_[x] = slot_walk(x).second;
        ++rollbacks_;
        if (!r->blocks.empty()) rcu_retire(r.release());
        return errc::nospc;
    }
    for (const switched& s : done)
        if (s.old_e & internal_bit) release(s.old_m, s.old_e & ~internal_bit, r->blocks);
    if (!r->blocks.empty()) rcu_retire(r.release());
    clear_staged();
    ++commits_;
    return {};
}

template <typename K, unsigned KB, unsigned DB>
poptrie_stats poptrie<K, KB, DB>::stats() const noexcept {
    poptrie_stats s;
    s.routes = routes_;
    s.nodes = live_nodes_;
    s.leaves = live_leaves_;
    s.node_slots = node_alloc_.used();
    s.leaf_slots = leaf_alloc_.used();
    s.memory_bytes = (size_t(1) << DB) * sizeof(uint32_t) + s.node_slots * sizeof(node) + s.leaf_slots * sizeof(uint32_t);
    s.commits = commits_;
    s.rebuilt = rebuilt_;
    s.rollbacks = rollbacks_;
    return s;
}

template class poptrie<uint32_t, 32, 18>;
template class poptrie<unsigned __int128, 128, 18>;

}  // namespace mpnet
