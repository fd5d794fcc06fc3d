// SPDX-License-Identifier: BSD-2-Clause
// One worker and the control plane on a port with one TX queue, in thread
// mode: the worker owns the queue (no soft queue, no try-lock) and sends the
// control plane's frames from its guest ring. A generator forwards a
// numbered stream through the router while the far side asks for the
// router's address by ARP again and again: every forwarded packet must arrive
// once and in order, every ARP request must be answered, and the worker must
// never have sent through a soft queue.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "../support/world.hpp"
#include "mpnet/l2/arp.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"

namespace mpnet::testing {
namespace {

TEST(t_txguest, one_worker_and_the_control_plane_share_a_queue_without_loss_or_reorder) {
    stack_config c;
    c.name = "guest";
    c.workers = 1;
    c.dad_count = 0;
    c.forwarding = true;
    c.send_redirects = false;
    c.mbufs = 8191;
    auto router = std::make_unique<stack>(c);
    stack& r = *router;
    rte_mempool* gen_pool = *pktpool_create("guest.gen", 8191);
    drivers::ring_link_opts one;
    one.a_rxq = one.a_txq = one.b_rxq = one.b_txq = 1;
    one.ring_size = 2048;
    auto in = *drivers::ring_link("gin", gen_pool, r.pool(), one);
    auto out = *drivers::ring_link("gout", r.pool(), gen_pool, one);
    auto gen = std::move(in.first);
    auto sink = std::move(out.second);
    ASSERT_TRUE(r.if_attach("in0", std::move(in.second)));
    ASSERT_TRUE(r.if_attach("out0", std::move(out.first)));
    ASSERT_TRUE(r.addr_add("in0", ip("198.18.1.254"), 24));
    ASSERT_TRUE(r.addr_add("out0", ip("198.18.10.254"), 24));
    ASSERT_TRUE(r.if_up("in0"));
    ASSERT_TRUE(r.if_up("out0"));
    ASSERT_TRUE(r.arp_add(ip("198.18.10.1"), sink->mac()));
    route_spec sp;
    sp.dst = *prefix4::parse("198.19.0.0/16");
    sp.gateway = ip("198.18.10.1");
    ASSERT_TRUE(r.route_add(sp));
    std::string regime;
    for (const auto& q : r.txq_list())
        if (q.ifname == "out0") {
            regime = q.regime;
            EXPECT_TRUE(q.q.guest);
            EXPECT_FALSE(q.q.shared);
        }
    EXPECT_EQ(regime, "per-worker");
    const ether_addr r_in = r.if_get("in0")->lladdr;
    const ether_addr r_out = r.if_get("out0")->lladdr;
    ASSERT_TRUE(r.start());

    constexpr uint32_t total = 60000, arps = 600, window = 512;
    uint32_t sent = 0, got = 0, next_seq = 0, out_of_order = 0, arp_sent = 0, arp_replies = 0;
    mbuf* pk[32];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    {
        rcu_offline off;  // this thread only drives the wire
        while ((got < total || arp_replies < arps) && std::chrono::steady_clock::now() < deadline) {
            // Numbered packets, at most `window` in flight: the rings never
            // overflow, so any loss is the router's.
            uint16_t n = 0;
            while (n < 32 && sent + n < total && sent + n - got < window) {
                mbuf* m = pkt_alloc(gen_pool, 18);
                if (!m) break;
                std::memset(pkt_data(m), 0, 18);
                const uint32_t seq = sent + n;
                std::memcpy(pkt_data(m) + 8, &seq, 4);
                ip4_encap(m, ip("198.18.1.1"), ip4_addr(ip("198.19.0.0").v | (seq & 0xffff)), ipproto_udp, 64, 0);
                ether_encap(m, r_in, gen->mac(), ethertype_ip4);
                pk[n++] = m;
            }
            const uint16_t k = n ? gen->tx_burst(0, pk, n) : 0;
            for (uint16_t i = k; i < n; ++i) pkt_free(pk[i]);
            sent += k;
            // Every 100 packets an ARP request from the far side for the
            // router's address: the control plane answers it on out0.
            if (arp_sent < arps && arp_sent * 100 <= sent) {
                mbuf* m = arp_build(gen_pool, ether_addr::broadcast(), sink->mac(),
                                    arp_fields{arp_op_request, sink->mac(), ip("198.18.10.1"), {}, ip("198.18.10.254")});
                if (m && sink->tx_burst(0, &m, 1) == 1)
                    ++arp_sent;
                else if (m)
                    pkt_free(m);
            }
            while (uint16_t g = sink->rx_burst(0, pk, 32)) {
                for (uint16_t i = 0; i < g; ++i) {
                    const auto* eh = pkt_header<ether_hdr>(pk[i]);
                    if (eh->type.get() == ethertype_arp) {
                        drop_reason why{};
                        mbuf* a = pk[i];
                        pkt_adj(a, sizeof(ether_hdr));
                        if (const arp_ether_ip4* h = arp_validate(a, &why)) {
                            const arp_fields f = arp_read(*h);
                            if (f.op == arp_op_reply && f.sha == r_out && f.spa == ip("198.18.10.254")) ++arp_replies;
                        }
                    } else if (eh->type.get() == ethertype_ip4) {
                        uint32_t seq;
                        std::memcpy(&seq, pkt_data(pk[i]) + sizeof(ether_hdr) + sizeof(ip4_hdr) + 8, 4);
                        if (seq != next_seq) ++out_of_order;
                        next_seq = seq + 1;
                        ++got;
                    }
                    pkt_free(pk[i]);
                }
            }
            while (uint16_t g = gen->rx_burst(0, pk, 32))
                for (uint16_t i = 0; i < g; ++i) pkt_free(pk[i]);
            if (n == 0) std::this_thread::yield();
        }
    }
    r.stop();
    EXPECT_EQ(sent, total);
    EXPECT_EQ(got, total) << "forwarded packets lost";
    EXPECT_EQ(out_of_order, 0u);
    EXPECT_EQ(arp_sent, arps);
    EXPECT_EQ(arp_replies, arps) << "control-plane frames lost";
    for (const auto& q : r.txq_list())
        if (q.ifname == "out0") {
            EXPECT_EQ(q.q.softq_drops, 0u);
            EXPECT_EQ(q.q.refused, 0u);
            EXPECT_EQ(q.q.contended, 0u) << "no try-lock on a one-worker queue";
            EXPECT_GE(q.q.packets, uint64_t(total) + arps);
        }
    for (size_t k = 0; k < drop_reason_count; ++k)
        if (uint64_t n = r.drops(static_cast<drop_reason>(k)))
            ADD_FAILURE() << "router drop " << drop_reason_name(static_cast<drop_reason>(k)) << ": " << n;
    std::printf("guest: %u forwarded in order, %u ARP replies from the control plane\n", got, arp_replies);
    gen.reset();
    sink.reset();
    router.reset();
    pktpool_free(gen_pool);
}

}  // namespace
}  // namespace mpnet::testing
