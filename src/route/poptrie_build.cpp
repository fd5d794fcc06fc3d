// SPDX-License-Identifier: BSD-2-Clause
// Poptrie construction shared by poptrie4 and poptrie6: a binary trie of the
// routes, then the direct table and the 64-way nodes with leaf compression.
#include "mpnet/route/poptrie_node.hpp"

namespace mpnet::detail {

using std::size_t;

namespace {

// The binary trie the structure is built from.
struct bnode {
    int32_t child[2] = {-1, -1};
    uint32_t nh = poptrie_none;  // a route ends here when not poptrie_none
    bool deeper = false;         // some route lies strictly below this node
};

// Walks `bits` levels from node i along the bits of `path` (MSB first),
// updating the inherited nexthop; returns the node reached or -1.
int32_t walk(const std::vector<bnode>& pool, int32_t i, uint32_t path, unsigned bits, uint32_t* inherited) {
    for (unsigned b = 0; b < bits && i >= 0; ++b) {
        const unsigned dir = (path >> (bits - 1 - b)) & 1u;
        i = pool[size_t(i)].child[dir];
        if (i >= 0 && pool[size_t(i)].nh != poptrie_none) *inherited = pool[size_t(i)].nh;
    }
    return i;
}

struct builder {
    const std::vector<bnode>& pool;
    unsigned key_bits;
    poptrie_tables& t;

    void node(int32_t b, unsigned depth, uint32_t inherited, uint32_t dst) {
        // The 64 children: the binary trie 6 levels further down. Past the
        // key's last bit the key is zero padding: the walk stops there.
        const unsigned real = depth + 6 <= key_bits ? 6u : key_bits - depth;
        int32_t child_at[64];
        uint32_t nh_at[64];
        for (unsigned v = 0; v < 64; ++v) {
            uint32_t inh = inherited;
            const int32_t i = walk(pool, b, v >> (6 - real), real, &inh);
            child_at[v] = (i >= 0 && pool[size_t(i)].deeper && depth + real < key_bits) ? i : -1;
            nh_at[v] = inh;
        }
        poptrie_node n;
        n.base0 = uint32_t(t.leaves.size());
        bool first_leaf = true;
        uint32_t last = 0;
        for (unsigned v = 0; v < 64; ++v) {
            if (child_at[v] >= 0) {
                n.vector |= 1ULL << v;
                continue;
            }
            if (first_leaf || nh_at[v] != last) {
                n.leafvec |= 1ULL << v;
                t.leaves.push_back(nh_at[v]);
                last = nh_at[v];
                first_leaf = false;
            }
        }
        // Children sit contiguously from base1: reserve them, then fill each.
        n.base1 = uint32_t(t.nodes.size());
        t.nodes.resize(t.nodes.size() + unsigned(__builtin_popcountll(n.vector)));
        t.nodes[dst] = n;
        uint32_t k = n.base1;
        for (unsigned v = 0; v < 64; ++v)
            if (child_at[v] >= 0) node(child_at[v], depth + real, nh_at[v], k++);
    }
};

}  // namespace

poptrie_tables poptrie_build(const std::vector<poptrie_route>& routes, unsigned key_bits, unsigned direct_bits) {
    std::vector<bnode> pool(1);
    for (const auto& r : routes) {
        int32_t i = 0;
        for (unsigned b = 0; b < r.len; ++b) {
            pool[size_t(i)].deeper = true;
            const unsigned dir = unsigned(r.key >> (127 - b)) & 1u;
            if (pool[size_t(i)].child[dir] < 0) {
                pool[size_t(i)].child[dir] = int32_t(pool.size());
                pool.emplace_back();
            }
            i = pool[size_t(i)].child[dir];
        }
        pool[size_t(i)].nh = r.nh;
    }
    poptrie_tables t;
    builder bld{pool, key_bits, t};
    t.direct.assign(size_t(1) << direct_bits, poptrie_none);
    for (uint32_t top = 0; top < (1u << direct_bits); ++top) {
        uint32_t inherited = pool[0].nh;
        const int32_t i = walk(pool, 0, top, direct_bits, &inherited);
        if (i >= 0 && pool[size_t(i)].deeper) {
            const uint32_t at = uint32_t(t.nodes.size());
            t.nodes.emplace_back();
            bld.node(i, direct_bits, inherited, at);
            t.direct[top] = poptrie_internal | at;
        } else {
            t.direct[top] = inherited;
        }
    }
    return t;
}

}  // namespace mpnet::detail
