// SPDX-License-Identifier: BSD-2-Clause
// A module written in tests/ against the seams alone (mpnet/stack/module.hpp),
// with no change to src/: an interface kind `tst` (a point-to-point layer-3
// interface carried over an Ethernet parent in frames of the local
// experimental ethertype 0x88b5 with a one-byte shim), an IP-protocol handler
// for protocol 253 (RFC 3692's experimental number) that answers, a UDP port
// handler, a poll source, a lifecycle hook that takes a tst interface with
// its parent, and a drop reason of its own.
#include <atomic>
#include <chrono>
#include <thread>
#include <cstring>

#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/l3/udp.hpp"
#include "mpnet/stack/module.hpp"
#include "../support/world.hpp"

namespace mpnet::testing {
namespace {

constexpr uint16_t ethertype_tst = 0x88b5;
constexpr uint8_t proto_exp = 253;
constexpr uint16_t udp_port_tst = 7777;

struct tst_state {
    drop_reason bad_shim{};
    uint16_t punt_id = 0;
    std::atomic<uint64_t> exp_requests{0}, exp_replies{0}, udp_datagrams{0}, polls{0}, punted{0};
    std::atomic<uint64_t> hooks_attach{0}, hooks_detach{0};
};

struct tst_softc final : if_softc {
    ifindex_t parent = 0;  // ifindex of the Ethernet parent (0: none)
};

tst_softc* sc(const ifnet& ifp) { return static_cast<tst_softc*>(ifp.softc()); }

// Output from layer 3: the shim (the family) and an Ethernet header to the
// broadcast address, out of the parent.
void tst_output(dp_ctx& c, ifnet& ifp, mbuf* m, const l3_next& nh, void*) noexcept {
    ifnet* parent = c.if_lookup(sc(ifp)->parent);
    if (!parent) return c.drop(m, drop_reason::if_down);
    uint8_t* shim = pkt_prepend(m, 1);
    if (!shim) return c.drop(m, drop_reason::nobufs);
    *shim = nh.family;
    ifp.count(c.lcore(), if_counter::opackets);
    c.ether_output(*parent, m, ether_addr::broadcast(), ethertype_tst);
}

// Frames of our ethertype (Ethernet header gone): find the tst interface on
// the receiving parent, strip the shim, hand the packets to layer 3 on it.
void tst_frames(dp_ctx& c, ifnet& parent, mbuf** pkts, uint16_t n, void* arg) noexcept {
    auto* st = static_cast<tst_state*>(arg);
    ifnet* tst = nullptr;
    for (ifindex_t i = 1; i < 64 && !tst; ++i)  // this test's stacks have a few interfaces
        if (ifnet* x = c.if_lookup(i); x && x->kind().name == "tst" && sc(*x)->parent == parent.index()) tst = x;
    mbuf* ok[pkt_batch::capacity];
    uint16_t k = 0;
    for (uint16_t i = 0; i < n; ++i) {
        const uint8_t* shim = pkt_header<uint8_t>(pkts[i]);
        if (!tst || !shim || (*shim != 4 && *shim != 6)) {
            c.drop(pkts[i], st->bad_shim);
            continue;
        }
        pkt_adj(pkts[i], 1);
        tst->count(c.lcore(), if_counter::ipackets);
        ok[k++] = pkts[i];
    }
    if (k) c.ip_input(*tst, ok, k);
}

// Protocol 253: a request (first payload byte 'Q') is answered with 'A' to
// its source; an answer is counted and handed to the control plane.
void exp_input(dp_ctx& c, ifnet& ifp, mbuf* m, const l4_info& li, void* arg) noexcept {
    auto* st = static_cast<tst_state*>(arg);
    auto* h = pkt_header<ip4_hdr>(m);
    uint8_t* body = pkt_header<uint8_t>(m, li.off);
    if (li.family != 4 || !h || !body) return c.drop(m, drop_reason::ip4_no_proto);
    if (*body == 'Q') {
        st->exp_requests.fetch_add(1);
        const ip4_addr src(h->src.get()), dst(h->dst.get());
        const uint32_t plen = pkt_len(m) - li.off;
        pkt_adj(m, static_cast<uint16_t>(li.off));
        *pkt_data(m) = 'A';
        pkt_trim_to(m, plen);
        if (!ip4_encap(m, dst, src, proto_exp, 64, 1)) return c.drop(m, drop_reason::nobufs);
        return c.ip4_output(m);
    }
    st->exp_replies.fetch_add(1);
    c.punt(m, st->punt_id, ifp.index(), *body);
}

void udp_input(dp_ctx&, ifnet&, mbuf* m, const l4_info& li, void* arg) noexcept {
    auto* st = static_cast<tst_state*>(arg);
    if (li.dport == udp_port_tst && li.family == 4) st->udp_datagrams.fetch_add(1);
    pkt_free(m);  // delivered: the count is all this listener keeps
}

uint32_t tst_poll(dp_ctx&, void* arg) noexcept {
    static_cast<tst_state*>(arg)->polls.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

status tst_create(module_ctl&, ifnet& ifp, void*) {
    ifp.set_softc(std::make_unique<tst_softc>());
    ifp.set_mtu(1400);
    ifp.set_flags(iff::multicast);
    return {};
}

void tst_show(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    lines.push_back("tst parent ifindex: " + std::to_string(sc(ifp)->parent));
}

void tst_hook(module_ctl& ctl, ifnet& ifp, if_event ev, void* arg) {
    auto* st = static_cast<tst_state*>(arg);
    if (ev == if_event::attach && ifp.kind().name == "tst") st->hooks_attach.fetch_add(1);
    if (ev != if_event::detach) return;
    if (ifp.kind().name == "tst") st->hooks_detach.fetch_add(1);
    // A parent going takes its tst interfaces with it.
    std::vector<ifnet*> children;
    ctl.for_each_if([&](ifnet& x) {
        if (x.kind().name == "tst" && sc(x)->parent == ifp.index()) children.push_back(&x);
    });
    for (ifnet* x : children) ctl.if_destroy(*x);
}

tst_state* g_last_state = nullptr;  // the state of the most recent stack's module (tests are serial)

void tst_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<tst_state>());
    g_last_state = st;
    if_kind k;
    k.name = "tst";
    k.prefix = "tst";
    k.output = tst_output;
    k.create = tst_create;
    k.show = tst_show;
    k.running_config = [](module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
        lines.push_back("tstconfig " + ifp.name() + " parent " + std::to_string(sc(ifp)->parent));
    };
    k.arg = st;
    r.kind(k);
    r.ethertype(ethertype_tst, tst_frames, st);
    r.ip_proto(4, proto_exp, exp_input, st);
    r.udp_port(4, udp_port_tst, udp_input, st);
    r.poll_source(tst_poll, st);
    r.if_hook(tst_hook, st);
    st->bad_shim = r.drop("tst_bad_shim");
    st->punt_id = r.punt("exp_reply", [](module_ctl&, ifnet&, mbuf* m, uint32_t aux, void* arg) {
        if (aux == 'A') static_cast<tst_state*>(arg)->punted.fetch_add(1);
        pkt_free(m);
    }, st);
}

constexpr module tst_module{"tst", tst_attach};

// The module's own API: `tstconfig IF parent PARENT`.
status tst_set_parent(stack& s, std::string_view ifname, std::string_view parent) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        ifnet* par = ctl.if_find(parent);
        if (!ifp || !par) return errc::noent;
        if (ifp->kind().name != "tst" || !(par->caps() & ifcap::lladdr)) return errc::inval;
        sc(*ifp)->parent = par->index();
        return {};
    });
}

