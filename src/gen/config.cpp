// SPDX-License-Identifier: BSD-2-Clause
// mpgen's parsers and flow expansion; see config.hpp.
#include "mpnet/gen/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include <fmt/format.h>

namespace mpnet::gen {

namespace {

using u128 = unsigned __int128;

u128 to_u128(const ip6_addr& a) noexcept {
    u128 v = 0;
    for (auto x : a.b) v = (v << 8) | x;
    return v;
}
ip6_addr from_u128(u128 v) noexcept {
    ip6_addr a{};
    for (int i = 15; i >= 0; --i) {
        a.b[size_t(i)] = uint8_t(v);
        v >>= 8;
    }
    return a;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

/// A finite non-negative decimal number, all of s.
std::optional<double> number(std::string_view s) {
    if (s.empty() || s.size() > 40) return std::nullopt;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
    std::string z(s);
    char* end = nullptr;
    double v = std::strtod(z.c_str(), &end);
    if (end != z.c_str() + z.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<uint64_t> integer(std::string_view s) {
    uint64_t v;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

bool ends_with_ci(std::string_view s, std::string_view suf) {
    if (s.size() < suf.size()) return false;
    for (size_t i = 0; i < suf.size(); ++i) {
        char a = s[s.size() - suf.size() + i], b = suf[i];
        if (a >= 'A' && a <= 'Z') a = char(a - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

double si_prefix(std::string_view& s) {
    if (s.empty()) return 1;
    switch (s.back()) {
        case 'k': case 'K': s.remove_suffix(1); return 1e3;
        case 'M': s.remove_suffix(1); return 1e6;
        case 'G': s.remove_suffix(1); return 1e9;
        default: return 1;
    }
}

}  // namespace

double line_rate_pps(uint64_t link_bps, double frame) noexcept {
    return double(link_bps) / (8.0 * (frame + eth_overhead_l1));
}

double rate_spec::pps(uint64_t link_bps, double mean_frame, bool l1) const noexcept {
    switch (u) {
        case unit::pps: return value;
        case unit::bps: return value / (8.0 * (mean_frame + (l1 ? eth_overhead_l1 : 0)));
        case unit::percent: return line_rate_pps(link_bps, mean_frame) * value / 100.0;
    }
    return 0;
}

std::string rate_spec::str() const {
    switch (u) {
        case unit::pps: return fmt::format("{:.0f}pps", value);
        case unit::bps: return fmt::format("{:.6g}Mbps", value / 1e6);
        case unit::percent: return fmt::format("{:.6g}%", value);
    }
    return {};
}

parsed<rate_spec> parse_rate(std::string_view in) {
    std::string_view s = trim(in);
    auto bad = [&] {
        return parsed<rate_spec>::fail(fmt::format(
            "rate '{}': expected pps (1000, 250kpps, 1.5Mpps), bit/s (100Mbps, 2.5Gbps) or percent of line rate (50%)",
            in));
    };
    rate_spec r;
    if (!s.empty() && s.back() == '%') {
        s.remove_suffix(1);
        auto v = number(s);
        if (!v) return bad();
        if (*v <= 0 || *v > 100)
            return parsed<rate_spec>::fail(fmt::format("rate '{}': percent of line rate must be in (0, 100]", in));
        r.u = rate_spec::unit::percent;
        r.value = *v;
        return r;
    }
    if (ends_with_ci(s, "pps")) {
        s.remove_suffix(3);
        r.u = rate_spec::unit::pps;
    } else if (ends_with_ci(s, "bps")) {
        s.remove_suffix(3);
        r.u = rate_spec::unit::bps;
    } else {
        r.u = rate_spec::unit::pps;
        auto v = number(s);
        if (!v) return bad();
        r.value = *v;
        if (r.value <= 0) return parsed<rate_spec>::fail(fmt::format("rate '{}': must be more than zero", in));
        return r;
    }
    double mul = si_prefix(s);
    auto v = number(s);
    if (!v) return bad();
    r.value = *v * mul;
    if (r.value <= 0) return parsed<rate_spec>::fail(fmt::format("rate '{}': must be more than zero", in));
    return r;
}

parsed<uint64_t> parse_link_speed(std::string_view in) {
    std::string_view s = trim(in);
    if (ends_with_ci(s, "bps")) s.remove_suffix(3);
    double mul = si_prefix(s);
    auto v = number(s);
    if (!v || *v * mul < 1e6 || *v * mul > 1e13)
        return parsed<uint64_t>::fail(
            fmt::format("link speed '{}': expected 1M..10T bit/s, e.g. 1G, 10G, 100G", in));
    return uint64_t(*v * mul);
}

double size_mix::mean() const noexcept {
    double w = 0, s = 0;
    for (auto [sz, wt] : entries) {
        s += double(sz) * wt;
        w += wt;
    }
    return w ? s / w : 0;
}
uint32_t size_mix::smallest() const noexcept {
    uint32_t m = UINT32_MAX;
    for (auto [sz, wt] : entries) m = std::min(m, sz);
    return m;
}
uint32_t size_mix::largest() const noexcept {
    uint32_t m = 0;
    for (auto [sz, wt] : entries) m = std::max(m, sz);
    return m;
}
std::string size_mix::str() const {
    if (entries.size() == 1) return std::to_string(entries[0].first);
    std::string s;
    for (auto [sz, wt] : entries) s += fmt::format("{}{}:{}", s.empty() ? "" : ",", sz, wt);
    return s;
}

size_mix single_size(uint32_t frame) {
    size_mix m;
    m.entries = {{frame, 1}};
    m.pattern = {uint16_t(frame)};
    return m;
}

parsed<size_mix> parse_sizes(std::string_view in) {
    std::string_view s = trim(in);
    if (s == "imix") s = "64:7,570:4,1518:1";
    size_mix m;
    uint64_t total = 0;
    while (!s.empty()) {
        size_t comma = s.find(',');
        std::string_view item = trim(s.substr(0, comma));
        s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
        std::string_view sz = item, wt = "1";
        if (size_t c = item.find(':'); c != std::string_view::npos) {
            sz = item.substr(0, c);
            wt = item.substr(c + 1);
        }
        auto size = integer(sz);
        auto weight = integer(wt);
        if (!size || !weight)
            return parsed<size_mix>::fail(fmt::format(
                "frame size '{}': expected SIZE, SIZE,SIZE,... or SIZE:WEIGHT,... (e.g. 64:7,570:4,1518:1) or imix",
                in));
        if (*size < min_frame || *size > max_frame)
            return parsed<size_mix>::fail(
                fmt::format("frame size {}: must be {}..{} bytes (FCS included)", *size, min_frame, max_frame));
        if (*weight == 0 || *weight > max_mix_pattern)
            return parsed<size_mix>::fail(fmt::format("frame size weight {}: must be 1..{}", *weight, max_mix_pattern));
        total += *weight;
        if (total > max_mix_pattern)
            return parsed<size_mix>::fail(
                fmt::format("frame size mix '{}': weights add up to more than {}", in, max_mix_pattern));
        m.entries.emplace_back(uint32_t(*size), uint32_t(*weight));
    }
    if (m.entries.empty()) return parsed<size_mix>::fail("frame size: empty");
    // Smooth weighted round robin (as nginx's upstream balancer): each step
    // adds every weight to its credit and emits the entry with most credit.
    std::vector<int64_t> credit(m.entries.size(), 0);
    for (uint64_t i = 0; i < total; ++i) {
        size_t best = 0;
        for (size_t k = 0; k < m.entries.size(); ++k) {
            credit[k] += m.entries[k].second;
            if (credit[k] > credit[best]) best = k;
        }
        credit[best] -= int64_t(total);
        m.pattern.push_back(uint16_t(m.entries[best].first));
    }
    return m;
}

uint64_t addr_range::count() const noexcept {
    u128 a = to_u128(lo), b = to_u128(hi);
    u128 n = b - a + 1;
    return n > (u128(1) << 63) ? (uint64_t(1) << 63) : uint64_t(n);
}
ip6_addr addr_range::at(uint64_t i) const noexcept { return from_u128(to_u128(lo) + i); }
addr_range addr_range::of4(ip4_addr a, ip4_addr b) {
    addr_range r;
    r.lo = from_u128(a.v);
    r.hi = from_u128(b.v);
    return r;
}

parsed<addr_range> parse_addr_range(std::string_view in) {
    std::string_view s = trim(in);
    std::string_view a = s, b = s;
    // IPv6 addresses contain no '-', so the first '-' splits the range.
    if (size_t d = s.find('-'); d != std::string_view::npos) {
        a = trim(s.substr(0, d));
        b = trim(s.substr(d + 1));
    }
    addr_range r;
    if (auto x = ip4_addr::parse(a)) {
        auto y = ip4_addr::parse(b);
        if (!y) return parsed<addr_range>::fail(fmt::format("address range '{}': '{}' is not an IPv4 address", in, b));
        if (y->v < x->v) return parsed<addr_range>::fail(fmt::format("address range '{}': end before start", in));
        return addr_range::of4(*x, *y);
    }
    auto x = ip6_addr::parse(a);
    if (!x) return parsed<addr_range>::fail(fmt::format("address range '{}': '{}' is not an address", in, a));
    auto y = ip6_addr::parse(b);
    if (!y) return parsed<addr_range>::fail(fmt::format("address range '{}': '{}' is not an IPv6 address", in, b));
    if (to_u128(*y) < to_u128(*x))
        return parsed<addr_range>::fail(fmt::format("address range '{}': end before start", in));
    r.v6 = true;
    r.lo = *x;
    r.hi = *y;
    return r;
}

parsed<port_range> parse_port_range(std::string_view in) {
    std::string_view s = trim(in);
    std::string_view a = s, b = s;
    if (size_t d = s.find('-'); d != std::string_view::npos) {
        a = s.substr(0, d);
        b = s.substr(d + 1);
    }
    auto x = integer(trim(a)), y = integer(trim(b));
    if (!x || !y || *x > 65535 || *y > 65535)
        return parsed<port_range>::fail(fmt::format("port range '{}': expected PORT or PORT-PORT, 0..65535", in));
    if (*y < *x) return parsed<port_range>::fail(fmt::format("port range '{}': end before start", in));
    return port_range{uint16_t(*x), uint16_t(*y)};
}

ip4_addr flow::src4() const noexcept { return ip4_addr(uint32_t(to_u128(src))); }
ip4_addr flow::dst4() const noexcept { return ip4_addr(uint32_t(to_u128(dst))); }
std::string flow::str() const {
    if (v6) return fmt::format("[{}]:{} > [{}]:{}", src.str(), sport, dst.str(), dport);
    return fmt::format("{}:{} > {}:{}", src4().str(), sport, dst4().str(), dport);
}

parsed<std::vector<flow>> expand_flows(const addr_range& src, const addr_range& dst, port_range sport,
                                       port_range dport, uint32_t limit) {
    if (src.v6 != dst.v6) return parsed<std::vector<flow>>::fail("flows: source and destination families differ");
    const uint64_t ns = src.count(), nd = dst.count(), np = sport.count(), nq = dport.count();
    auto too_many = [&] {
        return parsed<std::vector<flow>>::fail(fmt::format(
            "flows: the ranges give more than {} flows (the limit); narrow them or use a flow list", limit));
    };
    if (ns > limit || nd > limit) return too_many();
    uint64_t n = std::lcm(ns, nd);
    if (n > limit) return too_many();
    n = std::lcm(n, uint64_t(np));
    if (n > limit) return too_many();
    n = std::lcm(n, uint64_t(nq));
    if (n > limit) return too_many();
    std::vector<flow> out;
    out.reserve(n);
    for (uint64_t i = 0; i < n; ++i)
        out.push_back(flow{src.v6, src.at(i % ns), dst.at(i % nd), uint16_t(sport.lo + i % np),
                           uint16_t(dport.lo + i % nq)});
    return out;
}

parsed<std::vector<flow>> parse_flow_list(std::string_view text, std::string_view name, uint32_t limit) {
    std::vector<flow> out;
    unsigned line_no = 0;
    auto fail = [&](const std::string& why) {
        return parsed<std::vector<flow>>::fail(fmt::format("{}:{}: {}", name, line_no, why));
    };
    // "A[-B][:P[-Q]]" or "[A[-B]]:P[-Q]" or "[A[-B]]".
    auto endpoint = [&](std::string_view e, addr_range& r, port_range& p) -> std::string {
        std::string_view addr = e, port = "9";
        if (!e.empty() && e.front() == '[') {
            size_t close = e.find(']');
            if (close == std::string_view::npos) return fmt::format("'{}': missing ']'", e);
            addr = e.substr(1, close - 1);
            std::string_view rest = e.substr(close + 1);
            if (!rest.empty()) {
                if (rest.front() != ':') return fmt::format("'{}': expected ':PORT' after ']'", e);
                port = rest.substr(1);
            }
        } else if (size_t c = e.find(':'); c != std::string_view::npos) {
            if (e.find(':', c + 1) != std::string_view::npos)
                return fmt::format("'{}': write IPv6 addresses in brackets, [2001:db8::1]:9", e);
            addr = e.substr(0, c);
            port = e.substr(c + 1);
        }
        auto a = parse_addr_range(addr);
        if (!a) return a.error;
        auto pr = parse_port_range(port);
        if (!pr) return pr.error;
        r = *a;
        p = *pr;
        return {};
    };
    while (!text.empty()) {
        ++line_no;
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (size_t h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
        line = trim(line);
        if (line.empty()) continue;
        size_t sep = line.find_first_of(" \t,");
        if (sep == std::string_view::npos) return fail("expected 'SOURCE DESTINATION' (two endpoints)");
        std::string_view a = trim(line.substr(0, sep));
        std::string_view b = trim(line.substr(sep + 1));
        if (!b.empty() && b.front() == ',') b = trim(b.substr(1));
        if (b.empty() || b.find_first_of(" \t,") != std::string_view::npos)
            return fail("expected 'SOURCE DESTINATION' (two endpoints)");
        addr_range sa, da;
        port_range sp, dp;
        if (auto e = endpoint(a, sa, sp); !e.empty()) return fail(e);
        if (auto e = endpoint(b, da, dp); !e.empty()) return fail(e);
        if (sa.v6 != da.v6) return fail("source and destination are of different families");
        if (!out.empty() && out.front().v6 != sa.v6)
            return fail("all flows of a list are of one family (IPv4 or IPv6)");
        auto fl = expand_flows(sa, da, sp, dp, limit - uint32_t(out.size()));
        if (!fl) return fail(fl.error);
        out.insert(out.end(), fl->begin(), fl->end());
    }
    if (out.empty()) {
        line_no = std::max(line_no, 1u);
        return fail("no flows in the list");
    }
    return out;
}

uint32_t encap_spec::overhead() const noexcept {
    switch (kind) {
        case kind_t::gif: return 20;
        case kind_t::l2tp: return 14 + 20 + 4;
        case kind_t::vxlan: return 14 + 20 + 8 + 8;
        case kind_t::none: break;
    }
    return 0;
}

std::string encap_spec::str() const {
    switch (kind) {
        case kind_t::gif: return "gif";
        case kind_t::l2tp: return fmt::format("l2tp:{}:{}", id, inner_dst.str());
        case kind_t::vxlan: return fmt::format("vxlan:{}:{}", id, inner_dst.str());
        case kind_t::none: break;
    }
    return "none";
}

parsed<encap_spec> parse_encap(std::string_view in) {
    const std::string_view s = trim(in);
    auto fail = [&](std::string_view why) {
        return parsed<encap_spec>::fail(fmt::format("encapsulation '{}': {}", in, why));
    };
    encap_spec e;
    e.inner_dst = ether_addr::broadcast();
    if (s == "gif") {
        e.kind = encap_spec::kind_t::gif;
        return e;
    }
    const size_t c = s.find(':');
    const std::string_view kind = s.substr(0, c);
    if (kind == "l2tp")
        e.kind = encap_spec::kind_t::l2tp;
    else if (kind == "vxlan")
        e.kind = encap_spec::kind_t::vxlan;
    else
        return fail("expected gif, l2tp:SESSION[:MAC] or vxlan:VNI[:MAC]");
    if (c == std::string_view::npos) return fail(kind == "l2tp" ? "l2tp needs a session id" : "vxlan needs a VNI");
    std::string_view rest = s.substr(c + 1), num = rest;
    if (const size_t d = rest.find(':'); d != std::string_view::npos) {
        num = rest.substr(0, d);
        auto mac = ether_addr::parse(rest.substr(d + 1));
        if (!mac) return fail("the inner destination is not a MAC address");
        e.inner_dst = *mac;
    }
    auto v = integer(trim(num));
    const uint64_t hi = e.kind == encap_spec::kind_t::l2tp ? 0xffffffffull : 0xffffffull;
    const uint64_t lo = e.kind == encap_spec::kind_t::l2tp ? 1 : 0;
    if (!v || *v < lo || *v > hi)
        return fail(e.kind == encap_spec::kind_t::l2tp ? "session id must be 1..4294967295" : "VNI must be 0..16777215");
    e.id = uint32_t(*v);
    return e;
}

uint32_t min_frame_for(bool v6, bool tcp, bool vlan) noexcept {
    uint32_t l = 14 + (vlan ? 4 : 0) + (v6 ? 40 : 20) + (tcp ? 20 : 8) + trailer_len + 4;
    return std::max(l, min_frame + (vlan ? 4u : 0u));
}

}  // namespace mpnet::gen
