// SPDX-License-Identifier: BSD-2-Clause
// mpgen's pure parts: histogram, sequence window, parsers, flow expansion,
// frames (checked with DPDK's own checksum verifiers), ARP/ND answers and
// the RFC 2544 searches against simulated devices.
#include <gtest/gtest.h>
#define ALLOW_EXPERIMENTAL_API 1
#include <rte_ip.h>

#include <cstring>
#include <random>

#include "mpnet/gen/config.hpp"
#include "mpnet/gen/impair.hpp"
#include "mpnet/gen/packet.hpp"
#include "mpnet/gen/rfc2544.hpp"
#include "mpnet/gen/stats.hpp"

using namespace mpnet;
using namespace mpnet::gen;

TEST(gen_histogram, BucketsCoverEveryValueOnce) {
    using H = log_histogram<5, 40>;
    for (uint64_t v : {0ull, 1ull, 31ull, 32ull, 33ull, 63ull, 64ull, 1000ull, 123456789ull, (1ull << 39) + 5}) {
        const unsigned i = H::index(v);
        EXPECT_LE(H::lower(i), v) << v;
        EXPECT_GE(H::upper(i), v) << v;
        EXPECT_LE(double(H::upper(i) - H::lower(i)), double(H::lower(i)) / 32 + 1) << v;
    }
    for (unsigned i = 1; i < H::buckets; ++i) EXPECT_EQ(H::lower(i), H::upper(i - 1) + 1) << i;
}

TEST(gen_histogram, PercentilesOfAKnownDistribution) {
    auto h = std::make_unique<port_histogram>();
    h->reset();
    EXPECT_EQ(h->percentile(0.5), 0u);
    for (uint64_t v = 1; v <= 100000; ++v) h->record(v);
    EXPECT_EQ(h->count(), 100000u);
    EXPECT_EQ(h->min(), 1u);
    EXPECT_EQ(h->max(), 100000u);
    EXPECT_DOUBLE_EQ(h->mean(), 50000.5);
    auto near = [](double got, double want) { return std::abs(got - want) <= want / 32 + 1; };
    EXPECT_TRUE(near(double(h->percentile(0.5)), 50000)) << h->percentile(0.5);
    EXPECT_TRUE(near(double(h->percentile(0.99)), 99000)) << h->percentile(0.99);
    EXPECT_TRUE(near(double(h->percentile(0.999)), 99900)) << h->percentile(0.999);
    EXPECT_EQ(h->percentile(1.0), 100000u);
    EXPECT_LE(h->percentile(0.5), h->percentile(0.99));
    // A single outlier moves max and p100, not p99.
    h->record(10000000);
    EXPECT_EQ(h->max(), 10000000u);
    EXPECT_TRUE(near(double(h->percentile(0.99)), 99000));
}

TEST(gen_seq, InOrderStreamHasNothingToReport) {
    seq_window<4096> w;
    w.reset(0);
    for (uint64_t s = 0; s < 10000; ++s) EXPECT_EQ(w.on(s), seq_window<4096>::verdict::in_order);
    auto c = w.counts();
    EXPECT_EQ(c.received, 10000u);
    EXPECT_EQ(c.unique(), 10000u);
    EXPECT_EQ(c.duplicate + c.reorder + c.gaps + c.lost_aged + c.out_of_range + c.stale, 0u);
}

TEST(gen_seq, DropDupReorderAreCountedExactly) {
    seq_window<4096> w;
    w.reset(1000);
    std::vector<uint64_t> s;
    for (uint64_t i = 1000; i < 20000; ++i) {
        if (i == 1500 || i == 9000) continue;  // dropped
        if (i == 3000) {                        // 3000 arrives after 3001
            s.push_back(3001);
            s.push_back(3000);
            ++i;
            continue;
        }
        s.push_back(i);
        if (i == 4000) s.push_back(4000);  // duplicate
    }
    s.push_back(17);  // sent before the clear
    for (auto x : s) w.on(x);
    auto c = w.counts();
    EXPECT_EQ(c.duplicate, 1u);
    EXPECT_EQ(c.reorder, 1u);
    EXPECT_EQ(c.gaps, 3u);  // 1500, 9000, and 3001 skipping 3000
    EXPECT_EQ(c.stale, 1u);
    EXPECT_EQ(c.out_of_range, 0u);
    EXPECT_EQ(19000u - c.unique(), 2u);  // sent - unique = dropped
    EXPECT_EQ(c.lost_aged, 2u);  // both holes have left the 4096 window
}