struct node {
    stack* s;
    tst_state* st;
};

class t_module : public ::testing::Test {
protected:
    world w;
    drivers::bus* bus = nullptr;

    node add(const char* name, const char* v4, const char* v6) {
        stack_config cfg;
        cfg.modules = {&tst_module};
        cfg.dad_count = 0;
        cfg.dad6_count = 0;
        stack& s = w.add_stack(name, cfg);
        tst_state* st = g_last_state;
        w.attach(s, *bus, "mp0");
        EXPECT_TRUE(s.if_up("mp0"));
        EXPECT_TRUE(s.if_create("tst0").has_value());
        EXPECT_TRUE(tst_set_parent(s, "tst0", "mp0"));
        EXPECT_TRUE(s.addr_add("tst0", ip(v4), 24));
        EXPECT_TRUE(s.addr6_add("tst0", ip6(v6), 64));
        EXPECT_TRUE(s.if_up("tst0"));
        return {&s, st};
    }

    void SetUp() override { bus = &w.add_bus("tstbus"); }

    // Sends one IPv4 packet of `proto` with `body` from the control plane of `s`.
    static void send4(stack& s, const char* src, const char* dst, uint8_t proto, const std::vector<uint8_t>& body,
                      bool udp_bad_cksum = false) {
        ASSERT_TRUE(s.ctl_call([&](module_ctl& ctl) -> status {
            mbuf* m = pkt_alloc(ctl.dp().pool(), static_cast<uint16_t>(body.size()));
            if (!m) return errc::nomem;
            std::memcpy(pkt_data(m), body.data(), body.size());
            if (!ip4_encap(m, ip(src), ip(dst), proto, 64, 7)) return errc::nomem;
            if (proto == ipproto_udp) {
                udp_fill_cksum(m, 4, sizeof(ip4_hdr), static_cast<uint32_t>(body.size()));
                if (udp_bad_cksum) pkt_data(m)[sizeof(ip4_hdr) + 6] ^= 0x55;
            }
            ctl.dp().ip4_output(m);
            return {};
        }));
    }
};

