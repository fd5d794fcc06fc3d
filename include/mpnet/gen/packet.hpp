// SPDX-License-Identifier: BSD-2-Clause
// mpgen's test frames: Ethernet (optionally one 802.1Q tag), IPv4 or IPv6,
// UDP or TCP, a payload of incrementing bytes (RFC 2544 App. C) and an
// 18-byte trailer at the end of the L4 payload:
//
//   offset 0   sequence number   64 bits, big-endian, per transmitting port
//   offset 8   flow id           24 bits (index in the port's flow list)
//   offset 11  magic             8 bits (session and port)
//   offset 12  TX timestamp      48 low bits of the TSC, big-endian
//
// A receiver also finds the trailer of a test frame that a device under
// test sent through a tunnel (IP in IP, L2TPv3, VXLAN): it ends the outer
// packet too (parse_frame). A transmitter can send its frames inside such a
// tunnel itself (frame_spec::encap): what a device decapsulates.
//
// Flow i of n carries exactly the sequence numbers s with s % n == i, so a
// receiver derives each flow's own sequence (s / n) without a TX-side table;
// a trailer whose flow id disagrees with its sequence number is not mpgen's.
// Checksums (IPv4 header, UDP/TCP) are complete and valid: a per-flow sum of
// the fixed fields is added to per-size and per-packet parts.
//
// Also here: the ARP and neighbour-discovery frames mpgen needs to answer a
// device under test (RFC 2544 §25) and to resolve its gateway.
//
// Locking notes: a frame_factory is built before traffic. After that only the
// datapath thread, which builds the frames, changes it (set_dst_mac, once the
// gateway answers); other threads read only its fixed fields (the flows, the
// protocol, the minimum frame).
#pragma once

#include <cstdint>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/gen/config.hpp"

namespace mpnet::gen {

struct trailer {
    uint64_t seq = 0;
    uint32_t flow = 0;  // 24 bits
    uint8_t magic = 0;
    uint64_t tsc48 = 0;  // 48 bits
};
void write_trailer(uint8_t* p, const trailer& t) noexcept;
trailer read_trailer(const uint8_t* p) noexcept;

struct frame_spec {
    ether_addr src_mac{}, dst_mac{};
    uint16_t vlan = 0;  // 0: untagged
    bool tcp = false;
    uint8_t ttl = 64;
    uint8_t magic = 0;
    /// Every frame inside a tunnel (no VLAN tag then): outer IPv4 from
    /// outer_src to outer_dst; dst_mac is the outer frame's destination.
    encap_spec encap;
    ip4_addr outer_src, outer_dst;
};

/// Builds the frames of one transmitting port.
class frame_factory {
public:
    frame_factory(const frame_spec& spec, std::vector<flow> flows);

    uint32_t flows() const noexcept { return uint32_t(flows_.size()); }
    const flow& flow_at(uint32_t i) const noexcept { return flows_[i]; }
    const frame_spec& spec() const noexcept { return spec_; }
    bool v6() const noexcept { return v6_; }
    /// Smallest frame size (FCS included) these flows can be built at.
    uint32_t min_frame() const noexcept {
        if (spec_.encap.kind == encap_spec::kind_t::none) return min_frame_for(v6_, spec_.tcp, spec_.vlan != 0);
        const uint32_t l = 14 + l3_len_ + l4_len_ + trailer_len + 4 + spec_.encap.overhead();
        return l > ::mpnet::gen::min_frame ? l : ::mpnet::gen::min_frame;
    }

    /// Writes one frame of `frame` bytes (FCS included: frame - 4 bytes are
    /// written) for sequence number seq; its flow is seq % flows(). Returns
    /// the number of bytes written. frame must be in [min_frame(), max_frame+4].
    uint32_t build(uint8_t* buf, uint32_t frame, uint64_t seq, uint64_t tsc) const noexcept;
    /// Points every flow at a new next hop (the gateway, once resolved).
    void set_dst_mac(ether_addr mac) noexcept;

private:
    frame_spec spec_;
    std::vector<flow> flows_;
    uint32_t build_plain(uint8_t* buf, uint32_t frame, uint64_t seq, uint64_t tsc) const noexcept;
    bool v6_ = false;
    uint32_t l2_len_ = 14, l3_len_ = 20, l4_len_ = 8, hdr_len_ = 42;
    std::vector<uint8_t> hdr_;      // flows x hdr_len_: the fixed header bytes
    std::vector<uint32_t> l4sum_;   // per flow: raw sum of pseudo-header addresses, proto and fixed L4 fields
    std::vector<uint32_t> ip4sum_;  // per flow: raw sum of the IPv4 header without its length
};

/// What a received frame is.
enum class rx_kind : uint8_t { test, arp, nd_solicit, nd_advert, other };

struct rx_frame {
    rx_kind kind = rx_kind::other;
    uint16_t vlan = 0;
    bool v6 = false;
    uint32_t l3_off = 0;   // offset of the IP/ARP header
    trailer t;             // when kind == test
};
/// Classifies a frame; never reads outside [p, p + len).
rx_frame parse_frame(const uint8_t* p, uint32_t len) noexcept;

/// ARP: if the frame is a request for `own`, writes the reply into out and
/// returns its length (60), else 0. If it is a reply from `who`, sets *mac.
uint32_t arp_answer(const uint8_t* p, uint32_t len, const rx_frame& f, ether_addr own_mac, ip4_addr own,
                    uint8_t* out) noexcept;
bool arp_reply_from(const uint8_t* p, uint32_t len, const rx_frame& f, ip4_addr who, ether_addr* mac) noexcept;
uint32_t arp_request(ether_addr own_mac, ip4_addr own, ip4_addr target, uint16_t vlan, uint8_t* out) noexcept;

/// Neighbour discovery: answer a solicitation for `own` with an advertisement;
/// learn `who`'s MAC from an advertisement; solicit `target`.
uint32_t nd_answer(const uint8_t* p, uint32_t len, const rx_frame& f, ether_addr own_mac, const ip6_addr& own,
                   uint8_t* out) noexcept;
bool nd_advert_from(const uint8_t* p, uint32_t len, const rx_frame& f, const ip6_addr& who, ether_addr* mac) noexcept;
uint32_t nd_solicit(ether_addr own_mac, const ip6_addr& own, const ip6_addr& target, uint16_t vlan,
                    uint8_t* out) noexcept;

}  // namespace mpnet::gen
