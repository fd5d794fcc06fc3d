// SPDX-License-Identifier: BSD-2-Clause
// mpnet's longest-prefix-match structure in the Poptrie family (Asai and
// Ohara, SIGCOMM 2015; written from the paper and our own design) for keys of
// KeyBits bits (IPv4: 32, IPv6: 128), with incremental batched updates.
//
// Lookup structure (what readers walk):
// - a direct table of 2^DirectBits 32-bit entries indexed by the top bits of
//   the key: a leaf (a nexthop id, or none) or internal_bit | node index;
// - 64-way nodes, each consuming 6 key bits (the last level zero-padded past
//   the key): bit v of `vector` says child v is a node, and the child is the
//   node at word base1 + 8 * (popcount(vector & bits<=v) - 1); otherwise bit
//   v of `leafvec` marks where a run of equal leaves starts and the leaf is
//   the word at base0 + popcount(leafvec & bits<=v) - 1 (leaf compression).
// - Everything below one direct entry (a "sub-trie") lives in one block of
//   one arena of 32-bit words (a node is 6 words, a leaf 1), taken from a
//   buddy allocator over reserved address space (touched only when used), so
//   every offset stays 32-bit. The block is laid out [root node][root's
//   leaves][the other nodes, 8 words apart][their leaves] and aligned to its
//   size, so no node straddles a cache line (one prefetch fetches it), and a
//   sub-trie of one node with up to 10 leaves (most slots holding /24s) is
//   one cache line: the node's leaf costs no second miss.
//
// Updates (the writer): add()/del() change the writer's copy of the routes
// (routes up to DirectBits long in a binary trie, longer ones in their
// direct entry's sorted list), log an undo record and mark the direct
// entries the prefix covers dirty; commit() rebuilds only the dirty entries'
// sub-tries. One with the published sub-trie's shape (the same nodes and
// bitmaps) has its changed leaves rewritten in place once the commit has
// succeeded; any other goes into a fresh block, published with one release
// store of its direct entry, and the replaced block goes to RCU: it returns
// to the allocator after a grace period. A commit that runs out of arena
// (after waiting once for blocks still in their grace period) rolls the
// whole batch back (the entries it had switched are switched back, no leaf
// is rewritten) and reports errc::nospc; the route limit is enforced when a
// route is staged. abort()
// drops an uncommitted batch. load() (a full table) and clear() (a full
// withdrawal) are batches too.
//
// Locking notes:
// - One writer (callers serialize add/del/commit/abort/load/clear).
// - Any number of readers call lookup()/lookup_bulk() inside their RCU read
//   section (a registered liburcu-qsbr thread that is online): a reader sees
//   each direct entry either before or after a commit switched it, and the
//   sub-trie it reaches is never reused until every reader passed a
//   quiescent state. Its nodes never change; a commit that changes only
//   leaf values (the same shape: a nexthop change, mostly) rewrites those
//   leaves in place, one atomic word each, so a key's reader sees its old
//   leaf or its new one. A batch is not atomic across entries: during a commit
//   a key in one entry may see the new routes while a key in another still
//   sees the old ones; each answer was the table's answer for that key at
//   some instant.
// - The structure must outlive its readers (destroy it after a grace period).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "mpnet/core/result.hpp"
#include "mpnet/route/poptrie_node.hpp"