TEST(gen_seq, LateArrivalsAndLongGaps) {
    seq_window<128> w;
    w.reset(0);
    w.on(0);
    w.on(1000);  // 999 missing, far beyond the window
    auto c = w.counts();
    EXPECT_EQ(c.lost_aged, 999u - 127u);  // 1..999 missing; 873..999 are still in the window
    EXPECT_EQ(w.on(999), seq_window<128>::verdict::reorder);
    EXPECT_EQ(w.on(999), seq_window<128>::verdict::duplicate);
    EXPECT_EQ(w.on(5), seq_window<128>::verdict::out_of_range);
    c = w.counts();
    EXPECT_EQ(c.received, 5u);
    EXPECT_EQ(c.unique(), 3u);
}

TEST(gen_parse, Rates) {
    auto pps = [](const char* s) {
        auto r = parse_rate(s);
        EXPECT_TRUE(r) << s << ": " << r.error;
        return r ? r->pps(10000000000ULL, 64, false) : -1;
    };
    EXPECT_DOUBLE_EQ(pps("1000"), 1000);
    EXPECT_DOUBLE_EQ(pps("250kpps"), 250000);
    EXPECT_DOUBLE_EQ(pps("1.5Mpps"), 1500000);
    EXPECT_DOUBLE_EQ(pps("512Mbps"), 1000000);  // 64-byte frames, L2
    EXPECT_NEAR(pps("100%"), 14880952.38, 0.01);
    EXPECT_NEAR(pps("50%"), 7440476.19, 0.01);
    auto l1 = parse_rate("672Mbps");
    EXPECT_DOUBLE_EQ(l1->pps(10000000000ULL, 64, true), 1000000);
    for (const char* bad : {"", "fast", "-5", "0", "0pps", "101%", "1e9", "10 Mbps", "5Xpps", "%", "1..2"}) {
        auto r = parse_rate(bad);
        EXPECT_FALSE(r) << bad;
        EXPECT_NE(r.error.find("rate"), std::string::npos) << r.error;
    }
    EXPECT_EQ(*parse_link_speed("10G"), 10000000000ULL);
    EXPECT_EQ(*parse_link_speed("100M"), 100000000ULL);
    EXPECT_FALSE(parse_link_speed("fast"));
    EXPECT_NEAR(line_rate_pps(1000000000ULL, 1518), 81274.38, 0.01);
}

TEST(gen_parse, SizesAndMixes) {
    auto m = parse_sizes("imix");
    ASSERT_TRUE(m) << m.error;
    EXPECT_EQ(m->pattern.size(), 12u);
    EXPECT_EQ(std::count(m->pattern.begin(), m->pattern.end(), 64), 7);
    EXPECT_EQ(std::count(m->pattern.begin(), m->pattern.end(), 1518), 1);
    EXPECT_NEAR(m->mean(), (64.0 * 7 + 570 * 4 + 1518) / 12, 1e-9);
    // Smooth: no two 1518s and at most two 64s in a row... the 570s are spread.
    for (size_t i = 0; i + 1 < m->pattern.size(); ++i) EXPECT_FALSE(m->pattern[i] == 570 && m->pattern[i + 1] == 570);
    auto e = parse_sizes("64,1518");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->pattern, (std::vector<uint16_t>{64, 1518}));
    for (const char* bad : {"", "63", "1519", "64:0", "abc", "64,,128", "64:2000", "64:x"}) EXPECT_FALSE(parse_sizes(bad)) << bad;
    EXPECT_NE(parse_sizes("1519").error.find("64..1518"), std::string::npos);
}

