// SPDX-License-Identifier: BSD-2-Clause
// Multi-queue forwarding on worker threads: 1 or 2 workers (each owning one
// RX queue) forward 64-byte UDP frames of 16 flows from a generator thread
// to a sink thread over net_ring links, with the router's out port given 1,
// L or 2L TX queues for L = workers + 1 lcores (the TX regimes: shared soft
// queue, one per lcore, spread by flow). Workers run adaptive (the daemon's
// default; --poll for always-poll).
// bridged=1 switches the same frames through bridge0 instead (in0 and out0
// its members, one static FDB entry per flow's destination MAC, the
// generator's MAC learned): the VPP-1947 question, whether a bridge slows
// down as workers are added (mpnet's hit path writes nothing shared).
// On a 2-vCPU machine the generator, the sink and the workers share two
// CPUs: the figures are for comparing regimes on one machine, not a ceiling.
// Run: ./build/bench/bench_mq [--poll]   (figures only; gates nothing)
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "mpnet/drivers/eal.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/modules/bridge.hpp"
#include "mpnet/stack/stack.hpp"
#include "mpnet/sync/rcu.hpp"

#include <fmt/format.h>

using namespace mpnet;

namespace {

constexpr unsigned flows = 16;
constexpr uint64_t packets = 2'000'000;

ip4_addr dst_of(unsigned f) { return ip4_addr::of(198, 18, 20, static_cast<uint8_t>(10 + f)); }
// Bridged: each flow's destination station, behind out0.
ether_addr station_of(unsigned f) { return ether_addr{{0x02, 0x6d, 0x70, 0xdd, 0x00, static_cast<uint8_t>(f)}}; }

lcore_mode mode_arg = lcore_mode::adaptive;

void BM_forward_mq(benchmark::State& state) {
    const unsigned workers = static_cast<unsigned>(state.range(0));
    const unsigned lcores = workers + 1;
    const uint16_t txq = static_cast<uint16_t>(state.range(1) == 0 ? 1 : state.range(1) == 1 ? lcores : 2 * lcores);
    const bool bridged = state.range(2) != 0;
    static unsigned seq = 0;
    const unsigned n = seq++;
    stack_config c;
    c.name = "bmq";
    c.workers = workers;
    c.dad_count = c.dad6_count = 0;
    c.forwarding = true;
    c.mbufs = 1023;
    c.worker_mode = mode_arg;
    auto r = std::make_unique<stack>(c);
    rte_mempool* gpool = *pktpool_create("bmq.g" + std::to_string(n), 16383);
    rte_mempool* spool = *pktpool_create("bmq.s" + std::to_string(n), 1023);
    drivers::ring_link_opts in;
    in.a_rxq = 1;
    in.a_txq = static_cast<uint16_t>(workers);
    in.b_rxq = static_cast<uint16_t>(workers);
    in.b_txq = static_cast<uint16_t>(lcores);
    drivers::ring_link_opts out;
    out.a_rxq = 1;
    out.a_txq = txq;
    out.b_rxq = 1;
    out.b_txq = 1;
    out.ring_size = 4096;
    auto li = *drivers::ring_link("bmqin", gpool, r->pool(), in);
    auto lo = *drivers::ring_link("bmqout", r->pool(), spool, out);
    auto gen = std::move(li.first);
    auto sink = std::move(lo.second);
    (void)r->if_attach("in0", std::move(li.second));
    (void)r->if_attach("out0", std::move(lo.first));
    (void)r->if_up("in0");
    (void)r->if_up("out0");
    if (bridged) {
        if (!r->if_create("bridge0") || !r->if_up("bridge0") || !bridge::add(*r, "bridge0", "in0") ||
            !bridge::add(*r, "bridge0", "out0"))
            return state.SkipWithError("bridge set-up failed");
        for (unsigned f = 0; f < flows; ++f) (void)bridge::static_add(*r, "bridge0", "out0", station_of(f));
    } else {
        (void)r->addr_add("in0", ip4_addr::of(198, 18, 1, 254), 24);
        (void)r->addr_add("out0", ip4_addr::of(198, 18, 20, 254), 24);
        for (unsigned f = 0; f < flows; ++f) (void)r->arp_add(dst_of(f), sink->mac());
    }
    const ether_addr r_in = r->if_get("in0")->lladdr;
    // Frames are built once and copied into fresh mbufs (the router rewrites them).
    std::vector<mbuf*> tmpl(flows);
    for (unsigned f = 0; f < flows; ++f) {
        mbuf* m = pkt_alloc(gpool, 26);
        std::memset(pkt_data(m), 0, 26);
        uint8_t* p = pkt_data(m);
        p[0] = 0x13, p[1] = static_cast<uint8_t>(f), p[3] = 9, p[5] = 26;
        ip4_encap(m, ip4_addr::of(198, 18, 1, 1), dst_of(f), ipproto_udp, 64, 0);
        ether_encap(m, bridged ? station_of(f) : r_in, gen->mac(), ethertype_ip4);
        tmpl[f] = m;
    }
    (void)r->start();
    double mpps = 0;
    for (auto _ : state) {
        std::atomic<uint64_t> got{0};
        std::atomic<bool> stop{false};
        std::thread sk([&] {
            lcore_register_thread();
            mbuf* b[64];
            while (!stop.load(std::memory_order_relaxed)) {
                const uint16_t k = sink->rx_burst(0, b, 64);
                for (uint16_t i = 0; i < k; ++i) pkt_free(b[i]);
                if (k)
                    got.fetch_add(k, std::memory_order_relaxed);
                else
                    std::this_thread::yield();
            }
            lcore_unregister_thread();
        });
        const auto t0 = std::chrono::steady_clock::now();
        std::thread g([&] {
            lcore_register_thread();
            mbuf* b[32];
            uint64_t sent = 0;
            for (unsigned burst = 0; sent < packets; ++burst) {
                const uint16_t q = static_cast<uint16_t>(burst % workers);
                // Flows f with f % workers == q go to RX queue q, as RSS would.
                uint16_t k = 0;
                for (unsigned f = q; k < 32; f = (f + workers) % flows) {
                    mbuf* m = pkt_alloc(gpool, static_cast<uint16_t>(pkt_len(tmpl[f])));
                    if (!m) break;  // all in flight: send what we have
                    std::memcpy(pkt_data(m), pkt_data(tmpl[f]), pkt_len(tmpl[f]));
                    b[k++] = m;
                }
                uint16_t done = 0;
                while (done < k) {
                    done = static_cast<uint16_t>(done + gen->tx_burst(q, b + done, k - done));
                    if (done < k) std::this_thread::yield();  // ring full: let a worker run
                }
                sent += k;
            }
            lcore_unregister_thread();
        });
        g.join();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        // What the router dropped never arrives: stop when the count settles.
        uint64_t last = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            const uint64_t now = got.load();
            if (now >= packets || now == last) break;
            last = now;
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        stop.store(true);
        sk.join();
        mpps = static_cast<double>(got.load()) / s / 1e6;
        state.SetIterationTime(s);
        state.counters["Mpps"] = mpps;
        state.counters["delivered_%"] = 100.0 * static_cast<double>(got.load()) / packets;
    }
    std::string regime;
    for (auto& e : r->txq_list())
        if (e.ifname == "out0") regime = e.regime;
    uint64_t contended = 0, softq = 0;
    for (auto& e : r->txq_list())
        if (e.ifname == "out0") contended += e.q.contended, softq += e.q.softq_drops;
    state.counters["tx_ring_full"] = static_cast<double>(r->drops(drop_reason::tx_ring_full));
    state.counters["softq_drops"] = static_cast<double>(softq);
    state.counters["contended"] = static_cast<double>(contended);
    if (bridged) {
        const auto b = *bridge::get(*r, "bridge0");
        state.counters["fdb"] = static_cast<double>(b.fdb.size());
    }
    state.SetLabel(fmt::format("{}workers={} txq={} ({})", bridged ? "bridged " : "", workers, txq, regime));
    r->stop();
    r.reset();
    gen.reset();
    sink.reset();
    for (auto* m : tmpl) pkt_free(m);
    pktpool_free(gpool);
    pktpool_free(spool);
}

}  // namespace

BENCHMARK(BM_forward_mq)
    ->ArgsProduct({{1, 2}, {0, 1, 2}, {0}})
    ->Args({1, 1, 1})
    ->Args({2, 1, 1})
    ->ArgNames({"workers", "txq", "bridged"})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "--poll") mode_arg = lcore_mode::poll;
    drivers::eal_options eo;
    eo.program = "bench_mq";
    eo.memory_mb = 2048;
    if (!drivers::eal_init(eo)) return 1;
    rcu_thread reg;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