namespace mpnet {

struct poptrie_config {
    uint32_t max_routes = 1u << 22;  // prefixes in the table
    // Nodes (6 words each) and leaves (1 word each) of every sub-trie, in
    // 4-byte words; a power of two from 16 to 2^31. Address space reserved
    // up front, pages taken as they are used (a full IPv4 table: ~2 M).
    uint32_t arena_words = 1u << 25;
    bool poison_freed = false;       // tests: overwrite blocks when they return to the allocator
    bool huge_pages = true;          // madvise(MADV_HUGEPAGE) the direct table and arenas
};

struct poptrie_stats {
    size_t routes = 0;
    size_t nodes = 0, leaves = 0;              // in use by the published sub-tries
    size_t arena_words = 0;                    // allocated (buddy blocks, rounded up)
    size_t memory_bytes = 0;                   // direct table + allocated blocks
    uint64_t commits = 0, rebuilt = 0;         // batches, sub-tries rebuilt
    uint64_t patched = 0;                      // leaves rewritten in place (same-shape changes)
    uint64_t rollbacks = 0;                    // commits refused for capacity
};

namespace detail {

/// A buddy allocator over an index space [0, capacity) (writer only).
class buddy {
public:
    static constexpr uint32_t none = UINT32_MAX;
    void init(uint32_t capacity);  // a power of two
    /// The offset of a block of 2^order units, or none.
    uint32_t alloc(unsigned order);
    void free(uint32_t off, unsigned order);
    static unsigned order_for(uint32_t n) noexcept {
        return n <= 1 ? 0u : unsigned(32 - __builtin_clz(n - 1));
    }
    size_t used() const noexcept { return used_; }
    uint32_t capacity() const noexcept { return cap_; }

private:
    // A free block's head unit holds order + 1 in state_; 0 elsewhere. The
    // per-order stacks may hold stale offsets (merged or taken blocks): alloc
    // checks state_ before trusting one.
    std::vector<std::vector<uint32_t>> free_;
    std::vector<uint8_t> state_;
    uint32_t cap_ = 0;
    unsigned max_order_ = 0;
    size_t used_ = 0;
};

/// Reserved address space for an arena of T (zero-filled on first touch).
template <typename T>
class arena {
public:
    arena() = default;
    arena(const arena&) = delete;
    arena& operator=(const arena&) = delete;
    ~arena();
    bool reserve(size_t n, bool huge);
    T* data() const noexcept { return p_; }

private:
    T* p_ = nullptr;
    size_t bytes_ = 0;
};

}  // namespace detail

/// One route for poptrie::load().
template <typename Key>
struct poptrie_entry {
    Key key;
    unsigned len;
    uint32_t nh;
};

/// One change for poptrie::stage(): add (or change) a route, or withdraw it.
template <typename Key>
struct poptrie_update {
    Key key;
    uint8_t len;
    bool withdraw;
    uint32_t nh;  // ignored for a withdrawal
};

template <typename Key, unsigned KeyBits, unsigned DirectBits>
class poptrie {
    static_assert(DirectBits >= 8 && DirectBits <= 24 && DirectBits < KeyBits);

public:
    using key_type = Key;
    static constexpr uint32_t miss = UINT32_MAX;
    /// Largest nexthop id (31 bits; the leaf marker takes the last value).
    static constexpr uint32_t nexthop_max = detail::poptrie_none - 1;

    /// errc::inval for a bad config, errc::nomem when the arenas cannot be reserved.
    static result<std::unique_ptr<poptrie>> create(const poptrie_config& cfg = {});
    ~poptrie();
    poptrie(const poptrie&) = delete;
    poptrie& operator=(const poptrie&) = delete;

    // --- writer ---
    /// Stages a route (add or change). errc::inval for a length past the key
    /// or a nexthop above nexthop_max (host bits are ignored); errc::nospc
    /// when the table holds max_routes. Nothing changes on error.
    status add(Key prefix, unsigned len, uint32_t nh);
    /// Stages a withdrawal. errc::noent if absent, errc::inval for a bad length.
    status del(Key prefix, unsigned len);
    /// Stages n changes in order, as add() and del() would, with the
    /// records of the changes a few ahead prefetched, so that a batch's cache
    /// misses overlap (a random route's slot record and its route list are
    /// each a miss: one change at a time waits for both). Stops at the first
    /// change that fails and returns its error; *staged (if given) is the
    /// number staged before it, which stay staged (commit() or abort()).
    status stage(const poptrie_update<Key>* u, size_t n, size_t* staged = nullptr);
    /// Publishes the staged batch (see above). errc::nospc: rolled back.
    status commit();
    /// Drops the staged batch.
    void abort();
    /// Replaces the table: every current route withdrawn, `routes` added, one commit.
    /// `It` points at {key, len, nh} (see poptrie_entry). Nothing changes on error.
    template <typename It>
    status load(It first, It last) {
        abort();
        stage_clear();
        for (; first != last; ++first)
            if (auto s = add(first->key, first->len, first->nh); !s) {
                abort();
                return s;
            }
        return commit();
    }
    /// Withdraws every route in one commit.
    status clear();
    /// The staged (or published) nexthop of exactly this prefix, or miss.
    uint32_t find(Key prefix, unsigned len) const noexcept;
    size_t size() const noexcept { return routes_; }
    poptrie_stats stats() const noexcept;

