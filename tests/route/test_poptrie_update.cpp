// SPDX-License-Identifier: BSD-2-Clause
// The Poptrie's incremental updates: random batches of adds, changes and
// deletes checked against a reference after every commit (IPv4 and IPv6),
// stage() (a batch of changes, prefetched ahead) against one change at a time,
// the full table loaded, withdrawn and reloaded, limits as clear errors with
// the batch rolled back, more than 2^20 distinct nexthops, and readers on
// other threads during continuous commits: every answer must have been the
// table's answer for that key at some instant during the lookup.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mpnet/route/poptrie4.hpp"
#include "mpnet/route/poptrie6.hpp"
#include "mpnet/sync/rcu.hpp"
#include "../support/scale.hpp"

namespace mpnet {
namespace {

using u128 = unsigned __int128;

// Reference LPM over keys of Bits bits: a map per prefix length.
template <typename Key, unsigned Bits>
class reference {
public:
    static Key mask(Key k, unsigned len) { return len == 0 ? Key(0) : Key(k & (~Key(0) << (Bits - len))); }
    void set(Key k, unsigned len, uint32_t nh) { m_[len][mask(k, len)] = nh; }
    bool del(Key k, unsigned len) { return m_[len].erase(mask(k, len)) == 1; }
    bool has(Key k, unsigned len) const { return m_[len].count(mask(k, len)) == 1; }
    uint32_t lookup(Key k) const {
        for (int len = Bits; len >= 0; --len) {
            const auto& m = m_[size_t(len)];
            if (m.empty()) continue;
            auto it = m.find(mask(k, unsigned(len)));
            if (it != m.end()) return it->second;
        }
        return UINT32_MAX;
    }
    size_t size() const {
        size_t n = 0;
        for (auto& m : m_) n += m.size();
        return n;
    }

private:
    std::map<Key, uint32_t> m_[Bits + 1];
};

template <typename T, typename Key, unsigned Bits, typename Rng>
void random_batches(T& t, Rng& rng, Key base, unsigned base_len, int batches) {
    reference<Key, Bits> ref;
    std::vector<std::pair<Key, unsigned>> known;
    auto random_key = [&] {
        Key k = 0;
        for (unsigned i = 0; i < Bits; i += 32) k = Key(Key(k << 16) << 16) | Key(uint32_t(rng()));
        // Half the keys in a small region so that routes nest and share sub-tries.
        if (rng() % 2) k = Key(base | (k & (~Key(0) >> base_len)));
        return k;
    };
    for (int b = 0; b < batches; ++b) {
        const unsigned ops = 1 + rng() % 64;
        for (unsigned o = 0; o < ops; ++o) {
            const unsigned what = rng() % 4;
            if (what == 0 && !known.empty()) {  // delete (maybe an already deleted one)
                auto [k, len] = known[rng() % known.size()];
                const bool had = ref.has(k, len);
                const status s = t.del(k, len);
                ASSERT_EQ(bool(s), had);
                if (!had) {
                    EXPECT_EQ(s.error(), errc::noent);
                }
                ref.del(k, len);
            } else if (what == 1 && !known.empty()) {  // change
                auto [k, len] = known[rng() % known.size()];
                const uint32_t nh = rng() % 1000;
                ASSERT_TRUE(t.add(k, len, nh));
                ref.set(k, len, nh);
            } else {  // add, lengths weighted towards the interesting ones
                unsigned len = rng() % (Bits + 1);
                if (rng() % 2) len = base_len + rng() % (Bits + 1 - base_len);
                const Key k = random_key();
                const uint32_t nh = rng() % 1000;
                ASSERT_TRUE(t.add(k, len, nh));
                ref.set(k, len, nh);
                known.emplace_back(k, len);
            }
        }
        ASSERT_TRUE(t.commit());
        ASSERT_EQ(t.size(), ref.size());
        // Probe the edges of every known prefix and random keys.
        size_t bad = 0;
        auto probe = [&](Key k) {
            if (t.lookup(k) != ref.lookup(k) && ++bad <= 3)
                ADD_FAILURE() << "batch " << b << ": lookup of key " << uint64_t(k >> (Bits - 32)) << "... gave "
                              << t.lookup(k) << ", reference " << ref.lookup(k);
        };
        for (auto [k, len] : known) {
            const Key first = reference<Key, Bits>::mask(k, len);
            const Key last = len == 0 ? ~Key(0) : len == Bits ? first : Key(first | (~Key(0) >> len));
            probe(first);
            probe(last);
            probe(Key(first + (last - first) / 2));
            probe(Key(first - 1));
            probe(Key(last + 1));
        }
        for (int i = 0; i < 200; ++i) probe(random_key());
        ASSERT_EQ(bad, 0u) << "after batch " << b;
    }
}

TEST(poptrie_update, RandomBatchesIPv4) {
    rcu_thread reg;
    std::mt19937 rng(11);
    auto t = *poptrie4::create();
    random_batches<poptrie4, uint32_t, 32>(*t, rng, 0xc6120000u, 15, int(testing::scaled(300)));
    const auto st = t->stats();
    EXPECT_GT(st.rebuilt, 0u);
    EXPECT_EQ(st.rollbacks, 0u);
}

TEST(poptrie_update, RandomBatchesIPv6) {
    rcu_thread reg;
    std::mt19937 rng(12);
    auto t = *poptrie6::create();
    random_batches<poptrie6, u128, 128>(*t, rng, u128(0x20010db8) << 96, 32, int(testing::scaled(200)));
}

std::vector<std::pair<prefix4, uint32_t>> full_table4(std::mt19937& rng, unsigned nh_count) {
    std::vector<std::pair<prefix4, uint32_t>> r;
    gzFile f = gzopen(MPNET_FULLTABLE, "rb");
    if (!f) return r;
    char line[128];
    while (gzgets(f, line, sizeof line)) {
        std::string s(line);
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        if (s.find(':') != std::string::npos) break;
        if (auto p = prefix4::parse(s)) r.emplace_back(*p, rng() % nh_count);
    }
    gzclose(f);
    return r;
}

void expect_table(const poptrie4& t, const std::vector<std::pair<prefix4, uint32_t>>& r, std::mt19937& rng) {
    reference<uint32_t, 32> ref;
    for (auto& [p, nh] : r) ref.set(p.addr.v, p.len, nh);
    size_t bad = 0;
    auto probe = [&](uint32_t k) {
        if (t.lookup(k) != ref.lookup(k) && ++bad <= 3)
            ADD_FAILURE() << ip4_addr(k).str() << ": " << t.lookup(k) << " want " << ref.lookup(k);
    };
    for (auto& [p, nh] : r) {
        probe(p.addr.v);
        probe(p.broadcast().v);
    }
    for (int i = 0; i < 100000; ++i) probe(uint32_t(rng()));
    EXPECT_EQ(bad, 0u);
}

TEST(poptrie_update, FullTableLoadWithdrawReload) {
    rcu_thread reg;
    std::mt19937 rng(5);
    auto r = full_table4(rng, 256);
    if (r.empty()) GTEST_SKIP() << MPNET_FULLTABLE << " not found";
    testing::thin_out(r);
    auto t = *poptrie4::create();
    std::vector<poptrie_entry<uint32_t>> e;
    for (auto& [p, nh] : r) e.push_back({p.addr.v, p.len, nh});
    ASSERT_TRUE(t->load(e.begin(), e.end()));
    expect_table(*t, r, rng);
    const auto loaded = t->stats();
    // A full withdrawal: nothing answers, every block goes back after a grace period.
    ASSERT_TRUE(t->clear());
    EXPECT_EQ(t->size(), 0u);
    for (int i = 0; i < 100000; ++i) ASSERT_EQ(t->lookup(uint32_t(rng())), poptrie4::miss);
    EXPECT_EQ(t->stats().nodes, 0u);
    rcu_barrier();
    ASSERT_TRUE(t->commit());  // an empty commit takes the freed blocks back
    EXPECT_EQ(t->stats().arena_words, 0u);
    // Reload with other nexthops, then reload again over a full table (the
    // BGP peer reset): each answer is the new table's.
    for (auto& x : r) x.second = rng() % 16;
    for (size_t i = 0; i < r.size(); ++i) e[i].nh = r[i].second;
    ASSERT_TRUE(t->load(e.begin(), e.end()));
    expect_table(*t, r, rng);
    for (auto& x : r) x.second = 1000 + rng() % 16;
    for (size_t i = 0; i < r.size(); ++i) e[i].nh = r[i].second;
    ASSERT_TRUE(t->load(e.begin(), e.end()));
    expect_table(*t, r, rng);
    EXPECT_EQ(t->stats().nodes, loaded.nodes);
}

// stage() against add()/del() one at a time: random batches with nested
// prefixes, nexthop changes, withdrawals (some of absent routes: errc::noent)
// and bad lengths (errc::inval). stage() must stop at the same change with
// the same error and leave the changes before it staged; the caller skips
// the failed one and stages the rest. Every fifth batch is staged and then
// aborted instead: the table must not change. After each commit both tries
// answer as the reference does.
TEST(poptrie_update, StageMatchesAddAndDelOneByOne) {
    rcu_thread reg;
    std::mt19937 rng(21);
    auto a = *poptrie4::create();
    auto b = *poptrie4::create();
    reference<uint32_t, 32> ref;
    std::vector<std::pair<uint32_t, unsigned>> known;
    uint64_t errors_seen = 0;
    for (int batch = 0; batch < int(testing::scaled(150)); ++batch) {
        std::vector<poptrie_update<uint32_t>> u(1 + rng() % 300);
        for (auto& x : u) {
            const unsigned what = rng() % 8;
            if (what < 2 && !known.empty()) {  // withdraw, maybe an absent route
                auto [k, len] = known[rng() % known.size()];
                x = {k, uint8_t(len), true, 0};
            } else if (what < 4 && !known.empty()) {  // change
                auto [k, len] = known[rng() % known.size()];
                x = {k, uint8_t(len), false, uint32_t(rng() % 64)};
            } else if (what == 4 && rng() % 16 == 0) {  // bad length
                x = {uint32_t(rng()), uint8_t(33 + rng() % 8), rng() % 2 == 0, 1};
            } else {  // new, half in 198.18.0.0/15 so that routes nest
                uint32_t k = uint32_t(rng());
                if (rng() % 2) k = 0xc6120000u | (k & 0x1ffffu);
                const unsigned len = rng() % 2 ? 15 + rng() % 18 : rng() % 33;
                x = {k, uint8_t(len), false, uint32_t(rng() % 64)};
                known.emplace_back(k, len);
            }
        }
        const bool aborted = batch % 5 == 4;
        std::vector<status> one(u.size());
        if (!aborted)
            for (size_t i = 0; i < u.size(); ++i) {
                one[i] = u[i].withdraw ? a->del(u[i].key, u[i].len) : a->add(u[i].key, u[i].len, u[i].nh);
                if (one[i] && u[i].withdraw) ref.del(u[i].key, u[i].len);
                if (one[i] && !u[i].withdraw) ref.set(u[i].key, u[i].len, u[i].nh);
            }
        for (size_t at = 0; at < u.size();) {
            size_t staged = SIZE_MAX;
            const status s = b->stage(u.data() + at, u.size() - at, &staged);
            if (s) {
                ASSERT_EQ(staged, u.size() - at);
                break;
            }
            ASSERT_LT(staged, u.size() - at);
            ++errors_seen;
            if (aborted) break;
            for (size_t i = at; i < at + staged; ++i) ASSERT_TRUE(one[i]) << "change " << i << " of batch " << batch;
            ASSERT_FALSE(one[at + staged]) << "stage() failed change " << at + staged << ", add/del did not";
            EXPECT_EQ(s.error(), one[at + staged].error());
            at += staged + 1;
        }
        if (aborted) {
            b->abort();
        } else {
            ASSERT_TRUE(a->commit());
            ASSERT_TRUE(b->commit());
        }
        ASSERT_EQ(b->size(), ref.size());
        ASSERT_EQ(a->size(), ref.size());
        size_t bad = 0;
        auto probe = [&](uint32_t k) {
            const uint32_t want = ref.lookup(k);
            if ((a->lookup(k) != want || b->lookup(k) != want) && ++bad <= 3)
                ADD_FAILURE() << "batch " << batch << ": " << ip4_addr(k).str() << " one by one " << a->lookup(k)
                              << ", staged " << b->lookup(k) << ", reference " << want;
        };
        for (auto [k, len] : known) {
            const uint32_t first = reference<uint32_t, 32>::mask(k, len);
            const uint32_t last = len == 0 ? ~0u : len == 32 ? first : first | (~0u >> len);
            probe(first);
            probe(last);
            probe(last + 1);
        }
        for (int i = 0; i < 200; ++i) probe(0xc6120000u | (uint32_t(rng()) & 0x1ffffu));
        ASSERT_EQ(bad, 0u) << "after batch " << batch;
    }
    EXPECT_GT(errors_seen, 10u) << "the batches must exercise stage()'s stop";
}

TEST(poptrie_update, LimitsAreErrorsAndChangeNothing) {
    rcu_thread reg;
    poptrie_config c;
    c.max_routes = 8;
    c.arena_words = 64;  // a 16-word and a 32-word block, not a second 32-word one
    auto t = *poptrie4::create(c);
    EXPECT_EQ(t->add(0, 33, 1).error(), errc::inval);
    EXPECT_EQ(t->add(0, 8, poptrie4::nexthop_max + 1).error(), errc::inval);
    EXPECT_EQ(t->del(0xc6120000u, 16).error(), errc::noent);
    ASSERT_TRUE(t->add(0xc6120000u, 15, 1));
    ASSERT_TRUE(t->add(0xc6120100u, 24, 2));
    ASSERT_TRUE(t->commit());
    EXPECT_EQ(t->lookup(0xc6120105u), 2u);
    // Routes: the ninth is refused when staged, the batch so far survives.
    for (uint32_t i = 0; i < 6; ++i) ASSERT_TRUE(t->add(0xc6130000u + (i << 8), 24, 10 + i));
    EXPECT_EQ(t->add(0xc6140000u, 24, 99).error(), errc::nospc);
    t->abort();
    EXPECT_EQ(t->size(), 2u);
    EXPECT_EQ(t->find(0xc6130000u, 24), poptrie4::miss);
    // Arena: 64 words hold a /24 sub-trie (1 node and 3 leaves: 9 words, a
    // 16-word block) and a /30 one (2 nodes 8 words apart and 3 leaves: 18
    // words, a 32-word block); a third sub-trie finds no room: the commit is
    // refused and the whole batch rolls back, including the entries it had
    // switched, and makes none of its in-place leaf changes.
    ASSERT_TRUE(t->add(0xc6200000u, 30, 3));
    ASSERT_TRUE(t->commit());
    const auto before = t->stats();
    ASSERT_TRUE(t->del(0xc6120100u, 24));     // switches its entry to a leaf
    ASSERT_TRUE(t->add(0xc6200000u, 30, 6));  // same shape: a leaf rewritten in place
    ASSERT_TRUE(t->add(0xc6300000u, 30, 4));  // needs 32 more words: 16 left
    ASSERT_TRUE(t->add(0xc6400000u, 30, 5));
    EXPECT_EQ(t->commit().error(), errc::nospc);
    EXPECT_EQ(t->stats().rollbacks, 1u);
    EXPECT_EQ(t->size(), 3u);
    EXPECT_EQ(t->lookup(0xc6120105u), 2u) << "the withdrawn /24 is back";
    EXPECT_EQ(t->lookup(0xc6200001u), 3u) << "a refused commit rewrote a leaf";
    EXPECT_EQ(t->find(0xc6200000u, 30), 3u);
    EXPECT_EQ(t->stats().patched, before.patched);
    EXPECT_EQ(t->lookup(0xc6300001u), poptrie4::miss);
    EXPECT_EQ(t->find(0xc6300000u, 30), poptrie4::miss);
    EXPECT_EQ(t->stats().nodes, before.nodes);
    // After the refusal the table still takes a batch that fits. Blocks a
    // commit replaces come back after a grace period, so they serve the next
    // commit (which waits for them when it runs short), not the same one.
    ASSERT_TRUE(t->del(0xc6200000u, 30));
    ASSERT_TRUE(t->commit());
    ASSERT_TRUE(t->add(0xc6300000u, 30, 4));
    ASSERT_TRUE(t->commit());
    EXPECT_EQ(t->lookup(0xc6300001u), 4u);
    EXPECT_EQ(t->lookup(0xc6200001u), poptrie4::miss);
    EXPECT_EQ(poptrie4::create(poptrie_config{1, 24}).error(), errc::inval);  // not a power of two
    EXPECT_EQ(poptrie4::create(poptrie_config{1, 8}).error(), errc::inval);   // below 16 words
}

// The block layout: a sub-trie of one node and up to 10 leaves is one
// 64-byte block (one cache line: the node and its leaf arrive together);
// an 11th leaf spills into a 32-word block.
TEST(poptrie_update, OneNodeSubTrieIsOneCacheLine) {
    rcu_thread reg;
    auto t = *poptrie4::create();
    ASSERT_TRUE(t->add(0xc6120000u, 16, 1));
    for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(t->add(0xc6120100u + (i << 9), 24, 10 + i));  // 9 leaves
    ASSERT_TRUE(t->commit());
    EXPECT_EQ(t->stats().nodes, 1u);
    EXPECT_EQ(t->stats().leaves, 9u);
    EXPECT_EQ(t->stats().arena_words, 16u);
    for (uint32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(t->lookup(0xc6120107u + (i << 9)), 10 + i);
        EXPECT_EQ(t->lookup(0xc6120007u + (i << 9)), 1u);
    }
    ASSERT_TRUE(t->add(0xc6120900u, 24, 20));  // 11 leaves
    ASSERT_TRUE(t->commit());
    rcu_barrier();
    ASSERT_TRUE(t->commit());  // takes the replaced block back
    EXPECT_EQ(t->stats().leaves, 11u);
    EXPECT_EQ(t->stats().arena_words, 32u);
    EXPECT_EQ(t->lookup(0xc6120901u), 20u);
}

// A change that keeps the sub-trie's shape (a nexthop change of a route, or
// of the route covering the slot) rewrites the changed leaves in place: no
// new block, nothing waits for a grace period. A change of shape does not.
TEST(poptrie_update, SameShapeChangesRewriteLeavesInPlace) {
    rcu_thread reg;
    auto t = *poptrie4::create();
    ASSERT_TRUE(t->add(0xc6120000u, 16, 1));
    for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(t->add(0xc6120100u + (i << 9), 24, 10 + i));
    ASSERT_TRUE(t->add(0xc6124000u, 26, 30));  // a second /18 slot: a node below the /24 level
    ASSERT_TRUE(t->add(0xc6124000u, 24, 31));
    ASSERT_TRUE(t->commit());
    const auto st0 = t->stats();
    EXPECT_EQ(st0.patched, 0u);
    ASSERT_TRUE(t->add(0xc6120300u, 24, 21));  // 11 -> 21
    ASSERT_TRUE(t->add(0xc6124000u, 26, 32));  // a leaf in the second node
    ASSERT_TRUE(t->commit());
    auto st = t->stats();
    EXPECT_EQ(st.patched, 2u);
    EXPECT_EQ(st.rebuilt, st0.rebuilt);
    EXPECT_EQ(st.arena_words, st0.arena_words) << "no block replaced";
    EXPECT_EQ(t->lookup(0xc6120301u), 21u);
    EXPECT_EQ(t->lookup(0xc6120101u), 10u);
    EXPECT_EQ(t->lookup(0xc6124001u), 32u);
    EXPECT_EQ(t->lookup(0xc6124041u), 31u);
    // The covering /16 changes: every leaf that inherits it, in both slots.
    ASSERT_TRUE(t->add(0xc6120000u, 16, 2));
    ASSERT_TRUE(t->commit());
    st = t->stats();
    EXPECT_EQ(st.rebuilt, st0.rebuilt + 2) << "the /16's two slots without a sub-trie switch their leaf";
    EXPECT_GT(st.patched, 2u);
    EXPECT_EQ(t->lookup(0xc6120001u), 2u);
    EXPECT_EQ(t->lookup(0xc6120201u), 2u);
    EXPECT_EQ(t->lookup(0xc6124101u), 2u);
    EXPECT_EQ(t->lookup(0xc6120301u), 21u);
    // Two neighbouring leaves become equal: their runs merge, a new shape.
    ASSERT_TRUE(t->add(0xc6120300u, 24, 2));
    ASSERT_TRUE(t->commit());
    EXPECT_EQ(t->stats().rebuilt, st0.rebuilt + 3);
    EXPECT_EQ(t->stats().leaves, st.leaves - 2);
    EXPECT_EQ(t->lookup(0xc6120301u), 2u);
}

TEST(poptrie_update, MoreThanTwoToTheTwentyNexthops) {
    rcu_thread reg;
    // 1.25 M /32 routes in 198.18.0.0/15 and beyond, each with its own nexthop
    // id, the largest ids near 2^31.
    constexpr uint32_t n = (1u << 20) + (1u << 18);
    auto t = *poptrie4::create();
    for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(t->add(0xc6120000u + i, 32, poptrie4::nexthop_max - i));
    ASSERT_TRUE(t->commit());
    EXPECT_EQ(t->size(), n);
    std::vector<uint32_t> keys(n), out(n);
    for (uint32_t i = 0; i < n; ++i) keys[i] = 0xc6120000u + i;
    t->lookup_bulk(keys.data(), out.data(), n);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; ++i) bad += out[i] != poptrie4::nexthop_max - i;
    EXPECT_EQ(bad, 0u);
    EXPECT_EQ(t->lookup(0xc6120000u + n), poptrie4::miss);
}

// A replaced sub-trie is not reused while a reader that may still be inside
// it has not passed a quiescent state (deterministic: the reader stalls).
TEST(poptrie_update, ReplacedBlocksWaitForStalledReaders) {
    // This thread stays unregistered: only the stalled reader holds the grace period.
    auto t = *poptrie4::create();
    ASSERT_TRUE(t->add(0xc6120100u, 24, 1));
    ASSERT_TRUE(t->commit());
    const size_t one = t->stats().arena_words;
    ASSERT_GT(one, 0u);
    std::atomic<int> phase{0};
    std::thread reader([&] {
        rcu_thread r;
        EXPECT_EQ(t->lookup(0xc6120105u), 1u);
        phase = 1;
        while (phase.load() != 2) std::this_thread::yield();  // online, never quiescent
    });
    while (phase.load() != 1) std::this_thread::yield();
    ASSERT_TRUE(t->add(0xc6120300u, 24, 2));  // a new shape: the slot's sub-trie is replaced
    ASSERT_TRUE(t->commit());
    EXPECT_EQ(t->lookup(0xc6120305u), 2u);
    EXPECT_EQ(t->lookup(0xc6120105u), 1u);
    for (int i = 0; i < 20; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_TRUE(t->commit());  // takes back whatever came back
        ASSERT_EQ(t->stats().arena_words, 2 * one) << "the old block was reused under a reader";
    }
    phase = 2;
    reader.join();
    rcu_barrier();
    ASSERT_TRUE(t->commit());
    EXPECT_EQ(t->stats().arena_words, one) << "after the grace period the block is back";
}

// Torture: two reader threads (one single lookups, one lookup_bulk) look up while the writer commits random
// batches. Readers note (epoch before, answer, epoch after) for sampled keys;
// the writer logs every batch. Afterwards the log is replayed and each
// answer must equal the reference's answer in one of the states the table
// passed through during that lookup. Freed blocks are poisoned, so a reader
// walking a block reused too early gives garbage.
TEST(poptrie_update, ReadersDuringContinuousUpdates) {
    rcu_thread reg;
    std::mt19937 rng(21);
    poptrie_config c;
    c.poison_freed = true;
    auto t = *poptrie4::create(c);
    struct op {
        uint32_t key;
        uint8_t len;
        uint32_t nh;  // UINT32_MAX: delete
    };
    std::vector<std::vector<op>> log;  // batch e takes state e to state e + 1
    std::vector<uint32_t> probes(4096);
    for (auto& k : probes) k = 0xc6000000u | (rng() & 0x01ffffffu);  // 198.0.0.0/7: deep and shallow routes
    std::atomic<uint64_t> epoch{0};  // 2e: state e published; 2e+1: commit e in progress
    std::atomic<bool> stop{false};
    struct sample {
        uint32_t key, nh;
        uint64_t before, after;
    };
    std::vector<std::vector<sample>> seen(2);
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r)
        readers.emplace_back([&, r] {
            rcu_thread rr;
            std::mt19937 lr(100 + r);
            auto& out = seen[size_t(r)];
            out.reserve(300000);
            while (!stop.load(std::memory_order_relaxed) && out.size() < 300000) {
                if (r == 1) {  // the batch walk: one window for the whole batch
                    uint32_t k[32], nh[32];
                    for (auto& x : k) x = probes[lr() % probes.size()];
                    const uint64_t b = epoch.load(std::memory_order_acquire);
                    t->lookup_bulk(k, nh, 32);
                    const uint64_t a = epoch.load(std::memory_order_acquire);
                    for (int i = 0; i < 32; ++i) out.push_back({k[i], nh[i], b, a});
                } else {
                    for (int i = 0; i < 32; ++i) {
                        const uint32_t k = probes[lr() % probes.size()];
                        const uint64_t b = epoch.load(std::memory_order_acquire);
                        const uint32_t nh = t->lookup(k);
                        const uint64_t a = epoch.load(std::memory_order_acquire);
                        out.push_back({k, nh, b, a});
                    }
                }
                rcu_quiescent();
            }
        });
    std::vector<std::pair<uint32_t, uint8_t>> live;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (int b = 0; b < 3000 && std::chrono::steady_clock::now() < deadline; ++b) {
        std::vector<op> batch;
        const unsigned ops = 1 + rng() % 32;
        for (unsigned o = 0; o < ops; ++o) {
            if (!live.empty() && rng() % 3 == 0) {
                const size_t i = rng() % live.size();
                auto [k, len] = live[i];
                live[i] = live.back();
                live.pop_back();
                if (t->del(k, len)) batch.push_back({k, len, UINT32_MAX});
                continue;
            }
            const uint8_t len = uint8_t(rng() % 2 ? 7 + rng() % 26 : 16 + rng() % 17);
            const uint32_t k = (0xc6000000u | (rng() & 0x01ffffffu)) & ip4_mask(len);
            const uint32_t nh = 1 + rng() % 100000;
            ASSERT_TRUE(t->add(k, len, nh));
            batch.push_back({k, len, nh});
            live.emplace_back(k, len);
        }
        log.push_back(batch);
        epoch.store(2 * uint64_t(b) + 1, std::memory_order_seq_cst);
        ASSERT_TRUE(t->commit());
        epoch.store(2 * uint64_t(b) + 2, std::memory_order_release);
    }
    stop = true;
    for (auto& th : readers) th.join();
    // Replay: state e is the table after log[0..e-1].
    std::vector<sample> all;
    for (auto& v : seen) all.insert(all.end(), v.begin(), v.end());
    std::vector<char> ok(all.size(), 0);
    std::vector<size_t> order(all.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return all[x].before < all[y].before; });
    reference<uint32_t, 32> ref;
    size_t next = 0;
    std::vector<size_t> open;  // samples whose window includes the current state
    for (uint64_t e = 0; e <= log.size(); ++e) {
        while (next < order.size() && all[order[next]].before / 2 <= e) open.push_back(order[next++]);
        std::vector<size_t> still;
        for (size_t i : open) {
            const sample& s = all[i];
            if (!ok[i] && ref.lookup(s.key) == s.nh) ok[i] = 1;
            if ((s.after + 1) / 2 > e) still.push_back(i);
        }
        open.swap(still);
        if (e < log.size())
            for (const op& o : log[e]) {
                if (o.nh == UINT32_MAX)
                    ref.del(o.key, o.len);
                else
                    ref.set(o.key, o.len, o.nh);
            }
    }
    size_t bad = 0;
    for (size_t i = 0; i < all.size(); ++i)
        if (!ok[i] && ++bad <= 3)
            ADD_FAILURE() << ip4_addr(all[i].key).str() << " gave " << all[i].nh << " between epochs " << all[i].before
                          << " and " << all[i].after;
    EXPECT_EQ(bad, 0u);
    std::printf("torture: %zu batches, %zu checked lookups, %llu sub-tries rebuilt, %llu leaves rewritten in place\n",
                log.size(), all.size(), static_cast<unsigned long long>(t->stats().rebuilt),
                static_cast<unsigned long long>(t->stats().patched));
    EXPECT_GT(log.size(), 100u);
    EXPECT_GT(all.size(), 10000u);
}

}  // namespace
}  // namespace mpnet
