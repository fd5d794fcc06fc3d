// SPDX-License-Identifier: BSD-2-Clause
// The FIB benchmark: mpnet's Poptrie against DPDK's structures on the real
// full tables (../shared/data, 901,899 IPv4 and 160,147 IPv6 prefixes), one
// run, same tables, same core, printed side by side with ratios:
// - lookups/s for uniform random keys and for hosts inside announced
//   prefixes, with 16 and 256 distinct nexthops, single and batches of 64:
//   IPv4 poptrie4 vs rte_lpm and rte_fib (DIR-24-8); IPv6 poptrie6 vs
//   rte_lpm6 and rte_fib6 (trie);
// - memory; full-table load and delete rates (routes/s);
// - route updates/s with a reader thread looking up on the other core, per
//   batch size, and the reader's rate meanwhile; the reader's rate while the
//   full table is reloaded again and again.
// Every structure is cross-checked against poptrie on 200,000 keys first.
// Run: ./build/bench/bench_fib [--table PATH] [--time S] [--only updates|lookups]   (figures only; gates nothing)
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_memory.h>
#include <sys/mman.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "mpnet/drivers/eal.hpp"
#include "mpnet/route/poptrie4.hpp"
#include "mpnet/route/poptrie6.hpp"
#include "mpnet/sync/rcu.hpp"

using namespace mpnet;
using u128 = unsigned __int128;

namespace {

double min_time = 0.2;  // seconds per measurement (best of three)
bool with_lpm4 = true;  // --only lookups: rte_lpm left empty and unmeasured (its load takes a minute)
constexpr double nan = __builtin_nan("");  // an unmeasured figure
std::string only;       // --only updates: just the update section; --only lookups: no rte_lpm, no updates
constexpr size_t nkeys = 1u << 20;

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename T>
inline void keep(T v) {
    asm volatile("" : : "r,m"(v) : "memory");
}

// Lookups per second of `chunk(i)` (which does 64 lookups starting at key i).
double measure(const std::function<void(size_t)>& chunk) {
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        size_t done = 0;
        const double t0 = now_s();
        double t = t0;
        do {
            for (int k = 0; k < 256; ++k, done += 64) chunk(done & (nkeys - 1));
            t = now_s();
        } while (t - t0 < min_time);
        best = std::max(best, double(done) / (t - t0));
    }
    return best / 1e6;
}

struct row {
    std::string what;
    std::vector<double> v;  // one per structure
};

void print_table(const std::string& title, const std::vector<std::string>& names, const std::vector<row>& rows,
                 bool higher_better = true) {
    std::printf("\n%s\n\n| %-34s |", title.c_str(), "");
    for (auto& n : names) std::printf(" %10s |", n.c_str());
    for (size_t i = 1; i < names.size(); ++i) std::printf(" %s/%s |", names[0].c_str(), names[i].c_str());
    std::printf("\n|%s|", std::string(36, '-').c_str());
    for (size_t i = 0; i < names.size(); ++i) std::printf("%s|", std::string(12, '-').c_str());
    for (size_t i = 1; i < names.size(); ++i)
        std::printf("%s|", std::string(names[0].size() + names[i].size() + 3, '-').c_str());
    std::printf("\n");
    for (auto& r : rows) {
        std::printf("| %-34s |", r.what.c_str());
        for (double x : r.v) std::printf(" %10.1f |", x);
        for (size_t i = 1; i < r.v.size(); ++i) {
            const double ratio = higher_better ? r.v[0] / r.v[i] : r.v[i] / r.v[0];
            std::printf(" %*.2f |", int(names[0].size() + names[i].size() + 1), ratio);
        }
        std::printf("\n");
    }
}

// Transparent huge pages in use by this process, MiB (anonymous + shmem).
std::string thp_in_use() {
    std::ifstream f("/proc/self/smaps_rollup");
    std::string line, out;
    while (std::getline(f, line))
        if (line.rfind("AnonHugePages:", 0) == 0 || line.rfind("ShmemPmdMapped:", 0) == 0) {
            const auto colon = line.find(':');
            const double kb = std::strtod(line.c_str() + colon + 1, nullptr);
            out += fmt::format("{}{} {:.0f} MiB", out.empty() ? "" : ", ", line.substr(0, colon), kb / 1024);
        }
    return out.empty() ? "unknown" : out;
}