    // --- readers (inside an RCU read section) ---
    uint32_t lookup(Key k) const noexcept {
        const uint32_t e = __atomic_load_n(&direct_[top(k)], __ATOMIC_ACQUIRE);
        if (!(e & internal_bit)) return e == leaf_none ? miss : e;
        return walk(k, e);
    }
    /// n lookups, walked level by level across groups of up to `group` keys:
    /// every key's next node (or leaf) is prefetched before any of them is
    /// read, so the batch's cache misses overlap instead of queueing one key
    /// behind the other. Same answers as lookup() (the reference loop).
    /// 64 keys: at 32 the walk still waited on its prefetches (bench_fib,
    /// inside keys 0.78-0.84x rte_fib against 0.94-1.01x at 64, same rounds).
    static constexpr unsigned group = 64;
    void lookup_bulk(const Key* keys, uint32_t* out, unsigned n) const noexcept {
        for (unsigned off = 0; off < n; off += group)
            walk_group(keys + off, out + off, n - off < group ? n - off : group);
    }

private:
    static constexpr uint32_t internal_bit = detail::poptrie_internal;
    static constexpr uint32_t leaf_none = detail::poptrie_none;
    using node = detail::poptrie_node;

    static uint32_t top(Key k) noexcept { return uint32_t(k >> (KeyBits - DirectBits)); }
    // Key bits [depth, depth + 6), zero padded past the key's end.
    static unsigned chunk(Key k, unsigned depth) noexcept {
        if (depth + 6 <= KeyBits) return unsigned(k >> (KeyBits - 6 - depth)) & 63u;
        return unsigned(k << (depth + 6 - KeyBits)) & 63u;
    }
    static constexpr uint32_t node_words = sizeof(node) / sizeof(uint32_t);
    static constexpr uint32_t node_stride = 8;  // words between sibling nodes: none straddles a line
    static_assert(sizeof(node) == 6 * sizeof(uint32_t) && alignof(node) == 8);
    static const node* node_at(const uint32_t* w, uint32_t off) noexcept {
        return reinterpret_cast<const node*>(w + off);  // off is a multiple of 8: 32-byte aligned
    }
    static uint32_t leaf_at(const uint32_t* w, uint32_t off) noexcept {
        return __atomic_load_n(w + off, __ATOMIC_RELAXED);  // a same-shape commit rewrites it in place
    }
    uint32_t walk(Key k, uint32_t e) const noexcept {
        const uint32_t* w = mem_.data();
        const node* n = node_at(w, e & ~internal_bit);
        unsigned depth = DirectBits;
        for (;;) {
            const unsigned v = chunk(k, depth);
            const uint64_t upto = v == 63 ? ~0ULL : ((2ULL << v) - 1);
            if (n->vector & (1ULL << v)) {
                n = node_at(w, n->base1 + node_stride * (uint32_t(__builtin_popcountll(n->vector & upto)) - 1));
                depth += 6;
                continue;
            }
            const uint32_t l = leaf_at(w, n->base0 + uint32_t(__builtin_popcountll(n->leafvec & upto)) - 1);
            return l == leaf_none ? miss : l;
        }
    }

