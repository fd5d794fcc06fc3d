// SPDX-License-Identifier: BSD-2-Clause
// ESP tunnel mode on one worker, in process: a generator port feeds bursts
// of 32 frames over a net_ring link into a gateway stack whose policy sends
// them into one SA (encrypt: plain in, ESP out), or whose SA opens them
// (decrypt: ESP in, plain out); the benchmark drains the other link and
// sends copies of its templates again. Inner frames of 64, 512 and 1420
// bytes and IMIX (7:4:1 of 64, 570 and 1420), AES-GCM-128 and
// AES-CBC-128 with HMAC-SHA-256-128, through the stack's cryptodev
// (crypto_aesni_mb). `plain` forwards the same frames with no policy: the
// generator's share (a copy of each template per packet) and forwarding's.
// The decrypt side's SA has no replay window (its templates repeat their
// sequence numbers); the encrypt side's counter runs on.
// Run: ./build/bench/bench_ipsec   (figures only; gates nothing)
#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_main.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/drivers/eal.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/stack/stack.hpp"
#include "mpnet/sync/rcu.hpp"

using namespace mpnet;

namespace {

enum class algo { gcm128, cbc128_sha256 };
enum class dir { plain, encrypt, decrypt };

void cmd(ctl::command_set& c, const std::string& line) {
    const ctl::reply r = c.execute(line);
    if (r.status != 0) std::fprintf(stderr, "%s: %s\n", line.c_str(), r.text.c_str());
}

std::string sa_args(algo a) {
    return a == algo::gcm128 ? "-E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213"
                             : "-E rijndael-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha256 "
                               "0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
}

// gen -> in0 [gateway] out0 -> sink. Encrypt: LAN 198.18.0.0/24 on in0,
// the far LAN 198.20.0.0/16 through the tunnel 198.19.0.1 -> 198.19.0.2
// on out0. Decrypt: ESP from 198.19.0.2 on in0 (the WAN), the LAN on out0.
struct gateway {
    std::unique_ptr<stack> r;
    std::unique_ptr<drivers::ethdev_port> gen, sink;
    rte_mempool* gen_pool = nullptr;
    ether_addr r_in{};
    std::vector<std::vector<uint8_t>> templates;  // frames the generator sends, in turn
    size_t next = 0;
    ~gateway() {
        gen.reset();
        sink.reset();
        r.reset();
        rcu_barrier();  // what the stack retired, before its memory is reused
        if (gen_pool) rte_mempool_free(gen_pool);
    }

