// SPDX-License-Identifier: BSD-2-Clause
// IPsec's databases (NetBSD's netipsec key.c, managed with setkey(8)): the
// SAD, security associations for ESP, and the SPD, security policies, with
// setkey's language as the `setkey` command (src/modules/ipsec).
//
// The databases drive ESP (src/modules/ipsec/esp.*): an SP that asks for
// ESP protects what matches it with the SA sa_select names, through a
// DPDK cryptodev (libipsec-mb's PMD, or OpenSSL's); an inbound SA opens
// what arrives for its destination and SPI. The data path reads its own
// twins of the SAs and a snapshot of the SPD (esp.hpp explains the shape).
// The route-based ipsec(4) interface is src/modules/ipsec/ipsecif.cpp.
// Tunnel mode holds packets against the path MTU less the SA's overhead
// (docs/architecture.md, IPsec).
//
// SAs: (source, destination, SPI) with ESP (`esp`) or ESP in UDP (`esp-udp`,
// RFC 3948 NAT traversal, with its ports), mode transport, tunnel or any,
// reqid, the encryption algorithm and key (-E), the authentication
// algorithm and key (-A; none for AES-GCM, which authenticates itself), the
// replay window (-r, in bytes, as setkey), lifetimes hard and soft in
// seconds (-lh, -ls) and bytes (-bh, -bs). Algorithms and key lengths (bits):
//   -E null 0; rijndael-cbc (aes-cbc) 128, 192, 256; aes-gcm-16 (aes-gcm)
//      160, 224, 288 (the key and a 32-bit salt, RFC 4106)
//   -A hmac-sha1 160 (HMAC-SHA1-96), hmac-sha256 256, hmac-sha384 384,
//      hmac-sha512 512 (RFC 4868's truncations)
// Anything else is refused ("unknown algorithm", "Invalid key length"),
// as is a destination and SPI another SA has (an SPI names one SA per
// destination and protocol, RFC 4301 4.1), an SPI below 256 (reserved,
// RFC 4303 2.1), ESP with neither encryption nor authentication, and
// source and destination of two families; nothing changes then.
// A hard lifetime removes the SA when it runs out; a soft one marks it
// dying (state=dying in the listing). Which SA a policy's packets take:
// sa_select (newest first, or oldest with net.key.prefered_oldsa=1).
//
// SPs: a selector (source and destination prefixes with ports, upper-layer
// protocol or any), a direction (in, out), an action (none, discard,
// ipsec) and for ipsec one ESP request: transport, or tunnel between two
// endpoints of one family, at level default, use, require or unique
// (unique:N fixes the reqid). One SP per (selector, direction): spdadd of
// an existing one is refused (exist), spdupdate replaces it.
//
// Limits: ipsec::sad_max SAs, ipsec::spd_max SPs (errc::nospc past them).
//
// Locking notes: the databases are control-plane state, read and written
// under the control lock (stack::ctl_call); the data path reads their
// RCU-published twins (esp.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/stack/module.hpp"

