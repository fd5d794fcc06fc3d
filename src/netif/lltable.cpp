// SPDX-License-Identifier: BSD-2-Clause
// lltable on the generic RCU hash (sync/rcu_hash.hpp).
#include "mpnet/netif/lltable.hpp"

#include <cassert>
#include <vector>

namespace mpnet {

char ll_state_letter(ll_state s) noexcept {
    switch (s) {
        case ll_state::nostate:
            return 'N';
        case ll_state::incomplete:
            return 'I';
        case ll_state::reachable:
            return 'R';
        case ll_state::stale:
            return 'S';
        case ll_state::delay:
            return 'D';
        case ll_state::probe:
            return 'P';
    }
    return '?';
}

ll_generation lltable_generation;

lltable::~lltable() {
    // Entries are freed below without a grace period (none is needed: no
    // reader can reach the table); a cache that still holds one must not
    // match it, nor a later table at the same address.
    lltable_generation.v.fetch_add(1, std::memory_order_seq_cst);
    // Destruction happens after the owning interface is unpublished and a grace
    // period has passed: no reader can be in the table, and no entry holds
    // packets (the control plane purged the table first).
    ht_.for_each([](llentry& e) { assert(e.hold_n == 0); (void)e; });
}

void lltable::remove(llentry* e) {
    assert(e->hold_n == 0);
    ht_.remove(e, &lltable_generation.v);
}

}  // namespace mpnet
