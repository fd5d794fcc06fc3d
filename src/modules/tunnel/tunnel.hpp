// SPDX-License-Identifier: BSD-2-Clause
// What the tunnel modules (gif, l2tp, vxlan) share inside src/modules/tunnel.
//
// Locking notes: none of its own.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mpnet/stack/module.hpp"
#include "mpnet/sync/rcu.hpp"
#include "mpnet/tunnel/encap.hpp"

namespace mpnet::tunnel_detail {

/// Decapsulation a burst at a time (an l4_burst_fn's body): `parse(i, key)`
/// checks packet i and writes its table key (false: it dropped the packet),
/// one bulk lookup finds every key's tunnel, then `finish(i, hit)` goes on
/// with each (a false hit: no tunnel). A burst (l4_batch) at a time; more
/// is taken a burst's worth at a time. Before the finish calls, the hits'
/// interfaces are prefetched together (dp_ctx::if_prefetch).
template <typename Parse, typename Finish>
void decap_burst(dp_ctx& c, const encap_table& t, uint16_t n, Parse&& parse, Finish&& finish) noexcept {
    encap_key keys[pkt_batch::capacity];
    uint16_t at[pkt_batch::capacity];
    encap_hit hit[pkt_batch::capacity];
    for (uint16_t base = 0; base < n;) {
        const auto end = static_cast<uint16_t>(std::min<uint32_t>(n, base + pkt_batch::capacity));
        uint16_t k = 0;
        for (uint16_t i = base; i < end; ++i)
            if (parse(i, keys[k])) at[k++] = i;
        t.lookup_bulk(keys, k, hit);
        if (k > 1) c.if_prefetch(&hit[0].ifindex, k, sizeof(encap_hit));
        for (uint16_t j = 0; j < k; ++j) finish(at[j], hit[j]);
        base = end;
    }
}

/// A knob over a byte of the module's state that workers read relaxed.
inline knob u8_knob(std::string_view name, std::string_view help, int64_t lo, int64_t hi,
                    std::atomic<uint8_t>& field) {
    knob k;
    k.name = name;
    k.help = help;
    k.min = lo;
    k.max = hi;
    k.get = [](module_ctl&, void* a) -> int64_t {
        return static_cast<std::atomic<uint8_t>*>(a)->load(std::memory_order_relaxed);
    };
    k.set = [](module_ctl&, int64_t v, void* a) {
        static_cast<std::atomic<uint8_t>*>(a)->store(static_cast<uint8_t>(v), std::memory_order_relaxed);
    };
    k.arg = &field;
    return k;
}

/// Headroom a tunnel leaves in front of its outer header: Ethernet and an 802.1Q tag.
inline constexpr uint16_t link_reserve = 18;

/// The outer IPv4 identification, one counter per lcore, each on its own line.
struct ip_ids {
    struct alignas(64) slot {
        uint16_t next = 0;
    };
    std::array<slot, limits::lcore_max + 1> s{};
    uint16_t next(unsigned lcore) noexcept { return s[lcore].next++; }
};

/// The variant pattern for an L2 tunnel's configuration (`Cfg` has `keyed`,
/// `key` and `ready()`): `next` gets its table key (`key_of`), the key goes
/// in first, then the configuration, then the old key out; the interface
/// runs while `next` is ready. errc::addrnotavail when another interface has
/// the key.
template <typename Cfg, typename KeyOf>
status publish_variant(module_ctl& ctl, ifnet& ifp, rcu_ptr<Cfg>& slot, encap_table& table, std::unique_ptr<Cfg> next,
                       KeyOf key_of) {
    const Cfg* old = slot.read();
    const bool had = old && old->keyed;
    const encap_key old_key = had ? old->key : encap_key{};
    next->keyed = next->ready();
    if (next->keyed) {
        next->key = key_of(*next);
        if (!had || !(old_key == next->key))
            if (auto a = table.add(next->key, ifp.index()); !a)
                return a.error() == errc::exist ? errc::addrnotavail : a.error();
    }
    const bool up = next->ready();
    const bool same_key = had && next->keyed && old_key == next->key;
    slot.replace(next.release());  // the old one is freed after a grace period
    if (had && !same_key) table.remove(old_key);
    ctl.link_changed(ifp, up);
    return {};
}

/// The interface is going: its key leaves the table, an empty variant stays.
template <typename Cfg>
void retire_variant(rcu_ptr<Cfg>& slot, encap_table& table) {
    if (const Cfg* p = slot.read(); p && p->keyed) table.remove(p->key);
    slot.replace(new Cfg);
}

/// "ifconfig: IF: ..." for a tunnel verb's outcome; `what` names the kind
/// and `key` what two interfaces may not share ("tunnel and session").
inline command_reply verb_answer(status st, std::string_view ifn, std::string_view what, std::string_view key) {
    if (st) return {};
    std::string text;
    switch (st.error()) {
        case errc::inval:
            text = fmt::format("{}: not {} interface, or a bad value", ifn, what);
            break;
        case errc::addrnotavail:
            text = fmt::format("{}: SIOCSLIFPHYADDR: another interface has this {}", ifn, key);
            break;
        default:
            text = fmt::format("{}: {}", ifn, errc_message(st.error()));
    }
    return {1, "ifconfig: " + text};
}

/// `tunnel SRC DST` parsed, or the usage / family error.
inline std::optional<tunnel_endpoints> tunnel_words(std::string_view ifn, const std::vector<std::string>& w,
                                                    command_reply& err) {
    if (w.size() != 3) {
        err = {1, "ifconfig: usage: ifconfig IF tunnel SRC DST"};
        return std::nullopt;
    }
    auto e = tunnel_endpoints::parse(w[1], w[2]);
    if (!e) err = {1, fmt::format("ifconfig: {}: {} {}: two addresses of one family", ifn, w[1], w[2])};
    return e;
}

}  // namespace mpnet::tunnel_detail
