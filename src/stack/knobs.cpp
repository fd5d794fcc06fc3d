// SPDX-License-Identifier: BSD-2-Clause
// sysctl knobs: one registry of (name, range, get, set) that modules fill
// (inet4's and inet6's own are in their modules).
#include <fmt/format.h>

#include <stdexcept>
#include <type_traits>

#include "stack_impl.hpp"

namespace mpnet {

void module_registrar::knob(const mpnet::knob& k) {
    if (k.name.empty() || !k.get || !k.set || k.min > k.max)
        throw std::invalid_argument(fmt::format("module {}: bad knob {}", module_, k.name));
    if (!st_.knobs_by_name.emplace(std::string(k.name), k).second)
        throw std::invalid_argument(fmt::format("module {}: knob {} taken", module_, k.name));
}

status stack::sysctl_set(std::string_view name, int64_t value) {
    ctl_guard g(p_->ctl);
    auto it = p_->knobs_by_name.find(name);
    if (it == p_->knobs_by_name.end()) return errc::noent;
    const knob& k = it->second;
    if (value < k.min || value > k.max) return errc::inval;
    module_ctl mc(*p_);
    k.set(mc, value, k.arg);
    p_->tx_flush(p_->ctl_ctx());
    return {};
}

result<int64_t> stack::sysctl_get(std::string_view name) const {
    ctl_guard g(p_->ctl);
    auto it = p_->knobs_by_name.find(name);
    if (it == p_->knobs_by_name.end()) return errc::noent;
    module_ctl mc(*p_);
    return it->second.get(mc, it->second.arg);
}

std::vector<knob_info> stack::sysctl_list() const {
    ctl_guard g(p_->ctl);
    module_ctl mc(*p_);
    std::vector<knob_info> v;
    for (const auto& [name, k] : p_->knobs_by_name)
        v.push_back({name, std::string(k.help), k.get(mc, k.arg), k.min, k.max});
    return v;
}

}  // namespace mpnet
