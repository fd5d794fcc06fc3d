// SPDX-License-Identifier: BSD-2-Clause
// IPv6 FIB: mpnet's Poptrie, or DPDK's rte_lpm6 rebuilt and swapped per commit.
#include "mpnet/route/fib6.hpp"

#include <rte_lpm6.h>
#include <rte_memory.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "mpnet/route/poptrie6.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {

namespace {

// One published rte_lpm6 (immutable once published; freed after a grace period).
struct lpm6_table {
    rte_lpm6* lpm = nullptr;
    uint32_t default_nh = fib6::miss;  // rte_lpm6 has no depth 0
    size_t routes = 0;
    uint32_t tbl8s = 0;
    ~lpm6_table() {
        if (lpm) rte_lpm6_free(lpm);
    }
};

constexpr uint32_t lpm6_nh_max = (1u << 21) - 1;

}  // namespace

struct fib6::impl {
    fib_backend backend = fib_backend::poptrie;
    uint32_t max_routes = 0;
    std::string name;
    // poptrie
    std::unique_ptr<poptrie6> trie;
    // rte_lpm6: the writer's routes, what is staged, and the published table.
    std::map<prefix6, uint32_t> routes, committed;
    bool staged = false;
    rcu_ptr<lpm6_table> cur;
    uint64_t commits = 0;

    ~impl() {
        delete cur.read();
        // Tables retired by earlier commits are freed by RCU callbacks: let
        // them run while DPDK is still up (rte_lpm6_free needs its heap).
        if (backend == fib_backend::dpdk) rcu_barrier();
    }
};

fib6::fib6(std::unique_ptr<impl> p) : p_(std::move(p)) {}
fib6::~fib6() = default;

result<std::unique_ptr<fib6>> fib6::create(const std::string& name, const fib6_config& cfg) {
    if (cfg.max_routes == 0) return errc::inval;
    auto p = std::make_unique<impl>();
    p->backend = cfg.backend;
    p->max_routes = cfg.max_routes;
    p->name = name.substr(0, 16);
    if (cfg.backend == fib_backend::poptrie) {
        poptrie_config pc;
        pc.max_routes = cfg.max_routes;
        auto t = poptrie6::create(pc);
        if (!t) return t.error();
        p->trie = std::move(*t);
    } else {
        (void)p->cur.publish(new lpm6_table());
    }
    return std::unique_ptr<fib6>(new fib6(std::move(p)));
}

fib_backend fib6::backend() const noexcept { return p_->backend; }
uint32_t fib6::nexthop_max() const noexcept { return p_->trie ? poptrie6::nexthop_max : lpm6_nh_max; }

status fib6::add(const prefix6& p, uint32_t nh) {
    if (nh > nexthop_max()) return errc::inval;
    if (p_->trie) return p_->trie->add(poptrie_key(p.addr), p.len, nh);
    auto it = p_->routes.find(p);
    if (it == p_->routes.end() && p_->routes.size() >= p_->max_routes) return errc::nospc;
    p_->routes[p] = nh;
    p_->staged = true;
    return {};
}

status fib6::del(const prefix6& p) {
    if (p_->trie) return p_->trie->del(poptrie_key(p.addr), p.len);
    if (p_->routes.erase(p) == 0) return errc::noent;
    p_->staged = true;
    return {};
}

void fib6::abort() {
    if (p_->trie) return p_->trie->abort();
    p_->routes = p_->committed;
    p_->staged = false;
}

status fib6::commit() {
    if (p_->trie) return p_->trie->commit();
    if (!p_->staged) return {};
    auto t = std::make_unique<lpm6_table>();
    t->routes = p_->routes.size();
    // Enough tbl8 groups for the table: a prefix longer than 24 bits needs up
    // to 13 of its own; real tables share most (the full table fits in 2^17).
    t->tbl8s = uint32_t(std::clamp<size_t>(p_->routes.size() * 14, 256, size_t(1) << 17));
    static std::atomic<uint32_t> seq{0};
    const std::string n = fmt::format("{}6.{}", p_->name, seq.fetch_add(1));
    rte_lpm6_config lc{};
    lc.max_rules = uint32_t(std::max<size_t>(p_->routes.size(), 1));
    lc.number_tbl8s = t->tbl8s;
    t->lpm = rte_lpm6_create(n.c_str(), SOCKET_ID_ANY, &lc);
    bool ok = t->lpm != nullptr;
    for (auto it = p_->routes.begin(); ok && it != p_->routes.end(); ++it) {
        if (it->first.len == 0)
            t->default_nh = it->second;
        else
            ok = rte_lpm6_add(t->lpm, it->first.addr.b.data(), uint8_t(it->first.len), it->second) == 0;
    }
    if (!ok) {
        abort();
        return errc::nospc;
    }
    rcu_retire(p_->cur.publish(t.release()));
    p_->committed = p_->routes;
    p_->staged = false;
    ++p_->commits;
    return {};
}

uint32_t fib6::lookup(const ip6_addr& dst) const noexcept {
    if (p_->trie) return p_->trie->lookup(poptrie_key(dst));
    const lpm6_table* t = p_->cur.read();
    uint32_t nh;
    if (t->lpm && rte_lpm6_lookup(t->lpm, dst.b.data(), &nh) == 0) return nh;
    return t->default_nh;
}

void fib6::lookup_bulk(const ip6_addr* dst, uint32_t* nh, unsigned n) const noexcept {
    if (p_->trie) {
        unsigned __int128 k[64];
        for (unsigned done = 0; done < n;) {
            const unsigned c = std::min(n - done, 64u);
            for (unsigned i = 0; i < c; ++i) k[i] = poptrie_key(dst[done + i]);
            p_->trie->lookup_bulk(k, nh + done, c);
            done += c;
        }
        return;
    }
    const lpm6_table* t = p_->cur.read();
    if (!t->lpm) {
        std::fill_n(nh, n, t->default_nh);
        return;
    }
    // rte_lpm6's bulk call: -1 where no route matched.
    static_assert(sizeof(ip6_addr) == 16);
    auto* keys = reinterpret_cast<uint8_t(*)[16]>(const_cast<ip6_addr*>(dst));
    int32_t out[64];
    for (unsigned done = 0; done < n;) {
        const unsigned c = std::min(n - done, 64u);
        rte_lpm6_lookup_bulk_func(t->lpm, keys + done, out, c);
        for (unsigned i = 0; i < c; ++i) nh[done + i] = out[i] < 0 ? t->default_nh : uint32_t(out[i]);
        done += c;
    }
}

size_t fib6::size() const noexcept { return p_->trie ? p_->trie->size() : p_->cur.read()->routes; }

fib_stats fib6::stats() const noexcept {
    fib_stats s;
    if (p_->trie) return fib_stats_of(p_->trie->stats());
    const lpm6_table* t = p_->cur.read();
    s.routes = t->routes;
    // The 2^24-entry first level plus the tbl8 groups (4-byte entries).
    s.memory_bytes = t->lpm ? (size_t(1) << 24) * 4 + size_t(t->tbl8s) * 256 * 4 : 0;
    s.commits = p_->commits;
    return s;
}

}  // namespace mpnet
