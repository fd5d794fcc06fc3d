// SPDX-License-Identifier: BSD-2-Clause
// The module seams: what a module
// registers with (module_registrar), the data-path and control-plane faces
// handed to its handlers (dp_ctx, module_ctl), the stack's own interface
// kinds (ether, lo), and interface creation by kind.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "../modules/inet4/inet4.hpp"
#include "../modules/inet6/inet6.hpp"
#include "../modules/neigh/neigh.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/l3/udp.hpp"
#include "stack_impl.hpp"

namespace mpnet {

namespace {

lcore_ctx& lc(dp_ctx& c) noexcept { return static_cast<lcore_ctx&>(c); }
const lcore_ctx& lc(const dp_ctx& c) noexcept { return static_cast<const lcore_ctx&>(c); }

// ---- the stack's own kinds -------------------------------------------------------

bool ether_link_up(module_ctl&, const ifnet& ifp, void*) { return ifp.port() && ifp.port()->link_up(); }

// lo0 carries bare IP packets of both families.
void lo_input(dp_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n, void*) noexcept {
    lcore_ctx& x = lc(c);
    x.st->ip_input(x, ifp, pkts, n);
}

if_kind make_ether() {
    if_kind k;
    k.name = "ether";
    k.prefix = "";  // attached by devargs under any name, never created
    k.caps = ifcap::lladdr;
    k.link_up = ether_link_up;
    return k;
}

if_kind make_lo() {
    if_kind k;
    k.name = "lo";
    k.prefix = "lo";
    k.input = lo_input;
    return k;
}

}  // namespace

const if_kind if_kind::ether = make_ether();
const if_kind if_kind::loopback = make_lo();

// ---- registration ------------------------------------------------------------------

void stack::impl::attach_modules() {
    kinds.push_back(if_kind::ether);
    kinds.push_back(if_kind::loopback);
    for (const module* m : builtin_modules()) {
        module_registrar r(*this, m->name);
        m->attach(r);
    }
    for (const module* m : cfg.modules) {
        if (!m || !m->attach) throw std::invalid_argument("stack: a module without an attach function");
        module_registrar r(*this, m->name);
        m->attach(r);
    }
}

const if_kind* stack::impl::kind_for(std::string_view ifname) const noexcept {
    size_t digits = ifname.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(ifname[digits - 1]))) --digits;
    if (digits == 0 || digits == ifname.size()) return nullptr;  // PREFIX then a unit number
    const std::string_view prefix = ifname.substr(0, digits);
    for (const if_kind& k : kinds)
        if (!k.prefix.empty() && k.prefix == prefix) return &k;
    return nullptr;
}

void stack::impl::if_hooks_run(ifnet& ifp, if_event ev) {
    module_ctl mc(*this);
    for (const hook_entry& h : if_hooks) h.fn(mc, ifp, ev, h.arg);
}

void l4_batch::flush_slow(dp_ctx& c, ifnet& ifp) noexcept {
    mbuf* g[pkt_batch::capacity];
    l4_info gl[pkt_batch::capacity];
    while (n) {
        // The first handler's packets out, the others' kept in order.
        const l4_entry* x = e[0];
        uint16_t k = 0, rest = 0;
        for (uint16_t i = 0; i < n; ++i) {
            if (e[i] == x) {
                g[k] = pkts[i];
                gl[k++] = li[i];
            } else {
                pkts[rest] = pkts[i];
                li[rest] = li[i];
                e[rest++] = e[i];
            }
        }
        n = rest;
        x->burst(c, ifp, g, gl, k, x->arg);
    }
}

bool stack::impl::udp_deliver(lcore_ctx& c, ifnet& ifp, mbuf* m, l4_info& li, l4_batch& b) noexcept {
    auto& ports = li.family == 4 ? udp4_ports : udp6_ports;
    const auto* u = pkt_header<udp_hdr>(m, li.off);
    if (!u) return false;  // too short for a port: the default path names it
    auto it = ports.find(u->dport.get());
    if (it == ports.end()) return false;
    drop_reason why{};
    if (!udp_validate(m, li.family, li.off, &why)) {
        drop(c, m, why);
        return true;
    }
    li.sport = u->sport.get();
    li.dport = u->dport.get();
    if (it->second.burst)
        b.add(m, li, &it->second);
    else
        it->second.fn(c, ifp, m, li, it->second.arg);
    return true;
}

