// SPDX-License-Identifier: BSD-2-Clause
// rtadvd: router advertisements on an interface.
#include "cmd.hpp"

namespace mpnet::ctl {

reply cmd_rtadvd(context& c, const std::vector<std::string>& a, bool js) {
    // rtadvd IF [mtu N] [maxinterval N] [mininterval N] [rltime N] [hlim N] [managed] [other]
    //        [prefix P/L [vltime N] [pltime N] [noonlink] [noauto]]... | rtadvd IF stop | rtadvd IF show
    if (a.empty()) return fail("rtadvd", "usage: rtadvd IF [options] | rtadvd IF stop | rtadvd IF show");
    const std::string& ifn = a[0];
    if (a.size() == 2 && a[1] == "show") {
        auto r = c.s.rtadv_get(ifn);
        if (!r) return fail("rtadvd", fmt::format("{}: no such interface", ifn));
        json pj = json::array();
        for (const auto& p : r->prefixes)
            pj.push_back({{"prefix", p.prefix.str()}, {"vltime", p.vltime_s}, {"pltime", p.pltime_s}});
        json j = {{"interface", ifn},       {"enabled", r->enabled},
                  {"mtu", r->mtu},          {"maxinterval", r->max_interval_s},
                  {"mininterval", r->min_interval_s}, {"rltime", r->router_lifetime_s},
                  {"prefixes", pj}};
        if (js) return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
        std::string t = fmt::format("{}: {} mtu={} maxinterval={} mininterval={} rltime={}\n", ifn,
                                    r->enabled ? "advertising" : "off", r->mtu, r->max_interval_s, r->min_interval_s,
                                    r->router_lifetime_s);
        for (const auto& p : r->prefixes)
            t += fmt::format("\tprefix {} vltime={} pltime={}\n", p.prefix.str(), p.vltime_s, p.pltime_s);
        return ok(t);
    }
    rtadv_config rc;
    rc.enabled = !(a.size() == 2 && a[1] == "stop");
    for (size_t i = 1; rc.enabled && i < a.size(); ++i) {
        auto val = [&]() -> std::optional<uint32_t> { return i + 1 < a.size() ? num<uint32_t>(a[++i]) : std::nullopt; };
        const std::string& w = a[i];
        std::optional<uint32_t> v;
        if (w == "managed") {
            rc.managed = true;
        } else if (w == "other") {
            rc.other = true;
        } else if (w == "prefix") {
            auto p = i + 1 < a.size() ? prefix6::parse(a[++i], true) : std::nullopt;
            if (!p) return fail("rtadvd", "prefix: bad prefix");
            rc.prefixes.push_back(rtadv_prefix{*p});
        } else if (w == "noonlink" || w == "noauto") {
            if (rc.prefixes.empty()) return fail("rtadvd", fmt::format("{}: after a prefix", w));
            (w == "noonlink" ? rc.prefixes.back().onlink : rc.prefixes.back().autonomous) = false;
        } else if (!(v = val())) {
            return fail("rtadvd", fmt::format("{}: unknown word or missing number", w));
        } else if (w == "mtu") {
            rc.mtu = *v;
        } else if (w == "maxinterval") {
            rc.max_interval_s = *v;
        } else if (w == "mininterval") {
            rc.min_interval_s = *v;
        } else if (w == "rltime") {
            rc.router_lifetime_s = *v;
        } else if (w == "hlim" && *v <= 255) {
            rc.cur_hlim = static_cast<uint8_t>(*v);
        } else if ((w == "vltime" || w == "pltime") && !rc.prefixes.empty()) {
            (w == "vltime" ? rc.prefixes.back().vltime_s : rc.prefixes.back().pltime_s) = *v;
        } else {
            return fail("rtadvd", fmt::format("{}: unknown word", w));
        }
    }
    // maxinterval given alone: mininterval follows rtadvd's default (0.33 * max).
    if (rc.enabled && rc.min_interval_s == 198 && rc.max_interval_s != 600)
        rc.min_interval_s = std::max<uint32_t>(3, rc.max_interval_s / 3);
    if (rc.enabled && rc.router_lifetime_s == 1800 && rc.max_interval_s * 3 > 1800)
        rc.router_lifetime_s = std::min<uint32_t>(9000, rc.max_interval_s * 3);
    if (auto st = c.s.rtadv_set(ifn, rc); !st)
        return fail("rtadvd", fmt::format("{}: {}", ifn, errc_message(st.error())));
    return ok();
}

// ---- ifconfig ------------------------------------------------------------------------

}  // namespace mpnet::ctl
