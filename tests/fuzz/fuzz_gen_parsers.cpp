// SPDX-License-Identifier: BSD-2-Clause
// libFuzzer target: mpgen's parsers (rates, link speeds, frame sizes, address
// and port ranges, flow lists, impairments, tunnel specs) and its frame classifier, plus
// the ARP/ND answer builders on whatever the classifier accepts. None may
// crash, hang or read outside its input; a parsed value must be usable.
#include <cstdint>
#include <string_view>

#include "mpnet/gen/config.hpp"
#include "mpnet/gen/impair.hpp"
#include "mpnet/gen/packet.hpp"

using namespace mpnet;
using namespace mpnet::gen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view s(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 8) {
        case 0:
            if (auto r = parse_rate(s)) (void)r->pps(10000000000ULL, 64, data[0] & 8);
            break;
        case 1: (void)parse_link_speed(s); break;
        case 2:
            if (auto m = parse_sizes(s)) {
                if (m->pattern.empty() || m->smallest() < min_frame || m->largest() > max_frame) __builtin_trap();
            }
            break;
        case 3:
            if (auto a = parse_addr_range(s)) (void)a->at(a->count() - 1);
            (void)parse_port_range(s);
            break;
        case 4:
            if (auto f = parse_flow_list(s, "fuzz", 4096)) {
                if (f->empty() || f->size() > 4096) __builtin_trap();
            }
            break;
        case 5:
            (void)parse_impair(s);
            if (auto e = parse_encap(s)) {
                if (e->kind == encap_spec::kind_t::none || e->overhead() == 0 || e->str().empty()) __builtin_trap();
            }
            break;
        default: {
            // The frame classifier and the answers built from what it accepts.
            const auto* p = reinterpret_cast<const uint8_t*>(s.data());
            const auto len = uint32_t(s.size());
            rx_frame f = parse_frame(p, len);
            uint8_t out[128];
            ether_addr me{{2, 0, 0, 0, 0, 1}}, mac{};
            (void)arp_answer(p, len, f, me, ip4_addr::of(198, 18, 0, 2), out);
            (void)arp_reply_from(p, len, f, ip4_addr::of(198, 18, 0, 1), &mac);
            const ip6_addr own = *ip6_addr::parse("2001:db8::2");
            (void)nd_answer(p, len, f, me, own, out);
            (void)nd_advert_from(p, len, f, own, &mac);
            break;
        }
    }
    return 0;
}
