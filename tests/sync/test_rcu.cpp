// SPDX-License-Identifier: BSD-2-Clause
// RCU torture: reader threads check every object they reach while a writer
// publishes and retires continuously. A premature free shows as a poisoned
// object (and as a use-after-free under ASan); a half-built object shows as
// inconsistent fields.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "mpnet/sync/rcu.hpp"

namespace mpnet {
namespace {

constexpr uint64_t live = 0x6d706e65746c6976ULL;
constexpr uint64_t dead = 0xdeaddeaddeaddeadULL;

struct obj {
    std::atomic<uint64_t> magic{live};
    uint64_t gen;
    uint64_t v[8];
    explicit obj(uint64_t g) : gen(g) {
        for (auto& x : v) x = g * 3 + 1;
    }
    ~obj() {
        // Poison before the memory goes back: a reader that still sees this
        // object after its grace period reports it.
        magic.store(dead, std::memory_order_relaxed);
        gen = ~0ULL;
        for (auto& x : v) x = 0;
    }
};

TEST(rcu, ReadersNeverSeeFreedOrHalfBuiltObjects) {
    rcu_ptr<obj> p(new obj(0));
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0}, reads{0}, live_reads{0};
    std::atomic<int> started{0};
    constexpr uint64_t publishes_min = 20000, publishes_max = 5000000, reads_min = 200000;
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            rcu_thread reg;
            started.fetch_add(1);
            uint64_t last = 0, n = 0;
            while (!stop.load(std::memory_order_acquire)) {
                for (int k = 0; k < 64; ++k) {
                    const obj* o = p.read();
                    if (o->magic.load(std::memory_order_relaxed) != live) ++bad;
                    const uint64_t g = o->gen;
                    for (auto x : o->v)
                        if (x != g * 3 + 1) ++bad;
                    if (g < last) ++bad;  // publication order is seen in order
                    last = g;
                    ++n;
                }
                live_reads.fetch_add(64, std::memory_order_relaxed);
                rcu_quiescent();
            }
            reads += n;
        });
    }
    while (started.load() < 3) std::this_thread::yield();
    // Publish until the readers have done real work against a moving target
    // (bounded in count either way).
    uint64_t g = 1;
    for (; g <= publishes_max && (g <= publishes_min || live_reads.load() < reads_min); ++g) {
        p.replace(new obj(g));
        if (g % 1000 == 0) rcu_synchronize();  // mix both reclamation styles
    }
    stop.store(true, std::memory_order_release);
    for (auto& t : readers) t.join();
    rcu_synchronize();
    delete p.publish(nullptr);
    rcu_barrier();
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_GE(reads.load(), reads_min);
    EXPECT_GT(g, publishes_min);
}

TEST(rcu, RetireWaitsForAnOnlineReader) {
    // A reader holds an object across a long read section; the writer's
    // retire must not free it until the reader reports a quiescent state.
    rcu_ptr<obj> p(new obj(1));
    std::atomic<int> phase{0};
    std::atomic<bool> ok{true};
    std::thread reader([&] {
        rcu_thread reg;
        const obj* o = p.read();
        phase.store(1);
        while (phase.load() < 2) {
        }
        // The writer has retired it meanwhile and waited a while.
        if (o->magic.load() != live || o->gen != 1) ok = false;
        rcu_quiescent();
        phase.store(3);
    });
    while (phase.load() < 1) {
    }
    p.replace(new obj(2));
    // Give the call_rcu thread every chance to free early.
    for (int i = 0; i < 50; ++i) {
        rcu_offline off;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    phase.store(2);
    reader.join();
    EXPECT_TRUE(ok.load());
    rcu_synchronize();
    delete p.publish(nullptr);
    rcu_barrier();
}

TEST(rcu, RegistrationNests) {
    EXPECT_TRUE(rcu_is_registered());  // the test main registers
    {
        rcu_thread again;
        EXPECT_TRUE(rcu_is_registered());
    }
    EXPECT_TRUE(rcu_is_registered());
    std::thread([] {
        EXPECT_FALSE(rcu_is_registered());
        rcu_thread r;
        EXPECT_TRUE(rcu_is_registered());
    }).join();
}

}  // namespace
}  // namespace mpnet
