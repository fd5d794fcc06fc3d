// SPDX-License-Identifier: BSD-2-Clause
// Poptrie-family IPv6 LPM: construction from a binary trie, bulk lookup.
#include "mpnet/route/poptrie6.hpp"

namespace mpnet {

struct poptrie6::bnode {
    int32_t child[2] = {-1, -1};
    uint32_t nh = leaf_none;
    bool deeper = false;
};

namespace {

// Walks `bits` levels from node i along the top `bits` bits of `path`,
// updating the inherited nexthop; returns the node reached or -1.
template <typename Pool>
int32_t walk6(const Pool& pool, int32_t i, uint32_t path, unsigned bits, uint32_t* inherited) {
    for (unsigned b = 0; b < bits && i >= 0; ++b) {
        const unsigned dir = (path >> (bits - 1 - b)) & 1u;
        i = pool[size_t(i)].child[dir];
        if (i >= 0 && pool[size_t(i)].nh != 0x7fffffffu) *inherited = pool[size_t(i)].nh;
    }
    return i;
}

}  // namespace

poptrie6::poptrie6(const std::vector<std::pair<prefix6, uint32_t>>& routes) {
    std::vector<bnode> pool(1);
    for (const auto& [p, nh] : routes) {
        const unsigned __int128 k = key_of(p.addr);
        int32_t i = 0;
        for (unsigned b = 0; b < p.len; ++b) {
            pool[size_t(i)].deeper = true;
            const unsigned dir = unsigned(k >> (127 - b)) & 1u;
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
        const int32_t i = walk6(pool, 0, top, direct_bits, &inherited);
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

void poptrie6::build_node(int32_t b, unsigned depth, uint32_t inherited, const std::vector<bnode>& pool, uint32_t dst) {
    // Past bit 128 the key is zero padding: the walk stops at /128.
    const unsigned real = depth + 6 <= 128 ? 6u : 128u - depth;
    int32_t child_at[64];
    uint32_t nh_at[64];
    for (unsigned v = 0; v < 64; ++v) {
        uint32_t inh = inherited;
        const int32_t i = walk6(pool, b, v >> (6 - real), real, &inh);
        child_at[v] = (i >= 0 && pool[size_t(i)].deeper && depth + real < 128) ? i : -1;
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
    n.base1 = uint32_t(nodes_.size());
    nodes_.resize(nodes_.size() + unsigned(__builtin_popcountll(n.vector)));
    nodes_[dst] = n;
    uint32_t k = n.base1;
    for (unsigned v = 0; v < 64; ++v)
        if (child_at[v] >= 0) build_node(child_at[v], depth + real, nh_at[v], pool, k++);
}

void poptrie6::lookup_bulk(const ip6_addr* keys, uint32_t* out, unsigned n) const noexcept {
    for (unsigned i = 0; i < n; ++i) __builtin_prefetch(&direct_[(unsigned(keys[i].b[0]) << 8) | keys[i].b[1]]);
    for (unsigned i = 0; i < n; ++i) out[i] = lookup(keys[i]);
}

}  // namespace mpnet