    // One group of lookup_bulk. Pass 0: prefetch every direct entry. Pass 1:
    // read them; a leaf answers, a node is prefetched. Then one pass per
    // level over the keys still inside nodes: read the node (fetched by the
    // previous pass), prefetch the child node or the leaf. Last pass: read
    // the leaves. One prefetch per step: a node is 32-byte aligned, so it
    // lies in one cache line (two would fill the core's line fill buffers,
    // where the walk stalls).
    void walk_group(const Key* k, uint32_t* out, unsigned n) const noexcept {
        const uint32_t* w = mem_.data();
        Key rest[group];     // the key shifted past the bits consumed: the next chunk is its top 6 bits
        uint32_t at[group];  // word offset of the node, then of the leaf
        uint8_t live[group], leafy[group];
        unsigned nl = 0, nf = 0;
        for (unsigned i = 0; i < n; ++i) __builtin_prefetch(&direct_[top(k[i])]);
        for (unsigned i = 0; i < n; ++i) {
            const uint32_t e = __atomic_load_n(&direct_[top(k[i])], __ATOMIC_ACQUIRE);
            if (!(e & internal_bit)) {
                out[i] = e == leaf_none ? miss : e;
                continue;
            }
            at[i] = e & ~internal_bit;
            rest[i] = Key(k[i] << DirectBits);
            __builtin_prefetch(w + at[i]);
            live[nl++] = uint8_t(i);
        }
        // Branch-free per key: whether the child is a node or a leaf is
        // data, not control flow (it is a coin toss the predictor loses).
        while (nl) {
            unsigned still = 0;
            for (unsigned j = 0; j < nl; ++j) {
                const unsigned i = live[j];
                const node& nd = *node_at(w, at[i]);
                const unsigned v = unsigned(rest[i] >> (KeyBits - 6));
                const uint64_t upto = ~0ULL >> (63 - v);
                const bool inner = (nd.vector >> v) & 1u;
                const uint32_t child = nd.base1 + node_stride * (uint32_t(__builtin_popcountll(nd.vector & upto)) - 1);
                const uint32_t leaf = nd.base0 + uint32_t(__builtin_popcountll(nd.leafvec & upto)) - 1;
                at[i] = inner ? child : leaf;
                rest[i] = Key(rest[i] << 6);
                __builtin_prefetch(w + at[i]);
                live[still] = uint8_t(i);
                leafy[nf] = uint8_t(i);
                still += inner;
                nf += !inner;
            }
            nl = still;
        }
        for (unsigned j = 0; j < nf; ++j) {
            const unsigned i = leafy[j];
            const uint32_t l = leaf_at(w, at[i]);
            out[i] = l == leaf_none ? miss : l;
        }
    }

    struct bnode {  // the writer's binary trie of the routes up to DirectBits long
        int32_t child[2] = {-1, -1};
        uint32_t nh = leaf_none;
    };
    struct lroute {  // a route longer than DirectBits, in its slot's list
        Key key;
        uint32_t nh;
        uint8_t len;
    };
    struct undo {
        Key key;
        uint8_t len;
        uint32_t old;  // leaf_none: the prefix was absent
    };
    struct slot_meta {  // the writer's record of a published sub-trie (its offset is in the entry)
        uint32_t nodes = 0, leaves = 0;
        uint8_t order = 0;  // of the block, in buddy units
    };
    struct switched {  // one direct entry a commit changed
        uint32_t slot, old_e, new_e;
        slot_meta old_m, new_m;
    };
    struct block {
        uint32_t unit;  // buddy unit (2 words)
        uint8_t order;
    };
    struct freed_list {  // blocks whose grace period ended, for the writer to reuse
        std::mutex mu;
        std::vector<block> v;
    };
    struct retired;

