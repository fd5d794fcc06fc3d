// SPDX-License-Identifier: BSD-2-Clause
// The command language: every command, its --json form, and wrong arguments
// (a clear one-line error, non-zero status, and nothing changed).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "../support/world.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/stack/module.hpp"

namespace mpnet::testing {
namespace {

using nlohmann::json;

struct cli : ::testing::Test {
    world w;
    drivers::bus& bus = w.add_bus("bus");
    stack& s = w.add_host("s", bus, "shmif0", "198.18.0.1");
    stack& peer = w.add_host("peer", bus, "shmif0", "198.18.0.2");
    ctl::command_set cs{s};

    ctl::reply run(const std::string& line) { return cs.execute(line); }
    json run_json(const std::string& line) {
        auto r = cs.execute(line + " --json");
        EXPECT_EQ(r.status, 0) << line << ": " << r.text;
        return json::parse(r.text);  // throws (fails the test) on invalid JSON
    }
    void expect_error(const std::string& line, const std::string& needle) {
        auto r = cs.execute(line);
        EXPECT_NE(r.status, 0) << line;
        EXPECT_NE(r.text.find(needle), std::string::npos) << line << " -> " << r.text;
        EXPECT_EQ(r.text.find('\n'), std::string::npos) << "one line: " << r.text;
        auto j = cs.execute(line + " --json");
        EXPECT_NE(j.status, 0);
        EXPECT_TRUE(json::parse(j.text).contains("error")) << j.text;
    }
};

TEST_F(cli, InvalidUtf8NeverBreaksJson) {
    // Found by fuzz_command: an error echoing a non-UTF-8 byte made the JSON
    // encoder throw.
    auto r = run("route change default -\xf2" "eject --json");
    EXPECT_NE(r.status, 0);
    auto j = json::parse(r.text);
    EXPECT_TRUE(j.contains("error"));
    EXPECT_NE(run("\xff\xfe --json").status, 0);
}

TEST_F(cli, BlankLinesAndCommentsSucceed) {
    EXPECT_EQ(run("").status, 0);
    EXPECT_EQ(run("   # a comment").status, 0);
    expect_error("frobnicate now", "unknown command");
}

TEST_F(cli, Ifconfig) {
    auto r = run("ifconfig -a");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.text.find("shmif0: flags="), std::string::npos);
    EXPECT_NE(r.text.find("inet 198.18.0.1/24"), std::string::npos);
    auto j = run_json("ifconfig shmif0");
    EXPECT_EQ(j["name"], "shmif0");
    EXPECT_EQ(j["inet"][0]["address"], "198.18.0.1");
    EXPECT_EQ(run("ifconfig shmif0 inet 198.18.5.1/24 alias").status, 0);
    EXPECT_EQ(s.if_get("shmif0")->addrs.size(), 2u);
    EXPECT_EQ(run("ifconfig shmif0 inet 198.18.5.1 delete").status, 0);
    EXPECT_EQ(s.if_get("shmif0")->addrs.size(), 1u);
    EXPECT_EQ(run("ifconfig shmif0 mtu 1400").status, 0);
    EXPECT_EQ(s.if_get("shmif0")->mtu, 1400u);
    EXPECT_EQ(run("ifconfig shmif0 -arp").status, 0);
    EXPECT_TRUE(s.if_get("shmif0")->flags & iff::noarp);
    EXPECT_EQ(run("ifconfig shmif0 arp").status, 0);
    EXPECT_EQ(run("ifconfig shmif0 down").status, 0);
    EXPECT_FALSE(s.if_get("shmif0")->flags & iff::up);
    EXPECT_EQ(run("ifconfig shmif0 up").status, 0);
    EXPECT_EQ(run("ifconfig shmif0 link b2:a1:00:00:00:09").status, 0);
    EXPECT_EQ(run("ifconfig shmif0 link b2:a1:00:00:00:09 delete").status, 0);
    EXPECT_EQ(run("ifconfig nul0 create net_null_cli0,no-rx=1").status, 0);
    EXPECT_NE(run("show config").text.find("ifconfig nul0 create net_null_cli0,no-rx=1"), std::string::npos);
    EXPECT_EQ(run("ifconfig nul0 destroy").status, 0);
    // Wrong arguments: one line, non-zero, nothing changed.
    expect_error("ifconfig nosuch0", "no such interface");
    expect_error("ifconfig shmif0 mtu 10", "Invalid argument");
    expect_error("ifconfig shmif0 mtu abc", "not a number");
    expect_error("ifconfig shmif0 inet 300.1.1.1/24", "bad address");
    expect_error("ifconfig shmif0 inet 198.18.0.1/24", "File exists");
    expect_error("ifconfig shmif0 link zz:zz", "bad link address");
    expect_error("ifconfig shmif0 fly", "unknown");
    expect_error("ifconfig nul1 create net_nosuch0", "cannot open port");
    expect_error("ifconfig lo0 destroy", "Operation not permitted");
    EXPECT_EQ(s.if_get("shmif0")->mtu, 1400u);
    EXPECT_EQ(s.if_list().size(), 2u);
}

TEST_F(cli, RouteAndNetstat) {
    auto r = run("route add -net 198.18.9.0/24 198.18.0.2");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.text, "add net 198.18.9.0/24: gateway 198.18.0.2\n");
    EXPECT_EQ(run("route add default 198.18.0.2").text, "add net default: gateway 198.18.0.2\n");
    EXPECT_EQ(run("route add 198.18.7.7 198.18.0.2").text, "add host 198.18.7.7: gateway 198.18.0.2\n");
    auto n = run("netstat -rn -f inet");
    EXPECT_NE(n.text.find("198.18.9/24"), std::string::npos);
    EXPECT_NE(n.text.find("UGHS"), std::string::npos);
    auto js = run_json("netstat -rn");
    bool found = false;
    for (const auto& x : js) found |= x["destination"] == "198.18.9.0/24" && x["flags"] == "UGS";
    EXPECT_TRUE(found);
    auto g = run("route -n get 198.18.9.1");
    EXPECT_EQ(g.status, 0);
    g = run("route get -n 198.18.9.1");
    EXPECT_NE(g.text.find("flags: 0x843<UP,GATEWAY,DONE,STATIC>"), std::string::npos) << g.text;
    EXPECT_EQ(run_json("route get 198.18.9.1")["flags_words"], "0x843<UP,GATEWAY,DONE,STATIC>");
    EXPECT_EQ(run("route change -net 198.18.9.0/24 -reject").status, 0);
    EXPECT_NE(run("route show").text.find("UGRS"), std::string::npos);
    EXPECT_EQ(run("route delete -net 198.18.9.0/24").text, "delete net 198.18.9.0/24\n");
    auto mon = run_json("route monitor");
    ASSERT_TRUE(mon.is_array());
    EXPECT_GE(mon.size(), 4u);
    EXPECT_EQ(run("route flush").status, 0);
    EXPECT_EQ(s.route_get(ip("198.18.7.7")).error(), errc::srch);  // the gateway routes went
    expect_error("route add -net 198.18.9.0/24 198.19.0.1", "Network is unreachable");
    expect_error("route delete -net 198.18.10.0/24", "not in table");
    expect_error("route add -net 198.18.9.0/24 198.18.0.2 -bogus", "unknown option");
    expect_error("route add", "missing destination");
    expect_error("route get 1.2.3", "bad address");
    expect_error("route zap", "unknown command");
    expect_error("netstat -an", "unsupported option");
    EXPECT_EQ(s.route_list().size(), 4u);  // lo0's and shmif0's two each: nothing leaked in
}

