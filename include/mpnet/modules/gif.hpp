// SPDX-License-Identifier: BSD-2-Clause
// gif(4): IPv4 and IPv6 in IPv4 or IPv6 (RFC 2473, RFC 4213 configured
// tunnels; IP protocols 4 and 41), a module over the seams alone
// (src/modules/tunnel/gif.cpp).
//
// `ifconfig gif0 create`, `ifconfig gif0 tunnel SRC DST` (both IPv4 or both
// IPv6: the outer family), `ifconfig gif0 deletetunnel`, and point-to-point
// addresses (`ifconfig gif0 inet A B`, `inet6 A B`) with routes through it.
// A gif runs (RUNNING) while it is up with a tunnel set. Its MTU is 1280 by
// default, as NetBSD's.
//
// Decapsulation finds the tunnel by one lookup in the gif's encapsulation
// table (tunnel/encap.hpp) on (outer family, outer destination, outer
// source): both inner families share the entry. Two gifs with the same
// (SRC, DST) are refused (errc::addrnotavail, NetBSD's SIOCSLIFPHYADDR).
// Decapsulated packets and encapsulated ones are handed back to the lcore
// (dp_ctx::defer_input, defer_output) and run in the same poll iteration,
// never by recursion. A packet that has been through more tunnels than
// net.inet.gif.max_nesting (encapsulations and decapsulations counted
// together along its path; 2 by default, so one tunnel inside another or a
// packet decapsulated and sent into a second tunnel passes, and a third
// level, or a tunnel whose outer route leads back into itself, stops) is
// dropped as gif_nesting and counted on the interface ("recursively called
// too many times", as NetBSD logs it).
//
// ECN and DSCP follow RFC 6040's normal mode: the outer header copies the
// inner DSCP and ECN; on decapsulation an outer CE marks an ECN-capable inner
// packet CE and drops a Not-ECT one (gif_ecn_drop), and an outer ECT(1) turns
// an inner ECT(0) into ECT(1). The outer TTL is net.inet.gif.ttl, the outer
// hop limit net.inet6.gif.hlim (NetBSD's 30 for both). The outer IPv4 header
// has DF clear: an outer packet larger than the path is fragmented by the
// stack; the inner one is fragmented, or answered with frag-needed /
// packet-too-big when it may not be, by the stack's MTU check against the
// gif's MTU before it is encapsulated. A frag-needed or packet-too-big about
// one of gif's outer packets (the ctlinput seam, NetBSD's encapsw ctlinput)
// lowers the gif's MTU to the reported MTU less the outer header, so that
// check then answers the inner senders; after 600 s (NetBSD's
// mtudisc_timeout) the MTU goes back, unless the operator set one meanwhile.
//
// Drops: gif_no_tunnel (protocol 4 or 41 to one of our addresses from a peer
// no gif has), gif_bad_inner (the inner header is not of the family the
// outer protocol names), gif_nesting, gif_ecn_drop, gif_nobufs (no headroom
// for the outer header and no buffer to chain in front for it).
//
// Locking notes: a gif's tunnel is an immutable object behind an rcu_ptr
// (the variant pattern): a change publishes a new one and retires the old, and
// adds the new key to the encapsulation table before it removes the old one.
// Workers read both inside their read section. Configuration runs on the
// control plane through stack::ctl_call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mpnet/core/addr.hpp"
#include "mpnet/stack/module.hpp"
#include "mpnet/tunnel/encap.hpp"

namespace mpnet {

extern const module gif_module;

namespace gif {

using endpoints = tunnel_endpoints;

/// ifconfig IF tunnel SRC DST. errc::noent, errc::inval (not a gif; an
/// unspecified, multicast or broadcast endpoint), errc::addrnotavail
/// (another gif has this pair).
status set_tunnel(stack& s, std::string_view ifname, const endpoints& e);
/// ifconfig IF deletetunnel. errc::noent, errc::inval.
status delete_tunnel(stack& s, std::string_view ifname);

struct info {
    bool configured = false;
    endpoints tunnel;
    uint64_t nesting_drops = 0;  // packets stopped by the nesting limit on this gif
};
/// errc::noent, errc::inval (not a gif).
result<info> get(stack& s, std::string_view ifname);

}  // namespace gif
}  // namespace mpnet
