// SPDX-License-Identifier: BSD-2-Clause
// Nexthop table with grace-period id reuse.
#include "mpnet/route/nexthop.hpp"

#include <cassert>

#include "mpnet/sync/rcu.hpp"

namespace mpnet {

namespace {
struct quarantine {
    std::weak_ptr<void> list;
    uint32_t id;
};
}  // namespace

std::optional<nh_gw_key> nexthop::gw_key() const noexcept {
    if (!(flags & nhf::gateway)) return std::nullopt;
    return nh_gw_key{ifindex, gateway6 != ip6_addr{} ? llkey::v6(gateway6) : llkey::v4(gateway)};
}

nexthop_table::nexthop_table(uint32_t max_ids)
    : max_(max_ids),
      slots_(std::make_unique<std::atomic<const nexthop*>[]>(max_ids)),
      returned_(std::make_shared<returned_list>()) {}

nexthop_table::~nexthop_table() {
    // The owner destroys the table after its readers are gone.
    for (uint32_t i = 0; i < max_; ++i) delete slots_[i].load(std::memory_order_relaxed);
}

void nexthop_table::reclaim_returned() {
    std::lock_guard g(returned_->mu);
    free_.insert(free_.end(), returned_->ids.begin(), returned_->ids.end());
    returned_->ids.clear();
}

result<uint32_t> nexthop_table::acquire(const nexthop& nh) {
    auto k = nh.key();
    if (auto it = by_key_.find(k); it != by_key_.end()) {
        ++refs_[it->second];
        return it->second;
    }
    if (free_.empty()) reclaim_returned();
    uint32_t id;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else if (next_ < max_) {
        id = next_++;
    } else {
        return errc::nospc;
    }
    auto* obj = new nexthop(nh);
    obj->id = id;
    if (const auto g = obj->gw_key()) {
        if (binder_) obj->neigh.p.store(binder_(binder_arg_, *g), std::memory_order_relaxed);
        by_gw_.emplace(*g, id);
    }
    // Release: the nexthop is complete before any reader can find the id
    // (the FIB entry pointing at it is written after this).
    const nexthop* old = slots_[id].exchange(obj, std::memory_order_acq_rel);
    rcu_retire(const_cast<nexthop*>(old));
    by_key_.emplace(k, id);
    refs_[id] = 1;
    return id;
}

void nexthop_table::release(uint32_t id) {
    auto it = refs_.find(id);
    assert(it != refs_.end());
    if (--it->second > 0) return;
    refs_.erase(it);
    const nexthop* nh = slots_[id].load(std::memory_order_relaxed);
    by_key_.erase(nh->key());
    if (const auto g = nh->gw_key()) {
        for (auto [b, e] = by_gw_.equal_range(*g); b != e; ++b)
            if (b->second == id) {
                by_gw_.erase(b);
                break;
            }
    }
    // The slot keeps its nexthop: readers that found the id before the FIB
    // changed still see it. The id comes back for reuse after a grace period.
    auto* q = new quarantine{returned_, id};
    detail::rcu_defer(
        [](void* p) {
            auto* qq = static_cast<quarantine*>(p);
            if (auto l = std::static_pointer_cast<returned_list>(qq->list.lock())) {
                std::lock_guard g(l->mu);
                l->ids.push_back(qq->id);
            }
            delete qq;
        },
        q);
}

void nexthop_table::bind(const nh_gw_key& k, llentry* e) noexcept {
    for (auto [b, end] = by_gw_.equal_range(k); b != end; ++b)
        slots_[b->second].load(std::memory_order_relaxed)->neigh.p.store(e, std::memory_order_release);
}

}  // namespace mpnet
