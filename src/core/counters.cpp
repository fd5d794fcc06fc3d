// SPDX-License-Identifier: BSD-2-Clause
// Names of drop reasons.
#include "mpnet/core/counters.hpp"

namespace mpnet {

namespace {

constexpr std::array<std::string_view, drop_reason_count> names = {
#define MPNET_DROP_NAME(n) #n,
    MPNET_DROP_REASONS(MPNET_DROP_NAME)
#undef MPNET_DROP_NAME
};

}  // namespace

std::string_view drop_reason_name(drop_reason r) noexcept {
    auto i = static_cast<size_t>(r);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

}  // namespace mpnet
