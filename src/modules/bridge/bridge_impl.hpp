// SPDX-License-Identifier: BSD-2-Clause
// bridge(4)'s internals, shared by the forwarding code (bridge.cpp) and the
// spanning tree (stp.cpp). Locking as in include/mpnet/modules/bridge.hpp:
// what workers read is published (br_ports, the FDB); the rest is the
// control plane's, under the stack's control lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <vector>

#include "mpnet/modules/bridge.hpp"
#include "mpnet/stack/module.hpp"
#include "mpnet/sync/rcu.hpp"
#include "mpnet/sync/rcu_hash.hpp"

namespace mpnet::brimpl {

using namespace bridge;

/// Members one bridge may have (brconfig add past it: errc::nospc); the
/// data path sizes its flood lists by it.
constexpr size_t br_members_max = 255;
// A worker refreshes an entry's last-seen time at most this often.
constexpr uint64_t seen_refresh_ns = ns_per_s;
// Learning notices are counted in windows of this length per lcore.
constexpr uint64_t learn_window_ns = 10 * ns_per_ms;

/// A port's 802.1D state, as the data path obeys it: only forwarding ports
/// send and receive frames; learning ones learn sources and forward nothing;
/// the others take only BPDUs. A port without STP is always forwarding.
enum class pstate : uint8_t { disabled, listening, learning, forwarding, blocking };

struct br_port {
    ifindex_t ifindex = 0;
    uint32_t flags = portf::learning | portf::discover;
    pstate state = pstate::forwarding;
    bool was_promisc = false;  // control only: what `delete` restores
};

/// A bridge's members. Immutable once published.
struct br_ports {
    std::vector<br_port> v;
    const br_port* find(ifindex_t ifindex) const noexcept {
        for (const br_port& p : v)
            if (p.ifindex == ifindex) return &p;
        return nullptr;
    }
};

struct fdb_entry {
    fdb_entry(uint64_t k, ifindex_t p, uint64_t now, bool st) : key(k), port(p), seen_ns(now), is_static(st) {}
    const uint64_t key;  // the MAC (ether_addr::to_u64)
    std::atomic<ifindex_t> port;
    std::atomic<uint64_t> seen_ns;
    const bool is_static;
};
struct fdb_key_of {
    static uint64_t get(const fdb_entry& e) noexcept { return e.key; }
};
struct fdb_hash {
    uint64_t operator()(uint64_t k) const noexcept { return rcu_hash_mix(k); }
};
using fdb_table = rcu_hash<fdb_entry, fdb_key_of, fdb_hash>;

/// 802.1D per-port variables (control only); times are deadlines in ns (0: stopped).
struct stp_port {
    uint8_t priority = 128;
    uint8_t number = 0;  // the port number in its port ID, 1..255, unique in the bridge
    uint32_t path_cost = stp_path_cost_default;
    uint64_t d_root = 0, d_bridge = 0;  // designated root and bridge
    uint32_t d_cost = 0;                 // designated cost
    uint16_t d_port = 0;                 // designated port
    uint16_t rx_age = 0;                 // message age of the recorded information (1/256 s)
    uint64_t rx_at = 0;                  // when it was recorded
    uint64_t msg_age_due = 0, fwd_due = 0, hold_until = 0;
    bool config_pending = false, tc_ack = false;
    uint64_t rx_bpdus = 0, tx_bpdus = 0;
};

/// 802.1D per-bridge variables (control only).
struct stp_bridge {
    uint16_t priority = stp_priority_default;
    uint8_t hello_s = 2, fwd_delay_s = 15, max_age_s = 20;  // this bridge's own
    uint64_t root_id = 0;
    uint32_t root_cost = 0;
    ifindex_t root_port = 0;  // ifindex; 0: this bridge is the root
    // The times in use (the root's, as its BPDUs carry them), 1/256 s.
    uint16_t max_age = 20 * 256, hello = 2 * 256, fwd_delay = 15 * 256;
    bool tc = false, tc_detected = false;
    uint64_t hello_due = 0, tcn_due = 0, tc_until = 0;
    uint64_t tick_timer = 0;
    std::map<ifindex_t, stp_port> ports;  // by member ifindex, STP ports only
};

struct br_softc final : if_softc {
    rcu_ptr<br_ports> ports;
    fdb_table fdb{fdb_max};
    // Control only.
    uint32_t maxaddr = maxaddr_default;
    uint32_t timeout_s = timeout_default_s;
    uint64_t sweep_timer = 0;
    stp_bridge stp;
    // Counters (workers and control).
    std::atomic<uint64_t> learned{0}, learn_limited{0}, fdb_full{0};
    br_softc() { (void)ports.publish(new br_ports); }
    ~br_softc() override { delete ports.publish(nullptr); }  // the interface is past its grace period
};

struct alignas(64) lcore_learn {
    uint64_t window_ns = 0;
    uint32_t used = 0;
};

struct br_state {
    // member ifindex -> its bridge's ifindex (0: not a member).
    std::array<std::atomic<ifindex_t>, limits::ifnet_max> bridge_of{};
    if_hook_ops hook{};
    uint16_t learn_id = 0, stp_punt = 0;
    std::atomic<uint32_t> learn_rate{learn_rate_default};
    std::array<lcore_learn, limits::lcore_max + 1> lc{};
    drop_reason too_short{}, bad_src{}, same_port{}, no_port{}, reserved{}, not_forwarding{}, bad_bpdu{};
    stack::impl* impl = nullptr;
};

inline bool is_bridge(const ifnet& ifp) noexcept { return ifp.kind().name == "bridge"; }
inline br_softc& sc(const ifnet& ifp) noexcept { return *static_cast<br_softc*>(ifp.softc()); }

/// The bridge's members, changed: a new set published (and the old retired).
void publish_ports(br_softc& b, std::vector<br_port> v);
/// Entries of `port` go (a member left, or a port stopped forwarding).
void fdb_remove_port(br_softc& b, ifindex_t port);
/// Dynamic entries go (`all`: static ones too).
void fdb_flush(br_softc& b, bool all);
/// Dynamic entries unseen for `age_ns` go (the sweep; a topology change).
void fdb_age(br_softc& b, uint64_t now, uint64_t age_ns);

// ---- the spanning tree (stp.cpp) ----

/// A BPDU a worker handed over from member `ifp`.
void stp_input(module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t aux, void* arg);
/// `stp IF` / `-stp IF`, a member's link or the bridge going up or down:
/// the tree is recomputed and the port states published.
void stp_port_enable(module_ctl& ctl, br_state& st, ifnet& br, ifindex_t port, bool stp_on);
void stp_reinit(module_ctl& ctl, br_state& st, ifnet& br);
/// The bridge is going: its timers stop.
void stp_stop(module_ctl& ctl, ifnet& br);
/// Priority, hello time, forward delay, max age changed: recomputed.
void stp_reconfigure(module_ctl& ctl, br_state& st, ifnet& br, uint64_t old_id);
uint64_t stp_bridge_id(const ifnet& br) noexcept;
uint16_t stp_port_id(const stp_port& p) noexcept;
const char* pstate_name(pstate s) noexcept;
/// An STP port's role: root, designated, alternate, or disabled; "" without STP.
const char* stp_role(const ifnet& br, ifindex_t ifindex, pstate state) noexcept;

}  // namespace mpnet::brimpl
