// SPDX-License-Identifier: BSD-2-Clause
// FIB lookups on the real full IPv4 table (NH=256 random): mpnet's poptrie4
// against DPDK's rte_lpm (through fib4). Uniform random keys and keys inside
// announced prefixes; single lookups and batches of 64; memory. IPv6 on the
// full IPv6 table: poptrie6 against rte_lpm6 and rte_fib6 (trie), and the
// fib6 snapshot the stack uses today (a hash per prefix length).
// Run: ./build/bench/bench_fib [--table PATH]   (figures only)
#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_lpm6.h>
#include <rte_memory.h>
#include <zlib.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mpnet/drivers/eal.hpp"
#include "mpnet/route/fib4.hpp"
#include "mpnet/route/fib6.hpp"
#include "mpnet/route/poptrie4.hpp"
#include "mpnet/route/poptrie6.hpp"
#include "mpnet/sync/rcu.hpp"

using namespace mpnet;

namespace {
std::vector<std::pair<prefix4, uint32_t>> routes;
std::vector<uint32_t> keys_uniform, keys_inside;
std::unique_ptr<poptrie4> pt;
std::unique_ptr<fib4> lpm;
std::vector<std::pair<prefix6, uint32_t>> routes6;
std::vector<ip6_addr> keys6;
std::unique_ptr<fib6> f6;
std::vector<ip6_addr> keys6_uniform;
std::unique_ptr<poptrie6> pt6;
rte_lpm6* lpm6 = nullptr;
rte_fib6* dfib6 = nullptr;
using k16 = uint8_t (*)[16];
inline k16 as_k16(const ip6_addr* a) { return reinterpret_cast<k16>(const_cast<ip6_addr*>(a)); }

template <typename F>
void run6(benchmark::State& st, const std::vector<ip6_addr>& keys, F&& f) {
    size_t i = 0;
    uint64_t sum = 0;
    for (auto _ : st) sum += f(keys[i++ & (keys.size() - 1)]);
    benchmark::DoNotOptimize(sum);
    st.SetItemsProcessed(int64_t(st.iterations()));
}
template <typename F>
void run6_bulk(benchmark::State& st, const std::vector<ip6_addr>& keys, F&& f) {
    size_t i = 0;
    for (auto _ : st) {
        f(&keys[(i++ * 64) & (keys.size() - 1)]);
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * 64);
}

template <typename F>
void run(benchmark::State& st, const std::vector<uint32_t>& keys, F&& f) {
    size_t i = 0;
    uint64_t sum = 0;
    for (auto _ : st) {
        sum += f(keys[i & (keys.size() - 1)]);
        ++i;
    }
    benchmark::DoNotOptimize(sum);
    st.SetItemsProcessed(int64_t(st.iterations()));
}

template <typename F>
void run_bulk(benchmark::State& st, const std::vector<uint32_t>& keys, F&& f) {
    size_t i = 0;
    uint32_t out[64];
    for (auto _ : st) {
        f(&keys[(i * 64) & (keys.size() - 1)], out);
        benchmark::DoNotOptimize(out[0]);
        ++i;
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * 64);
}
}  // namespace

