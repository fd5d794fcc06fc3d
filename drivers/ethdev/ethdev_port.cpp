// SPDX-License-Identifier: BSD-2-Clause
// The ethdev port adapter.
#include "mpnet/drivers/ethdev_port.hpp"

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace mpnet::drivers {

result<std::unique_ptr<ethdev_port>> ethdev_port::open(const std::string& devargs, rte_mempool* pool,
                                                       const ethdev_config& cfg) {
    if (rte_dev_probe(devargs.c_str()) != 0) return errc::nodev;
    // The device name is devargs up to the first comma.
    std::string name = devargs.substr(0, devargs.find(','));
    uint16_t pid;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0) {
        rte_eal_hotplug_remove("vdev", name.c_str());  // probed, but not an ethdev: undo
        return errc::nodev;
    }
    auto p = attach(pid, pool, cfg, name);
    // A tap PMD's other end is a host kernel interface: its name is the
    // iface= argument, and its MAC is what peer_mac() reads.
    if (p && (*p)->driver_ == "net_tap") {
        const size_t at = devargs.find(",iface=");
        if (at != std::string::npos) {
            const size_t from = at + 7;
            (*p)->host_if_ = devargs.substr(from, devargs.find(',', from) - from);
        }
    }
    return p;
}

std::function<std::unique_ptr<port>(std::string_view, rte_mempool*, uint16_t)> ethdev_opener() {
    return [](std::string_view devargs, rte_mempool* pool, uint16_t tx_queues) -> std::unique_ptr<port> {
        ethdev_config ec;
        ec.tx_queues = tx_queues;
        auto p = ethdev_port::open(std::string(devargs), pool, ec);
        if (!p) return nullptr;
        return std::move(*p);
    };
}

ether_addr ethdev_port::peer_mac() const {
    ether_addr a{};
    if (host_if_.empty() || host_if_.size() >= IFNAMSIZ) return a;
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return a;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, host_if_.data(), host_if_.size());
    if (::ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) std::memcpy(a.b.data(), ifr.ifr_hwaddr.sa_data, 6);
    ::close(fd);
    return a;
}

namespace {

// Configures queues and starts the port by `pl`; undoes a failed start.
int configure_and_start(uint16_t pid, const port_plan& pl, const ethdev_config& cfg, rte_mempool* pool) {
    rte_eth_conf conf{};
    if (pl.rss_hf) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = pl.rss_hf;
    }
    conf.rxmode.offloads = pl.rx_offloads;
    conf.intr_conf.lsc = pl.lsc_intr ? 1 : 0;
    conf.intr_conf.rxq = pl.rxq_intr ? 1 : 0;
    if (int rc = rte_eth_dev_configure(pid, pl.rxq, pl.txq, &conf); rc != 0) return rc;
    uint16_t rxd = cfg.rx_desc, txd = cfg.tx_desc;
    rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
    const int socket = rte_eth_dev_socket_id(pid);
    for (uint16_t q = 0; q < pl.rxq; ++q)
        if (int rc = rte_eth_rx_queue_setup(pid, q, rxd, socket, nullptr, pool); rc != 0) return rc;
    for (uint16_t q = 0; q < pl.txq; ++q)
        if (int rc = rte_eth_tx_queue_setup(pid, q, txd, socket, nullptr); rc != 0) return rc;
    return rte_eth_dev_start(pid);
}

}  // namespace

result<std::unique_ptr<ethdev_port>> ethdev_port::attach(uint16_t pid, rte_mempool* pool, const ethdev_config& cfg,
                                                         std::string owned_vdev) {
    std::unique_ptr<ethdev_port> p(new ethdev_port());
    p->port_id_ = pid;
    p->vdev_ = std::move(owned_vdev);
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(pid, &info) != 0) return errc::nodev;
    p->driver_ = info.driver_name ? info.driver_name : "?";
    p->max_mtu_ = info.max_mtu;
    const driver_profile& prof = profile_for(p->driver_);
    p->class_ = prof.cls;
    dev_caps caps;
    caps.max_rxq = info.max_rx_queues;
    caps.max_txq = info.max_tx_queues;
    caps.rx_offload_capa = info.rx_offload_capa;
    caps.rss_offloads = info.flow_type_rss_offloads;
    caps.lsc = info.dev_flags && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC);
    if (cfg.rx_queues == 0 || cfg.tx_queues == 0) return errc::inval;
    port_plan pl = plan_port(prof, caps, cfg.rx_queues, cfg.tx_queues);
    pl.rxq_intr = pl.rxq_intr && cfg.rx_intr;
    int rc = configure_and_start(pid, pl, cfg, pool);
    if (rc != 0 && pl.rxq_intr) {
        // The PMD refused RX interrupts (no event fds here): poll-only then.
        rte_eth_dev_stop(pid);
        pl.rxq_intr = false;
        rc = configure_and_start(pid, pl, cfg, pool);
    }
    if (rc != 0) return rc == -EIO ? errc::io : errc::inval;
    p->plan_ = pl;
    p->rxq_ = pl.rxq;
    p->txq_ = pl.txq;
    p->rxq_intr_ = pl.rxq_intr;
    // What the PMD set up (it may round the request), else what we asked.
    rte_eth_rxq_info qi{};
    p->rx_ring_ = rte_eth_rx_queue_info_get(pid, 0, &qi) == 0 && qi.nb_desc ? qi.nb_desc : cfg.rx_desc;
    if (cfg.promiscuous) rte_eth_promiscuous_enable(pid);
    rte_ether_addr a;
    if (rte_eth_macaddr_get(pid, &a) == 0) std::memcpy(p->mac_.b.data(), a.addr_bytes, 6);
    return p;
}

