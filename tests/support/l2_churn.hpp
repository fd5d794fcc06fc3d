// SPDX-License-Identifier: BSD-2-Clause
// A two-worker churn run for an L2 tunnel bridged with a LAN port (t_vxlan,
// t_l2tp): worker 0 encapsulates (the LAN's queue), worker 1 decapsulates
// (the WAN's), while the control plane moves the tunnel between two
// identities (VNIs, sessions), deletes its tunnel and destroys and remakes
// it. Each frame carries the iteration it was sent in, so the identity of
// that moment is known: every frame must leave with it, and none sent to
// another identity may be taken.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "world.hpp"

namespace mpnet::testing {

struct l2_churn_kind {
    std::string ifname;  // "vxlan0"
    /// Commands that make the interface with identity 0 (tunnel
    /// 198.18.0.1 -> 198.18.0.2), before it is bridged with shmif0.
    std::vector<std::string> create;
    std::string to[2];                // commands that switch to identity 0 and 1
    std::string delete_tunnel;        // the tunnel goes (no identity)
    std::vector<std::string> restore; // the tunnel back, then identity 1
    /// The far end's packet carrying `frame` as identity `id` (the outer
    /// Ethernet, IPv4 and tunnel headers; `r_wan` is the router's MAC).
    std::function<std::vector<uint8_t>(int id, const std::vector<uint8_t>& frame, const ether_addr& r_wan,
                                       const ether_addr& peer)>
        wrap;
    /// The identity a frame the router sent on the WAN carries, -2 when it
    /// is not one of its tunnel's frames; `inner_at` gets the inner frame's offset.
    std::function<int(const uint8_t* d, uint32_t len, uint32_t* inner_at)> sent_as;
    std::string refused_drop;  // the drop reason of a packet for no identity ("vxlan_no_tunnel")
};

struct l2_churn_counts {
    uint64_t out = 0, stale_out = 0, in = 0, stale_in = 0, refused = 0, leaked = 0;
};

/// A tunnel frame from the far end: Ethernet from `from` to `to`, an outer
/// IPv4 header of `proto` from 198.18.0.2 to 198.18.0.1, `tunnel_len` bytes
/// of tunnel header (zero, for the caller to fill at offset 34), then `frame`.
inline std::vector<uint8_t> l2_churn_outer(uint8_t proto, size_t tunnel_len, const std::vector<uint8_t>& frame,
                                           const ether_addr& to, const ether_addr& from) {
    const size_t hl = 14 + 20 + tunnel_len;
    std::vector<uint8_t> f(hl + frame.size());
    ether_hdr e{to, from, be16::of(ethertype_ip4)};
    std::memcpy(f.data(), &e, 14);
    std::memcpy(f.data() + hl, frame.data(), frame.size());
    ip4_hdr h{};
    h.ver_ihl = 0x45;
    h.total_len.set(static_cast<uint16_t>(f.size() - 14));
    h.ttl = 64;
    h.proto = proto;
    h.src.set(ip4_addr::of(198, 18, 0, 2).v);
    h.dst.set(ip4_addr::of(198, 18, 0, 1).v);
    h.cksum = in_cksum(&h, 20);
    std::memcpy(f.data() + 14, &h, 20);
    return f;
}

inline l2_churn_counts run_l2_churn(const l2_churn_kind& k, int iterations = 400) {
    l2_churn_counts res;
    stack_config c = no_dad();
    c.workers = 2;
    c.mbufs = 8191;
    drivers::bus wan("churn_wan"), lan("churn_lan");
    stack r(c);
    ctl::command_set cs(r);
    auto cmd = [&](const std::string& l) {
        const ctl::reply rep = cs.execute(l);
        EXPECT_EQ(rep.status, 0) << l << ": " << rep.text;
    };
    for (auto [b, name] : {std::pair{&wan, "shmif1"}, std::pair{&lan, "shmif0"}}) {
        auto p = b->attach();
        EXPECT_TRUE(p.has_value());
        EXPECT_TRUE(r.if_attach(name, std::move(*p)));
    }
    auto peer = std::move(*wan.attach());
    auto host = std::move(*lan.attach());
    EXPECT_TRUE(r.rxq_set_lcore("shmif0", 0, 0));
    EXPECT_TRUE(r.rxq_set_lcore("shmif1", 0, 1));
    auto setup = [&] {
        for (const auto& l : k.create) cmd(l);
        for (const std::string& l : {"ifconfig " + k.ifname + " up", std::string("ifconfig bridge0 create"),
                                     std::string("ifconfig bridge0 up"), std::string("brconfig bridge0 add shmif0"),
                                     "brconfig bridge0 add " + k.ifname})
            cmd(l);
    };
    for (const std::string& l : {std::string("ifconfig shmif1 inet 198.18.0.1/24"), std::string("ifconfig shmif1 up"),
                                 std::string("ifconfig shmif0 up"), "arp -s 198.18.0.2 " + peer->mac().str()})
        cmd(l);
    setup();
    const ether_addr r_wan = r.if_get("shmif1")->lladdr;
    const ether_addr far{{0x02, 0, 0, 0, 0x0e, 0x01}}, near{{0x02, 0, 0, 0, 0x0e, 0x02}};
    auto send = [&](drivers::bus_port& p, const std::vector<uint8_t>& f) {
        mbuf* m = pkt_alloc(r.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(p.tx_burst(0, &m, 1), 1);
    };
    // An inner frame whose last two bytes carry the iteration it was sent in
    // and whose source's last byte the identity it was sent as (far end).
    auto inner = [](const ether_addr& dst, ether_addr src, int it, int id) {
        std::vector<uint8_t> f(60);
        if (id >= 0) src.b[5] = static_cast<uint8_t>(1 + id);
        ether_hdr eh{dst, src, be16::of(0x88b5)};
        std::memcpy(f.data(), &eh, 14);
        f[58] = static_cast<uint8_t>(it >> 8);
        f[59] = static_cast<uint8_t>(it);
        return f;
    };
    int current = 0;  // the identity now; -1: none
    std::vector<int> id_at;
    auto collect = [&] {
        mbuf* m[64];
        for (uint16_t n; (n = peer->rx_burst(0, m, 64)) > 0;)
            for (uint16_t i = 0; i < n; ++i) {
                const uint8_t* d = pkt_data(m[i]);
                const uint32_t len = pkt_len(m[i]);
                uint32_t at = 0;
                const int id = k.sent_as(d, len, &at);
                if (id != -2 && len == at + 60) {
                    ++res.out;
                    if (id != id_at.at(size_t(d[len - 2] << 8 | d[len - 1]))) ++res.stale_out;
                }
                pkt_free(m[i]);
            }
        for (uint16_t n; (n = host->rx_burst(0, m, 64)) > 0;)
            for (uint16_t i = 0; i < n; ++i) {
                const uint8_t* d = pkt_data(m[i]);
                if (pkt_len(m[i]) == 60 && d[12] == 0x88 && d[13] == 0xb5) {
                    ++res.in;
                    if (d[11] - 1 != id_at.at(size_t(d[58] << 8 | d[59]))) ++res.stale_in;
                }
                pkt_free(m[i]);
            }
    };
    for (int it = 0; it < iterations; ++it) {
        id_at.push_back(current);
        for (int j = 0; j < 8; ++j) {
            send(*host, inner(far, near, it, -1));
            const int id = j % 2;  // from the far end as each identity in turn
            send(*peer, k.wrap(id, inner(near, far, it, id), r_wan, peer->mac()));
        }
        r.step();
        r.step();
        collect();
        switch (it % 50) {
            case 10: current = 1; cmd(k.to[1]); break;
            case 20: current = 0; cmd(k.to[0]); break;
            case 30: current = -1; cmd(k.delete_tunnel); break;
            case 35:
                current = 1;
                for (const auto& l : k.restore) cmd(l);
                break;
            case 40:
                current = -1;
                cmd("ifconfig bridge0 destroy");
                cmd("ifconfig " + k.ifname + " destroy");
                break;
            case 45: current = 0; setup(); break;
            default: break;
        }
    }
    for (int i = 0; i < 3; ++i) r.step();
    collect();
    EXPECT_GT(r.lcore_list().at(1).rx_pkts, 0u);
    res.refused = drop_count(r, k.refused_drop);
    cmd("ifconfig bridge0 destroy");
    cmd("ifconfig " + k.ifname + " destroy");
    peer.reset();
    host.reset();
    for (int i = 0; i < 3; ++i) r.step();
    res.leaked = c.mbufs - pktpool_avail(r.pool());
    return res;
}

}  // namespace mpnet::testing
