// SPDX-License-Identifier: BSD-2-Clause
// l2tp(4): L2TPv3 Ethernet pseudowires (RFC 3931) with static sessions and
// no control channel, as NetBSD's l2tp(4); a module over the seams alone
// (src/modules/tunnel/l2tp.cpp).
//
// `ifconfig l2tp0 create` makes an Ethernet interface (its own random local
// MAC) whose wire is a session to one peer: `tunnel SRC DST` (IPv4 or IPv6
// outer), `session LOCAL REMOTE` (32-bit session ids, not 0), `cookie LEN
// LOCAL LEN REMOTE` (0, 4 or 8 bytes each way; NetBSD's words),
// `deletecookie`, `deletesession`, `deletetunnel`, and `encap ip|udp`:
// straight over IP (protocol 115, the default, what NetBSD speaks) or over UDP
// port 1701 (RFC 3931 4.1.2.1: a 4-byte header, T bit clear, version 3,
// before the session id). It runs while it is up with a tunnel and a session.
// What it sends carries the remote session id and cookie; what it receives
// must carry the local ones. It is an ordinary bridge member (NetBSD's
// t_l2tp: a LAN port and l2tp0 in one bridge on each side) or an Ethernet
// interface with addresses of its own.
//
// Decapsulation is one lookup in the module's encapsulation table on
// (outer family, protocol or UDP port, local, remote, local session id);
// the frame goes to the interface's input (dp_ctx::defer_if_input: a
// bridge's takeover when it is a member). Encapsulation is the kind's
// transmit: the outer headers in front of the finished frame, then
// dp_ctx::defer_output. The outer IPv4 header has DF clear and a zero UDP
// checksum; over IPv6 the UDP checksum is filled in. A frame whose outer
// packet is larger than the path is fragmented by the stack, and mpnet does
// not reassemble: keep the WAN's MTU above the LAN's plus the overhead
// (up to 20/40 + 12 + 8 bytes), as with any L2TPv3 pseudowire.
//
// Drops: l2tp_no_session (no pseudowire has that session from that peer),
// l2tp_bad_cookie, l2tp_too_short (short header or no Ethernet frame
// inside), l2tp_control (a control message, or session 0: no control
// channel here), l2tp_bad_version (UDP header not version 3), l2tp_nesting
// (dp_ctx::nesting() at net.inet.l2tp.max_nesting, 2 by default, as gif's),
// l2tp_not_ready (sending with no tunnel or session), l2tp_nobufs.
//
// Locking notes: an l2tp's configuration is one immutable object behind an
// rcu_ptr, republished whole on every change; its encapsulation entry is
// added before the old one is removed. Workers read both inside their read
// section. Configuration runs on the control plane through stack::ctl_call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mpnet/stack/module.hpp"
#include "mpnet/tunnel/encap.hpp"

namespace mpnet {

extern const module l2tp_module;

namespace l2tp {

inline constexpr uint8_t ipproto_l2tp = 115;
inline constexpr uint16_t udp_port = 1701;

struct cookie {
    uint8_t len = 0;  // 0, 4 or 8 bytes
    uint64_t value = 0;
};

struct config {
    bool has_tunnel = false;
    tunnel_endpoints tunnel;
    bool udp = false;  // encap udp: over UDP 1701 rather than IP protocol 115
    uint32_t local_session = 0, remote_session = 0;  // 0: no session
    cookie local_cookie, remote_cookie;
};

/// Each errc::noent (no such interface) or errc::inval (not an l2tp
/// interface; a bad value). set_tunnel and set_session: errc::addrnotavail
/// when another l2tp has the same tunnel and local session.
status set_tunnel(stack& s, std::string_view ifname, const tunnel_endpoints& e);
status delete_tunnel(stack& s, std::string_view ifname);
status set_session(stack& s, std::string_view ifname, uint32_t local, uint32_t remote);
status delete_session(stack& s, std::string_view ifname);
status set_cookie(stack& s, std::string_view ifname, cookie local, cookie remote);
status delete_cookie(stack& s, std::string_view ifname);
status set_udp(stack& s, std::string_view ifname, bool udp);

struct info {
    config cfg;
    uint64_t nesting_drops = 0;
};
result<info> get(stack& s, std::string_view ifname);

}  // namespace l2tp
}  // namespace mpnet