int main(int argc, char** argv) {
    std::string path = "../shared/data/fulltable-prefixes.txt.gz";
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--table") path = argv[i + 1];
    drivers::eal_options o;
    o.program = "bench_fib";
    o.memory_mb = 6144;
    if (!drivers::eal_init(o)) return 1;
    {
        rcu_thread reg;
        // DPDK's IPv6 structures first: their 64 MiB tables want an unfragmented heap.
        rte_fib6_conf fc{};
        fc.type = RTE_FIB6_TRIE;
        fc.default_nh = 0x7fffffff;  // the largest a 4-byte trie nexthop may be
        fc.max_routes = 1 << 18;
        fc.trie.nh_sz = RTE_FIB6_TRIE_4B;
        fc.trie.num_tbl8 = 1u << 19;  // 2^17 refuses 66k routes of the full table
        dfib6 = rte_fib6_create("benchf6", SOCKET_ID_ANY, &fc);
        rte_lpm6_config lc{};
        lc.max_rules = 1u << 18;
        lc.number_tbl8s = 1u << 17;
        lpm6 = rte_lpm6_create("bench6", SOCKET_ID_ANY, &lc);
        if (!lpm6 || !dfib6) {
            std::fprintf(stderr, "bench_fib: rte_lpm6 %s, rte_fib6 %s: %s\n", lpm6 ? "ok" : "failed",
                         dfib6 ? "ok" : "failed", rte_strerror(rte_errno));
            return 1;
        }
        gzFile f = gzopen(path.c_str(), "rb");
        if (!f) {
            std::fprintf(stderr, "bench_fib: %s not found\n", path.c_str());
            return 1;
        }
        std::mt19937 rng(1);
        char line[128];
        while (gzgets(f, line, sizeof line)) {
            std::string s(line);
            while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
            if (s.find(':') != std::string::npos) {
                if (auto p = prefix6::parse(s)) routes6.emplace_back(*p, rng() % 256);
                continue;
            }
            if (auto p = prefix4::parse(s)) routes.emplace_back(*p, rng() % 256);
        }
        gzclose(f);
        for (size_t i = 0; i < (1u << 20); ++i) {
            keys_uniform.push_back(uint32_t(rng()));
            const auto& p = routes[rng() % routes.size()].first;
            keys_inside.push_back(p.addr.v | (p.len >= 32 ? 0 : (uint32_t(rng()) & ~ip4_mask(p.len))));
        }
        uint64_t t0 = rte_get_tsc_cycles();
        pt = std::make_unique<poptrie4>(routes);
        const double pt_s = double(rte_get_tsc_cycles() - t0) / double(rte_get_tsc_hz());
        fib4_config c;
        c.max_routes = 1u << 20;
        c.tbl8_groups = 1u << 15;
        lpm = std::move(*fib4::create("bench", c));
        t0 = rte_get_tsc_cycles();
        for (const auto& [p, nh] : routes) (void)lpm->add(p, nh);
        const double lpm_s = double(rte_get_tsc_cycles() - t0) / double(rte_get_tsc_hz());
        std::printf("routes %zu (NH=256 random)\n", routes.size());
        std::printf("poptrie4: build %.2f s, memory %.1f MiB (%zu nodes, %zu leaves)\n", pt_s,
                    double(pt->memory_bytes()) / 1048576.0, pt->nodes(), pt->leaves());
        std::printf("rte_lpm:  load %.2f s (%.0f routes/s), memory %.1f MiB (tbl24 64 MiB + %u tbl8 groups x 1 KiB + rules)\n",
                    lpm_s, double(routes.size()) / lpm_s,
                    (64.0 * 1048576 + double(c.tbl8_groups) * 1024 + double(c.max_routes) * 8) / 1048576.0,
                    c.tbl8_groups);
        for (auto* set : {&keys_uniform, &keys_inside}) {
            const std::string k = set == &keys_uniform ? "uniform" : "inside";
            benchmark::RegisterBenchmark(("poptrie4/single/" + k).c_str(), [set](benchmark::State& st) {
                run(st, *set, [](uint32_t a) { return pt->lookup(a); });
            });
            benchmark::RegisterBenchmark(("rte_lpm/single/" + k).c_str(), [set](benchmark::State& st) {
                run(st, *set, [](uint32_t a) { return lpm->lookup(ip4_addr(a)); });
            });
            benchmark::RegisterBenchmark(("poptrie4/batch64/" + k).c_str(), [set](benchmark::State& st) {
                run_bulk(st, *set, [](const uint32_t* in, uint32_t* out) { pt->lookup_bulk(in, out, 64); });
            });
            benchmark::RegisterBenchmark(("rte_lpm/batch64/" + k).c_str(), [set](benchmark::State& st) {
                run_bulk(st, *set, [](const uint32_t* in, uint32_t* out) { lpm->lookup_bulk(in, out, 64); });
            });
        }
        for (size_t i = 0; i < (1u << 20) && !routes6.empty(); ++i) {
            const auto& p = routes6[rng() % routes6.size()].first;
            ip6_addr a = p.addr;
            for (unsigned b = p.len; b < 128; ++b)
                if (rng() & 1) a.b[b / 8] = uint8_t(a.b[b / 8] | (0x80u >> (b % 8)));
            keys6.push_back(a);
        }
        f6 = std::make_unique<fib6>();
        t0 = rte_get_tsc_cycles();
        f6->assign(routes6);
        const double f6_s = double(rte_get_tsc_cycles() - t0) / double(rte_get_tsc_hz());
        std::printf("fib6 snapshot: %zu IPv6 routes, build %.3f s (every change rebuilds it)\n", routes6.size(), f6_s);
        for (size_t i = 0; i < (1u << 20); ++i) {
            ip6_addr a{};
            for (auto& b : a.b) b = uint8_t(rng());
            keys6_uniform.push_back(a);
        }
        t0 = rte_get_tsc_cycles();
        pt6 = std::make_unique<poptrie6>(routes6);
        const double pt6_s = double(rte_get_tsc_cycles() - t0) / double(rte_get_tsc_hz());
        t0 = rte_get_tsc_cycles();
        size_t lpm6_fail = 0;
        for (const auto& [p, nh] : routes6) lpm6_fail += rte_lpm6_add(lpm6, p.addr.b.data(), p.len, nh) != 0;
        const double lpm6_s = double(rte_get_tsc_cycles() - t0) / double(rte_get_tsc_hz());
        t0 = rte_get_tsc_cycles();
        size_t fib6_fail = 0;
        for (const auto& [p, nh] : routes6) fib6_fail += rte_fib6_add(dfib6, p.addr.b.data(), p.len, nh) != 0;
        const double dfib6_s = double(rte_get_tsc_cycles() - t0) / double(rte_get_tsc_hz());
        // Sanity: the three structures agree on keys inside prefixes.
        size_t disagree = 0;
        for (size_t i = 0; i < 100000; ++i) {
            const ip6_addr& a = keys6[i];
            uint64_t fnh = 0;
            rte_fib6_lookup_bulk(dfib6, as_k16(&a), &fnh, 1);
            uint32_t l = 0;
            const uint32_t lv = rte_lpm6_lookup(lpm6, a.b.data(), &l) == 0 ? l : poptrie6::miss;
            const uint32_t fv = fnh == 0x7fffffff ? poptrie6::miss : uint32_t(fnh);
            disagree += (pt6->lookup(a) != fv) + (pt6->lookup(a) != lv);
        }
        std::printf("poptrie6: build %.2f s, memory %.1f MiB (%zu nodes, %zu leaves)\n", pt6_s,
                    double(pt6->memory_bytes()) / 1048576.0, pt6->nodes(), pt6->leaves());
        std::printf("rte_lpm6: load %.2f s (%.0f routes/s, %zu refused), 2^17 tbl8s\n", lpm6_s,
                    double(routes6.size()) / lpm6_s, lpm6_fail);
        std::printf("rte_fib6 (trie, 4-byte nexthops): load %.2f s (%.0f routes/s, %zu refused)\n", dfib6_s,
                    double(routes6.size()) / dfib6_s, fib6_fail);
        std::printf("IPv6 cross-check on 100000 inside keys: %zu disagreements\n", disagree);
        for (auto* set : {&keys6_uniform, &keys6}) {
            const std::string k = set == &keys6_uniform ? "uniform" : "inside";
            benchmark::RegisterBenchmark(("poptrie6/single/" + k).c_str(), [set](benchmark::State& st) {
                run6(st, *set, [](const ip6_addr& a) { return pt6->lookup(a); });
            });
            benchmark::RegisterBenchmark(("rte_lpm6/single/" + k).c_str(), [set](benchmark::State& st) {
                run6(st, *set, [](const ip6_addr& a) {
                    uint32_t nh = 0;
                    return rte_lpm6_lookup(lpm6, a.b.data(), &nh) == 0 ? nh : 0u;
                });
            });
            benchmark::RegisterBenchmark(("rte_fib6/single/" + k).c_str(), [set](benchmark::State& st) {
                run6(st, *set, [](const ip6_addr& a) {
                    uint64_t nh = 0;
                    rte_fib6_lookup_bulk(dfib6, as_k16(&a), &nh, 1);
                    return nh;
                });
            });
            benchmark::RegisterBenchmark(("poptrie6/batch64/" + k).c_str(), [set](benchmark::State& st) {
                uint32_t out[64];
                run6_bulk(st, *set, [&](const ip6_addr* in) {
                    pt6->lookup_bulk(in, out, 64);
                    benchmark::DoNotOptimize(out[0]);
                });
            });
            benchmark::RegisterBenchmark(("rte_lpm6/batch64/" + k).c_str(), [set](benchmark::State& st) {
                int32_t out[64];
                run6_bulk(st, *set, [&](const ip6_addr* in) {
                    rte_lpm6_lookup_bulk_func(lpm6, as_k16(in), out, 64);
                    benchmark::DoNotOptimize(out[0]);
                });
            });
            benchmark::RegisterBenchmark(("rte_fib6/batch64/" + k).c_str(), [set](benchmark::State& st) {
                uint64_t out[64];
                run6_bulk(st, *set, [&](const ip6_addr* in) {
                    rte_fib6_lookup_bulk(dfib6, as_k16(in), out, 64);
                    benchmark::DoNotOptimize(out[0]);
                });
            });
        }
        benchmark::RegisterBenchmark("fib6_snapshot/single/inside", [](benchmark::State& st) {
            size_t i = 0;
            uint64_t sum = 0;
            for (auto _ : st) sum += f6->lookup(keys6[i++ & (keys6.size() - 1)]);
            benchmark::DoNotOptimize(sum);
            st.SetItemsProcessed(int64_t(st.iterations()));
        });
        benchmark::RegisterBenchmark("fib6_snapshot/batch64/inside", [](benchmark::State& st) {
            size_t i = 0;
            uint32_t out[64];
            for (auto _ : st) {
                f6->lookup_bulk(&keys6[(i++ * 64) & (keys6.size() - 1)], out, 64);
                benchmark::DoNotOptimize(out[0]);
            }
            st.SetItemsProcessed(int64_t(st.iterations()) * 64);
        });
        benchmark::Initialize(&argc, argv);
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        lpm.reset();
        pt.reset();
        f6.reset();
        pt6.reset();
        rte_lpm6_free(lpm6);
        rte_fib6_free(dfib6);
        rcu_barrier();
    }
    drivers::eal_cleanup();
    return 0;
}
