// SPDX-License-Identifier: BSD-2-Clause
// The generic RCU hash: insert, lookup, remove, the limit, duplicates,
// entries destroyed after a grace period, and readers that look up while a
// writer churns never see a destroyed or half-built entry.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "mpnet/sync/rcu.hpp"
#include "mpnet/sync/rcu_hash.hpp"

namespace mpnet {
namespace {

constexpr uint64_t live = 0x6c69766568617368ULL;
constexpr uint64_t dead = 0xdeaddeaddeaddeadULL;
std::atomic<int> destroyed{0};

struct entry {
    const uint32_t key;
    std::atomic<uint64_t> magic{live};
    uint64_t check;
    explicit entry(uint32_t k) : key(k), check(uint64_t(k) * 2654435761u + 7) {}
    ~entry() {
        magic.store(dead, std::memory_order_relaxed);
        check = 0;
        destroyed.fetch_add(1, std::memory_order_relaxed);
    }
};
struct key_of {
    static uint32_t get(const entry& e) noexcept { return e.key; }
};
struct key_hash {
    uint64_t operator()(uint32_t k) const noexcept { return rcu_hash_bytes(&k, sizeof k); }
};
using table = rcu_hash<entry, key_of, key_hash>;

TEST(rcu_hash, InsertLookupRemoveAndLimits) {
    rcu_thread reg;
    destroyed = 0;
    {
        table t(101);
        for (uint32_t k = 0; k < 100; ++k) ASSERT_TRUE(t.insert(k).has_value());
        EXPECT_EQ(t.size(), 100u);
        for (uint32_t k = 0; k < 100; ++k) {
            entry* e = t.lookup(k);
            ASSERT_NE(e, nullptr);
            EXPECT_EQ(e->key, k);
        }
        EXPECT_EQ(t.lookup(100), nullptr);
        t.remove(t.lookup(7));
        EXPECT_EQ(t.lookup(7), nullptr);
        EXPECT_EQ(t.size(), 99u);
        ASSERT_TRUE(t.insert(7u).has_value());
        EXPECT_EQ(t.insert(7u).error(), errc::exist);  // a refused duplicate is destroyed at once
        EXPECT_EQ(destroyed.load(), 1);
        ASSERT_TRUE(t.insert(100u).has_value());
        EXPECT_EQ(t.insert(1000u).error(), errc::nospc);  // the named limit
        EXPECT_EQ(t.size(), 101u);
        // for_each may remove what it is given.
        size_t seen = 0;
        t.for_each([&](entry& e) {
            ++seen;
            if (e.key % 2) t.remove(&e);
        });
        EXPECT_EQ(seen, 101u);
        EXPECT_EQ(t.size(), 51u);
        rcu_barrier();  // the removed ones go after their grace period
        EXPECT_EQ(destroyed.load(), 1 + 1 + 50);
    }
    EXPECT_EQ(destroyed.load(), 1 + 1 + 50 + 51);  // the rest with the table
}

TEST(rcu_hash, ReadersNeverSeeDestroyedEntriesDuringChurn) {
    rcu_thread reg;
    table t(4096);
    constexpr uint32_t keys = 512;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0}, hits{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&, r] {
            rcu_thread rr;
            std::mt19937 rng(r + 1);
            while (!stop.load(std::memory_order_relaxed)) {
                for (int i = 0; i < 256; ++i) {
                    const uint32_t k = rng() % keys;
                    if (entry* e = t.lookup(k)) {
                        if (e->magic.load(std::memory_order_relaxed) != live || e->key != k ||
                            e->check != uint64_t(k) * 2654435761u + 7)
                            bad.fetch_add(1);
                        hits.fetch_add(1, std::memory_order_relaxed);
                    }
                }
                rcu_quiescent();
            }
        });
    }
    std::mt19937 rng(99);
    for (int i = 0; i < 200000; ++i) {
        const uint32_t k = rng() % keys;
        if (entry* e = t.lookup(k))
            t.remove(e);
        else
            (void)t.insert(k);
        if ((i & 1023) == 0) rcu_quiescent();
    }
    stop = true;
    {
        rcu_offline off;
        for (auto& th : readers) th.join();
    }
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_GT(hits.load(), 0u);
    rcu_barrier();
}

}  // namespace
}  // namespace mpnet
