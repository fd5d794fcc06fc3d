// SPDX-License-Identifier: BSD-2-Clause
// tap(4): ports of NetBSD's t_tap (create_destroy, stand_alone, bridged) and
// the exception path, on virtual time. The host kernel is played by a second
// stack on the far end of the tap's port (stack_config::port_open hands the
// router a port of a bus that stack is on); it holds the router's address and
// "serves" TCP with a test module that reflects every segment it gets.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>

#include "../support/world.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/modules/bridge.hpp"
#include "mpnet/modules/tap.hpp"
#include "mpnet/stack/module.hpp"

namespace mpnet::testing {
namespace {

// ---- the host's "TCP service": reflects each segment back to its sender --------------------

std::atomic<uint64_t> g_reflected{0};
std::atomic<uint32_t> g_last_dst4{0};  // the destination the host saw (the router's address)

void reflect_tcp(dp_ctx& c, ifnet&, mbuf* m, const l4_info& li, void*) noexcept {
    ++g_reflected;
    if (li.family == 4) {
        auto* h = pkt_header<ip4_hdr>(m);
        g_last_dst4 = h->dst.get();
        std::swap(h->src, h->dst);
        h->cksum = 0;
        h->cksum = in_cksum(h, h->hlen_bytes());
        c.ip4_output(m);
    } else {
        auto* h = pkt_header<ip6_hdr>(m);
        std::swap(h->src, h->dst);
        c.ip6_output(m);
    }
}

void host_tcp_attach(module_registrar& r) {
    r.ip_proto(4, ipproto_tcp, reflect_tcp);
    r.ip_proto(6, ipproto_tcp, reflect_tcp);
}
const module host_tcp{"test_host_tcp", host_tcp_attach};

// ---- frames of a client with no stack of its own ---------------------------------------------

std::vector<uint8_t> ip4_frame(const ether_addr& dst, const ether_addr& src, ip4_addr from, ip4_addr to, uint8_t proto,
                               size_t l4_len = 20) {
    std::vector<uint8_t> f(14 + 20 + l4_len, 0);
    ether_hdr e{dst, src, be16::of(ethertype_ip4)};
    std::memcpy(f.data(), &e, 14);
    ip4_hdr h{};
    h.ver_ihl = 0x45;
    h.total_len.set(static_cast<uint16_t>(20 + l4_len));
    h.ttl = 64;
    h.proto = proto;
    h.src.set(from.v);
    h.dst.set(to.v);
    h.cksum = in_cksum(&h, 20);
    std::memcpy(f.data() + 14, &h, 20);
    f[14 + 20] = 0x9c;  // source port 40000
    f[14 + 21] = 0x40;
    f[14 + 22] = 0x00;  // destination port 22
    f[14 + 23] = 22;
    if (proto == ipproto_udp) f[14 + 25] = static_cast<uint8_t>(l4_len);  // UDP length; checksum 0 (none)
    return f;
}

std::vector<uint8_t> ip6_frame(const ether_addr& dst, const ether_addr& src, const ip6_addr& from, const ip6_addr& to,
                               uint8_t proto) {
    std::vector<uint8_t> f(14 + 40 + 20, 0);
    ether_hdr e{dst, src, be16::of(ethertype_ip6)};
    std::memcpy(f.data(), &e, 14);
    ip6_hdr h{};
    h.vtc_flow.set(6u << 28);
    h.payload_len.set(20);
    h.next = proto;
    h.hlim = 64;
    h.src = from;
    h.dst = to;
    std::memcpy(f.data() + 14, &h, 40);
    return f;
}

struct received {
    uint8_t family = 0, proto = 0, ttl = 0;
    ip4_addr src, dst;
    ip6_addr src6{}, dst6{};
};

// The router R: shmif0 on the wire (198.18.2.1/24, 2001:db8:2::1/64) with a
// raw client (198.18.2.10, 2001:db8:2::10), and tap0 (198.18.255.1/30,
// 2001:db8:ff::1/64) whose other end is the host H (198.18.255.2,
// 2001:db8:ff::2) on the host bus. H holds R's shmif0 addresses too, and
// routes back through R's tap address: the operator's part of the exception path.
struct rig {
    world w;
    drivers::bus& wire;
    drivers::bus& hostbus;
    std::vector<std::string> opened;  // devargs R's tap asked for
    bool refuse_ports = false;
    stack* r = nullptr;
    stack* h = nullptr;
    std::unique_ptr<drivers::bus_port> client;
    ether_addr r_mac{};