TEST_F(cli, ShowFibFollowsTheRoutes) {
    auto before = run_json("show fib");
    EXPECT_EQ(before["inet"]["backend"], "poptrie");
    EXPECT_EQ(before["inet6"]["backend"], "poptrie");
    const uint64_t routes = before["inet"]["routes"], commits = before["inet"]["commits"];
    ASSERT_EQ(run("route add -net 198.18.9.0/24 198.18.0.2").status, 0);
    ASSERT_EQ(run("route add -net 198.18.128.0/17 198.18.0.2").status, 0);
    auto after = run_json("show fib");
    EXPECT_EQ(after["inet"]["routes"], routes + 2);
    EXPECT_EQ(after["inet"]["commits"], commits + 2);
    EXPECT_GT(after["inet"]["memory_bytes"].get<uint64_t>(), 1u << 20);  // the 1 MiB direct table and more
    EXPECT_EQ(after["inet"]["refused"], 0);
    EXPECT_NE(run("show fib").text.find("poptrie"), std::string::npos);
    expect_error("show fib extra", "usage");
}

TEST_F(cli, ShowNexthopsTellsWhichGatewaysAreCached) {
    // A route through a gateway with no neighbor entry: a nexthop, nothing
    // cached. The entry appears (arp -s): the same nexthop caches it. It
    // goes (arp -d): the nexthop lets go of it.
    ASSERT_EQ(run("route add -net 198.18.9.0/24 198.18.0.2").status, 0);
    ASSERT_EQ(run("route add -net 198.18.8.0/24 198.18.0.2").status, 0);
    auto find = [&](const json& j) {
        json hit;
        for (const auto& n : j)
            if (n["gateway"] == "198.18.0.2") hit = n;
        return hit;
    };
    json nh = find(run_json("show nexthops"));
    ASSERT_FALSE(nh.is_null());
    EXPECT_EQ(nh["interface"], "shmif0");
    EXPECT_EQ(nh["refs"], 2) << "both routes share one nexthop";
    EXPECT_EQ(nh["neigh_cached"], false);
    ASSERT_EQ(run("arp -s 198.18.0.2 b2:a0:20:00:00:02").status, 0);
    nh = find(run_json("show nexthops"));
    EXPECT_EQ(nh["neigh_cached"], true);
    EXPECT_EQ(nh["lladdr"], "b2:a0:20:00:00:02");
    const std::string text = run("show nexthops").text;
    EXPECT_NE(text.find("198.18.0.2"), std::string::npos);
    EXPECT_NE(text.find("b2:a0:20:00:00:02"), std::string::npos);
    ASSERT_EQ(run("arp -d 198.18.0.2").status, 0);
    nh = find(run_json("show nexthops"));
    EXPECT_EQ(nh["neigh_cached"], false);
    EXPECT_EQ(nh["lladdr"], "");
}

