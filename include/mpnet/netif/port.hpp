// SPDX-License-Identifier: BSD-2-Clause
// The port seam: what an Ethernet interface needs from a driver. drivers/
// implements it over DPDK ethdev (any PMD) and over in-process software links.
//
// Locking notes: rx_burst(q) is called only by the one lcore that owns RX queue
// q (the ifnet's queue map; a move waits a grace period between owners).
// tx_burst(q) is called by one thread at a time per queue (the TX queue layer,
// netif/txq.hpp, arranges it) unless tx_mt_safe(). The rx_intr_* calls come
// from the lcore that owns the queue. Link state and the MAC may be read from
// any thread. Construction and destruction run on the control plane with the
// interface unpublished from the data path.
#pragma once

#include <cstdint>
#include <string>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"

namespace mpnet {

/// What the device itself counted (rte_eth_stats for an ethdev port): the
/// losses the stack never sees because the packet never reached it.
struct port_stats {
    uint64_t ipackets = 0, opackets = 0;
    uint64_t imissed = 0;    // dropped by the device: RX ring full (the worker did not poll in time)
    uint64_t ierrors = 0;    // bad frames the device refused
    uint64_t rx_nombuf = 0;  // RX buffer allocation failures: the pool ran dry
    uint64_t oerrors = 0;    // frames the device failed to send
};

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
    /// The largest MTU the device carries (0: unknown, treat as the
    /// interface's own). vlan(4) keeps its parent's MTU when the parent can
    /// carry 4 bytes more (NetBSD's ETHERCAP_VLAN_MTU), else takes 4 less.
    virtual uint32_t max_mtu() const noexcept { return 0; }
    /// Descriptors of each RX queue (0: unknown): how many packets wait
    /// before the device drops; an adaptive worker never naps longer than
    /// half of it takes to fill at the rate it just saw.
    virtual uint32_t rx_ring_size() const noexcept { return 0; }
    virtual ether_addr mac() const noexcept = 0;
    /// Control plane: programs a new unicast MAC; errc::notsup if the driver cannot.
    virtual status set_mac(const ether_addr&) { return errc::notsup; }
    /// Control plane: receive every unicast frame on the wire, not only the
    /// port's own (a bridge member). A port that always does (a software
    /// segment) accepts and does nothing.
    virtual status set_promisc(bool) { return {}; }
    /// The link address of the interface at the other end of the port where
    /// the port knows it (a host kernel's tap interface); zero otherwise.
    /// Control plane.
    virtual ether_addr peer_mac() const { return {}; }
    /// What the port is, for `show interfaces` ("net_ring p2p", "bus seg0").
    virtual std::string describe() const = 0;
    /// True when tx_burst may be called on one queue from several threads at
    /// once (a multi-producer software ring): the TX layer then needs no soft
    /// queue for a shared queue.
    virtual bool tx_mt_safe() const noexcept { return false; }
    /// The driver class whose profile configured the port ("wm", "vioif",
    /// "vmx", or "soft" for software PMDs and in-process links).
    virtual std::string driver_class() const { return "soft"; }

    // RX interrupts, for the NAPI-like polling mode. A queue that has one
    // returns a file descriptor that becomes readable (edge) when a packet
    // arrives while the interrupt is armed; -1 when the PMD has none.
    virtual int rx_intr_fd(uint16_t /*q*/) const noexcept { return -1; }
    /// Arms queue q's interrupt; false when it cannot.
    virtual bool rx_intr_arm(uint16_t /*q*/) noexcept { return false; }
    virtual void rx_intr_disarm(uint16_t /*q*/) noexcept {}
    /// The device's own counters; false when it keeps none. Control plane
    /// only; the figures may lag the data path by a burst.
    virtual bool device_stats(port_stats& /*out*/) const noexcept { return false; }
};

}  // namespace mpnet