void module_registrar::kind(const if_kind& k) {
    for (const if_kind& x : st_.kinds)
        if (x.name == k.name || (!k.prefix.empty() && x.prefix == k.prefix))
            throw std::invalid_argument(fmt::format("module {}: interface kind {} taken", module_, k.name));
    // Letters and digits, starting with a letter and ending with one (l2tp):
    // the unit number after it is then unambiguous.
    auto alpha = [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) != 0; };
    if (k.prefix.empty() || !alpha(k.prefix.front()) || !alpha(k.prefix.back()) ||
        !std::all_of(k.prefix.begin(), k.prefix.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; }))
        throw std::invalid_argument(
            fmt::format("module {}: kind {} needs a prefix of letters and digits ending in a letter", module_, k.name));
    st_.kinds.push_back(k);
}

void module_registrar::ethertype(uint16_t type, frame_fn fn, void* arg) {
    if (!fn || type == ethertype_ip4 || type == ethertype_ip6 || type < 0x0600)
        throw std::invalid_argument(fmt::format("module {}: ethertype {:#06x} refused", module_, type));
    for (const auto& e : st_.ethertypes)
        if (e.type == type)
            throw std::invalid_argument(fmt::format("module {}: ethertype {:#06x} taken", module_, type));
    if (st_.ethertypes.size() >= 255) throw std::invalid_argument("ethertype table full");
    st_.ethertypes.push_back({type, fn, arg});
}

void module_registrar::add_proto(uint8_t family, uint8_t proto, const l4_entry& e) {
    if ((!e.fn && !e.burst) || (family != 4 && family != 6))
        throw std::invalid_argument(fmt::format("module {}: bad IP protocol registration", module_));
    l4_entry& x = (family == 4 ? st_.ip4_protos : st_.ip6_protos)[proto];
    if (x.fn || x.burst)
        throw std::invalid_argument(fmt::format("module {}: IPv{} protocol {} taken", module_, family, proto));
    x = e;
}

void module_registrar::add_port(uint8_t family, uint16_t port, const l4_entry& e) {
    if ((!e.fn && !e.burst) || (family != 4 && family != 6) || port == 0)
        throw std::invalid_argument(fmt::format("module {}: bad UDP port registration", module_));
    auto& ports = family == 4 ? st_.udp4_ports : st_.udp6_ports;
    if (!ports.emplace(port, e).second)
        throw std::invalid_argument(fmt::format("module {}: UDP port {} taken", module_, port));
}

void module_registrar::ip_proto(uint8_t family, uint8_t proto, l4_fn fn, void* arg) {
    add_proto(family, proto, l4_entry{fn, nullptr, arg});
}

void module_registrar::ip_proto_burst(uint8_t family, uint8_t proto, l4_burst_fn fn, void* arg) {
    add_proto(family, proto, l4_entry{nullptr, fn, arg});
}

void module_registrar::udp_port(uint8_t family, uint16_t port, l4_fn fn, void* arg) {
    add_port(family, port, l4_entry{fn, nullptr, arg});
}

void module_registrar::udp_port_burst(uint8_t family, uint16_t port, l4_burst_fn fn, void* arg) {
    add_port(family, port, l4_entry{nullptr, fn, arg});
}

void module_registrar::ip_default(l4_default_fn fn, void* arg) {
    if (!fn || st_.ip_default.fn)
        throw std::invalid_argument(fmt::format("module {}: the default IP handler is taken", module_));
    st_.ip_default = {fn, arg};
}

uint16_t module_registrar::punt(std::string_view kind, punt_fn fn, void* arg) {
    if (!fn || st_.punt_kinds.size() >= limits::punt_kinds_max)
        throw std::invalid_argument("bad hand-over registration (no handler, or more than limits::punt_kinds_max)");
    st_.punt_kinds.push_back({std::string(module_), std::string(kind), fn, arg});
    return static_cast<uint16_t>(st_.punt_kinds.size() - 1);
}

uint16_t module_registrar::notice(std::string_view kind, notice_fn fn, void* arg) {
    if (!fn || st_.notice_kinds.size() >= UINT16_MAX) throw std::invalid_argument("bad notice registration");
    st_.notice_kinds.push_back({std::string(module_), std::string(kind), fn, arg});
    return static_cast<uint16_t>(st_.notice_kinds.size() - 1);
}

void module_registrar::poll_source(poll_fn fn, void* arg, bool on_control) {
    if (!fn) throw std::invalid_argument("bad poll source");
    st_.poll_sources.push_back({fn, arg, on_control});
}