TEST_F(cli, Arp) {
    EXPECT_EQ(run("arp -s 198.18.0.10 b2:a0:20:00:00:10").status, 0);
    EXPECT_EQ(run("arp -n 198.18.0.10").text, "? (198.18.0.10) at b2:a0:20:00:00:10 on shmif0 permanent\n");
    EXPECT_EQ(run_json("arp -an")[0]["permanent"], true);
    auto dup = run("arp -s 198.18.0.10 b2:a0:20:00:00:11");
    EXPECT_NE(dup.status, 0);
    EXPECT_NE(dup.text.find("File exists"), std::string::npos);
    EXPECT_EQ(run("arp -s 198.18.0.11 b2:a0:20:00:00:11 pub").status, 0);
    EXPECT_NE(run("arp -a").text.find("published (proxy only)"), std::string::npos);
    EXPECT_EQ(run("arp -d 198.18.0.10").status, 0);
    auto none = run("arp -n 198.18.0.10");
    EXPECT_EQ(none.status, 1);
    EXPECT_EQ(none.text, "198.18.0.10 (198.18.0.10) -- no entry");
    EXPECT_EQ(run("arp -d -a").status, 0);
    EXPECT_TRUE(s.arp_list().empty());
    expect_error("arp -s 198.18.0.12 nonsense", "bad address");
    expect_error("arp -s 198.18.0.12 b2:a0:20:00:00:12 forever", "unknown word");
    expect_error("arp -d 198.18.0.99", "no entry");
    expect_error("arp -f /nonexistent/file", "cannot open");
    EXPECT_TRUE(s.arp_list().empty());
}

// ping, ping6, rtadvd and ifconfig read their option words through the one
// cursor: a missing, malformed or out-of-range value is a one-line error
// naming the range, and nothing changes.
TEST_F(cli, OptionWordsAreCheckedOneWay) {
    expect_error("ping -c 0 198.18.0.2", "-c: 1..10000");
    expect_error("ping -c 198.18.0.2", "-c: 1..10000");
    expect_error("ping -T 256 198.18.0.2", "-T: 1..255");
    expect_error("ping -s 1473 198.18.0.2", "-s: 0..1472");
    expect_error("ping -w 3601 198.18.0.2", "-w: seconds");
    expect_error("ping 198.18.0.2 -S", "-S: bad address");
    expect_error("ping6 -h 0 2001:db8::2", "-h: 1..255");
    expect_error("ping6 -S nonsense 2001:db8::2", "-S: bad address");
    expect_error("rtadvd shmif0 hlim 256", "hlim: 0..255");
    expect_error("rtadvd shmif0 mtu", "mtu: 0..4294967295");
    expect_error("rtadvd shmif0 vltime 100", "vltime: after a prefix");
    expect_error("rtadvd shmif0 prefix 2001:db8:1::/129", "prefix: bad prefix");
    expect_error("rtadvd shmif0 fly", "fly: unknown word");
    EXPECT_FALSE(s.rtadv_get("shmif0")->enabled);
    expect_error("ifconfig shmif0 inet6 2001:db8::1 prefixlen 129", "prefixlen: 0..128");
    expect_error("ifconfig shmif0 inet6 2001:db8::1 pltime", "pltime: seconds");
    expect_error("ifconfig shmif0 inet6 2001:db8::1 pltime -1", "pltime: seconds");
    const auto shmif0 = s.if_get("shmif0");
    ASSERT_TRUE(shmif0.has_value());
    for (const auto& a : shmif0->addrs6) EXPECT_NE(a.addr, *ip6_addr::parse("2001:db8::1"));
    expect_error("ifconfig ring9 create net_ring_x queues 0", "queues: 1..");
    expect_error("ifconfig ring9 create net_ring_x txqueues", "txqueues: 1..");
    expect_error("ifconfig ring9 create net_ring_x rings 2", "usage: ifconfig IF create DEVARGS");
    EXPECT_FALSE(s.if_get("ring9").has_value());
    // The same words, well formed, take effect.
    ASSERT_EQ(run("rtadvd shmif0 prefix 2001:db8:1::/64 vltime 100 pltime 50 hlim 32 maxinterval 30").status, 0);
    auto rc = s.rtadv_get("shmif0");
    ASSERT_TRUE(rc.has_value());
    EXPECT_TRUE(rc->enabled);
    EXPECT_EQ(rc->cur_hlim, 32);
    EXPECT_EQ(rc->max_interval_s, 30u);
    ASSERT_EQ(rc->prefixes.size(), 1u);
    EXPECT_EQ(rc->prefixes[0].vltime_s, 100u);
    EXPECT_EQ(rc->prefixes[0].pltime_s, 50u);
}

// routes_batch_begin/end (mpnetd's configuration file): IPv6 routes added
// in between reach the FIB in one commit at the end; the RIB has them at once.
TEST_F(cli, RouteBatchReachesTheFibInOneCommit) {
    ASSERT_TRUE(s.addr6_add("shmif0", *ip6_addr::parse("2001:db8::1"), 64));
    w.run_for_ms(3000);  // DAD: then the prefix is on-link
    const fib_info f0 = s.fib_get();
    s.routes_batch_begin();
    for (int i = 1; i <= 3; ++i) {
        route6_spec r;
        r.dst = *prefix6::parse(fmt::format("2001:db8:{}::/48", i).c_str());
        r.gateway = *ip6_addr::parse("2001:db8::2");
        ASSERT_TRUE(s.route6_add(r));
    }
    EXPECT_EQ(s.fib_get().v6.commits, f0.v6.commits);  // staged, not published
    EXPECT_TRUE(s.route6_get(*ip6_addr::parse("2001:db8:2::1")).has_value());
    s.routes_batch_end();
    EXPECT_EQ(s.fib_get().v6.routes, f0.v6.routes + 3);
    EXPECT_EQ(s.fib_get().v6.commits, f0.v6.commits + 1);
    s.routes_batch_end();  // unmatched: nothing happens
    EXPECT_EQ(s.fib_get().v6.commits, f0.v6.commits + 1);
}