TEST(gen_parse, RangesAndFlowExpansion) {
    auto s = parse_addr_range("198.18.0.1-198.18.0.4");
    auto d = parse_addr_range("198.19.0.1-198.19.0.2");
    auto sp = parse_port_range("1000-1002");
    auto dp = parse_port_range("9");
    ASSERT_TRUE(s && d && sp && dp);
    auto f = expand_flows(*s, *d, *sp, *dp);
    ASSERT_TRUE(f) << f.error;
    ASSERT_EQ(f->size(), 12u);  // lcm(4, 2, 3, 1)
    EXPECT_EQ((*f)[5].str(), "198.18.0.2:1002 > 198.19.0.2:9");
    EXPECT_FALSE(parse_addr_range("198.18.0.9-198.18.0.1"));
    EXPECT_FALSE(parse_addr_range("198.18.0.1-2001:db8::1"));
    EXPECT_FALSE(parse_port_range("70000"));
    EXPECT_FALSE(parse_port_range("9-8"));
    auto big = expand_flows(*parse_addr_range("198.18.0.0-198.19.255.255"), *parse_addr_range("198.19.0.1"),
                            *parse_port_range("1-11"), *parse_port_range("9"));
    EXPECT_FALSE(big);
    EXPECT_NE(big.error.find("limit"), std::string::npos);
    auto v6 = parse_addr_range("2001:db8::1-2001:db8::3");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->v6);
    EXPECT_EQ(v6->count(), 3u);
}

TEST(gen_parse, FlowListsAndTheirErrors) {
    auto f = parse_flow_list("# test\n198.18.0.1:9\t198.19.0.1:9\n198.18.0.2-198.18.0.3:10-11, 198.19.0.5:9 # two\n\n",
                             "flows.txt");
    ASSERT_TRUE(f) << f.error;
    ASSERT_EQ(f->size(), 3u);
    EXPECT_EQ((*f)[2].str(), "198.18.0.3:11 > 198.19.0.5:9");
    auto f6 = parse_flow_list("[2001:db8::1]:9 [2001:db8:1::1-2001:db8:1::2]:7\n", "f6");
    ASSERT_TRUE(f6) << f6.error;
    EXPECT_EQ(f6->size(), 2u);
    EXPECT_TRUE((*f6)[0].v6);
    struct {
        const char* text;
        const char* error;
    } bad[] = {
        {"198.18.0.1\n", "x:1: expected 'SOURCE DESTINATION'"},
        {"\n198.18.0.1 banana\n", "x:2: address range 'banana'"},
        {"198.18.0.1:99999 198.19.0.1\n", "x:1: port range '99999'"},
        {"198.18.0.1 2001:db8::1\n", "write IPv6 addresses in brackets"},
        {"198.18.0.1 [2001:db8::1]\n", "x:1: source and destination are of different families"},
        {"[2001:db8::1 [2001:db8::2]\n", "x:1: '[2001:db8::1': missing ']'"},
        {"198.18.0.1 198.19.0.1 198.19.0.2\n", "x:1: expected 'SOURCE DESTINATION'"},
        {"# nothing\n", "x:1: no flows in the list"},
        {"198.18.0.1 198.19.0.1\n[2001:db8::1] [2001:db8::2]\n", "x:2: all flows of a list are of one family"},
    };
    for (auto& b : bad) {
        auto r = parse_flow_list(b.text, "x");
        EXPECT_FALSE(r) << b.text;
        EXPECT_NE(r.error.find(b.error), std::string::npos) << r.error;
    }
}

