// SPDX-License-Identifier: BSD-2-Clause
// Control-plane timer queue.
#include "timer.hpp"

#include <cstdint>

namespace mpnet {

uint64_t timer_queue::add(uint64_t deadline_ns, fn_t fn) {
    uint64_t id = next_id_++;
    q_.emplace(std::make_pair(deadline_ns, id), std::move(fn));
    by_id_.emplace(id, deadline_ns);
    return id;
}

void timer_queue::cancel(uint64_t id) noexcept {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    q_.erase({it->second, id});
    by_id_.erase(it);
}

size_t timer_queue::run(uint64_t now_ns) {
    size_t ran = 0;
    while (!q_.empty() && q_.begin()->first.first <= now_ns) {
        auto node = q_.extract(q_.begin());
        by_id_.erase(node.key().second);
        node.mapped()();
        ++ran;
    }
    return ran;
}

uint64_t timer_queue::next_deadline() const noexcept { return q_.empty() ? UINT64_MAX : q_.begin()->first.first; }

}  // namespace mpnet
