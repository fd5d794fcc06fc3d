// SPDX-License-Identifier: BSD-2-Clause
// IPsec's SAD and SPD and the setkey command (include/mpnet/modules/ipsec.hpp).
#include "mpnet/modules/ipsec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "../../stack/stack_impl.hpp"
#include "esp.hpp"

namespace mpnet {
namespace ipsec {
namespace {

// ---- algorithms ---------------------------------------------------------------------------------

struct algo {
    std::string_view name, alias;
    std::array<uint16_t, 3> bits;  // the valid key lengths (0 past the last)
    bool aead = false;             // authenticates itself: no -A with it
};
constexpr algo enc_algos[] = {
    {"null", "", {0, 0, 0}},
    {"rijndael-cbc", "aes-cbc", {128, 192, 256}},
    {"aes-gcm-16", "aes-gcm", {160, 224, 288}, true},
};
constexpr algo auth_algos[] = {
    {"hmac-sha1", "", {160, 0, 0}},
    {"hmac-sha256", "", {256, 0, 0}},
    {"hmac-sha384", "", {384, 0, 0}},
    {"hmac-sha512", "", {512, 0, 0}},
};

template <size_t N>
const algo* find_algo(const algo (&table)[N], std::string_view name) noexcept {
    for (const algo& a : table)
        if (a.name == name || (!a.alias.empty() && a.alias == name)) return &a;
    return nullptr;
}

bool length_ok(const algo& a, size_t key_bytes) noexcept {
    const size_t bits = key_bytes * 8;
    if (a.name == "null") return bits == 0;
    return std::find(a.bits.begin(), a.bits.end(), bits) != a.bits.end() && bits != 0;
}

std::string lengths_of(const algo& a) {
    std::string t;
    for (uint16_t b : a.bits)
        if (b) t += (t.empty() ? "" : ", ") + std::to_string(b);
    return t.empty() ? "0" : t;
}

std::string canonical(std::string_view name) {
    if (const algo* a = find_algo(enc_algos, name)) return std::string(a->name);
    if (const algo* a = find_algo(auth_algos, name)) return std::string(a->name);
    return std::string(name);
}

// ---- the databases ------------------------------------------------------------------------------

using addr_key = std::pair<uint8_t, std::array<uint8_t, 16>>;
addr_key key_of(const addr& a) noexcept {
    addr_key k{a.family, {}};
    if (a.family == 4) {
        for (int i = 0; i < 4; ++i) k.second[size_t(i)] = uint8_t(a.v4.v >> (24 - 8 * i));
    } else {
        std::copy(a.v6.b.begin(), a.v6.b.end(), k.second.begin());
    }
    return k;
}
// An SPI names one SA per destination (and protocol: ESP only).
using sa_key = std::pair<addr_key, uint32_t>;

struct sa_entry {
    sa_spec spec;
    uint64_t created_ns = 0;
    uint64_t serial = 0;  // which add or update the lifetime timers belong to
    bool dying = false;
    uint64_t soft_timer = 0, hard_timer = 0;  // control-plane timer ids (0: none)
    uint64_t bytes_timer = 0;                 // the byte lifetimes' once-a-second look
    uint32_t slot = UINT32_MAX;  // its data-path twin's slot (esp.hpp)
};

struct sp_entry {
    sp_spec spec;
    uint32_t id = 0;
    ifindex_t owner = 0;  // an ipsec(4) interface's SP (ipsecif.cpp): setkey leaves it alone
};

// An outbound request's selection: (mode, reqid, source, destination).
using sel_k = std::tuple<uint8_t, uint32_t, addr_key, addr_key>;

struct ipsec_state {
    std::map<sa_key, sa_entry> sad;
    std::vector<sp_entry> spd;
    uint32_t next_spid = 1;
    uint64_t serial = 0;
    bool prefered_oldsa = false;  // net.key.prefered_oldsa
    detail::esp_shared esp;       // the data path (esp.hpp)
    std::map<sel_k, uint32_t> sel_cells;  // the selections published, and their cells
};

constexpr std::string_view module_name = "ipsec";

ipsec_state& state(module_ctl& ctl) noexcept { return *static_cast<ipsec_state*>(ctl.module_state(module_name)); }

void ipsec_limits(module_ctl& ctl, std::vector<limit_info>& out, void*);
void ipsec_config(module_ctl& ctl, std::vector<std::string>& lines, void*);

void reselect_all(module_ctl& ctl, ipsec_state& st);

void ipsec_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<ipsec_state>());
    detail::esp_attach(r, st->esp);
    detail::ipsecif_attach(r, st->esp);
    r.limits(ipsec_limits);
    r.config(ipsec_config);
    knob k;
    k.name = "net.key.prefered_oldsa";
    k.help = "outbound packets take the oldest usable SA instead of the newest (0..1)";
    k.min = 0;
    k.max = 1;
    k.get = [](module_ctl&, void* a) -> int64_t { return static_cast<ipsec_state*>(a)->prefered_oldsa; };
    k.set = [](module_ctl& ctl, int64_t v, void* a) {
        auto* db = static_cast<ipsec_state*>(a);
        db->prefered_oldsa = v != 0;
        reselect_all(ctl, *db);
    };
    k.arg = st;
    r.knob(k);
}

sa_info info_of(const sa_entry& e, uint64_t now) {
    sa_info i;
    i.spec = e.spec;
    i.age_s = now > e.created_ns ? (now - e.created_ns) / 1000000000ull : 0;
    i.dying = e.dying;
    return i;
}

// With what its data-path twin counted (ESP payload bytes, both directions).
sa_info info_of(ipsec_state& st, const sa_entry& e, uint64_t now) {
    sa_info i = info_of(e, now);
    if (detail::esp_ctx* x = st.esp.ctx.load(std::memory_order_relaxed); x && e.slot != UINT32_MAX)
        if (const detail::sa_dp* d = x->slots[e.slot].load(std::memory_order_acquire)) {
            i.bytes = d->bytes();
            i.packets = d->packets();
        }
    return i;
}

// Lifetimes: timers on the control plane, each for the add or update that
// set it (a later one makes it stale).
// A replaced or removed SA's timers are cancelled, so updates never pile
// timers up.
void disarm_lifetimes(module_ctl& ctl, const sa_entry& e) noexcept {
    if (e.soft_timer) ctl.timer_cancel(e.soft_timer);
    if (e.hard_timer) ctl.timer_cancel(e.hard_timer);
    if (e.bytes_timer) ctl.timer_cancel(e.bytes_timer);
}

sa_info info_of(ipsec_state& st, const sa_entry& e, uint64_t now);
void reselect(ipsec_state& st, const addr& a, const addr& b);
void sa_erase(module_ctl& ctl, ipsec_state& st, std::map<sa_key, sa_entry>::iterator it);

// Byte lifetimes: what the SA's twin counted, looked at once a second
// (a packet or a second's worth past the limit, as NetBSD's check per
// packet would not be).
constexpr uint64_t bytes_check_ns = 1000000000ull;
void arm_bytes_check(module_ctl& ctl, const sa_key& k, sa_entry& e) {
    stack::impl* impl = &ctl.impl();
    const uint64_t serial = e.serial;
    e.bytes_timer = ctl.timer_add(ctl.now_ns() + bytes_check_ns, [impl, k, serial] {
        module_ctl mc(*impl);
        auto& st = state(mc);
        auto it = st.sad.find(k);
        if (it == st.sad.end() || it->second.serial != serial) return;
        sa_entry& x = it->second;
        x.bytes_timer = 0;
        const uint64_t used = info_of(st, x, mc.now_ns()).bytes;
        if (x.spec.hard_bytes && used >= x.spec.hard_bytes) return sa_erase(mc, st, it);
        if (x.spec.soft_bytes && used >= x.spec.soft_bytes && !x.dying) {
            x.dying = true;
            reselect(st, x.spec.src, x.spec.dst);
        }
        if (x.spec.hard_bytes || !x.dying) arm_bytes_check(mc, k, x);
    });
}

void arm_lifetimes(module_ctl& ctl, const sa_key& k, sa_entry& e) {
    if (e.spec.soft_bytes || e.spec.hard_bytes) arm_bytes_check(ctl, k, e);
    stack::impl* impl = &ctl.impl();
    const uint64_t serial = e.serial;
    auto at = [&](uint64_t s) { return e.created_ns + s * 1000000000ull; };  // s < 2^32 (the parser's limit)
    if (e.spec.soft_s)
        e.soft_timer = ctl.timer_add(at(e.spec.soft_s), [impl, k, serial] {
            module_ctl mc(*impl);
            auto& st = state(mc);
            if (auto it = st.sad.find(k); it != st.sad.end() && it->second.serial == serial) {
                it->second.dying = true;
                reselect(st, it->second.spec.src, it->second.spec.dst);
            }
        });
    if (e.spec.hard_s)
        e.hard_timer = ctl.timer_add(at(e.spec.hard_s), [impl, k, serial] {
            module_ctl mc(*impl);
            auto& st = state(mc);
            if (auto it = st.sad.find(k); it != st.sad.end() && it->second.serial == serial) {
                it->second.hard_timer = 0;  // this one is running
                sa_erase(mc, st, it);
            }
        });
}

// ---- the data path's view (esp.hpp) ------------------------------------------------------------

detail::esp_ctx* dp_of(ipsec_state& st) noexcept { return st.esp.ctx.load(std::memory_order_relaxed); }

// The SA a request (mode, reqid or 0 for any) from `a` to `b` takes among
// `v`: of its mode or mode any, mature before dying, then the newest (or
// the oldest with net.key.prefered_oldsa), as NetBSD's key_do_allocsa_policy.
const sa_entry* choose(const std::vector<const sa_entry*>& v, mode m, uint32_t reqid, bool oldest) noexcept {
    const sa_entry* best = nullptr;
    for (const sa_entry* e : v) {
        const sa_spec& x = e->spec;
        if (x.m != mode::any && x.m != m) continue;
        if (reqid && x.reqid != reqid) continue;
        if (!best) {
            best = e;
            continue;
        }
        if (e->dying != best->dying) {  // mature first
            if (!e->dying) best = e;
            continue;
        }
        const bool newer = e->serial > best->serial;  // serials follow the adds and updates
        if (newer != oldest) best = e;
    }
    return best;
}

// Every SA from `a` to `b`.
std::vector<const sa_entry*> pair_sas(const ipsec_state& st, const addr& a, const addr& b) {
    std::vector<const sa_entry*> v;
    const addr_key kb = key_of(b);
    for (auto it = st.sad.lower_bound(sa_key{kb, 0}); it != st.sad.end() && it->first.first == kb; ++it)
        if (it->second.spec.src == a) v.push_back(&it->second);
    return v;
}

addr addr_of(const addr_key& k) {
    addr a;
    a.family = k.first;
    if (a.family == 4)
        a.v4 = ip4_addr(uint32_t(k.second[0]) << 24 | uint32_t(k.second[1]) << 16 | uint32_t(k.second[2]) << 8 |
                        k.second[3]);
    else
        std::copy(k.second.begin(), k.second.end(), a.v6.b.begin());
    return a;
}

// Publishes what each request from `a` to `b` takes now: its selection
// cell is rewritten in place (never a moment with none while another SA
// serves), created with the first SA and removed with the last.
void reselect(ipsec_state& st, const addr& a, const addr& b) {
    detail::esp_ctx* x = dp_of(st);
    if (!x) return;
    const auto v = pair_sas(st, a, b);
    std::vector<uint32_t> reqids{0};
    for (const sa_entry* e : v)
        if (e->spec.reqid && std::find(reqids.begin(), reqids.end(), e->spec.reqid) == reqids.end())
            reqids.push_back(e->spec.reqid);
    const addr_key ka = key_of(a), kb = key_of(b);
    auto set_cell = [&](mode m, uint32_t reqid, uint32_t val) {
        const sel_k k{uint8_t(m), reqid, ka, kb};
        auto it = st.sel_cells.find(k);
        if (it != st.sel_cells.end()) {
            if (val) {
                x->cells[it->second].store(val, std::memory_order_release);
            } else {
                x->sel_tab.remove(detail::sel_key(m, reqid, a, b));
                x->cells.release(it->second);
                st.sel_cells.erase(it);
            }
            return;
        }
        if (!val) return;
        const uint32_t c = x->cells.take();
        if (c == UINT32_MAX) return;  // sel_max: two per SA at most, so never
        x->cells[c].store(val, std::memory_order_release);
        if (!x->sel_tab.add(detail::sel_key(m, reqid, a, b), 1, c)) {
            x->cells.release(c);
            return;
        }
        st.sel_cells.emplace(k, c);
    };
    for (mode m : {mode::transport, mode::tunnel})
        for (uint32_t r : reqids) {
            const sa_entry* e = choose(v, m, r, st.prefered_oldsa);
            set_cell(m, r, e && e->slot != UINT32_MAX ? e->slot + 1 : 0);
        }
    // Requests for a reqid no SA of the pair has any more.
    std::vector<std::pair<mode, uint32_t>> stale;
    for (auto it = st.sel_cells.lower_bound(sel_k{0, 0, ka, kb}); it != st.sel_cells.end(); ++it) {
        const auto& [m, r, x1, x2] = it->first;
        if (x1 == ka && x2 == kb && std::find(reqids.begin(), reqids.end(), r) == reqids.end())
            stale.emplace_back(mode(m), r);
    }
    for (const auto& [m, r] : stale) set_cell(m, r, 0);
}

void reselect_all(module_ctl&, ipsec_state& st) {
    std::set<std::pair<addr_key, addr_key>> pairs;
    for (const auto& [k, e] : st.sad) pairs.emplace(key_of(e.spec.src), key_of(e.spec.dst));
    for (const auto& [k, c] : st.sel_cells) pairs.emplace(std::get<2>(k), std::get<3>(k));
    for (const auto& [a, b] : pairs) reselect(st, addr_of(a), addr_of(b));
}

// The data-path twin of `e` with `sa`'s keys: a new slot for a new SA, the
// same slot for an update (the twin replaced in place; the old one retired).
status dp_install(module_ctl& ctl, ipsec_state& st, sa_entry& e, const sa_spec& sa) {
    detail::esp_ctx& x = detail::esp_get(ctl, st.esp);
    if (auto d = detail::esp_open_device(x, st.esp); !d) return d;
    std::string why;
    detail::sa_dp* twin = detail::esp_sa_build(x, sa, why);
    if (!twin) return errc::io;
    if (e.slot != UINT32_MAX) {
        detail::esp_sa_retire(x.slots[e.slot].exchange(twin, std::memory_order_acq_rel));
        return {};
    }
    const uint32_t slot = x.slots.take();
    if (slot == UINT32_MAX) {
        delete twin;
        return errc::nospc;
    }
    x.slots[slot].store(twin, std::memory_order_release);
    // The SA is looked up by (destination, SPI); the table's interface
    // word is unused here (1: any valid index).
    if (auto a = x.in_tab.add(detail::in_key(sa.dst, sa.spi), 1, slot); !a) {
        x.slots.release(slot);
        delete twin;  // no table named the slot: no reader can hold it
        return a.error() == errc::exist ? errc::exist : errc::nospc;
    }
    e.slot = slot;
    return {};
}

// The twin of an SA that left the SAD (after its requests were reselected).
void dp_remove(ipsec_state& st, const sa_entry& e) {
    detail::esp_ctx* x = dp_of(st);
    if (!x || e.slot == UINT32_MAX) return;
    x->in_tab.remove(detail::in_key(e.spec.dst, e.spec.spi));
    detail::sa_dp* twin = x->slots[e.slot].load(std::memory_order_relaxed);
    x->slots.release(e.slot);
    detail::esp_sa_retire(twin);
}

// Removes the SA at `it` from the SAD and the data path.
void sa_erase(module_ctl& ctl, ipsec_state& st, std::map<sa_key, sa_entry>::iterator it) {
    const sa_entry e = it->second;
    disarm_lifetimes(ctl, e);
    st.sad.erase(it);
    reselect(st, e.spec.src, e.spec.dst);
    dp_remove(st, e);
}

// The SPD as the data path reads it, and the policy points on while it has SPs.
void spd_publish(module_ctl& ctl, ipsec_state& st) {
    auto* v = new detail::spd_dp;
    for (const auto& e : st.spd) (e.spec.d == dir::out ? v->out : v->in).push_back(e.spec);
    const bool out = !v->out.empty(), in = !v->in.empty();
    detail::esp_get(ctl, st.esp).spd.replace(v);
    ctl.ip_policy_on(out, in);
}

// An add's or an update's SA: its algorithms by their canonical names, its
// data-path twin, its age and lifetimes starting now.
status install(module_ctl& ctl, ipsec_state& st, const sa_key& k, sa_entry& e, const sa_spec& sa) {
    sa_spec spec = sa;
    spec.enc = canonical(sa.enc);
    if (!sa.auth.empty()) spec.auth = canonical(sa.auth);
    if (auto d = dp_install(ctl, st, e, spec); !d) return d;
    disarm_lifetimes(ctl, e);
    e.soft_timer = e.hard_timer = e.bytes_timer = 0;
    e.spec = spec;
    e.created_ns = ctl.now_ns();
    e.serial = ++st.serial;
    e.dying = false;
    arm_lifetimes(ctl, k, e);
    reselect(st, e.spec.src, e.spec.dst);
    return {};
}

// The SA from `src` to `dst` with `spi`, or null (an SPI names one SA per
// destination; the source must match too).
sa_entry* find_sa(ipsec_state& st, const addr& src, const addr& dst, uint32_t spi) noexcept {
    auto it = st.sad.find(sa_key{key_of(dst), spi});
    return it == st.sad.end() || !(it->second.spec.src == src) ? nullptr : &it->second;
}

}  // namespace

