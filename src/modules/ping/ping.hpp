// SPDX-License-Identifier: BSD-2-Clause
// The ping module: ping(8)'s echo sessions for both families, driven by
// control-plane timers. Replies and errors come back from inet4's and
// inet6's ICMP input through the hand-over ring.
//
// Locking notes: all of it is the control plane's, under the control lock.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "mpnet/l3/ip6.hpp"
#include "mpnet/stack/stack.hpp"

namespace mpnet {

struct ping_session {
    uint32_t id = 0;
    uint16_t icmp_id = 0;
    bool v6 = false;
    ip6_addr dst6{};
    ifindex_t zone = 0;  // ifindex scoping a link-local dst6
    ip4_addr dst;
    ping_opts opts;
    ping_result res;
    std::vector<uint64_t> sent_at;  // per sequence number
    std::vector<uint8_t> got;       // per sequence number
    uint64_t timer = 0;
    uint64_t deadline_ns = 0;
};

class pinger {
public:
    explicit pinger(stack::impl& s) : stk(s) {}
    pinger(const pinger&) = delete;
    pinger& operator=(const pinger&) = delete;

    stack::impl& stk;

    std::map<uint32_t, ping_session> pings;
    uint32_t next_ping_id = 1;

    /// A new session after the checks both families share (count, payload
    /// up to `payload_max`, ttl; the session limit): `dst` fills in the
    /// family's destination, then the first request goes out.
    result<uint32_t> open_session(const ping_opts& opts, uint16_t payload_max,
                                  const std::function<void(ping_session&)>& dst);
    void ping_send(ping_session& s);
    void ping_tick(uint32_t id);
    void ping_input(mbuf* m);
    void ping6_send(ping_session& s);
    void ping6_input(mbuf* m, uint32_t off);
    /// Accounts an echo reply with sequence `seq` to session `s`.
    void ping_reply(ping_session& s, uint16_t seq);
    /// An ICMP unreachable / time exceeded about our own traffic (IPv4
    /// header at front): counted on the ping session whose request it
    /// quotes. The packet stays the caller's (inet4's icmp_err_input).
    void icmp_err_seen(mbuf* m);
    void icmp6_err_input(mbuf* m, uint32_t off);
};

}  // namespace mpnet
