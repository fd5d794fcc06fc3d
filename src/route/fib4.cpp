// SPDX-License-Identifier: BSD-2-Clause
// IPv4 FIB on DPDK's rte_lpm with its RCU QSBR defer queue.
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

namespace mpnet {

struct fib4::impl {
    rte_lpm* lpm = nullptr;
    rte_rcu_qsbr* qsv = nullptr;
    unsigned readers = 0;
    // rte_lpm has no depth 0: the default route lives here (miss if none).
    std::atomic<uint32_t> default_nh{miss};

    ~impl() {
        if (lpm) rte_lpm_free(lpm);
        if (qsv) rte_free(qsv);
    }
};

fib4::fib4(std::unique_ptr<impl> p) : p_(std::move(p)) {}
fib4::~fib4() = default;

result<std::unique_ptr<fib4>> fib4::create(const std::string& name, const fib4_config& cfg) {
    if (cfg.readers == 0 || cfg.max_routes == 0 || cfg.tbl8_groups == 0) return errc::inval;
    auto p = std::make_unique<impl>();
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
    p->lpm = rte_lpm_create(n.c_str(), SOCKET_ID_ANY, &lc);
    if (!p->lpm) return errc::nomem;
    rte_lpm_rcu_config rc{};
    rc.v = p->qsv;
    rc.mode = RTE_LPM_QSBR_MODE_DQ;
    if (rte_lpm_rcu_qsbr_add(p->lpm, &rc) != 0) return errc::nomem;
    return std::unique_ptr<fib4>(new fib4(std::move(p)));
}

status fib4::add(const prefix4& pfx, uint32_t nh) {
    if (nh > nexthop_max) return errc::inval;
    if (pfx.len == 0) {
        p_->default_nh.store(nh, std::memory_order_release);
        return {};
    }
    int rc = rte_lpm_add(p_->lpm, pfx.addr.v, pfx.len, nh);
    if (rc == 0) return {};
    return rc == -ENOSPC ? errc::nospc : errc::inval;
}

status fib4::del(const prefix4& pfx) {
    if (pfx.len == 0) {
        return p_->default_nh.exchange(miss, std::memory_order_acq_rel) == miss ? status{errc::noent} : status{};
    }
    return rte_lpm_delete(p_->lpm, pfx.addr.v, pfx.len) == 0 ? status{} : status{errc::noent};
}

uint32_t fib4::lookup(ip4_addr dst) const noexcept {
    uint32_t nh;
    if (rte_lpm_lookup(p_->lpm, dst.v, &nh) == 0) return nh;
    return p_->default_nh.load(std::memory_order_acquire);
}

void fib4::lookup_bulk(const uint32_t* dst, uint32_t* nh, unsigned n) const noexcept {
    rte_lpm_lookup_bulk(p_->lpm, dst, nh, n);
    const uint32_t dflt = p_->default_nh.load(std::memory_order_acquire);
    for (unsigned i = 0; i < n; ++i) nh[i] = (nh[i] & RTE_LPM_LOOKUP_SUCCESS) ? (nh[i] & 0x00ffffff) : dflt;
}

void fib4::quiescent(unsigned reader) noexcept { rte_rcu_qsbr_quiescent(p_->qsv, reader); }
void fib4::offline(unsigned reader) noexcept { rte_rcu_qsbr_thread_offline(p_->qsv, reader); }
void fib4::online(unsigned reader) noexcept { rte_rcu_qsbr_thread_online(p_->qsv, reader); }

}  // namespace mpnet
