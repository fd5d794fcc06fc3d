// SPDX-License-Identifier: BSD-2-Clause
// The ethdev port adapter: any DPDK PMD (af_packet, tap, memif, pcap, ring,
// virtio-user, NICs) as an mpnet port, by devargs or by port id.
//
// Locking notes: as port.hpp. The adapter configures queues once, at open;
// rx_burst/tx_burst are rte_eth_rx_burst/rte_eth_tx_burst on the caller's
// queue. Destruction stops and closes the device (and removes a hot-plugged
// vdev) on the control plane after the interface is unpublished and drained.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mpnet/core/packet.hpp"
#include "mpnet/drivers/driver_class.hpp"
#include "mpnet/netif/port.hpp"

namespace mpnet::drivers {

struct ethdev_config {
    uint16_t rx_queues = 1;
    uint16_t tx_queues = 2;  // workers + 1: the control plane has its own queue
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    bool promiscuous = false;
    bool rx_intr = true;  // ask for RX queue interrupts where the driver class has them
};

class ethdev_port final : public port {
public:
    /// Hot-plugs the device named by `devargs` ("net_af_packet0,iface=veth0")
    /// and configures it with RX buffers from `pool`. errc::nodev when the
    /// probe fails, errc::inval when the queue setup is refused.
    static result<std::unique_ptr<ethdev_port>> open(const std::string& devargs, rte_mempool* pool,
                                                     const ethdev_config& cfg = {});
    /// Configures an existing ethdev port id (created by rte_eth_from_rings, say).
    /// `owned_vdev` is removed on destruction when not empty.
    static result<std::unique_ptr<ethdev_port>> attach(uint16_t port_id, rte_mempool* pool, const ethdev_config& cfg,
                                                       std::string owned_vdev = {});
    ~ethdev_port() override;

    uint16_t rx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept override;
    uint16_t tx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept override;
    uint16_t rx_queues() const noexcept override { return rxq_; }
    uint16_t tx_queues() const noexcept override { return txq_; }
    bool link_up() const noexcept override;
    uint32_t max_mtu() const noexcept override { return max_mtu_; }
    uint32_t rx_ring_size() const noexcept override { return rx_ring_; }
    ether_addr mac() const noexcept override { return mac_; }
    status set_mac(const ether_addr& a) override;
    status set_promisc(bool on) override;
    std::string describe() const override;
    std::string driver_class() const override { return std::string(class_); }
    int rx_intr_fd(uint16_t q) const noexcept override;
    bool rx_intr_arm(uint16_t q) noexcept override;
    void rx_intr_disarm(uint16_t q) noexcept override;
    bool device_stats(port_stats& out) const noexcept override;
    /// net_tap: the host kernel interface's MAC (SIOCGIFHWADDR on iface=).
    ether_addr peer_mac() const override;
    /// How the port was configured (driver class profile x device).
    const port_plan& plan() const noexcept { return plan_; }
    const std::string& driver() const noexcept { return driver_; }

    uint16_t port_id() const noexcept { return port_id_; }
    /// Forces the carrier down or up (rte_eth_dev_set_link_down/up) where the
    /// PMD supports it: tests flap links this way.
    status set_carrier(bool up);
    /// Lets set_mac() keep the address in software when the PMD cannot program
    /// one (software PMDs that do not filter by MAC, such as net_ring).
    void allow_soft_mac(const ether_addr& initial) noexcept {
        soft_mac_ = true;
        mac_ = initial;
    }
    /// Keeps `h` alive as long as the port (rings a PMD borrows, say).
    void hold(std::shared_ptr<void> h) { held_ = std::move(h); }

private:
    ethdev_port() = default;
    uint16_t port_id_ = 0;
    uint16_t rxq_ = 1, txq_ = 1;
    uint32_t rx_ring_ = 0;
    uint32_t max_mtu_ = 0;
    ether_addr mac_{};
    bool soft_mac_ = false;
    std::string vdev_;
    std::string driver_;
    std::string host_if_;  // net_tap: the host kernel interface (iface=)
    std::string_view class_ = "soft";
    port_plan plan_;
    bool rxq_intr_ = false;
    bool is_eventfd(int fd) noexcept;
    int efd_cache_fd_ = -1;  // the last fd looked at, and whether it was an eventfd
    bool efd_cache_is_ = false;
    std::shared_ptr<void> held_;
};

/// A stack_config::port_open that opens ethdev ports by devargs, with one TX
/// queue per lcore slot (tap(4)'s host interface in mpnetd).
std::function<std::unique_ptr<port>(std::string_view devargs, rte_mempool* pool, uint16_t tx_queues)>
ethdev_opener();

}  // namespace mpnet::drivers
