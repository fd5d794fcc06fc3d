// SPDX-License-Identifier: BSD-2-Clause
// ping and ping6: echo sessions whose reply comes when they end (the
// command's `later`), so the control server serves others meanwhile.
#include <chrono>
#include <memory>

#include "cmd.hpp"

namespace mpnet::ctl {

// ---- ping -----------------------------------------------------------------------------

reply ping_report(context& c, uint32_t id, const std::string& dst_s, const ping_opts& o, bool js, bool six);

reply cmd_ping(context& c, const std::vector<std::string>& a, bool js) {
    ping_opts o;
    uint32_t wait_s = 0;
    std::optional<ip4_addr> dst;
    constexpr uint32_t any = UINT32_MAX;
    for (word_cursor wc(a); !wc.done();) {
        const std::string& w = wc.next();
        if (w == "-n" || w == "-q" || w == "-v") continue;
        if (w == "-D") {
            o.df = true;
        } else if (w == "-c") {
            auto x = wc.number<uint32_t>(1, 10000);
            if (!x) return fail("ping", "-c: 1..10000");
            o.count = static_cast<uint16_t>(*x);
        } else if (w == "-i") {
            auto x = wc.number<uint32_t>(0, any / 1000);
            if (!x) return fail("ping", "-i: seconds");
            o.interval_ms = *x * 1000;
        } else if (w == "-w") {
            auto x = wc.number<uint32_t>(0, 3600);
            if (!x) return fail("ping", "-w: seconds");
            wait_s = *x;
        } else if (w == "-s") {
            auto x = wc.number<uint32_t>(0, 1472);
            if (!x) return fail("ping", "-s: 0..1472");
            o.payload_len = static_cast<uint16_t>(*x);
        } else if (w == "-T") {
            auto x = wc.number<uint32_t>(1, 255);
            if (!x) return fail("ping", "-T: 1..255");
            o.ttl = static_cast<uint8_t>(*x);
        } else if (w == "-S") {
            auto x = wc.parsed(ip4_addr::parse);
            if (!x) return fail("ping", "-S: bad address");
            o.src = *x;
        } else if (!dst) {
            dst = ip4_addr::parse(w);
            if (!dst) return fail("ping", fmt::format("cannot resolve {}: unknown host", w));
        } else {
            return fail("ping", fmt::format("{}: unexpected argument", w));
        }
    }
    if (!dst) return fail("ping", "usage: ping [-c N] [-i S] [-w S] [-s SIZE] [-T TTL] [-D] [-S SRC] ADDR");
    if (wait_s) o.timeout_ms = wait_s * 1000;
    auto id = c.s.ping_start(*dst, o);
    if (!id) return fail("ping", errc_message(id.error()));
    return ping_report(c, *id, dst->str(), o, js, false);
}

namespace {

// A running ping session; its end releases it (also when the client that
// asked goes away and the continuation is dropped).
struct ping_hold {
    ping_hold(stack& st, uint32_t i) : s(st), id(i) {}
    ping_hold(const ping_hold&) = delete;
    ping_hold& operator=(const ping_hold&) = delete;
    ~ping_hold() { s.ping_release(id); }
    stack& s;
    uint32_t id;
};

reply ping_format(const ping_result& r, const std::string& dst_s, const ping_opts& o, bool js, bool six);

}  // namespace

reply ping_report(context& c, uint32_t id, const std::string& dst_s, const ping_opts& o, bool js, bool six) {
    // Bounded: the count's intervals plus the wait, plus a second.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(uint64_t(o.count) * o.interval_ms + o.timeout_ms + 1000);
    auto hold = std::make_shared<ping_hold>(c.s, id);
    reply pending;
    pending.later = [hold, deadline, dst_s, o, js, six]() -> std::optional<reply> {
        auto got = hold->s.ping_get(hold->id);
        if (!got) return reply{1, fmt::format("{}: {}", six ? "ping6" : "ping", errc_message(got.error()))};
        const ping_result& r = *got;
        if (!r.done && std::chrono::steady_clock::now() < deadline) return std::nullopt;
        return ping_format(r, dst_s, o, js, six);
    };
    return pending;
}

namespace {

reply ping_format(const ping_result& r, const std::string& dst_s, const ping_opts& o, bool js, bool six) {
    const char* cmd = six ? "ping6" : "ping";
    if (r.error != errc::ok) return fail(cmd, fmt::format("sendto: {}", errc_message(r.error)));
    const double loss = r.sent ? 100.0 * double(r.sent - r.received) / double(r.sent) : 0.0;
    const int st = r.received ? 0 : 2;  // ping(8): 2 when nothing came back
    if (js)
        return {st, json{{"destination", dst_s},
                         {"transmitted", r.sent},
                         {"received", r.received},
                         {"loss_percent", loss},
                         {"rtt_min_us", double(r.rtt_min_ns) / 1000.0},
                         {"rtt_avg_us", r.received ? double(r.rtt_sum_ns) / r.received / 1000.0 : 0.0},
                         {"rtt_max_us", double(r.rtt_max_ns) / 1000.0},
                         {"icmp_errors", r.icmp_errors}}
                        .dump(-1, ' ', false, json::error_handler_t::replace)};
    std::string t = fmt::format("PING{} {}: {} data bytes\n", six ? "6" : "", dst_s, o.payload_len);
    if (r.icmp_errors && !six) {
        const char* what = r.last_error_type == 11  ? "Time To Live exceeded"
                           : r.last_error_type == 3 ? "Destination Unreachable"
                                                    : "ICMP error";
        t += fmt::format("From {}: {}\n", r.last_error_from.str(), what);
    } else if (r.icmp_errors) {
        // ping6(8)'s words for ICMPv6 errors.
        const char* what = r.last_error_type == 3   ? "Time to live exceeded"
                           : r.last_error_type == 1 ? "Destination Unreachable"
                           : r.last_error_type == 2 ? "Packet too big"
                                                    : "Parameter problem";
        t += fmt::format("From {}: {}\n", r.last_error_from6.str(), what);
    }
    t += fmt::format("----{} PING{} Statistics----\n{} packets transmitted, {} packets received, {:.1f}% packet loss\n",
                     dst_s, six ? "6" : "", r.sent, r.received, loss);
    if (r.received)
        t += fmt::format("round-trip min/avg/max = {:.3f}/{:.3f}/{:.3f} ms\n", double(r.rtt_min_ns) / 1e6,
                         double(r.rtt_sum_ns) / r.received / 1e6, double(r.rtt_max_ns) / 1e6);
    return {st, t};
}

}  // namespace

reply cmd_ping6(context& c, const std::vector<std::string>& a, bool js) {
    ping_opts o;
    std::optional<std::pair<ip6_addr, std::string>> dst;
    std::string dst_s;
    constexpr uint32_t any = UINT32_MAX;
    for (word_cursor wc(a); !wc.done();) {
        const std::string& w = wc.next();
        if (w == "-n" || w == "-q" || w == "-v") continue;
        if (w == "-c") {
            auto x = wc.number<uint32_t>(1, 10000);
            if (!x) return fail("ping6", "-c: 1..10000");
            o.count = static_cast<uint16_t>(*x);
        } else if (w == "-i") {
            auto x = wc.number<uint32_t>(0, any / 1000);
            if (!x) return fail("ping6", "-i: seconds");
            o.interval_ms = *x * 1000;
        } else if (w == "-X" || w == "-w") {
            auto x = wc.number<uint32_t>(0, 3600);
            if (!x) return fail("ping6", "-X: seconds");
            o.timeout_ms = *x * 1000;
        } else if (w == "-s") {
            auto x = wc.number<uint32_t>(0, 1452);
            if (!x) return fail("ping6", "-s: 0..1452");
            o.payload_len = static_cast<uint16_t>(*x);
        } else if (w == "-h") {
            auto x = wc.number<uint32_t>(1, 255);
            if (!x) return fail("ping6", "-h: 1..255");
            o.ttl = static_cast<uint8_t>(*x);
        } else if (w == "-S") {
            auto x = wc.parsed(parse_scoped);
            if (!x) return fail("ping6", "-S: bad address");
            o.src6 = x->first;
            o.src6_zone = x->second;
        } else if (!dst) {
            dst = parse_scoped(w);
            dst_s = w;
            if (!dst) return fail("ping6", fmt::format("{}: unknown host", w));
        } else {
            return fail("ping6", fmt::format("{}: unexpected argument", w));
        }
    }
    if (!dst) return fail("ping6", "usage: ping6 [-c N] [-i S] [-X S] [-s SIZE] [-h HLIM] [-S SRC[%IF]] ADDR[%IF]");
    auto id = c.s.ping6_start(dst->first, dst->second, o);
    if (!id) return fail("ping6", errc_message(id.error()));
    return ping_report(c, *id, dst_s, o, js, true);
}

}  // namespace mpnet::ctl
