// SPDX-License-Identifier: BSD-2-Clause
// Poptrie-family IPv4 LPM: construction from a binary trie, bulk lookup.
#include "mpnet/route/poptrie4.hpp"

namespace mpnet {

// The binary trie the structure is built from (construction only).
struct poptrie4::bnode {
    int32_t child[2] = {-1, -1};
    uint32_t nh = leaf_none;  // a route ends here when not leaf_none
    bool deeper = false;      // some route lies strictly below this node
};

namespace {

// Walks `bits` levels from node i along the bits of `path` (MSB first),
// updating the inherited nexthop; returns the node reached or -1.
template <typename Pool>
int32_t walk(const Pool& pool, int32_t i, uint32_t path, unsigned bits, uint32_t* inherited) {
    for (unsigned b = 0; b < bits && i >= 0; ++b) {
        const unsigned dir = (path >> (bits - 1 - b)) & 1u;
        i = pool[size_t(i)].child[dir];
        if (i >= 0 && pool[size_t(i)].nh != 0x7fffffffu) *inherited = pool[size_t(i)].nh;
    }
    return i;
}

}  // namespace

poptrie4::poptrie4(const std::vector<std::pair<prefix4, uint32_t>>& routes) {
    std::vector<bnode> pool(1);
    for (const auto& [p, nh] : routes) {
        int32_t i = 0;
        for (unsigned b = 0; b < p.len; ++b) {
            pool[size_t(i)].deeper = true;
            const unsigned dir = (p.addr.v >> (31 - b)) & 1u;
            if (pool[size_t(i)].child[dir] < 0) {
                pool[size_t(i)].child[dir] = int32_t(pool.size());
                pool.emplace_back();
            }
            i = pool[size_t(i)].child[dir];
        }
        pool[size_t(i)].nh = nh;
    }
    direct_.assign(1u << direct_bits, leaf_none);
    for (uint32_t top = 0; top < (1u << direct_bits); ++top) {
        uint32_t inherited = pool[0].nh;
        const int32_t i = walk(pool, 0, top, direct_bits, &inherited);
        if (i >= 0 && pool[size_t(i)].deeper) {
            const uint32_t at = uint32_t(nodes_.size());
            nodes_.emplace_back();
            build_node(i, direct_bits, inherited, pool, at);
            direct_[top] = internal_bit | at;
        } else {
            direct_[top] = inherited;
        }
    }
}

void poptrie4::build_node(int32_t b, unsigned depth, uint32_t inherited, const std::vector<bnode>& pool, uint32_t dst) {
    // The 64 children of this node: the binary trie 6 levels further down.
    // Past bit 32 the key is zero padding: the walk stops at /32.
    const unsigned real = depth + 6 <= 32 ? 6u : 32u - depth;
    int32_t child_at[64];
    uint32_t nh_at[64];
    for (unsigned v = 0; v < 64; ++v) {
        uint32_t inh = inherited;
        const int32_t i = walk(pool, b, v >> (6 - real), real, &inh);
        child_at[v] = (i >= 0 && pool[size_t(i)].deeper && depth + real < 32) ? i : -1;
        nh_at[v] = inh;
    }
    node n;
    n.base0 = uint32_t(leaves_.size());
    bool first_leaf = true;
    uint32_t last = 0;
    for (unsigned v = 0; v < 64; ++v) {
        if (child_at[v] >= 0) {
            n.vector |= 1ULL << v;
            continue;
        }
        if (first_leaf || nh_at[v] != last) {
            n.leafvec |= 1ULL << v;
            leaves_.push_back(nh_at[v]);
            last = nh_at[v];
            first_leaf = false;
        }
    }
    // Children sit contiguously from base1: reserve them, then fill each.
    n.base1 = uint32_t(nodes_.size());
    nodes_.resize(nodes_.size() + unsigned(__builtin_popcountll(n.vector)));
    nodes_[dst] = n;
    uint32_t k = n.base1;
    for (unsigned v = 0; v < 64; ++v)
        if (child_at[v] >= 0) build_node(child_at[v], depth + 6, nh_at[v], pool, k++);
}

void poptrie4::lookup_bulk(const uint32_t* keys, uint32_t* out, unsigned n) const noexcept {
    for (unsigned i = 0; i < n; ++i) __builtin_prefetch(&direct_[keys[i] >> (32 - direct_bits)]);
    for (unsigned i = 0; i < n; ++i) out[i] = lookup(keys[i]);
}

}  // namespace mpnet
