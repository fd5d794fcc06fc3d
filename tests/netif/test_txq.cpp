// SPDX-License-Identifier: BSD-2-Clause
// The TX queue layer on a recording port: the lcore-to-queue map of each
// regime, flows kept on one queue when spread, refusals freed and counted,
// the soft-queue try-lock under three threads: every packet sent exactly
// once, in order per sender, and never two threads inside tx_burst of one
// queue; and the control plane as a guest of a worker's queue, sent by that
// worker only, in order, with the worker's own traffic running.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "mpnet/core/wire.hpp"
#include "mpnet/netif/txq.hpp"

namespace mpnet {
namespace {

class rec_port final : public port {
public:
    rec_port(uint16_t q, uint32_t room = 1u << 30) : nq_(q), room_(room), inside_(q), seen_(q) {}
    uint16_t rx_burst(uint16_t, mbuf**, uint16_t) noexcept override { return 0; }
    uint16_t tx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept override {
        if (inside_[q].fetch_add(1) != 0) overlap.fetch_add(1);
        if (only != std::thread::id{} && std::this_thread::get_id() != only) foreign.fetch_add(1);
        if (on_tx) std::exchange(on_tx, nullptr)();  // once: another lcore sends meanwhile
        uint16_t k = 0;
        for (; k < n && room_ > 0; ++k, --room_) {
            uint32_t who, seq;
            std::memcpy(&who, pkt_data(pkts[k]), 4);
            std::memcpy(&seq, pkt_data(pkts[k]) + 4, 4);
            seen_[q].push_back({who, seq});
            pkt_free(pkts[k]);
        }
        inside_[q].fetch_sub(1);
        return k;
    }
    uint16_t rx_queues() const noexcept override { return 1; }
    uint16_t tx_queues() const noexcept override { return nq_; }
    bool link_up() const noexcept override { return true; }
    ether_addr mac() const noexcept override { return {}; }
    std::string describe() const override { return "rec"; }

