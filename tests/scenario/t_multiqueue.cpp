// SPDX-License-Identifier: BSD-2-Clause
// Multi-queue forwarding on worker threads: two workers, two RX queues, and
// 1, 2, 3, 4 or 6 TX queues (shared, mixed, one per lcore, spread), then RX
// queues moved between the workers under traffic. The generator numbers
// every packet of each flow and spreads flows over the router's RX queues as
// RSS would; the sink's single RX queue is one ordered wire, so a lost,
// duplicated or reordered packet of a flow shows up as a sequence break.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "../support/world.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"

namespace mpnet::testing {
namespace {

constexpr unsigned flows = 8;

struct flow_check {
    uint32_t per_flow = 0;
    uint32_t expect[flows] = {};
    uint64_t received = 0, breaks = 0;
    void take(uint32_t f, uint32_t seq) {
        ++received;
        if (f >= flows || seq != expect[f]) {
            ++breaks;
            if (f < flows && seq > expect[f]) expect[f] = seq + 1;
            return;
        }
        ++expect[f];
    }
};

struct mq_rig {
    std::unique_ptr<stack> r;
    std::unique_ptr<drivers::ethdev_port> gen, sink;
    rte_mempool* gen_pool = nullptr;
    rte_mempool* sink_pool = nullptr;
    ether_addr r_in{};

    uint32_t per_flow;

    uint16_t sink_queues = 1;
    uint32_t window = 768;  // packets in flight: below every ring and soft queue

    explicit mq_rig(uint16_t out_txq, lcore_mode mode = lcore_mode::adaptive, uint32_t pf = 5000) : per_flow(pf) {
        make_stack(mode);
        // in: the generator's TX queue k feeds the router's RX queue k.
        drivers::ring_link_opts in;
        in.a_rxq = 1;
        in.a_txq = 2;
        in.b_rxq = 2;
        in.b_txq = 3;
        auto li = *drivers::ring_link("mqin", gen_pool, r->pool(), in);
        // out: the router's TX queues all feed the sink's one RX queue.
        drivers::ring_link_opts out;
        out.a_rxq = 1;
        out.a_txq = out_txq;
        out.b_rxq = 1;
        out.b_txq = 1;
        out.ring_size = 4096;
        auto lo = *drivers::ring_link("mqout", r->pool(), sink_pool, out);
        wire(std::move(li.first), std::move(li.second), std::move(lo.first), std::move(lo.second));
    }
    /// Ports made by the caller (virtio-user <-> vhost): pools first, then wire().
    mq_rig(lcore_mode mode, uint32_t pf) : per_flow(pf) { make_stack(mode); }

    void make_stack(lcore_mode mode) {
        static std::atomic<unsigned> seq{0};
        const unsigned n = seq.fetch_add(1);
        stack_config c;
        c.name = "mq";
        c.workers = 2;
        c.dad_count = 0;
        c.dad6_count = 0;
        c.forwarding = true;
        c.mbufs = 4095;
        c.idle_polls_before_sleep = 64;
        c.worker_mode = mode;
        r = std::make_unique<stack>(c);
        gen_pool = *pktpool_create("mq.gen" + std::to_string(n), 4095);
        sink_pool = *pktpool_create("mq.sink" + std::to_string(n), 4095);
    }
    void wire(std::unique_ptr<drivers::ethdev_port> g, std::unique_ptr<port> r_in_port,
              std::unique_ptr<port> r_out_port, std::unique_ptr<drivers::ethdev_port> sk) {
        gen = std::move(g);
        sink = std::move(sk);
        sink_queues = sink->rx_queues();
        EXPECT_TRUE(r->if_attach("in0", std::move(r_in_port)));
        EXPECT_TRUE(r->if_attach("out0", std::move(r_out_port)));
        EXPECT_TRUE(r->addr_add("in0", ip("198.18.1.254"), 24));
        EXPECT_TRUE(r->addr_add("out0", ip("198.18.20.254"), 24));
        EXPECT_TRUE(r->if_up("in0"));
        EXPECT_TRUE(r->if_up("out0"));
        EXPECT_TRUE(r->arp_add(ip("198.18.1.1"), gen->mac()));
        for (unsigned f = 0; f < flows; ++f) EXPECT_TRUE(r->arp_add(dst(f), sink->mac()));
        r_in = r->if_get("in0")->lladdr;
    }
    ~mq_rig() {
        r->stop();
        r.reset();
        gen.reset();
        sink.reset();
        pktpool_free(gen_pool);
        pktpool_free(sink_pool);
    }
    static ip4_addr dst(unsigned f) { return ip4_addr::of(198, 18, 20, static_cast<uint8_t>(10 + f)); }