// show limits: every named limit with what it holds, none above its limit.
TEST_F(cli, ShowLimits) {
    auto j = run_json("show limits");
    ASSERT_TRUE(j.is_array());
    std::map<std::string, json> by_name;
    for (const auto& l : j) {
        EXPECT_LE(l["used"].get<uint64_t>(), l["max"].get<uint64_t>()) << l;
        by_name[l["name"].get<std::string>()] = l;
    }
    for (const char* n : {"neighbors shmif0", "interfaces", "hand-over ring", "hand-over inet4/arp", "path-MTU routes",
                          "IPv4 routes", "IPv6 routes", "default routers", "routers per prefix", "ping sessions"})
        EXPECT_EQ(by_name.count(n), 1u) << n;
    EXPECT_EQ(by_name["path-MTU routes"]["max"], limits::pmtu_routes_max);
    EXPECT_EQ(by_name["interfaces"]["used"], 2);  // lo0 and shmif0
    EXPECT_NE(run("show limits").text.find("path-MTU routes"), std::string::npos);
}

TEST_F(cli, SysctlShowHelp) {
    EXPECT_EQ(run("sysctl -w net.inet.ip.forwarding=1").text, "net.inet.ip.forwarding: 0 -> 1\n");
    EXPECT_EQ(run("sysctl net.inet.ip.forwarding").text, "net.inet.ip.forwarding = 1\n");
    EXPECT_EQ(run_json("sysctl net.inet.ip.forwarding")["value"], 1);
    EXPECT_NE(run("show config").text.find("sysctl -w net.inet.ip.forwarding=1"), std::string::npos);
    expect_error("sysctl -w net.inet.ip.forwarding=7", "Invalid argument");
    expect_error("sysctl -w net.inet.ip.nosuch=1", "invalid");
    expect_error("sysctl -w net.inet.ip.ttl", "usage");
    EXPECT_EQ(*s.sysctl_get("net.inet.ip.forwarding"), 1);
    // sysctl -a lists every knob the modules registered, each readable by name.
    const std::string listed = run("sysctl -a").text;
    EXPECT_NE(listed.find("net.inet.ip.forwarding = 1\n"), std::string::npos) << listed;
    EXPECT_NE(listed.find("net.inet6.ip6.hlim = 64\n"), std::string::npos) << listed;
    EXPECT_NE(listed.find("net.link.bridge.learn_rate = 20000\n"), std::string::npos) << listed;
    EXPECT_NE(listed.find("net.inet.gif.max_nesting = 2\n"), std::string::npos) << listed;
    EXPECT_NE(listed.find("net.key.prefered_oldsa = 0\n"), std::string::npos) << listed;
    auto knobs = run_json("sysctl -a");
    EXPECT_EQ(knobs.size(), 32u);
    for (const auto& k : knobs) {
        auto v = s.sysctl_get(k["name"].get<std::string>());
        ASSERT_TRUE(v.has_value()) << k;
        EXPECT_EQ(*v, k["value"].get<int64_t>()) << k;
        // One past each end of the range is refused, and nothing changes.
        EXPECT_EQ(s.sysctl_set(k["name"].get<std::string>(), k["max"].get<int64_t>() + 1).error(), errc::inval);
        EXPECT_EQ(s.sysctl_set(k["name"].get<std::string>(), k["min"].get<int64_t>() - 1).error(), errc::inval);
        EXPECT_EQ(*s.sysctl_get(k["name"].get<std::string>()), *v);
    }
    EXPECT_NE(run("sysctl -d").text.find("net.inet.ip.ttl: TTL of packets this host sends (1..255)\n"),
              std::string::npos);
    EXPECT_FALSE(run("show errors").text.empty());
    EXPECT_TRUE(run_json("show errors").contains("ip4_bad_cksum"));
    EXPECT_NE(run("show stats").text.find("shmif0"), std::string::npos);
    EXPECT_EQ(run_json("show lcores").size(), 2u);
    EXPECT_EQ(run_json("show interfaces").size(), 2u);
    expect_error("show nothing", "unknown");
    auto h = run("help");
    for (const char* c : {"ifconfig", "route", "netstat", "arp", "ping", "ping6", "ndp", "rtadvd", "sysctl", "show",
                          "intrctl", "brconfig", "setkey"})
        EXPECT_NE(h.text.find(c), std::string::npos) << c;
    EXPECT_EQ(run_json("help").size(), 15u);
    const std::string path = "/tmp/mpnet-save-" + std::to_string(getpid()) + ".conf";
    EXPECT_EQ(run("save " + path).status, 0);
    std::ifstream in(path);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(all, cs.running_config());
    std::remove(path.c_str());
    expect_error("save relative.conf", "usage");
    expect_error("save /nonexistent-dir/x.conf", "cannot write");
}

TEST_F(cli, ShowConfigRebuildsTheSameTables) {
    ASSERT_EQ(run("route add -net 198.18.9.0/24 198.18.0.2").status, 0);
    ASSERT_EQ(run("arp -s 198.18.0.10 b2:a0:20:00:00:10").status, 0);
    ASSERT_EQ(run("ifconfig shmif0 mtu 1400").status, 0);
    const std::string cfg = run("show config").text;
    // Replay it on a fresh stack with the same interface and compare.
    world w2;
    auto& bus2 = w2.add_bus("bus2");
    auto& s2 = w2.add_stack("s2");
    w2.attach(s2, bus2, "shmif0");
    ctl::command_set cs2{s2};
    size_t pos = 0;
    while (pos < cfg.size()) {
        size_t nl = cfg.find('\n', pos);
        auto line = cfg.substr(pos, nl - pos);
        auto r = cs2.execute(line);
        EXPECT_EQ(r.status, 0) << line << ": " << r.text;
        pos = nl + 1;
    }
    w2.run_for_ms(10);
    EXPECT_EQ(cs2.running_config(), cfg);
}