namespace {
bool checksums_ok(const uint8_t* p, uint32_t len, bool v6, uint16_t vlan) {
    if (len < 14u + (vlan ? 4u : 0u) + (v6 ? 40u : 20u)) return false;
    const uint32_t l3 = 14 + (vlan ? 4 : 0);
    if (v6) {
        auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(p + l3);
        return rte_ipv6_udptcp_cksum_verify(ip, p + l3 + 40) == 0;
    }
    auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + l3);
    if (rte_raw_cksum(ip, 20) != 0xffff) return false;  // a valid header sums to all ones
    return rte_ipv4_udptcp_cksum_verify(ip, p + l3 + 20) == 0;
}
}  // namespace

TEST(gen_frame, EveryShapeAndSizeBuildsValidFrames) {
    ether_addr a{{2, 0, 0, 0, 0, 1}}, b{{2, 0, 0, 0, 0, 2}};
    for (bool v6 : {false, true})
        for (bool tcp : {false, true})
            for (uint16_t vlan : {uint16_t(0), uint16_t(100)}) {
                auto src = *parse_addr_range(v6 ? "2001:db8::1-2001:db8::3" : "198.18.0.1-198.18.0.3");
                auto dst = *parse_addr_range(v6 ? "2001:db8:1::1" : "198.19.0.1");
                auto fl = expand_flows(src, dst, *parse_port_range("1000-1001"), *parse_port_range("9"));
                frame_spec fs{a, b, vlan, tcp, 64, 0x42};
                frame_factory ff(fs, *fl);
                EXPECT_EQ(ff.flows(), 6u);
                std::vector<uint8_t> buf(2048);
                for (uint32_t frame = ff.min_frame(); frame <= 1518; frame += (frame < 200 ? 1 : 97)) {
                    for (uint64_t seq : {0ull, 5ull, 0x123456789abcull}) {
                        const uint64_t tsc = 0xfedcba9876543ull + seq;
                        const uint32_t len = ff.build(buf.data(), frame, seq, tsc);
                        ASSERT_EQ(len, frame - 4);
                        ASSERT_TRUE(checksums_ok(buf.data(), len, v6, vlan))
                            << "v6 " << v6 << " tcp " << tcp << " vlan " << vlan << " frame " << frame << " seq " << seq;
                        rx_frame f = parse_frame(buf.data(), len);
                        ASSERT_EQ(f.kind, rx_kind::test);
                        EXPECT_EQ(f.vlan, vlan);
                        EXPECT_EQ(f.t.seq, seq);
                        EXPECT_EQ(f.t.flow, seq % 6);
                        EXPECT_EQ(f.t.magic, 0x42);
                        EXPECT_EQ(f.t.tsc48, tsc & 0xffffffffffffULL);
                    }
                }
                // Below the minimum the frame cannot hold headers and trailer.
                EXPECT_GE(ff.min_frame(), 64u);
            }
    EXPECT_EQ(min_frame_for(false, false, false), 64u);
    EXPECT_EQ(min_frame_for(true, false, false), 84u);
    EXPECT_EQ(min_frame_for(true, true, true), 100u);  // 14 + 4 + 40 + 20 + 18 + 4
}

TEST(gen_frame, TruncatedAndForeignFramesAreOther) {
    ether_addr a{{2, 0, 0, 0, 0, 1}}, b{{2, 0, 0, 0, 0, 2}};
    auto fl = expand_flows(*parse_addr_range("198.18.0.1"), *parse_addr_range("198.19.0.1"), {}, {});
    frame_factory ff({a, b, 0, false, 64, 1}, *fl);
    std::vector<uint8_t> buf(128);
    const uint32_t len = ff.build(buf.data(), 64, 7, 1);
    for (uint32_t l = 0; l < len; ++l) EXPECT_NE(parse_frame(buf.data(), l).kind, rx_kind::test) << l;
    std::mt19937 rng(1);
    for (int i = 0; i < 20000; ++i) {  // random bytes never read outside the frame (ASan checks)
        std::vector<uint8_t> junk(rng() % 128);
        for (auto& x : junk) x = uint8_t(rng());
        if (junk.size() > 13 && i % 2) junk[12] = 0x08, junk[13] = 0x00;
        parse_frame(junk.data(), uint32_t(junk.size()));
    }
}

