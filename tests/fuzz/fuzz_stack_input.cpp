// SPDX-License-Identifier: BSD-2-Clause
// libFuzzer target: every input is one Ethernet frame received by a running
// host stack (Ethernet, ARP, IPv4, ICMP, IPv6, ICMPv6 and ND parsers and the
// control plane's ARP and NDP logic behind them, RA processing included; a
// vlan, a bridge, a tap exception path, two gif tunnels, two L2TPv3
// pseudowires and a VXLAN segment on the same segment). Built with -DMPNET_FUZZ=ON and clang; run by
// tools/scripts/run-tests.sh for a bounded number of inputs, or by hand:
//   ./build-fuzz/tests/fuzz/fuzz_stack_input tests/fuzz/corpus -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "fuzz_eal.hpp"
#include "mpnet/modules/bridge.hpp"
#include "mpnet/modules/gif.hpp"
#include "mpnet/modules/l2tp.hpp"
#include "mpnet/modules/vxlan.hpp"
#include "mpnet/modules/tap.hpp"
#include "mpnet/modules/vlan.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "mpnet/stack/stack.hpp"

namespace {

struct harness {
    mpnet::rcu_thread reg;
    mpnet::manual_clock clk;
    std::unique_ptr<mpnet::drivers::bus> bus, bus2;
    std::unique_ptr<mpnet::stack> s;
    std::unique_ptr<mpnet::drivers::bus_port> inj;
    uint64_t inputs = 0;
};

harness* h = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mpnet::fuzz::eal_up("fuzz_stack_input");
    h = new harness;
    h->bus = std::make_unique<mpnet::drivers::bus>("fuzz");
    mpnet::stack_config c;
    c.name = "fuzz";
    c.neigh_max = 64;
    c.dad6_count = 0;
    c.accept_rtadv = true;
    // tap0's "host interface" is one more port on the fuzzed segment.
    c.port_open = [](std::string_view, rte_mempool*, uint16_t) -> std::unique_ptr<mpnet::port> {
        auto p = h->bus->attach();
        return p ? std::move(*p) : nullptr;
    };
    h->s = std::make_unique<mpnet::stack>(c, &h->clk);
    auto p = h->bus->attach();
    if (!p || !h->s->if_attach("shmif0", std::move(*p))) std::abort();
    // The MAC the corpus frames are addressed to: fixed so that inputs are
    // reproducible across runs.
    if (!h->s->if_link_add("shmif0", *mpnet::ether_addr::parse("02:6d:70:00:00:01"), true)) std::abort();
    if (!h->s->addr_add("shmif0", *mpnet::ip4_addr::parse("198.18.0.1"), 24)) std::abort();
    if (!h->s->addr6_add("shmif0", *mpnet::ip6_addr::parse("2001:db8::1"), 64)) std::abort();
    if (!h->s->if_up("shmif0")) std::abort();
    // vlan 10 on shmif0, so that tagged frames reach the vlan module's input.
    if (!h->s->if_create("vlan10") || !mpnet::vlan::set(*h->s, "vlan10", 10, "shmif0") ||
        !h->s->addr_add("vlan10", *mpnet::ip4_addr::parse("198.18.10.1"), 24) || !h->s->if_up("vlan10"))
        std::abort();
    // bridge0 joins the fuzzed segment (shmif1) to a second one (shmif2), so
    // that every frame also goes through the bridge's input, learning and
    // flooding; it has an address of its own.
    h->bus2 = std::make_unique<mpnet::drivers::bus>("fuzz2");
    auto p1 = h->bus->attach();
    auto p2 = h->bus2->attach();
    if (!p1 || !p2 || !h->s->if_attach("shmif1", std::move(*p1)) || !h->s->if_attach("shmif2", std::move(*p2)) ||
        !h->s->if_up("shmif1") || !h->s->if_up("shmif2") || !h->s->if_create("bridge0") ||
        !mpnet::bridge::add(*h->s, "bridge0", "shmif1") || !mpnet::bridge::add(*h->s, "bridge0", "shmif2") ||
        !h->s->addr_add("bridge0", *mpnet::ip4_addr::parse("198.18.20.1"), 24) || !h->s->if_up("bridge0"))
        std::abort();
    // tap0 on the same segment is the exception path: TCP and unknown
    // protocols to the stack's addresses go out of it, and frames to its MAC
    // from the stack's own addresses are taken as the host's answers.
    if (!h->s->if_create("tap0") || !h->s->addr_add("tap0", *mpnet::ip4_addr::parse("198.18.30.1"), 24) ||
        !h->s->if_up("tap0") || !mpnet::tap::set_exception(*h->s, "tap0", true))
        std::abort();
    // gif0 and gif1 from 198.18.0.1 to 198.18.0.2 and 2001:db8::2, routed
    // into each other's peers: protocols 4 and 41 reach the decapsulation,
    // and what comes out may go back into a tunnel (the nesting limit).
    mpnet::gif::endpoints e4, e6;
    e4.src4 = *mpnet::ip4_addr::parse("198.18.0.1");
    e4.dst4 = *mpnet::ip4_addr::parse("198.18.0.2");
    e6.family = 6;
    e6.src6 = *mpnet::ip6_addr::parse("2001:db8::1");
    e6.dst6 = *mpnet::ip6_addr::parse("2001:db8::2");
    mpnet::addr6_opts peer6;
    peer6.dst = *mpnet::ip6_addr::parse("2001:db8:41::2");
    if (!h->s->if_create("gif0") || !mpnet::gif::set_tunnel(*h->s, "gif0", e4) ||
        !h->s->addr_add("gif0", *mpnet::ip4_addr::parse("198.18.40.1"), 32, *mpnet::ip4_addr::parse("198.18.40.2")) ||
        !h->s->if_up("gif0") || !h->s->if_create("gif1") || !mpnet::gif::set_tunnel(*h->s, "gif1", e6) ||
        !h->s->addr6_add("gif1", *mpnet::ip6_addr::parse("2001:db8:41::1"), 128, peer6) || !h->s->if_up("gif1"))
        std::abort();
    // l2tp0 (IP, an 8-byte cookie) and l2tp1 (UDP) from 198.18.0.2, both
    // members of bridge0: what they decapsulate is bridged onto the segments.
    const mpnet::tunnel_endpoints l2 = *mpnet::tunnel_endpoints::parse("198.18.0.1", "198.18.0.2");
    if (!h->s->if_create("l2tp0") || !mpnet::l2tp::set_tunnel(*h->s, "l2tp0", l2) ||
        !mpnet::l2tp::set_session(*h->s, "l2tp0", 1234, 4321) ||
        !mpnet::l2tp::set_cookie(*h->s, "l2tp0", {8, 0x0123456789abcdefULL}, {8, 0x0123456789abcdefULL}) ||
        !h->s->if_up("l2tp0") || !mpnet::bridge::add(*h->s, "bridge0", "l2tp0") || !h->s->if_create("l2tp1") ||
        !mpnet::l2tp::set_udp(*h->s, "l2tp1", true) || !mpnet::l2tp::set_tunnel(*h->s, "l2tp1", l2) ||
        !mpnet::l2tp::set_session(*h->s, "l2tp1", 99, 98) || !h->s->if_up("l2tp1") ||
        !mpnet::bridge::add(*h->s, "bridge0", "l2tp1"))
        std::abort();
    // vxlan0 (VNI 42 from 198.18.0.2), a bridge0 member too.
    if (!h->s->if_create("vxlan0") || !mpnet::vxlan::set_vni(*h->s, "vxlan0", 42) ||
        !mpnet::vxlan::set_tunnel(*h->s, "vxlan0", l2) || !h->s->if_up("vxlan0") ||
        !mpnet::bridge::add(*h->s, "bridge0", "vxlan0"))
        std::abort();
    h->inj = std::move(*h->bus->attach());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0 || size > 2000) return 0;
    mpnet::mbuf* m = mpnet::pkt_alloc(h->s->pool(), static_cast<uint16_t>(size));
    if (!m) std::abort();  // a leak in the stack would end here
    std::memcpy(mpnet::pkt_data(m), data, size);
    if (h->inj->tx_burst(0, &m, 1) != 1) mpnet::pkt_free(m);
    h->s->step();
    h->s->step();
    // Let timers run now and then (ARP retries, expiry) on virtual time.
    if (++h->inputs % 64 == 0) h->clk.advance(500 * mpnet::ns_per_ms);
    h->bus->take_capture();
    h->bus2->take_capture();
    return 0;
}
