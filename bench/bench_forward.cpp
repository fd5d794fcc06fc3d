// SPDX-License-Identifier: BSD-2-Clause
// IPv4 forwarding on one worker: a generator port feeds bursts of 32 64-byte
// frames over a net_ring link into a router stack, which validates, looks up
// the FIB in bulk, decrements the TTL, rewrites L2 and sends out of a second
// net_ring link, where the benchmark drains and recycles the packets.
// Two tables: 10 routes, and the real full IPv4 table from
// ../shared/data/fulltable-prefixes.txt.gz (MIT, see its README) with 256
// gateways assigned at random ("NH=256 random"); destinations are random
// hosts inside announced prefixes.
// gif: the same 64-byte frames encapsulated into one of N gif tunnels
// (IPv4 in IPv4, a random tunnel per packet) out of out0, and IPv4-in-IPv4
// packets from N tunnel peers decapsulated and forwarded out of out0.
// gif6: the same over an IPv6 underlay with 1 and with 100,000 gif
// interfaces, a /32 routed into each: what 100,000 tunnels cost per packet
// in both directions (the inner routes, the interfaces, the encapsulation
// table's lookups) against one; with 100,000 configured, traffic for 1,
// 1,000 or all of them (the table's size apart from the working set).
// l2tp (over IP) and vxlan: a bridge joins a LAN port and the tunnel; 64-byte
// frames to a station the bridge knows behind the other side are
// encapsulated (LAN port in0, underlay out0) or decapsulated (underlay in0,
// LAN port out0).
// A third case gives each port one TX queue, which the worker and the
// control plane then both use (as on memif). A fourth switches the same
// frames through bridge0 (in0 and out0 its members, the destination a
// static entry on out0, the source learned on in0): layer 2 only.
// Run: ./build/bench/bench_forward [--table PATH]   (figures only; gates nothing)
#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <zlib.h>

#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/drivers/eal.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/modules/bridge.hpp"
#include "mpnet/modules/gif.hpp"
#include "mpnet/modules/l2tp.hpp"
#include "mpnet/modules/vxlan.hpp"
#include "mpnet/stack/stack.hpp"

using namespace mpnet;

namespace {

std::string table_path = "../shared/data/fulltable-prefixes.txt.gz";

std::vector<prefix4> load_v4(const std::string& path) {
    std::vector<prefix4> v;
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return v;
    char line[128];
    while (gzgets(f, line, sizeof line)) {
        std::string s(line);
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        if (s.find(':') != std::string::npos) break;  // IPv6 follows IPv4
        if (auto p = prefix4::parse(s)) v.push_back(*p);
    }
    gzclose(f);
    return v;
}

struct router_setup {
    std::unique_ptr<stack> r;
    std::unique_ptr<drivers::ethdev_port> gen, sink;
    rte_mempool* gen_pool = nullptr;
    std::vector<uint32_t> dsts;
    ether_addr r_in{};
    size_t routes = 0;
    double load_s = 0;

