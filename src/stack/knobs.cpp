// SPDX-License-Identifier: BSD-2-Clause
// sysctl knobs: one registry of (name, range, get, set) that modules fill,
// and inet4's own knobs under NetBSD's names.
#include <fmt/format.h>

#include <stdexcept>
#include <type_traits>

#include "knob_macros.hpp"
#include "stack_impl.hpp"

namespace mpnet {

void register_inet4_knobs(module_registrar& r) {
    const knob knobs[] = {
        MPNET_KNOB_ATOMIC("net.inet.ip.forwarding", "forward IPv4 packets not addressed to this host", 0, 1,
                          knobs.forwarding),
        MPNET_KNOB_ATOMIC("net.inet.ip.redirect", "send ICMP redirects", 0, 1, knobs.send_redirects),
        MPNET_KNOB_ATOMIC("net.inet.ip.directed-broadcast", "forward directed broadcasts", 0, 1,
                          knobs.directed_broadcast),
        MPNET_KNOB_ATOMIC("net.inet.ip.mtudisc", "learn path MTUs from frag-needed", 0, 1, knobs.mtudisc),
        MPNET_KNOB_ATOMIC("net.inet.icmp.rediraccept", "accept ICMP redirects (never while forwarding)", 0, 1,
                          knobs.accept_redirects),
        MPNET_KNOB_ATOMIC("net.inet.icmp.bmcastecho", "answer broadcast and multicast pings", 0, 1, knobs.bmcast_echo),
        MPNET_KNOB_ATOMIC("net.inet.ip.ttl", "TTL of packets this host sends", 1, 255, knobs.ttl),
        MPNET_KNOB_ATOMIC("net.inet.icmp.errppslimit", "ICMP errors per second, the whole stack", 0, 1000000,
                          knobs.icmp_err_pps),
        MPNET_KNOB_FIELD("net.inet.icmp.redirtimeout", "seconds a redirect's route lives", 1, 86400,
                         cfg.redirect_timeout_s),
        MPNET_KNOB_FIELD("net.inet.ip.dad_count", "DAD probes per IPv4 address (0: none)", 0,
                         int64_t(limits::dad_count_max), cfg.dad_count),
        MPNET_KNOB_FIELD("net.inet.arp.nd_reachable", "milliseconds a confirmed neighbor stays REACHABLE", 1000,
                         int64_t{3600} * 1000, cfg.nd_reachable_ms),
    };
    for (const knob& k : knobs) r.knob(k);
}

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
