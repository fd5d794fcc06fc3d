// SPDX-License-Identifier: BSD-2-Clause
// Data-path micro-benchmarks: header validation, neighbor lookup, and the
// whole host pipeline (Ethernet -> IPv4 -> ICMP echo -> neighbor -> TX) on a
// stack instance driven in stepped mode over a net_ring link.
// Run: ./build/bench/bench_datapath  (reports figures; gates nothing)
#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <cstring>
#include <vector>

#include "mpnet/core/checksum.hpp"
#include "mpnet/drivers/eal.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/netif/lltable.hpp"
#include "mpnet/stack/stack.hpp"
#include "mpnet/tunnel/encap.hpp"

using namespace mpnet;

static void BM_ip4_validate(benchmark::State& st) {
    static rte_mempool* mp = *pktpool_create("bm_ip4", 1023);
    mbuf* m = icmp_echo_build(mp, *ip4_addr::parse("198.18.0.1"), *ip4_addr::parse("198.18.0.2"), 1, 1, 56, 64);
    drop_reason why;
    for (auto _ : st) benchmark::DoNotOptimize(ip4_validate(m, &why));
    pkt_free(m);
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_ip4_validate);

static void BM_lltable_lookup(benchmark::State& st) {
    lltable t(static_cast<size_t>(st.range(0)));
    for (int64_t i = 0; i < st.range(0); ++i) (void)t.create(llkey::v4(ip4_addr(0xc6120000u + uint32_t(i))));
    uint32_t i = 0;
    for (auto _ : st) {
        benchmark::DoNotOptimize(t.lookup(llkey::v4(ip4_addr(0xc6120000u + (i++ % uint32_t(st.range(0)))))));
        if ((i & 1023) == 0) rcu_quiescent();
    }
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_lltable_lookup)->Arg(16)->Arg(1024)->Arg(4096);

// The encapsulation table's lookup for received tunnel traffic: N tunnels
// (IPv4 peers in 198.19/16 and beyond, one local address), keys of random
// tunnels in a random order, so a large table pays its cache misses. One key
// at a time (the control plane's way), and bursts of 32 (the workers').
struct encap_bench {
    encap_table t;
    std::vector<encap_key> keys;
    explicit encap_bench(uint32_t n) : t(n) {
        auto key = [](uint32_t i) {
            return encap_key::v4(0, ip4_addr::of(198, 18, 0, 1), ip4_addr(ip4_addr::of(198, 19, 0, 0).v + i));
        };
        for (uint32_t i = 0; i < n; ++i) (void)t.add(key(i), 1, i);
        uint32_t x = 12345;
        for (int i = 0; i < 65536; ++i) {
            x = x * 1664525u + 1013904223u;
            keys.push_back(key(x % n));
        }
    }
};

static void BM_encap_lookup(benchmark::State& st) {
    encap_bench b(static_cast<uint32_t>(st.range(0)));
    uint32_t i = 0;
    uint64_t found = 0;
    for (auto _ : st) {
        const encap_hit e = b.t.lookup(b.keys[i++ & 65535]);
        found += bool(e);
        benchmark::DoNotOptimize(e);
        if ((i & 1023) == 0) rcu_quiescent();
    }
    st.SetItemsProcessed(st.iterations());
    st.counters["found_ratio"] = double(found) / double(st.iterations());
}
BENCHMARK(BM_encap_lookup)->Arg(1)->Arg(1000)->Arg(100000);

static void BM_encap_lookup_burst32(benchmark::State& st) {
    encap_bench b(static_cast<uint32_t>(st.range(0)));
    uint32_t i = 0;
    uint64_t found = 0;
    encap_hit out[32];
    for (auto _ : st) {
        b.t.lookup_bulk(&b.keys[i & 65535], 32, out);
        i += 32;
        for (const encap_hit& e : out) found += bool(e);
        benchmark::DoNotOptimize(out);
        if ((i & 1023) == 0) rcu_quiescent();
    }
    st.SetItemsProcessed(st.iterations() * 32);
    st.counters["found_ratio"] = double(found) / double(st.iterations() * 32);
}
BENCHMARK(BM_encap_lookup_burst32)->Arg(1)->Arg(1000)->Arg(100000);

// One stack answers echo requests that arrive on a net_ring link in bursts of
// 32; the benchmark's own end plays the peer, refilling and draining the wire.
static void BM_stack_echo_pipeline(benchmark::State& st) {
    stack_config c;
    c.name = "bm";
    c.mbufs = 8191;
    c.dad_count = 0;
    stack s(c);
    static rte_mempool* peer_pool = *pktpool_create("bm_peer", 8191);
    auto link = *drivers::ring_link("bm", s.pool(), peer_pool, 2);
    auto peer = std::move(link.second);
    (void)s.if_attach("ring0", std::move(link.first));
    (void)s.addr_add("ring0", *ip4_addr::parse("198.18.0.1"), 24);
    (void)s.if_up("ring0");
    const ether_addr peer_mac = peer->mac();
    (void)s.arp_add(*ip4_addr::parse("198.18.0.2"), peer_mac);
    const ether_addr own = s.if_get("ring0")->lladdr;
    mbuf* in[32];
    mbuf* out[64];
    uint64_t answered = 0;
    for (auto _ : st) {
        for (auto& m : in) {
            m = icmp_echo_build(peer_pool, *ip4_addr::parse("198.18.0.2"), *ip4_addr::parse("198.18.0.1"), 9, 1, 18,
                                64);
            auto* eh = reinterpret_cast<ether_hdr*>(rte_pktmbuf_prepend(m, sizeof(ether_hdr)));
            *eh = ether_hdr{own, peer_mac, be16::of(ethertype_ip4)};
        }
        uint16_t sent = peer->tx_burst(0, in, 32);
        for (uint16_t k = sent; k < 32; ++k) pkt_free(in[k]);
        s.poll_worker(0);
        uint16_t n;
        while ((n = peer->rx_burst(0, out, 64)) > 0) {
            answered += n;
            for (uint16_t k = 0; k < n; ++k) pkt_free(out[k]);
        }
    }
    st.SetItemsProcessed(int64_t(answered));
    st.counters["answered_per_burst"] = double(answered) / double(st.iterations());
}
BENCHMARK(BM_stack_echo_pipeline);

int main(int argc, char** argv) { return mpnet::bench::run_main(argc, argv, "bench_datapath", 0); }
