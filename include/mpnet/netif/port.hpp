// SPDX-License-Identifier: BSD-2-Clause
// The port seam: what an Ethernet interface needs from a driver. drivers/
// implements it over DPDK ethdev (any PMD) and over in-process software links.
//
// Locking notes: rx_burst(q) is called only by the one lcore that owns RX queue
// q. tx_burst(q) is called only by the lcore that owns TX queue q (workers own
// queues 0..W-1, the control plane owns queue W; see docs/locking.md). Link
// state and the MAC may be read from any thread. start()/stop() run on the
// control plane with the interface unpublished from the data path or down.
#pragma once

#include <cstdint>
#include <string>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"

namespace mpnet {

class port {
public:
    virtual ~port() = default;
    /// Receives up to n packets from RX queue q; returns how many. Never blocks.
    virtual uint16_t rx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept = 0;
    /// Sends up to n packets on TX queue q; returns how many were taken. The
    /// caller frees the rest (DPDK's convention).
    virtual uint16_t tx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept = 0;
    virtual uint16_t rx_queues() const noexcept = 0;
    virtual uint16_t tx_queues() const noexcept = 0;
    /// Carrier state (NetBSD's link state), not the administrative UP flag.
    virtual bool link_up() const noexcept = 0;
    virtual ether_addr mac() const noexcept = 0;
    /// Control plane: programs a new unicast MAC; errc::notsup if the driver cannot.
    virtual status set_mac(const ether_addr&) { return errc::notsup; }
    /// What the port is, for `show interfaces` ("net_ring p2p", "bus seg0").
    virtual std::string describe() const = 0;
};

}  // namespace mpnet
