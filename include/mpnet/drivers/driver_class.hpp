// SPDX-License-Identifier: BSD-2-Clause
// Driver classes: profiles for the NIC families the seed targets, after the
// NetBSD drivers that run them: wm (Intel e1000/igb/igc PMDs), vioif (virtio
// and virtio-user), vmx (vmxnet3); "soft" for software PMDs (ring, memif,
// af_packet, tap, pcap, null, vhost). A profile says what mpnet asks of such
// a port: queue limits, RSS, checksum offloads, link-state and RX interrupts.
// plan_port() intersects the profile with what the device reports, so the
// plan is a pure function that tests check without hardware.
//
// Locking notes: constant tables and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mpnet::drivers {

struct driver_profile {
    std::string_view cls;     // wm, vioif, vmx, soft
    std::string_view driver;  // the PMD's driver name ("net_e1000_igb")
    uint16_t max_rxq = 1, max_txq = 1;  // what the driver class uses at most
    bool rss = false;         // program RSS over several RX queues
    bool rss_pow2 = false;    // RSS needs a power-of-two queue count (vmxnet3)
    bool rx_cksum = false;    // use RX checksum offload when offered
    bool lsc_intr = false;    // link-state change interrupts
    bool rxq_intr = false;    // RX queue interrupts (NAPI-like sleep)
    bool same_queues = false;  // the PMD wants as many RX as TX queues (tap)
};

/// The profile for a PMD driver name; unknown drivers get the soft profile.
const driver_profile& profile_for(std::string_view driver_name) noexcept;

/// What the device reported (rte_eth_dev_info, in DPDK's bit values).
struct dev_caps {
    uint16_t max_rxq = 1, max_txq = 1;
    uint64_t rx_offload_capa = 0;
    uint64_t rss_offloads = 0;  // flow_type_rss_offloads
    bool lsc = false;           // RTE_ETH_DEV_INTR_LSC
};

/// How a port is configured: the profile and the device, intersected.
struct port_plan {
    uint16_t rxq = 1, txq = 1;
    uint64_t rss_hf = 0;       // 0: no RSS
    uint64_t rx_offloads = 0;
    bool lsc_intr = false;
    bool rxq_intr = false;
    std::string summary() const;  // "rxq 4 txq 3 rss ip,udp,tcp rx-cksum lsc rxq-intr"
};

port_plan plan_port(const driver_profile& p, const dev_caps& caps, uint16_t want_rxq, uint16_t want_txq);

}  // namespace mpnet::drivers
