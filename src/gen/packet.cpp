// SPDX-License-Identifier: BSD-2-Clause
// mpgen's frames; see packet.hpp. Sums here are numeric sums of big-endian
// 16-bit words (ones' complement arithmetic, folded at the end), so host
// values such as lengths add in directly.
#include "mpnet/gen/packet.hpp"

#include <array>
#include <cstring>

namespace mpnet::gen {

namespace {

constexpr uint16_t et_ip4 = 0x0800, et_arp = 0x0806, et_vlan = 0x8100, et_ip6 = 0x86dd;
constexpr uint8_t proto_tcp = 6, proto_udp = 17, proto_icmp6 = 58;
// Tunnels whose outer packet is IP protocol 4 (IPv4 in IP), 41 (IPv6 in IP)
// or 115 (L2TPv3 over IP).
constexpr uint8_t proto_ipip = 4, proto_ipv6 = 41, proto_l2tp = 115;
constexpr uint16_t vxlan_port = 4789;
// The smallest test frame a tunnel can carry: an inner IPv4 and UDP header.
constexpr uint32_t inner_min = 28;

inline void put16(uint8_t* p, uint16_t v) noexcept {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
inline uint16_t get16(const uint8_t* p) noexcept { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p) noexcept { return uint32_t(get16(p)) << 16 | get16(p + 2); }

/// Writes an Ethernet header, with one 802.1Q tag when vlan is not 0;
/// returns where the L3 header goes.
inline uint8_t* write_l2(uint8_t* out, const ether_addr& dst, const ether_addr& src, uint16_t vlan,
                         uint16_t type) noexcept {
    std::memcpy(out, dst.b.data(), 6);
    std::memcpy(out + 6, src.b.data(), 6);
    uint8_t* p = out + 12;
    if (vlan) {
        put16(p, et_vlan);
        put16(p + 2, vlan & 0x0fff);
        p += 4;
    }
    put16(p, type);
    return p + 2;
}

/// Adds bytes [p, p+n) to a sum; `odd` when p sits at an odd offset of the
/// summed segment (its first byte is then the low byte of a word).
inline uint32_t acc(uint32_t s, const uint8_t* p, uint32_t n, bool odd = false) noexcept {
    uint64_t t = s;
    uint32_t i = 0;
    if (odd && n) {
        t += p[0];
        i = 1;
    }
    for (; i + 1 < n; i += 2) t += uint32_t(p[i] << 8 | p[i + 1]);
    if (i < n) t += uint32_t(p[i]) << 8;
    while (t >> 16) t = (t & 0xffff) + (t >> 16);
    return uint32_t(t);
}
inline uint16_t fold(uint64_t t) noexcept {
    while (t >> 16) t = (t & 0xffff) + (t >> 16);
    return uint16_t(t);
}

/// The payload fill: byte j of the L4 payload is j & 0xff (RFC 2544 App. C).
struct fill_table {
    std::array<uint8_t, 2048> bytes{};
    std::array<uint32_t, 2049> sum{};  // sum[n]: sum of bytes[0, n), from an even offset
    fill_table() {
        for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = uint8_t(j);
        uint32_t s = 0;
        sum[0] = 0;
        for (size_t n = 1; n <= bytes.size(); ++n) {
            s = acc(s, &bytes[n - 1], 1, (n - 1) % 2 == 1);
            sum[n] = s;
        }
    }
};
const fill_table& fills() {
    static const fill_table t;
    return t;
}

/// The full L4 checksum of a segment (neighbour discovery frames).
uint16_t l4_cksum(const uint8_t* l3, bool v6, uint8_t proto, const uint8_t* l4, uint32_t l4len) noexcept {
    uint32_t s = 0;
    if (v6)
        s = acc(s, l3 + 8, 32);
    else
        s = acc(s, l3 + 12, 8);
    s = fold(uint64_t(s) + proto + l4len);
    s = acc(s, l4, l4len);
    return uint16_t(~fold(s));
}

}  // namespace

void write_trailer(uint8_t* p, const trailer& t) noexcept {
    for (int i = 0; i < 8; ++i) p[i] = uint8_t(t.seq >> (56 - 8 * i));
    p[8] = uint8_t(t.flow >> 16);
    p[9] = uint8_t(t.flow >> 8);
    p[10] = uint8_t(t.flow);
    p[11] = t.magic;
    for (int i = 0; i < 6; ++i) p[12 + i] = uint8_t(t.tsc48 >> (40 - 8 * i));
}

trailer read_trailer(const uint8_t* p) noexcept {
    trailer t;
    for (int i = 0; i < 8; ++i) t.seq = t.seq << 8 | p[i];
    t.flow = uint32_t(p[8]) << 16 | uint32_t(p[9]) << 8 | p[10];
    t.magic = p[11];
    for (int i = 0; i < 6; ++i) t.tsc48 = t.tsc48 << 8 | p[12 + i];
    return t;
}

frame_factory::frame_factory(const frame_spec& spec, std::vector<flow> flows) : spec_(spec), flows_(std::move(flows)) {
    v6_ = !flows_.empty() && flows_.front().v6;
    l2_len_ = 14 + (spec_.vlan ? 4 : 0);
    l3_len_ = v6_ ? 40 : 20;
    l4_len_ = spec_.tcp ? 20 : 8;
    hdr_len_ = l2_len_ + l3_len_ + l4_len_;
    hdr_.assign(size_t(hdr_len_) * flows_.size(), 0);
    l4sum_.resize(flows_.size());
    ip4sum_.resize(flows_.size());
    const uint8_t proto = spec_.tcp ? proto_tcp : proto_udp;
    // An L2 tunnel's inner frame goes to the tunnel's far side, not to the
    // next hop the outer frame goes to.
    const bool l2_inner = spec_.encap.kind == encap_spec::kind_t::l2tp || spec_.encap.kind == encap_spec::kind_t::vxlan;
    const ether_addr& dst_mac = l2_inner ? spec_.encap.inner_dst : spec_.dst_mac;
    for (size_t i = 0; i < flows_.size(); ++i) {
        const flow& f = flows_[i];
        uint8_t* l3 = write_l2(&hdr_[i * hdr_len_], dst_mac, spec_.src_mac, spec_.vlan, v6_ ? et_ip6 : et_ip4);
        if (v6_) {
            put16(l3, 0x6000);
            put16(l3 + 2, uint16_t(i & 0xffff));  // flow label's low 16 bits: the flow id
            l3[6] = proto;
            l3[7] = spec_.ttl;
            std::memcpy(l3 + 8, f.src.b.data(), 16);
            std::memcpy(l3 + 24, f.dst.b.data(), 16);
            l4sum_[i] = acc(0, l3 + 8, 32);
        } else {
            l3[0] = 0x45;
            put16(l3 + 6, 0x4000);  // DF
            l3[8] = spec_.ttl;
            l3[9] = proto;
            const uint32_t s = f.src4().v, d = f.dst4().v;
            put16(l3 + 12, uint16_t(s >> 16));
            put16(l3 + 14, uint16_t(s));
            put16(l3 + 16, uint16_t(d >> 16));
            put16(l3 + 18, uint16_t(d));
            ip4sum_[i] = acc(0, l3, 20);  // length and checksum are zero here
            l4sum_[i] = acc(0, l3 + 12, 8);
        }
        uint8_t* l4 = l3 + l3_len_;
        put16(l4, f.sport);
        put16(l4 + 2, f.dport);
        if (spec_.tcp) {
            put16(l4 + 6, 1);    // sequence number 1
            put16(l4 + 10, 1);   // acknowledgement 1
            l4[12] = 5 << 4;     // data offset: 5 words
            l4[13] = 0x10;       // ACK
            put16(l4 + 14, 0xffff);
        }
        l4sum_[i] = fold(uint64_t(acc(l4sum_[i], l4, l4_len_)) + proto);
    }
}

void frame_factory::set_dst_mac(ether_addr mac) noexcept {
    spec_.dst_mac = mac;
    if (spec_.encap.kind != encap_spec::kind_t::none) return;  // the outer frame's, written per frame
    for (size_t i = 0; i < flows_.size(); ++i) std::memcpy(&hdr_[i * hdr_len_], mac.b.data(), 6);
}

uint32_t frame_factory::build(uint8_t* buf, uint32_t frame, uint64_t seq, uint64_t tsc) const noexcept {
    const encap_spec& e = spec_.encap;
    if (e.kind == encap_spec::kind_t::none) return build_plain(buf, frame, seq, tsc);
    // The inner frame first, then the outer headers in front of it (gif's
    // outer IPv4 header overwrites the inner frame's Ethernet header).
    const uint32_t ov = e.overhead();
    const uint32_t len = build_plain(buf + ov, frame - ov, seq, tsc) + ov;
    uint8_t* ip = write_l2(buf, spec_.dst_mac, spec_.src_mac, 0, et_ip4);
    const uint32_t iplen = len - 14;
    uint8_t proto = proto_ipip;
    if (e.kind == encap_spec::kind_t::gif)
        proto = v6_ ? proto_ipv6 : proto_ipip;
    else if (e.kind == encap_spec::kind_t::l2tp)
        proto = proto_l2tp;
    else
        proto = proto_udp;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, uint16_t(iplen));
    put16(ip + 4, uint16_t(seq));
    put16(ip + 6, 0);
    ip[8] = 64;
    ip[9] = proto;
    put16(ip + 10, 0);
    const uint32_t s = spec_.outer_src.v, d = spec_.outer_dst.v;
    put16(ip + 12, uint16_t(s >> 16));
    put16(ip + 14, uint16_t(s));
    put16(ip + 16, uint16_t(d >> 16));
    put16(ip + 18, uint16_t(d));
    put16(ip + 10, uint16_t(~fold(acc(0, ip, 20))));
    uint8_t* t = ip + 20;
    if (e.kind == encap_spec::kind_t::l2tp) {
        put16(t, uint16_t(e.id >> 16));  // RFC 3931 4.1.1.2: the session id, then (no cookie) the frame
        put16(t + 2, uint16_t(e.id));
    } else if (e.kind == encap_spec::kind_t::vxlan) {
        // The source port from the flow, as a VTEP hashes its inner frame
        // (RFC 7348 5); no UDP checksum (allowed over IPv4).
        put16(t, uint16_t(49152 + (seq % flows_.size()) % 16384));
        put16(t + 2, vxlan_port);
        put16(t + 4, uint16_t(iplen - 20));
        put16(t + 6, 0);
        t[8] = 0x08;  // I: the VNI is valid
        t[9] = t[10] = t[11] = 0;
        t[12] = uint8_t(e.id >> 16);
        t[13] = uint8_t(e.id >> 8);
        t[14] = uint8_t(e.id);
        t[15] = 0;
    }
    return len;
}

uint32_t frame_factory::build_plain(uint8_t* buf, uint32_t frame, uint64_t seq, uint64_t tsc) const noexcept {
    const uint32_t nflows = uint32_t(flows_.size());
    const uint32_t fi = uint32_t(seq % nflows);
    const uint32_t len = frame - 4;
    std::memcpy(buf, &hdr_[size_t(fi) * hdr_len_], hdr_len_);
    uint8_t* l3 = buf + l2_len_;
    const uint32_t l3len = len - l2_len_;
    const uint32_t l4len = l3len - l3_len_;
    if (v6_) {
        put16(l3 + 4, uint16_t(l4len));
    } else {
        put16(l3 + 2, uint16_t(l3len));
        put16(l3 + 10, uint16_t(~fold(uint64_t(ip4sum_[fi]) + l3len)));
    }
    uint8_t* l4 = l3 + l3_len_;
    const uint32_t fill = l4len - l4_len_ - trailer_len;
    std::memcpy(l4 + l4_len_, fills().bytes.data(), fill);
    uint8_t* tr = l4 + l4_len_ + fill;
    write_trailer(tr, trailer{seq, fi, spec_.magic, tsc & 0xffffffffffffULL});
    uint64_t s = uint64_t(l4sum_[fi]) + l4len + fills().sum[fill];
    if (!spec_.tcp) {
        put16(l4 + 4, uint16_t(l4len));
        s += l4len;
    }
    s = acc(fold(s), tr, trailer_len, fill % 2 == 1);
    uint16_t ck = uint16_t(~fold(s));
    if (!spec_.tcp && ck == 0) ck = 0xffff;  // UDP: zero means "no checksum"
    put16(l4 + (spec_.tcp ? 16 : 6), ck);
    return len;
}

rx_frame parse_frame(const uint8_t* p, uint32_t len) noexcept {
    rx_frame f;
    if (len < 14) return f;
    uint32_t off = 12;
    uint16_t et = get16(p + off);
    if (et == et_vlan) {
        if (len < 18) return f;
        f.vlan = get16(p + 14) & 0x0fff;
        off += 4;
        et = get16(p + off);
    }
    off += 2;
    f.l3_off = off;
    if (et == et_arp) {
        if (len >= off + 28) f.kind = rx_kind::arp;
        return f;
    }
    const uint8_t* l3 = p + off;
    uint32_t l4off, l4len;
    uint8_t proto;
    if (et == et_ip4) {
        if (len < off + 20 || (l3[0] >> 4) != 4) return f;
        const uint32_t hl = uint32_t(l3[0] & 0xf) * 4;
        const uint32_t tl = get16(l3 + 2);
        if (hl < 20 || tl < hl || off + tl > len) return f;
        if (get16(l3 + 6) & 0x3fff) return f;  // a fragment
        proto = l3[9];
        l4off = off + hl;
        l4len = tl - hl;
    } else if (et == et_ip6) {
        if (len < off + 40 || (l3[0] >> 4) != 6) return f;
        f.v6 = true;
        const uint32_t pl = get16(l3 + 4);
        if (off + 40 + pl > len) return f;
        proto = l3[6];
        l4off = off + 40;
        l4len = pl;
        if (proto == proto_icmp6 && l4len >= 24) {
            if (p[l4off] == 135) f.kind = rx_kind::nd_solicit;
            if (p[l4off] == 136) f.kind = rx_kind::nd_advert;
            return f;
        }
    } else {
        return f;
    }
    // The trailer ends the L4 payload. A test frame inside a tunnel (the
    // device under test encapsulated it) ends where the outer packet does,
    // so its trailer is found the same way: UDP tunnels (VXLAN, L2TPv3 over
    // UDP) need nothing more, IP-protocol tunnels are taken here. The
    // trailer's own checks (magic, flow against sequence) tell mpgen's.
    uint32_t l4h;
    if (proto == proto_udp) {
        l4h = 8;
    } else if (proto == proto_tcp) {
        if (l4len < 20) return f;
        l4h = uint32_t(p[l4off + 12] >> 4) * 4;
        if (l4h < 20) return f;
    } else if (proto == proto_ipip || proto == proto_ipv6 || proto == proto_l2tp) {
        l4h = inner_min;
    } else {
        return f;
    }
    if (l4len < l4h + trailer_len) return f;
    f.t = read_trailer(p + l4off + l4len - trailer_len);
    f.kind = rx_kind::test;
    return f;
}

// --- ARP ---

uint32_t arp_request(ether_addr own_mac, ip4_addr own, ip4_addr target, uint16_t vlan, uint8_t* out) noexcept {
    std::memset(out, 0, 64);
    uint8_t* a = write_l2(out, ether_addr::broadcast(), own_mac, vlan, et_arp);
    put16(a, 1);
    put16(a + 2, et_ip4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);
    std::memcpy(a + 8, own_mac.b.data(), 6);
    put16(a + 14, uint16_t(own.v >> 16));
    put16(a + 16, uint16_t(own.v));
    put16(a + 24, uint16_t(target.v >> 16));
    put16(a + 26, uint16_t(target.v));
    return vlan ? 64 : 60;
}

uint32_t arp_answer(const uint8_t* p, uint32_t len, const rx_frame& f, ether_addr own_mac, ip4_addr own,
                    uint8_t* out) noexcept {
    if (f.kind != rx_kind::arp || len < f.l3_off + 28) return 0;
    const uint8_t* a = p + f.l3_off;
    if (get16(a) != 1 || get16(a + 2) != et_ip4 || a[4] != 6 || a[5] != 4 || get16(a + 6) != 1) return 0;
    if (get32(a + 24) != own.v) return 0;
    const uint32_t n = arp_request(own_mac, own, ip4_addr(get32(a + 14)), f.vlan, out);
    std::memcpy(out, a + 8, 6);  // to the requester
    uint8_t* r = out + f.l3_off;
    put16(r + 6, 2);
    std::memcpy(r + 18, a + 8, 6);
    return n;
}

bool arp_reply_from(const uint8_t* p, uint32_t len, const rx_frame& f, ip4_addr who, ether_addr* mac) noexcept {
    if (f.kind != rx_kind::arp || len < f.l3_off + 28) return false;
    const uint8_t* a = p + f.l3_off;
    if (get16(a + 2) != et_ip4 || a[4] != 6 || a[5] != 4 || get32(a + 14) != who.v) return false;
    std::memcpy(mac->b.data(), a + 8, 6);  // a request from the gateway tells its MAC too
    return true;
}

// --- Neighbour discovery ---

namespace {
uint32_t nd_frame(ether_addr own_mac, ether_addr dst_mac, const ip6_addr& src, const ip6_addr& dst, uint8_t type,
                  uint8_t flags, const ip6_addr& target, uint8_t opt_type, uint16_t vlan, uint8_t* out) noexcept {
    std::memset(out, 0, 96);
    uint8_t* l3 = write_l2(out, dst_mac, own_mac, vlan, et_ip6);
    put16(l3, 0x6000);
    put16(l3 + 4, 32);
    l3[6] = proto_icmp6;
    l3[7] = 255;
    std::memcpy(l3 + 8, src.b.data(), 16);
    std::memcpy(l3 + 24, dst.b.data(), 16);
    uint8_t* ic = l3 + 40;
    ic[0] = type;
    ic[4] = flags;
    std::memcpy(ic + 8, target.b.data(), 16);
    ic[24] = opt_type;  // source (1) or target (2) link-layer address
    ic[25] = 1;
    std::memcpy(ic + 26, own_mac.b.data(), 6);
    put16(ic + 2, l4_cksum(l3, true, proto_icmp6, ic, 32));
    return uint32_t(ic + 32 - out);
}
}  // namespace

uint32_t nd_solicit(ether_addr own_mac, const ip6_addr& own, const ip6_addr& target, uint16_t vlan,
                    uint8_t* out) noexcept {
    ip6_addr snm{};  // solicited-node multicast ff02::1:ffXX:XXXX
    snm.b[0] = 0xff;
    snm.b[1] = 0x02;
    snm.b[11] = 1;
    snm.b[12] = 0xff;
    snm.b[13] = target.b[13];
    snm.b[14] = target.b[14];
    snm.b[15] = target.b[15];
    ether_addr mc{{0x33, 0x33, 0xff, target.b[13], target.b[14], target.b[15]}};
    return nd_frame(own_mac, mc, own, snm, 135, 0, target, 1, vlan, out);
}

uint32_t nd_answer(const uint8_t* p, uint32_t len, const rx_frame& f, ether_addr own_mac, const ip6_addr& own,
                   uint8_t* out) noexcept {
    if (f.kind != rx_kind::nd_solicit || len < f.l3_off + 40 + 24) return 0;
    const uint8_t* l3 = p + f.l3_off;
    const uint8_t* ic = l3 + 40;
    if (std::memcmp(ic + 8, own.b.data(), 16) != 0) return 0;
    ip6_addr src{};
    std::memcpy(src.b.data(), l3 + 8, 16);
    ether_addr to{};
    std::memcpy(to.b.data(), p + 6, 6);
    const bool dad = src.is_any();
    return nd_frame(own_mac, dad ? ether_addr{{0x33, 0x33, 0, 0, 0, 1}} : to, own, dad ? ip6_addr::all_nodes() : src,
                    136, dad ? 0x20 : 0x60, own, 2, f.vlan, out);
}

bool nd_advert_from(const uint8_t* p, uint32_t len, const rx_frame& f, const ip6_addr& who, ether_addr* mac) noexcept {
    if (f.kind != rx_kind::nd_advert || len < f.l3_off + 40 + 24) return false;
    const uint8_t* ic = p + f.l3_off + 40;
    if (std::memcmp(ic + 8, who.b.data(), 16) != 0) return false;
    // Target link-layer address option if present, else the frame's source.
    const uint32_t l4len = get16(p + f.l3_off + 4);
    for (uint32_t o = 24; o + 8 <= l4len && f.l3_off + 40 + o + 8 <= len;) {
        const uint8_t* opt = ic + o;
        if (opt[1] == 0) break;
        if (opt[0] == 2) {
            std::memcpy(mac->b.data(), opt + 2, 6);
            return true;
        }
        o += uint32_t(opt[1]) * 8;
    }
    std::memcpy(mac->b.data(), p + 6, 6);
    return true;
}

}  // namespace mpnet::gen