// A test frame that a device encapsulated: gif (IPv4 or IPv6 in IPv4, IPv4
// in IPv6), L2TPv3 over IP (session id and the inner Ethernet frame) and
// VXLAN (UDP 4789) are all mpgen's, with the trailer they were sent with; a
// tunnel packet too short to hold a frame and a trailer is not.
TEST(gen_frame, FramesInsideTunnelsAreFound) {
    ether_addr a{{2, 0, 0, 0, 0, 1}}, b{{2, 0, 0, 0, 0, 2}};
    auto fl = expand_flows(*parse_addr_range("198.18.0.1"), *parse_addr_range("198.19.0.1"), {}, {});
    frame_factory ff({a, b, 0, false, 64, 0x5c}, *fl);
    std::vector<uint8_t> inner(256);
    const uint32_t len = ff.build(inner.data(), 128, 77, 0x123456);
    // outer: 14 + outer IP + tunnel header, then the inner frame from its L3
    // (gif) or from its Ethernet header (L2TPv3, VXLAN).
    auto wrap = [&](bool v6, uint8_t proto, std::vector<uint8_t> shim, bool l2) {
        std::vector<uint8_t> out(14 + (v6 ? 40 : 20));
        std::memcpy(out.data(), inner.data(), 12);
        out[12] = v6 ? 0x86 : 0x08;
        out[13] = v6 ? 0xdd : 0x00;
        out.insert(out.end(), shim.begin(), shim.end());
        out.insert(out.end(), inner.begin() + (l2 ? 0 : 14), inner.begin() + len);
        const uint32_t pl = uint32_t(out.size()) - 14 - (v6 ? 40 : 20);
        uint8_t* ip = out.data() + 14;
        if (v6) {
            ip[0] = 0x60;
            ip[4] = uint8_t(pl >> 8);
            ip[5] = uint8_t(pl);
            ip[6] = proto;
            ip[7] = 64;
        } else {
            ip[0] = 0x45;
            ip[2] = uint8_t((pl + 20) >> 8);
            ip[3] = uint8_t(pl + 20);
            ip[8] = 64;
            ip[9] = proto;
        }
        if (proto == 17) {  // the UDP length
            out[14 + (v6 ? 40 : 20) + 4] = uint8_t(pl >> 8);
            out[14 + (v6 ? 40 : 20) + 5] = uint8_t(pl);
        }
        return out;
    };
    const std::vector<uint8_t> vxlan = {0xc0, 0x01, 0x12, 0xb5, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 42, 0};
    for (auto& [name, frame] : std::vector<std::pair<const char*, std::vector<uint8_t>>>{
             {"gif ip4/ip4", wrap(false, 4, {}, false)},
             {"gif ip4/ip6", wrap(true, 4, {}, false)},
             {"l2tp over ip", wrap(false, 115, {0, 0, 0, 7}, true)},
             {"l2tp over ip6 with a cookie", wrap(true, 115, {0, 0, 0, 7, 1, 2, 3, 4}, true)},
             {"vxlan", wrap(false, 17, vxlan, true)}}) {
        rx_frame f = parse_frame(frame.data(), uint32_t(frame.size()));
        ASSERT_EQ(f.kind, rx_kind::test) << name;
        EXPECT_EQ(f.t.seq, 77u) << name;
        EXPECT_EQ(f.t.magic, 0x5c) << name;
        EXPECT_EQ(f.t.tsc48, 0x123456u) << name;
    }
    // Cut to less than an inner IPv4/UDP header and a trailer (the outer
    // length saying so): not a test frame.
    std::vector<uint8_t> cut = wrap(false, 4, {}, false);
    cut.resize(14 + 20 + 28 + trailer_len - 1);
    cut[16] = 0;
    cut[17] = uint8_t(cut.size() - 14);
    EXPECT_NE(parse_frame(cut.data(), uint32_t(cut.size())).kind, rx_kind::test);
    // Another protocol (GRE) is not taken for a tunnel mpgen knows.
    std::vector<uint8_t> gre = wrap(false, 47, {0, 0, 0x08, 0}, false);
    EXPECT_NE(parse_frame(gre.data(), uint32_t(gre.size())).kind, rx_kind::test);
}