    mbuf* make(unsigned f, uint32_t seq) {
        mbuf* m = pkt_alloc(gen_pool, 16);
        if (!m) return nullptr;
        uint8_t* p = pkt_data(m);
        const uint16_t sport = static_cast<uint16_t>(5000 + 17 * f), dport = 9;
        p[0] = uint8_t(sport >> 8), p[1] = uint8_t(sport), p[2] = uint8_t(dport >> 8), p[3] = uint8_t(dport);
        p[4] = 0, p[5] = 16, p[6] = 0, p[7] = 0;  // length 16, no checksum
        std::memcpy(p + 8, &f, 4);
        std::memcpy(p + 12, &seq, 4);
        ip4_encap(m, ip("198.18.1.1"), dst(f), ipproto_udp, 64, static_cast<uint16_t>(seq));
        ether_encap(m, r_in, gen->mac(), ethertype_ip4);
        return m;
    }

    /// Runs the traffic; `during` runs on the test thread meanwhile (moves).
    flow_check run(const std::function<void(const std::atomic<bool>&)>& during = {}) {
        flow_check chk;
        chk.per_flow = per_flow;
        std::atomic<uint64_t> sent{0}, recvd{0};
        std::atomic<bool> gen_done{false}, sink_stop{false};
        std::thread sk([&] {
            lcore_register_thread();
            mbuf* b[32];
            for (uint16_t sq = 0; !sink_stop.load(); sq = static_cast<uint16_t>((sq + 1) % sink_queues)) {
                const uint16_t n = sink->rx_burst(sq, b, 32);
                for (uint16_t i = 0; i < n; ++i) {
                    const uint8_t* p = pkt_data(b[i]);
                    if (pkt_len(b[i]) >= 14 + 20 + 16 && p[12] == 0x08 && p[13] == 0x00 && p[14 + 9] == ipproto_udp) {
                        uint32_t f, s;
                        std::memcpy(&f, p + 14 + 20 + 8, 4);
                        std::memcpy(&s, p + 14 + 20 + 12, 4);
                        chk.take(f, s);
                        recvd.fetch_add(1);
                    }
                    pkt_free(b[i]);
                }
                if (n == 0) std::this_thread::yield();
            }
            lcore_unregister_thread();
        });
        std::thread g([&] {
            lcore_register_thread();
            uint32_t next[flows] = {};
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
            for (uint32_t round = 0; round < per_flow && std::chrono::steady_clock::now() < deadline;) {
                if (sent.load() - recvd.load() + 2 * flows > window) {
                    std::this_thread::yield();
                    continue;
                }
                // Two packets of every flow; flow f on RX queue f % 2.
                mbuf* q[2][2 * flows];
                uint16_t nq[2] = {0, 0};
                for (uint32_t k = 0; k < 2 && round < per_flow; ++k, ++round)
                    for (unsigned f = 0; f < flows; ++f) {
                        mbuf* m = make(f, next[f]);
                        if (!m) continue;  // pool dry: the same seq is tried next round
                        ++next[f];
                        q[f % 2][nq[f % 2]++] = m;
                    }
                for (uint16_t k = 0; k < 2; ++k) {
                    uint16_t done = 0;
                    while (done < nq[k] && std::chrono::steady_clock::now() < deadline) {
                        done = static_cast<uint16_t>(done + gen->tx_burst(k, q[k] + done, nq[k] - done));
                        if (done < nq[k]) std::this_thread::yield();
                    }
                    for (uint16_t i = done; i < nq[k]; ++i) pkt_free(q[k][i]);
                    sent.fetch_add(done);
                }
            }
            gen_done.store(true);
            lcore_unregister_thread();
        });
        if (during) during(gen_done);
        g.join();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (recvd.load() < sent.load() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        sink_stop.store(true);
        sk.join();
        EXPECT_EQ(sent.load(), uint64_t(flows) * per_flow);
        return chk;
    }
};

void expect_exact(const flow_check& chk) {
    EXPECT_EQ(chk.breaks, 0u) << "lost, duplicated or reordered packets";
    EXPECT_EQ(chk.received, uint64_t(flows) * chk.per_flow);
    for (unsigned f = 0; f < flows; ++f) EXPECT_EQ(chk.expect[f], chk.per_flow) << "flow " << f;
}

std::vector<txq_info> out_txqs(stack& s, std::string* regime = nullptr) {
    std::vector<txq_info> v;
    for (auto& e : s.txq_list())
        if (e.ifname == "out0") {
            if (regime) *regime = e.regime;
            v.push_back(e.q);
        }
    return v;
}

class t_multiqueue : public ::testing::TestWithParam<uint16_t> {};

TEST_P(t_multiqueue, every_packet_forwarded_once_in_order) {
    const uint16_t nq = GetParam();
    mq_rig rig(nq);
    ASSERT_TRUE(rig.r->start());
    const flow_check chk = rig.run();
    rig.r->stop();
    expect_exact(chk);
    EXPECT_EQ(rig.r->drops(drop_reason::tx_ring_full), 0u);
    EXPECT_EQ(rig.r->drops(drop_reason::tx_softq_full), 0u);
    // Both workers forwarded (one RX queue each).
    auto lc = rig.r->lcore_list();
    EXPECT_GT(lc[0].rx_pkts, 0u);
    EXPECT_GT(lc[1].rx_pkts, 0u);
    std::string regime;
    auto qs = out_txqs(*rig.r, &regime);
    ASSERT_EQ(qs.size(), nq);
    uint64_t total = 0;
    for (auto& q : qs) total += q.packets;
    // Forwarded packets, plus what the control plane sent itself (an
    // announcement on up) through the same layer.
    EXPECT_GE(total, uint64_t(flows) * rig.per_flow);
    EXPECT_LE(total, uint64_t(flows) * rig.per_flow + lc[2].tx_pkts);
    // The device's own counters (rte_eth_stats) agree with the stack's.
    const auto in = rig.r->if_get("in0");
    const auto out = rig.r->if_get("out0");
    ASSERT_TRUE(in && out);
    ASSERT_TRUE(in->has_device_stats && out->has_device_stats);
    EXPECT_EQ(in->device.ipackets, in->ipackets);
    EXPECT_EQ(in->device.rx_nombuf, 0u);
    EXPECT_EQ(out->device.opackets, total);
    EXPECT_EQ(out->device.oerrors, 0u);
    // Three lcores send: workers 0 and 1, and the control plane (lcore 2),
    // which with fewer queues than lcores is a guest of queue 2 % Q.
    switch (nq) {
        case 1:  // both workers share queue 0 through its soft queue; the control plane is its guest
            EXPECT_EQ(regime, "shared");
            EXPECT_TRUE(qs[0].shared);
            EXPECT_TRUE(qs[0].guest);
            EXPECT_GT(qs[0].drains, 0u);
            break;
        case 2:  // each worker owns a queue; the control plane is a guest of queue 0
            EXPECT_EQ(regime, "per-worker");
            EXPECT_FALSE(qs[0].shared);
            EXPECT_FALSE(qs[1].shared);
            EXPECT_TRUE(qs[0].guest);
            EXPECT_FALSE(qs[1].guest);
            EXPECT_GT(qs[0].packets, 0u);
            EXPECT_GT(qs[1].packets, 0u);
            break;
        case 3:  // one queue per lcore, no soft queue anywhere
            EXPECT_EQ(regime, "per-lcore");
            for (auto& q : qs) EXPECT_FALSE(q.shared || q.guest);
            EXPECT_GT(qs[0].packets, 0u);
            EXPECT_GT(qs[1].packets, 0u);
            EXPECT_LE(qs[2].packets, lc[2].tx_pkts);  // the control plane's own packets only
            break;
        default:  // spread: worker 0 owns 0 and 3 (and 6...), worker 1 owns 1, 4
            EXPECT_EQ(regime, "spread");
            for (auto& q : qs) EXPECT_FALSE(q.shared);
            EXPECT_GT(qs[0].packets, 0u);
            EXPECT_GT(qs[3].packets, 0u) << "worker 0's flows spread over its second queue";
            EXPECT_GT(qs[1].packets, 0u);
            break;
    }
}

INSTANTIATE_TEST_SUITE_P(tx_regimes, t_multiqueue, ::testing::Values(1, 2, 3, 4, 6));

TEST(t_multiqueue_move, queues_move_between_lcores_under_traffic) {
    // Shared TX (2 queues for 3 lcores) so moved flows also change TX path.
    mq_rig rig(2, lcore_mode::poll, 40000);
    ASSERT_TRUE(rig.r->start());
    unsigned moves = 0;
    const flow_check chk = rig.run([&](const std::atomic<bool>& done) {
        // Cycle through every placement: swapped, both on one worker, back.
        const unsigned plan[][2] = {{1, 0}, {0, 0}, {1, 1}, {0, 1}};
        for (unsigned i = 0; !done.load() && moves < 2000; ++i) {
            const auto& p = plan[i % 4];
            for (uint16_t q = 0; q < 2; ++q) {
                EXPECT_TRUE(rig.r->rxq_set_lcore("in0", q, p[q]));
                ++moves;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    rig.r->stop();
    expect_exact(chk);
    EXPECT_GE(moves, 20u) << "the traffic outlasted a few moves";
    EXPECT_EQ(rig.r->drops(drop_reason::tx_ring_full), 0u);
    EXPECT_EQ(rig.r->drops(drop_reason::tx_softq_full), 0u);
    std::printf("t_multiqueue_move: %u queue moves during %u packets\n", moves, flows * rig.per_flow);
}

TEST(t_multiqueue_move, interrupt_mode_without_interrupts_naps_and_forwards) {
    // net_ring has no RX interrupts: interrupt mode falls back to naps, and
    // traffic after an idle spell still gets through.
    mq_rig rig(3, lcore_mode::interrupt);
    ASSERT_TRUE(rig.r->start());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (rig.r->lcore_list()[0].sleeps == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto lc = rig.r->lcore_list();
    EXPECT_GT(lc[0].sleeps, 0u);
    EXPECT_EQ(lc[0].intr_sleeps, 0u) << "no queue has an interrupt to arm";
    const flow_check chk = rig.run();
    rig.r->stop();
    expect_exact(chk);
}

TEST(t_virtio, virtio_user_to_vhost_with_two_queues) {
    // The vioif class for real: the router's ports are virtio-user devices
    // (DPDK's virtio PMD) whose backend is DPDK's vhost-user PMD in this same
    // process, two queue pairs each. The host side sends each flow on one
    // vhost queue (the guest's RX queue k), and reads both of the other's.
    const std::string base = "/tmp/mpnet-vhost-" + std::to_string(getpid());
    const std::string sa = base + "-a.sock", sb = base + "-b.sock";
    std::remove(sa.c_str());
    std::remove(sb.c_str());
    struct cleanup {
        std::string a, b;
        ~cleanup() {
            std::remove(a.c_str());
            std::remove(b.c_str());
        }
    } files{sa, sb};
    // The rig's destructor closes the router (virtio-user) before the vhost
    // ports, so the devices stop while their backend still answers.
    mq_rig rig(lcore_mode::adaptive, 5000);
    rig.window = 128;  // below a virtio TX ring (256 descriptors): a full one is a counted drop
    drivers::ethdev_config hc;
    hc.rx_queues = 2;
    hc.tx_queues = 2;
    // The vhost ports listen once started; the virtio-user ports connect.
    auto ha = drivers::ethdev_port::open("net_vhost_mqa,iface=" + sa + ",queues=2", rig.gen_pool, hc);
    auto hb = drivers::ethdev_port::open("net_vhost_mqb,iface=" + sb + ",queues=2", rig.sink_pool, hc);
    ASSERT_TRUE(ha && hb) << "vhost PMD";
    drivers::ethdev_config gc;
    gc.rx_queues = 2;
    gc.tx_queues = 3;  // one per lcore asked; the device has two pairs
    auto ga = drivers::ethdev_port::open("net_virtio_user_mqa,path=" + sa + ",queues=2", rig.r->pool(), gc);
    auto gb = drivers::ethdev_port::open("net_virtio_user_mqb,path=" + sb + ",queues=2", rig.r->pool(), gc);
    ASSERT_TRUE(ga && gb) << "virtio-user PMD";
    EXPECT_EQ((*ga)->driver_class(), "vioif");
    EXPECT_EQ((*ga)->driver(), "net_virtio_user");
    EXPECT_EQ((*ga)->rx_queues(), 2);
    EXPECT_EQ((*ga)->tx_queues(), 2);
    std::printf("virtio-user plan: %s\n", (*ga)->plan().summary().c_str());
    drivers::ethdev_port* vh[2] = {ha->get(), hb->get()};
    rig.wire(std::move(*ha), std::move(*ga), std::move(*gb), std::move(*hb));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!(vh[0]->link_up() && vh[1]->link_up()) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(vh[0]->link_up() && vh[1]->link_up()) << "vhost-user negotiation";
    ASSERT_TRUE(rig.r->start());
    const flow_check chk = rig.run();
    expect_exact(chk);
    // The same traffic with both workers asleep on virtio RX interrupts.
    for (unsigned w = 0; w < 2; ++w) ASSERT_TRUE(rig.r->lcore_set_mode(w, lcore_mode::interrupt));
    const auto idle_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto both_waiting = [&] {
        auto l = rig.r->lcore_list();
        return l[0].intr_sleeps > 0 && l[1].intr_sleeps > 0;
    };
    while (!both_waiting() && std::chrono::steady_clock::now() < idle_deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(both_waiting()) << "workers sleep with virtio RX interrupts armed";
    const flow_check chk2 = rig.run();
    rig.r->stop();
    expect_exact(chk2);
    auto li = rig.r->lcore_list();
    EXPECT_GT(li[0].intr_wakeups + li[1].intr_wakeups, 0u) << "an interrupt woke a worker";
    std::printf("interrupt mode: waits %llu/%llu, woken by interrupt %llu/%llu\n",
                static_cast<unsigned long long>(li[0].intr_sleeps), static_cast<unsigned long long>(li[1].intr_sleeps),
                static_cast<unsigned long long>(li[0].intr_wakeups),
                static_cast<unsigned long long>(li[1].intr_wakeups));
    for (size_t k = 0; k < drop_reason_count; ++k)
        if (uint64_t n = rig.r->drops(static_cast<drop_reason>(k)))
            ADD_FAILURE() << "router drop " << drop_reason_name(static_cast<drop_reason>(k)) << ": " << n;
    auto lc = rig.r->lcore_list();
    EXPECT_GT(lc[0].rx_pkts, 0u);
    EXPECT_GT(lc[1].rx_pkts, 0u);
    // Two TX queues for three lcores: one per worker, the control plane a
    // guest of worker 0's.
    std::string regime;
    auto qs = out_txqs(*rig.r, &regime);
    ASSERT_EQ(qs.size(), 2u);
    EXPECT_EQ(regime, "per-worker");
    EXPECT_FALSE(qs[0].shared);
    EXPECT_TRUE(qs[0].guest);
    EXPECT_GT(qs[0].packets, 0u);
    EXPECT_GT(qs[1].packets, 0u);
}

}  // namespace
}  // namespace mpnet::testing
