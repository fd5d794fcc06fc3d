// SPDX-License-Identifier: BSD-2-Clause
// The Poptrie-family LPM (see poptrie.hpp): buddy arenas, the writer's binary
// trie, incremental sub-trie rebuilds, RCU publication and rollback.
#include "mpnet/route/poptrie.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
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
    if (!pow2(cfg.arena_words) || cfg.arena_words < 16 || cfg.arena_words > (1u << 31) || cfg.max_routes == 0)
        return errc::inval;
    std::unique_ptr<poptrie> t(new poptrie());
    t->cfg_ = cfg;
    if (!t->direct_mem_.reserve(size_t(1) << DB, cfg.huge_pages) || !t->mem_.reserve(cfg.arena_words, cfg.huge_pages))
        return errc::nomem;
    t->direct_ = t->direct_mem_.data();
    std::fill_n(t->direct_, size_t(1) << DB, leaf_none);
    t->alloc_.init(cfg.arena_words / unit_words);
    t->slots_.resize(size_t(1) << DB);
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
    int32_t path[DB + 1];
    int32_t i = path[0] = 0;
    if (nh != leaf_none) {
        for (unsigned b = 0; b < len; ++b) {
            const unsigned d = bit(k, b);
            if (bt_[size_t(i)].child[d] < 0) {
                const int32_t c = bt_new();
                bt_[size_t(i)].child[d] = c;
            }
            i = bt_[size_t(i)].child[d];
        }
        return std::exchange(bt_[size_t(i)].nh, nh);
    }
    // Remove, then prune the nodes that no longer lead anywhere.
    for (unsigned b = 0; b < len; ++b) {
        i = bt_[size_t(i)].child[bit(k, b)];
        if (i < 0) return leaf_none;
        path[b + 1] = i;
    }
    const uint32_t old = std::exchange(bt_[size_t(i)].nh, leaf_none);
    for (unsigned b = len; b > 0; --b) {
        const bnode& n = bt_[size_t(path[b])];
        if (n.nh != leaf_none || n.child[0] >= 0 || n.child[1] >= 0) break;
        bt_free_.push_back(path[b]);
        bt_[size_t(path[b - 1])].child[bit(k, b - 1)] = -1;
    }
    return old;
}

namespace {
// Prefetches [p, p + bytes), at most eight lines of it.
inline void prefetch_span(const void* p, size_t bytes) {
    const auto* c = static_cast<const char*>(p);
    const size_t n = std::min<size_t>((bytes + 63) / 64, 8);
    for (size_t i = 0; i < n; ++i) __builtin_prefetch(c + 64 * i);
}

// Where (k, len) is or belongs in a slot's sorted list.
template <typename V, typename K>
auto list_at(V& v, K k, unsigned len) {
    return std::lower_bound(v.begin(), v.end(), std::pair<K, unsigned>(k, len), [](const auto& r, const auto& x) {
        return r.key < x.first || (r.key == x.first && r.len < x.second);
    });
}
}  // namespace

template <typename K, unsigned KB, unsigned DB>
uint32_t poptrie<K, KB, DB>::list_set(K k, unsigned len, uint32_t nh) {
    auto& v = slots_[top(k)].routes;
    // The list is a few lines (a dense /18 holds dozens of routes): fetch
    // them together, not one binary-search step's miss after the other; and
    // the direct entry, which the commit reads next.
    prefetch_span(v.data(), v.size() * sizeof(lroute));
    __builtin_prefetch(&direct_[top(k)]);
    auto it = list_at(v, k, len);
    const bool found = it != v.end() && it->key == k && it->len == len;
    if (nh != leaf_none) {
        if (found) return std::exchange(it->nh, nh);
        v.insert(it, lroute{k, nh, uint8_t(len)});
        return leaf_none;
    }
    if (!found) return leaf_none;
    const uint32_t old = it->nh;
    v.erase(it);
    if (v.empty()) std::vector<lroute>().swap(v);  // a withdrawn slot gives its memory back
    return old;
}

template <typename K, unsigned KB, unsigned DB>
uint32_t poptrie<K, KB, DB>::find(K k, unsigned len) const noexcept {
    if (len > KB) return miss;
    k = mask(k, len);
    if (len > DB) {
        const auto& v = slots_[top(k)].routes;
        const auto it = list_at(v, k, len);
        return it != v.end() && it->key == k && it->len == len ? it->nh : miss;
    }
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
        if (!slots_[s].dirty) dirty_.push_back(s);
        slots_[s].dirty |= why;
    }
}

