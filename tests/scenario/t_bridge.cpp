// SPDX-License-Identifier: BSD-2-Clause
// bridge(4), ported from NetBSD's tests/net/if_bridge (t_bridge.sh and
// t_rtable.sh): two segments joined by a bridge on a third stack, pings
// across it in both families, addresses on the members and on the bridge,
// the forwarding database's learning, deladdr, flush, timeout, maxaddr,
// static entries and purge on member removal; no frame back out of the port
// it came in on; flooding and DISCOVER; brconfig's words; destroying the
// bridge under traffic leaks no packet buffer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cstring>
#include <map>
#include <sstream>

#include "../support/world.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/modules/bridge.hpp"

namespace mpnet::testing {
namespace {

stack_config quiet() { return no_dad(); }
uint64_t drops(stack& s, const char* name) { return drop_count(s, name); }

// NetBSD's topology: h1 on bus1 and h3 on bus2, one subnet; the bridge host
// r has shmif0 on bus1 and shmif1 on bus2, up, without addresses.
struct topo {
    world w;
    drivers::bus& bus1 = w.add_bus("br1");
    drivers::bus& bus2 = w.add_bus("br2");
    stack& h1 = w.add_host("h1", bus1, "shmif0", "198.18.0.1", 24, quiet());
    stack& h3 = w.add_host("h3", bus2, "shmif0", "198.18.0.2", 24, quiet());
    stack& r = w.add_stack("r", quiet());
    ether_addr mac1, mac3;
    topo() {
        w.attach(r, bus1, "shmif0");
        w.attach(r, bus2, "shmif1");
        EXPECT_TRUE(r.if_up("shmif0"));
        EXPECT_TRUE(r.if_up("shmif1"));
        EXPECT_TRUE(h1.addr6_add("shmif0", ip6("2001:db8::1"), 64));
        EXPECT_TRUE(h3.addr6_add("shmif0", ip6("2001:db8::2"), 64));
        mac1 = h1.if_get("shmif0")->lladdr;
        mac3 = h3.if_get("shmif0")->lladdr;
        w.run_for_ms(5);
    }
    void setup_bridge() {
        ASSERT_TRUE(r.if_create("bridge0").has_value());
        ASSERT_TRUE(r.if_up("bridge0"));
        ASSERT_TRUE(bridge::add(r, "bridge0", "shmif0"));
        ASSERT_TRUE(bridge::add(r, "bridge0", "shmif1"));
    }
    void teardown_bridge() {
        ASSERT_TRUE(bridge::del(r, "bridge0", "shmif0"));
        ASSERT_TRUE(bridge::del(r, "bridge0", "shmif1"));
    }
    bridge::info br() { return *bridge::get(r, "bridge0"); }
    // The FDB's port for `m`, or "" when it is not there.
    std::string port_of(const ether_addr& m) {
        for (const auto& e : br().fdb)
            if (e.mac == m) return e.ifname;
        return "";
    }
    void forget_arp() {
        h1.arp_flush();
        h3.arp_flush();
    }
};

TEST(t_bridge, bridge_ipv4) {
    topo t;
    EXPECT_FALSE(t.w.ping(t.h1, ip("198.18.0.2"), 200));
    t.setup_bridge();
    const auto b = t.br();
    ASSERT_EQ(b.ports.size(), 2u);
    EXPECT_EQ(b.ports[0].ifname, "shmif0");
    EXPECT_EQ(b.ports[1].ifname, "shmif1");
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_TRUE(t.w.ping(t.h3, ip("198.18.0.1")));
    EXPECT_GT(t.r.if_get("bridge0")->ipackets, 0u);
    EXPECT_GT(t.r.if_get("bridge0")->opackets, 0u);
    t.teardown_bridge();
    t.forget_arp();
    EXPECT_FALSE(t.w.ping(t.h1, ip("198.18.0.2"), 200));
    EXPECT_FALSE(t.w.ping(t.h3, ip("198.18.0.1"), 200));
}

TEST(t_bridge, bridge_ipv6) {
    topo t;
    EXPECT_FALSE(t.w.ping6(t.h1, ip6("2001:db8::2"), "", 200));
    t.setup_bridge();
    EXPECT_TRUE(t.w.ping6(t.h1, ip6("2001:db8::2")));
    EXPECT_TRUE(t.w.ping6(t.h3, ip6("2001:db8::1")));
    t.teardown_bridge();
    t.h1.ndp_flush();
    t.h3.ndp_flush();
    EXPECT_FALSE(t.w.ping6(t.h1, ip6("2001:db8::2"), "", 200));
}

// PR 48104: a packet received on one member for the address of another is
// delivered locally; and addresses on the bridge interface itself answer.
TEST(t_bridge, bridge_member_ip_and_bridge_ip) {
    topo t;
    t.setup_bridge();
    ASSERT_TRUE(t.r.addr_add("shmif0", ip("198.18.0.11"), 24));
    ASSERT_TRUE(t.r.addr_add("shmif1", ip("198.18.0.12"), 24));
    ASSERT_TRUE(t.r.addr6_add("shmif0", ip6("2001:db8::11"), 64));
    ASSERT_TRUE(t.r.addr6_add("shmif1", ip6("2001:db8::12"), 64));
    t.w.run_for_ms(5);
    for (stack* h : {&t.h1, &t.h3}) {
        EXPECT_TRUE(t.w.ping(*h, ip("198.18.0.11"))) << h->config().name;
        EXPECT_TRUE(t.w.ping(*h, ip("198.18.0.12"))) << h->config().name;
        EXPECT_TRUE(t.w.ping6(*h, ip6("2001:db8::11"))) << h->config().name;
        EXPECT_TRUE(t.w.ping6(*h, ip6("2001:db8::12"))) << h->config().name;
    }
    // The bridge's own addresses, in another subnet of its own.
    ASSERT_TRUE(t.r.addr_add("bridge0", ip("198.18.1.10"), 24));
    ASSERT_TRUE(t.r.addr6_add("bridge0", ip6("2001:db8:1::10"), 64));
    ASSERT_TRUE(t.h1.addr_add("shmif0", ip("198.18.1.1"), 24));
    ASSERT_TRUE(t.h3.addr_add("shmif0", ip("198.18.1.2"), 24));
    ASSERT_TRUE(t.h1.addr6_add("shmif0", ip6("2001:db8:1::1"), 64));
    t.w.run_for_ms(5);
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.1.10")));
    EXPECT_TRUE(t.w.ping(t.h3, ip("198.18.1.10")));
    EXPECT_TRUE(t.w.ping(t.r, ip("198.18.1.2")));  // out of the bridge, by its FDB
    EXPECT_TRUE(t.w.ping6(t.h1, ip6("2001:db8:1::10")));
    auto e = t.r.arp_get(ip("198.18.1.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].ifname, "bridge0");
    t.teardown_bridge();
    t.forget_arp();
    EXPECT_FALSE(t.w.ping(t.h1, ip("198.18.0.12"), 200));
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.11")));  // its own segment's member still answers
}

TEST(t_bridge, bridge_rtable_basic_flush_and_deladdr) {
    topo t;
    t.setup_bridge();
    EXPECT_EQ(t.port_of(t.mac1), "");
    EXPECT_EQ(t.port_of(t.mac3), "");
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(t.port_of(t.mac1), "shmif0");
    EXPECT_EQ(t.port_of(t.mac3), "shmif1");
    EXPECT_GE(t.br().learned, 2u);
    ASSERT_TRUE(bridge::deladdr(t.r, "bridge0", t.mac1));
    EXPECT_EQ(t.port_of(t.mac1), "");
    EXPECT_EQ(t.port_of(t.mac3), "shmif1");
    EXPECT_EQ(bridge::deladdr(t.r, "bridge0", t.mac1).error(), errc::noent);
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(t.port_of(t.mac1), "shmif0");
    ASSERT_TRUE(bridge::flush(t.r, "bridge0", false));
    EXPECT_TRUE(t.br().fdb.empty());
}

TEST(t_bridge, bridge_rtable_timeout_ages_entries_out) {
    topo t;
    t.setup_bridge();
    EXPECT_EQ(t.br().timeout_s, 1200u);
    ASSERT_TRUE(bridge::set_timeout(t.r, "bridge0", 5));
    EXPECT_EQ(t.br().timeout_s, 5u);
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    ASSERT_EQ(t.br().fdb.size(), 2u);
    for (const auto& e : t.br().fdb) {
        EXPECT_GE(e.expire_s, 4);
        EXPECT_LE(e.expire_s, 5);
    }
    // The hosts go quiet (their neighbor probes would refresh the entries).
    // For 2 s: still there; for the timeout and a sweep period: gone.
    ASSERT_TRUE(t.h1.if_down("shmif0"));
    ASSERT_TRUE(t.h3.if_down("shmif0"));
    t.w.run_virtual_ms(2000);
    EXPECT_EQ(t.br().fdb.size(), 2u);
    t.w.run_virtual_ms(5000);
    EXPECT_TRUE(t.br().fdb.empty());
    // Timeout 0: entries never age.
    ASSERT_TRUE(bridge::set_timeout(t.r, "bridge0", 0));
    ASSERT_TRUE(t.h1.if_up("shmif0"));
    ASSERT_TRUE(t.h3.if_up("shmif0"));
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    ASSERT_TRUE(t.h1.if_down("shmif0"));
    ASSERT_TRUE(t.h3.if_down("shmif0"));
    t.w.run_virtual_ms(3600 * 1000);
    EXPECT_EQ(t.br().fdb.size(), 2u);
    EXPECT_EQ(t.br().fdb[0].expire_s, -1);
}

TEST(t_bridge, traffic_keeps_an_entry_alive) {
    topo t;
    t.setup_bridge();
    ASSERT_TRUE(bridge::set_timeout(t.r, "bridge0", 4));
    // A ping every second for 12 s: the entries stay (the hit path refreshes them).
    for (int i = 0; i < 12; ++i) {
        ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2"))) << i;
        t.w.run_virtual_ms(1000);
    }
    EXPECT_EQ(t.port_of(t.mac1), "shmif0");
    EXPECT_EQ(t.port_of(t.mac3), "shmif1");
}

TEST(t_bridge, bridge_rtable_maxaddr) {
    topo t;
    t.setup_bridge();
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(t.br().maxaddr, 100u);
    EXPECT_EQ(t.br().fdb.size(), 2u);
    ASSERT_TRUE(bridge::set_maxaddr(t.r, "bridge0", 1));
    EXPECT_EQ(t.br().maxaddr, 1u);
    EXPECT_EQ(t.br().fdb.size(), 1u);
    // Full: a new source is not learned (and counted), traffic still flows.
    ASSERT_TRUE(bridge::flush(t.r, "bridge0", false));
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(t.br().fdb.size(), 1u);
    EXPECT_GT(t.br().fdb_full, 0u);
    ASSERT_TRUE(bridge::set_maxaddr(t.r, "bridge0", 2));
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(t.br().fdb.size(), 2u);
    EXPECT_EQ(bridge::set_maxaddr(t.r, "bridge0", 0).error(), errc::inval);
    EXPECT_EQ(t.br().maxaddr, 2u);
}

TEST(t_bridge, bridge_rtable_delete_member) {
    topo t;
    // Second interfaces on each endpoint, each on its own bus.
    t.w.attach(t.h1, t.bus1, "shmif1");
    t.w.attach(t.h3, t.bus2, "shmif1");
    ASSERT_TRUE(t.h1.addr_add("shmif1", ip("198.18.0.11"), 24));
    ASSERT_TRUE(t.h3.addr_add("shmif1", ip("198.18.0.12"), 24));
    ASSERT_TRUE(t.h1.if_up("shmif1"));
    ASSERT_TRUE(t.h3.if_up("shmif1"));
    t.setup_bridge();
    t.w.run_for_ms(5);
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.12")));
    ASSERT_TRUE(t.w.ping(t.h3, ip("198.18.0.11")));
    auto on = [&](const char* ifn) {
        size_t n = 0;
        for (const auto& e : t.br().fdb) n += e.ifname == ifn;
        return n;
    };
    EXPECT_EQ(on("shmif0"), 2u);
    EXPECT_EQ(on("shmif1"), 2u);
    ASSERT_TRUE(bridge::del(t.r, "bridge0", "shmif0"));
    EXPECT_EQ(on("shmif0"), 0u);
    EXPECT_EQ(on("shmif1"), 2u);
    ASSERT_TRUE(bridge::del(t.r, "bridge0", "shmif1"));
    EXPECT_TRUE(t.br().fdb.empty());
}

TEST(t_bridge, static_entries_stay_and_point_where_told) {
    topo t;
    t.setup_bridge();
    EXPECT_EQ(bridge::static_add(t.r, "bridge0", "shmif0", mac("01:00:5e:00:00:01")).error(), errc::inval);
    EXPECT_EQ(bridge::static_add(t.r, "bridge0", "lo0", t.mac3).error(), errc::notsup);
    // h3 is pinned to shmif0, the port h1's frames come in on: they are not
    // sent back, so h1 cannot reach h3 (a counted drop).
    ASSERT_TRUE(bridge::static_add(t.r, "bridge0", "shmif0", t.mac3));
    t.r.drops_clear();
    EXPECT_FALSE(t.w.ping(t.h1, ip("198.18.0.2"), 200));
    EXPECT_GT(drops(t.r, "bridge_same_port"), 0u);
    // Learning does not move a static entry.
    EXPECT_EQ(t.port_of(t.mac3), "shmif0");
    const auto e = t.br().fdb;
    ASSERT_TRUE(std::any_of(e.begin(), e.end(), [&](auto& x) { return x.mac == t.mac3 && x.is_static; }));
    ASSERT_TRUE(bridge::flush(t.r, "bridge0", false));
    EXPECT_EQ(t.port_of(t.mac3), "shmif0");
    ASSERT_TRUE(bridge::flush(t.r, "bridge0", true));
    EXPECT_EQ(t.port_of(t.mac3), "");
    ASSERT_TRUE(bridge::static_add(t.r, "bridge0", "shmif1", t.mac3));
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
}

// Flooding: broadcast reaches every other segment and never the one it came
// from; unknown unicast reaches ports with DISCOVER only; a known
// destination one port only.
TEST(t_bridge, flooding_discover_and_no_frame_back_out_its_port) {
    topo t;
    auto& bus3 = t.w.add_bus("br3");
    t.w.attach(t.r, bus3, "shmif2");
    ASSERT_TRUE(t.r.if_up("shmif2"));
    auto& h4 = t.w.add_host("h4", bus3, "shmif0", "198.18.0.4", 24, quiet());
    t.setup_bridge();
    ASSERT_TRUE(bridge::add(t.r, "bridge0", "shmif2"));
    t.bus1.take_capture();
    bus3.take_capture();
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    // bus1 carries what h1 sent and what came back for it, each once: no
    // frame of h1's reappears there.
    size_t from_h1 = 0;
    for (const auto& f : t.bus1.take_capture())
        from_h1 += std::equal(t.mac1.b.begin(), t.mac1.b.end(), f.bytes.begin() + 6);
    EXPECT_EQ(from_h1, 2u);  // the ARP request and the echo request
    // h1's ARP request (broadcast) reached bus3; the unicast echo did not.
    const auto s3 = bus3.take_summaries();
    EXPECT_EQ(count_matching(s3, "ARP"), 1u);
    EXPECT_EQ(count_matching(s3, "ICMP"), 0u);
    // Unknown unicast (h3's entry gone, h1's ARP entry still there): flooded.
    ASSERT_TRUE(bridge::deladdr(t.r, "bridge0", t.mac3));
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(count_matching(bus3.take_summaries(), "ICMP echo request"), 1u);
    // Not to a port without DISCOVER.
    ASSERT_TRUE(bridge::set_port_flag(t.r, "bridge0", "shmif2", bridge::portf::discover, false));
    ASSERT_TRUE(bridge::deladdr(t.r, "bridge0", t.mac3));
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(count_matching(bus3.take_summaries(), "ICMP"), 0u);
    // -learn: the port's sources are not learned (and the answers to them,
    // unknown unicast, reach it by DISCOVER).
    ASSERT_TRUE(bridge::set_port_flag(t.r, "bridge0", "shmif2", bridge::portf::discover, true));
    ASSERT_TRUE(bridge::set_port_flag(t.r, "bridge0", "shmif2", bridge::portf::learning, false));
    ASSERT_TRUE(bridge::flush(t.r, "bridge0", false));
    ASSERT_TRUE(t.w.ping(h4, ip("198.18.0.1")));
    EXPECT_EQ(t.port_of(h4.if_get("shmif0")->lladdr), "");
    ASSERT_TRUE(bridge::set_port_flag(t.r, "bridge0", "shmif2", bridge::portf::learning, true));
    ASSERT_TRUE(t.w.ping(h4, ip("198.18.0.1")));
    EXPECT_EQ(t.port_of(h4.if_get("shmif0")->lladdr), "shmif2");
}

TEST(t_bridge, learning_rate_limit_zero_learns_nothing_and_still_forwards) {
    topo t;
    t.setup_bridge();
    ASSERT_TRUE(t.r.sysctl_set("net.link.bridge.learn_rate", 0));
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_TRUE(t.br().fdb.empty());
    EXPECT_GT(t.br().learn_limited, 0u);
    ASSERT_TRUE(t.r.sysctl_set("net.link.bridge.learn_rate", 1000));
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_EQ(t.br().fdb.size(), 2u);
}

TEST(t_bridge, membership_rules) {
    topo t;
    ASSERT_TRUE(t.r.if_create("bridge0").has_value());
    ASSERT_TRUE(t.r.if_create("bridge1").has_value());
    EXPECT_EQ(bridge::add(t.r, "bridge0", "nosuch0").error(), errc::noent);
    EXPECT_EQ(bridge::add(t.r, "nosuch0", "shmif0").error(), errc::noent);
    EXPECT_EQ(bridge::add(t.r, "shmif1", "shmif0").error(), errc::inval);   // not a bridge
    EXPECT_EQ(bridge::add(t.r, "bridge0", "lo0").error(), errc::inval);
    EXPECT_EQ(bridge::add(t.r, "bridge0", "bridge1").error(), errc::inval);
    ASSERT_TRUE(bridge::add(t.r, "bridge0", "shmif0"));
    EXPECT_EQ(bridge::add(t.r, "bridge0", "shmif0").error(), errc::busy);
    EXPECT_EQ(bridge::add(t.r, "bridge1", "shmif0").error(), errc::busy);
    EXPECT_EQ(bridge::del(t.r, "bridge1", "shmif0").error(), errc::notsup);
    EXPECT_EQ(t.br().ports.size(), 1u);
    // A member that goes leaves the bridge; destroying the bridge gives members back.
    ASSERT_TRUE(bridge::add(t.r, "bridge0", "shmif1"));
    ASSERT_TRUE(t.r.if_destroy("shmif1"));
    EXPECT_EQ(t.br().ports.size(), 1u);
    ASSERT_TRUE(t.r.if_destroy("bridge0"));
    ASSERT_TRUE(bridge::add(t.r, "bridge1", "shmif0"));
    // ifconfig shows the members; show config recreates them.
    const auto i = t.r.if_get("bridge1");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->kind, "bridge");
    ASSERT_EQ(i->kind_lines.size(), 1u);
    EXPECT_EQ(i->kind_lines[0], "bridge members: shmif0");
    ASSERT_EQ(i->config_lines.size(), 1u);
    EXPECT_EQ(i->config_lines[0], "brconfig bridge1 add shmif0");
}

// A down bridge leaves frames to its members, as NetBSD's.
TEST(t_bridge, a_bridge_that_is_down_forwards_nothing) {
    topo t;
    t.setup_bridge();
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    ASSERT_TRUE(t.r.if_down("bridge0"));
    t.forget_arp();
    EXPECT_FALSE(t.w.ping(t.h1, ip("198.18.0.2"), 200));
    ASSERT_TRUE(t.r.if_up("bridge0"));
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
}

TEST(t_bridge, brconfig_command_words_and_errors) {
    topo t;
    ctl::command_set cs{t.r};
    auto run = [&](const std::string& l) { return cs.execute(l); };
    ASSERT_EQ(run("ifconfig bridge0 create").status, 0);
    ASSERT_EQ(run("brconfig bridge0 up").status, 0);
    ASSERT_EQ(run("brconfig bridge0 add shmif0").status, 0);
    ASSERT_EQ(run("brconfig bridge0 add shmif1").status, 0);
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    const std::string out = run("brconfig bridge0").text;
    EXPECT_NE(out.find("bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>\n\tConfiguration:\n"
                       "\t\tpriority 32768 hellotime 2 fwddelay 15 maxage 20\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("\t\t\tport 2 priority 128 path cost 55 forwarding\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\t\tshmif0 flags=3<LEARNING,DISCOVER>"), std::string::npos) << out;
    EXPECT_NE(out.find("Address cache (max cache: 100, timeout: 1200):"), std::string::npos) << out;
    EXPECT_NE(out.find(t.mac1.str() + " shmif0 "), std::string::npos) << out;
    EXPECT_NE(out.find(t.mac3.str() + " shmif1 "), std::string::npos) << out;
    auto j = nlohmann::json::parse(run("brconfig bridge0 --json").text);
    EXPECT_EQ(j["interfaces"].size(), 2u);
    EXPECT_EQ(j["cache"].size(), 2u);
    EXPECT_EQ(nlohmann::json::parse(run("brconfig -a --json").text).size(), 1u);
    // Bad commands: a clear error, and nothing changes.
    const std::string before = run("brconfig bridge0").text;
    auto bad = [&](const std::string& l, const std::string& msg) {
        auto r = run(l);
        EXPECT_NE(r.status, 0) << l;
        EXPECT_NE(r.text.find(msg), std::string::npos) << l << ": " << r.text;
    };
    bad("brconfig bridge0 maxaddr 0", "maxaddr must be 1..");
    bad("brconfig bridge0 maxaddr many", "maxaddr must be 1..");
    bad("brconfig bridge0 timeout -1", "timeout must be");
    bad("brconfig bridge0 add", "unknown command or wrong arguments");
    bad("brconfig bridge0 frobnicate", "unknown command");
    bad("brconfig bridge0 add shmif0", "is a member of a bridge already");
    bad("brconfig bridge0 add nosuch0", "brconfig: nosuch0: no such interface");
    bad("brconfig bridge0 deladdr zz:zz", "not a MAC address");
    bad("brconfig bridge0 deladdr 02:00:00:00:00:99", "not in the cache");
    bad("brconfig bridge0 static shmif0 ff:ff:ff:ff:ff:ff", "not a unicast MAC address");
    bad("brconfig shmif0", "not a bridge");
    bad("brconfig nosuch0 flush", "no such interface");
    bad("brconfig", "usage");
    EXPECT_EQ(run("brconfig bridge0").text, before);
    // The spanning tree's words.
    bad("brconfig bridge0 priority 70000", "priority must be 0..65535");
    bad("brconfig bridge0 hellotime 0", "hellotime must be 1..10 seconds");
    bad("brconfig bridge0 hellotime 2 fwddelay 4 maxage 20", "break 802.1D's rule");
    bad("brconfig bridge0 hellotime 2 holdtime 4", "holdtime: unknown timer");
    bad("brconfig bridge0 ifpathcost shmif0 0", "ifpathcost must be 1..65535");
    bad("brconfig bridge0 ifpriority shmif0 10", "without stp");
    ASSERT_EQ(run("brconfig bridge0 stp shmif0").status, 0);
    ASSERT_EQ(run("brconfig bridge0 ifpriority shmif0 64").status, 0);
    ASSERT_EQ(run("brconfig bridge0 ifpathcost shmif0 100").status, 0);
    ASSERT_EQ(run("brconfig bridge0 priority 8192").status, 0);
    ASSERT_EQ(run("brconfig bridge0 fwddelay 10 maxage 18").status, 0);
    const std::string stp = run("brconfig bridge0").text;
    EXPECT_NE(stp.find("\t\tpriority 8192 hellotime 2 fwddelay 10 maxage 18\n"), std::string::npos) << stp;
    EXPECT_NE(stp.find("\t\tshmif0 flags=7<LEARNING,DISCOVER,STP>\n\t\t\tport 2 priority 64 path cost 100 "),
              std::string::npos)
        << stp;
    EXPECT_EQ(nlohmann::json::parse(run("brconfig bridge0 --json").text)["stp"]["root_id"].get<std::string>().substr(0, 5),
              "2000.");
    // The running configuration recreates the settings.
    ASSERT_EQ(run("brconfig bridge0 maxaddr 50").status, 0);
    ASSERT_EQ(run("brconfig bridge0 timeout 30").status, 0);
    ASSERT_EQ(run("brconfig bridge0 -learn shmif1").status, 0);
    ASSERT_EQ(run("brconfig bridge0 static shmif1 02:00:00:00:00:42").status, 0);
    const std::string cfg = cs.running_config();
    for (const char* l : {"ifconfig bridge0 create", "brconfig bridge0 maxaddr 50", "brconfig bridge0 timeout 30",
                          "brconfig bridge0 add shmif0", "brconfig bridge0 -learn shmif1",
                          "brconfig bridge0 static shmif1 02:00:00:00:00:42", "brconfig bridge0 priority 8192",
                          "brconfig bridge0 hellotime 2 fwddelay 10 maxage 18", "brconfig bridge0 stp shmif0",
                          "brconfig bridge0 ifpriority shmif0 64", "brconfig bridge0 ifpathcost shmif0 100"})
        EXPECT_NE(cfg.find(l), std::string::npos) << l << "\n" << cfg;
    // ... replayed on a fresh stack with the same ports, it makes the same.
    {
        world w2;
        auto& u1 = w2.add_bus("rp1");
        auto& u2 = w2.add_bus("rp2");
        auto& r2 = w2.add_stack("r", quiet());
        w2.attach(r2, u1, "shmif0");
        w2.attach(r2, u2, "shmif1");
        ctl::command_set cs2{r2};
        std::istringstream in(cfg);
        for (std::string line; std::getline(in, line);) {
            if (line.empty() || line[0] == '#' || line.rfind("ifconfig shmif", 0) == 0) continue;
            auto r = cs2.execute(line);
            EXPECT_EQ(r.status, 0) << line << ": " << r.text;
        }
        auto strip = [](const std::string& c) {  // the lines about the bridge
            std::string o;
            std::istringstream i(c);
            for (std::string l; std::getline(i, l);)
                if (l.find("bridge0") != std::string::npos) o += l + "\n";
            return o;
        };
        EXPECT_EQ(strip(cs2.running_config()), strip(cfg));
    }
    ASSERT_EQ(run("brconfig bridge0 flushall").status, 0);
    EXPECT_EQ(run("brconfig bridge0").text.find("02:00:00:00:00:42"), std::string::npos);
    EXPECT_NE(run("help").text.find("brconfig"), std::string::npos);
}

// Changing other members, flags, limits and the cache while a flow crosses
// the bridge loses none of its frames.
TEST(t_bridge, configuration_churn_does_not_disturb_forwarding) {
    topo t;
    auto& bus3 = t.w.add_bus("br3");
    t.w.attach(t.r, bus3, "shmif2");
    ASSERT_TRUE(t.r.if_up("shmif2"));
    t.setup_bridge();
    ASSERT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    ping_opts o = flood(500, 50);
    o.interval_ms = 1;  // a request every millisecond: the churn below runs between them
    auto id = t.h1.ping_start(ip("198.18.0.2"), o);
    ASSERT_TRUE(id.has_value());
    int changes = 0;
    for (int i = 0; i < 400 && !t.h1.ping_get(*id)->done; ++i, ++changes) {
        switch (i % 6) {
            case 0: ASSERT_TRUE(bridge::add(t.r, "bridge0", "shmif2")); break;
            case 1: ASSERT_TRUE(bridge::set_port_flag(t.r, "bridge0", "shmif2", bridge::portf::learning, i % 4 == 1)); break;
            case 2: ASSERT_TRUE(bridge::set_maxaddr(t.r, "bridge0", 50 + i)); break;
            case 3: ASSERT_TRUE(bridge::static_add(t.r, "bridge0", "shmif2", mac("02:00:00:00:00:77"))); break;
            case 4: ASSERT_TRUE(bridge::set_timeout(t.r, "bridge0", 100 + i)); break;
            case 5: ASSERT_TRUE(bridge::del(t.r, "bridge0", "shmif2")); break;
        }
        t.w.tick();
        t.w.tick();
    }
    EXPECT_GT(changes, 200);
    t.w.run_for_ms(60);
    const auto r = *t.h1.ping_get(*id);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.sent, 500u);
    EXPECT_EQ(r.received, 500u);
    t.h1.ping_release(*id);
}

TEST(t_bridge, destroy_and_member_removal_under_traffic_stepped) {
    topo t;
    uint32_t received = 0;
    for (int round = 0; round < 8; ++round) {
        t.setup_bridge();
        t.w.run_for_ms(2);
        auto id = t.h1.ping_start(ip("198.18.0.2"), flood(200, 10));
        ASSERT_TRUE(id.has_value());
        t.w.run_for_ms(1);
        t.h1.step();
        t.r.poll_worker(0);  // the bridge's worker is mid-flow
        if (round % 2 == 0) {
            ASSERT_TRUE(t.r.if_destroy("bridge0"));
        } else {
            ASSERT_TRUE(bridge::del(t.r, "bridge0", "shmif1"));
            ASSERT_TRUE(t.r.if_destroy("bridge0"));
        }
        t.w.run_for_ms(20);
        received += t.h1.ping_get(*id)->received;
        t.h1.ping_release(*id);
    }
    EXPECT_GT(received, 0u);
    t.w.run_virtual_ms(10000);
    for (stack* s : {&t.h1, &t.h3, &t.r}) EXPECT_EQ(pktpool_avail(s->pool()), s->config().mbufs) << s->config().name;
}

// ---- frames of injectors with no stack of their own -------------------------------------------

// An Ethernet frame carrying (origin, sequence) in its payload.
void inject(stack& s, drivers::bus_port& p, const ether_addr& dst, const ether_addr& src, uint32_t origin,
            uint32_t seq) {
    mbuf* m = pkt_alloc(s.pool(), 64);
    ASSERT_NE(m, nullptr);
    uint8_t* d = pkt_data(m);
    std::memset(d, 0, 64);
    ether_hdr h{dst, src, be16::of(0x88b5)};  // IEEE 802 local experimental ethertype
    std::memcpy(d, &h, sizeof h);
    std::memcpy(d + 14, &origin, 4);
    std::memcpy(d + 18, &seq, 4);
    ASSERT_EQ(p.tx_burst(0, &m, 1), 1);
}

// A flood of 50,000 distinct source MACs: the FDB stays at its maximum,
// every source is accounted for (learned, refused as full, or not handed
// over for the rate limit: the worker never waits on the hand-over ring),
// and the hosts keep reaching each other.
TEST(t_bridge, a_flood_of_50000_source_macs_holds_the_fdb_at_its_maximum) {
    topo t;
    t.setup_bridge();
    ASSERT_TRUE(bridge::set_maxaddr(t.r, "bridge0", 1000));
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));  // h1 and h3 learned first
    const bridge::info before = t.br();
    ASSERT_EQ(before.fdb.size(), 2u);
    auto inj = std::move(*t.bus1.attach());
    constexpr uint32_t sources = 50000;
    for (uint32_t i = 0; i < sources; ++i) {
        // 02:ff:xx:xx:xx:xx, distinct for every i; frames to h3's MAC.
        const ether_addr src = ether_addr::from_u64((0x02ffull << 32) | i);
        inject(t.r, *inj, t.mac3, src, 1, i);
        if (i % 32 == 31) {
            t.w.tick();
            mbuf* pk[64];
            while (uint16_t n = inj->rx_burst(0, pk, 64))
                for (uint16_t j = 0; j < n; ++j) pkt_free(pk[j]);
        }
        if (i % 10000 == 9999) {
            EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2"))) << "after " << i + 1 << " sources";
        }
    }
    t.w.run_for_ms(50);
    const bridge::info after = t.br();
    EXPECT_EQ(after.fdb.size(), 1000u);
    EXPECT_EQ(t.port_of(t.mac1), "shmif0");
    EXPECT_EQ(t.port_of(t.mac3), "shmif1");
    EXPECT_GT(after.fdb_full, 0u);
    EXPECT_GT(after.learn_limited, 0u) << "20000 notices/s per lcore cannot pass 50000 sources in 1.6 s";
    EXPECT_EQ(after.learned - before.learned + after.fdb_full + after.learn_limited, sources);
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.0.2")));
    EXPECT_TRUE(t.w.ping6(t.h3, ip6("2001:db8::1")));
    inj.reset();
}

// Two workers bridge three segments (shmif1's queue on worker 1, the others
// on worker 0) while members leave and come back and the FDB is flushed:
// each frame reaches each other segment at most once, and never the one it
// came from. Injected frames carry (origin, sequence); the bridge's ports
// are the only other stations.
TEST(t_bridge, two_workers_deliver_each_frame_at_most_once_never_to_its_ingress) {
    stack_config c = quiet();
    c.workers = 2;
    c.mbufs = 8191;
    drivers::bus b0("mw0"), b1("mw1"), b2("mw2");
    stack r(c);
    drivers::bus* buses[3] = {&b0, &b1, &b2};
    const char* names[3] = {"shmif0", "shmif1", "shmif2"};
    std::unique_ptr<drivers::bus_port> inj[3];
    for (int i = 0; i < 3; ++i) {
        auto p = buses[i]->attach();
        ASSERT_TRUE(p);
        ASSERT_TRUE(r.if_attach(names[i], std::move(*p)));
        ASSERT_TRUE(r.if_up(names[i]));
        inj[i] = std::move(*buses[i]->attach());
    }
    ASSERT_TRUE(r.rxq_set_lcore("shmif1", 0, 1));
    ASSERT_TRUE(r.if_create("bridge0"));
    ASSERT_TRUE(r.if_up("bridge0"));
    for (const char* n : names) ASSERT_TRUE(bridge::add(r, "bridge0", n));
    std::map<std::pair<uint32_t, uint32_t>, unsigned> seen[3];  // per receiving segment: (origin, seq) -> copies
    uint64_t delivered = 0, to_ingress = 0, duplicates = 0;
    auto drain = [&] {
        for (uint32_t k = 0; k < 3; ++k) {
            mbuf* pk[64];
            while (uint16_t n = inj[k]->rx_burst(0, pk, 64)) {
                for (uint16_t j = 0; j < n; ++j) {
                    const uint8_t* d = pkt_data(pk[j]);
                    if (pkt_head_len(pk[j]) >= 22 && (d[12] << 8 | d[13]) == 0x88b5) {
                        uint32_t origin, seq;
                        std::memcpy(&origin, d + 14, 4);
                        std::memcpy(&seq, d + 18, 4);
                        ++delivered;
                        if (origin == k) ++to_ingress;
                        if (++seen[k][{origin, seq}] > 1) ++duplicates;
                    }
                }
                for (uint16_t j = 0; j < n; ++j) pkt_free(pk[j]);
            }
        }
    };
    const ether_addr station[3] = {mac("02:00:00:00:0a:00"), mac("02:00:00:00:0a:01"), mac("02:00:00:00:0a:02")};
    uint32_t seq = 0;
    for (int it = 0; it < 600; ++it) {
        for (uint32_t k = 0; k < 3; ++k)
            for (int f = 0; f < 8; ++f) {
                // Known unicast to the next segment's station, unknown unicast, broadcast.
                const ether_addr dst = f % 3 == 0   ? ether_addr::broadcast()
                                       : f % 3 == 1 ? station[(k + 1) % 3]
                                                    : mac("02:00:00:00:0b:ff");
                inject(r, *inj[k], dst, station[k], k, seq++);
            }
        r.step();
        r.step();
        drain();
        switch (it % 40) {
            case 10: ASSERT_TRUE(bridge::del(r, "bridge0", "shmif2")); break;
            case 15: ASSERT_TRUE(bridge::add(r, "bridge0", "shmif2")); break;
            case 25: ASSERT_TRUE(bridge::del(r, "bridge0", "shmif1")); break;
            case 30: ASSERT_TRUE(bridge::add(r, "bridge0", "shmif1")); break;
            case 35: ASSERT_TRUE(bridge::flush(r, "bridge0", false)); break;
            default: break;
        }
    }
    for (int i = 0; i < 5; ++i) r.step();
    drain();
    EXPECT_EQ(to_ingress, 0u);
    EXPECT_EQ(duplicates, 0u);
    // Most frames crossed: at least one copy of most of them arrived somewhere.
    EXPECT_GT(delivered, uint64_t(seq));
    const auto lc = r.lcore_list();
    ASSERT_GE(lc.size(), 2u);
    EXPECT_GT(lc[0].rx_pkts, 0u);
    EXPECT_GT(lc[1].rx_pkts, 0u) << "worker 1 never bridged";
    ASSERT_TRUE(r.if_destroy("bridge0"));
    for (auto& p : inj) p.reset();
    EXPECT_EQ(pktpool_avail(r.pool()), c.mbufs) << "a frame leaked";
}

// Thread mode (workers running, the test thread as the control plane's
// caller): members come and go, flags and limits change and the bridge is
// destroyed and made again while a ping flood crosses it. Under ASan this is
// the check that no worker touches a member set or FDB entry after its
// grace period.
TEST(t_bridge, churn_and_destroy_under_traffic_threads) {
    drivers::bus b1("brthr1"), b2("brthr2");
    stack_config c = quiet();
    c.idle_polls_before_sleep = 16;
    auto h1 = std::make_unique<stack>(c);
    auto h3 = std::make_unique<stack>(c);
    auto r = std::make_unique<stack>(c);
    attach_up(b1, *h1, "shmif0", "198.18.0.1");
    attach_up(b2, *h3, "shmif0", "198.18.0.2");
    for (auto* x : {&b1, &b2}) {
        auto p = x->attach();
        ASSERT_TRUE(p);
        ASSERT_TRUE(r->if_attach(x == &b1 ? "shmif0" : "shmif1", std::move(*p)));
    }
    ASSERT_TRUE(r->if_up("shmif0"));
    ASSERT_TRUE(r->if_up("shmif1"));
    auto setup = [&] {
        ASSERT_TRUE(r->if_create("bridge0").has_value());
        ASSERT_TRUE(r->if_up("bridge0"));
        ASSERT_TRUE(bridge::add(*r, "bridge0", "shmif0"));
        ASSERT_TRUE(bridge::add(*r, "bridge0", "shmif1"));
    };
    setup();
    ASSERT_TRUE(h1->start());
    ASSERT_TRUE(h3->start());
    ASSERT_TRUE(r->start());
    unsigned received = 0;
    for (int round = 0; round < 6; ++round) {
        auto id = h1->ping_start(ip("198.18.0.2"), flood(2000, 100));
        ASSERT_TRUE(id.has_value());
        for (int i = 0; i < 10; ++i) {
            sleep_offline_ms(3);
            switch ((round + i) % 5) {
                case 0: (void)bridge::del(*r, "bridge0", "shmif1"); (void)bridge::add(*r, "bridge0", "shmif1"); break;
                case 1: (void)bridge::flush(*r, "bridge0", true); break;
                case 2: (void)bridge::set_maxaddr(*r, "bridge0", 1 + i % 3); break;
                case 3: (void)bridge::set_port_flag(*r, "bridge0", "shmif0", bridge::portf::learning, i % 2); break;
                case 4: (void)bridge::static_add(*r, "bridge0", "shmif1", mac("02:00:00:00:00:99")); break;
            }
        }
        if (round % 2 == 1) {
            ASSERT_TRUE(r->if_destroy("bridge0"));
            setup();
        }
        sleep_offline_ms(40);
        received += h1->ping_get(*id)->received;
        h1->ping_release(*id);
    }
    h1->stop();
    h3->stop();
    r->stop();
    EXPECT_GT(received, 0u);
    r.reset();
    h1.reset();
    h3.reset();
}

}  // namespace
}  // namespace mpnet::testing