TEST_F(t_module, KindAndProtocolHandlerFromOutsideSrcCarryTraffic) {
    node a = add("a", "198.18.200.1", "2001:db8:200::1");
    node b = add("b", "198.18.200.2", "2001:db8:200::2");
    // ICMP echo both ways through the kind's output and its ethertype's input.
    EXPECT_TRUE(w.ping(*a.s, ip("198.18.200.2")));
    EXPECT_TRUE(w.ping(*b.s, ip("198.18.200.1")));
    EXPECT_TRUE(w.ping6(*a.s, ip6("2001:db8:200::2")));
    // No ARP or ND on a kind without a link address: nothing learned.
    EXPECT_TRUE(a.s->arp_list().empty());
    EXPECT_TRUE(a.s->ndp_list().empty());
    // Protocol 253: a request from a, answered by b's handler, counted by a's
    // handler and handed to a's control plane by the module's own hand-over.
    for (int i = 0; i < 3; ++i) send4(*a.s, "198.18.200.1", "198.18.200.2", proto_exp, {'Q', 1, 2, 3});
    w.run_for_ms(5);
    EXPECT_EQ(b.st->exp_requests.load(), 3u);
    EXPECT_EQ(a.st->exp_replies.load(), 3u);
    EXPECT_EQ(a.st->punted.load(), 3u);
    // The kind's counters moved; the poll source ran on the worker.
    auto ti = a.s->if_get("tst0");
    ASSERT_TRUE(ti);
    EXPECT_EQ(ti->kind, "tst");
    EXPECT_GE(ti->opackets, 5u);
    EXPECT_GE(ti->ipackets, 5u);
    EXPECT_GT(a.st->polls.load(), 0u);
    ASSERT_EQ(ti->kind_lines.size(), 1u);
    EXPECT_EQ(ti->kind_lines[0], "tst parent ifindex: 2");
    ASSERT_EQ(ti->config_lines.size(), 1u);
    EXPECT_EQ(ti->config_lines[0], "tstconfig tst0 parent 2");
    EXPECT_TRUE(ti->created);
    // UDP to the registered port: a good datagram is delivered, a bad
    // checksum is the named drop, another port takes the default path.
    b.s->drops_clear();
    send4(*a.s, "198.18.200.1", "198.18.200.2", ipproto_udp, {0x30, 0x39, 0x1e, 0x61, 0, 12, 0, 0, 'h', 'i', '!', '!'});
    send4(*a.s, "198.18.200.1", "198.18.200.2", ipproto_udp, {0x30, 0x39, 0x1e, 0x61, 0, 12, 0, 0, 'h', 'i', '!', '!'},
          true);
    send4(*a.s, "198.18.200.1", "198.18.200.2", ipproto_udp, {0x30, 0x39, 0x1e, 0x62, 0, 12, 0, 0, 'h', 'i', '!', '!'});
    w.run_for_ms(5);
    EXPECT_EQ(b.st->udp_datagrams.load(), 1u);
    EXPECT_EQ(b.s->drops(drop_reason::udp_bad_cksum), 1u);
    EXPECT_EQ(b.s->drops(drop_reason::ip4_no_proto), 1u);  // port 7778: the default path
}