    bool build(dir d, algo a) {
        stack_config c;
        c.name = "ipbench";
        c.forwarding = true;
        c.dad_count = 0;
        c.mbufs = 16383;
        c.send_redirects = false;
        r = std::make_unique<stack>(c);
        static int seq = 0;
        const std::string tag = std::to_string(seq++);
        gen_pool = *pktpool_create("ipb.gen" + tag, 4095);
        auto in = *drivers::ring_link("ipbin" + tag, gen_pool, r->pool(), 2);
        auto out = *drivers::ring_link("ipbout" + tag, r->pool(), gen_pool, 2);
        gen = std::move(in.first);
        sink = std::move(out.second);
        if (!r->if_attach("in0", std::move(in.second)) || !r->if_attach("out0", std::move(out.first))) return false;
        ctl::command_set cs{*r};
        const bool dec = d == dir::decrypt;
        cmd(cs, std::string("ifconfig in0 inet ") + (dec ? "198.19.0.1/24" : "198.18.0.1/24") + " up");
        cmd(cs, std::string("ifconfig out0 inet ") + (dec ? "198.18.0.1/24" : "198.19.0.1/24") + " up");
        cmd(cs, "arp -s 198.19.0.2 02:6d:70:bb:00:02");
        cmd(cs, "arp -s 198.18.0.2 02:6d:70:bb:00:03");
        cmd(cs, "route add 198.20.0.0/16 198.19.0.2");
        if (d == dir::encrypt) {
            cmd(cs, "setkey add 198.19.0.1 198.19.0.2 esp 1000 -m tunnel " + sa_args(a));
            cmd(cs, "setkey spdadd 198.18.0.0/24 198.20.0.0/16 any -P out ipsec esp/tunnel/198.19.0.1-198.19.0.2/require");
        } else if (dec) {
            cmd(cs, "setkey add 198.19.0.2 198.19.0.1 esp 2000 -m tunnel " + sa_args(a));
            cmd(cs, "setkey spdadd 198.20.0.0/16 198.18.0.0/24 any -P in ipsec esp/tunnel/198.19.0.2-198.19.0.1/require");
        }
        r_in = r->if_get("in0")->lladdr;
        return true;
    }
};

// A plain UDP frame of `size` bytes (Ethernet included, no FCS) from
// `src` to `dst`.
std::vector<uint8_t> plain_frame(const ether_addr& to, const ether_addr& from, uint32_t src, uint32_t dst,
                                 uint32_t size) {
    std::vector<uint8_t> f(size);
    ether_hdr eh{to, from, be16::of(ethertype_ip4)};
    std::memcpy(f.data(), &eh, 14);
    ip4_hdr h{};
    h.ver_ihl = 0x45;
    h.total_len.set(static_cast<uint16_t>(size - 14));
    h.ttl = 64;
    h.proto = ipproto_udp;
    h.src.set(src);
    h.dst.set(dst);
    h.cksum = in_cksum(&h, 20);
    std::memcpy(f.data() + 14, &h, 20);
    uint8_t* u = f.data() + 34;
    u[0] = 0x30, u[1] = 0x39, u[2] = 0, u[3] = 9;
    u[4] = uint8_t((size - 34) >> 8), u[5] = uint8_t(size - 34);
    return f;
}

std::vector<uint32_t> sizes_of(int64_t size) {
    if (size > 0) return {uint32_t(size)};
    return {64, 64, 64, 64, 64, 64, 64, 570, 570, 570, 570, 1420};  // IMIX 7:4:1
}

uint64_t send_burst(gateway& g) {
    mbuf* pk[32];
    for (int i = 0; i < 32; ++i) {
        const auto& t = g.templates[g.next++ % g.templates.size()];
        mbuf* m = pkt_alloc(g.gen_pool, static_cast<uint16_t>(t.size()));
        if (!m) return 0;
        std::memcpy(pkt_data(m), t.data(), t.size());
        pk[i] = m;
    }
    const uint16_t sent = g.gen->tx_burst(0, pk, 32);
    for (uint16_t i = sent; i < 32; ++i) pkt_free(pk[i]);
    return sent;
}

uint64_t drain(gateway& g, std::vector<std::vector<uint8_t>>* keep = nullptr) {
    mbuf* pk[32];
    uint64_t n = 0;
    for (uint16_t q = 0; q < 2; ++q)
        for (uint16_t k; (k = g.sink->rx_burst(q, pk, 32)) > 0;) {
            for (uint16_t i = 0; i < k; ++i) {
                if (keep) keep->emplace_back(pkt_data(pk[i]), pkt_data(pk[i]) + pkt_len(pk[i]));
                pkt_free(pk[i]);
            }
            n += k;
        }
    return n;
}

void BM_esp(benchmark::State& st, dir d, algo a) {
    const std::vector<uint32_t> sizes = sizes_of(st.range(0));
    gateway g;
    if (!g.build(d, a)) {
        st.SkipWithError("cannot build the gateway");
        return;
    }
    if (d == dir::decrypt) {
        // The ESP templates: what an encrypting gateway with the mirror SA sends.
        gateway e;
        e.build(dir::encrypt, a);
        ctl::command_set ce{*e.r};
        cmd(ce, "setkey flush");
        cmd(ce, "setkey add 198.19.0.1 198.19.0.2 esp 2000 -m tunnel " + sa_args(a));
        cmd(ce, "setkey spdadd 198.20.0.0/16 198.18.0.0/24 any -P out ipsec esp/tunnel/198.19.0.1-198.19.0.2/require");
        // From the far LAN to the near one (routed back out of in0 and into the tunnel).
        for (size_t i = 0; i < 256; ++i)
            e.templates.push_back(plain_frame(e.r_in, e.gen->mac(), ip4_addr::of(198, 20, 0, 1).v + uint32_t(i),
                                              ip4_addr::of(198, 18, 0, 2).v, sizes[i % sizes.size()]));
        std::vector<std::vector<uint8_t>> esp;
        for (int round = 0; round < 8; ++round) {
            send_burst(e);
            e.r->poll_worker(0);
            drain(e, &esp);
        }
        // The ESP came from 198.19.0.1 to .2; the decrypting gateway is .1
        // on its WAN: swap the outer addresses' roles by rebuilding the
        // outer header (its checksum too) and the Ethernet addresses.
        std::erase_if(esp, [](const std::vector<uint8_t>& f) {  // what else e sent (ND, MLD)
            return f.size() < 34 || f[12] != 0x08 || f[13] != 0 || f[14 + 9] != ipproto_esp;
        });
        for (auto& f : esp) {
            ether_hdr eh{g.r_in, g.gen->mac(), be16::of(ethertype_ip4)};
            std::memcpy(f.data(), &eh, 14);
            auto* h = reinterpret_cast<ip4_hdr*>(f.data() + 14);
            h->src.set(ip4_addr::of(198, 19, 0, 2).v);
            h->dst.set(ip4_addr::of(198, 19, 0, 1).v);
            h->cksum = 0;
            h->cksum = in_cksum(h, 20);
        }
        g.templates = std::move(esp);
        if (g.templates.empty()) {
            st.SkipWithError("no ESP templates");
            return;
        }
    } else {
        for (size_t i = 0; i < 256; ++i)
            g.templates.push_back(plain_frame(g.r_in, g.gen->mac(), ip4_addr::of(198, 18, 0, 2).v,
                                              ip4_addr::of(198, 20, 0, 1).v + uint32_t(i), sizes[i % sizes.size()]));
    }
    // One burst through first (ARP entries are static; this warms the caches).
    send_burst(g);
    g.r->poll_worker(0);
    drain(g);
    uint64_t out = 0, in = 0;
    const uint64_t c0 = rte_get_tsc_cycles();
    for (auto _ : st) {
        in += send_burst(g);
        g.r->poll_worker(0);
        out += drain(g);
    }
    const uint64_t cycles = rte_get_tsc_cycles() - c0;
    st.SetItemsProcessed(int64_t(out));
    st.counters["cycles_per_pkt"] = out ? double(cycles) / double(out) : 0;
    st.counters["out_ratio"] = in ? double(out) / double(in) : 0;
}

void register_all() {
    for (dir d : {dir::plain, dir::encrypt, dir::decrypt})
        for (algo a : {algo::gcm128, algo::cbc128_sha256}) {
            if (d == dir::plain && a != algo::gcm128) continue;
            const std::string name = std::string("esp/") +
                                     (d == dir::plain ? "plain" : d == dir::encrypt ? "encrypt" : "decrypt") +
                                     (d == dir::plain ? "" : a == algo::gcm128 ? "/aes-gcm-128" : "/aes-cbc-128-sha256");
            auto* b = benchmark::RegisterBenchmark(name.c_str(), [d, a](benchmark::State& st) { BM_esp(st, d, a); });
            b->ArgName("frame")->Arg(64)->Arg(512)->Arg(1420)->Arg(0);  // 0: IMIX
        }
}

}  // namespace

int main(int argc, char** argv) { return mpnet::bench::run_main(argc, argv, "bench_ipsec", 2048, register_all); }
