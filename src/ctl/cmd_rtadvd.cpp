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
        json j = {{"interface", ifn},
                  {"enabled", r->enabled},
                  {"mtu", r->mtu},
                  {"maxinterval", r->max_interval_s},
                  {"mininterval", r->min_interval_s},
                  {"rltime", r->router_lifetime_s},
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
    constexpr uint32_t any = UINT32_MAX;
    for (word_cursor wc(a, 1); rc.enabled && !wc.done();) {
        const std::string& w = wc.next();
        // Words that take a number, with their range.
        struct numeric {
            const char* word;
            uint32_t lo, hi;
        };
        static constexpr numeric numerics[] = {{"mtu", 0, any},    {"maxinterval", 0, any}, {"mininterval", 0, any},
                                               {"rltime", 0, any}, {"hlim", 0, 255},        {"vltime", 0, any},
                                               {"pltime", 0, any}};
        const numeric* nw = nullptr;
        for (const auto& n : numerics)
            if (w == n.word) nw = &n;
        if (w == "managed") {
            rc.managed = true;
        } else if (w == "other") {
            rc.other = true;
        } else if (w == "prefix") {
            auto p = wc.parsed([](std::string_view v) { return prefix6::parse(v, true); });
            if (!p) return fail("rtadvd", "prefix: bad prefix");
            rc.prefixes.push_back(rtadv_prefix{*p});
        } else if (w == "noonlink" || w == "noauto") {
            if (rc.prefixes.empty()) return fail("rtadvd", fmt::format("{}: after a prefix", w));
            (w == "noonlink" ? rc.prefixes.back().onlink : rc.prefixes.back().autonomous) = false;
        } else if (!nw) {
            return fail("rtadvd", fmt::format("{}: unknown word", w));
        } else if (auto v = wc.number<uint32_t>(nw->lo, nw->hi); !v) {
            return fail("rtadvd", fmt::format("{}: {}..{}", w, nw->lo, nw->hi));
        } else if (w == "mtu") {
            rc.mtu = *v;
        } else if (w == "maxinterval") {
            rc.max_interval_s = *v;
        } else if (w == "mininterval") {
            rc.min_interval_s = *v;
        } else if (w == "rltime") {
            rc.router_lifetime_s = *v;
        } else if (w == "hlim") {
            rc.cur_hlim = static_cast<uint8_t>(*v);
        } else if (rc.prefixes.empty()) {
            return fail("rtadvd", fmt::format("{}: after a prefix", w));
        } else {
            (w == "vltime" ? rc.prefixes.back().vltime_s : rc.prefixes.back().pltime_s) = *v;
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