// ---- addresses ----------------------------------------------------------------------------------

std::optional<addr> addr::parse(std::string_view s) noexcept {
    addr a;
    if (auto v4 = ip4_addr::parse(s)) {
        a.family = 4;
        a.v4 = *v4;
        return a;
    }
    if (auto v6 = ip6_addr::parse(s)) {
        a.family = 6;
        a.v6 = *v6;
        return a;
    }
    return std::nullopt;
}

std::string addr::str() const { return family == 4 ? v4.str() : v6.str(); }

std::string_view mode_name(mode m) noexcept {
    switch (m) {
        case mode::transport: return "transport";
        case mode::tunnel: return "tunnel";
        case mode::any: break;
    }
    return "any";
}

// ---- validation ---------------------------------------------------------------------------------

std::string validate(const sa_spec& s) {
    if (s.src.family != s.dst.family) return "source and destination are of two families";
    if (s.spi < 256) return fmt::format("SPI {}: 0..255 are reserved (RFC 4303 2.1)", s.spi);
    const algo* e = find_algo(enc_algos, s.enc);
    if (!e) {
        if (find_algo(auth_algos, s.enc)) return fmt::format("{}: not an encryption algorithm", s.enc);
        return fmt::format("{}: unknown algorithm (-E: null, rijndael-cbc, aes-gcm-16)", s.enc);
    }
    if (!length_ok(*e, s.enc_key.size()))
        return fmt::format("{}: Invalid key length: {} bits (it takes {})", e->name, s.enc_key.size() * 8,
                           lengths_of(*e));
    if (!s.auth.empty()) {
        const algo* a = find_algo(auth_algos, s.auth);
        if (!a) return fmt::format("{}: unknown algorithm (-A: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512)", s.auth);
        if (e->aead) return fmt::format("{} authenticates itself: no -A with it", e->name);
        if (!length_ok(*a, s.auth_key.size()))
            return fmt::format("{}: Invalid key length: {} bits (it takes {})", a->name, s.auth_key.size() * 8,
                               lengths_of(*a));
    } else if (e->name == "null") {
        return "ESP with null encryption needs an authentication algorithm (-A)";
    }
    if (s.soft_s && s.hard_s && s.soft_s > s.hard_s) return "the soft lifetime (-ls) is past the hard one (-lh)";
    if (s.soft_bytes && s.hard_bytes && s.soft_bytes > s.hard_bytes)
        return "the soft byte lifetime (-bs) is past the hard one (-bh)";
    if (s.replay > 32) return fmt::format("replay window {} bytes: at most 32 (256 packets)", s.replay);
    if (s.esn && s.replay == 0) return "extended sequence numbers (-esn) need a replay window (-r)";
    if (!s.udp && (s.sport || s.dport)) return "ports are for esp-udp only";
    return {};
}