TEST_F(cli, VlanInterfaces) {
    ASSERT_EQ(run("ifconfig vlan0 create").status, 0) << run("ifconfig vlan0 create").text;
    expect_error("ifconfig vlan0 create", "File exists");
    expect_error("ifconfig tun0 create", "no interface kind creates this name");
    expect_error("ifconfig vlan0 vlan 0 vlanif shmif0", "vlan tag must be 1..4094");
    expect_error("ifconfig vlan0 vlan 4095 vlanif shmif0", "vlan tag must be 1..4094");
    expect_error("ifconfig vlan0 vlan 10 vlanif lo0", "not an Ethernet interface");
    expect_error("ifconfig vlan0 vlan 10", "usage: ifconfig IF vlan VID vlanif PARENT");
    expect_error("ifconfig vlan0 vlan 10 vlanif nosuch0", "No such file or directory");
    ASSERT_EQ(run("ifconfig vlan0 vlan 10 vlanif shmif0").status, 0);
    expect_error("ifconfig vlan0 vlan 11 vlanif shmif0", "has a parent already");
    ASSERT_EQ(run("ifconfig vlan1 create").status, 0);
    expect_error("ifconfig vlan1 vlanif shmif0 vlan 10", "vlan 10 exists on shmif0");
    ASSERT_EQ(run("ifconfig vlan1 vlanif shmif0 vlan 20").status, 0);  // either order
    ASSERT_EQ(run("ifconfig vlan0 inet 198.18.10.1/24").status, 0);
    ASSERT_EQ(run("ifconfig vlan0 up").status, 0);
    const std::string t = run("ifconfig vlan0").text;
    EXPECT_NE(t.find("\tvlan: 10 parent: shmif0\n"), std::string::npos) << t;
    EXPECT_NE(t.find("UP,BROADCAST,RUNNING"), std::string::npos) << t;
    auto j = run_json("ifconfig vlan1");
    EXPECT_EQ(j["kind"], "vlan");
    EXPECT_EQ(j["kind_info"][0], "vlan: 20 parent: shmif0");
    const std::string cfg = run("show config").text;
    EXPECT_NE(cfg.find("ifconfig vlan0 create\nifconfig vlan0 vlan 10 vlanif shmif0\n"), std::string::npos) << cfg;
    ASSERT_EQ(run("ifconfig vlan1 -vlanif").status, 0);
    EXPECT_EQ(run_json("ifconfig vlan1")["kind_info"][0], "vlan: none");
    // The parent goes and takes its vlans.
    ASSERT_EQ(run("ifconfig shmif0 destroy").status, 0);
    expect_error("ifconfig vlan0", "no such interface");
    EXPECT_EQ(run("ifconfig vlan1").status, 0);  // not a child any more
    // Drop names of the module are in show errors --json.
    EXPECT_TRUE(run_json("show errors").contains("vlan_unknown_vid"));
}

// A module outside src/ brings a command and an ifconfig verb; the command
// set of a stack that attaches it runs both and lists them in help.
command_reply hello_run(stack& s, const std::vector<std::string>& args, bool js) {
    if (args.size() != 1) return {1, "hello: usage: hello NAME"};
    const std::string t = "hello " + args[0] + " from " + s.config().name;
    return {0, js ? "{\"greeting\":\"" + t + "\"}" : t + "\n"};
}
command_reply greet_run(stack& s, std::string_view ifn, const std::vector<std::string>& words, bool) {
    if (words.size() != 2) return {1, "ifconfig: usage: ifconfig IF greet NAME"};
    auto i = s.if_get(ifn);
    if (!i) return {1, "ifconfig: " + std::string(ifn) + ": no such interface"};
    return {0, "greetings " + words[1] + " on " + i->name + "\n"};
}
constexpr module_command hello_commands[] = {{"hello", "hello NAME", "say hello", hello_run}};
constexpr ifconfig_verb hello_verbs[] = {{"greet", "greet NAME", greet_run}};
constexpr module hello_module{"hello", [](module_registrar&) {}, hello_commands, hello_verbs};

TEST(cli_modules, AModulesCommandsAndIfconfigVerbs) {
    world w;
    auto& bus = w.add_bus("mbus");
    stack_config cfg;
    cfg.modules = {&hello_module};
    stack& s = w.add_host("s", bus, "shmif0", "198.18.0.1", 24, cfg);
    ctl::command_set cs{s};
    EXPECT_EQ(cs.execute("hello world").text, "hello world from s\n");
    EXPECT_EQ(json::parse(cs.execute("hello world --json").text)["greeting"], "hello world from s");
    EXPECT_NE(cs.execute("hello").status, 0);
    EXPECT_EQ(cs.execute("ifconfig shmif0 greet you").text, "greetings you on shmif0\n");
    EXPECT_NE(cs.execute("ifconfig nosuch0 greet you").status, 0);
    const std::string h = cs.execute("help").text;
    EXPECT_NE(h.find("hello     say hello"), std::string::npos) << h;
    EXPECT_NE(cs.execute("help ifconfig").text.find("| greet NAME]"), std::string::npos);
    // The built-in vlan module's verbs are in every command set and in mpnetctl's help.
    EXPECT_NE(cs.execute("help ifconfig").text.find("| vlan VID vlanif PARENT | -vlanif | exception | -exception | tunnel SRC DST | deletetunnel | session LOCAL REMOTE | deletesession | cookie LEN LOCAL LEN REMOTE | deletecookie | encap ip|udp | vni N | greet NAME]"), std::string::npos);
    bool listed = false;
    for (const auto& d : ctl::command_docs())
        if (d.name == "ifconfig") listed = d.syntax.find("vlan VID vlanif PARENT") != std::string_view::npos;
    EXPECT_TRUE(listed);
    // A stack without the module does not know its command.
    ctl::command_set plain{w.add_stack("plain")};
    EXPECT_NE(plain.execute("hello world").status, 0);
}