    rig() : wire(w.add_bus("wire")), hostbus(w.add_bus("host")) {
        g_reflected = 0;
        stack_config rc = no_dad();
        rc.port_open = [this](std::string_view devargs, rte_mempool*, uint16_t) -> std::unique_ptr<port> {
            opened.emplace_back(devargs);
            if (refuse_ports) return nullptr;
            auto p = hostbus.attach();
            return p ? std::move(*p) : nullptr;
        };
        r = &w.add_stack("router", rc);
        w.attach(*r, wire, "shmif0");
        EXPECT_TRUE(r->addr_add("shmif0", ip("198.18.2.1"), 24));
        EXPECT_TRUE(r->addr6_add("shmif0", ip6("2001:db8:2::1"), 64));
        EXPECT_TRUE(r->if_up("shmif0"));
        client = std::move(*wire.attach());
        r_mac = r->if_get("shmif0")->lladdr;
        EXPECT_TRUE(r->arp_add(ip("198.18.2.10"), client->mac()));
        EXPECT_TRUE(r->ndp_add(ip6("2001:db8:2::10"), client->mac()));
    }
    ~rig() { client.reset(); }

    void make_tap() {
        ASSERT_TRUE(r->if_create("tap0"));
        ASSERT_TRUE(r->addr_add("tap0", ip("198.18.255.1"), 30));
        ASSERT_TRUE(r->addr6_add("tap0", ip6("2001:db8:ff::1"), 64));
        ASSERT_TRUE(r->if_up("tap0"));
    }
    void make_host() {
        stack_config hc = no_dad();
        hc.modules.push_back(&host_tcp);
        h = &w.add_stack("host", hc);
        w.attach(*h, hostbus, "eth0");
        EXPECT_TRUE(h->addr_add("eth0", ip("198.18.255.2"), 30));
        EXPECT_TRUE(h->addr_add("eth0", ip("198.18.2.1"), 32));
        EXPECT_TRUE(h->addr6_add("eth0", ip6("2001:db8:ff::2"), 64));
        EXPECT_TRUE(h->addr6_add("eth0", ip6("2001:db8:2::1"), 128));
        EXPECT_TRUE(h->if_up("eth0"));
        world::route(*h, "0.0.0.0/0", "198.18.255.1");
        route6_spec d;
        d.dst = *prefix6::parse("::/0");
        d.gateway = ip6("2001:db8:ff::1");
        EXPECT_TRUE(h->route6_add(d));
    }