struct timer {
    double t0 = now_s();
    double s() const { return now_s() - t0; }
};

// ---------------------------------------------------------------- IPv4

std::vector<prefix4> pfx4;
std::vector<prefix6> pfx6;
std::vector<uint32_t> uni4, in4;
std::vector<u128> uni6k, in6k;
std::vector<ip6_addr> uni6a, in6a;

using k16 = uint8_t (*)[16];
inline k16 as_k16(const ip6_addr* a) { return reinterpret_cast<k16>(const_cast<ip6_addr*>(a)); }

rte_lpm* make_lpm(const char* name) {
    rte_lpm_config lc{};
    lc.max_rules = 1u << 20;
    lc.number_tbl8s = 1u << 15;
    return rte_lpm_create(name, SOCKET_ID_ANY, &lc);
}

rte_fib* make_dir24(const char* name) {
    rte_fib_conf fc{};
    fc.type = RTE_FIB_DIR24_8;
    fc.default_nh = poptrie4::miss >> 1;  // 2^31 - 1: the largest a 4-byte entry holds
    fc.max_routes = 1 << 20;
    fc.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
    fc.dir24_8.num_tbl8 = 1u << 15;
    return rte_fib_create(name, SOCKET_ID_ANY, &fc);
}

void ipv4(unsigned nh_count, std::vector<row>& rows, std::vector<row>& mem, std::vector<row>& rates) {
    std::mt19937 rng(nh_count);
    std::vector<uint32_t> nh(pfx4.size());
    for (auto& x : nh) x = rng() % nh_count;
    std::vector<poptrie_entry<uint32_t>> entries;
    for (size_t i = 0; i < pfx4.size(); ++i) entries.push_back({pfx4[i].addr.v, pfx4[i].len, nh[i]});

    auto pt = std::move(*poptrie4::create());
    timer t;
    if (!pt->load(entries.begin(), entries.end())) std::abort();
    const double pt_load = t.s();
    const auto st = pt->stats();
    poptrie_config small_pages;
    small_pages.huge_pages = false;
    auto pt4k = std::move(*poptrie4::create(small_pages));  // the same table on 4 KiB pages
    if (!pt4k->load(entries.begin(), entries.end())) std::abort();

    rte_lpm* lpm = make_lpm(fmt::format("bl{}", nh_count).c_str());
    rte_fib* dir = make_dir24(fmt::format("bd{}", nh_count).c_str());
    if (!lpm || !dir) {
        std::fprintf(stderr, "bench_fib: rte_lpm/rte_fib create: %s\n", rte_strerror(rte_errno));
        std::exit(1);
    }
    t = {};
    if (with_lpm4)
        for (size_t i = 0; i < pfx4.size(); ++i) (void)rte_lpm_add(lpm, pfx4[i].addr.v, uint8_t(pfx4[i].len), nh[i]);
    const double lpm_load = t.s();
    t = {};
    for (size_t i = 0; i < pfx4.size(); ++i) (void)rte_fib_add(dir, pfx4[i].addr.v, uint8_t(pfx4[i].len), nh[i]);
    const double dir_load = t.s();

    // Cross-check before measuring.
    size_t bad = 0;
    for (size_t i = 0; i < 100000; ++i)
        for (uint32_t k : {uni4[i], in4[i]}) {
            const uint32_t p = pt->lookup(k);
            uint32_t l = 0;
            const uint32_t lv = rte_lpm_lookup(lpm, k, &l) == 0 ? l : poptrie4::miss;
            uint64_t d = 0;
            rte_fib_lookup_bulk(dir, &k, &d, 1);
            const uint32_t dv = d == (poptrie4::miss >> 1) ? poptrie4::miss : uint32_t(d);
            bad += (with_lpm4 && p != lv) + (p != dv);
        }
    std::printf("IPv4 NH=%u: poptrie4 load %.2f s, rte_lpm %.1f s, rte_fib %.2f s; cross-check: %zu disagreements\n",
                nh_count, pt_load, lpm_load, dir_load, bad);
    std::printf("huge pages in use: %s\n", thp_in_use().c_str());

    for (auto* keys : {&uni4, &in4}) {
        const char* kn = keys == &uni4 ? "uniform" : "inside";
        const uint32_t* K = keys->data();
        row single{fmt::format("NH={} {} single", nh_count, kn), {}};
        row batch{fmt::format("NH={} {} batch 64", nh_count, kn), {}};
        auto pt_single = [&](const poptrie4& tr) {
            return measure([&](size_t i) {
                uint32_t s = 0;
                for (int j = 0; j < 64; ++j) s += tr.lookup(K[i + j]);
                keep(s);
            });
        };
        auto pt_batch = [&](const poptrie4& tr) {
            return measure([&](size_t i) {
                uint32_t out[64];
                tr.lookup_bulk(K + i, out, 64);
                keep(out[63]);
            });
        };
        single.v.push_back(pt_single(*pt));
        single.v.push_back(!with_lpm4 ? nan : measure([&](size_t i) {
            uint32_t s = 0;
            for (int j = 0; j < 64; ++j) {
                uint32_t x = 0;
                s += rte_lpm_lookup(lpm, K[i + j], &x) == 0 ? x : 0;
            }
            keep(s);
        }));
        single.v.push_back(measure([&](size_t i) {
            uint64_t s = 0;
            for (int j = 0; j < 64; ++j) {
                uint64_t x;
                rte_fib_lookup_bulk(dir, const_cast<uint32_t*>(K + i + j), &x, 1);
                s += x;
            }
            keep(s);
        }));
        batch.v.push_back(pt_batch(*pt));
        batch.v.push_back(!with_lpm4 ? nan : measure([&](size_t i) {
            uint32_t out[64];
            rte_lpm_lookup_bulk(lpm, K + i, out, 64);
            keep(out[63]);
        }));
        batch.v.push_back(measure([&](size_t i) {
            uint64_t out[64];
            rte_fib_lookup_bulk(dir, const_cast<uint32_t*>(K + i), out, 64);
            keep(out[63]);
        }));
        single.v.push_back(pt_single(*pt4k));
        batch.v.push_back(pt_batch(*pt4k));
        rows.push_back(single);
        rows.push_back(batch);
    }
    if (nh_count == 256) {
        // DIR-24-8 memory: the 2^24-entry table plus the tbl8 groups in use
        // (rte_lpm's rules on top); DPDK allocates every group up front.
        mem.push_back({"memory MiB (full IPv4 table)",
                       {double(st.memory_bytes) / 1048576.0, (64.0 * 1048576 + 32768.0 * 1024 + 8.0 * 1048576) / 1048576.0,
                        (64.0 * 1048576 + 32768.0 * 1024) / 1048576.0}});
        std::printf("poptrie4: %zu nodes and %zu leaves in use (%zu words), %zu words allocated (buddy blocks)\n",
                    st.nodes, st.leaves, st.nodes * (sizeof(detail::poptrie_node) / sizeof(uint32_t)) + st.leaves,
                    st.arena_words);
    }
    // Delete rates: poptrie withdraws the full table in one commit; DPDK's
    // structures delete route by route (a 100,000-route sample: rte_lpm's
    // delete is slow enough that the whole table would take minutes).
    std::vector<size_t> sample(pfx4.size());
    for (size_t i = 0; i < sample.size(); ++i) sample[i] = i;
    std::shuffle(sample.begin(), sample.end(), rng);
    sample.resize(100000);
    t = {};
    if (!pt->clear()) std::abort();
    const double pt_del = double(pfx4.size()) / t.s();
    t = {};
    for (size_t i : sample) (void)rte_lpm_delete(lpm, pfx4[i].addr.v, uint8_t(pfx4[i].len));
    const double lpm_del = double(sample.size()) / t.s();
    t = {};
    for (size_t i : sample) (void)rte_fib_delete(dir, pfx4[i].addr.v, uint8_t(pfx4[i].len));
    const double dir_del = double(sample.size()) / t.s();
    rates.push_back({fmt::format("IPv4 NH={} full load, k routes/s", nh_count),
                     {double(pfx4.size()) / pt_load / 1e3, double(pfx4.size()) / lpm_load / 1e3,
                      double(pfx4.size()) / dir_load / 1e3}});
    rates.push_back({fmt::format("IPv4 NH={} delete, k routes/s", nh_count), {pt_del / 1e3, lpm_del / 1e3, dir_del / 1e3}});
    rte_lpm_free(lpm);
    rte_fib_free(dir);
    pt.reset();
    pt4k.reset();
    rcu_barrier();
}

