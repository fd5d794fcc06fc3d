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

ifnet::ifnet(ifindex_t index, std::string name, const if_kind& kind, std::unique_ptr<class port> p, size_t lcore_slots,
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

ifnet_table::ifnet_table() : slots_(new std::atomic<ifnet*>[limits::ifnet_max]()) {}

ifnet_table::~ifnet_table() = default;

ifindex_t ifnet_table::free_index() const noexcept {
    for (size_t i = free_hint_; i < limits::ifnet_max; ++i)
        if (!slots_[i].load(std::memory_order_relaxed)) {
            free_hint_ = i;
            return static_cast<ifindex_t>(i);
        }
    free_hint_ = limits::ifnet_max;
    return 0;
}

size_t ifnet_table::free_port_slot() const noexcept {
    size_t s = 0;
    while (s < ports_.size() && ports_[s].load(std::memory_order_relaxed)) ++s;
    return s;
}

bool ifnet_table::ports_full() const noexcept { return free_port_slot() == ports_.size(); }

status ifnet_table::publish(ifnet* ifp) {
    const ifindex_t ix = ifp->index();
    assert(ix > 0 && ix < limits::ifnet_max);
    assert(!slots_[ix].load(std::memory_order_relaxed));
    const size_t slot = ifp->port() ? free_port_slot() : 0;
    if (ifp->port() && slot == ports_.size()) return errc::nospc;
    try {
        by_name_.emplace(ifp->name(), ifp);
    } catch (const std::bad_alloc&) {
        return errc::nomem;  // nothing published
    }
    if (ifp->port()) {
        ifp->set_port_slot(static_cast<uint16_t>(slot));
        ports_[slot].store(ifp, std::memory_order_release);
        if (slot + 1 > ports_hi_.load(std::memory_order_relaxed)) ports_hi_.store(slot + 1, std::memory_order_release);
    }
    // Release: the fully constructed ifnet is visible to any reader that loads it.
    slots_[ix].store(ifp, std::memory_order_release);
    if (ix + 1u > hi_.load(std::memory_order_relaxed)) hi_.store(ix + 1u, std::memory_order_release);
    n_.store(n_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (ifp->port()) changed();
    return {};
}

ifnet* ifnet_table::unpublish(ifindex_t index) noexcept {
    if (index == 0 || index >= limits::ifnet_max) return nullptr;
    ifnet* p = slots_[index].exchange(nullptr, std::memory_order_acq_rel);
    if (!p) return nullptr;
    n_.store(n_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    if (index < free_hint_) free_hint_ = index;
    by_name_.erase(p->name());
    if (p->port()) {
        ports_[p->port_slot()].store(nullptr, std::memory_order_release);
        changed();
    }
    // Control-plane walks stop at the highest index in use.
    size_t hi = hi_.load(std::memory_order_relaxed);
    while (hi > 1 && !slots_[hi - 1].load(std::memory_order_relaxed)) --hi;
    hi_.store(hi, std::memory_order_release);
    return p;
}

ifnet* ifnet_table::find(std::string_view name) const noexcept {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace mpnet