// Frames mpgen sends inside a tunnel (--encap, a device's decapsulation
// direction): every size from the smallest the tunnel allows, the outer
// IPv4 header valid (checksum, length, protocol, addresses), the tunnel
// header as its RFC has it, the inner frame's own checksums valid, and the
// frame still mpgen's (its own classifier finds the trailer).
TEST(gen_frame, FramesSentInsideTunnelsAreWhatADeviceDecapsulates) {
    const ether_addr a{{2, 0, 0, 0, 0, 1}}, gw{{2, 0, 0, 0, 0, 9}}, far{{2, 0, 0, 0, 0, 0x0b}};
    const ip4_addr osrc = ip4_addr::of(198, 18, 1, 2), odst = ip4_addr::of(198, 18, 1, 1);
    struct kind {
        const char* spec;
        uint32_t overhead;
        uint8_t proto4, proto6;
    };
    for (const kind& k : {kind{"gif", 20, 4, 41}, kind{"l2tp:7:02:00:00:00:00:0b", 38, 115, 115},
                          kind{"vxlan:4242:02:00:00:00:00:0b", 50, 17, 17}})
        for (bool v6 : {false, true}) {
            auto e = parse_encap(k.spec);
            ASSERT_TRUE(e) << e.error;
            ASSERT_EQ(e->overhead(), k.overhead);
            const bool l2 = k.overhead != 20;
            auto fl = expand_flows(*parse_addr_range(v6 ? "2001:db8:2::2" : "198.18.2.2"),
                                   *parse_addr_range(v6 ? "2001:db8::2-2001:db8::5" : "198.18.0.2-198.18.0.5"),
                                   *parse_port_range("1000"), *parse_port_range("9"));
            frame_spec fs{a, ether_addr{}, 0, false, 64, 0x33};
            fs.encap = *e;
            fs.outer_src = osrc;
            fs.outer_dst = odst;
            frame_factory ff(fs, *fl);
            ff.set_dst_mac(gw);  // the gateway resolved: the outer frame's destination only
            const uint32_t plain = 14 + (v6 ? 40 : 20) + 8 + trailer_len + 4;
            EXPECT_EQ(ff.min_frame(), std::max(64u, plain + k.overhead)) << k.spec;
            std::vector<uint8_t> buf(2048);
            for (uint32_t frame = ff.min_frame(); frame <= 1518; frame += (frame < 200 ? 1 : 89))
                for (uint64_t seq : {0ull, 3ull, 0x123456789ull}) {
                    const uint32_t len = ff.build(buf.data(), frame, seq, 0xabcdef + seq);
                    ASSERT_EQ(len, frame - 4);
                    const uint8_t* p = buf.data();
                    EXPECT_EQ(0, std::memcmp(p, gw.b.data(), 6));
                    EXPECT_EQ(0, std::memcmp(p + 6, a.b.data(), 6));
                    ASSERT_EQ(p[12], 0x08);
                    ASSERT_EQ(p[13], 0x00);
                    const uint8_t* ip = p + 14;
                    ASSERT_EQ(ip[0], 0x45);
                    ASSERT_EQ(rte_raw_cksum(ip, 20), 0xffff) << k.spec << " frame " << frame;
                    EXPECT_EQ(uint32_t(ip[2] << 8 | ip[3]), len - 14);
                    EXPECT_EQ(ip[9], v6 ? k.proto6 : k.proto4);
                    EXPECT_EQ(uint32_t(ip[12] << 24 | ip[13] << 16 | ip[14] << 8 | ip[15]), osrc.v);
                    EXPECT_EQ(uint32_t(ip[16] << 24 | ip[17] << 16 | ip[18] << 8 | ip[19]), odst.v);
                    const uint8_t* t = ip + 20;
                    if (k.proto4 == 115) {
                        EXPECT_EQ(uint32_t(t[0] << 24 | t[1] << 16 | t[2] << 8 | t[3]), 7u);
                    } else if (k.proto4 == 17) {
                        EXPECT_EQ(uint32_t(t[2] << 8 | t[3]), 4789u);
                        EXPECT_GE(uint32_t(t[0] << 8 | t[1]), 49152u);
                        EXPECT_EQ(uint32_t(t[4] << 8 | t[5]), len - 34);
                        EXPECT_EQ(t[8], 0x08);
                        EXPECT_EQ(uint32_t(t[12] << 16 | t[13] << 8 | t[14]), 4242u);
                    }
                    // The inner frame: an L2 tunnel's to `far`, from the port;
                    // gif's IP packet right after the outer header.
                    if (l2) {
                        const uint8_t* in = p + k.overhead;
                        EXPECT_EQ(0, std::memcmp(in, far.b.data(), 6));
                        EXPECT_EQ(0, std::memcmp(in + 6, a.b.data(), 6));
                        ASSERT_TRUE(checksums_ok(in, len - k.overhead, v6, 0)) << k.spec << " frame " << frame;
                    } else {
                        // checksums_ok reads from an Ethernet header: give it one.
                        std::vector<uint8_t> f(p + 34 - 14, p + len);
                        f[12] = v6 ? 0x86 : 0x08;
                        f[13] = v6 ? 0xdd : 0x00;
                        ASSERT_TRUE(checksums_ok(f.data(), uint32_t(f.size()), v6, 0)) << k.spec << " frame " << frame;
                    }
                    rx_frame r = parse_frame(p, len);
                    ASSERT_EQ(r.kind, rx_kind::test) << k.spec << " v6 " << v6 << " frame " << frame;
                    EXPECT_EQ(r.t.seq, seq);
                    EXPECT_EQ(r.t.magic, 0x33);
                }
        }
}