    std::atomic<uint64_t> overlap{0};
    std::thread::id only{};  // when set, the only thread that may call tx_burst
    std::atomic<uint64_t> foreign{0};
    std::function<void()> on_tx;
    const std::vector<std::pair<uint32_t, uint32_t>>& seen(uint16_t q) const { return seen_[q]; }

private:
    uint16_t nq_;
    uint32_t room_;
    std::vector<std::atomic<int>> inside_;
    std::vector<std::vector<std::pair<uint32_t, uint32_t>>> seen_;
};

struct txq_test : ::testing::Test {
    static rte_mempool* pool() {
        static rte_mempool* mp = *pktpool_create("txq.test", 16383);
        return mp;
    }
    // A frame whose first 8 bytes carry (sender, seq); an IPv4 header with a
    // per-flow source so that the flow hash differs by flow.
    mbuf* frame(uint32_t who, uint32_t seq, uint32_t flow = 0) {
        mbuf* m = pkt_alloc(pool(), 64);
        EXPECT_NE(m, nullptr);
        uint8_t* p = pkt_data(m);
        std::memset(p, 0, 64);
        std::memcpy(p, &who, 4);
        std::memcpy(p + 4, &seq, 4);
        p[12] = 0x08, p[13] = 0x00, p[14] = 0x45, p[14 + 9] = 17;
        p[14 + 12] = 198, p[14 + 13] = 18, p[14 + 14] = uint8_t(flow >> 8), p[14 + 15] = uint8_t(flow);
        return m;
    }
};

TEST_F(txq_test, regimes_map_lcores_to_queues) {
    struct cse {
        uint16_t q;
        tx_regime r;
        std::vector<std::vector<unsigned>> users;
        std::vector<bool> shared;
        int guest_owner;  // -1: no guest, or a shared guest queue
    };
    // Lcores 0 and 1 are workers, 2 the control plane: with fewer queues than
    // lcores it is a guest of queue 2 % Q and uses no queue of its own.
    const cse cases[] = {
        {1, tx_regime::shared, {{0, 1}}, {true}, -1},
        {2, tx_regime::per_worker, {{0}, {1}}, {false, false}, 0},
        {3, tx_regime::per_lcore, {{0}, {1}, {2}}, {false, false, false}, -1},
        {4, tx_regime::spread, {{0}, {1}, {2}, {0}}, {false, false, false, false}, -1},
        {6, tx_regime::spread, {{0}, {1}, {2}, {0}, {1}, {2}}, {false, false, false, false, false, false}, -1},
    };
    for (const auto& c : cases) {
        rec_port p(c.q);
        auto t = *tx_layer::create(&p, 3, 256);
        EXPECT_EQ(t->regime(), c.r) << c.q;
        EXPECT_EQ(t->has_guest(), c.q < 3) << c.q;
        EXPECT_EQ(t->guest_owner(), c.guest_owner) << c.q;
        auto info = t->info();
        ASSERT_EQ(info.size(), c.q);
        for (uint16_t q = 0; q < c.q; ++q) {
            EXPECT_EQ(info[q].lcores, c.users[q]) << c.q << " queues, queue " << q;
            EXPECT_EQ(info[q].shared, c.shared[q]) << c.q << " queues, queue " << q;
            EXPECT_EQ(info[q].guest, c.q < 3 && q == 2 % c.q) << c.q << " queues, queue " << q;
        }
        // Lcore 1 always lands on queue 1 (or 1 and 4 when spread).
        tx_result r;
        mbuf* m = frame(1, 0);
        t->transmit(1, &m, 1, r);
        EXPECT_EQ(r.sent, 1u);
        EXPECT_EQ(p.seen(c.q == 1 ? 0 : 1).size() + (c.q == 6 ? p.seen(4).size() : 0), 1u) << c.q;
        // The control plane: on a shared guest queue it drains like any
        // sharer; on an unshared one its frame waits for the queue's worker.
        tx_result rc;
        m = frame(2, 0);
        t->transmit(2, &m, 1, rc);
        if (c.guest_owner >= 0) {
            EXPECT_EQ(rc.sent, 0u) << c.q;
            EXPECT_EQ(rc.guest_waiting, 1u) << c.q;
            EXPECT_EQ(t->pending(2), 1u) << c.q;
            tx_result rk;
            t->kick(0, rk);  // another lcore's kick never sends on a worker's own queue
            EXPECT_EQ(rk.sent, 0u) << c.q;
            t->kick_owned(1, rk);  // nor does a worker's for a queue not its own
            EXPECT_EQ(rk.sent, 0u) << c.q;
            t->kick_owned(0, rk);
            EXPECT_EQ(rk.sent, 1u) << c.q;
            EXPECT_EQ(t->pending(2), 0u) << c.q;
        } else {
            EXPECT_EQ(rc.sent, 1u) << c.q;
            EXPECT_EQ(rc.guest_waiting, 0u) << c.q;
        }
    }
}

TEST_F(txq_test, spread_keeps_a_flow_on_one_queue_and_uses_both) {
    rec_port p(6);
    auto t = *tx_layer::create(&p, 3, 256);
    tx_result r;
    for (uint32_t seq = 0; seq < 50; ++seq) {
        mbuf* b[16];
        for (uint32_t f = 0; f < 16; ++f) b[f] = frame(f, seq, f);
        t->transmit(0, b, 16, r);
    }
    EXPECT_EQ(r.sent, 800u);
    // Lcore 0 owns queues 0 and 3 only.
    EXPECT_EQ(p.seen(0).size() + p.seen(3).size(), 800u);
    EXPECT_GT(p.seen(0).size(), 0u);
    EXPECT_GT(p.seen(3).size(), 0u);
    for (uint16_t q : {0, 3}) {
        std::vector<int64_t> last(16, -1);
        for (auto [f, seq] : p.seen(q)) {
            EXPECT_EQ(int64_t(seq), last[f] + 1) << "flow " << f << " queue " << q;
            last[f] = seq;
        }
        // A flow seen on this queue was seen here all 50 times.
        for (unsigned f = 0; f < 16; ++f) EXPECT_TRUE(last[f] == -1 || last[f] == 49);
    }
}

TEST_F(txq_test, refusals_are_freed_and_counted) {
    const unsigned before = pktpool_avail(pool());
    {
        rec_port p(1, 10);  // takes 10 packets, then refuses
        auto t = *tx_layer::create(&p, 1, 256);
        mbuf* b[32];
        for (uint32_t i = 0; i < 32; ++i) b[i] = frame(0, i);
        tx_result r;
        t->transmit(0, b, 32, r);
        EXPECT_EQ(r.sent, 10u);
        EXPECT_EQ(r.refused, 22u);
        EXPECT_EQ(t->info()[0].refused, 22u);
    }
    {
        rec_port p(1, 0);  // refuses everything; 3 lcores share through an 8-slot soft queue
        auto t = *tx_layer::create(&p, 3, 8);
        mbuf* b[32];
        for (uint32_t i = 0; i < 32; ++i) b[i] = frame(0, i);
        tx_result r;
        t->transmit(2, b, 32, r);
        EXPECT_EQ(r.sent, 0u);
        EXPECT_EQ(r.softq_full + r.refused, 32u);
        EXPECT_EQ(r.softq_full, 24u);
        EXPECT_EQ(t->pending(2), 0u);
    }
    EXPECT_EQ(pktpool_avail(pool()), before) << "no mbuf leaked";
}

TEST_F(txq_test, batch_of_a_sender_that_loses_the_try_lock_is_sent_by_the_holder) {
    // Lcore 1 transmits while lcore 0 is inside the shared queue's tx_burst
    // (deterministically: from the port's hook). Lcore 1 finds the try-lock
    // taken and returns; lcore 0 must send lcore 1's batch before it returns.
    // (Workers 0 and 1 share the one queue; lcore 2 is the control plane.)
    rec_port p(1);
    auto t = *tx_layer::create(&p, 3, 64);
    ASSERT_TRUE(t->info()[0].shared);
    p.on_tx = [&] {
        mbuf* b[8];
        for (uint32_t i = 0; i < 8; ++i) b[i] = frame(1, i);
        tx_result r1;
        t->transmit(1, b, 8, r1);
        EXPECT_EQ(r1.sent, 0u) << "lcore 1 must not enter tx_burst while lcore 0 holds the queue";
        EXPECT_EQ(t->pending(1), 8u);
    };
    mbuf* b[4];
    for (uint32_t i = 0; i < 4; ++i) b[i] = frame(0, i);
    tx_result r0;
    t->transmit(0, b, 4, r0);
    EXPECT_EQ(r0.sent, 12u) << "the holder sent its own batch and the one queued meanwhile";
    EXPECT_EQ(t->pending(0) + t->pending(1), 0u);
    EXPECT_EQ(t->info()[0].contended, 1u);
    EXPECT_EQ(p.overlap.load(), 0u);
    ASSERT_EQ(p.seen(0).size(), 12u);
    for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(p.seen(0)[i], std::make_pair(0u, i));
    for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(p.seen(0)[4 + i], std::make_pair(1u, i));
}

TEST_F(txq_test, shared_queue_under_three_threads) {
    // Workers 0 and 1 share the queue; lcore 2, the control plane, is its
    // guest and goes through the same try-lock.
    rec_port p(1);
    auto t = *tx_layer::create(&p, 3, 1024);
    constexpr uint32_t per = 30000;
    std::atomic<uint64_t> softq_full{0};
    std::vector<std::thread> th;
    for (unsigned l = 0; l < 3; ++l)
        th.emplace_back([&, l] {
            lcore_register_thread();
            uint32_t seq = 0;
            while (seq < per) {
                mbuf* b[8];
                uint16_t n = 0;
                while (n < 8 && seq < per) b[n++] = frame(l, seq++);
                tx_result r;
                t->transmit(l, b, n, r);
                softq_full += r.softq_full;
                if (l == 2) std::this_thread::yield();
            }
            // End of a poll iteration: leave nothing behind.
            for (int i = 0; i < 100 && t->pending(l); ++i) {
                tx_result r;
                t->kick(l, r);
            }
            lcore_unregister_thread();
        });
    for (auto& x : th) x.join();
    tx_result r;
    t->kick(0, r);
    EXPECT_EQ(p.overlap.load(), 0u) << "two threads inside one queue's tx_burst";
    // A preempted holder can let the soft queue fill: those packets are
    // counted drops. Everything else arrives once, in each sender's order.
    const auto& seen = p.seen(0);
    EXPECT_EQ(seen.size() + softq_full.load(), 3u * per);
    std::vector<int64_t> last(3, -1);
    uint64_t breaks = 0;
    for (auto [who, seq] : seen) {
        if (who >= 3 || int64_t(seq) <= last[who]) ++breaks;
        if (who < 3) last[who] = seq;
    }
    EXPECT_EQ(breaks, 0u);
    std::printf("shared queue: %zu sent, %llu soft-queue drops, %llu contended try-locks\n", seen.size(),
                static_cast<unsigned long long>(softq_full.load()),
                static_cast<unsigned long long>(t->info()[0].contended));
    EXPECT_GT(t->info()[0].drains, 0u);
}

TEST_F(txq_test, guest_frames_go_out_through_the_owning_worker_in_order) {
    // One queue, one worker (lcore 0) and the control plane (lcore 1): the
    // worker owns the queue (no soft queue, no try-lock) and sends the
    // control plane's frames from the guest ring between its own bursts.
    // Only the worker's thread ever calls tx_burst; nothing is lost; each
    // sender's frames arrive in order.
    rec_port p(1);
    auto t = *tx_layer::create(&p, 2, 1024);
    EXPECT_EQ(t->regime(), tx_regime::per_worker);
    EXPECT_FALSE(t->info()[0].shared);
    ASSERT_EQ(t->guest_owner(), 0);
    constexpr uint32_t per_worker = 40000, per_control = 4000;
    std::atomic<bool> control_done{false};
    std::atomic<uint64_t> guest_full{0};
    std::thread worker([&] {
        lcore_register_thread();
        p.only = std::this_thread::get_id();
        uint32_t seq = 0;
        // Bounded: the worker stops 10 s after it starts whatever happens.
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < end) {
            mbuf* b[8];
            uint16_t n = 0;
            while (n < 8 && seq < per_worker) b[n++] = frame(0, seq++);
            tx_result r;
            if (n) t->transmit(0, b, n, r);
            EXPECT_EQ(r.softq_full + r.refused, 0u);
            t->kick_owned(0, r);
            if (seq == per_worker && control_done.load() && t->pending(1) == 0) break;
        }
        lcore_unregister_thread();
    });
    std::thread control([&] {
        lcore_register_thread();
        while (p.only == std::thread::id{}) std::this_thread::yield();
        for (uint32_t seq = 0; seq < per_control;) {
            mbuf* b[3];
            uint16_t n = 0;
            while (n < 3 && seq < per_control) b[n++] = frame(1, seq++);
            tx_result r;
            t->transmit(1, b, n, r);
            EXPECT_EQ(r.sent, 0u) << "the control plane never sends on the worker's queue itself";
            guest_full += r.softq_full;
            if (seq % 64 == 0) std::this_thread::yield();
        }
        control_done = true;
        lcore_unregister_thread();
    });
    control.join();
    worker.join();
    EXPECT_EQ(p.foreign.load(), 0u) << "a thread other than the worker called tx_burst";
    EXPECT_EQ(p.overlap.load(), 0u);
    EXPECT_EQ(guest_full.load(), 0u) << "1024 guest slots hold a 3-frame trickle";
    EXPECT_EQ(t->pending(1), 0u);
    const auto& seen = p.seen(0);
    EXPECT_EQ(seen.size(), per_worker + per_control);
    std::vector<int64_t> last(2, -1);
    uint64_t breaks = 0;
    for (auto [who, seq] : seen) {
        if (who >= 2 || int64_t(seq) != last[who] + 1) ++breaks;
        if (who < 2) last[who] = seq;
    }
    EXPECT_EQ(breaks, 0u) << "a frame lost, repeated or out of order";
}

}  // namespace
}  // namespace mpnet