std::string validate(const sp_spec& s) {
    if (s.sel.family != 4 && s.sel.family != 6) return "a selector is IPv4 or IPv6";
    if (s.act == action::ipsec && s.m == mode::tunnel) {
        if (s.tsrc.family != s.tdst.family) return "tunnel endpoints of two families";
    } else if (s.act == action::ipsec && s.m != mode::transport) {
        return "the request's mode is transport or tunnel";
    }
    return {};
}

// ---- the API ------------------------------------------------------------------------------------

status sa_add(stack& s, const sa_spec& sa) {
    if (!validate(sa).empty()) return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        const sa_key k{key_of(sa.dst), sa.spi};
        if (st.sad.count(k)) return errc::exist;
        if (st.sad.size() >= sad_max) return errc::nospc;
        sa_entry& e = st.sad[k];
        if (auto r = install(ctl, st, k, e, sa); !r) {
            st.sad.erase(k);
            return r;
        }
        return {};
    });
}

status sa_update(stack& s, const sa_spec& sa) {
    if (!validate(sa).empty()) return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        sa_entry* e = find_sa(st, sa.src, sa.dst, sa.spi);
        if (!e) return errc::noent;
        return install(ctl, st, sa_key{key_of(sa.dst), sa.spi}, *e, sa);
    });
}

