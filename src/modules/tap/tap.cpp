// SPDX-License-Identifier: BSD-2-Clause
// tap(4) and the exception path to the host kernel, a module over the seams
// alone. See include/mpnet/modules/tap.hpp for what it does and its locking.
#include "mpnet/modules/tap.hpp"

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "mpnet/core/counters.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet {
namespace {

enum tap_ctr : size_t { to_host, from_host, tap_ctr_count };

struct tap_state {
    std::atomic<ifindex_t> exception_if{0};  // the exception path's tap (0: none)
    std::atomic<uint32_t> vdev_seq{0};      // DPDK device names are unique per process
    drop_reason no_host_mac{};
};

struct tap_softc final : if_softc {
    std::string host_if;
    std::atomic<uint64_t> host_mac{0};  // ether_addr::to_u64; 0: unknown
    bool port_knows = false;            // the port reads the host's MAC (else: learned from its frames); set at create
    uint64_t next_read_ns = 0;          // [ctl] when the port's reading is due again
    percpu_counters<tap_ctr_count> ctr;  // one slot per lcore of the stack
    explicit tap_softc(size_t lcore_slots) : ctr(lcore_slots) {}
};

bool is_tap(const ifnet& ifp) noexcept { return ifp.kind().name == "tap"; }
tap_softc& sc(const ifnet& ifp) noexcept { return *static_cast<tap_softc*>(ifp.softc()); }

// ---- data path ------------------------------------------------------------------------------

// The host's packet from one of our own addresses: mpnet's local output.
bool from_host_local(dp_ctx& c, mbuf* m, uint16_t type, tap_softc& s) noexcept {
    l3_next src;
    if (type == ethertype_ip4 && pkt_head_len(m) >= sizeof(ether_hdr) + sizeof(ip4_hdr)) {
        src.family = 4;
        src.v4 = ip4_addr(pkt_header<ip4_hdr>(m, sizeof(ether_hdr))->src.get());
    } else if (type == ethertype_ip6 && pkt_head_len(m) >= sizeof(ether_hdr) + sizeof(ip6_hdr)) {
        src.family = 6;
        src.v6 = pkt_header<ip6_hdr>(m, sizeof(ether_hdr))->src;
        if (src.v6.is_link_local() || src.v6.is_multicast()) return false;
    } else {
        return false;
    }
    if (!c.is_local(src)) return false;
    pkt_adj(m, sizeof(ether_hdr));
    drop_reason why{};
    if (src.family == 4) {
        if (!ip4_validate(m, &why)) {
            c.drop(m, why);
            return true;
        }
        s.ctr.slot(c.lcore()).add(from_host);
        c.ip4_output(m);
    } else {
        if (!ip6_validate(m, &why)) {
            c.drop(m, why);
            return true;
        }
        s.ctr.slot(c.lcore()).add(from_host);
        c.ip6_output(m);
    }
    return true;
}

void tap_input(dp_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n, void* arg) noexcept {
    auto& st = *static_cast<tap_state*>(arg);
    tap_softc& s = sc(ifp);
    const bool exception = st.exception_if.load(std::memory_order_relaxed) == ifp.index();
    if (!exception && s.port_knows) return c.ether_input(ifp, pkts, n);
    const ether_addr me = ifp.lladdr();
    mbuf* rest[pkt_batch::capacity];
    uint16_t k = 0;
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        const auto* eh = pkt_header<ether_hdr>(m);
        if (!eh) {
            rest[k++] = m;  // Ethernet input names it
            continue;
        }
        if (!s.port_knows && !eh->src.is_group() && !eh->src.is_zero() && !(eh->src == me)) {
            const uint64_t v = eh->src.to_u64();
            if (s.host_mac.load(std::memory_order_relaxed) != v) s.host_mac.store(v, std::memory_order_relaxed);
        }
        if (exception && eh->dst == me && from_host_local(c, m, eh->type.get(), s)) continue;
        rest[k++] = m;
    }
    if (k) c.ether_input(ifp, rest, k);
}

// What no handler of mpnet took: to the host, unchanged.
bool tap_exception(dp_ctx& c, ifnet& in, mbuf* m, const l4_info& li, void* arg) noexcept {
    auto& st = *static_cast<tap_state*>(arg);
    const ifindex_t ix = st.exception_if.load(std::memory_order_relaxed);
    if (!ix || li.group || in.index() == ix) return false;
    ifnet* t = c.if_lookup(ix);
    if (!t || !t->is_running() || !is_tap(*t)) return false;  // no path now: the stack's default
    tap_softc& s = sc(*t);
    const ether_addr host = ether_addr::from_u64(s.host_mac.load(std::memory_order_relaxed));
    if (host.is_zero()) {
        c.drop(m, st.no_host_mac);
        return true;
    }
    s.ctr.slot(c.lcore()).add(to_host);
    c.ether_output(*t, m, host, li.family == 6 ? ethertype_ip6 : ethertype_ip4);
    return true;
}

// ---- control plane -------------------------------------------------------------------------

std::unique_ptr<port> tap_open_port(module_ctl& ctl, std::string_view ifname, void* arg) {
    auto& st = *static_cast<tap_state*>(arg);
    const uint32_t seq = st.vdev_seq.fetch_add(1, std::memory_order_relaxed);
    return ctl.port_open(fmt::format("net_tap_mpnet{},iface={}", seq, ifname));
}

