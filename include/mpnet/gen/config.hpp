// SPDX-License-Identifier: BSD-2-Clause
// mpgen's traffic description and its parsers: rates (pps, bit/s, percent of
// line rate), frame sizes and mixes, address and port ranges, flow lists.
// Every parser returns a value or a one-line error that names the bad input;
// none of them throws or aborts on any input (they are fuzzed).
//
// Locking notes: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mpnet/core/addr.hpp"

namespace mpnet::gen {

/// A value or a one-line error.
template <typename T>
struct parsed {
    std::optional<T> value;
    std::string error;
    parsed(T v) : value(std::move(v)) {}  // NOLINT(google-explicit-constructor)
    static parsed fail(std::string e) {
        parsed p;
        p.error = std::move(e);
        return p;
    }
    explicit operator bool() const noexcept { return value.has_value(); }
    T& operator*() { return *value; }
    const T& operator*() const { return *value; }
    T* operator->() { return &*value; }

private:
    parsed() = default;
};

// Named limits.
inline constexpr uint32_t min_frame = 64;      // Ethernet minimum, FCS included
inline constexpr uint32_t max_frame = 1518;    // untagged maximum, FCS included (a VLAN tag adds 4)
inline constexpr uint32_t max_flows = 1u << 20;  // as ipgen's MAXFLOWNUM
inline constexpr uint32_t max_mix_pattern = 1024;  // a size mix repeats every <= 1024 frames
inline constexpr uint32_t trailer_len = 18;     // seq (8) + flow id (3) + magic (1) + TX time (6)
inline constexpr uint32_t eth_overhead_l1 = 20;  // preamble+SFD 8, inter-frame gap 12 (RFC 2544 App. B)

/// Theoretical frame rate: link_bps / (8 * (frame + 20)).
double line_rate_pps(uint64_t link_bps, double frame) noexcept;

struct rate_spec {
    enum class unit : uint8_t { pps, bps, percent } u = unit::percent;
    double value = 100.0;
    /// Frames per second for a mean frame size on a link; bit rates are L2
    /// (frame with FCS) unless l1 (also preamble and gap).
    double pps(uint64_t link_bps, double mean_frame, bool l1) const noexcept;
    std::string str() const;
};
/// "1000", "1000pps", "250kpps", "1.5Mpps", "100Mbps", "2.5Gbps", "800kbps", "50%".
parsed<rate_spec> parse_rate(std::string_view s);
/// "10G", "25G", "1G", "100M", "10000000000": bits per second.
parsed<uint64_t> parse_link_speed(std::string_view s);

/// A frame size mix: sizes with weights, expanded to a smooth repeating
/// pattern (weighted round robin) so the mix holds over any short window.
struct size_mix {
    std::vector<std::pair<uint32_t, uint32_t>> entries;  // (frame size incl. FCS, weight)
    std::vector<uint16_t> pattern;
    double mean() const noexcept;
    uint32_t smallest() const noexcept;
    uint32_t largest() const noexcept;
    std::string str() const;
};
/// "64", "64,512,1518" (equal weights), "64:7,570:4,1518:1", "imix" (= 64:7,570:4,1518:1).
parsed<size_mix> parse_sizes(std::string_view s);
size_mix single_size(uint32_t frame);

/// An inclusive range of addresses of one family.
struct addr_range {
    bool v6 = false;
    ip6_addr lo{}, hi{};  // IPv4 as the low 32 bits of an all-zero ip6_addr
    uint64_t count() const noexcept;  // saturates at 2^63
    ip6_addr at(uint64_t i) const noexcept;
    static addr_range of4(ip4_addr a, ip4_addr b);
};
parsed<addr_range> parse_addr_range(std::string_view s);

struct port_range {
    uint16_t lo = 9, hi = 9;  // 9: discard (as ipgen)
    uint32_t count() const noexcept { return uint32_t(hi) - lo + 1; }
};
parsed<port_range> parse_port_range(std::string_view s);

/// One flow: the 5-tuple mpgen writes into its packets.
struct flow {
    bool v6 = false;
    ip6_addr src{}, dst{};  // IPv4 in the low 32 bits
    uint16_t sport = 9, dport = 9;
    ip4_addr src4() const noexcept;
    ip4_addr dst4() const noexcept;
    flow reversed() const noexcept { return {v6, dst, src, dport, sport}; }
    std::string str() const;
};

/// ipgen's expansion: all four fields advance together, each wrapping in its
/// own range, for lcm(#src, #dst, #sport, #dport) flows (not a product).
parsed<std::vector<flow>> expand_flows(const addr_range& src, const addr_range& dst, port_range sport,
                                       port_range dport, uint32_t limit = max_flows);

/// A flow list: one line per flow group, "SRC[-SRC][:PORT[-PORT]] DST[-DST][:PORT[-PORT]]"
/// separated by blanks, a tab or a comma; IPv6 as "[A[-B]]:PORT"; '#' starts
/// a comment. Errors read "FILE:LINE: reason".
parsed<std::vector<flow>> parse_flow_list(std::string_view text, std::string_view name,
                                          uint32_t limit = max_flows);

/// Test frames sent inside a tunnel (`--encap`), for a device's
/// decapsulation direction: the frame mpgen builds becomes the inner packet
/// (gif: its IP packet, IPv4 or IPv6; l2tp, vxlan: its Ethernet frame, to
/// `inner_dst`) of an outer IPv4 packet from the port's own address to its
/// gateway. The frame size is the outer frame's.
struct encap_spec {
    enum class kind_t : uint8_t { none, gif, l2tp, vxlan } kind = kind_t::none;
    uint32_t id = 0;          // l2tp: the receiver's session id (no cookie, over IP); vxlan: the VNI
    ether_addr inner_dst{};   // l2tp, vxlan: the inner frame's destination
    /// Bytes the tunnel adds to a frame (gif: the outer IPv4 header; l2tp:
    /// Ethernet, IPv4 and the session id; vxlan: Ethernet, IPv4, UDP, VXLAN).
    uint32_t overhead() const noexcept;
    std::string str() const;
};
/// "gif", "l2tp:SESSION[:MAC]" (session 1..4294967295), "vxlan:VNI[:MAC]"
/// (VNI 0..16777215); MAC: the inner destination (default ff:ff:ff:ff:ff:ff,
/// flooded by a bridge).
parsed<encap_spec> parse_encap(std::string_view s);

/// The smallest frame (FCS included) that holds the headers and the trailer.
uint32_t min_frame_for(bool v6, bool tcp, bool vlan) noexcept;

}  // namespace mpnet::gen
