// SPDX-License-Identifier: BSD-2-Clause
// IPv6 FIB snapshot: open addressing over (masked address, length).
#include "mpnet/route/fib6.hpp"

#include <algorithm>
#include <cstring>

namespace mpnet {

struct fib6::table {
    struct slot {
        ip6_addr key{};
        uint8_t len = 0;
        bool used = false;
        uint32_t nh = miss;
    };
    std::vector<uint8_t> lens;  // distinct lengths, longest first
    std::vector<slot> slots;    // power of two, at most half full
    size_t mask = 0;
    size_t n = 0;

    static uint64_t hash(const ip6_addr& a, uint8_t len) noexcept {
        uint64_t hi, lo;
        std::memcpy(&hi, a.b.data(), 8);
        std::memcpy(&lo, a.b.data() + 8, 8);
        uint64_t h = (hi * 0x9e3779b97f4a7c15ULL) ^ (lo + 0xc2b2ae3d27d4eb4fULL + len);
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
        return h ^ (h >> 32);
    }
    const slot* find(const ip6_addr& k, uint8_t len) const noexcept {
        for (size_t i = hash(k, len) & mask;; i = (i + 1) & mask) {
            const slot& s = slots[i];
            if (!s.used) return nullptr;
            if (s.len == len && s.key == k) return &s;
        }
    }
    uint32_t lookup(const ip6_addr& a) const noexcept {
        for (uint8_t len : lens)
            if (const slot* s = find(prefix6::of(a, len).addr, len)) return s->nh;
        return miss;
    }
};

fib6::fib6() : cur_(new table{{}, std::vector<table::slot>(2), 1, 0}) {}

fib6::~fib6() { delete cur_.read(); }

void fib6::assign(const std::vector<std::pair<prefix6, uint32_t>>& routes) {
    auto* t = new table;
    size_t cap = 2;
    while (cap < routes.size() * 2 + 2) cap <<= 1;
    t->slots.resize(cap);
    t->mask = cap - 1;
    for (const auto& [p, nh] : routes) {
        size_t i = table::hash(p.addr, p.len) & t->mask;
        while (t->slots[i].used && !(t->slots[i].len == p.len && t->slots[i].key == p.addr)) i = (i + 1) & t->mask;
        if (!t->slots[i].used) ++t->n;
        t->slots[i] = {p.addr, p.len, true, nh};
        if (std::find(t->lens.begin(), t->lens.end(), p.len) == t->lens.end()) t->lens.push_back(p.len);
    }
    std::sort(t->lens.begin(), t->lens.end(), std::greater<>());
    cur_.replace(t);
}

uint32_t fib6::lookup(const ip6_addr& dst) const noexcept { return cur_.read()->lookup(dst); }

void fib6::lookup_bulk(const ip6_addr* dst, uint32_t* nh, unsigned n) const noexcept {
    const table* t = cur_.read();
    for (unsigned i = 0; i < n; ++i) nh[i] = t->lookup(dst[i]);
}

size_t fib6::size() const noexcept { return cur_.read()->n; }

}  // namespace mpnet
