// SPDX-License-Identifier: BSD-2-Clause
// Names of drop reasons.
#include "mpnet/core/counters.hpp"

namespace mpnet {

namespace {

constexpr std::array<std::string_view, drop_reason_count> names = {
    "ether_too_short",
    "ether_not_for_us",
    "ether_unknown_type",
    "ether_vlan_unsupported",
    "ether_own_src",
    "if_down",
    "if_gone",
    "arp_too_short",
    "arp_bad_format",
    "arp_bad_op",
    "arp_bad_sha",
    "arp_bad_spa",
    "arp_disabled",
    "arp_not_for_us",
    "arp_dup_addr",
    "arp_static_mismatch",
    "ip4_too_short",
    "ip4_bad_version",
    "ip4_bad_hlen",
    "ip4_bad_len",
    "ip4_bad_cksum",
    "ip4_ttl_zero",
    "ip4_bad_src",
    "ip4_martian_dst",
    "ip4_fragment",
    "ip4_not_local",
    "ip4_no_proto",
    "ip4_bcast_echo",
    "ip4_no_route",
    "ip4_no_src",
    "ip4_ttl_exceeded",
    "ip4_reject",
    "ip4_blackhole",
    "ip4_frag_needed",
    "ip4_bcast_forward",
    "ip4_frag_failed",
    "icmp_ratelimited",
    "icmp_redirect_ignored",
    "icmp_too_short",
    "icmp_bad_cksum",
    "icmp_unhandled_type",
    "icmp_no_session",
    "neigh_hold_overflow",
    "neigh_resolve_failed",
    "neigh_table_full",
    "punt_ring_full",
    "tx_ring_full",
    "nobufs",
};

}  // namespace

std::string_view drop_reason_name(drop_reason r) noexcept {
    auto i = static_cast<size_t>(r);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

}  // namespace mpnet
