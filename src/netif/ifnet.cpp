// SPDX-License-Identifier: BSD-2-Clause
// ifnet and the interface index table.
#include "mpnet/netif/ifnet.hpp"

#include <cassert>
#include <stdexcept>

namespace mpnet {

std::string iff_words(uint32_t f) {
    static constexpr std::pair<uint32_t, const char*> names[] = {
        {iff::up, "UP"},           {iff::broadcast, "BROADCAST"}, {iff::loopback, "LOOPBACK"}, {iff::pointopoint, "POINTOPOINT"},
        {iff::running, "RUNNING"}, {iff::noarp, "NOARP"},         {iff::promisc, "PROMISC"},
        {iff::simplex, "SIMPLEX"}, {iff::multicast, "MULTICAST"},
    };
    std::string s = "<";
    for (auto& [bit, name] : names) {
        if (!(f & bit)) continue;
        if (s.size() > 1) s += ',';
        s += name;
    }
    return s + ">";
}

ifnet::ifnet(uint16_t index, std::string name, const if_kind& kind, std::unique_ptr<class port> p, size_t lcore_slots,
             size_t neigh_max)
    : index_(index),
      name_(std::move(name)),
      kind_(&kind),
      k_input_(kind.input),
      k_output_(kind.output),
      k_transmit_(kind.transmit),
      port_(std::move(p)),
      addrs_(new in_ifaddr_set{}),
      llt_(neigh_max),
      ctr_(lcore_slots) {
    for (auto& o : rxq_owner_) o.store(rxq_unowned, std::memory_order_relaxed);
    if (!port_) return;
    set_lladdr(port_->mac());
    if (port_->rx_queues() > limits::rxq_max || port_->tx_queues() > limits::txq_max)
        throw std::invalid_argument("ifnet: more queues than limits::rxq_max/txq_max");
    rxq_stats_ = std::make_unique<rxq_stat[]>(port_->rx_queues());
    // Workers are lcores 0..slots-2 (the control plane polls no RX queue):
    // queue q starts on worker q % workers; intrctl moves it.
    const size_t workers = lcore_slots > 1 ? lcore_slots - 1 : 1;
    for (uint16_t q = 0; q < port_->rx_queues(); ++q)
        rxq_owner_[q].store(static_cast<uint8_t>(q % workers), std::memory_order_relaxed);
    auto t = tx_layer::create(port_.get(), static_cast<unsigned>(lcore_slots), limits::txq_softq_size);
    if (!t) throw std::runtime_error("ifnet: TX queue layer: " + std::string(errc_message(t.error())));
    txl_ = std::move(*t);
}

ifnet::~ifnet() {
    // The interface is unpublished and drained: nobody can read addrs_ now.
    delete addrs_.publish(nullptr);
}

uint16_t ifnet_table::free_index() const noexcept {
    for (size_t i = 1; i < slots_.size(); ++i)
        if (!slots_[i].load(std::memory_order_relaxed)) return static_cast<uint16_t>(i);
    return 0;
}

void ifnet_table::publish(ifnet* ifp) noexcept {
    assert(ifp->index() > 0 && ifp->index() < slots_.size());
    assert(!slots_[ifp->index()].load(std::memory_order_relaxed));
    // Release: the fully constructed ifnet is visible to any reader that loads it.
    slots_[ifp->index()].store(ifp, std::memory_order_release);
    changed();
}

ifnet* ifnet_table::unpublish(uint16_t index) noexcept {
    ifnet* p = slots_[index].exchange(nullptr, std::memory_order_acq_rel);
    changed();
    return p;
}

ifnet* ifnet_table::find(std::string_view name) const noexcept {
    for (auto& s : slots_)
        if (ifnet* p = s.load(std::memory_order_acquire); p && p->name() == name) return p;
    return nullptr;
}

}  // namespace mpnet