TEST(gen_parse, TunnelSpecs) {
    auto g = parse_encap(" gif ");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->kind, encap_spec::kind_t::gif);
    auto l = parse_encap("l2tp:4294967295");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->id, 4294967295u);
    EXPECT_EQ(l->inner_dst, ether_addr::broadcast());
    auto v = parse_encap("vxlan:16777215:02:00:00:00:00:0b");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->id, 16777215u);
    EXPECT_EQ(v->inner_dst, (ether_addr{{2, 0, 0, 0, 0, 0x0b}}));
    EXPECT_EQ(v->str(), "vxlan:16777215:02:00:00:00:00:0b");
    for (const char* bad : {"", "gre", "l2tp", "l2tp:0", "l2tp:4294967296", "vxlan:16777216", "vxlan:x",
                            "vxlan:1:02:00", "gif:1", "l2tp:-1"}) {
        auto r = parse_encap(bad);
        EXPECT_FALSE(r) << bad;
        EXPECT_NE(r.error.find("encapsulation"), std::string::npos) << bad;
    }
}

TEST(gen_frame, ArpAndNeighbourAnswers) {
    ether_addr me{{2, 0, 0, 0, 0, 1}}, dut{{2, 0, 0, 0, 0, 9}};
    uint8_t req[128], rep[128];
    const ip4_addr own = *ip4_addr::parse("198.18.0.2"), gw = *ip4_addr::parse("198.18.0.1");
    uint32_t n = arp_request(dut, gw, own, 0, req);
    rx_frame f = parse_frame(req, n);
    ASSERT_EQ(f.kind, rx_kind::arp);
    uint32_t r = arp_answer(req, n, f, me, own, rep);
    ASSERT_EQ(r, 60u);
    EXPECT_EQ(arp_answer(req, n, f, me, *ip4_addr::parse("198.18.0.3"), rep + 64), 0u);  // not ours
    ether_addr learned{};
    rx_frame fr = parse_frame(rep, r);
    ASSERT_TRUE(arp_reply_from(rep, r, fr, own, &learned));
    EXPECT_EQ(learned, me);
    EXPECT_EQ(std::memcmp(rep, dut.b.data(), 6), 0);

    const ip6_addr own6 = *ip6_addr::parse("2001:db8::2"), gw6 = *ip6_addr::parse("2001:db8::1");
    n = nd_solicit(dut, gw6, own6, 0, req);
    f = parse_frame(req, n);
    ASSERT_EQ(f.kind, rx_kind::nd_solicit);
    EXPECT_TRUE(rte_ipv6_udptcp_cksum_verify(reinterpret_cast<const rte_ipv6_hdr*>(req + 14), req + 54) == 0);
    r = nd_answer(req, n, f, me, own6, rep);
    ASSERT_GT(r, 0u);
    fr = parse_frame(rep, r);
    ASSERT_EQ(fr.kind, rx_kind::nd_advert);
    EXPECT_TRUE(rte_ipv6_udptcp_cksum_verify(reinterpret_cast<const rte_ipv6_hdr*>(rep + 14), rep + 54) == 0);
    learned = {};
    ASSERT_TRUE(nd_advert_from(rep, r, fr, own6, &learned));
    EXPECT_EQ(learned, me);
}