namespace mpnet {

extern const module ipsec_module;

namespace ipsec {

inline constexpr size_t sad_max = 65536;
inline constexpr size_t spd_max = 16384;

/// An address of either family.
struct addr {
    uint8_t family = 4;
    ip4_addr v4;
    ip6_addr v6{};
    static std::optional<addr> parse(std::string_view s) noexcept;
    std::string str() const;
    friend bool operator==(const addr& a, const addr& b) noexcept {
        return a.family == b.family && (a.family == 4 ? a.v4 == b.v4 : a.v6 == b.v6);
    }
};

enum class mode : uint8_t { any, transport, tunnel };
std::string_view mode_name(mode m) noexcept;

struct sa_spec {
    addr src, dst;
    uint32_t spi = 0;
    bool udp = false;              // esp-udp: ESP in UDP (NAT traversal)
    uint16_t sport = 0, dport = 0;  // esp-udp's ports (0: 4500)
    mode m = mode::any;
    uint32_t reqid = 0;
    std::string enc = "null";       // -E
    std::vector<uint8_t> enc_key;
    std::string auth;               // -A (empty: none)
    std::vector<uint8_t> auth_key;
    uint32_t replay = 0;            // -r: the anti-replay window in bytes (0: off)
    bool esn = false;               // -esn (mpnet's): 64-bit extended sequence numbers (RFC 4303 2.2.1)
    uint64_t hard_s = 0, soft_s = 0, hard_bytes = 0, soft_bytes = 0;  // 0: none
};

/// Why `s` cannot be an SA ("" when it can): setkey's wording.
std::string validate(const sa_spec& s);

struct sa_info {
    sa_spec spec;
    uint64_t age_s = 0;
    bool dying = false;  // the soft lifetime ran out
    uint64_t bytes = 0;    // ESP payload bytes it protected or opened
    uint64_t packets = 0;  // and packets
};

/// setkey add: errc::exist (that destination and SPI), errc::inval
/// (validate), errc::nospc (sad_max).
status sa_add(stack& s, const sa_spec& sa);
/// setkey update: the SA of that source, destination and SPI gets the new
/// algorithms, keys and lifetimes (its age restarts). errc::noent.
status sa_update(stack& s, const sa_spec& sa);
/// setkey delete. errc::noent.
status sa_delete(stack& s, const addr& src, const addr& dst, uint32_t spi);
/// setkey deleteall: every SA from src to dst; how many went.
size_t sa_delete_all(stack& s, const addr& src, const addr& dst);
result<sa_info> sa_get(stack& s, const addr& src, const addr& dst, uint32_t spi);
void sa_flush(stack& s);
/// Every SA, by destination then SPI.
std::vector<sa_info> sa_list(stack& s);

enum class dir : uint8_t { in, out };
enum class action : uint8_t { none, discard, ipsec };
enum class level : uint8_t { default_, use, require, unique };

struct selector {
    uint8_t family = 4;
    prefix4 src4{}, dst4{};
    prefix6 src6{}, dst6{};
    uint16_t sport = 0, dport = 0;  // 0: any
    uint8_t ulp = 255;              // upper-layer protocol; 255: any
    friend bool operator==(const selector&, const selector&) noexcept = default;
};

struct sp_spec {
    selector sel;
    dir d = dir::out;
    action act = action::ipsec;
    // action::ipsec: the one ESP request.
    mode m = mode::transport;
    addr tsrc, tdst;  // tunnel mode's endpoints
    level lev = level::require;
    uint32_t reqid = 0;  // level::unique with an id
};

std::string validate(const sp_spec& s);

struct sp_info {
    sp_spec spec;
    uint32_t id = 0;
};

/// setkey spdadd: errc::exist, errc::inval (validate), errc::nospc.
status sp_add(stack& s, const sp_spec& sp);
/// setkey spdupdate. errc::noent.
status sp_update(stack& s, const sp_spec& sp);
/// setkey spddelete. errc::noent.
status sp_delete(stack& s, const selector& sel, dir d);
void sp_flush(stack& s);
std::vector<sp_info> sp_list(stack& s);

/// The SP the SPD gives a packet going in direction `d`: the first that
/// matches (source and destination in its prefixes, its upper-layer
/// protocol and ports or any), in the order they were added, as NetBSD's
/// key_allocsp with setkey's equal priorities. Null: none matches.
std::optional<sp_info> sp_match(stack& s, dir d, const addr& src, const addr& dst, uint8_t ulp = 255,
                                uint16_t sport = 0, uint16_t dport = 0);
/// The SA a packet from `src` to `dst` under `sp` goes out with: one
/// between the SP's tunnel endpoints (tunnel mode) or the packet's own
/// addresses (transport), of the SP's mode or mode any, of its reqid when
/// its level is unique:N; mature before dying; among those the newest, or
/// the oldest when net.key.prefered_oldsa is 1 (NetBSD's
/// key_do_allocsa_policy). errc::noent when there is none (a require
/// policy then stops the packet: t_ipsec_misc's nosa case).
result<sa_info> sa_select(stack& s, const sp_spec& sp, const addr& src, const addr& dst);

/// setkey -D and -D -P in setkey's format ("No SAD entries." and "No SPD
/// entries." when empty).
std::string sad_dump(const std::vector<sa_info>& v);
std::string spd_dump(const std::vector<sp_info>& v);

}  // namespace ipsec
}  // namespace mpnet
