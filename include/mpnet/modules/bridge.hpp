// SPDX-License-Identifier: BSD-2-Clause
// bridge(4): an MP-safe learning bridge (NetBSD's if_bridge with brconfig(8)),
// a module over the seams alone (src/modules/bridge).
//
// `ifconfig bridge0 create`, `brconfig bridge0 add IF`: the member's input
// and its own layer 3's output are taken over (if_hook_ops) and given back on
// `delete`. Frames are forwarded by the forwarding database (FDB): a known
// destination goes out of its port (never the one it came in on), unknown
// unicast to every other port with DISCOVER set, broadcast and multicast to
// every other port and to the local stack. Frames to the bridge's own MAC or
// to a member's are delivered locally on that interface, so addresses on the
// bridge and on members (NetBSD's member_ip) answer and are routed.
//
// Locking notes:
// - Workers read a bridge's member set (RCU-published, immutable) and its
//   FDB (rcu_hash) with no lock. The hit path writes nothing but an entry's
//   last-seen time, at most once a second per entry (a relaxed store on a
//   line only that entry's readers share), so aging knows it is in use.
// - Learning is the control plane's: a worker that sees an unknown or moved
//   source sends a notice (bridge, port, MAC), at most
//   net.link.bridge.learn_rate a second per lcore; the control plane inserts
//   or moves the entry. Workers never write the FDB's structure.
// - Membership, flags, limits and the sweep run on the control plane with
//   the stack's control lock held (these functions take it through ctl_call).
// Limits: maxaddr entries per bridge (default 100, as NetBSD; at most
// fdb_max), learn_rate notices per lcore per second.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/stack/stack.hpp"

namespace mpnet::bridge {

inline constexpr uint32_t maxaddr_default = 100;        // NetBSD's BRIDGE_RTABLE_MAX
inline constexpr uint32_t timeout_default_s = 1200;     // NetBSD's BRIDGE_RTABLE_TIMEOUT
inline constexpr uint32_t fdb_max = 1u << 20;           // the largest maxaddr
inline constexpr uint32_t learn_rate_default = 20000;   // notices per lcore per second
inline constexpr uint16_t stp_priority_default = 32768;  // 802.1D's bridge priority
inline constexpr uint32_t stp_path_cost_default = 55;    // NetBSD's default port path cost

/// Port flags: NetBSD's IFBIF_* values.
namespace portf {
inline constexpr uint32_t learning = 0x1;
inline constexpr uint32_t discover = 0x2;
inline constexpr uint32_t stp = 0x4;  // the port takes part in the spanning tree
}  // namespace portf

struct port_info {
    std::string ifname;
    ifindex_t index = 0;
    uint32_t flags = 0;  // portf
    bool running = false;
    std::string state;  // disabled, listening, learning, forwarding, blocking
    std::string role;   // STP ports: root, designated, alternate (blocked), disabled; "" without STP
    uint8_t priority = 128;
    uint32_t path_cost = stp_path_cost_default;
    uint64_t designated_root = 0, designated_bridge = 0;
    uint32_t designated_cost = 0;
    uint16_t designated_port = 0;
    uint64_t rx_bpdus = 0, tx_bpdus = 0;
};

/// Spanning-tree parameters and what the tree is now (802.1D; bridge IDs
/// are priority << 48 | MAC, shown as PPPP.MMMMMMMMMMMM like Linux's).
struct stp_info {
    uint16_t priority = stp_priority_default;
    uint8_t hello_s = 2, fwd_delay_s = 15, max_age_s = 20;
    uint64_t bridge_id = 0, root_id = 0;
    uint32_t root_cost = 0;
    std::string root_port;  // "" when this bridge is the root
    bool topology_change = false;
};
/// 8000.020000000001
std::string bridge_id_str(uint64_t id);

struct fdb_info {
    ether_addr mac{};
    std::string ifname;
    bool is_static = false;
    int64_t expire_s = -1;  // seconds until it ages out; -1: never (static, or timeout 0)
};

struct info {
    std::string name;
    uint32_t flags = 0;  // the bridge interface's iff flags
    uint32_t maxaddr = maxaddr_default;
    uint32_t timeout_s = timeout_default_s;  // 0: entries never age
    std::vector<port_info> ports;
    std::vector<fdb_info> fdb;  // by MAC
    uint64_t learned = 0;        // entries the control plane added or moved
    uint64_t learn_limited = 0;  // sources not learned: the rate limit or a full notice ring
    uint64_t fdb_full = 0;       // sources not learned: maxaddr reached
    stp_info stp;
};

/// brconfig BR add IF: errc::noent (no such interface), inval (BR is not a
/// bridge, IF is a bridge, has no link address, or is lo), busy (IF is a
/// member of a bridge already).
status add(stack& s, std::string_view br, std::string_view member);
/// brconfig BR delete IF: the member's input is its own again; its FDB entries go.
status del(stack& s, std::string_view br, std::string_view member);
/// brconfig BR maxaddr N (1..fdb_max): lowering it trims the oldest dynamic entries.
status set_maxaddr(stack& s, std::string_view br, uint32_t n);
/// brconfig BR timeout S (0: never age).
status set_timeout(stack& s, std::string_view br, uint32_t seconds);
/// brconfig BR flush (dynamic entries) / flushall (static ones too).
status flush(stack& s, std::string_view br, bool all);
/// brconfig BR deladdr MAC: errc::noent when it is not there.
status deladdr(stack& s, std::string_view br, const ether_addr& mac);
/// brconfig BR static IF MAC: a permanent entry (replaces a learned one).
status static_add(stack& s, std::string_view br, std::string_view member, const ether_addr& mac);
/// brconfig BR learn|-learn|discover|-discover|stp|-stp IF.
status set_port_flag(stack& s, std::string_view br, std::string_view member, uint32_t flag, bool on);
/// brconfig BR priority N (0..65535) | hellotime S (1..10) | fwddelay S
/// (4..30) | maxage S (6..40): the spanning tree's bridge parameters.
/// errc::inval out of range (or 2*(fwddelay-1) < maxage or maxage <
/// 2*(hellotime+1), 802.1D's rule, which a bad set of times breaks).
status set_priority(stack& s, std::string_view br, uint32_t priority);
status set_times(stack& s, std::string_view br, uint32_t hello_s, uint32_t fwd_delay_s, uint32_t max_age_s);
/// brconfig BR ifpriority IF N (0..255) | ifpathcost IF N (1..65535).
status set_port_priority(stack& s, std::string_view br, std::string_view member, uint32_t priority);
status set_port_path_cost(stack& s, std::string_view br, std::string_view member, uint32_t cost);
/// brconfig BR: its members, FDB and limits.
result<info> get(stack& s, std::string_view br);
/// brconfig -a: every bridge, by index.
std::vector<info> list(stack& s);

}  // namespace mpnet::bridge
