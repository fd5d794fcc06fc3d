// SPDX-License-Identifier: BSD-2-Clause
// Software links: ring PMD point-to-point pairs and the shared bus segment.
#include "mpnet/drivers/softlink.hpp"

#include <pcap/pcap.h>
#include <rte_eth_ring.h>
#include <rte_ring.h>

#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include "mpnet/core/wire.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet::drivers {

namespace {
std::atomic<uint32_t> mac_seq{1};
std::atomic<uint32_t> link_seq{0};

struct ring_set {
    std::vector<rte_ring*> rings;
    ~ring_set() {
        for (auto* r : rings) {
            // Packets left in flight on a wire that is going away are freed.
            void* m;
            while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<mbuf*>(m));
            rte_ring_free(r);
        }
    }
};
}  // namespace

ether_addr soft_mac() {
    uint32_t s = mac_seq.fetch_add(1);
    return ether_addr{{0x02, 0x6d, 0x70, uint8_t(s >> 16), uint8_t(s >> 8), uint8_t(s)}};
}

result<std::pair<std::unique_ptr<ethdev_port>, std::unique_ptr<ethdev_port>>> ring_link(const std::string& name,
                                                                                        rte_mempool* pool_a,
                                                                                        rte_mempool* pool_b,
                                                                                        const ring_link_opts& o) {
    if (!o.a_rxq || !o.a_txq || !o.b_rxq || !o.b_txq) return errc::inval;
    const uint32_t seq = link_seq.fetch_add(1);
    auto rs = std::make_shared<ring_set>();
    // One ring per RX queue: a->b rings are b's RX queues, b->a rings a's.
    // Multi-producer: several TX queues (and lcores) may feed one ring.
    auto make = [&](const char* dir, uint16_t n, std::vector<rte_ring*>& out) -> bool {
        for (uint16_t q = 0; q < n; ++q) {
            std::string rn = fmt::format("rl{}.{}{}", seq, dir, q);
            rte_ring* r = rte_ring_create(rn.c_str(), o.ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
            if (!r) return false;
            rs->rings.push_back(r);
            out.push_back(r);
        }
        return true;
    };
    std::vector<rte_ring*> ab, ba;
    if (!make("ab", o.b_rxq, ab) || !make("ba", o.a_rxq, ba)) return errc::nomem;
    std::vector<rte_ring*> a_tx, b_tx;
    for (uint16_t t = 0; t < o.a_txq; ++t) a_tx.push_back(ab[t % o.b_rxq]);
    for (uint16_t t = 0; t < o.b_txq; ++t) b_tx.push_back(ba[t % o.a_rxq]);
    std::string na = fmt::format("{}{}a", name.substr(0, 16), seq), nb = fmt::format("{}{}b", name.substr(0, 16), seq);
    int pa = rte_eth_from_rings(na.c_str(), ba.data(), o.a_rxq, a_tx.data(), o.a_txq, SOCKET_ID_ANY);
    int pb = rte_eth_from_rings(nb.c_str(), ab.data(), o.b_rxq, b_tx.data(), o.b_txq, SOCKET_ID_ANY);
    if (pa < 0 || pb < 0) return errc::nodev;
    ethdev_config ca, cb;
    ca.rx_queues = o.a_rxq;
    ca.tx_queues = o.a_txq;
    cb.rx_queues = o.b_rxq;
    cb.tx_queues = o.b_txq;
    // rte_eth_from_rings registers the vdev as "net_ring_<name>": remove it
    // under that name when the port goes.
    auto a = ethdev_port::attach(static_cast<uint16_t>(pa), pool_a, ca, "net_ring_" + na);
    auto b = ethdev_port::attach(static_cast<uint16_t>(pb), pool_b, cb, "net_ring_" + nb);
    if (!a || !b) return errc::nodev;
    // net_ring has no MAC of its own (all zero) and does not filter: give each
    // end a unique software MAC.
    (*a)->allow_soft_mac(soft_mac());
    (*b)->allow_soft_mac(soft_mac());
    (*a)->hold(rs);
    (*b)->hold(rs);
    return std::make_pair(std::move(*a), std::move(*b));
}

result<std::pair<std::unique_ptr<ethdev_port>, std::unique_ptr<ethdev_port>>> ring_link(const std::string& name,
                                                                                        rte_mempool* pool_a,
                                                                                        rte_mempool* pool_b,
                                                                                        uint16_t queues) {
    ring_link_opts o;
    o.a_rxq = o.a_txq = o.b_rxq = o.b_txq = queues;
    return ring_link(name, pool_a, pool_b, o);
}

// ---- bus ---------------------------------------------------------------------------

bus::bus(std::string name, uint32_t mbufs) : name_(std::move(name)) {
    static std::atomic<uint32_t> seq{0};
    auto mp = pktpool_create(fmt::format("bus.{}.{}", name_.substr(0, 12), seq.fetch_add(1)), mbufs);
    if (!mp) throw std::runtime_error("bus: mbuf pool");
    pool_ = *mp;
}

bus::~bus() {
    for ([[maybe_unused]] auto& m : members_) assert(!m.load() && "destroy bus ports before their bus");
    pktpool_free(pool_);
}

result<std::unique_ptr<bus_port>> bus::attach(unsigned rx_ring) {
    for (size_t i = 0; i < members_max; ++i) {
        if (members_[i].load(std::memory_order_acquire)) continue;
        std::unique_ptr<bus_port> p(new bus_port(this, soft_mac()));
        if (!p->rx_.init("bus.rx", rx_ring)) return errc::nomem;
        p->slot_ = i;
        members_[i].store(p.get(), std::memory_order_release);
        return p;
    }
    return errc::nospc;
}

void bus::detach(bus_port* p) noexcept { members_[p->slot_].store(nullptr, std::memory_order_release); }

void bus::deliver(bus_port* from, mbuf** pkts, uint16_t n) noexcept {
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        sent_.fetch_add(1, std::memory_order_relaxed);
        {
            std::lock_guard g(cap_mu_);
            bus_frame f{cap_seq_++, std::vector<uint8_t>(pkt_len(m))};
            // rte_pktmbuf_read copies only when the data is not contiguous;
            // otherwise it returns a pointer into the mbuf.
            const void* d = rte_pktmbuf_read(m, 0, pkt_len(m), f.bytes.data());
            if (d && d != f.bytes.data()) std::memcpy(f.bytes.data(), d, f.bytes.size());
            if (cap_.size() >= capture_max) cap_.pop_front();
            cap_.push_back(f);
            if (cap_all_.size() < capture_max * 4) cap_all_.push_back(std::move(f));
        }
        for (auto& slot : members_) {
            bus_port* to = slot.load(std::memory_order_acquire);
            if (!to || to == from || !to->link_up()) continue;
            mbuf* c = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX);
            if (c) c->ol_flags = 0;  // a wire carries the bytes, not the sender's marks
            if (!c || !to->rx_.enqueue(c)) {
                if (c) pkt_free(c);
                dropped_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        pkt_free(m);
    }
}

std::vector<bus_frame> bus::take_capture() {
    std::lock_guard g(cap_mu_);
    std::vector<bus_frame> v(std::make_move_iterator(cap_.begin()), std::make_move_iterator(cap_.end()));
    cap_.clear();
    return v;
}

std::vector<std::string> bus::take_summaries() {
    std::vector<std::string> out;
    for (const auto& f : take_capture()) out.push_back(frame_summary(f.bytes.data(), f.bytes.size()));
    return out;
}

status bus::write_pcap(const std::string& path) const {
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    if (!dead) return errc::nomem;
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    if (!d) {
        pcap_close(dead);
        return errc::io;
    }
    std::lock_guard g(cap_mu_);
    for (const auto& f : cap_all_) {
        pcap_pkthdr h{};
        // Frames carry a sequence, not a time: one microsecond apart keeps order.
        h.ts.tv_sec = static_cast<time_t>(f.seq / 1000000);
        h.ts.tv_usec = static_cast<suseconds_t>(f.seq % 1000000);
        h.caplen = h.len = static_cast<bpf_u_int32>(f.bytes.size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, f.bytes.data());
    }
    pcap_dump_close(d);
    pcap_close(dead);
    return {};
}

bus_port::~bus_port() {
    bus_->detach(this);
    // Senders on other stacks may be delivering into our ring right now; they
    // are RCU readers, so after a grace period none is.
    rcu_synchronize();
    mbuf* m[32];
    while (unsigned k = rx_.dequeue(m, 32))
        for (unsigned i = 0; i < k; ++i) pkt_free(m[i]);
}

uint16_t bus_port::rx_burst(uint16_t, mbuf** pkts, uint16_t n) noexcept {
    return static_cast<uint16_t>(rx_.dequeue(pkts, n));
}

uint16_t bus_port::tx_burst(uint16_t, mbuf** pkts, uint16_t n) noexcept {
    if (!link_up()) return 0;  // no carrier: the caller frees and counts
    bus_->deliver(this, pkts, n);
    return n;
}

// ---- frame summaries -------------------------------------------------------------------

std::string frame_summary(const uint8_t* p, size_t len) {
    if (len < sizeof(ether_hdr)) return fmt::format("[|ether] length {}", len);
    ether_hdr eh;
    std::memcpy(&eh, p, sizeof eh);
    const uint16_t type = eh.type.get();
    std::string head = fmt::format("{} > {}, ", eh.src.str(), eh.dst.str());
    const uint8_t* l3 = p + sizeof eh;
    const size_t l3len = len - sizeof eh;
    if (type == ethertype_arp) {
        head += fmt::format("ethertype ARP (0x0806), length {}: ", len);
        if (l3len < sizeof(arp_ether_ip4)) return head + "[|arp]";
        arp_ether_ip4 a;
        std::memcpy(&a, l3, sizeof a);
        ip4_addr spa(a.spa.get()), tpa(a.tpa.get());
        if (a.op.get() == arp_op_request)
            return head + fmt::format("Request who-has {} tell {}, length 28", tpa.str(), spa.str());
        if (a.op.get() == arp_op_reply)
            return head + fmt::format("Reply {} is-at {}, length 28", spa.str(), a.sha.str());
        return head + fmt::format("Unknown op {}, length 28", a.op.get());
    }
    if (type == ethertype_ip4) {
        head += fmt::format("ethertype IPv4 (0x0800), length {}: ", len);
        if (l3len < sizeof(ip4_hdr)) return head + "[|ip]";
        ip4_hdr h;
        std::memcpy(&h, l3, sizeof h);
        head += fmt::format("{} > {}: ", ip4_addr(h.src.get()).str(), ip4_addr(h.dst.get()).str());
        const size_t hl = h.hlen_bytes();
        if (h.proto == ipproto_icmp && l3len >= hl + sizeof(icmp_hdr)) {
            icmp_hdr ic;
            std::memcpy(&ic, l3 + hl, sizeof ic);
            const size_t ilen = h.total_len.get() - hl;
            if (ic.type == icmp_echo_request || ic.type == icmp_echo_reply)
                return head + fmt::format("ICMP echo {}, id {}, seq {}, length {}",
                                          ic.type == icmp_echo_request ? "request" : "reply", ic.id.get(), ic.seq.get(),
                                          ilen);
            return head + fmt::format("ICMP type {} code {}, length {}", ic.type, ic.code, ilen);
        }
        return head + fmt::format("ip-proto-{} {}", h.proto, h.total_len.get() - hl);
    }
    if (type == ethertype_ip6) {
        // tcpdump's words: "ICMP6, neighbor solicitation, who has fc00::2, length 24".
        head += fmt::format("ethertype IPv6 (0x86dd), length {}: ", len);
        if (l3len < sizeof(ip6_hdr)) return head + "[|ip6]";
        ip6_hdr h;
        std::memcpy(&h, l3, sizeof h);
        head += fmt::format("{} > {}: ", h.src.str(), h.dst.str());
        const size_t plen = h.payload_len.get();
        if (h.next != ipproto_icmpv6 || l3len < sizeof h + sizeof(icmp6_hdr))
            return head + fmt::format("ip-proto-{} {}", h.next, plen);
        const uint8_t* ic = l3 + sizeof h;
        ip6_addr target{};
        if (l3len >= sizeof h + 24) std::memcpy(target.b.data(), ic + 8, 16);
        switch (ic[0]) {
            case icmp6_echo_request:
            case icmp6_echo_reply:
                return head + fmt::format("ICMP6, echo {}, id {}, seq {}, length {}",
                                          ic[0] == icmp6_echo_request ? "request" : "reply", (ic[4] << 8) | ic[5],
                                          (ic[6] << 8) | ic[7], plen);
            case nd_neighbor_solicit:
                return head + fmt::format("ICMP6, neighbor solicitation, who has {}, length {}", target.str(), plen);
            case nd_neighbor_advert:
                return head + fmt::format("ICMP6, neighbor advertisement, tgt is {}, length {}", target.str(), plen);
            case nd_router_solicit:
                return head + fmt::format("ICMP6, router solicitation, length {}", plen);
            case nd_router_advert:
                return head + fmt::format("ICMP6, router advertisement, length {}", plen);
            case nd_redirect:
                return head + fmt::format("ICMP6, redirect, {} to {}, length {}",
                                          l3len >= sizeof h + 40 ? ip6_addr{[&] {
                                              std::array<uint8_t, 16> d{};
                                              std::memcpy(d.data(), ic + 24, 16);
                                              return d;
                                          }()}.str()
                                                                 : "?",
                                          target.str(), plen);
            case icmp6_time_exceeded:
                return head + fmt::format("ICMP6, time exceeded in-transit, length {}", plen);
            case icmp6_dst_unreach:
                return head + fmt::format("ICMP6, destination unreachable, code {}, length {}", ic[1], plen);
            case icmp6_param_prob:
                return head + fmt::format("ICMP6, parameter problem, code {}, pointer {}, length {}", ic[1],
                                          (uint32_t(ic[4]) << 24) | (uint32_t(ic[5]) << 16) | (ic[6] << 8) | ic[7], plen);
            case icmp6_packet_too_big:
                return head + fmt::format("ICMP6, packet too big, mtu {}, length {}",
                                          (uint32_t(ic[4]) << 24) | (uint32_t(ic[5]) << 16) | (ic[6] << 8) | ic[7], plen);
            default:
                return head + fmt::format("ICMP6, type {} code {}, length {}", ic[0], ic[1], plen);
        }
    }
    return head + fmt::format("ethertype 0x{:04x}, length {}", type, len);
}

}  // namespace mpnet::drivers
