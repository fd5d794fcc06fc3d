// SPDX-License-Identifier: BSD-2-Clause
// CLOCK_MONOTONIC source.
#include "mpnet/core/clock.hpp"

#include <ctime>

namespace mpnet {

uint64_t monotonic_clock::now_ns() const noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * ns_per_s + uint64_t(ts.tv_nsec);
}

}  // namespace mpnet
