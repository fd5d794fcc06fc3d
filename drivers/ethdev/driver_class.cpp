// SPDX-License-Identifier: BSD-2-Clause
// Driver class profiles and the port plan.
#include "mpnet/drivers/driver_class.hpp"

#include <rte_ethdev.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace mpnet::drivers {

namespace {

// Queue limits follow the hardware NetBSD's drivers support: wm's 82576 and
// I350 have 16 and 8 queue pairs, I210 4, I211 2, the 8257x em parts one;
// igc (I225/I226) 4; vioif and vmx use up to 8 (VMXNET3's RSS table takes
// a power of two). Software PMDs take what the device reports.
constexpr std::array<driver_profile, 14> profiles{{
    {"wm", "net_e1000_em", 1, 1, false, false, true, true, true},
    {"wm", "net_e1000_igb", 16, 16, true, false, true, true, true},
    {"wm", "net_e1000_igb_vf", 2, 2, true, false, true, true, true},
    {"wm", "net_igc", 4, 4, true, false, true, true, true},
    {"vioif", "net_virtio", 8, 8, true, false, true, true, true},
    {"vioif", "net_virtio_user", 8, 8, true, false, true, true, true},
    {"vmx", "net_vmxnet3", 8, 8, true, true, true, true, true},
    {"soft", "net_memif", 64, 64, false, false, false, false, false},
    {"soft", "net_tap", 16, 16, false, false, false, false, true, true},
    {"soft", "net_af_packet", 64, 64, false, false, false, false, false},
    {"soft", "net_vhost", 64, 64, false, false, false, true, true},
    {"soft", "net_ring", 64, 64, false, false, false, false, false},
    {"soft", "net_pcap", 64, 64, false, false, false, false, false},
    {"soft", "net_null", 64, 64, false, false, false, false, false},
}};
constexpr driver_profile soft_default{"soft", "", 64, 64, false, false, false, false, false};

uint16_t pow2_floor(uint16_t v) noexcept {
    uint16_t p = 1;
    while (p * 2 <= v) p = static_cast<uint16_t>(p * 2);
    return p;
}

}  // namespace

const driver_profile& profile_for(std::string_view driver_name) noexcept {
    for (const auto& p : profiles)
        if (p.driver == driver_name) return p;
    return soft_default;
}

port_plan plan_port(const driver_profile& p, const dev_caps& caps, uint16_t want_rxq, uint16_t want_txq) {
    port_plan pl;
    pl.rxq = std::max<uint16_t>(1, std::min({want_rxq, p.max_rxq, caps.max_rxq}));
    pl.txq = std::max<uint16_t>(1, std::min({want_txq, p.max_txq, caps.max_txq}));
    if (p.same_queues) pl.rxq = pl.txq = std::max(pl.rxq, pl.txq);  // extra RX queues are polled like any
    if (pl.rxq > 1 && p.rss) {
        pl.rss_hf = caps.rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
        if (pl.rss_hf && p.rss_pow2) pl.rxq = pow2_floor(pl.rxq);
    }
    if (p.rx_cksum)
        pl.rx_offloads = caps.rx_offload_capa &
                         (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
    pl.lsc_intr = p.lsc_intr && caps.lsc;
    pl.rxq_intr = p.rxq_intr;
    return pl;
}

std::string port_plan::summary() const {
    std::string s = fmt::format("rxq {} txq {}", rxq, txq);
    if (rss_hf) {
        s += " rss ";
        std::string k;
        if (rss_hf & RTE_ETH_RSS_IP) k += "ip,";
        if (rss_hf & RTE_ETH_RSS_UDP) k += "udp,";
        if (rss_hf & RTE_ETH_RSS_TCP) k += "tcp,";
        if (!k.empty()) k.pop_back();
        s += k.empty() ? "other" : k;
    }
    if (rx_offloads) s += " rx-cksum";
    if (lsc_intr) s += " lsc";
    if (rxq_intr) s += " rxq-intr";
    return s;
}

}  // namespace mpnet::drivers