TEST_F(t_module, BadShimIsTheModulesNamedDrop) {
    node a = add("a", "198.18.200.1", "2001:db8:200::1");
    node b = add("b", "198.18.200.2", "2001:db8:200::2");
    (void)b;
    // A frame of the module's ethertype with a shim that names no family.
    ASSERT_TRUE(a.s->ctl_call([&](module_ctl& ctl) -> status {
        mbuf* m = pkt_alloc(ctl.dp().pool(), 30);
        std::memset(pkt_data(m), 9, 30);
        ctl.dp().ether_output(*ctl.if_find("mp0"), m, ether_addr::broadcast(), ethertype_tst);
        return {};
    }));
    w.run_for_ms(3);
    const drop_reason bad = b.st->bad_shim;
    EXPECT_EQ(b.s->drops(bad), 1u);
    EXPECT_EQ(b.s->drop_name(bad), "tst_bad_shim");
    bool listed = false;
    for (const auto& [name, n] : b.s->drop_list())
        if (name == "tst_bad_shim") listed = n == 1;
    EXPECT_TRUE(listed);
}

TEST_F(t_module, HooksSeeCreateAndDestroyAndAParentTakesItsChildren) {
    node a = add("a", "198.18.200.1", "2001:db8:200::1");
    EXPECT_EQ(a.st->hooks_attach.load(), 1u);
    EXPECT_EQ(a.s->if_create("tst0").error(), errc::exist);
    EXPECT_EQ(a.s->if_create("nosuch0").error(), errc::inval);
    EXPECT_EQ(a.s->if_create("tst").error(), errc::inval);  // no unit number
    ASSERT_TRUE(a.s->if_create("tst1").has_value());
    EXPECT_EQ(tst_set_parent(*a.s, "tst1", "lo0").error(), errc::inval);
    ASSERT_TRUE(tst_set_parent(*a.s, "tst1", "mp0"));
    EXPECT_TRUE(a.s->if_destroy("tst1"));
    EXPECT_EQ(a.st->hooks_detach.load(), 1u);
    // The parent goes, and tst0 with it: no route through it is left.
    EXPECT_TRUE(a.s->if_destroy("mp0"));
    EXPECT_FALSE(a.s->if_get("tst0").has_value());
    EXPECT_EQ(a.st->hooks_detach.load(), 2u);
    for (const auto& r : a.s->route_list()) EXPECT_NE(r.ifname, "tst0");
}

TEST_F(t_module, RegistrationErrorsAreRefusedAtStartUp) {
    static constexpr module twice{"twice", [](module_registrar& r) {
        r.ip_proto(4, ipproto_icmp, [](dp_ctx& c, ifnet&, mbuf* m, const l4_info&, void*) noexcept {
            c.drop(m, drop_reason::ip4_no_proto);
        });
    }};
    stack_config cfg;
    cfg.modules = {&twice};
    EXPECT_THROW(w.add_stack("x", cfg), std::invalid_argument);
    static constexpr module ip_type{"ip", [](module_registrar& r) {
        r.ethertype(ethertype_ip4, [](dp_ctx&, ifnet&, mbuf**, uint16_t, void*) noexcept {});
    }};
    cfg.modules = {&ip_type};
    EXPECT_THROW(w.add_stack("y", cfg), std::invalid_argument);
    static constexpr module lo_again{"lo", [](module_registrar& r) {
        if_kind k;
        k.name = "lo2";
        k.prefix = "lo";
        r.kind(k);
    }};
    cfg.modules = {&lo_again};
    EXPECT_THROW(w.add_stack("z", cfg), std::invalid_argument);
}