    bool build(const std::vector<prefix4>& table, unsigned nexthops, uint16_t queues = 2) {
        stack_config c;
        c.name = "bench";
        c.forwarding = true;
        c.dad_count = 0;
        c.mbufs = 16383;
        c.fib_max_routes = 1u << 20;
        c.fib_tbl8_groups = 1u << 15;
        c.send_redirects = false;
        r = std::make_unique<stack>(c);
        static int seq = 0;
        gen_pool = *pktpool_create("bench.gen" + std::to_string(seq++), 4095);
        // Two queues: the worker and the control plane each own one. One: the
        // control plane shares the worker's queue (memif and most virtual
        // ports), and must not slow the worker's own sends.
        const std::string tag = std::to_string(seq);
        auto in = *drivers::ring_link("bin" + tag, gen_pool, r->pool(), queues);
        auto out = *drivers::ring_link("bout" + tag, r->pool(), gen_pool, queues);
        gen = std::move(in.first);
        sink = std::move(out.second);
        if (!r->if_attach("in0", std::move(in.second)) || !r->if_attach("out0", std::move(out.first))) return false;
        (void)r->addr_add("in0", *ip4_addr::parse("198.18.0.1"), 24);
        (void)r->addr_add("out0", *ip4_addr::parse("198.19.0.1"), 16);
        (void)r->if_up("in0");
        (void)r->if_up("out0");
        r_in = r->if_get("in0")->lladdr;
        std::mt19937 rng(42);
        std::vector<ip4_addr> gws;
        for (unsigned i = 0; i < nexthops; ++i) {
            ip4_addr g(ip4_addr::of(198, 19, 1, 0).v + i);
            gws.push_back(g);
            (void)r->arp_add(g, ether_addr{{0x02, 0x6d, 0x70, 0xbb, uint8_t(i >> 8), uint8_t(i)}});
        }
        const uint64_t t0 = rte_get_tsc_cycles();
        for (const auto& p : table) {
            if (prefix4::parse("198.18.0.0/15")->contains(p.addr)) continue;
            route_spec s;
            s.dst = p;
            s.gateway = gws[rng() % gws.size()];
            if (r->route_add(s)) ++routes;
        }
        load_s = double(rte_get_tsc_cycles() - t0) / double(rte_get_tsc_hz());
        for (int i = 0; i < 65536; ++i) {
            const prefix4& p = table[rng() % table.size()];
            const uint32_t host = p.len >= 32 ? 0 : (rng() & ~ip4_mask(p.len));
            dsts.push_back(p.addr.v | host);
        }
        return true;
    }
};

// The bridge case: no addresses, in0 and out0 members of bridge0; frames
// from the generator's MAC to one behind out0 (a static entry).
const ether_addr sink_station{{0x02, 0x6d, 0x70, 0xcc, 0x00, 0x01}};
bool build_bridge(router_setup& s) {
    stack_config c;
    c.name = "benchbr";
    c.dad_count = 0;
    c.mbufs = 16383;
    s.r = std::make_unique<stack>(c);
    s.gen_pool = *pktpool_create("bench.brgen", 4095);
    auto in = *drivers::ring_link("brin", s.gen_pool, s.r->pool(), 2);
    auto out = *drivers::ring_link("brout", s.r->pool(), s.gen_pool, 2);
    s.gen = std::move(in.first);
    s.sink = std::move(out.second);
    if (!s.r->if_attach("in0", std::move(in.second)) || !s.r->if_attach("out0", std::move(out.first))) return false;
    (void)s.r->if_up("in0");
    (void)s.r->if_up("out0");
    if (!s.r->if_create("bridge0") || !s.r->if_up("bridge0") || !bridge::add(*s.r, "bridge0", "in0") ||
        !bridge::add(*s.r, "bridge0", "out0") || !bridge::static_add(*s.r, "bridge0", "out0", sink_station))
        return false;
    s.r_in = sink_station;  // prime() addresses the frames to it
    s.dsts.assign(65536, ip4_addr::of(198, 18, 1, 2).v);
    return true;
}

// gif: tunnel i runs from 198.19.0.1 to peer 198.19.2.0 + i (static ARP);
// 198.18.(1 + i).0/24 is routed into it. Decapsulated packets go to
// 198.19.1.7 on out0.
ip4_addr gif_peer(unsigned i) { return ip4_addr(ip4_addr::of(198, 19, 2, 0).v + i); }

// The tunnel cases' router: in0 198.18.0.1/24 (the generator), out0
// 198.19.0.1/16 (the tunnels' local end, and 198.19.1.7 the decapsulated
// packets' destination). `c` names the stack and its modules.
bool build_tunnel_router(router_setup& s, stack_config c) {
    c.forwarding = true;
    c.dad_count = 0;
    c.mbufs = 16383;
    c.send_redirects = false;
    s.r = std::make_unique<stack>(c);
    static int seq = 0;
    const std::string tag = std::to_string(seq++);
    s.gen_pool = *pktpool_create("bench.tungen" + tag, 4095);
    auto in = *drivers::ring_link("tin" + tag, s.gen_pool, s.r->pool(), 2);
    auto out = *drivers::ring_link("tout" + tag, s.r->pool(), s.gen_pool, 2);
    s.gen = std::move(in.first);
    s.sink = std::move(out.second);
    stack& r = *s.r;
    if (!r.if_attach("in0", std::move(in.second)) || !r.if_attach("out0", std::move(out.first))) return false;
    (void)r.addr_add("in0", ip4_addr::of(198, 18, 0, 1), 24);
    (void)r.addr_add("out0", ip4_addr::of(198, 19, 0, 1), 16);
    (void)r.if_up("in0");
    (void)r.if_up("out0");
    (void)r.arp_add(ip4_addr::of(198, 19, 1, 7), ether_addr{{0x02, 0x6d, 0x70, 0xbb, 0, 7}});
    s.r_in = r.if_get("in0")->lladdr;
    return true;
}

bool build_gif(router_setup& s, unsigned tunnels) {
    stack_config c;
    c.name = "benchgif";
    if (!build_tunnel_router(s, c)) return false;
    stack& r = *s.r;
    for (unsigned i = 0; i < tunnels; ++i) {
        const std::string g = "gif" + std::to_string(i);
        gif::endpoints e;
        e.src4 = ip4_addr::of(198, 19, 0, 1);
        e.dst4 = gif_peer(i);
        if (!r.if_create(g) || !gif::set_tunnel(r, g, e) || !r.if_up(g)) return false;
        (void)r.arp_add(gif_peer(i), ether_addr{{0x02, 0x6d, 0x70, 0xbc, uint8_t(i >> 8), uint8_t(i)}});
        route_spec rs;
        rs.dst = prefix4::of(ip4_addr::of(198, 18, uint8_t(1 + i), 0), 24);
        rs.ifp = g;
        if (!r.route_add(rs)) return false;
        ++s.routes;
    }
    std::mt19937 rng(42);
    for (int i = 0; i < 65536; ++i)
        s.dsts.push_back(ip4_addr::of(198, 18, uint8_t(1 + rng() % tunnels), uint8_t(1 + rng() % 250)).v);
    return true;
}

// An IPv4-in-IPv4 frame from tunnel `t`'s peer, its inner packet for 198.19.1.7.
void gif_frame(router_setup& s, mbuf* m, unsigned t) {
    auto* h = pkt_header<ip4_hdr>(m);  // the inner header, at the front
    h->ttl = 64;
    h->dst.set(ip4_addr::of(198, 19, 1, 7).v);
    h->cksum = 0;
    h->cksum = in_cksum(h, sizeof(ip4_hdr));
    ip4_encap(m, gif_peer(t), ip4_addr::of(198, 19, 0, 1), 4, 64, 0);
    ether_encap(m, s.r_in, s.gen->mac(), ethertype_ip4);
}

// gif over IPv6, as many tunnels as a table of 100 000 (each an interface):
// tunnel i runs from 2001:db8::1 (out0) to 2001:db8:1::(i + 1), reached
// through one gateway (2001:db8::7, static ND); its inner route is the host
// route gif6_inner(i), a /32 in 198.18.0.0/15 clear of in0's /24 and of
// 198.19.0.0/21 (out0's own address and 198.19.1.7, where decapsulated
// packets go).
// (Addresses parsed once: the generator's work is inside the figures.)
const ip6_addr gif6_local = *ip6_addr::parse("2001:db8::1");
const ip6_addr gif6_peers = *ip6_addr::parse("2001:db8:1::");
ip6_addr gif6_peer(unsigned i) {
    ip6_addr a = gif6_peers;
    const uint32_t v = i + 1;
    a.b[12] = uint8_t(v >> 24), a.b[13] = uint8_t(v >> 16), a.b[14] = uint8_t(v >> 8), a.b[15] = uint8_t(v);
    return a;
}
ip4_addr gif6_inner(unsigned i) {
    return i < 64512 ? ip4_addr(ip4_addr::of(198, 18, 4, 0).v + i) : ip4_addr(ip4_addr::of(198, 19, 8, 0).v + (i - 64512));
}

bool build_gif6(router_setup& s, unsigned tunnels) {
    stack_config c;
    c.name = "benchgif6";
    c.dad6_count = 0;  // out0's IPv6 address usable at once: the gateway route needs it
    if (!build_tunnel_router(s, c)) return false;
    stack& r = *s.r;
    const ip6_addr local = gif6_local, gw = *ip6_addr::parse("2001:db8::7");
    if (!r.addr6_add("out0", local, 64) || !r.ndp_add(gw, ether_addr{{0x02, 0x6d, 0x70, 0xbd, 0, 7}}, 0, "out0"))
        return false;
    route6_spec via;
    via.dst = prefix6::of(*ip6_addr::parse("2001:db8:1::"), 48);
    via.gateway = gw;
    if (!r.route6_add(via)) return false;
    for (unsigned i = 0; i < tunnels; ++i) {
        const std::string g = "gif" + std::to_string(i);
        gif::endpoints e;
        e.family = 6;
        e.src6 = local;
        e.dst6 = gif6_peer(i);
        if (!r.if_create(g) || !gif::set_tunnel(r, g, e) || !r.if_up(g)) return false;
        route_spec rs;
        rs.dst = prefix4::of(gif6_inner(i), 32);
        rs.ifp = g;
        if (!r.route_add(rs)) return false;
    }
    s.routes = tunnels;
    std::mt19937 rng(42);
    for (int i = 0; i < 65536; ++i) s.dsts.push_back(gif6_inner(static_cast<unsigned>(rng() % tunnels)).v);
    return true;
}

// An IPv4-in-IPv6 frame from tunnel `t`'s peer, its inner packet for 198.19.1.7.
void gif6_frame(router_setup& s, mbuf* m, unsigned t) {
    auto* h = pkt_header<ip4_hdr>(m);
    h->ttl = 64;
    h->dst.set(ip4_addr::of(198, 19, 1, 7).v);
    h->cksum = 0;
    h->cksum = in_cksum(h, sizeof(ip4_hdr));
    const auto plen = static_cast<uint16_t>(pkt_len(m));
    auto* o = reinterpret_cast<ip6_hdr*>(pkt_prepend(m, sizeof(ip6_hdr)));
    o->vtc_flow.set(6u << 28);
    o->payload_len.set(plen);
    o->next = 4;
    o->hlim = 64;
    o->src = gif6_peer(t);
    o->dst = gif6_local;
    ether_encap(m, s.r_in, s.gen->mac(), ethertype_ip6);
}

// The L2 tunnels: kind "l2tp" or "vxlan"; `decap`: the generator is the far
// end of the tunnel, else the LAN.
struct l2_setup : router_setup {
    bool vxlan = false, decap = false;
    uint16_t outer = 0;  // bytes of Ethernet, outer IP and tunnel header in front of the inner frame
};
const ether_addr far_station{{0x02, 0x6d, 0x70, 0xcd, 0x00, 0x01}};
bool build_l2(l2_setup& s, bool vxlan, bool decap) {
    s.vxlan = vxlan;
    s.decap = decap;
    s.outer = static_cast<uint16_t>(14 + 20 + (vxlan ? 16 : 4));
    stack_config c;
    c.name = "benchl2";
    c.dad_count = 0;
    c.mbufs = 16383;
    s.r = std::make_unique<stack>(c);
    static int seq = 0;
    const std::string tag = std::to_string(seq++);
    s.gen_pool = *pktpool_create("bench.l2gen" + tag, 4095);
    auto in = *drivers::ring_link("lin" + tag, s.gen_pool, s.r->pool(), 2);
    auto out = *drivers::ring_link("lout" + tag, s.r->pool(), s.gen_pool, 2);
    s.gen = std::move(in.first);
    s.sink = std::move(out.second);
    stack& r = *s.r;
    if (!r.if_attach("in0", std::move(in.second)) || !r.if_attach("out0", std::move(out.first))) return false;
    const char* wan = decap ? "in0" : "out0";
    const char* lan = decap ? "out0" : "in0";
    const char* tun = vxlan ? "vxlan0" : "l2tp0";
    (void)r.addr_add(wan, ip4_addr::of(198, 19, 0, 1), 16);
    (void)r.if_up("in0");
    (void)r.if_up("out0");
    // The far end's MAC: the generator's own when it plays it.
    (void)r.arp_add(ip4_addr::of(198, 19, 0, 2), decap ? s.gen->mac() : ether_addr{{0x02, 0x6d, 0x70, 0xbd, 0, 2}});
    const tunnel_endpoints e = *tunnel_endpoints::parse("198.19.0.1", "198.19.0.2");
    if (!r.if_create(tun)) return false;
    if (vxlan ? !vxlan::set_vni(r, tun, 42) || !vxlan::set_tunnel(r, tun, e)
              : !l2tp::set_tunnel(r, tun, e) || !l2tp::set_session(r, tun, 1234, 4321))
        return false;
    if (!r.if_up(tun) || !r.if_create("bridge0") || !r.if_up("bridge0") || !bridge::add(r, "bridge0", lan) ||
        !bridge::add(r, "bridge0", tun) || !bridge::static_add(r, "bridge0", decap ? lan : tun, far_station))
        return false;
    s.r_in = r.if_get("in0")->lladdr;
    s.routes = 1;
    return true;
}

// The inner frame (to far_station) with what the generator puts in front.
mbuf* l2_frame(l2_setup& s) {
    mbuf* m = pkt_alloc(s.gen_pool, 18);
    std::memset(pkt_data(m), 0, 18);
    ip4_encap(m, ip4_addr::of(198, 18, 0, 2), ip4_addr::of(198, 18, 1, 2), ipproto_udp, 64, 0);
    ether_encap(m, far_station, s.gen->mac(), ethertype_ip4);
    return m;
}
void l2_wrap(l2_setup& s, mbuf* m) {
    if (!s.decap) return;
    const uint16_t hl = static_cast<uint16_t>(s.outer - 14 - 20);
    uint8_t* h = pkt_prepend(m, hl);
    std::memset(h, 0, hl);
    if (s.vxlan) {
        const uint16_t len = static_cast<uint16_t>(pkt_len(m));
        h[0] = 0xc0;  // source port 49152
        h[2] = 0x12;  // 4789
        h[3] = 0xb5;
        h[4] = static_cast<uint8_t>(len >> 8);
        h[5] = static_cast<uint8_t>(len);
        h[8] = 0x08;  // I
        h[14] = 42;   // VNI
    } else {
        h[2] = 0x04;  // session 1234
        h[3] = 0xd2;
    }
    ip4_encap(m, ip4_addr::of(198, 19, 0, 2), ip4_addr::of(198, 19, 0, 1), s.vxlan ? ipproto_udp : 115, 64, 0);
    ether_encap(m, s.r_in, s.gen->mac(), ethertype_ip4);
}

// One L2 tunnel setup at a time (each takes four of DPDK's 32 port slots):
// a benchmark of another kind replaces it.
std::unique_ptr<l2_setup> l2_cur;

// Lets the current L2 setup go (before the EAL does: its rings and pools
// live in DPDK's memory).
void l2_release() {
    if (!l2_cur) return;
    l2_cur->r.reset();
    l2_cur->gen.reset();
    l2_cur->sink.reset();
    pktpool_free(l2_cur->gen_pool);
    l2_cur.reset();
}

l2_setup* l2_current(bool vxlan, bool decap) {
    auto& cur = l2_cur;
    if (cur && cur->vxlan == vxlan && cur->decap == decap) return cur.get();
    l2_release();
    cur = std::make_unique<l2_setup>();
    if (!build_l2(*cur, vxlan, decap)) std::abort();
    return cur.get();
}

void BM_l2_tunnel(benchmark::State& st, bool vxlan, bool decap) {
    l2_setup* s = l2_current(vxlan, decap);
    mbuf* pk[32];
    for (auto& m : pk) {
        m = l2_frame(*s);
        l2_wrap(*s, m);
    }
    uint64_t forwarded = 0;
    const uint64_t c0 = rte_get_tsc_cycles();
    for (auto _ : st) {
        const uint16_t sent = s->gen->tx_burst(0, pk, 32);
        for (uint16_t i = sent; i < 32; ++i) pkt_free(pk[i]);
        s->r->poll_worker(0);
        uint16_t n = 0, k;
        while (n < 32 && (k = s->sink->rx_burst(0, pk + n, uint16_t(32 - n))) > 0) n = uint16_t(n + k);
        forwarded += n;
        // What came out becomes the next input: strip what the device put
        // in front (encapsulation), or put back what it took off.
        for (uint16_t i = 0; i < n; ++i) {
            if (!s->decap) pkt_adj(pk[i], s->outer);
            l2_wrap(*s, pk[i]);
        }
        for (uint16_t i = n; i < 32; ++i) {
            pk[i] = l2_frame(*s);
            l2_wrap(*s, pk[i]);
        }
    }
    const uint64_t cycles = rte_get_tsc_cycles() - c0;
    for (int i = 0; i < 32; ++i) pkt_free(pk[i]);
    st.SetItemsProcessed(int64_t(forwarded));
    st.counters["cycles_per_pkt"] = forwarded ? double(cycles) / double(forwarded) : 0;
    st.counters["forwarded_ratio"] = double(forwarded) / (32.0 * double(st.iterations()));
}

void prime(router_setup& s, mbuf** pk, unsigned n, std::mt19937& rng) {
    for (unsigned i = 0; i < n; ++i) {
        mbuf* m = pkt_alloc(s.gen_pool, 18);  // 14 + 20 + 8 + 18 = 60 bytes + FCS: a 64-byte frame
        std::memset(pkt_data(m), 0, 18);
        ip4_encap(m, *ip4_addr::parse("198.18.0.2"), ip4_addr(s.dsts[rng() % s.dsts.size()]), ipproto_udp, 64, 0);
        ether_encap(m, s.r_in, s.gen->mac(), ethertype_ip4);
        pk[i] = m;
    }
}

// Turns a forwarded packet back into a fresh one toward a new destination.
void recycle(router_setup& s, mbuf* m, uint32_t dst) {
    auto* eh = pkt_header<ether_hdr>(m);
    eh->dst = s.r_in;
    eh->src = s.gen->mac();
    auto* h = pkt_header<ip4_hdr>(m, sizeof(ether_hdr));
    h->ttl = 64;
    h->dst.set(dst);
    h->cksum = 0;
    h->cksum = in_cksum(h, sizeof(ip4_hdr));
}

// One burst of 32 into the device, one poll of its worker, what came out
// back to the generator: `after(pk, n)` readies what came out for reuse.
template <typename After>
uint64_t burst(router_setup& s, mbuf** pk, std::mt19937& rng, After&& after) {
    uint16_t sent = s.gen->tx_burst(0, pk, 32);
    for (uint16_t i = sent; i < 32; ++i) pkt_free(pk[i]);
    s.r->poll_worker(0);
    uint16_t n = 0, k;
    while (n < 32 && (k = s.sink->rx_burst(0, pk + n, uint16_t(32 - n))) > 0) n = uint16_t(n + k);
    after(pk, n);
    if (n < 32) prime(s, pk + n, 32 - n, rng);  // anything dropped (none expected) is replaced
    return n;
}

template <typename After>
void run(benchmark::State& st, router_setup& s, std::mt19937& rng, mbuf** pk, After&& after) {
    uint64_t forwarded = 0;
    const uint64_t c0 = rte_get_tsc_cycles();
    for (auto _ : st) forwarded += burst(s, pk, rng, after);
    const uint64_t cycles = rte_get_tsc_cycles() - c0;
    for (int i = 0; i < 32; ++i) pkt_free(pk[i]);
    st.SetItemsProcessed(int64_t(forwarded));
    st.counters["cycles_per_pkt"] = forwarded ? double(cycles) / double(forwarded) : 0;
    st.counters["routes"] = double(s.routes);
    st.counters["forwarded_ratio"] = double(forwarded) / (32.0 * double(st.iterations()));
}

void BM_forward(benchmark::State& st, router_setup* s) {
    std::mt19937 rng(7);
    mbuf* pk[32];
    prime(*s, pk, 32, rng);
    size_t di = 0;
    run(st, *s, rng, pk, [&](mbuf** out, uint16_t n) {
        for (uint16_t i = 0; i < n; ++i) recycle(*s, out[i], s->dsts[di++ & 65535]);
    });
}

// Layer 2: the frames go through unchanged; nothing to recycle. One burst
// first, and the control plane's turn: it learns the generator's MAC on
// in0, so the timed loop runs the hit path.
void BM_bridge(benchmark::State& st, router_setup* s) {
    std::mt19937 rng(7);
    mbuf* pk[32];
    prime(*s, pk, 32, rng);
    auto nothing = [](mbuf**, uint16_t) {};
    burst(*s, pk, rng, nothing);
    s->r->step();
    run(st, *s, rng, pk, nothing);
}

// Into the tunnels: what comes out is IPv4 in IPv4; its outer header goes
// and the inner packet is sent again toward a new random tunnel.
// `outer`: the outer header's length (20: IPv4, 40: IPv6).
// `active`: traffic for the first `active` gif6 tunnels only (0: the
// setup's own random destinations over all of them).
void BM_gif_encap(benchmark::State& st, router_setup* s, uint16_t outer, unsigned active) {
    std::mt19937 rng(7);
    std::vector<uint32_t> dsts = s->dsts;
    if (active) {
        std::mt19937 pick(42);
        for (auto& d : dsts) d = gif6_inner(static_cast<unsigned>(pick() % active)).v;
    }
    mbuf* pk[32];
    prime(*s, pk, 32, rng);
    size_t di = 0;
    run(st, *s, rng, pk, [&](mbuf** out, uint16_t n) {
        for (uint16_t i = 0; i < n; ++i) {
            pkt_adj(out[i], static_cast<uint16_t>(sizeof(ether_hdr) + outer));
            ether_encap(out[i], s->r_in, s->gen->mac(), ethertype_ip4);
            recycle(*s, out[i], dsts[di++ & 65535]);
        }
    });
    st.counters["active"] = double(active ? active : s->routes);
}

// Out of the tunnels: frames from random tunnel peers; what comes out is the
// inner packet, which gets a new outer header from another random peer.
// `frame`: gif_frame or gif6_frame; `active`: frames from the first
// `active` tunnels' peers only (0: all).
void BM_decap(benchmark::State& st, router_setup* s, void (*frame)(router_setup&, mbuf*, unsigned), unsigned active) {
    std::mt19937 rng(7);
    mbuf* pk[32];
    const unsigned tunnels = active ? active : static_cast<unsigned>(s->routes);
    for (int i = 0; i < 32; ++i) {
        pk[i] = pkt_alloc(s->gen_pool, 18);
        std::memset(pkt_data(pk[i]), 0, 18);
        ip4_encap(pk[i], ip4_addr::of(198, 18, 0, 2), ip4_addr::of(198, 19, 1, 7), ipproto_udp, 64, 0);
        frame(*s, pk[i], rng() % tunnels);
    }
    uint64_t forwarded = 0;
    const uint64_t c0 = rte_get_tsc_cycles();
    for (auto _ : st) {
        const uint16_t sent = s->gen->tx_burst(0, pk, 32);
        for (uint16_t i = sent; i < 32; ++i) pkt_free(pk[i]);
        s->r->poll_worker(0);
        uint16_t n = 0, k;
        while (n < 32 && (k = s->sink->rx_burst(0, pk + n, uint16_t(32 - n))) > 0) n = uint16_t(n + k);
        forwarded += n;
        for (uint16_t i = 0; i < n; ++i) {
            pkt_adj(pk[i], sizeof(ether_hdr));
            frame(*s, pk[i], rng() % tunnels);
        }
        for (uint16_t i = n; i < 32; ++i) {
            pk[i] = pkt_alloc(s->gen_pool, 18);
            std::memset(pkt_data(pk[i]), 0, 18);
            ip4_encap(pk[i], ip4_addr::of(198, 18, 0, 2), ip4_addr::of(198, 19, 1, 7), ipproto_udp, 64, 0);
            frame(*s, pk[i], rng() % tunnels);
        }
    }
    const uint64_t cycles = rte_get_tsc_cycles() - c0;
    for (int i = 0; i < 32; ++i) pkt_free(pk[i]);
    st.SetItemsProcessed(int64_t(forwarded));
    st.counters["cycles_per_pkt"] = forwarded ? double(cycles) / double(forwarded) : 0;
    st.counters["tunnels"] = double(s->routes);
    st.counters["active"] = double(tunnels);
    st.counters["forwarded_ratio"] = double(forwarded) / (32.0 * double(st.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--table") table_path = argv[i + 1];
    drivers::eal_options o;
    o.program = "bench_forward";
    o.memory_mb = 2048;
    if (!drivers::eal_init(o)) return 1;
    int rc = 0;
    {
        rcu_thread reg;
        std::vector<prefix4> small;
        for (int i = 0; i < 10; ++i) small.push_back(prefix4::of(ip4_addr::of(203, 0, uint8_t(i), 0), 24));
        router_setup s10, s10q1, sfull;
        if (!s10.build(small, 4)) return 1;
        benchmark::RegisterBenchmark("BM_forward/10_routes/NH=4", BM_forward, &s10);
        if (!s10q1.build(small, 4, 1)) return 1;
        benchmark::RegisterBenchmark("BM_forward/10_routes/NH=4/txq=1", BM_forward, &s10q1);
        router_setup sbr;
        if (!build_bridge(sbr)) return 1;
        benchmark::RegisterBenchmark("BM_bridge/known_unicast", BM_bridge, &sbr);
        router_setup sgif1, sgif250;
        if (!build_gif(sgif1, 1) || !build_gif(sgif250, 250)) return 1;
        benchmark::RegisterBenchmark("BM_gif_encap/tunnels=1", BM_gif_encap, &sgif1, uint16_t{20}, 0u);
        benchmark::RegisterBenchmark("BM_gif_encap/tunnels=250", BM_gif_encap, &sgif250, uint16_t{20}, 0u);
        benchmark::RegisterBenchmark("BM_gif_decap/tunnels=1", BM_decap, &sgif1, gif_frame, 0u);
        benchmark::RegisterBenchmark("BM_gif_decap/tunnels=250", BM_decap, &sgif250, gif_frame, 0u);
        // 100 000 gif interfaces (IPv6 outer: the benchmark range has room
        // for 100 000 inner routes, not for as many IPv4 peers too).
        router_setup sg6_1, sg6_100k;
        if (!build_gif6(sg6_1, 1) || !build_gif6(sg6_100k, 100000)) return 1;
        // With all 100 000 configured, traffic for 1, 1 000 or all of them:
        // the table's size apart from the working set of tunnels in use.
        benchmark::RegisterBenchmark("BM_gif6_encap/tunnels=1", BM_gif_encap, &sg6_1, uint16_t{40}, 0u);
        for (unsigned a : {1u, 1000u, 100000u})
            benchmark::RegisterBenchmark(("BM_gif6_encap/tunnels=100000/active=" + std::to_string(a)).c_str(),
                                         BM_gif_encap, &sg6_100k, uint16_t{40}, a);
        benchmark::RegisterBenchmark("BM_gif6_decap/tunnels=1", BM_decap, &sg6_1, gif6_frame, 0u);
        for (unsigned a : {1u, 1000u, 100000u})
            benchmark::RegisterBenchmark(("BM_gif6_decap/tunnels=100000/active=" + std::to_string(a)).c_str(),
                                         BM_decap, &sg6_100k, gif6_frame, a);
        benchmark::RegisterBenchmark("BM_l2tp_encap/bridged", BM_l2_tunnel, false, false);
        benchmark::RegisterBenchmark("BM_l2tp_decap/bridged", BM_l2_tunnel, false, true);
        benchmark::RegisterBenchmark("BM_vxlan_encap/bridged", BM_l2_tunnel, true, false);
        benchmark::RegisterBenchmark("BM_vxlan_decap/bridged", BM_l2_tunnel, true, true);
        auto table = load_v4(table_path);
        if (table.empty()) {
            std::fprintf(stderr, "bench_forward: %s not found; full-table case skipped\n", table_path.c_str());
        } else if (sfull.build(table, 256)) {
            std::printf("full table: %zu IPv4 routes loaded through route_add in %.2f s (%.0f routes/s)\n",
                        sfull.routes, sfull.load_s, double(sfull.routes) / sfull.load_s);
            benchmark::RegisterBenchmark("BM_forward/full_table/NH=256", BM_forward, &sfull);
        }
        benchmark::Initialize(&argc, argv);
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        s10.r.reset();
        s10q1.r.reset();
        sbr.r.reset();
        sgif1.r.reset();
        sgif250.r.reset();
        sg6_1.r.reset();
        sg6_100k.r.reset();
        l2_release();
        sfull.r.reset();
        rcu_barrier();
    }
    drivers::eal_cleanup();
    return rc;
}