int ethdev_port::rx_intr_fd(uint16_t q) const noexcept {
    // Asked each time: some PMDs (vhost) install their event fds only once
    // the peer has connected, and may replace them when it reconnects.
    if (!rxq_intr_ || q >= rxq_) return -1;
    const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port_id_, q);
    return fd >= 0 ? fd : -1;
}

bool ethdev_port::rx_intr_arm(uint16_t q) noexcept {
    if (!rxq_intr_) return false;
    // An event fd that counts (vhost, virtio: eventfd) keeps its level until
    // read: clear it, or the next wait returns at once. A PMD that hands out
    // its queue's own fd (tap) must not be read: that would eat a packet.
    const int fd = rx_intr_fd(q);
    if (fd >= 0 && is_eventfd(fd)) {
        pollfd p{fd, POLLIN, 0};
        uint64_t v;
        if (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) [[maybe_unused]]
            ssize_t r = ::read(fd, &v, sizeof v);
    }
    const int rc = rte_eth_dev_rx_intr_enable(port_id_, q);
    // tap hands out its queue's own fd and has nothing to enable: the fd is
    // readable whenever a packet waits, which is the interrupt.
    return rc == 0 || (rc == -ENOTSUP && fd >= 0);
}

bool ethdev_port::is_eventfd(int fd) noexcept {
    if (fd == efd_cache_fd_) return efd_cache_is_;
    char link[64] = {};
    const std::string path = fmt::format("/proc/self/fd/{}", fd);
    const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    efd_cache_fd_ = fd;
    efd_cache_is_ = n > 0 && std::string_view(link, static_cast<size_t>(n)) == "anon_inode:[eventfd]";
    return efd_cache_is_;
}

void ethdev_port::rx_intr_disarm(uint16_t q) noexcept {
    if (rxq_intr_) rte_eth_dev_rx_intr_disable(port_id_, q);
}

ethdev_port::~ethdev_port() {
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);
    if (!vdev_.empty()) rte_eal_hotplug_remove("vdev", vdev_.c_str());
}

uint16_t ethdev_port::rx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept {
    return rte_eth_rx_burst(port_id_, q, pkts, n);
}

uint16_t ethdev_port::tx_burst(uint16_t q, mbuf** pkts, uint16_t n) noexcept {
    return rte_eth_tx_burst(port_id_, q, pkts, n);
}

bool ethdev_port::device_stats(port_stats& out) const noexcept {
    rte_eth_stats st{};
    if (rte_eth_stats_get(port_id_, &st) != 0) return false;
    out.ipackets = st.ipackets;
    out.opackets = st.opackets;
    out.imissed = st.imissed;
    out.ierrors = st.ierrors;
    out.rx_nombuf = st.rx_nombuf;
    out.oerrors = st.oerrors;
    return true;
}

bool ethdev_port::link_up() const noexcept {
    rte_eth_link l{};
    if (rte_eth_link_get_nowait(port_id_, &l) != 0) return false;
    return l.link_status == RTE_ETH_LINK_UP;
}

status ethdev_port::set_mac(const ether_addr& a) {
    rte_ether_addr x;
    std::memcpy(x.addr_bytes, a.b.data(), 6);
    int rc = rte_eth_dev_default_mac_addr_set(port_id_, &x);
    if (rc == 0 || (rc == -ENOTSUP && soft_mac_)) {
        mac_ = a;
        return {};
    }
    return rc == -ENOTSUP ? errc::notsup : errc::inval;
}

status ethdev_port::set_promisc(bool on) {
    // A PMD without the mode (memif, ring) passes every frame already.
    const int rc = on ? rte_eth_promiscuous_enable(port_id_) : rte_eth_promiscuous_disable(port_id_);
    return rc == 0 || rc == -ENOTSUP ? status{} : status{errc::io};
}

status ethdev_port::set_carrier(bool up) {
    int rc = up ? rte_eth_dev_set_link_up(port_id_) : rte_eth_dev_set_link_down(port_id_);
    return rc == 0 ? status{} : status{errc::notsup};
}

std::string ethdev_port::describe() const { return fmt::format("{} port {}", driver_, port_id_); }

}  // namespace mpnet::drivers