// The host's MAC as the port reads it (zero: it cannot).
ether_addr read_host_mac(const ifnet& ifp) {
    const ether_addr a = ifp.port() ? ifp.port()->peer_mac() : ether_addr{};
    if (!a.is_zero()) sc(ifp).host_mac.store(a.to_u64(), std::memory_order_relaxed);
    return a;
}

status tap_create(module_ctl&, ifnet& ifp, void*) {
    auto s = std::make_unique<tap_softc>(ifp.counters().slots());
    s->host_if = ifp.name();
    ifp.set_softc(std::move(s));
    ifp.set_flags(iff::broadcast | iff::simplex | iff::multicast);
    const ether_addr host = read_host_mac(ifp);
    sc(ifp).port_knows = !host.is_zero();  // before the interface is published: workers see it set
    // DPDK's tap PMD gives the host interface the port's own MAC: mpnet's
    // end takes another, or each would take the other's frames for its own.
    if (host == ifp.lladdr()) ifp.set_lladdr(ether_addr::random_local());
    return {};
}

void tap_destroy(module_ctl&, ifnet& ifp, void* arg) {
    auto& st = *static_cast<tap_state*>(arg);
    ifindex_t ix = ifp.index();
    st.exception_if.compare_exchange_strong(ix, 0, std::memory_order_relaxed);
}

// Polled by the control plane: the carrier, and once a second the host's
// MAC (the host may change it; reading it is a system call).
bool tap_link_up(module_ctl& ctl, const ifnet& ifp, void*) {
    tap_softc& s = sc(ifp);
    if (s.port_knows && ctl.now_ns() >= s.next_read_ns) {
        read_host_mac(ifp);
        s.next_read_ns = ctl.now_ns() + ns_per_s;
    }
    return ifp.port() && ifp.port()->link_up();
}

void tap_show(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void* arg) {
    auto& st = *static_cast<tap_state*>(arg);
    const tap_softc& s = sc(ifp);
    const ether_addr host = ether_addr::from_u64(s.host_mac.load(std::memory_order_relaxed));
    std::string l = "tap: host " + s.host_if + " " + (host.is_zero() ? std::string("(address unknown)") : host.str());
    if (st.exception_if.load(std::memory_order_relaxed) == ifp.index())
        l += fmt::format(" exception to-host {} from-host {}", s.ctr.sum(to_host), s.ctr.sum(from_host));
    lines.push_back(std::move(l));
}

void tap_running_config(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void* arg) {
    auto& st = *static_cast<tap_state*>(arg);
    if (st.exception_if.load(std::memory_order_relaxed) == ifp.index())
        lines.push_back("ifconfig " + ifp.name() + " exception");
}

void tap_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<tap_state>());
    if_kind k;
    k.name = "tap";
    k.prefix = "tap";
    k.caps = ifcap::lladdr;
    k.input = tap_input;
    k.open_port = tap_open_port;
    k.create = tap_create;
    k.destroy = tap_destroy;
    k.link_up = tap_link_up;
    k.show = tap_show;
    k.running_config = tap_running_config;
    k.arg = st;
    r.kind(k);
    r.ip_default(tap_exception, st);
    st->no_host_mac = r.drop("tap_no_host_mac");
}

// ---- the command language: ifconfig IF exception | -exception -----------------------------

command_reply verb_exception(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return {1, fmt::format("ifconfig: usage: ifconfig IF {}", w[0])};
    const status st = tap::set_exception(s, ifn, w[0] == "exception");
    if (st) return {};
    if (st.error() == errc::inval) return {1, fmt::format("ifconfig: {}: not a tap interface", ifn)};
    return {1, fmt::format("ifconfig: {}: {}", ifn, errc_message(st.error()))};
}

constexpr ifconfig_verb tap_verbs[] = {
    {"exception", "exception", verb_exception},
    {"-exception", "-exception", verb_exception},
};

}  // namespace

extern const module tap_module{"tap", tap_attach, {}, tap_verbs};

namespace tap {

status set_exception(stack& s, std::string_view ifname, bool on) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* t = ctl.if_find(ifname);
        if (!t) return errc::noent;
        if (!is_tap(*t)) return errc::inval;
        auto& st = *static_cast<tap_state*>(t->kind().arg);
        if (on) {
            st.exception_if.store(t->index(), std::memory_order_relaxed);
        } else {
            ifindex_t ix = t->index();
            st.exception_if.compare_exchange_strong(ix, 0, std::memory_order_relaxed);
        }
        return {};
    });
}

result<info> get(stack& s, std::string_view ifname) {
    info out;
    const status r = s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* t = ctl.if_find(ifname);
        if (!t) return errc::noent;
        if (!is_tap(*t)) return errc::inval;
        auto& st = *static_cast<tap_state*>(t->kind().arg);
        const tap_softc& sf = sc(*t);
        out.host_if = sf.host_if;
        out.host_mac = ether_addr::from_u64(sf.host_mac.load(std::memory_order_relaxed));
        out.exception = st.exception_if.load(std::memory_order_relaxed) == t->index();
        out.to_host = sf.ctr.sum(to_host);
        out.from_host = sf.ctr.sum(from_host);
        return {};
    });
    if (!r) return r.error();
    return out;
}

}  // namespace tap
}  // namespace mpnet
