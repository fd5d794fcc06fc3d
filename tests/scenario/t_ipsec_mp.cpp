// SPDX-License-Identifier: BSD-2-Clause
// IPsec on several workers. One SA on every worker: a gateway with two
// workers encrypts one tunnel's traffic on both (one sequence counter, no
// number twice), and its peer with two workers decrypts it on both (one
// replay window: every packet taken once, every replay refused whichever
// worker sees it). Then churn: SAs and SPs added, updated and deleted from
// the control thread while both workers of a gateway in thread mode
// encrypt; run under ASan this is the use-after-free check for the SAs'
// data-path twins and their crypto sessions, and at the end every packet
// takes the last SA (a deleted one is not used after a grace period).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "../support/world.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/modules/ipsec.hpp"

namespace mpnet::testing {
namespace {

const char* gcm_key = "0x0102030405060708090a0b0c0d0e0f1011121314";

// A UDP packet from 198.18.1.1 to 198.18.2.1 carrying `id`, framed for `to`.
mbuf* lan_packet(rte_mempool* mp, const ether_addr& to, const ether_addr& from, uint32_t id) {
    mbuf* m = pkt_alloc(mp, 8 + 4);
    if (!m) return nullptr;
    uint8_t* p = pkt_data(m);
    std::memset(p, 0, 12);
    p[0] = 0x30, p[1] = 0x39, p[2] = 0x00, p[3] = 0x09, p[5] = 12;  // ports 12345 -> 9, length 12
    std::memcpy(p + 8, &id, 4);
    ip4_encap(m, ip("198.18.1.1"), ip("198.18.2.1"), ipproto_udp, 64, static_cast<uint16_t>(id));
    ether_encap(m, to, from, ethertype_ip4);
    return m;
}

// gen -> [in0] gw1 [wan] == [wan] gw2 [out0] -> sink; both gateways with
// two workers, every link with a queue per worker.
struct mp_vpn {
    world w;
    rte_mempool* gen_pool = *pktpool_create("ipmp.gen", 4095);
    rte_mempool* sink_pool = *pktpool_create("ipmp.sink", 4095);
    stack& g1;
    stack& g2;
    std::unique_ptr<drivers::ethdev_port> gen, sink;
    static stack_config cfg() {
        stack_config c = no_dad();
        c.workers = 2;
        c.forwarding = true;
        return c;
    }
    mp_vpn() : g1(w.add_stack("gw1", cfg())), g2(w.add_stack("gw2", cfg())) {
        auto in = *drivers::ring_link("ipmp.in", gen_pool, g1.pool(), 3);
        auto wan = *drivers::ring_link("ipmp.wan", g1.pool(), g2.pool(), 3);
        auto out = *drivers::ring_link("ipmp.out", g2.pool(), sink_pool, 3);
        gen = std::move(in.first);
        sink = std::move(out.second);
        EXPECT_TRUE(g1.if_attach("in0", std::move(in.second)));
        EXPECT_TRUE(g1.if_attach("wan", std::move(wan.first)));
        EXPECT_TRUE(g2.if_attach("wan", std::move(wan.second)));
        EXPECT_TRUE(g2.if_attach("out0", std::move(out.first)));
        must(g1, "ifconfig in0 inet 198.18.1.254/24 up");
        must(g1, "ifconfig wan inet 198.18.0.1/24 up");
        must(g2, "ifconfig wan inet 198.18.0.2/24 up");
        must(g2, "ifconfig out0 inet 198.18.2.254/24 up");
        must(g1, "route add 198.18.2.0/24 198.18.0.2");
        must(g2, "route add 198.18.1.0/24 198.18.0.1");
        must(g1, "arp -s 198.18.0.2 " + g2.if_get("wan")->lladdr.str());
        must(g2, "arp -s 198.18.0.1 " + g1.if_get("wan")->lladdr.str());
        must(g2, "arp -s 198.18.2.1 " + sink->mac().str());
        must(g1, "arp -s 198.18.1.1 " + gen->mac().str());
        for (stack* g : {&g1, &g2}) {
            must(*g, fmt::format("setkey add 198.18.0.1 198.18.0.2 esp 10000 -m tunnel -r 32 -E aes-gcm-16 {}", gcm_key));
            must(*g, fmt::format("setkey add 198.18.0.2 198.18.0.1 esp 10001 -m tunnel -r 32 -E aes-gcm-16 {}", gcm_key));
        }
        must(g1, "setkey spdadd 198.18.1.0/24 198.18.2.0/24 any -P out ipsec esp/tunnel/198.18.0.1-198.18.0.2/require");
        must(g2, "setkey spdadd 198.18.1.0/24 198.18.2.0/24 any -P in ipsec esp/tunnel/198.18.0.1-198.18.0.2/require");
    }
    ~mp_vpn() {
        gen.reset();
        sink.reset();
    }
    // Ids of what reached the sink.
    std::vector<uint32_t> drain_sink() {
        std::vector<uint32_t> ids;
        mbuf* m[32];
        for (uint16_t q = 0; q < 3; ++q)
            for (uint16_t n; (n = sink->rx_burst(q, m, 32)) > 0;)
                for (uint16_t i = 0; i < n; ++i) {
                    if (pkt_len(m[i]) >= 14 + 20 + 12 && pkt_data(m[i])[12] == 0x08 && pkt_data(m[i])[13] == 0) {
                        uint32_t id;
                        std::memcpy(&id, pkt_data(m[i]) + 14 + 20 + 8, 4);
                        ids.push_back(id);
                    }
                    pkt_free(m[i]);
                }
        return ids;
    }
};

uint64_t worker_rx(const stack& s, unsigned w) {
    for (const auto& l : s.lcore_list())
        if (!l.control && l.idx == w) return l.rx_pkts;
    return 0;
}

TEST(t_ipsec_mp, one_sa_is_encrypted_and_decrypted_on_both_workers) {
    mp_vpn v;
    const ether_addr to = v.g1.if_get("in0")->lladdr;
    constexpr uint32_t n = 200;
    for (uint32_t i = 0; i < n; ++i) {
        mbuf* m = lan_packet(v.gen_pool, to, v.gen->mac(), i);
        ASSERT_NE(m, nullptr);
        ASSERT_EQ(v.gen->tx_burst(static_cast<uint16_t>(i & 1), &m, 1), 1);  // both RX queues: both workers
        if ((i & 15) == 15) v.w.run_for_ms(1);
    }
    v.w.run_for_ms(5);
    const auto ids = v.drain_sink();
    EXPECT_EQ(ids.size(), n);
    EXPECT_EQ(std::set<uint32_t>(ids.begin(), ids.end()).size(), n);  // each once
    for (stack* g : {&v.g1, &v.g2}) {
        EXPECT_GT(worker_rx(*g, 0), 0u);
        EXPECT_GT(worker_rx(*g, 1), 0u);
    }
    EXPECT_EQ(drop_count(v.g2, "ipsec_replay"), 0u);  // one counter: no sequence number twice
    auto sa = ipsec::sa_get(v.g1, *ipsec::addr::parse("198.18.0.1"), *ipsec::addr::parse("198.18.0.2"), 10000);
    ASSERT_TRUE(sa.has_value());
    EXPECT_EQ(sa->packets, n);
    auto sa2 = ipsec::sa_get(v.g2, *ipsec::addr::parse("198.18.0.1"), *ipsec::addr::parse("198.18.0.2"), 10000);
    ASSERT_TRUE(sa2.has_value());
    EXPECT_EQ(sa2->packets, n);
}

// Thread mode: a gateway's two workers encrypt while the test thread
// churns its SAs and SP; the sink reads the ESP on the WAN (the SPI of
// each packet).
TEST(t_ipsec_mp, sa_and_sp_churn_under_traffic_on_two_workers) {
    auto gw = std::make_unique<stack>(threaded_router("ipchurn"));
    stack& g = *gw;
    rte_mempool* gen_pool = *pktpool_create("ipch.gen", 8191);
    rte_mempool* sink_pool = *pktpool_create("ipch.sink", 2047);
    auto in = *drivers::ring_link("ipch.in", gen_pool, g.pool(), 3);
    auto wan = *drivers::ring_link("ipch.wan", g.pool(), sink_pool, 3);
    auto gen = std::move(in.first);
    auto sink = std::move(wan.second);
    ASSERT_TRUE(g.if_attach("in0", std::move(in.second)));
    ASSERT_TRUE(g.if_attach("wan", std::move(wan.first)));
    must(g, "ifconfig in0 inet 198.18.1.254/24 up");
    must(g, "ifconfig wan inet 198.18.0.1/24 up");
    must(g, "route add 198.18.2.0/24 198.18.0.2");
    must(g, "arp -s 198.18.0.2 " + sink->mac().str());
    must(g, "arp -s 198.18.1.1 " + gen->mac().str());
    auto add = [&](uint32_t spi) {
        return ipsec::sa_add(g, [&] {
            ipsec::sa_spec s;
            s.src = *ipsec::addr::parse("198.18.0.1");
            s.dst = *ipsec::addr::parse("198.18.0.2");
            s.spi = spi;
            s.m = ipsec::mode::tunnel;
            s.enc = spi % 2 ? "aes-gcm-16" : "rijndael-cbc";
            s.enc_key.assign(spi % 2 ? 20 : 16, static_cast<uint8_t>(spi));
            if (spi % 2 == 0) {
                s.auth = "hmac-sha256";
                s.auth_key.assign(32, static_cast<uint8_t>(spi + 1));
            }
            return s;
        }());
    };
    const auto a1 = *ipsec::addr::parse("198.18.0.1"), a2 = *ipsec::addr::parse("198.18.0.2");
    ASSERT_TRUE(add(1000));
    must(g, "setkey spdadd 198.18.1.0/24 198.18.2.0/24 any -P out ipsec esp/tunnel/198.18.0.1-198.18.0.2/require");
    const ether_addr to = g.if_get("in0")->lladdr;
    ASSERT_TRUE(g.start());

    std::atomic<bool> stop{false};
    std::atomic<uint64_t> sent{0}, esp_seen{0}, clear_seen{0};
    std::mutex spis_mu;
    std::map<uint32_t, uint64_t> by_spi;
    std::thread gt([&] {
        mbuf* back[32];
        for (uint32_t n = 0; !stop.load(); ++n) {
            mbuf* m = lan_packet(gen_pool, to, gen->mac(), n);
            if (!m) {
                std::this_thread::yield();
                continue;
            }
            if (gen->tx_burst(static_cast<uint16_t>(n & 1), &m, 1) == 1)
                ++sent;
            else
                pkt_free(m);
            for (uint16_t q = 0; q < 3; ++q)
                while (uint16_t k = gen->rx_burst(q, back, 32))
                    for (uint16_t j = 0; j < k; ++j) pkt_free(back[j]);
            if ((n & 63) == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    });
    std::thread st([&] {
        sink_loop({sink.get()}, 3, stop, [&](unsigned, mbuf* m) {
            const uint8_t* p = pkt_data(m);
            if (pkt_len(m) >= 14 + 20 + 8 && p[12] == 0x08 && p[13] == 0) {
                if (p[14 + 9] == 50) {
                    const uint32_t spi = uint32_t(p[34]) << 24 | uint32_t(p[35]) << 16 | uint32_t(p[36]) << 8 | p[37];
                    std::lock_guard lk(spis_mu);
                    ++by_spi[spi];
                    ++esp_seen;
                } else {
                    ++clear_seen;
                }
            }
            pkt_free(m);
        });
    });
    // Churn: a new SA (the newest is taken), the old one deleted; now and
    // then an update in place, the policy updated, or everything flushed
    // and built again.
    std::mt19937 rng(7);
    uint32_t spi = 1000;
    std::string failure;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    unsigned changes = 0;
    while (changes < 600 && std::chrono::steady_clock::now() < deadline && failure.empty()) {
        const unsigned op = rng() % 10;
        if (op < 6) {
            if (!add(spi + 1)) failure = "add";
            if (!ipsec::sa_delete(g, a1, a2, spi)) failure = "delete";
            ++spi;
        } else if (op < 8) {
            must(g, fmt::format("setkey update 198.18.0.1 198.18.0.2 esp {} -m tunnel -E aes-gcm-16 {}", spi, gcm_key));
        } else if (op < 9) {
            must(g, "setkey spdupdate 198.18.1.0/24 198.18.2.0/24 any -P out ipsec esp/tunnel/198.18.0.1-198.18.0.2/require");
        } else {
            ipsec::sa_flush(g);
            if (!add(++spi)) failure = "add after flush";
        }
        ++changes;
        if ((changes & 7) == 0) {
            rcu_offline off;
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    }
    // The last SA alone from here: after a grace period nothing else is sent.
    {
        rcu_offline off;
        rcu_synchronize();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    {
        std::lock_guard lk(spis_mu);
        by_spi.clear();
    }
    {
        rcu_offline off;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        stop = true;
        gt.join();
        st.join();
    }
    g.stop();
    std::printf("churn: %u changes, %lu packets sent, %lu ESP out, %lu dropped without an SA\n", changes,
                (unsigned long)sent.load(), (unsigned long)esp_seen.load(),
                (unsigned long)drop_count(g, "ipsec_no_sa"));
    EXPECT_EQ(failure, "");
    EXPECT_GE(changes, 100u);
    EXPECT_GT(esp_seen.load(), 0u);
    EXPECT_EQ(clear_seen.load(), 0u);  // the policy requires ESP throughout
    ASSERT_EQ(by_spi.size(), 1u);
    EXPECT_EQ(by_spi.begin()->first, spi);
    EXPECT_GT(by_spi.begin()->second, 0u);
    gen.reset();
    sink.reset();
    gw.reset();
    rte_mempool_free(gen_pool);
    rte_mempool_free(sink_pool);
}

}  // namespace
}  // namespace mpnet::testing