TEST(cli_threads, PingWaitsForTheAnswer) {
    drivers::bus bus("bus");
    stack_config c;
    c.dad_count = 0;
    stack a(c), b(c);
    ASSERT_TRUE(a.if_attach("shmif0", std::move(*bus.attach())));
    ASSERT_TRUE(b.if_attach("shmif0", std::move(*bus.attach())));
    ctl::command_set ca{a}, cb{b};
    ASSERT_EQ(ca.execute("ifconfig shmif0 inet 198.18.0.1/24 up").status, 0);
    ASSERT_EQ(cb.execute("ifconfig shmif0 inet 198.18.0.2/24 up").status, 0);
    ASSERT_TRUE(a.start());
    ASSERT_TRUE(b.start());
    auto r = ca.execute("ping -c 3 -i 0 -w 2 198.18.0.2");
    EXPECT_EQ(r.status, 0) << r.text;
    EXPECT_NE(r.text.find("3 packets transmitted, 3 packets received, 0.0% packet loss"), std::string::npos) << r.text;
    auto j = json::parse(ca.execute("ping -c 1 198.18.0.2 --json").text);
    EXPECT_EQ(j["received"], 1);
    auto lost = ca.execute("ping -c 1 -w 1 198.18.0.99");
    EXPECT_EQ(lost.status, 2);
    EXPECT_NE(lost.text.find("100.0% packet loss"), std::string::npos);
    auto bad = ca.execute("ping -c 0 198.18.0.2");
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(ca.execute("ping -T 300 198.18.0.2").text.find("-T"), std::string::npos);
    EXPECT_NE(ca.execute("ping nosuchhost").text.find("unknown host"), std::string::npos);
    a.stop();
    b.stop();
}

}  // namespace
}  // namespace mpnet::testing