void module_registrar::ip_policy(ip_policy_fn out, ip_policy_fn in, void* arg) {
    if (!out || !in || st_.ip_policy.out)
        throw std::invalid_argument(fmt::format("module {}: the policy points are taken", module_));
    st_.ip_policy.out = out;
    st_.ip_policy.in = in;
    st_.ip_policy.arg = arg;
}

void module_registrar::if_hook(if_hook_fn fn, void* arg) {
    if (!fn) throw std::invalid_argument("bad lifecycle hook");
    st_.if_hooks.push_back({fn, arg});
}

void module_registrar::ctlinput(uint8_t family, uint8_t proto, ctlinput_fn fn, void* arg) {
    if (!fn || (family != 4 && family != 6)) throw std::invalid_argument("bad ctlinput registration");
    st_.ctlinputs.push_back({family, proto, fn, arg});
}

void stack::impl::ctlinput_run(const icmp_notice& n) {
    if (ctlinputs.empty()) return;
    module_ctl mc(*this);
    for (const ctlinput_entry& e : ctlinputs)
        if (e.family == n.family && e.proto == n.proto) e.fn(mc, n, e.arg);
}

void module_registrar::config(config_fn fn, void* arg) {
    if (!fn) throw std::invalid_argument("bad config writer");
    st_.config_writers.push_back({fn, arg});
}

void module_registrar::limits(limits_fn fn, void* arg) {
    if (!fn) throw std::invalid_argument("bad limits reporter");
    st_.limit_reporters.push_back({fn, arg});
}

drop_reason module_registrar::drop(std::string_view name) {
    if (st_.module_drops.size() >= drop_reason_module_max)
        throw std::invalid_argument(
            fmt::format("module {}: more than {} module drop reasons", module_, drop_reason_module_max));
    for (size_t i = 0; i < drop_reason_count; ++i)
        if (drop_reason_name(static_cast<drop_reason>(i)) == name)
            throw std::invalid_argument(fmt::format("module {}: drop reason {} taken", module_, name));
    if (std::find(st_.module_drops.begin(), st_.module_drops.end(), name) != st_.module_drops.end())
        throw std::invalid_argument(fmt::format("module {}: drop reason {} taken", module_, name));
    st_.module_drops.emplace_back(name);
    return static_cast<drop_reason>(drop_reason_count + st_.module_drops.size() - 1);
}

void module_registrar::keep(std::shared_ptr<void> p) { st_.module_states.emplace_back(module_, std::move(p)); }

// ---- the data-path face --------------------------------------------------------------