// ---------------------------------------------------------------- IPv6

void ipv6(unsigned nh_count, std::vector<row>& rows, std::vector<row>& mem, std::vector<row>& rates) {
    std::mt19937 rng(nh_count + 6);
    std::vector<uint32_t> nh(pfx6.size());
    for (auto& x : nh) x = rng() % nh_count;
    std::vector<poptrie_entry<u128>> entries;
    for (size_t i = 0; i < pfx6.size(); ++i) entries.push_back({poptrie_key(pfx6[i].addr), pfx6[i].len, nh[i]});
    auto pt = std::move(*poptrie6::create());
    timer t;
    if (!pt->load(entries.begin(), entries.end())) std::abort();
    const double pt_load = t.s();
    const auto st = pt->stats();
    poptrie_config small_pages;
    small_pages.huge_pages = false;
    auto pt4k = std::move(*poptrie6::create(small_pages));
    if (!pt4k->load(entries.begin(), entries.end())) std::abort();

    rte_lpm6_config lc{};
    lc.max_rules = 1u << 18;
    lc.number_tbl8s = 1u << 17;
    rte_lpm6* lpm6 = rte_lpm6_create(fmt::format("bl6{}", nh_count).c_str(), SOCKET_ID_ANY, &lc);
    rte_fib6_conf fc{};
    fc.type = RTE_FIB6_TRIE;
    fc.default_nh = poptrie6::miss >> 1;
    fc.max_routes = 1 << 18;
    fc.trie.nh_sz = RTE_FIB6_TRIE_4B;
    fc.trie.num_tbl8 = 1u << 19;  // 2^17 refuses 66k routes of the full table
    rte_fib6* dfib6 = rte_fib6_create(fmt::format("bf6{}", nh_count).c_str(), SOCKET_ID_ANY, &fc);
    if (!lpm6 || !dfib6) {
        std::fprintf(stderr, "bench_fib: rte_lpm6/rte_fib6 create: %s\n", rte_strerror(rte_errno));
        std::exit(1);
    }
    t = {};
    size_t lpm6_fail = 0, fib6_fail = 0;
    for (size_t i = 0; i < pfx6.size(); ++i) lpm6_fail += rte_lpm6_add(lpm6, pfx6[i].addr.b.data(), uint8_t(pfx6[i].len), nh[i]) != 0;
    const double lpm6_load = t.s();
    t = {};
    for (size_t i = 0; i < pfx6.size(); ++i) fib6_fail += rte_fib6_add(dfib6, pfx6[i].addr.b.data(), uint8_t(pfx6[i].len), nh[i]) != 0;
    const double fib6_load = t.s();
    size_t bad = 0;
    for (size_t i = 0; i < 100000; ++i)
        for (const ip6_addr* a : {&uni6a[i], &in6a[i]}) {
            const uint32_t p = pt->lookup(poptrie_key(*a));
            uint32_t l = 0;
            const uint32_t lv = rte_lpm6_lookup(lpm6, a->b.data(), &l) == 0 ? l : poptrie6::miss;
            uint64_t d = 0;
            rte_fib6_lookup_bulk(dfib6, as_k16(a), &d, 1);
            const uint32_t dv = d == (poptrie6::miss >> 1) ? poptrie6::miss : uint32_t(d);
            bad += (p != lv) + (p != dv);
        }
    std::printf("IPv6 NH=%u: poptrie6 load %.3f s, rte_lpm6 %.3f s (%zu refused), rte_fib6 %.3f s (%zu refused); "
                "cross-check: %zu disagreements\n",
                nh_count, pt_load, lpm6_load, lpm6_fail, fib6_load, fib6_fail, bad);
    for (int set = 0; set < 2; ++set) {
        const char* kn = set == 0 ? "uniform" : "inside";
        const u128* K = (set == 0 ? uni6k : in6k).data();
        const ip6_addr* A = (set == 0 ? uni6a : in6a).data();
        row single{fmt::format("NH={} {} single", nh_count, kn), {}};
        row batch{fmt::format("NH={} {} batch 64", nh_count, kn), {}};
        // poptrie6 takes the key as a 128-bit integer; the conversion from the
        // wire's bytes is inside the timed loop, as the data path does it.
        auto pt_single = [&](const poptrie6& tr) {
            return measure([&](size_t i) {
                uint32_t s = 0;
                for (int j = 0; j < 64; ++j) s += tr.lookup(poptrie_key(A[i + j]));
                keep(s);
            });
        };
        auto pt_batch = [&](const poptrie6& tr) {
            return measure([&](size_t i) {
                u128 k[64];
                for (int j = 0; j < 64; ++j) k[j] = poptrie_key(A[i + j]);
                uint32_t out[64];
                tr.lookup_bulk(k, out, 64);
                keep(out[63]);
            });
        };
        single.v.push_back(pt_single(*pt));
        single.v.push_back(measure([&](size_t i) {
            uint32_t s = 0;
            for (int j = 0; j < 64; ++j) {
                uint32_t x = 0;
                s += rte_lpm6_lookup(lpm6, A[i + j].b.data(), &x) == 0 ? x : 0;
            }
            keep(s);
        }));
        single.v.push_back(measure([&](size_t i) {
            uint64_t s = 0;
            for (int j = 0; j < 64; ++j) {
                uint64_t x;
                rte_fib6_lookup_bulk(dfib6, as_k16(A + i + j), &x, 1);
                s += x;
            }
            keep(s);
        }));
        batch.v.push_back(pt_batch(*pt));
        batch.v.push_back(measure([&](size_t i) {
            int32_t out[64];
            rte_lpm6_lookup_bulk_func(lpm6, as_k16(A + i), out, 64);
            keep(out[63]);
        }));
        batch.v.push_back(measure([&](size_t i) {
            uint64_t out[64];
            rte_fib6_lookup_bulk(dfib6, as_k16(A + i), out, 64);
            keep(out[63]);
        }));
        single.v.push_back(pt_single(*pt4k));
        batch.v.push_back(pt_batch(*pt4k));
        (void)K;
        rows.push_back(single);
        rows.push_back(batch);
    }
    if (nh_count == 256) {
        mem.push_back({"memory MiB (full IPv6 table)",
                       {double(st.memory_bytes) / 1048576.0, (64.0 * 1048576 + double(lc.number_tbl8s) * 1024) / 1048576.0,
                        (64.0 * 1048576 + double(fc.trie.num_tbl8) * 1024) / 1048576.0}});
    }
    t = {};
    if (!pt->clear()) std::abort();
    const double pt_del = double(pfx6.size()) / t.s();
    t = {};
    for (size_t i = 0; i < pfx6.size(); ++i) (void)rte_lpm6_delete(lpm6, pfx6[i].addr.b.data(), uint8_t(pfx6[i].len));
    const double lpm6_del = double(pfx6.size()) / t.s();
    t = {};
    for (size_t i = 0; i < pfx6.size(); ++i) (void)rte_fib6_delete(dfib6, pfx6[i].addr.b.data(), uint8_t(pfx6[i].len));
    const double fib6_del = double(pfx6.size()) / t.s();
    rates.push_back({fmt::format("IPv6 NH={} full load, k routes/s", nh_count),
                     {double(pfx6.size()) / pt_load / 1e3, double(pfx6.size()) / lpm6_load / 1e3,
                      double(pfx6.size()) / fib6_load / 1e3}});
    rates.push_back({fmt::format("IPv6 NH={} delete, k routes/s", nh_count), {pt_del / 1e3, lpm6_del / 1e3, fib6_del / 1e3}});
    rte_lpm6_free(lpm6);
    rte_fib6_free(dfib6);
    pt.reset();
    pt4k.reset();
    rcu_barrier();
}