status sa_delete(stack& s, const addr& src, const addr& dst, uint32_t spi) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        if (!find_sa(st, src, dst, spi)) return errc::noent;
        sa_erase(ctl, st, st.sad.find(sa_key{key_of(dst), spi}));
        return {};
    });
}

size_t sa_delete_all(stack& s, const addr& src, const addr& dst) {
    size_t n = 0;
    (void)s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        for (auto it = st.sad.begin(); it != st.sad.end();) {
            auto next = std::next(it);
            if (it->second.spec.src == src && it->second.spec.dst == dst) {
                sa_erase(ctl, st, it);
                ++n;
            }
            it = next;
        }
        return {};
    });
    return n;
}

result<sa_info> sa_get(stack& s, const addr& src, const addr& dst, uint32_t spi) {
    sa_info r;
    status st = s.ctl_call([&](module_ctl& ctl) -> status {
        const sa_entry* e = find_sa(state(ctl), src, dst, spi);
        if (!e) return errc::noent;
        r = info_of(state(ctl), *e, ctl.now_ns());
        return {};
    });
    if (!st) return st.error();
    return r;
}

void sa_flush(stack& s) {
    (void)s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        while (!st.sad.empty()) sa_erase(ctl, st, st.sad.begin());
        return {};
    });
}

std::vector<sa_info> sa_list(stack& s) {
    std::vector<sa_info> v;
    (void)s.ctl_call([&](module_ctl& ctl) -> status {
        const uint64_t now = ctl.now_ns();
        for (const auto& [k, e] : state(ctl).sad) v.push_back(info_of(state(ctl), e, now));
        return {};
    });
    return v;
}

status sp_add(stack& s, const sp_spec& sp) {
    if (!validate(sp).empty()) return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        for (const auto& e : st.spd)
            if (e.spec.sel == sp.sel && e.spec.d == sp.d) return errc::exist;
        if (st.spd.size() >= spd_max) return errc::nospc;
        st.spd.push_back(sp_entry{sp, st.next_spid++});
        spd_publish(ctl, st);
        return {};
    });
}

status sp_update(stack& s, const sp_spec& sp) {
    if (!validate(sp).empty()) return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        for (auto& e : st.spd)
            if (e.spec.sel == sp.sel && e.spec.d == sp.d) {
                if (e.owner) return errc::perm;
                e.spec = sp;
                spd_publish(ctl, st);
                return {};
            }
        return errc::noent;
    });
}

status sp_delete(stack& s, const selector& sel, dir d) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        for (const auto& e : st.spd)
            if (e.owner && e.spec.sel == sel && e.spec.d == d) return errc::perm;
        const size_t n = std::erase_if(st.spd, [&](const sp_entry& e) { return e.spec.sel == sel && e.spec.d == d; });
        if (n) spd_publish(ctl, st);
        return n ? status{} : status{errc::noent};
    });
}

void sp_flush(stack& s) {
    (void)s.ctl_call([&](module_ctl& ctl) -> status {
        auto& st = state(ctl);
        std::erase_if(st.spd, [](const sp_entry& e) { return e.owner == 0; });  // ipsec(4)'s stay
        spd_publish(ctl, st);
        return {};
    });
}

std::vector<sp_info> sp_list(stack& s) {
    std::vector<sp_info> v;
    (void)s.ctl_call([&](module_ctl& ctl) -> status {
        for (const auto& e : state(ctl).spd) v.push_back(sp_info{e.spec, e.id});
        return {};
    });
    return v;
}

// ---- ipsec(4)'s policies ------------------------------------------------------------------------

namespace detail {

void ipsecif_policies(module_ctl& ctl, ifindex_t owner, const tunnel_endpoints* e, uint32_t reqid4, uint32_t reqid6) {
    auto& st = state(ctl);
    std::erase_if(st.spd, [&](const sp_entry& x) { return x.owner == owner; });
    if (e) {
        addr a, b;
        a.family = b.family = e->family;
        a.v4 = e->src4;
        b.v4 = e->dst4;
        a.v6 = e->src6;
        b.v6 = e->dst6;
        for (const uint8_t ulp : {ipproto_ipip, ipproto_ipv6})
            for (const dir d : {dir::out, dir::in}) {
                const addr& from = d == dir::out ? a : b;
                const addr& to = d == dir::out ? b : a;
                sp_spec sp;
                sp.sel.family = e->family;
                if (e->family == 4) {
                    sp.sel.src4 = prefix4::of(from.v4, 32);
                    sp.sel.dst4 = prefix4::of(to.v4, 32);
                } else {
                    sp.sel.src6 = prefix6::of(from.v6, 128);
                    sp.sel.dst6 = prefix6::of(to.v6, 128);
                }
                sp.sel.ulp = ulp;
                sp.d = d;
                sp.act = action::ipsec;
                sp.m = mode::transport;
                sp.lev = level::unique;
                sp.reqid = ulp == ipproto_ipip ? reqid4 : reqid6;
                // Another SP with this selector gives way to the interface's.
                std::erase_if(st.spd, [&](const sp_entry& x) { return x.spec.sel == sp.sel && x.spec.d == d; });
                st.spd.push_back(sp_entry{sp, st.next_spid++, owner});
            }
    }
    spd_publish(ctl, st);
}

}  // namespace detail

// ---- choosing an SP and an SA -------------------------------------------------------------------

namespace {

bool in_prefix(const selector& sel, bool src, const addr& a) noexcept {
    if (a.family != sel.family) return false;
    if (a.family == 4) return (src ? sel.src4 : sel.dst4).contains(a.v4);
    return (src ? sel.src6 : sel.dst6).contains(a.v6);
}

}  // namespace

std::optional<sp_info> sp_match(stack& s, dir d, const addr& src, const addr& dst, uint8_t ulp, uint16_t sport,
                                uint16_t dport) {
    std::optional<sp_info> r;
    (void)s.ctl_call([&](module_ctl& ctl) -> status {
        for (const auto& e : state(ctl).spd) {
            const selector& sel = e.spec.sel;
            if (e.spec.d != d || !in_prefix(sel, true, src) || !in_prefix(sel, false, dst)) continue;
            if (sel.ulp != 255 && sel.ulp != ulp) continue;
            if ((sel.sport && sel.sport != sport) || (sel.dport && sel.dport != dport)) continue;
            r = sp_info{e.spec, e.id};
            break;
        }
        return {};
    });
    return r;
}