unsigned dp_ctx::lcore() const noexcept { return lc(*this).idx; }
bool dp_ctx::is_control() const noexcept { return lc(*this).is_control; }
uint64_t dp_ctx::now_ns() const noexcept { return lc(*this).now_ns; }
rte_mempool* dp_ctx::pool() const noexcept { return lc(*this).st->pool; }
ifnet* dp_ctx::if_lookup(ifindex_t index) const noexcept { return lc(*this).st->ifs.lookup(index); }
void dp_ctx::if_prefetch(const ifindex_t* idx, uint16_t n, size_t stride) noexcept {
    lcore_ctx& x = lc(*this);
    x.st->prefetch_ifs(x, idx, n, stride);
}
bool dp_ctx::is_local(const l3_next& a) const noexcept {
    const stack::impl& st = *lc(*this).st;
    const uint32_t id = a.family == 6 ? st.in6->fib6_->lookup(a.v6) : st.in4->fib->lookup(a.v4);
    if (id == (a.family == 6 ? fib6::miss : fib4::miss)) return false;
    const nexthop* nh = st.nhs.get(id);
    return nh && (nh->flags & nhf::local);
}
uint32_t dp_ctx::route_mtu(const l3_next& a) const noexcept {
    const stack::impl& st = *lc(*this).st;
    const uint32_t id = a.family == 6 ? st.in6->fib6_->lookup(a.v6) : st.in4->fib->lookup(a.v4);
    if (id == (a.family == 6 ? fib6::miss : fib4::miss)) return 0;
    const nexthop* nh = st.nhs.get(id);
    if (!nh || (nh->flags & (nhf::local | nhf::blackhole | nhf::reject))) return 0;
    const ifnet* ifp = st.ifs.lookup(nh->ifindex);
    if (!ifp) return 0;
    uint32_t mtu = a.family == 6 ? ifp->mtu6() : ifp->mtu();
    if (nh->mtu && nh->mtu < mtu) mtu = nh->mtu;
    return mtu;
}
int dp_ctx::ip4_fragment(mbuf* m, uint16_t mtu, mbuf** out, uint16_t max) noexcept {
    const stack::impl& st = *lc(*this).st;
    return mpnet::ip4_fragment(m, mtu, st.pool, st.ipool, out, max);
}
void dp_ctx::drop(mbuf* m, drop_reason r) noexcept { lc(*this).st->drop(lc(*this), m, r); }
void dp_ctx::count_drop(drop_reason r, uint64_t n) noexcept { lc(*this).st->count_drop(lc(*this), r, n); }
void dp_ctx::ether_input(ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    lc(*this).st->ether_input(lc(*this), ifp, pkts, n);
}
void dp_ctx::ip_input(ifnet& ifp, mbuf** pkts, uint16_t n) noexcept { lc(*this).st->ip_input(lc(*this), ifp, pkts, n); }
void dp_ctx::ip4_output(mbuf* m) noexcept {
    const auto* h = pkt_header<ip4_hdr>(m);
    if (!h) return drop(m, drop_reason::ip4_too_short);
    lc(*this).st->in4->ip4_route_output(lc(*this), m, ip4_addr(h->dst.get()));
}
void dp_ctx::ip6_output(mbuf* m, uint16_t zone) noexcept {
    if (!pkt_header<ip6_hdr>(m)) return drop(m, drop_reason::ip6_too_short);
    lc(*this).st->in6->ip6_route_output(lc(*this), m, zone);
}
void dp_ctx::if_output(ifnet& ifp, mbuf* m, const l3_next& nh) noexcept {
    lcore_ctx& c = lc(*this);
    if (nh.family == 6)
        c.st->in6->ip6_output(c, m, ifp, nh.v6);
    else
        c.st->in4->ip4_output(c, m, ifp, nh.v4);
}
void dp_ctx::ether_output(ifnet& ifp, mbuf* m, const ether_addr& dst, uint16_t type) noexcept {
    lc(*this).st->ether_output(lc(*this), ifp, m, dst, type);
}
void dp_ctx::transmit(ifnet& ifp, mbuf* m) noexcept { lc(*this).st->if_transmit(lc(*this), ifp, m); }
void dp_ctx::port_transmit(ifnet& ifp, mbuf* m) noexcept { lc(*this).st->port_transmit(lc(*this), ifp, m); }
void dp_ctx::if_input(ifnet& ifp, mbuf** pkts, uint16_t n) noexcept { lc(*this).st->if_input(lc(*this), ifp, pkts, n); }
void dp_ctx::punt(mbuf* m, uint16_t id, ifindex_t ifindex, uint32_t aux) noexcept {
    lc(*this).st->punt_to_control(lc(*this), m, id, ifindex, aux);
}
bool dp_ctx::notify(const module_notice& n) noexcept { return lc(*this).st->notify(n); }
unsigned dp_ctx::nesting() const noexcept { return lc(*this).nest; }
void dp_ctx::defer_ip_input(ifnet& ifp, mbuf* m) noexcept {
    lc(*this).st->defer_push(lc(*this), m, ifp.index(), lcore_ctx::defer_op::ip_input);
}
void dp_ctx::defer_if_input(ifnet& ifp, mbuf* m) noexcept {
    lc(*this).st->defer_push(lc(*this), m, ifp.index(), lcore_ctx::defer_op::if_input);
}
void dp_ctx::defer_output(mbuf* m) noexcept {
    const bool six = pkt_head_len(m) > 0 && (pkt_data(m)[0] >> 4) == 6;
    if (six ? !pkt_header<ip6_hdr>(m) : !pkt_header<ip4_hdr>(m))
        return drop(m, six ? drop_reason::ip6_too_short : drop_reason::ip4_too_short);
    lc(*this).st->defer_push(lc(*this), m, 0, lcore_ctx::defer_op::output);
}

// ---- the control-plane face ------------------------------------------------------------

dp_ctx& module_ctl::dp() noexcept { return st_.ctl_ctx(); }
uint64_t module_ctl::now_ns() const noexcept { return st_.clock->now_ns(); }
ifnet* module_ctl::if_find(std::string_view name) const noexcept { return st_.find_if(name); }
ifnet* module_ctl::if_lookup(ifindex_t index) const noexcept { return st_.ifs.lookup(index); }
void* module_ctl::module_state(std::string_view module) const noexcept {
    for (const auto& [name, p] : st_.module_states)
        if (name == module) return p.get();
    return nullptr;
}
ifindex_t module_ctl::if_end() const noexcept { return st_.ifs.end(); }
uint64_t module_ctl::timer_add(uint64_t deadline_ns, std::function<void()> fn) {
    return st_.timers.add(deadline_ns, std::move(fn));
}
void module_ctl::timer_cancel(uint64_t id) noexcept { st_.timers.cancel(id); }
void module_ctl::ip_policy_on(bool out, bool in) noexcept {
    st_.ip_policy.out_on.store(out && st_.ip_policy.out, std::memory_order_relaxed);
    st_.ip_policy.in_on.store(in && st_.ip_policy.in, std::memory_order_relaxed);
}

