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
    "ip6_too_short",
    "ip6_bad_version",
    "ip6_bad_len",
    "ip6_bad_src",
    "ip6_martian_dst",
    "ip6_not_member",
    "ip6_not_local",
    "ip6_no_proto",
    "ip6_fragment",
    "ip6_no_route",
    "ip6_no_src",
    "ip6_hlim_exceeded",
    "ip6_reject",
    "ip6_blackhole",
    "ip6_too_big",
    "ip6_beyond_scope",
    "icmp6_too_short",
    "icmp6_bad_cksum",
    "icmp6_unhandled_type",
    "mld_ignored",
    "nd_bad_hlim",
    "nd_bad_code",
    "nd_bad_option",
    "nd_bad_msg",
    "nd_not_for_us",
    "nd_dup_addr",
    "nd_ra_ignored",
    "nd_prefix_limit",
    "nd_router_limit",
    "neigh_hold_overflow",
    "neigh_resolve_failed",
    "neigh_table_full",
    "punt_ring_full",
    "tx_ring_full",
    "tx_softq_full",
    "nobufs",
};

}  // namespace

std::string_view drop_reason_name(drop_reason r) noexcept {
    auto i = static_cast<size_t>(r);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

}  // namespace mpnet