// Burst handlers (module_registrar::ip_proto_burst / udp_port_burst): the
// packets of one received burst for a protocol or port reach their handler
// together, in arrival order, after the burst's other packets; each handler
// sees only its own.
struct burst_state {
    std::vector<std::vector<uint8_t>> proto_calls, udp_calls;  // per call: each packet's tag
    std::vector<uint32_t> offs, dports;
};
burst_state* g_burst = nullptr;
constexpr uint8_t proto_burst = 254;
constexpr uint16_t udp_port_burst = 7779;

void record(std::vector<std::vector<uint8_t>>& calls, std::vector<uint32_t>& offs, mbuf** pkts,
            const l4_info* li, uint16_t n, uint32_t skip) {
    std::vector<uint8_t> tags;
    for (uint16_t i = 0; i < n; ++i) {
        tags.push_back(pkt_data(pkts[i])[li[i].off + skip]);
        offs.push_back(li[i].off);
        pkt_free(pkts[i]);
    }
    calls.push_back(tags);
}

constexpr module burst_module{"bst", [](module_registrar& r) {
    auto* st = r.own(std::make_unique<burst_state>());
    g_burst = st;
    r.ip_proto_burst(4, proto_burst, [](dp_ctx&, ifnet&, mbuf** pkts, const l4_info* li, uint16_t n,
                                        void* arg) noexcept {
        auto* b = static_cast<burst_state*>(arg);
        record(b->proto_calls, b->offs, pkts, li, n, 0);
    }, st);
    r.udp_port_burst(4, udp_port_burst, [](dp_ctx&, ifnet&, mbuf** pkts, const l4_info* li, uint16_t n,
                                           void* arg) noexcept {
        auto* b = static_cast<burst_state*>(arg);
        for (uint16_t i = 0; i < n; ++i) b->dports.push_back(li[i].dport);
        record(b->udp_calls, b->offs, pkts, li, n, 8);
    }, st);
}};