// ---------------------------------------------------------------- updates with readers

// A reader thread doing batch lookups of uniform keys (RCU reader, quiescent
// after every batch) while `writer` runs; returns the reader's M lookups/s.
double with_reader(const std::function<uint32_t(const uint32_t*, uint32_t*)>& lookup64,
                   const std::function<void()>& writer) {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> done{0};
    double secs = 0;
    std::thread r([&] {
        rcu_thread reg;
        uint64_t n = 0;
        uint32_t out[64];
        const double t0 = now_s();
        while (!stop.load(std::memory_order_relaxed)) {
            for (int k = 0; k < 64; ++k, n += 64) keep(lookup64(uni4.data() + (n & (nkeys - 1)), out));
            rcu_quiescent();
        }
        secs = now_s() - t0;
        done = n;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    writer();
    stop = true;
    r.join();
    return double(done.load()) / secs / 1e6;
}

void updates() {
    std::mt19937 rng(99);
    std::vector<poptrie_entry<uint32_t>> entries;
    for (auto& p : pfx4) entries.push_back({p.addr.v, p.len, uint32_t(rng() % 256)});
    auto pt = std::move(*poptrie4::create());
    if (!pt->load(entries.begin(), entries.end())) std::abort();
    auto pt_lookup = [&](const uint32_t* k, uint32_t* out) {
        pt->lookup_bulk(k, out, 64);
        return out[63];
    };
    const double idle = with_reader(pt_lookup, [] { std::this_thread::sleep_for(std::chrono::milliseconds(800)); });
    std::printf("\nRoute updates on the full IPv4 table with a reader thread on the other vCPU (batch lookups of\n"
                "uniform keys; reader alone: %.1f M lookups/s). An update is a change of nexthop (2/3) or a\n"
                "withdrawal (1/3) of a random table prefix, a withdrawn one re-announced when drawn again.\n\n",
                idle);
    std::printf("| structure, batch size | updates/s | reader M lookups/s meanwhile |\n|---|---:|---:|\n");
    std::vector<bool> present(pfx4.size(), true);
    // Random updates, `batch` per commit, for 4 * min_time: updates/s. The
    // stream is drawn in chunks before each chunk's clock starts (the random
    // draws and the bookkeeping of which prefix is present cost as much as a
    // nexthop change: they are the benchmark's cost, not the structure's);
    // the timed loop reads the prefix from the stream, as a control plane
    // reads it from a route message.
    using op = poptrie_update<uint32_t>;
    std::vector<op> ops(size_t(1) << 16);
    auto draw = [&] {
        for (op& o : ops) {
            const size_t i = rng() % pfx4.size();
            o = {pfx4[i].addr.v, uint8_t(pfx4[i].len), present[i] && rng() % 3 == 0, uint32_t(rng() % 256)};
            present[i] = !o.withdraw;
        }
    };
    auto churn = [&](unsigned batch) {
        uint64_t n = 0;
        double spent = 0;
        while (spent < 4 * min_time) {
            draw();
            timer t;
            for (size_t x = 0; x < ops.size(); x += batch) {
                if (batch == 1) {  // one route message: add() or del(), commit()
                    if (ops[x].withdraw)
                        (void)pt->del(ops[x].key, ops[x].len);
                    else
                        (void)pt->add(ops[x].key, ops[x].len, ops[x].nh);
                } else {  // a batch of them: stage() prefetches across it
                    const op* u = ops.data() + x;
                    for (size_t left = std::min<size_t>(batch, ops.size() - x), done = 0; left;) {
                        (void)pt->stage(u, left, &done);  // a failed change (none here) is skipped
                        const size_t step = std::min(left, done + 1);
                        u += step;
                        left -= step;
                    }
                }
                if (!pt->commit()) std::abort();
                rcu_quiescent();
            }
            spent += t.s();
            n += ops.size();
        }
        return double(n) / spent;
    };
    for (unsigned batch : {1u, 16u, 256u, 4096u}) {
        double rate = 0;
        const double rd = with_reader(pt_lookup, [&] { rate = churn(batch); });
        std::printf("| poptrie4, %u per commit | %.0f | %.1f |\n", batch, rate, rd);
    }
    // The writer alone (no reader on the other vCPU, which shares its core).
    for (unsigned batch : {1u, 4096u})
        std::printf("| poptrie4, %u per commit, no reader | %.0f | - |\n", batch, churn(batch));
    // Reload: the whole table replaced in one commit, again and again.
    unsigned reloads = 0;
    double reload_s = 0;
    const double rd = with_reader(pt_lookup, [&] {
        timer t;
        while (t.s() < 8 * min_time || reloads < 2) {
            for (auto& e : entries) e.nh = rng() % 256;
            if (!pt->load(entries.begin(), entries.end())) std::abort();
            ++reloads;
        }
        reload_s = t.s() / reloads;
    });
    std::printf("| poptrie4, full-table reload (%u reloads, %.2f s each: %.0f routes/s) | - | %.1f |\n", reloads,
                reload_s, double(pfx4.size()) / reload_s, rd);
    pt.reset();
    rcu_barrier();

    // rte_lpm and rte_fib: nexthop changes route by route (no deletes, so no
    // tbl8 group is freed under the reader).
    rte_lpm* lpm = make_lpm("bupd");
    rte_fib* dir = make_dir24("bupdd");
    for (auto& e : entries) (void)rte_lpm_add(lpm, e.key, uint8_t(e.len), e.nh);
    for (auto& e : entries) (void)rte_fib_add(dir, e.key, uint8_t(e.len), e.nh);
    auto lpm_lookup = [&](const uint32_t* k, uint32_t* out) {
        rte_lpm_lookup_bulk(lpm, k, out, 64);
        return out[63];
    };
    auto dir_lookup = [&](const uint32_t* k, uint32_t* out) {
        uint64_t o[64];
        rte_fib_lookup_bulk(dir, const_cast<uint32_t*>(k), o, 64);
        out[63] = uint32_t(o[63]);
        return out[63];
    };
    for (int which = 0; which < 2; ++which) {
        uint64_t n = 0;
        double secs = 0;
        const double alone =
            with_reader(which ? std::function<uint32_t(const uint32_t*, uint32_t*)>(dir_lookup) : lpm_lookup,
                        [] { std::this_thread::sleep_for(std::chrono::milliseconds(800)); });
        const double rdx = with_reader(which ? std::function<uint32_t(const uint32_t*, uint32_t*)>(dir_lookup) : lpm_lookup, [&] {
            while (secs < 4 * min_time) {  // drawn outside the clock, as above
                for (op& o : ops) {
                    const auto& e = entries[rng() % entries.size()];
                    o = {e.key, uint8_t(e.len), false, uint32_t(rng() % 256)};
                }
                timer t;
                for (size_t b = 0; b < ops.size() && t.s() + secs < 4 * min_time; b += 256)
                    for (size_t x = b; x < b + 256; ++x, ++n) {
                        if (which)
                            (void)rte_fib_add(dir, ops[x].key, ops[x].len, ops[x].nh);
                        else
                            (void)rte_lpm_add(lpm, ops[x].key, ops[x].len, ops[x].nh);
                    }
                secs += t.s();
            }
        });
        std::printf("| %s, nexthop changes (reader alone: %.1f) | %.0f | %.1f |\n", which ? "rte_fib" : "rte_lpm", alone,
                    double(n) / secs, rdx);
    }
    rte_lpm_free(lpm);
    rte_fib_free(dir);
}

}  // namespace

int main(int argc, char** argv) {
    std::string path = "../shared/data/fulltable-prefixes.txt.gz";
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string(argv[i]) == "--table") path = argv[i + 1];
        if (std::string(argv[i]) == "--time") min_time = std::stod(argv[i + 1]);
        if (std::string(argv[i]) == "--only") only = argv[i + 1];
    }
    drivers::eal_options o;
    o.program = "bench_fib";
    o.memory_mb = 6144;
    if (!drivers::eal_init(o)) return 1;
    // The same pages for both sides: poptrie's arenas ask for transparent
    // huge pages (poptrie_config::huge_pages), and DPDK's memory (plain 4 KiB
    // pages under --no-huge, hugetlbfs in production) gets the same advice
    // before its tables are allocated. anon_huge_mib() reports what the
    // kernel actually gave.
    rte_memseg_list_walk(
        [](const rte_memseg_list* msl, void*) {
            (void)::madvise(msl->base_va, msl->len, MADV_HUGEPAGE);
            return 0;
        },
        nullptr);
    {
        rcu_thread reg;
        gzFile f = gzopen(path.c_str(), "rb");
        if (!f) {
            std::fprintf(stderr, "bench_fib: %s not found\n", path.c_str());
            return 1;
        }
        char line[128];
        while (gzgets(f, line, sizeof line)) {
            std::string s(line);
            while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
            if (s.find(':') != std::string::npos) {
                if (auto p = prefix6::parse(s)) pfx6.push_back(*p);
            } else if (auto p = prefix4::parse(s)) {
                pfx4.push_back(*p);
            }
        }
        gzclose(f);
        std::mt19937_64 rng(1);
        for (size_t i = 0; i < nkeys; ++i) {
            uni4.push_back(uint32_t(rng()));
            const auto& p = pfx4[rng() % pfx4.size()];
            in4.push_back(p.addr.v | (p.len >= 32 ? 0 : (uint32_t(rng()) & ~ip4_mask(p.len))));
            ip6_addr a{};
            for (auto& b : a.b) b = uint8_t(rng());
            uni6a.push_back(a);
            const auto& q = pfx6[rng() % pfx6.size()];
            ip6_addr h = q.addr;
            for (unsigned b = q.len; b < 128; ++b)
                if (rng() & 1) h.b[b / 8] = uint8_t(h.b[b / 8] | (0x80u >> (b % 8)));
            in6a.push_back(h);
        }
        for (auto& a : uni6a) uni6k.push_back(poptrie_key(a));
        for (auto& a : in6a) in6k.push_back(poptrie_key(a));
        std::printf("tables: %zu IPv4, %zu IPv6 prefixes; %zu keys per set; best of 3 x %.2f s per figure\n",
                    pfx4.size(), pfx6.size(), nkeys, min_time);
        std::vector<row> rows4, rows6, mem, rates4, rates6;
        if (only == "updates") {
            updates();
            rcu_barrier();
            drivers::eal_cleanup();
            return 0;
        }
        with_lpm4 = only != "lookups";
        for (unsigned nh : {16u, 256u}) ipv4(nh, rows4, mem, rates4);
        for (unsigned nh : {16u, 256u}) ipv6(nh, rows6, mem, rates6);
        print_table("IPv4, M lookups/s (4KiB: poptrie4 on 4 KiB pages)", {"poptrie4", "rte_lpm", "rte_fib", "4KiB"}, rows4);
        print_table("IPv6, M lookups/s (4KiB: poptrie6 on 4 KiB pages)", {"poptrie6", "rte_lpm6", "rte_fib6", "4KiB"}, rows6);
        print_table("Memory, MiB (DPDK: as allocated for these tables)", {"poptrie", "lpm", "fib"}, mem, false);
        print_table("IPv4 load and delete (DPDK deletes: a 100,000-route sample)", {"poptrie4", "rte_lpm", "rte_fib"},
                    rates4);
        print_table("IPv6 load and delete", {"poptrie6", "rte_lpm6", "rte_fib6"}, rates6);
        if (only != "lookups") updates();
        rcu_barrier();
    }
    drivers::eal_cleanup();
    return 0;
}
