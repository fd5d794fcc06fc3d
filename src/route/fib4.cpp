// SPDX-License-Identifier: BSD-2-Clause
// IPv4 FIB: mpnet's Poptrie, or DPDK's rte_lpm with its RCU QSBR defer queue.
#include "mpnet/route/fib4.hpp"

// rte_lpm_rcu_qsbr_add is still marked experimental in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API 1

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cassert>

#include <fmt/format.h>

#include "mpnet/route/poptrie4.hpp"

namespace mpnet {

const char* fib_backend_name(fib_backend b) noexcept { return b == fib_backend::poptrie ? "poptrie" : "dpdk"; }

std::optional<fib_backend> fib_backend_parse(std::string_view s) noexcept {
    if (s == "poptrie") return fib_backend::poptrie;
    if (s == "dpdk") return fib_backend::dpdk;
    return std::nullopt;
}

struct fib4::impl {
    fib_backend backend = fib_backend::poptrie;
    // poptrie
    std::unique_ptr<poptrie4> trie;
    // rte_lpm
    rte_lpm* lpm = nullptr;
    rte_rcu_qsbr* qsv = nullptr;
    unsigned readers = 0;
    uint32_t max_rules = 0, tbl8s = 0;
    size_t lpm_routes = 0;
    // rte_lpm has no depth 0: the default route lives here (miss if none).
    std::atomic<uint32_t> default_nh{miss};

    ~impl() {
        if (lpm) rte_lpm_free(lpm);
        if (qsv) rte_free(qsv);
    }
};

fib_stats fib_stats_of(const poptrie_stats& t) noexcept {
    fib_stats s;
    s.routes = t.routes;
    s.memory_bytes = t.memory_bytes;
    s.commits = t.commits;
    s.rebuilt = t.rebuilt;
    s.rollbacks = t.rollbacks;
    return s;
}

fib4::fib4(std::unique_ptr<impl> p) : p_(std::move(p)) {}
fib4::~fib4() = default;

result<std::unique_ptr<fib4>> fib4::create(const std::string& name, const fib4_config& cfg) {
    if (cfg.readers == 0 || cfg.max_routes == 0 || cfg.tbl8_groups == 0) return errc::inval;
    auto p = std::make_unique<impl>();
    p->backend = cfg.backend;
    if (cfg.backend == fib_backend::poptrie) {
        poptrie_config pc;
        pc.max_routes = cfg.max_routes;
        auto t = poptrie4::create(pc);
        if (!t) return t.error();
        p->trie = std::move(*t);
        return std::unique_ptr<fib4>(new fib4(std::move(p)));
    }
    p->readers = cfg.readers;
    const size_t qsz = rte_rcu_qsbr_get_memsize(cfg.readers);
    p->qsv = static_cast<rte_rcu_qsbr*>(rte_zmalloc("mpnet_fib_qsbr", qsz, RTE_CACHE_LINE_SIZE));
    if (!p->qsv || rte_rcu_qsbr_init(p->qsv, cfg.readers) != 0) return errc::nomem;
    for (unsigned r = 0; r < cfg.readers; ++r) {
        rte_rcu_qsbr_thread_register(p->qsv, r);
        rte_rcu_qsbr_thread_online(p->qsv, r);
    }
    static std::atomic<uint32_t> seq{0};
    std::string n = fmt::format("{}.{}", name.substr(0, 16), seq.fetch_add(1));
    rte_lpm_config lc{};
    lc.max_rules = cfg.max_routes;
    lc.number_tbl8s = cfg.tbl8_groups;
    p->max_rules = cfg.max_routes;
    p->tbl8s = cfg.tbl8_groups;
    p->lpm = rte_lpm_create(n.c_str(), SOCKET_ID_ANY, &lc);
    if (!p->lpm) return errc::nomem;
    rte_lpm_rcu_config rc{};
    rc.v = p->qsv;
    rc.mode = RTE_LPM_QSBR_MODE_DQ;
    if (rte_lpm_rcu_qsbr_add(p->lpm, &rc) != 0) return errc::nomem;
    return std::unique_ptr<fib4>(new fib4(std::move(p)));
}

fib_backend fib4::backend() const noexcept { return p_->backend; }

uint32_t fib4::nexthop_max() const noexcept {
    return p_->trie ? poptrie4::nexthop_max : (1u << 24) - 1;
}

status fib4::add(const prefix4& pfx, uint32_t nh) {
    if (nh > nexthop_max()) return errc::inval;
    if (p_->trie) {
        if (auto s = p_->trie->add(pfx.addr.v, pfx.len, nh); !s) return s;
        return p_->trie->commit();
    }
    if (pfx.len == 0) {
        if (p_->default_nh.exchange(nh, std::memory_order_acq_rel) == miss) ++p_->lpm_routes;
        return {};
    }
    uint32_t old;
    const bool existed = rte_lpm_is_rule_present(p_->lpm, pfx.addr.v, uint8_t(pfx.len), &old) == 1;
    int rc = rte_lpm_add(p_->lpm, pfx.addr.v, uint8_t(pfx.len), nh);
    if (rc == 0) {
        if (!existed) ++p_->lpm_routes;
        return {};
    }
    return rc == -ENOSPC ? errc::nospc : errc::inval;
}

status fib4::del(const prefix4& pfx) {
    if (p_->trie) {
        if (auto s = p_->trie->del(pfx.addr.v, pfx.len); !s) return s;
        return p_->trie->commit();
    }
    if (pfx.len == 0) {
        if (p_->default_nh.exchange(miss, std::memory_order_acq_rel) == miss) return errc::noent;
        --p_->lpm_routes;
        return {};
    }
    if (rte_lpm_delete(p_->lpm, pfx.addr.v, uint8_t(pfx.len)) != 0) return errc::noent;
    --p_->lpm_routes;
    return {};
}

uint32_t fib4::lookup(ip4_addr dst) const noexcept {
    if (p_->trie) return p_->trie->lookup(dst.v);
    uint32_t nh;
    if (rte_lpm_lookup(p_->lpm, dst.v, &nh) == 0) return nh;
    return p_->default_nh.load(std::memory_order_acquire);
}

void fib4::lookup_bulk(const uint32_t* dst, uint32_t* nh, unsigned n) const noexcept {
    if (p_->trie) return p_->trie->lookup_bulk(dst, nh, n);
    rte_lpm_lookup_bulk(p_->lpm, dst, nh, n);
    const uint32_t dflt = p_->default_nh.load(std::memory_order_acquire);
    for (unsigned i = 0; i < n; ++i) nh[i] = (nh[i] & RTE_LPM_LOOKUP_SUCCESS) ? (nh[i] & 0x00ffffff) : dflt;
}

void fib4::quiescent(unsigned reader) noexcept {
    if (p_->qsv) rte_rcu_qsbr_quiescent(p_->qsv, reader);
}
void fib4::offline(unsigned reader) noexcept {
    if (p_->qsv) rte_rcu_qsbr_thread_offline(p_->qsv, reader);
}
void fib4::online(unsigned reader) noexcept {
    if (p_->qsv) rte_rcu_qsbr_thread_online(p_->qsv, reader);
}

fib_stats fib4::stats() const noexcept {
    fib_stats s;
    if (p_->trie) return fib_stats_of(p_->trie->stats());
    s.routes = p_->lpm_routes;
    // tbl24 (2^24 entries) + the tbl8 groups + the rules, 4-byte entries.
    s.memory_bytes = (size_t(1) << 24) * 4 + size_t(p_->tbl8s) * 256 * 4 + size_t(p_->max_rules) * 8;
    return s;
}

}  // namespace mpnet
