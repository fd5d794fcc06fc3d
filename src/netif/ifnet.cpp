// SPDX-License-Identifier: BSD-2-Clause
// ifnet and the interface index table.
#include "mpnet/netif/ifnet.hpp"

#include <cassert>

namespace mpnet {

std::string iff_words(uint32_t f) {
    static constexpr std::pair<uint32_t, const char*> names[] = {
        {iff::up, "UP"},           {iff::broadcast, "BROADCAST"}, {iff::loopback, "LOOPBACK"},
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

ifnet::ifnet(uint16_t index, std::string name, if_kind kind, std::unique_ptr<class port> p, size_t lcore_slots,
             size_t neigh_max)
    : index_(index),
      name_(std::move(name)),
      kind_(kind),
      port_(std::move(p)),
      addrs_(new in_ifaddr_set{}),
      llt_(neigh_max),
      ctr_(lcore_slots) {
    if (port_) set_lladdr(port_->mac());
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
}

ifnet* ifnet_table::unpublish(uint16_t index) noexcept {
    return slots_[index].exchange(nullptr, std::memory_order_acq_rel);
}

ifnet* ifnet_table::find(std::string_view name) const noexcept {
    for (auto& s : slots_)
        if (ifnet* p = s.load(std::memory_order_acquire); p && p->name() == name) return p;
    return nullptr;
}

}  // namespace mpnet