TEST(gen_rfc2544, ThroughputSearchConvergesOnSimulatedDevices) {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        const double line = 14880952, res = line * 0.001;
        const double thr = (i % 10 == 0) ? line : std::uniform_real_distribution<double>(0, line)(rng);
        throughput_search s(line, res);
        unsigned n = 0;
        while (!s.done() && n < 100) {
            s.report(s.next() <= thr);
            ++n;
        }
        ASSERT_TRUE(s.done());
        EXPECT_LE(s.result(), thr);
        EXPECT_GE(s.result(), thr - 2 * res) << thr;
        EXPECT_LE(n, 13u);
        if (thr == line) {
            EXPECT_EQ(n, 1u);
            EXPECT_EQ(s.result(), line);
        }
    }
    throughput_search none(1000, 1);
    while (!none.done()) none.report(false);
    EXPECT_EQ(none.result(), 0);
}

TEST(gen_rfc2544, BurstSearchFindsTheLongestCleanBurst) {
    for (uint64_t thr : {0ull, 1ull, 999ull, 12345ull, 29761904ull}) {
        burst_search b(29761904, 1);
        while (!b.done()) b.report(b.next() <= thr);
        EXPECT_EQ(b.result(), thr);
    }
}

TEST(gen_rfc2544, SvgPlotHasTheTheoreticalLineAndEverySeries) {
    plot_series a{"mpnetd", {{64, 5e6}, {1518, 8e5}}}, b{"l3fwd", {{64, 7e6}, {1518, 8e5}}};
    const std::string svg = plot_svg("t", 10000000000ULL, {a, b});
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_NE(svg.find("theoretical (10 Gb/s)"), std::string::npos);
    EXPECT_NE(svg.find(">mpnetd<"), std::string::npos);
    EXPECT_NE(svg.find(">l3fwd<"), std::string::npos);
    EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(gen_parse, ImpairmentSpecs) {
    auto s = parse_impair("drop=1,2:dup=3:reorder=4,5:police=200kpps/16");
    ASSERT_TRUE(s) << s.error;
    EXPECT_EQ(s->drop.size(), 2u);
    EXPECT_EQ(s->dup.count(3), 1u);
    EXPECT_EQ(s->reorder.size(), 2u);
    EXPECT_DOUBLE_EQ(s->police_pps, 200000);
    EXPECT_DOUBLE_EQ(s->police_burst, 16);
    for (const char* bad : {"drop", "drop=x", "smash=1", "police=10%", "police=1000/0", "drop=1,,2"})
        EXPECT_FALSE(parse_impair(bad)) << bad;
}