    void send(const std::vector<uint8_t>& f) {
        mbuf* m = pkt_alloc(r->pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(client->tx_burst(0, &m, 1), 1);
        w.run_for_ms(20);
    }
    std::vector<received> take() {
        std::vector<received> out;
        mbuf* pk[32];
        for (uint16_t n; (n = client->rx_burst(0, pk, 32)) > 0;)
            for (uint16_t i = 0; i < n; ++i) {
                const auto* e = pkt_header<ether_hdr>(pk[i]);
                if (e && e->type.get() == ethertype_ip4) {
                    const auto* ih = pkt_header<ip4_hdr>(pk[i], 14);
                    if (ih) out.push_back({4, ih->proto, ih->ttl, ip4_addr(ih->src.get()), ip4_addr(ih->dst.get())});
                } else if (e && e->type.get() == ethertype_ip6) {
                    const auto* ih = pkt_header<ip6_hdr>(pk[i], 14);
                    if (ih && ih->next != ipproto_icmpv6) {
                        received x{6, ih->next, ih->hlim, {}, {}};
                        x.src6 = ih->src;
                        x.dst6 = ih->dst;
                        out.push_back(x);
                    }
                }
                pkt_free(pk[i]);
            }
        return out;
    }
    size_t tcp_back4() {
        size_t n = 0;
        for (const auto& x : take())
            if (x.family == 4 && x.proto == ipproto_tcp && x.src == ip("198.18.2.1") && x.dst == ip("198.18.2.10"))
                ++n;
        return n;
    }
    tap::info tinfo() { return *tap::get(*r, "tap0"); }
};

// NetBSD's tap_create_destroy, and what the port seam refuses.
TEST(t_tap, create_destroy) {
    rig g;
    ASSERT_TRUE(g.r->if_create("tap0"));
    ASSERT_EQ(g.opened.size(), 1u);
    EXPECT_NE(g.opened[0].find("net_tap"), std::string::npos);
    EXPECT_NE(g.opened[0].find(",iface=tap0"), std::string::npos) << g.opened[0];
    auto i = g.r->if_get("tap0");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->kind, "tap");
    EXPECT_TRUE(i->created);
    EXPECT_TRUE(i->flags & iff::broadcast);
    EXPECT_EQ(g.r->if_create("tap0").error(), errc::exist);
    ASSERT_TRUE(g.r->if_up("tap0"));
    EXPECT_TRUE(g.r->if_get("tap0")->flags & iff::running);  // the bus port's carrier is there
    ASSERT_TRUE(g.r->if_destroy("tap0"));
    EXPECT_FALSE(g.r->if_get("tap0"));
    ASSERT_TRUE(g.r->if_create("tap0"));  // and again
    ASSERT_TRUE(g.r->if_destroy("tap0"));
    // A port the embedding program cannot open refuses the create, and leaves nothing.
    g.refuse_ports = true;
    EXPECT_EQ(g.r->if_create("tap1").error(), errc::nodev);
    EXPECT_FALSE(g.r->if_get("tap1"));
    // A stack with no port_open makes no tap.
    stack& plain = g.w.add_stack("plain");
    EXPECT_EQ(plain.if_create("tap0").error(), errc::nodev);
    EXPECT_EQ(tap::set_exception(*g.r, "shmif0", true).error(), errc::inval);
    EXPECT_EQ(tap::set_exception(*g.r, "tap9", true).error(), errc::noent);
}

// NetBSD's tap_stand_alone: a tap attached to nothing is not reachable from
// the bus; its own other end (the host) reaches it.
TEST(t_tap, stand_alone) {
    rig g;
    stack& remote = g.w.add_host("remote", g.wire, "shmif0", "198.18.2.3", 24, no_dad());
    EXPECT_TRUE(remote.addr6_add("shmif0", ip6("2001:db8:2::3"), 64));
    EXPECT_TRUE(g.w.ping(remote, ip("198.18.2.1")));
    EXPECT_TRUE(g.w.ping6(remote, ip6("2001:db8:2::1")));
    ASSERT_TRUE(g.r->addr_del("shmif0", ip("198.18.2.1")));
    ASSERT_TRUE(g.r->addr6_del("shmif0", ip6("2001:db8:2::1")));
    g.make_tap();
    ASSERT_TRUE(g.r->addr_add("tap0", ip("198.18.2.2"), 24));
    ASSERT_TRUE(g.r->addr6_add("tap0", ip6("2001:db8:2::2"), 64));
    g.w.run_for_ms(10);
    EXPECT_FALSE(g.w.ping(remote, ip("198.18.2.2"), 1000)) << "reached an alone tap";
    EXPECT_FALSE(g.w.ping6(remote, ip6("2001:db8:2::2"), "", 1000)) << "reached an alone tap";
    // The host end of the tap does reach it.
    g.make_host();
    EXPECT_TRUE(g.w.ping(*g.h, ip("198.18.255.1")));
    EXPECT_TRUE(g.w.ping6(*g.h, ip6("2001:db8:ff::1")));
}

// NetBSD's tap_bridged: bridge0 with shmif0 and tap0; a host on the bus
// reaches the addresses of both members, and the host behind the tap too.
TEST(t_tap, bridged) {
    rig g;
    stack& remote = g.w.add_host("remote", g.wire, "shmif0", "198.18.2.3", 24, no_dad());
    EXPECT_TRUE(remote.addr6_add("shmif0", ip6("2001:db8:2::3"), 64));
    ASSERT_TRUE(g.r->if_create("tap0"));
    ASSERT_TRUE(g.r->addr_add("tap0", ip("198.18.2.2"), 24));
    ASSERT_TRUE(g.r->addr6_add("tap0", ip6("2001:db8:2::2"), 64));
    ASSERT_TRUE(g.r->if_up("tap0"));
    ASSERT_TRUE(g.r->if_create("bridge0"));
    ASSERT_TRUE(bridge::add(*g.r, "bridge0", "shmif0"));
    ASSERT_TRUE(bridge::add(*g.r, "bridge0", "tap0"));
    ASSERT_TRUE(g.r->if_up("bridge0"));
    // The host on the tap's far side, in the bus's subnet.
    stack_config hc = no_dad();
    stack& host = g.w.add_host("host", g.hostbus, "eth0", "198.18.2.4", 24, hc);
    EXPECT_TRUE(host.addr6_add("eth0", ip6("2001:db8:2::4"), 64));
    g.w.run_for_ms(10);
    EXPECT_TRUE(g.w.ping(remote, ip("198.18.2.1")));
    EXPECT_TRUE(g.w.ping(remote, ip("198.18.2.2")));
    EXPECT_TRUE(g.w.ping6(remote, ip6("2001:db8:2::1")));
    EXPECT_TRUE(g.w.ping6(remote, ip6("2001:db8:2::2")));
    EXPECT_TRUE(g.w.ping(remote, ip("198.18.2.4"))) << "the bridge did not carry the bus to the host";
    EXPECT_TRUE(g.w.ping6(remote, ip6("2001:db8:2::4")));
    EXPECT_TRUE(g.w.ping(host, ip("198.18.2.3")));
    // Taken out of the bridge, the tap stands alone again.
    ASSERT_TRUE(bridge::del(*g.r, "bridge0", "tap0"));
    EXPECT_FALSE(g.w.ping(remote, ip("198.18.2.4"), 1000));
}

// The exception path, IPv4: TCP to the router's address reaches the host
// with the original addresses; the host's answer from that address goes out
// as the router's own (TTL untouched, forwarding off); what the router
// handles itself stays; the host's other traffic is ordinary input.
TEST(t_tap, exception4) {
    rig g;
    g.make_tap();
    const auto syn = ip4_frame(g.r_mac, g.client->mac(), ip("198.18.2.10"), ip("198.18.2.1"), ipproto_tcp);
    // No exception path yet: TCP to the router is an unhandled protocol.
    g.send(syn);
    EXPECT_EQ(g.r->drops(drop_reason::ip4_no_proto), 1u);
    ASSERT_TRUE(tap::set_exception(*g.r, "tap0", true));
    EXPECT_TRUE(g.tinfo().exception);
    // The host's MAC is not known until the host speaks (a bus port cannot read it).
    g.send(syn);
    EXPECT_EQ(drop_count(*g.r, "tap_no_host_mac"), 1u);
    g.make_host();
    EXPECT_TRUE(g.w.ping(*g.h, ip("198.18.255.1")));  // ARP: the router learns the host's MAC
    EXPECT_EQ(g.tinfo().host_mac, g.h->if_get("eth0")->lladdr);
    g.take();
    g.send(syn);
    EXPECT_EQ(g_reflected.load(), 1u);
    EXPECT_EQ(ip4_addr(g_last_dst4.load()), ip("198.18.2.1")) << "the host must see the original destination";
    auto back = g.take();
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].proto, ipproto_tcp);
    EXPECT_EQ(back[0].src, ip("198.18.2.1"));
    EXPECT_EQ(back[0].dst, ip("198.18.2.10"));
    EXPECT_EQ(back[0].ttl, 64) << "locally originated: no TTL decrement";
    EXPECT_EQ(g.tinfo().to_host, 1u);
    EXPECT_EQ(g.tinfo().from_host, 1u);
    // UDP to a port mpnet has no handler for goes too; ICMP echo stays with mpnet.
    g.send(ip4_frame(g.r_mac, g.client->mac(), ip("198.18.2.10"), ip("198.18.2.1"), ipproto_udp, 12));
    EXPECT_EQ(g.tinfo().to_host, 2u);
    stack& remote = g.w.add_host("remote", g.wire, "shmif0", "198.18.2.3", 24, no_dad());
    EXPECT_TRUE(g.w.ping(remote, ip("198.18.2.1")));
    EXPECT_EQ(g.tinfo().to_host, 2u) << "ICMP is mpnet's own";
    // Group destinations are never passed.
    g.send(ip4_frame(ether_addr::broadcast(), g.client->mac(), ip("198.18.2.10"), ip("198.18.2.255"), ipproto_tcp));
    EXPECT_EQ(g.tinfo().to_host, 2u);
    // The host's packets from an address that is not the router's are
    // ordinary input: with forwarding off they are not forwarded.
    const uint64_t not_local = g.r->drops(drop_reason::ip4_not_local);
    ping_opts o;
    o.src = ip("198.18.255.2");
    auto id = g.h->ping_start(ip("198.18.2.10"), o);
    ASSERT_TRUE(id);
    g.w.run_for_ms(50);
    g.h->ping_release(*id);
    EXPECT_EQ(g.r->drops(drop_reason::ip4_not_local), not_local + 1);
    EXPECT_EQ(g.tinfo().from_host, 1u);
    // -exception: the path closes.
    ASSERT_TRUE(tap::set_exception(*g.r, "tap0", false));
    const uint64_t noproto = g.r->drops(drop_reason::ip4_no_proto);
    g.send(syn);
    EXPECT_EQ(g.r->drops(drop_reason::ip4_no_proto), noproto + 1);
    EXPECT_EQ(g_reflected.load(), 1u);
    // A destroyed tap takes the path with it.
    ASSERT_TRUE(tap::set_exception(*g.r, "tap0", true));
    g.send(syn);
    EXPECT_EQ(g_reflected.load(), 2u);
    ASSERT_TRUE(g.r->if_destroy("tap0"));
    g.send(syn);
    EXPECT_EQ(g.r->drops(drop_reason::ip4_no_proto), noproto + 2);
}

