// SPDX-License-Identifier: BSD-2-Clause
// mpgen's link impairment; see impair.hpp.
#include "mpnet/gen/impair.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "mpnet/gen/packet.hpp"

namespace mpnet::gen {

parsed<impair_spec> parse_impair(std::string_view in) {
    impair_spec s;
    std::string_view rest = in;
    auto bad = [&](std::string_view why) {
        return parsed<impair_spec>::fail(fmt::format("impairment '{}': {}", in, why));
    };
    while (!rest.empty()) {
        size_t colon = rest.find(':');
        std::string_view clause = rest.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        size_t eq = clause.find('=');
        if (eq == std::string_view::npos) return bad("expected drop=, dup=, reorder= or police=");
        std::string_view key = clause.substr(0, eq), val = clause.substr(eq + 1);
        if (key == "police") {
            std::string_view rate = val, burst;
            if (size_t sl = val.find('/'); sl != std::string_view::npos) {
                rate = val.substr(0, sl);
                burst = val.substr(sl + 1);
            }
            auto r = parse_rate(rate);
            if (!r || r->u != rate_spec::unit::pps) return bad("police= takes a frame rate, e.g. police=200kpps/32");
            s.police_pps = r->value;
            if (!burst.empty()) {
                unsigned b = 0;
                auto [p, ec] = std::from_chars(burst.data(), burst.data() + burst.size(), b);
                if (ec != std::errc() || p != burst.data() + burst.size() || b == 0 || b > 1000000)
                    return bad("the police bucket is 1..1000000 frames");
                s.police_burst = b;
            }
            continue;
        }
        std::set<uint64_t>* set = key == "drop" ? &s.drop : key == "dup" ? &s.dup : key == "reorder" ? &s.reorder : nullptr;
        if (!set) return bad(fmt::format("unknown clause '{}'", key));
        while (!val.empty()) {
            size_t comma = val.find(',');
            std::string_view num = val.substr(0, comma);
            val = comma == std::string_view::npos ? std::string_view{} : val.substr(comma + 1);
            uint64_t v = 0;
            auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
            if (ec != std::errc() || p != num.data() + num.size() || num.empty())
                return bad(fmt::format("'{}' is not a sequence number", num));
            if (set->size() >= 100000) return bad("at most 100000 sequence numbers per clause");
            set->insert(v);
        }
    }
    return s;
}

namespace {
uint16_t rx_cb(uint16_t, uint16_t, rte_mbuf** pkts, uint16_t n, uint16_t max, void* user) {
    return static_cast<impairment*>(user)->on_rx(pkts, n, max);
}
}  // namespace

std::unique_ptr<impairment> impairment::attach(uint16_t port, rte_mempool* pool, const impair_spec& s, uint64_t hz) {
    std::unique_ptr<impairment> im(new impairment());
    im->port_ = port;
    im->pool_ = pool;
    im->s_ = s;
    im->hz_ = hz;
    im->tokens_ = s.police_burst;
    im->cb_ = rte_eth_add_rx_callback(port, 0, rx_cb, im.get());
    if (!im->cb_) return nullptr;
    return im;
}

impairment::~impairment() {
    // The datapath must be stopped: DPDK frees a removed callback only when
    // no burst is inside it, which the caller guarantees by stopping first.
    if (cb_) rte_eth_remove_rx_callback(port_, 0, static_cast<const rte_eth_rxtx_callback*>(cb_));
    for (auto* m : held_) rte_pktmbuf_free(m);
    for (auto* m : backlog_) rte_pktmbuf_free(m);
}

uint16_t impairment::on_rx(rte_mbuf** pkts, uint16_t n, uint16_t max) {
    std::vector<rte_mbuf*> out;
    out.reserve(size_t(n) * 2 + backlog_.size());
    out.insert(out.end(), backlog_.begin(), backlog_.end());
    backlog_.clear();
    for (uint16_t k = 0; k < n; ++k) {
        rte_mbuf* m = pkts[k];
        rx_frame f = parse_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
        if (f.kind != rx_kind::test) {
            out.push_back(m);
            continue;
        }
        const uint64_t seq = f.t.seq;
        if (s_.police_pps > 0) {
            if (have_ts_) {
                const uint64_t dt = (f.t.tsc48 - last_ts_) & 0xffffffffffffULL;
                tokens_ = std::min(s_.police_burst, tokens_ + double(dt) * s_.police_pps / double(hz_));
            }
            last_ts_ = f.t.tsc48;
            have_ts_ = true;
            if (tokens_ < 1) {
                ++policed_;
                rte_pktmbuf_free(m);
                continue;
            }
            tokens_ -= 1;
        }
        if (s_.drop.count(seq)) {
            ++dropped_;
            rte_pktmbuf_free(m);
            continue;
        }
        if (s_.reorder.count(seq)) {
            ++reordered_;
            held_.push_back(m);
            continue;
        }
        out.push_back(m);
        if (s_.dup.count(seq)) {
            if (rte_mbuf* c = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX)) {
                ++duplicated_;
                out.push_back(c);
            }
        }
        // A held frame goes out after the frame that followed it.
        for (auto* h : held_) out.push_back(h);
        held_.clear();
    }
    const uint16_t cnt = uint16_t(std::min<size_t>(out.size(), max));
    std::copy(out.begin(), out.begin() + cnt, pkts);
    backlog_.assign(out.begin() + cnt, out.end());
    return cnt;
}

}  // namespace mpnet::gen