TEST(t_module_burst, a_bursts_packets_reach_each_burst_handler_together_and_in_order) {
    world w;
    drivers::bus& bus = w.add_bus("bstbus");
    stack_config cfg;
    cfg.modules = {&burst_module};
    stack& b = w.add_host("b", bus, "mp0", "198.18.201.2", 24, cfg);
    burst_state* st = g_burst;
    stack& a = w.add_host("a", bus, "mp0", "198.18.201.1");
    ASSERT_TRUE(w.ping(a, ip("198.18.201.2")));  // neighbors resolved: what follows leaves as one burst
    // One burst from a: protocol 254 tagged 1, 3, 5; UDP to the port tagged
    // 2 and 4; an echo request between them.
    ASSERT_TRUE(a.ctl_call([&](module_ctl& ctl) -> status {
        for (uint8_t tag = 1; tag <= 6; ++tag) {
            const bool udp = tag == 2 || tag == 4;
            std::vector<uint8_t> body;
            if (udp) body = {0x30, 0x39, uint8_t(udp_port_burst >> 8), uint8_t(udp_port_burst & 0xff), 0, 9, 0, 0};
            body.push_back(tag);
            if (tag == 6) {
                mbuf* e = icmp_echo_build(ctl.dp().pool(), ip("198.18.201.1"), ip("198.18.201.2"), 77, 1, 8, 64);
                if (!e) return errc::nomem;
                ctl.dp().ip4_output(e);
                continue;
            }
            mbuf* m = pkt_alloc(ctl.dp().pool(), static_cast<uint16_t>(body.size()));
            if (!m) return errc::nomem;
            std::memcpy(pkt_data(m), body.data(), body.size());
            if (!ip4_encap(m, ip("198.18.201.1"), ip("198.18.201.2"), udp ? ipproto_udp : proto_burst, 64, tag))
                return errc::nomem;
            if (udp) udp_fill_cksum(m, 4, sizeof(ip4_hdr), static_cast<uint32_t>(body.size()));
            ctl.dp().ip4_output(m);
        }
        return {};
    }));
    const uint64_t a_in = a.if_get("mp0")->ipackets;
    w.run_for_ms(5);
    ASSERT_EQ(st->proto_calls.size(), 1u);
    EXPECT_EQ(st->proto_calls[0], (std::vector<uint8_t>{1, 3, 5}));
    ASSERT_EQ(st->udp_calls.size(), 1u);
    EXPECT_EQ(st->udp_calls[0], (std::vector<uint8_t>{2, 4}));
    EXPECT_EQ(st->dports, (std::vector<uint32_t>{udp_port_burst, udp_port_burst}));
    for (uint32_t off : st->offs) EXPECT_EQ(off, sizeof(ip4_hdr));
    EXPECT_EQ(a.if_get("mp0")->ipackets, a_in + 1);  // the echo took the stack's own path: answered
    EXPECT_EQ(b.drops(drop_reason::ip4_no_proto), 0u);
    // A protocol given both a packet and a burst handler is refused.
    static constexpr module both{"both", [](module_registrar& r) {
        r.ip_proto_burst(4, 200, [](dp_ctx&, ifnet&, mbuf**, const l4_info*, uint16_t, void*) noexcept {});
        r.ip_proto(4, 200, [](dp_ctx& c, ifnet&, mbuf* m, const l4_info&, void*) noexcept {
            c.drop(m, drop_reason::ip4_no_proto);
        });
    }};
    stack_config bad;
    bad.modules = {&both};
    EXPECT_THROW(w.add_stack("x", bad), std::invalid_argument);
}

}  // namespace
}  // namespace mpnet::testing

namespace mpnet::testing {
namespace {

// A module whose poll source, once armed, takes 3 ms of one poll: the
// worker's poll-gap counters (show lcores) must see that gap, which they
// do only if the worker loop notes every poll's start.
struct slow_state {
    std::atomic<bool> armed{false};
    std::atomic<bool> done{false};
};
slow_state g_slow;

uint32_t slow_poll(dp_ctx&, void* arg) noexcept {
    auto* st = static_cast<slow_state*>(arg);
    if (!st->armed.exchange(false)) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    st->done.store(true);
    return 1;  // busy: the worker neither naps nor forgets the poll's start
}

constexpr module slow_module{"slowpoll", [](module_registrar& r) { r.poll_source(slow_poll, &g_slow); }};

TEST(t_module_poll, a_slow_poll_source_shows_as_a_poll_gap) {
    stack_config c;
    c.name = "gap";
    c.workers = 1;
    c.worker_mode = lcore_mode::poll;
    c.modules = {&slow_module};
    stack s(c);
    ASSERT_TRUE(s.start());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // A few polls first, so the armed one has a predecessor to be measured from.
    while (s.lcore_list()[0].polls < 100 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    g_slow.done.store(false);
    g_slow.armed.store(true);
    while (!g_slow.done.load() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // The gap is noted when the next poll starts.
    const uint64_t polls = s.lcore_list()[0].polls;
    while (s.lcore_list()[0].polls < polls + 10 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto l = s.lcore_list()[0];
    s.stop();
    ASSERT_TRUE(g_slow.done.load()) << "the worker never ran the poll source";
    EXPECT_GE(l.gaps[0], 1u);
    EXPECT_GE(l.gaps[1], 1u) << "a 3 ms poll was not counted as a gap of 1 ms or more";
    EXPECT_GE(l.gap_max_ns, 3 * ns_per_ms);
}

}  // namespace
}  // namespace mpnet::testing