unsigned module_ctl::lcore_count() const noexcept { return static_cast<unsigned>(st_.lcores.size()); }

void module_ctl::link_changed(ifnet& ifp, bool up) {
    if (!ifp.is_up() || ((ifp.flags() & iff::running) != 0) == up) return;
    st_.if_link_changed(ifp, up);
}
std::unique_ptr<port> module_ctl::port_open(std::string_view devargs) {
    if (!st_.cfg.port_open) return nullptr;
    try {
        return st_.cfg.port_open(devargs, st_.pool, static_cast<uint16_t>(st_.cfg.workers + 1));
    } catch (const std::exception&) {
        return nullptr;  // the embedding program's failure is a refused create
    }
}
void module_ctl::if_destroy(ifnet& ifp) {
    if (ifp.index() == st_.lo0) return;
    st_.destroy_ifnet(&ifp);
}

// ---- public API --------------------------------------------------------------------------

result<ifindex_t> stack::if_create(std::string_view name) {
    ctl_guard g(p_->ctl);
    if (p_->find_if(name)) return errc::exist;
    const if_kind* k = p_->kind_for(name);
    if (!k || !k->create || name.size() > limits::ifname_max) return errc::inval;
    const ifindex_t idx = p_->ifs.free_index();
    if (idx == 0 || (k->open_port && p_->ifs.ports_full())) return errc::nospc;
    module_ctl mc(*p_);
    // A kind on a port of its own (tap's host interface) opens it first; the
    // interface then gets queues as an attached one does.
    std::unique_ptr<port> pt;
    if (k->open_port) {
        pt = k->open_port(mc, name, k->arg);
        if (!pt) return errc::nodev;
        if (pt->rx_queues() == 0 || pt->rx_queues() > limits::rxq_max || pt->tx_queues() == 0 ||
            pt->tx_queues() > limits::txq_max)
            return errc::inval;
    }
    std::unique_ptr<ifnet> ifp;
    try {
        ifp = std::make_unique<ifnet>(idx, std::string(name), *k, std::move(pt), p_->cfg.workers + 1,
                                      p_->cfg.neigh_max);
    } catch (const std::exception&) {
        return errc::nomem;
    }
    if (auto s = k->create(mc, *ifp, k->arg); !s) return s.error();
    if (ifp->port()) p_->rxq_assign(*ifp);
    // Publishing fails only for want of memory for the name map; the slots
    // were checked above. (The kind's create ran: its state goes with ifp.)
    if (auto st = p_->ifs.publish(ifp.get()); !st) return st.error();
    if (ifp->port() && ifp->txl()->has_shared()) p_->shared_txqs.fetch_add(1, std::memory_order_relaxed);
    ifnet& x = *ifp.release();
    p_->if_hooks_run(x, if_event::attach);
    return idx;
}

status stack::ctl_call(const std::function<status(module_ctl&)>& fn) {
    ctl_guard g(p_->ctl);
    module_ctl mc(*p_);
    status s = fn(mc);
    p_->tx_flush(p_->ctl_ctx());
    return s;
}

std::vector<std::pair<std::string, uint64_t>> stack::drop_list() const {
    std::vector<std::pair<std::string, uint64_t>> v;
    for (size_t i = 0; i < drop_reason_count; ++i)
        v.emplace_back(std::string(drop_reason_name(static_cast<drop_reason>(i))), p_->drops.sum(i));
    for (size_t i = 0; i < p_->module_drops.size(); ++i)
        v.emplace_back(p_->module_drops[i], p_->drops.sum(drop_reason_count + i));
    return v;
}

std::string stack::drop_name(drop_reason r) const {
    const size_t i = static_cast<size_t>(r);
    if (i < drop_reason_count) return std::string(drop_reason_name(r));
    if (i - drop_reason_count < p_->module_drops.size()) return p_->module_drops[i - drop_reason_count];
    return "unknown";
}

}  // namespace mpnet