template <typename K, unsigned KB, unsigned DB>
status poptrie<K, KB, DB>::add(K k, unsigned len, uint32_t nh) {
    if (len > KB || nh > nexthop_max) return errc::inval;
    k = mask(k, len);
    if (routes_ >= cfg_.max_routes && find(k, len) == miss) return errc::nospc;
    const uint32_t old = set(k, len, nh);  // one walk: set and learn what was there
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
    const uint32_t old = set(k, len, leaf_none);
    if (old == leaf_none) return errc::noent;
    undo_.push_back({k, uint8_t(len), old});
    --routes_;
    mark(k, len);
    return {};
}

template <typename K, unsigned KB, unsigned DB>
status poptrie<K, KB, DB>::stage(const poptrie_update<K>* u, size_t n, size_t* staged) {
    // Two stages ahead: the slot record of change i + 8, then (its record
    // fetched by now) the route list of change i + 4.
    constexpr size_t far = 8, near = 4;
    for (size_t i = 0; i < std::min(n, far); ++i) __builtin_prefetch(&slots_[top(u[i].key)]);
    for (size_t i = 0; i < n; ++i) {
        if (i + far < n) __builtin_prefetch(&slots_[top(u[i + far].key)]);
        if (i + near < n && u[i + near].len > DB) {
            const auto& v = slots_[top(u[i + near].key)].routes;
            prefetch_span(v.data(), v.size() * sizeof(lroute));
        }
        const status s = u[i].withdraw ? del(u[i].key, u[i].len) : add(u[i].key, u[i].len, u[i].nh);
        if (!s) {
            if (staged) *staged = i;
            return s;
        }
    }
    if (staged) *staged = n;
    return {};
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::clear_staged() {
    for (uint32_t s : dirty_) slots_[s].dirty = 0;
    dirty_.clear();
    undo_.clear();
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::abort() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
        const bool present = set(it->key, it->len, it->old) != leaf_none;
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
    // A slot's list is withdrawn from its end (each erase O(1)), so the
    // rollback re-inserts it front to back (each insert an append).
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
    for (const slot_state& ss : slots_)
        for (auto it = ss.routes.rbegin(); it != ss.routes.rend(); ++it) all.emplace_back(it->key, it->len);
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
        // A reader still inside this block would now walk garbage (a wrong
        // nexthop, or an offset far past the arena), so the torture test sees it.
        if (cfg_.poison_freed)
            std::memset(mem_.data() + size_t(b.unit) * unit_words, 0x5a, (sizeof(uint32_t) * unit_words) << b.order);
        alloc_.free(b.unit, b.order);
    }
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::build_node(const lroute* first, const lroute* last, unsigned depth, uint32_t inherited,
                                    uint32_t dst) {
    // [first, last): the routes below this node (each longer than depth),
    // sorted so that a route comes before the routes inside it. One pass:
    // a route ending within the node's 6 bits writes its run of the 64
    // slots (a later, longer one overwrites its part); a longer route starts
    // the run of routes that go to that slot's child node, which inherits
    // the slot's nexthop (final by then: every route covering the slot came
    // before). Past the key's end the chunk is zero padded, so a route
    // ending at the key's last bit covers 2^(depth+6-KB) slots.
    uint32_t nh_at[64];
    uint32_t from[64], to[64];  // child v's routes: [first + from[v], first + to[v])
    uint64_t vec = 0;
    std::fill_n(nh_at, 64, inherited);
    for (const lroute* p = first; p < last;) {
        const unsigned v = chunk(p->key, depth);
        if (p->len <= depth + 6) {
            std::fill_n(nh_at + v, size_t(1) << (depth + 6 - p->len), p->nh);
            ++p;
            continue;
        }
        const lroute* q = p + 1;
        while (q < last && chunk(q->key, depth) == v) ++q;
        vec |= 1ULL << v;
        from[v] = uint32_t(p - first);
        to[v] = uint32_t(q - first);
        p = q;
    }
    node n;
    n.vector = vec;
    n.base0 = uint32_t(tmp_leaves_.size());
    // Leaf compression: a run of equal nexthops over the leaf slots (child
    // nodes are skipped, not run breakers) keeps its first. UINT32_MAX is no
    // nexthop, so the first leaf slot always starts a run.
    uint32_t lv[64];
    unsigned cnt = 0;
    uint32_t last_nh = UINT32_MAX;
    for (uint64_t m = ~vec; m; m &= m - 1) {
        const unsigned v = unsigned(__builtin_ctzll(m));
        const uint32_t x = nh_at[v];
        const bool starts = x != last_nh;
        lv[cnt] = x;
        cnt += starts;
        n.leafvec |= uint64_t(starts) << v;
        last_nh = x;
    }
    tmp_leaves_.insert(tmp_leaves_.end(), lv, lv + cnt);
    n.base1 = uint32_t(tmp_nodes_.size());
    tmp_nodes_.resize(tmp_nodes_.size() + unsigned(__builtin_popcountll(vec)));
    tmp_nodes_[dst] = n;
    uint32_t k = n.base1;
    for (uint64_t m = vec; m; m &= m - 1) {
        const unsigned v = unsigned(__builtin_ctzll(m));
        build_node(first + from[v], first + to[v], depth + 6, nh_at[v], k++);
    }
}

template <typename K, unsigned KB, unsigned DB>
uint32_t poptrie<K, KB, DB>::slot_walk(uint32_t slot) const noexcept {
    // The nexthop of the longest route covering the whole slot.
    int32_t i = 0;
    uint32_t inh = bt_[0].nh;
    for (unsigned b = 0; b < DB && i >= 0; ++b) {
        i = bt_[size_t(i)].child[(slot >> (DB - 1 - b)) & 1u];
        if (i >= 0 && bt_[size_t(i)].nh != leaf_none) inh = bt_[size_t(i)].nh;
    }
    return inh;
}

template <typename K, unsigned KB, unsigned DB>
bool poptrie<K, KB, DB>::rebuild(uint32_t slot, std::vector<switched>& done) {
    // The route the slot inherits: walked when a covering route changed,
    // cached otherwise.
    slot_state& ss = slots_[slot];
    const uint32_t old_e = direct_[slot];
    // The published sub-trie's first nodes, which same_shape() compares,
    // come in while the new one is built.
    if (old_e & internal_bit)
        prefetch_span(mem_.data() + (old_e & ~internal_bit),
                      std::min<size_t>((sizeof(uint32_t) * unit_words) << ss.meta.order, 4 * 64));
    if (ss.dirty & dirty_short) ss.inh = slot_walk(slot);
    const uint32_t inh = ss.inh;
    switched sw{slot, old_e, inh, ss.meta, {}};
    if (!ss.routes.empty()) {
        tmp_nodes_.assign(1, node{});
        tmp_leaves_.clear();
        build_node(ss.routes.data(), ss.routes.data() + ss.routes.size(), DB, inh, 0);
        const auto nn = uint32_t(tmp_nodes_.size()), nlv = uint32_t(tmp_leaves_.size());
        const layout at = tmp_layout();
        if ((old_e & internal_bit) && same_shape(old_e & ~internal_bit, ss.meta, at)) {
            // Only leaf values changed (a nexthop change, mostly): the
            // published block keeps its nodes, and its changed leaves are
            // rewritten in place when the commit has succeeded, one word
            // each: a reader sees each key's old answer or its new one.
            const uint32_t off = old_e & ~internal_bit;
            const uint32_t* w = mem_.data();
            for (uint32_t j = 0; j < nlv; ++j)
                if (w[off + at.leaf(j)] != tmp_leaves_[j]) patches_.push_back({off + at.leaf(j), tmp_leaves_[j]});
            return true;
        }
        slot_meta m;
        m.nodes = nn;
        m.leaves = nlv;
        m.order = uint8_t(detail::buddy::order_for((at.words + unit_words - 1) / unit_words));
        const uint32_t unit = alloc_.alloc(m.order);
        if (unit == detail::buddy::none) return false;
        const uint32_t off = unit * unit_words;
        uint32_t* w = mem_.data();
        std::fill(w + off + node_words + at.r, w + off + at.rest_leaves, 0u);  // the pads between nodes
        for (uint32_t x = 0; x < nn; ++x) {
            node n = tmp_nodes_[x];
            n.base0 = off + at.leaf(n.base0);
            n.base1 = off + at.node(n.base1);
            std::memcpy(w + off + at.node(x), &n, sizeof n);
        }
        std::memcpy(w + off + node_words, tmp_leaves_.data(), at.r * sizeof(uint32_t));
        std::memcpy(w + off + at.rest_leaves, tmp_leaves_.data() + at.r, (nlv - at.r) * sizeof(uint32_t));
        sw.new_e = internal_bit | off;
        sw.new_m = m;
    } else if (old_e == inh) {
        return true;  // same leaf: nothing to publish
    }
    // Release: the sub-trie's stores happen-before a reader's acquire of the entry.
    __atomic_store_n(&direct_[slot], sw.new_e, __ATOMIC_RELEASE);
    ss.meta = sw.new_m;
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
typename poptrie<K, KB, DB>::layout poptrie<K, KB, DB>::tmp_layout() const noexcept {
    layout at;
    at.r = uint32_t(__builtin_popcountll(tmp_nodes_[0].leafvec));
    at.rest_nodes = (node_words + at.r + node_stride - 1) & ~(node_stride - 1);
    at.rest_leaves = at.rest_nodes + node_stride * (uint32_t(tmp_nodes_.size()) - 1);
    at.words = at.rest_leaves + (uint32_t(tmp_leaves_.size()) - at.r);
    return at;
}

template <typename K, unsigned KB, unsigned DB>
bool poptrie<K, KB, DB>::same_shape(uint32_t off, const slot_meta& m, const layout& at) const noexcept {
    // The freshly built sub-trie (tmp_*) against the published one at `off`:
    // the same nodes with the same bitmaps give the same layout, so only
    // leaf values can differ.
    if (m.nodes != tmp_nodes_.size() || m.leaves != tmp_leaves_.size()) return false;
    const uint32_t* w = mem_.data();
    for (uint32_t x = 0; x < m.nodes; ++x) {
        const node* n = node_at(w, off + at.node(x));
        if (n->vector != tmp_nodes_[x].vector || n->leafvec != tmp_nodes_[x].leafvec) return false;
    }
    return true;
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::release(const slot_meta& m, uint32_t word_off, std::vector<block>& out) const {
    out.push_back({word_off / unit_words, m.order});
}

template <typename K, unsigned KB, unsigned DB>
status poptrie<K, KB, DB>::commit() {
    reclaim();
    // done_ and retire_ are the writer's scratch, kept between commits: a
    // commit of one route allocates nothing unless it retires a block.
    std::vector<switched>& done = done_;
    done.clear();
    retire_.clear();
    bool ok = true;
    for (size_t x = 0; x < dirty_.size() && ok; ++x) {
        // A batch's next records a few rebuilds ahead, and two ahead (its
        // direct entry fetched by now) the published block that
        // same_shape() reads.
        if (x + 4 < dirty_.size()) {
            __builtin_prefetch(&slots_[dirty_[x + 4]]);
            __builtin_prefetch(&direct_[dirty_[x + 4]]);
        }
        if (x + 2 < dirty_.size()) {
            const uint32_t e = direct_[dirty_[x + 2]];
            if (e & internal_bit) __builtin_prefetch(mem_.data() + (e & ~internal_bit));
        }
        ok = rebuild(dirty_[x], done);
        if (!ok) {
            // Blocks retired by earlier commits may be waiting for their grace
            // period: wait for them once, then try again.
            rcu_barrier();
            reclaim();
            ok = rebuild(dirty_[x], done);
        }
    }
    if (!ok) {
        // Switch every entry this commit changed back, retire what it built,
        // and undo the batch in the binary trie.
        for (auto it = done.rbegin(); it != done.rend(); ++it) {
            __atomic_store_n(&direct_[it->slot], it->old_e, __ATOMIC_RELEASE);
            slots_[it->slot].meta = it->old_m;
            if (it->new_e & internal_bit) {
                release(it->new_m, it->new_e & ~internal_bit, retire_);
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
            if (slots_[x].dirty & dirty_short) covered.push_back(x);
        abort();
        patches_.clear();
        for (uint32_t x : covered) slots_[x].inh = slot_walk(x);
        ++rollbacks_;
        retire_blocks();
        return errc::nospc;
    }
    // Every allocation succeeded: now the in-place leaf changes (a refused
    // commit never made them, so it has nothing of theirs to undo).
    for (const auto& [at, nh] : patches_) __atomic_store_n(mem_.data() + at, nh, __ATOMIC_RELAXED);
    patched_ += patches_.size();
    patches_.clear();
    for (const switched& s : done)
        if (s.old_e & internal_bit) release(s.old_m, s.old_e & ~internal_bit, retire_);
    retire_blocks();
    clear_staged();
    ++commits_;
    return {};
}

template <typename K, unsigned KB, unsigned DB>
void poptrie<K, KB, DB>::retire_blocks() {
    if (retire_.empty()) return;
    auto r = std::make_unique<retired>();
    r->to = freed_;
    r->blocks.swap(retire_);
    rcu_retire(r.release());
}

template <typename K, unsigned KB, unsigned DB>
poptrie_stats poptrie<K, KB, DB>::stats() const noexcept {
    poptrie_stats s;
    s.routes = routes_;
    s.nodes = live_nodes_;
    s.leaves = live_leaves_;
    s.arena_words = alloc_.used() * unit_words;
    s.memory_bytes = ((size_t(1) << DB) + s.arena_words) * sizeof(uint32_t);
    s.commits = commits_;
    s.rebuilt = rebuilt_;
    s.patched = patched_;
    s.rollbacks = rollbacks_;
    return s;
}

template class poptrie<uint32_t, 32, 18>;
template class poptrie<unsigned __int128, 128, 18>;

}  // namespace mpnet