result<sa_info> sa_select(stack& s, const sp_spec& sp, const addr& src, const addr& dst) {
    if (sp.act != action::ipsec) return errc::inval;
    const addr& a = sp.m == mode::tunnel ? sp.tsrc : src;
    const addr& b = sp.m == mode::tunnel ? sp.tdst : dst;
    sa_info r;
    status st = s.ctl_call([&](module_ctl& ctl) -> status {
        const ipsec_state& db = state(ctl);
        const uint32_t reqid = sp.lev == level::unique ? sp.reqid : 0;
        const sa_entry* best = choose(pair_sas(db, a, b), sp.m, reqid, db.prefered_oldsa);
        if (!best) return errc::noent;
        r = info_of(state(ctl), *best, ctl.now_ns());
        return {};
    });
    if (!st) return st.error();
    return r;
}

// ---- listings -----------------------------------------------------------------------------------

namespace {

std::string hex_words(const std::vector<uint8_t>& k) {
    std::string t;
    for (size_t i = 0; i < k.size(); ++i) {
        if (i && i % 4 == 0) t += ' ';
        t += fmt::format("{:02x}", k[i]);
    }
    return t;
}

std::string prefix_str(const selector& s, bool src) {
    if (s.family == 4) {
        const prefix4& p = src ? s.src4 : s.dst4;
        return p.len == 32 ? p.addr.str() : p.str();
    }
    const prefix6& p = src ? s.src6 : s.dst6;
    return p.len == 128 ? p.addr.str() : p.str();
}

std::string port_str(uint16_t p) { return p ? std::to_string(p) : "any"; }

std::string ulp_str(uint8_t u) {
    switch (u) {
        case 255: return "255(reserved)";
        case 1: return "1(icmp)";
        case 6: return "6(tcp)";
        case 17: return "17(udp)";
        case 58: return "58(ipv6-icmp)";
        default: return std::to_string(u);
    }
}

std::string_view level_name(level l) noexcept {
    switch (l) {
        case level::use: return "use";
        case level::require: return "require";
        case level::unique: return "unique";
        case level::default_: break;
    }
    return "default";
}

std::string_view action_name(action a) noexcept {
    return a == action::none ? "none" : a == action::discard ? "discard" : "ipsec";
}

// An ipsec policy's request as setkey writes it: esp/MODE/[A-B]/LEVEL[:ID].
std::string request_str(const sp_spec& s) {
    std::string lev(level_name(s.lev));
    if (s.lev == level::unique && s.reqid) lev += fmt::format(":{}", s.reqid);
    return fmt::format("esp/{}/{}/{}", mode_name(s.m),
                       s.m == mode::tunnel ? s.tsrc.str() + "-" + s.tdst.str() : std::string(), lev);
}

}  // namespace

std::string sad_dump(const std::vector<sa_info>& v) {
    if (v.empty()) return "No SAD entries.\n";
    std::string t;
    for (const sa_info& i : v) {
        const sa_spec& s = i.spec;
        if (s.udp)
            t += fmt::format("{}[{}] {}[{}] \n", s.src.str(), s.sport ? s.sport : 4500, s.dst.str(),
                             s.dport ? s.dport : 4500);
        else
            t += fmt::format("{} {} \n", s.src.str(), s.dst.str());
        t += fmt::format("\t{} mode={} spi={}(0x{:08x}) reqid={}(0x{:08x})\n", s.udp ? "esp-udp" : "esp",
                         mode_name(s.m), s.spi, s.spi, s.reqid, s.reqid);
        t += fmt::format("\tE: {}  {}\n", s.enc, hex_words(s.enc_key));
        if (!s.auth.empty()) t += fmt::format("\tA: {}  {}\n", s.auth, hex_words(s.auth_key));
        t += fmt::format("\tseq=0x00000000 replay={} flags=0x00000040 state={} {}\n", s.replay,
                         i.dying ? "dying" : "mature", s.esn ? "esn " : "");
        t += fmt::format("\tdiff: {}(s)\thard: {}(s)\tsoft: {}(s)\n", i.age_s, s.hard_s, s.soft_s);
        t += fmt::format("\tcurrent: {}(bytes)\thard: {}(bytes)\tsoft: {}(bytes)\n", i.bytes, s.hard_bytes,
                         s.soft_bytes);
    }
    return t;
}

std::string spd_dump(const std::vector<sp_info>& v) {
    if (v.empty()) return "No SPD entries.\n";
    std::string t;
    for (const sp_info& i : v) {
        const sp_spec& s = i.spec;
        t += fmt::format("{}[{}] {}[{}] {}\n", prefix_str(s.sel, true), port_str(s.sel.sport), prefix_str(s.sel, false),
                         port_str(s.sel.dport), ulp_str(s.sel.ulp));
        t += fmt::format("\t{} {}\n", s.d == dir::in ? "in" : "out", action_name(s.act));
        if (s.act == action::ipsec) t += "\t" + request_str(s) + "\n";
        t += fmt::format("\tspid={} seq=0 pid=0 scope=global\n", i.id);
    }
    return t;
}

// ---- show limits, save -------------------------------------------------------------------------