    poptrie() = default;
    static bool bit(Key k, unsigned b) noexcept { return (k >> (KeyBits - 1 - b)) & 1u; }
    static Key mask(Key k, unsigned len) noexcept {
        return len == 0 ? Key(0) : Key(k & (~Key(0) << (KeyBits - len)));
    }
    int32_t bt_new();
    // nh == leaf_none: remove; each returns the old nh (leaf_none: absent).
    uint32_t set(Key k, unsigned len, uint32_t nh) { return len > DirectBits ? list_set(k, len, nh) : bt_set(k, len, nh); }
    uint32_t bt_set(Key k, unsigned len, uint32_t nh);
    uint32_t list_set(Key k, unsigned len, uint32_t nh);
    uint32_t slot_walk(uint32_t slot) const noexcept;
    void mark(Key k, unsigned len);
    void clear_staged();
    void stage_clear();
    void reclaim();
    bool rebuild(uint32_t slot, std::vector<switched>& done);
    void build_node(const lroute* first, const lroute* last, unsigned depth, uint32_t inherited, uint32_t dst);
    // Where the sub-trie in tmp_* goes in its block, in words from the
    // block's start: [root][root's leaves, padded to node_stride][other
    // nodes, node_stride apart][their leaves]. build_node numbers the nodes
    // depth first from the root and pushes the root's leaves first.
    struct layout {
        uint32_t r;            // the root's leaves
        uint32_t rest_nodes;   // node 1
        uint32_t rest_leaves;  // leaf r
        uint32_t words;        // the whole sub-trie
        uint32_t node(uint32_t x) const noexcept { return x == 0 ? 0 : rest_nodes + node_stride * (x - 1); }
        uint32_t leaf(uint32_t j) const noexcept { return j < r ? node_words + j : rest_leaves + (j - r); }
    };
    layout tmp_layout() const noexcept;
    bool same_shape(uint32_t off, const slot_meta& m, const layout& at) const noexcept;
    void release(const slot_meta& m, uint32_t word_off, std::vector<block>& out) const;
    void retire_blocks();  // retire_ to RCU, if it holds any

    poptrie_config cfg_;
    uint32_t* direct_ = nullptr;
    detail::arena<uint32_t> direct_mem_;
    detail::arena<uint32_t> mem_;  // the sub-tries' nodes and leaves
    detail::buddy alloc_;          // over mem_, in units of unit_words
    static constexpr uint32_t unit_words = 2;
    std::vector<bnode> bt_;
    std::vector<int32_t> bt_free_;
    std::vector<undo> undo_;
    static constexpr uint8_t dirty_long = 1, dirty_short = 2;
    struct slot_state {  // the writer's record of one direct entry (one cache miss per update)
        // Its routes longer than DirectBits, sorted by (key, length): a route
        // comes before every route inside it, so build_node fills a node's
        // 64 slots in one pass over them (and a sub-trie is rebuilt from a
        // few contiguous lines, not a walk through the binary trie).
        std::vector<lroute> routes;
        slot_meta meta;                // the published sub-trie
        uint32_t inh = leaf_none;      // the nexthop of the longest route covering the slot
        uint8_t dirty = 0;             // why it must be rebuilt
    };
    std::vector<slot_state> slots_;
    std::vector<uint32_t> dirty_;
    std::vector<std::pair<uint32_t, uint32_t>> patches_;  // (word, leaf) to store when the commit succeeds
    std::vector<switched> done_;                          // commit's scratch: the entries it switched
    std::vector<block> retire_;                           // commit's scratch: blocks for RCU
    std::shared_ptr<freed_list> freed_;
    // Scratch for building one sub-trie.
    std::vector<node> tmp_nodes_;
    std::vector<uint32_t> tmp_leaves_;
    size_t routes_ = 0;
    size_t live_nodes_ = 0, live_leaves_ = 0;
    uint64_t commits_ = 0, rebuilt_ = 0, rollbacks_ = 0, patched_ = 0;
};

/// A table of (prefix, nexthop) pairs in one commit (a later duplicate wins);
/// `poptrie_key(prefix.addr)` gives the key (poptrie4.hpp, poptrie6.hpp).
template <typename Trie, typename Prefix>
result<std::unique_ptr<Trie>> poptrie_build(const std::vector<std::pair<Prefix, uint32_t>>& routes,
                                            const poptrie_config& cfg) {
    auto t = Trie::create(cfg);
    if (!t) return t.error();
    for (const auto& [p, nh] : routes)
        if (auto s = (*t)->add(poptrie_key(p.addr), p.len, nh); !s) return s.error();
    if (auto s = (*t)->commit(); !s) return s.error();
    return std::move(*t);
}

extern template class poptrie<uint32_t, 32, 18>;
extern template class poptrie<unsigned __int128, 128, 18>;

}  // namespace mpnet