namespace mpnet::testing {
namespace {

TEST_F(cli, Inet6AddressesRoutesAndNdp) {
    // ifconfig inet6, with lifetimes and their refusals.
    EXPECT_EQ(run("ifconfig shmif0 inet6 2001:db8::1/64").status, 0);
    expect_error("ifconfig shmif0 inet6 2001:db8::5/64 vltime 5", "Invalid argument");
    expect_error("ifconfig shmif0 inet6 2001:db8::5/64 pltime 10 vltime 5", "Invalid argument");
    expect_error("ifconfig shmif0 inet6 2001:db8::zz/64", "bad address");
    expect_error("ifconfig shmif0 inet6 2001:db8::6/129", "bad prefix length");
    EXPECT_EQ(run("ifconfig shmif0 inet6 2001:db8::5/64 pltime 5 vltime 10").status, 0);
    w.run_for_ms(1500);  // DAD (one probe)
    auto t = run("ifconfig shmif0").text;
    EXPECT_NE(t.find("inet6 2001:db8::1/64 flags 0x0"), std::string::npos) << t;
    EXPECT_NE(t.find("inet6 2001:db8::5/64 flags 0x0 pltime 4 vltime 9"), std::string::npos) << t;
    EXPECT_NE(t.find("inet6 fe80::"), std::string::npos) << t;
    EXPECT_NE(t.find("%shmif0/64"), std::string::npos) << t;
    auto j = run_json("ifconfig shmif0");
    EXPECT_GE(j["inet6"].size(), 3u);
    // netstat -rn -f inet6: local and connected routes.
    auto rt = run("netstat -rn -f inet6").text;
    EXPECT_NE(rt.find("Internet6:"), std::string::npos);
    EXPECT_NE(rt.find("2001:db8::1"), std::string::npos);
    EXPECT_NE(rt.find("UHl"), std::string::npos);
    EXPECT_NE(rt.find("2001:db8::/64"), std::string::npos);
    // route -inet6 add/get/change/delete, with a zone on a link-local gateway.
    EXPECT_EQ(run("route add -inet6 default fe80::1%shmif0").text, "add net default: gateway fe80::1%shmif0\n");
    expect_error("route add -inet6 default fe80::1", "Invalid argument");
    expect_error("route add -inet6 2001:db8:9::/48 2001:db8:77::1", "Network is unreachable");
    (void)run("route monitor");  // drain what came before
    EXPECT_EQ(run("route add -inet6 -net 2001:db8:9::/48 2001:db8::2").status, 0);
    auto mon = run_json("route monitor");
    ASSERT_EQ(mon.size(), 1u);
    EXPECT_EQ(mon[0]["type"], "RTM_ADD");
    EXPECT_EQ(mon[0]["family"], "inet6");
    EXPECT_EQ(mon[0]["dst"], "2001:db8:9::/48");
    EXPECT_EQ(mon[0]["gateway"], "2001:db8::2");
    auto g = run_json("route get -inet6 2001:db8:9::1");
    EXPECT_EQ(g["gateway"], "2001:db8::2");
    EXPECT_EQ(g["flags"], "UGS");
    auto gd = run_json("route get -inet6 2001:db8:99::1");
    EXPECT_EQ(gd["gateway"], "fe80::1%shmif0");
    EXPECT_EQ(run("route change -inet6 2001:db8:9::/48 -reject").status, 0);
    EXPECT_EQ(run_json("route get -inet6 2001:db8:9::1")["flags"], "UGRS");
    EXPECT_EQ(run("route delete -inet6 2001:db8:9::/48").status, 0);
    expect_error("route delete -inet6 2001:db8:9::/48", "not in table");
    expect_error("route get -inet6 fe80::1", "not in table");
    // ndp -s / -n / -a / -d, static entries survive -c.
    EXPECT_EQ(run("ndp -s 2001:db8::10 b2:a0:20:00:00:10").status, 0);
    expect_error("ndp -s 2001:db8::10 b2:a0:20:00:00:11", "File exists");
    expect_error("ndp -s fe80::10 b2:a0:20:00:00:11", "Invalid argument");
    EXPECT_EQ(run("ndp -s fe80::10%shmif0 b2:a0:20:00:00:11").status, 0);
    auto n = run("ndp -n 2001:db8::10").text;
    EXPECT_NE(n.find("b2:a0:20:00:00:10"), std::string::npos);
    EXPECT_NE(n.find("permanent"), std::string::npos);
    EXPECT_NE(run("ndp -n fe80::10").status, 0);  // no zone: no entry
    EXPECT_EQ(run("ndp -n fe80::10%shmif0").status, 0);
    EXPECT_EQ(run_json("ndp -a").size(), 2u);
    EXPECT_EQ(run("ndp -c").status, 0);
    EXPECT_EQ(run_json("ndp -a").size(), 2u);
    EXPECT_EQ(run("ndp -d 2001:db8::10").text, "2001:db8::10 (2001:db8::10) deleted\n");
    expect_error("ndp -d 2001:db8::10", "no entry");
    auto ii = run_json("ndp -i shmif0");
    EXPECT_EQ(ii["linkmtu"], 0);
    expect_error("ndp -i nosuch0", "no such interface");
    // The running configuration carries the IPv6 state back.
    auto cfg = cs.running_config();
    EXPECT_NE(cfg.find("ifconfig shmif0 inet6 2001:db8::1/64\n"), std::string::npos) << cfg;
    EXPECT_NE(cfg.find("route add -inet6 -net default fe80::1%shmif0"), std::string::npos) << cfg;
    EXPECT_NE(cfg.find("ndp -s fe80::10%shmif0 b2:a0:20:00:00:11"), std::string::npos) << cfg;
    // Delete.
    EXPECT_EQ(run("ifconfig shmif0 inet6 2001:db8::5 delete").status, 0);
    expect_error("ifconfig shmif0 inet6 2001:db8::5 delete", "Cannot assign requested address");
}

TEST_F(cli, Ping6AndRtadvd) {
    ASSERT_TRUE(s.sysctl_set("net.inet6.ip6.dad_count", 0));
    ASSERT_TRUE(peer.sysctl_set("net.inet6.ip6.dad_count", 0));
    ASSERT_TRUE(peer.addr6_add("shmif0", ip6("2001:db8::2"), 64));
    EXPECT_EQ(run("ifconfig shmif0 inet6 2001:db8::1/64").status, 0);
    w.run_for_ms(100);
    // ping6 runs in the command's thread while the world steps in another:
    // drive the world from here instead, through a thread-mode peer.
    ASSERT_TRUE(s.start());
    ASSERT_TRUE(peer.start());
    auto r = run("ping6 -c 1 -X 2 2001:db8::2");
    EXPECT_EQ(r.status, 0) << r.text;
    EXPECT_NE(r.text.find("1 packets transmitted, 1 packets received, 0.0% packet loss"), std::string::npos) << r.text;
    auto ll = run("ping6 -c 1 -X 1 fe80::1");  // a link-local address needs its zone
    EXPECT_NE(ll.status, 0);
    EXPECT_NE(ll.text.find("No route to host"), std::string::npos) << ll.text;
    expect_error("ping6 -h 0 2001:db8::2", "-h: 1..255");
    // rtadvd: validated, shown, stopped.
    expect_error("rtadvd shmif0 maxinterval 4 mininterval 4", "Invalid argument");
    EXPECT_EQ(run("rtadvd shmif0 mtu 1300 maxinterval 4 mininterval 3 prefix 2001:db8:1::/64 vltime 600 pltime 300").status,
              0);
    auto j = run_json("rtadvd shmif0 show");
    EXPECT_TRUE(j["enabled"].get<bool>());
    EXPECT_EQ(j["mtu"], 1300);
    EXPECT_EQ(j["prefixes"][0]["prefix"], "2001:db8:1::/64");
    EXPECT_NE(cs.running_config().find("rtadvd shmif0 maxinterval 4 mininterval 3 rltime 1800 mtu 1300 prefix "
                                       "2001:db8:1::/64 vltime 600 pltime 300\n"),
              std::string::npos)
        << cs.running_config();
    EXPECT_EQ(run("rtadvd shmif0 stop").status, 0);
    EXPECT_FALSE(run_json("rtadvd shmif0 show")["enabled"].get<bool>());
    s.stop();
    peer.stop();
}

TEST(cli_intrctl, QueueMapModesAndErrors) {
    // A router with two workers and one two-queue port: the intrctl surface,
    // its JSON, its errors (which change nothing) and what save writes.
    world w;
    stack_config cfg;
    cfg.workers = 2;
    stack& s = w.add_stack("r", cfg);
    rte_mempool* peer_pool = *pktpool_create("intrctl.peer", 511);
    drivers::ring_link_opts lo;
    lo.a_rxq = 2;
    lo.a_txq = 3;
    auto l = *drivers::ring_link("ic", s.pool(), peer_pool, lo);
    ASSERT_TRUE(s.if_attach("rx0", std::move(l.first)));
    ctl::command_set cs{s};
    auto run = [&](const std::string& line) { return cs.execute(line); };
    auto run_json = [&](const std::string& line) {
        auto r = cs.execute(line + " --json");
        EXPECT_EQ(r.status, 0) << line << ": " << r.text;
        return json::parse(r.text);
    };
    auto owner = [&](uint16_t q) {
        for (const auto& i : s.rxq_list())
            if (i.ifname == "rx0" && i.queue == q) return i.lcore;
        return -2;
    };
    // Initial map: queue q on worker q % 2.
    EXPECT_EQ(owner(0), 0);
    EXPECT_EQ(owner(1), 1);
    auto t = run("intrctl list");
    EXPECT_EQ(t.status, 0);
    EXPECT_NE(t.text.find("interrupt id"), std::string::npos) << t.text;
    EXPECT_NE(t.text.find("LCORE#01"), std::string::npos) << t.text;
    EXPECT_NE(t.text.find("rx0:1"), std::string::npos) << t.text;
    EXPECT_NE(t.text.find("[no interrupt]"), std::string::npos) << "net_ring has no RX interrupt: " << t.text;
    auto j = run_json("intrctl list");
    ASSERT_EQ(j.size(), 3u);  // lo0:0, rx0:0, rx0:1
    EXPECT_EQ(j[2]["interrupt"], "rx0:1");
    EXPECT_EQ(j[2]["lcore"], 1);

    // affinity moves a queue; the list shows it.
    EXPECT_EQ(run("intrctl affinity -i rx0:1 -c 0").status, 0);
    EXPECT_EQ(owner(1), 0);
    // Errors: one line, non-zero, nothing changed.
    for (const char* bad : {"intrctl affinity -i rx0:2 -c 0", "intrctl affinity -i nope:0 -c 0",
                            "intrctl affinity -i rx0:0 -c 2", "intrctl affinity -i rx0 -c 0",
                            "intrctl affinity -i rx0:x -c 0", "intrctl mode -c 0 turbo", "intrctl mode -c 5 poll",
                            "intrctl frob", "intrctl nointr -c 9"}) {
        auto r = run(bad);
        EXPECT_NE(r.status, 0) << bad;
        EXPECT_EQ(r.text.find('\n'), std::string::npos) << bad << ": " << r.text;
    }
    EXPECT_EQ(owner(0), 0);
    EXPECT_EQ(owner(1), 0);

    // nointr moves every queue off the lcore; the last one cannot go.
    EXPECT_EQ(run("intrctl nointr -c 0").status, 0);
    EXPECT_EQ(owner(0), 1);
    EXPECT_EQ(owner(1), 1);
    auto r = run("intrctl nointr -c 1");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.text.find("last"), std::string::npos) << r.text;
    auto lj = run_json("show lcores");
    ASSERT_EQ(lj.size(), 3u);
    EXPECT_EQ(lj[0]["nointr"], true);
    EXPECT_TRUE(lj[0]["rx_queues"].empty());
    EXPECT_EQ(lj[1]["rx_queues"].size(), 3u);
    EXPECT_EQ(lj[2]["role"], "control");
    for (int i = 0; i < 2; ++i) {  // a worker's poll gaps: decades that nest, the longest
        const auto& g = lj[i]["poll_gaps"];
        EXPECT_GE(g["over_100us"].get<uint64_t>(), g["over_1ms"].get<uint64_t>());
        EXPECT_GE(g["over_1ms"].get<uint64_t>(), g["over_10ms"].get<uint64_t>());
        EXPECT_EQ(g["over_100us"].get<uint64_t>() == 0, lj[i]["poll_gap_max_ns"].get<uint64_t>() == 0);
    }
    EXPECT_NE(run("show lcores").text.find("MaxGapUs"), std::string::npos);
    EXPECT_EQ(run("intrctl intr -c 0").status, 0);