namespace {

std::string key_hex(const std::vector<uint8_t>& k) {
    std::string t = "0x";
    for (uint8_t b : k) t += fmt::format("{:02x}", b);
    return t;
}

void ipsec_limits(module_ctl& ctl, std::vector<limit_info>& out, void*) {
    ipsec_state& st = state(ctl);
    out.push_back({"ipsec SAs", sad_max, st.sad.size()});
    out.push_back({"ipsec SPs", spd_max, st.spd.size()});
    out.push_back({"ipsec SA selections", detail::sel_max, st.sel_cells.size()});
    // Crypto operations prepared or on the device, against the pool (every
    // lcore's queue pair full and its pending list).
    if (const detail::esp_ctx* x = st.esp.ctx.load(std::memory_order_relaxed);
        x && x->dev_ready.load(std::memory_order_acquire))
        out.push_back({"ipsec crypto operations", x->dev->ops->size, rte_mempool_in_use_count(x->dev->ops)});
}

// setkey statements that recreate both databases (lifetimes start again).
void ipsec_config(module_ctl& ctl, std::vector<std::string>& lines, void*) {
    const ipsec_state& st = state(ctl);
    for (const auto& [k, e] : st.sad) {
        const sa_spec& s = e.spec;
        std::string l = "setkey add " + s.src.str();
        if (s.udp && s.sport) l += fmt::format(" [{}]", s.sport);
        l += " " + s.dst.str();
        if (s.udp && s.dport) l += fmt::format(" [{}]", s.dport);
        l += fmt::format(" {} {}", s.udp ? "esp-udp" : "esp", s.spi);
        if (s.m != mode::any) l += fmt::format(" -m {}", mode_name(s.m));
        if (s.reqid) l += fmt::format(" -u {}", s.reqid);
        if (s.replay) l += fmt::format(" -r {}", s.replay);
        if (s.esn) l += " -esn";
        if (s.hard_s) l += fmt::format(" -lh {}", s.hard_s);
        if (s.soft_s) l += fmt::format(" -ls {}", s.soft_s);
        if (s.hard_bytes) l += fmt::format(" -bh {}", s.hard_bytes);
        if (s.soft_bytes) l += fmt::format(" -bs {}", s.soft_bytes);
        l += " -E " + s.enc;
        if (s.enc != "null") l += " " + key_hex(s.enc_key);
        if (!s.auth.empty()) l += " -A " + s.auth + " " + key_hex(s.auth_key);
        lines.push_back(std::move(l));
    }
    for (const auto& e : st.spd) {
        if (e.owner) continue;  // the interface's tunnel brings it back
        const sp_spec& s = e.spec;
        std::string l = fmt::format("setkey spdadd {}[{}] {}[{}] {} -P {} ", prefix_str(s.sel, true),
                                    port_str(s.sel.sport), prefix_str(s.sel, false), port_str(s.sel.dport),
                                    s.sel.ulp == 255 ? std::string("any") : std::to_string(s.sel.ulp),
                                    s.d == dir::in ? "in" : "out");
        l += action_name(s.act);
        if (s.act == action::ipsec) l += " " + request_str(s);
        lines.push_back(std::move(l));
    }
}

}  // namespace

// ---- setkey -------------------------------------------------------------------------------------

