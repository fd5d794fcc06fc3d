// SPDX-License-Identifier: BSD-2-Clause
// mpgen's engine: one datapath thread that drives one or two DPDK ports. Each
// transmitting port sends its flows at a rate paced per packet from the TSC;
// each receiving port checks trailers (sequence window per port and per
// flow, latency histograms), answers ARP and neighbour solicitations for its
// own addresses and resolves its gateway. Port i receives what port 1 - i
// sends (one port: what it sends itself, e.g. through a hairpinning DUT).
//
// Locking notes: the datapath thread is the only writer of every counter,
// checker and histogram. Control threads (CLI, curses, web, RFC 2544 runner)
// post changes under ctl_mu_ and bump an atomic generation; the datapath
// applies them between bursts. clear() and the first start after a change
// wait for the datapath to acknowledge (bounded). Snapshots read counters
// with relaxed loads: each value whole, the set not a consistent cut.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mpnet/gen/config.hpp"
#include "mpnet/gen/packet.hpp"
#include "mpnet/gen/stats.hpp"

struct rte_mempool;
struct rte_mbuf;

namespace mpnet::gen {

struct port_setup {
    std::string dev;                    // DPDK port id ("0") or name ("net_memif0")
    std::optional<ether_addr> gw_mac;   // next hop MAC, given
    std::optional<ip4_addr> gw4;        // or resolved with ARP
    std::optional<ip6_addr> gw6;        // or with neighbour solicitation
    std::optional<ip4_addr> own4;       // answered in ARP
    std::optional<ip6_addr> own6;       // answered in ND
};

struct engine_config {
    std::vector<port_setup> ports;  // one or two
    unsigned tx_mask = 1;           // bit i: port i transmits
    std::vector<flow> flows;        // port 0's flows; port 1 sends them reversed
    bool tcp = false;
    uint16_t vlan = 0;
    /// Port 0 sends its frames inside this tunnel, from its own IPv4
    /// address to its IPv4 gateway (both needed; no VLAN tag then).
    encap_spec encap;
    size_mix sizes = single_size(64);
    rate_spec rate;                 // default 100 % of line rate
    uint32_t burst = 1;             // frames sent back to back per slot
    uint64_t link_bps = 0;          // 0: the port's reported speed, else 10 Gb/s
    bool l1_bps = false;            // bit rates include preamble and gap
    uint64_t count = 0;             // frames per transmitting port per start (0: no limit)
    uint32_t mbufs = 16383;
    uint16_t ring = 1024;
    uint32_t max_lag_us = 200;      // a slot later than this is skipped (TX underrun)
    uint32_t idle_sleep_us = 50;    // datapath naps when no port sends and RX is empty (0: spin)
    uint32_t flow_stats_limit = 4096;  // flows with their own counters and histogram
    uint8_t magic = 0x6d;
    uint32_t link_wait_ms = 10000;  // ports must report link up within this (memif: the peer connected)
};

struct latency_summary {
    uint64_t count = 0;
    double min_ns = 0, avg_ns = 0, max_ns = 0, p50_ns = 0, p99_ns = 0, p999_ns = 0;
};

struct flow_snapshot {
    uint64_t tx = 0, rx = 0, duplicate = 0, reorder = 0, drop = 0;
    latency_summary lat;
};

struct port_snapshot {
    std::string name;
    ether_addr mac{};
    bool transmits = false, running = false, resolved = false;
    std::string sizes, rate;
    double tx_pps_cfg = 0, line_pps = 0;
    uint64_t link_bps = 0;
    // transmit side
    uint64_t tx = 0, tx_bytes = 0, tx_underrun = 0, tx_full = 0, tx_arp = 0;
    // receive side
    uint64_t rx = 0, rx_bytes = 0, rx_test = 0, rx_other = 0, rx_arp = 0, rx_nd = 0;
    seq_counts seq;
    uint64_t drop = 0;          // sender's transmitted - unique received (final once drained)
    uint64_t flow_reorder = 0;  // reordered within a flow (sum over flows with own counters)
    uint64_t flow_duplicate = 0;
    latency_summary lat;
    std::vector<flow_snapshot> flows;  // when asked for
};

struct snapshot {
    double time_s = 0;  // since the engine started
    uint64_t tsc_hz = 0;
    std::vector<port_snapshot> ports;
};

/// An in-process software link: two ring-backed ports wired to each other
/// (what one sends, the other receives). Returns their DPDK names.
parsed<std::pair<std::string, std::string>> create_ring_link(const std::string& name, unsigned ring_size = 4096);

class engine {
public:
    /// Opens and starts the ports, builds the frame factories. EAL must be up.
    static parsed<std::unique_ptr<engine>> create(const engine_config& c);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    /// Runs the datapath: on the first idle EAL worker lcore if there is one,
    /// else on a thread registered with EAL.
    void launch();
    /// Stops the datapath and waits for it.
    void shutdown();

    unsigned ports() const noexcept { return unsigned(ports_.size()); }
    /// The port whose frames port i receives: the other one, or itself alone.
    unsigned peer(unsigned i) const noexcept { return ports_.size() == 2 ? 1 - i : i; }
    uint16_t port_id(unsigned i) const noexcept;
    const engine_config& config() const noexcept { return cfg_; }

    /// Start or stop transmitting (port -1: every transmitting port).
    void start(int port = -1);
    void stop(int port = -1);
    /// Changes a port's frame sizes or rate; the error names what is wrong
    /// (a rate above line rate, a size below the flows' minimum) and nothing
    /// changes then.
    std::string set_sizes(int port, const size_mix& m);
    std::string set_rate(int port, const rate_spec& r);
    void set_count(int port, uint64_t n);
    void set_burst(int port, uint32_t b);
    /// Zeroes every counter; receivers start a new sequence epoch at the
    /// senders' next sequence numbers. Waits for the datapath (up to 1 s).
    bool clear();
    /// True while any port still has frames of its count to send.
    bool sending() const noexcept;
    /// Waits until every gateway MAC is known (or timeout_ms passes).
    bool wait_resolved(unsigned timeout_ms) const;

    snapshot snap(bool with_flows = false) const;
    uint64_t tsc_hz() const noexcept { return tsc_hz_; }
    rte_mempool* pool() const noexcept { return pool_; }

    struct port_state;

private:
    engine() = default;
    void loop();
    void apply_control(uint64_t now);
    uint16_t rx_port(unsigned p, uint64_t now);  // frames received
    void tx_port(unsigned p, uint64_t now);
    void do_clear();
    void resolve(unsigned p, uint64_t now);

    engine_config cfg_;
    rte_mempool* pool_ = nullptr;
    std::vector<std::unique_ptr<port_state>> ports_;
    uint64_t tsc_hz_ = 0, t0_ = 0;
    std::atomic<bool> quit_{false}, running_loop_{false};
    std::thread thread_;
    unsigned lcore_ = ~0u;

    mutable std::mutex ctl_mu_;
    bool clear_req_ = false;  // under ctl_mu_
    std::atomic<uint64_t> ctl_gen_{0}, ctl_done_{0};
};

}  // namespace mpnet::gen