    // Modes per worker.
    EXPECT_EQ(run("intrctl mode -c 1 interrupt").status, 0);
    lj = run_json("show lcores");
    EXPECT_EQ(lj[1]["mode"], "interrupt");
    EXPECT_EQ(lj[0]["mode"], "adaptive");

    // show queues: RX and TX with the regime (3 TX queues for 3 lcores).
    auto qj = run_json("show queues");
    ASSERT_TRUE(qj.contains("rx") && qj.contains("tx"));
    unsigned rx0_tx = 0;
    for (const auto& q : qj["tx"])
        if (q["interface"] == "rx0") {
            ++rx0_tx;
            EXPECT_EQ(q["regime"], "per-lcore");
            EXPECT_EQ(q["shared"], false);
            EXPECT_EQ(q["guest"], false);
        }
    EXPECT_EQ(rx0_tx, 3u);
    EXPECT_NE(run("show queues").text.find("per-lcore"), std::string::npos);

    // save writes the map back.
    const std::string conf = cs.running_config();
    EXPECT_NE(conf.find("intrctl affinity -i rx0:1 -c 1"), std::string::npos) << conf;  // where nointr moved it
    EXPECT_NE(conf.find("intrctl mode -c 1 interrupt"), std::string::npos) << conf;
    EXPECT_TRUE(s.if_destroy("rx0"));
    pktpool_free(peer_pool);
}

}  // namespace
}  // namespace mpnet::testing