namespace {

command_reply fail(std::string msg) { return {1, "setkey: " + std::move(msg)}; }

template <typename T>
bool parse_num(std::string_view w, T lo, T hi, T& out) {
    T v{};
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc{} || p != w.data() + w.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

// A key: 0x and hex digits, or a "quoted string" (its bytes, as setkey).
std::optional<std::vector<uint8_t>> parse_key(std::string_view w) {
    std::vector<uint8_t> k;
    if (w.size() >= 2 && w.front() == '"' && w.back() == '"') {
        w = w.substr(1, w.size() - 2);
        k.assign(w.begin(), w.end());
        return k;
    }
    if (w.size() < 2 || w[0] != '0' || (w[1] != 'x' && w[1] != 'X')) return std::nullopt;
    w.remove_prefix(2);
    if (w.size() % 2) return std::nullopt;
    for (size_t i = 0; i < w.size(); i += 2) {
        uint8_t b = 0;
        auto [p, ec] = std::from_chars(w.data() + i, w.data() + i + 2, b, 16);
        if (ec != std::errc{} || p != w.data() + i + 2) return std::nullopt;
        k.push_back(b);
    }
    return k;
}

// An SPI: decimal or 0x hex.
bool parse_spi(std::string_view w, uint32_t& spi) {
    if (w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
        auto [p, ec] = std::from_chars(w.data() + 2, w.data() + w.size(), spi, 16);
        return ec == std::errc{} && p == w.data() + w.size();
    }
    return parse_num<uint32_t>(w, 0, 0xffffffffu, spi);
}

// "[PORT]" after an esp-udp address.
bool bracket_port(std::string_view w, uint16_t& port) {
    if (w.size() < 3 || w.front() != '[' || w.back() != ']') return false;
    return parse_num<uint16_t>(w.substr(1, w.size() - 2), 1, 65535, port);
}

// add/update/get/delete SRC [PORT] DST [PORT] esp|esp-udp SPI ...: the
// addresses, protocol and SPI; `i` moves past them.
std::string parse_sa_head(const std::vector<std::string>& a, size_t& i, sa_spec& s, bool want_spi) {
    auto src = i < a.size() ? addr::parse(a[i]) : std::nullopt;
    if (!src) return fmt::format("{}: not an address", i < a.size() ? a[i] : "(nothing)");
    ++i;
    if (i < a.size() && bracket_port(a[i], s.sport)) ++i;
    auto dst = i < a.size() ? addr::parse(a[i]) : std::nullopt;
    if (!dst) return fmt::format("{}: not an address", i < a.size() ? a[i] : "(nothing)");
    ++i;
    if (i < a.size() && bracket_port(a[i], s.dport)) ++i;
    s.src = *src;
    s.dst = *dst;
    if (i >= a.size()) return "the protocol is missing (esp, esp-udp)";
    if (a[i] == "esp-udp")
        s.udp = true;
    else if (a[i] != "esp")
        return fmt::format("{}: unsupported protocol (esp, esp-udp; AH and IPComp are not built)", a[i]);
    ++i;
    if (!want_spi) return {};
    if (i >= a.size() || !parse_spi(a[i], s.spi)) return fmt::format("{}: not an SPI", i < a.size() ? a[i] : "(nothing)");
    ++i;
    return {};
}

std::string parse_sa_ext(const std::vector<std::string>& a, size_t i, sa_spec& s) {
    bool have_e = false;
    while (i < a.size()) {
        const std::string& w = a[i];
        auto arg = [&](size_t k) -> const std::string* { return i + k < a.size() ? &a[i + k] : nullptr; };
        if (w == "-m" && arg(1)) {
            if (*arg(1) == "transport") s.m = mode::transport;
            else if (*arg(1) == "tunnel") s.m = mode::tunnel;
            else if (*arg(1) == "any") s.m = mode::any;
            else return fmt::format("-m {}: transport, tunnel or any", *arg(1));
            i += 2;
        } else if ((w == "-E" || w == "-A") && arg(1)) {
            const std::string name = *arg(1);
            // null encryption takes no key (setkey: a key after it is a syntax error).
            std::vector<uint8_t> key;
            size_t used = 2;
            if (!(w == "-E" && name == "null")) {
                if (!arg(2)) return fmt::format("{} {}: the key is missing", w, name);
                auto k = parse_key(*arg(2));
                if (!k) return fmt::format("{}: not a key (0xHEX or \"string\")", *arg(2));
                key = std::move(*k);
                used = 3;
            } else if (arg(2) && parse_key(*arg(2))) {
                return "-E null takes no key: syntax error";
            }
            if (w == "-E") {
                s.enc = name;
                s.enc_key = std::move(key);
                have_e = true;
            } else {
                s.auth = name;
                s.auth_key = std::move(key);
            }
            i += used;
        } else if (w == "-r" && arg(1)) {
            if (!parse_num<uint32_t>(*arg(1), 0, 32, s.replay)) return fmt::format("-r {}: 0..32 bytes", *arg(1));
            i += 2;
        } else if (w == "-esn") {
            s.esn = true;
            i += 1;
        } else if (w == "-u" && arg(1)) {
            if (!parse_num<uint32_t>(*arg(1), 0, 0x3fff, s.reqid)) return fmt::format("-u {}: 0..16383", *arg(1));
            i += 2;
        } else if ((w == "-lh" || w == "-ls" || w == "-bh" || w == "-bs") && arg(1)) {
            uint64_t v = 0;
            const bool secs = w == "-lh" || w == "-ls";
            if (!parse_num<uint64_t>(*arg(1), 0, secs ? 0xffffffffull : uint64_t(1) << 48, v))
                return fmt::format("{} {}: 0..{}", w, *arg(1), secs ? "4294967295 seconds" : "2^48 bytes");
            (w == "-lh" ? s.hard_s : w == "-ls" ? s.soft_s : w == "-bh" ? s.hard_bytes : s.soft_bytes) = v;
            i += 2;
        } else {
            return fmt::format("{}: unknown or incomplete option (-m, -E, -A, -r, -esn, -u, -lh, -ls, -bh, -bs)", w);
        }
    }
    if (!have_e && s.auth.empty()) return "no algorithm (-E, and -A unless the cipher authenticates itself)";
    if (!have_e) s.enc = "null";
    return {};
}

// SRC[PORT] DST[PORT]: a prefix (a bare address is a host) and "[any]" or "[N]".
bool parse_sel_addr(std::string_view w, selector& sel, bool src) {
    uint16_t port = 0;
    if (const size_t b = w.find('['); b != std::string_view::npos) {
        if (w.back() != ']') return false;
        std::string_view p = w.substr(b + 1, w.size() - b - 2);
        if (p != "any" && !parse_num<uint16_t>(p, 1, 65535, port)) return false;
        w = w.substr(0, b);
    }
    const bool bare = w.find('/') == std::string_view::npos;
    if (auto p4 = prefix4::parse(bare ? std::string(w) + "/32" : std::string(w), true)) {
        if (src) {
            if (sel.family == 6) return false;
            sel.src4 = *p4;
        } else {
            if (sel.family == 6) return false;
            sel.dst4 = *p4;
        }
        sel.family = 4;
    } else if (auto p6 = prefix6::parse(bare ? std::string(w) + "/128" : std::string(w), true)) {
        if (!src && sel.family == 4) return false;
        (src ? sel.src6 : sel.dst6) = *p6;
        sel.family = 6;
    } else {
        return false;
    }
    (src ? sel.sport : sel.dport) = port;
    return true;
}

bool parse_ulp(std::string_view w, uint8_t& u) {
    if (w == "any") u = 255;
    else if (w == "icmp") u = 1;
    else if (w == "tcp") u = 6;
    else if (w == "udp") u = 17;
    else if (w == "icmp6" || w == "ipv6-icmp") u = 58;
    else return parse_num<uint8_t>(w, 0, 255, u);
    return true;
}

// spdadd|spdupdate|spddelete SRC DST ULP -P in|out [POLICY]
std::string parse_sp(const std::vector<std::string>& a, bool want_policy, sp_spec& s) {
    if (a.size() < 6) return "usage: spdadd SRC[PORT] DST[PORT] ULP -P in|out none|discard|ipsec esp/MODE/[A-B]/LEVEL";
    selector sel;
    sel.family = 0;
    if (!parse_sel_addr(a[1], sel, true)) return fmt::format("{}: not a prefix with an optional [port]", a[1]);
    if (!parse_sel_addr(a[2], sel, false)) return fmt::format("{}: not a prefix of the source's family", a[2]);
    if (!parse_ulp(a[3], sel.ulp)) return fmt::format("{}: not an upper-layer protocol (any, icmp, tcp, udp, icmp6, N)", a[3]);
    s.sel = sel;
    if (a[4] != "-P") return fmt::format("{}: expected -P", a[4]);
    if (a[5] == "in") s.d = dir::in;
    else if (a[5] == "out") s.d = dir::out;
    else return fmt::format("{}: the direction is in or out", a[5]);
    if (!want_policy) return a.size() == 6 ? std::string{} : "spddelete takes no policy";
    if (a.size() < 7) return "the policy is missing (none, discard, ipsec esp/MODE/[A-B]/LEVEL)";
    if (a[6] == "none" || a[6] == "discard") {
        s.act = a[6] == "none" ? action::none : action::discard;
        return a.size() == 7 ? std::string{} : fmt::format("{}: takes no request", a[6]);
    }
    if (a[6] != "ipsec") return fmt::format("{}: the action is none, discard or ipsec", a[6]);
    s.act = action::ipsec;
    if (a.size() != 8) return "ipsec takes one request: esp/transport//LEVEL or esp/tunnel/A-B/LEVEL";
    // esp/MODE/SRC-DST/LEVEL
    std::vector<std::string_view> f;
    std::string_view r = a[7];
    for (size_t p; (p = r.find('/')) != std::string_view::npos; r.remove_prefix(p + 1)) f.push_back(r.substr(0, p));
    f.push_back(r);
    if (f.size() != 4) return fmt::format("{}: expected PROTO/MODE/[A-B]/LEVEL", a[7]);
    if (f[0] != "esp") return fmt::format("{}: unsupported protocol (esp; AH and IPComp are not built)", f[0]);
    if (f[1] == "transport") {
        s.m = mode::transport;
        if (!f[2].empty()) return "transport mode takes no endpoints";
    } else if (f[1] == "tunnel") {
        s.m = mode::tunnel;
        const size_t dash = f[2].find('-');
        auto ta = dash == std::string_view::npos ? std::nullopt : addr::parse(f[2].substr(0, dash));
        auto tb = dash == std::string_view::npos ? std::nullopt : addr::parse(f[2].substr(dash + 1));
        if (!ta || !tb) return fmt::format("{}: tunnel mode takes SRC-DST endpoints", f[2]);
        s.tsrc = *ta;
        s.tdst = *tb;
    } else {
        return fmt::format("{}: the mode is transport or tunnel", f[1]);
    }
    std::string_view lev = f[3];
    if (lev == "default") s.lev = level::default_;
    else if (lev == "use") s.lev = level::use;
    else if (lev == "require") s.lev = level::require;
    else if (lev == "unique") s.lev = level::unique;
    else if (lev.starts_with("unique:")) {
        s.lev = level::unique;
        if (!parse_num<uint32_t>(lev.substr(7), 1, 0x3fff, s.reqid)) return fmt::format("{}: unique:1..16383", lev);
    } else {
        return fmt::format("{}: the level is default, use, require or unique[:ID]", lev);
    }
    return validate(s);
}

nlohmann::json sa_json(const sa_info& i) {
    const sa_spec& s = i.spec;
    nlohmann::json j = {{"src", s.src.str()}, {"dst", s.dst.str()}, {"proto", s.udp ? "esp-udp" : "esp"},
                        {"spi", s.spi}, {"mode", mode_name(s.m)}, {"reqid", s.reqid}, {"enc", s.enc},
                        {"replay", s.replay}, {"esn", s.esn}, {"state", i.dying ? "dying" : "mature"}, {"age_s", i.age_s},
                        {"lifetime", {{"hard_s", s.hard_s}, {"soft_s", s.soft_s}, {"hard_bytes", s.hard_bytes},
                                      {"soft_bytes", s.soft_bytes}}},
                        {"bytes", i.bytes},
                        {"packets", i.packets}};
    if (!s.auth.empty()) j["auth"] = s.auth;
    if (s.udp) {
        j["sport"] = s.sport ? s.sport : 4500;
        j["dport"] = s.dport ? s.dport : 4500;
    }
    return j;
}

nlohmann::json sp_json(const sp_info& i) {
    const sp_spec& s = i.spec;
    nlohmann::json j = {{"src", prefix_str(s.sel, true)}, {"dst", prefix_str(s.sel, false)},
                        {"sport", s.sel.sport}, {"dport", s.sel.dport}, {"ulp", s.sel.ulp},
                        {"dir", s.d == dir::in ? "in" : "out"},
                        {"action", action_name(s.act)},
                        {"spid", i.id}};
    if (s.act == action::ipsec) {
        j["mode"] = mode_name(s.m);
        j["level"] = level_name(s.lev);
        if (s.reqid) j["reqid"] = s.reqid;
        if (s.m == mode::tunnel) j["tunnel"] = {s.tsrc.str(), s.tdst.str()};
    }
    return j;
}

std::string why(errc e, std::string_view what) {
    switch (e) {
        case errc::exist: return fmt::format("{}: File exists", what);
        case errc::noent: return fmt::format("{}: No such file or directory", what);
        case errc::nospc: return fmt::format("{}: the database is full", what);
        case errc::io: return fmt::format("{}: no crypto device takes it (crypto_aesni_mb, crypto_openssl)", what);
        case errc::perm: return fmt::format("{}: Operation not permitted (an ipsec interface's policy)", what);
        default: return fmt::format("{}: Invalid argument", what);
    }
}

command_reply cmd_setkey(stack& s, const std::vector<std::string>& args, bool json) {
    std::vector<std::string> a = args;
    // setkey -c's statements end in ';'.
    if (!a.empty() && a.back().ends_with(';')) {
        a.back().pop_back();
        if (a.back().empty()) a.pop_back();
    }
    if (a.empty()) return fail("usage: setkey -D [-P] | -F [-P] | add|update|get|delete|deleteall|flush|dump | spdadd|spdupdate|spddelete|spdflush|spddump");
    const std::string& v = a[0];
    const bool dump_sp = (v == "-D" && a.size() == 2 && a[1] == "-P") || v == "-DP" || v == "spddump";
    const bool dump_sa = (v == "-D" && a.size() == 1) || v == "dump" || (v == "-D" && a.size() == 2 && a[1] == "-a");
    if (dump_sp || dump_sa) {
        if (dump_sp) {
            auto l = sp_list(s);
            if (!json) return {0, spd_dump(l)};
            nlohmann::json j = nlohmann::json::array();
            for (const auto& i : l) j.push_back(sp_json(i));
            return {0, j.dump() + "\n"};
        }
        auto l = sa_list(s);
        if (!json) return {0, sad_dump(l)};
        nlohmann::json j = nlohmann::json::array();
        for (const auto& i : l) j.push_back(sa_json(i));
        return {0, j.dump() + "\n"};
    }
    if ((v == "-F" && a.size() == 2 && a[1] == "-P") || v == "-FP" || (v == "spdflush" && a.size() == 1)) {
        sp_flush(s);
        return {};
    }
    if ((v == "-F" && a.size() == 1) || (v == "flush" && (a.size() == 1 || (a.size() == 2 && a[1] == "esp")))) {
        sa_flush(s);
        return {};
    }
    if (v == "add" || v == "update") {
        sa_spec sa;
        size_t i = 1;
        if (auto e = parse_sa_head(a, i, sa, true); !e.empty()) return fail(e);
        if (auto e = parse_sa_ext(a, i, sa); !e.empty()) return fail(e);
        if (auto e = validate(sa); !e.empty()) return fail(e);
        const status st = v == "add" ? sa_add(s, sa) : sa_update(s, sa);
        if (!st) return fail(why(st.error(), fmt::format("{} {} {} spi {}", v, sa.src.str(), sa.dst.str(), sa.spi)));
        return {};
    }
    if (v == "get" || v == "delete") {
        sa_spec sa;
        size_t i = 1;
        if (auto e = parse_sa_head(a, i, sa, true); !e.empty()) return fail(e);
        if (i != a.size()) return fail(fmt::format("{}: {} takes SRC DST esp SPI", a[i], v));
        const std::string what = fmt::format("{} {} {} spi {}", v, sa.src.str(), sa.dst.str(), sa.spi);
        if (v == "delete") {
            const status st = sa_delete(s, sa.src, sa.dst, sa.spi);
            return st ? command_reply{} : fail(why(st.error(), what));
        }
        auto r = sa_get(s, sa.src, sa.dst, sa.spi);
        if (!r) return fail(why(r.error(), what));
        return {0, json ? sa_json(*r).dump() + "\n" : sad_dump({*r})};
    }
    if (v == "deleteall") {
        sa_spec sa;
        size_t i = 1;
        if (auto e = parse_sa_head(a, i, sa, false); !e.empty()) return fail(e);
        if (i != a.size()) return fail("deleteall takes SRC DST esp");
        const size_t n = sa_delete_all(s, sa.src, sa.dst);
        return {0, json ? nlohmann::json{{"deleted", n}}.dump() + "\n" : std::string()};
    }
    if (v == "spdadd" || v == "spdupdate" || v == "spddelete") {
        sp_spec sp;
        if (auto e = parse_sp(a, v != "spddelete", sp); !e.empty()) return fail(e);
        const std::string what = fmt::format("{} {} {} -P {}", v, a[1], a[2], a[5]);
        const status st = v == "spdadd" ? sp_add(s, sp) : v == "spdupdate" ? sp_update(s, sp) : sp_delete(s, sp.sel, sp.d);
        return st ? command_reply{} : fail(why(st.error(), what));
    }
    return fail(fmt::format("{}: unknown command (-D [-P], -F [-P], add, update, get, delete, deleteall, flush, dump, "
                            "spdadd, spdupdate, spddelete, spdflush, spddump)",
                            v));
}

constexpr module_command ipsec_commands[] = {
    {"setkey",
     "setkey -D [-P] | -F [-P] | add SRC [PORT] DST [PORT] esp|esp-udp SPI [-m MODE] [-u REQID] [-r BYTES] "
     "[-lh S] [-ls S] [-bh B] [-bs B] -E ALGO KEY [-A ALGO KEY] | update ... | get|delete SRC DST esp SPI | "
     "deleteall SRC DST esp | spdadd|spdupdate SRC[PORT] DST[PORT] ULP -P in|out none|discard|ipsec "
     "esp/transport//LEVEL|esp/tunnel/A-B/LEVEL | spddelete SRC DST ULP -P in|out",
     "IPsec's SAD and SPD (setkey(8)); ESP itself is not built yet", cmd_setkey},
};

}  // namespace
}  // namespace ipsec

extern const module ipsec_module{"ipsec", ipsec::ipsec_attach, ipsec::ipsec_commands, ipsec::detail::ipsecif_verbs};

}  // namespace mpnet
