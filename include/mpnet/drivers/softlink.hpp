// SPDX-License-Identifier: BSD-2-Clause
// Software links for tests, demos and scenario runs:
// - ring_link: a point-to-point wire between two ports made of two DPDK ring
//   PMD ports (net_ring, via rte_eth_from_rings): a real PMD on both ends.
// - bus: a shared Ethernet segment joining any number of ports (NetBSD's
//   shmif bus): every frame sent by one member is received by all others,
//   and the segment keeps a bounded capture that tests read and that can be
//   written as a pcap file for tcpdump/tshark.
//
// Locking notes (bus): members are published in a fixed slot array (atomic
// pointers); senders are RCU readers and deliver into each member's bounded
// multi-producer ring; a member's destruction unpublishes its slot and waits
// a grace period before freeing its ring. The capture is a simulation aid and
// takes a mutex per captured frame; it is off the stack's data path proper
// (the wire, not the stack) and bounded by capture_max frames.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "mpnet/core/packet.hpp"
#include "mpnet/core/ring.hpp"
#include "mpnet/drivers/ethdev_port.hpp"
#include "mpnet/netif/port.hpp"

namespace mpnet::drivers {

/// A locally administered MAC, unique in the process: 02:6d:70:xx:xx:xx.
ether_addr soft_mac();

/// Queue counts of each end of a ring link. A frame sent on TX queue t of
/// one end arrives on RX queue t % (the other end's RX queues): with one RX
/// queue the far end sees a single ordered wire; with several, the sender
/// picks the queue as a NIC's RSS would.
struct ring_link_opts {
    uint16_t a_rxq = 2, a_txq = 2, b_rxq = 2, b_txq = 2;
    unsigned ring_size = 1024;  // descriptors per RX queue (power of two)
};

/// Creates a point-to-point link; `a` uses pool_a for RX setup, `b` pool_b.
result<std::pair<std::unique_ptr<ethdev_port>, std::unique_ptr<ethdev_port>>> ring_link(const std::string& name,
                                                                                        rte_mempool* pool_a,
                                                                                        rte_mempool* pool_b,
                                                                                        const ring_link_opts& o);
/// Both ends have `queues` RX and TX queues.
result<std::pair<std::unique_ptr<ethdev_port>, std::unique_ptr<ethdev_port>>> ring_link(const std::string& name,
                                                                                        rte_mempool* pool_a,
                                                                                        rte_mempool* pool_b,
                                                                                        uint16_t queues = 2);

/// One captured frame on a bus.
struct bus_frame {
    uint64_t seq;
    std::vector<uint8_t> bytes;
};

class bus_port;

class bus {
public:
    static constexpr size_t members_max = 16;
    static constexpr size_t capture_max = 4096;

    /// `mbufs` sizes the segment's own pool (each delivery is a copy).
    explicit bus(std::string name, uint32_t mbufs = 4095);
    ~bus();
    bus(const bus&) = delete;
    bus& operator=(const bus&) = delete;

    /// A new member port with a fresh MAC. errc::nospc past members_max.
    result<std::unique_ptr<bus_port>> attach(unsigned rx_ring = 1024);

    /// Frames captured since the last take (oldest first, at most capture_max).
    std::vector<bus_frame> take_capture();
    /// Capture as tcpdump -e -n style one-line summaries.
    std::vector<std::string> take_summaries();
    /// Writes every frame captured so far (and keeps them) to a pcap file.
    status write_pcap(const std::string& path) const;
    uint64_t frames_sent() const noexcept { return sent_.load(std::memory_order_relaxed); }
    uint64_t deliveries_dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    const std::string& name() const noexcept { return name_; }

private:
    friend class bus_port;
    void deliver(bus_port* from, mbuf** pkts, uint16_t n) noexcept;
    void detach(bus_port* p) noexcept;

    std::string name_;
    rte_mempool* pool_ = nullptr;
    std::array<std::atomic<bus_port*>, members_max> members_{};
    std::atomic<uint64_t> sent_{0}, dropped_{0};
    mutable std::mutex cap_mu_;
    std::deque<bus_frame> cap_;       // since the last take
    std::vector<bus_frame> cap_all_;  // everything, for write_pcap (bounded)
    uint64_t cap_seq_ = 0;
};

class bus_port final : public port {
public:
    ~bus_port() override;
    uint16_t rx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept override;
    uint16_t tx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept override;
    uint16_t rx_queues() const noexcept override { return 1; }
    uint16_t tx_queues() const noexcept override { return 1; }
    bool link_up() const noexcept override { return carrier_.load(std::memory_order_acquire); }
    ether_addr mac() const noexcept override { return ether_addr::from_u64(mac_.load(std::memory_order_acquire)); }
    status set_mac(const ether_addr& a) override {
        mac_.store(a.to_u64(), std::memory_order_release);
        return {};
    }
    std::string describe() const override { return "bus " + bus_->name(); }
    bool tx_mt_safe() const noexcept override { return true; }  // deliveries go to multi-producer rings
    /// ifconfig media none / auto: the carrier as the far side sees it.
    void set_carrier(bool up) noexcept { carrier_.store(up, std::memory_order_release); }
    /// The segment carries frames of any length; tests choose what the port
    /// claims (0, the default: unknown, as a NIC without VLAN-MTU support).
    uint32_t max_mtu() const noexcept override { return max_mtu_.load(std::memory_order_relaxed); }
    void set_max_mtu(uint32_t m) noexcept { max_mtu_.store(m, std::memory_order_relaxed); }

private:
    friend class bus;
    bus_port(bus* b, ether_addr mac) : bus_(b), mac_(mac.to_u64()) {}
    bus* bus_;
    std::atomic<uint64_t> mac_;
    std::atomic<bool> carrier_{true};
    std::atomic<uint32_t> max_mtu_{0};
    pkt_ring rx_;
    size_t slot_ = 0;
};

/// One line, tcpdump -e -n style, for an Ethernet frame (ARP and IPv4/ICMP
/// decoded; anything else by ethertype).
std::string frame_summary(const uint8_t* p, size_t len);

}  // namespace mpnet::drivers