TEST(t_tap, exception6) {
    rig g;
    g.make_tap();
    g.make_host();
    ASSERT_TRUE(tap::set_exception(*g.r, "tap0", true));
    EXPECT_TRUE(g.w.ping6(*g.h, ip6("2001:db8:ff::1")));  // ND: the router learns the host's MAC
    g.take();
    g.send(ip6_frame(g.r_mac, g.client->mac(), ip6("2001:db8:2::10"), ip6("2001:db8:2::1"), ipproto_tcp));
    EXPECT_EQ(g_reflected.load(), 1u);
    auto back = g.take();
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].family, 6);
    EXPECT_EQ(back[0].proto, ipproto_tcp);
    EXPECT_EQ(back[0].src6, ip6("2001:db8:2::1"));
    EXPECT_EQ(back[0].dst6, ip6("2001:db8:2::10"));
    EXPECT_EQ(back[0].ttl, 64) << "locally originated: no hop-limit decrement";
    EXPECT_EQ(g.tinfo().to_host, 1u);
    EXPECT_EQ(g.tinfo().from_host, 1u);
    // An unknown next header goes to the host instead of a parameter problem.
    g.send(ip6_frame(g.r_mac, g.client->mac(), ip6("2001:db8:2::10"), ip6("2001:db8:2::1"), 253));
    EXPECT_EQ(g.tinfo().to_host, 2u);
}

// The exception interface shows in ifconfig and in the saved configuration.
TEST(t_tap, show) {
    rig g;
    g.make_tap();
    auto i = g.r->if_get("tap0");
    ASSERT_TRUE(i);
    ASSERT_EQ(i->kind_lines.size(), 1u);
    EXPECT_NE(i->kind_lines[0].find("tap: host tap0"), std::string::npos) << i->kind_lines[0];
    EXPECT_EQ(i->config_lines.size(), 0u);
    ASSERT_TRUE(tap::set_exception(*g.r, "tap0", true));
    i = g.r->if_get("tap0");
    EXPECT_NE(i->kind_lines[0].find("exception"), std::string::npos);
    ASSERT_EQ(i->config_lines.size(), 1u);
    EXPECT_EQ(i->config_lines[0], "ifconfig tap0 exception");
}

}  // namespace
}  // namespace mpnet::testing
