// SPDX-License-Identifier: BSD-2-Clause
// ESP (RFC 4303) on the data path: the crypto device, the output and input
// policy points, ESP and ESP-in-UDP (RFC 3948) input, and the poll source
// that finishes what the crypto device completed (esp.hpp).
#include "esp.hpp"

#include <fmt/format.h>
#include <rte_bus_vdev.h>
#include <rte_mbuf_dyn.h>
#include <sys/random.h>

#include <algorithm>
#include <cstring>

#include "../../stack/stack_impl.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet::ipsec::detail {

// ---- the crypto device --------------------------------------------------------------------------

std::unique_ptr<crypto_dev> crypto_dev::open(unsigned queue_pairs, std::string& err) {
    static std::atomic<unsigned> seq{0};
    for (const char* pmd : default_pmds) {
        auto d = std::unique_ptr<crypto_dev>(new crypto_dev);
        const unsigned n = seq.fetch_add(1);
        d->driver = pmd;
        d->name = fmt::format("{}_mpnet{}", pmd, n);
        const std::string args = fmt::format("max_nb_queue_pairs={},socket_id=0", queue_pairs);
        if (rte_vdev_init(d->name.c_str(), args.c_str()) != 0) {
            err = fmt::format("{}: the PMD does not start here", pmd);
            continue;
        }
        const int id = rte_cryptodev_get_dev_id(d->name.c_str());
        if (id < 0) {
            rte_vdev_uninit(d->name.c_str());
            err = fmt::format("{}: no device after vdev init", pmd);
            continue;
        }
        d->id = static_cast<uint8_t>(id);
        d->qps = queue_pairs;
        rte_cryptodev_config cfg{};
        cfg.socket_id = SOCKET_ID_ANY;
        cfg.nb_queue_pairs = static_cast<uint16_t>(queue_pairs);
        cfg.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY;
        d->sess_size_ = rte_cryptodev_sym_get_private_session_size(d->id);
        // The first session pool: the queue pairs want one to be named.
        const std::string pn = fmt::format("ipsess{}_0", n);
        rte_mempool* sp = rte_cryptodev_sym_session_pool_create(pn.c_str(), sessions_per_pool, d->sess_size_, 0, 0,
                                                                SOCKET_ID_ANY);
        if (!sp || rte_cryptodev_configure(d->id, &cfg) != 0) {
            if (sp) rte_mempool_free(sp);
            rte_vdev_uninit(d->name.c_str());
            err = fmt::format("{}: cannot configure {} queue pairs", pmd, queue_pairs);
            continue;
        }
        d->sess_pools_.push_back(sp);
        rte_cryptodev_qp_conf qc{};
        qc.nb_descriptors = qp_depth;
        qc.mp_session = sp;
        bool ok = true;
        for (unsigned q = 0; q < queue_pairs && ok; ++q)
            ok = rte_cryptodev_queue_pair_setup(d->id, static_cast<uint16_t>(q), &qc, SOCKET_ID_ANY) == 0;
        const std::string on = fmt::format("ipops{}", n);
        // Every queue pair full, and each lcore's pending list and cache.
        const unsigned nops = queue_pairs * (qp_depth + lcore_q::pending_max + 2 * 64);
        if (ok)
            d->ops = rte_crypto_op_pool_create(on.c_str(), RTE_CRYPTO_OP_TYPE_SYMMETRIC, nops, 64,
                                               op_ctx_off - op_iv_off + 64, SOCKET_ID_ANY);
        if (!ok || !d->ops || rte_cryptodev_start(d->id) != 0) {
            err = fmt::format("{}: cannot set up its queue pairs or operation pool", pmd);
            continue;  // the destructor closes what was opened
        }
        d->started_ = true;
        return d;
    }
    return nullptr;
}

crypto_dev::~crypto_dev() {
    if (started_) rte_cryptodev_stop(id);
    rte_cryptodev_close(id);
    rte_vdev_uninit(name.c_str());
    for (rte_mempool* p : sess_pools_) rte_mempool_free(p);
    if (ops) rte_mempool_free(ops);
}

void* crypto_dev::session(rte_crypto_sym_xform* x) {
    for (rte_mempool* p : sess_pools_)
        if (rte_mempool_avail_count(p) > 0)
            if (void* s = rte_cryptodev_sym_session_create(id, x, p)) return s;
    if (sess_pools_.size() * sessions_per_pool >= 2 * sad_max) return nullptr;
    static std::atomic<unsigned> seq{0};
    const std::string pn = fmt::format("ipsess{}_{}", id, seq.fetch_add(1) + 1);
    rte_mempool* p =
        rte_cryptodev_sym_session_pool_create(pn.c_str(), sessions_per_pool, sess_size_, 0, 0, SOCKET_ID_ANY);
    if (!p) return nullptr;
    sess_pools_.push_back(p);
    return rte_cryptodev_sym_session_create(id, x, p);
}

void crypto_dev::session_free(void* s) noexcept {
    if (s) rte_cryptodev_sym_session_free(id, s);
}

// ---- the replay window --------------------------------------------------------------------------

void replay_window::init(uint32_t packets) noexcept {
    w_ = packets;
    nslots_ = 0;
    if (packets == 0) return;
    // Slots for the window and one block of slack; a power of two.
    const uint32_t need = packets / 32 + 2;
    nslots_ = 1;
    while (nslots_ < need) nslots_ <<= 1;
    if (nslots_ > slots_max) nslots_ = slots_max;
}

namespace {
inline uint32_t block_of(uint64_t seq) noexcept { return static_cast<uint32_t>(seq >> 5); }
inline uint32_t tag_of(uint64_t word) noexcept { return static_cast<uint32_t>(word >> 32); }
inline bool newer(uint32_t a, uint32_t b) noexcept { return static_cast<int32_t>(a - b) > 0; }
}  // namespace

bool replay_window::check(uint64_t seq) const noexcept {
    if (seq == 0) return false;  // never sent (RFC 4303 3.3.3: the first is 1)
    if (w_ == 0) return true;
    const uint64_t t = top_.load(std::memory_order_acquire);
    if (seq + w_ <= t) return false;
    const uint64_t v = slot_[block_of(seq) & (nslots_ - 1)].load(std::memory_order_acquire);
    const uint32_t b = block_of(seq);
    if (tag_of(v) == b) return (v & (uint64_t{1} << (seq & 31))) == 0;
    return !newer(tag_of(v), b);
}

bool replay_window::accept(uint64_t seq) noexcept {
    if (seq == 0) return false;
    if (w_ == 0) return true;
    if (seq + w_ <= top_.load(std::memory_order_acquire)) return false;
    const uint32_t b = block_of(seq);
    const uint64_t bit = uint64_t{1} << (seq & 31);
    std::atomic<uint64_t>& s = slot_[b & (nslots_ - 1)];
    uint64_t v = s.load(std::memory_order_acquire);
    for (;;) {
        uint64_t next;
        if (tag_of(v) == b) {
            if (v & bit) return false;
            next = v | bit;
        } else if (newer(tag_of(v), b)) {
            return false;
        } else {
            next = (uint64_t{b} << 32) | bit;  // a newer block takes the slot
        }
        if (s.compare_exchange_weak(v, next, std::memory_order_acq_rel, std::memory_order_acquire)) break;
    }
    uint64_t t = top_.load(std::memory_order_relaxed);
    while (seq > t && !top_.compare_exchange_weak(t, seq, std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
    return true;
}

uint64_t replay_window::infer(uint32_t lo) const noexcept {
    const uint64_t t = top_.load(std::memory_order_acquire);
    const uint32_t tl = static_cast<uint32_t>(t), th = static_cast<uint32_t>(t >> 32);
    const uint32_t edge = tl - w_ + 1;  // the window's left edge, modulo 2^32
    if (tl >= w_ - 1) return (uint64_t(lo >= edge ? th : th + 1) << 32) | lo;
    // The window straddles a multiple of 2^32: a number past its edge is
    // from the block before.
    if (lo >= edge) return th == 0 ? 0 : (uint64_t(th - 1) << 32) | lo;
    return (uint64_t(th) << 32) | lo;
}

// ---- SAs ----------------------------------------------------------------------------------------

sa_dp::~sa_dp() {
    if (dev) {
        dev->session_free(enc);
        dev->session_free(dec);
    }
}

int64_t sa_dp::inflight() const noexcept {
    int64_t n = 0;
    for (unsigned i = 0; i < nlcores; ++i) n += per[i].inflight.load(std::memory_order_acquire);
    return n;
}
uint64_t sa_dp::packets() const noexcept {
    uint64_t n = 0;
    for (unsigned i = 0; i < nlcores; ++i) n += per[i].packets.load(std::memory_order_relaxed);
    return n;
}
uint64_t sa_dp::bytes() const noexcept {
    uint64_t n = 0;
    for (unsigned i = 0; i < nlcores; ++i) n += per[i].bytes.load(std::memory_order_relaxed);
    return n;
}

namespace {

rte_crypto_auth_algorithm auth_algo(std::string_view a, uint8_t* icv) noexcept {
    if (a == "hmac-sha1") return *icv = 12, RTE_CRYPTO_AUTH_SHA1_HMAC;
    if (a == "hmac-sha256") return *icv = 16, RTE_CRYPTO_AUTH_SHA256_HMAC;
    if (a == "hmac-sha384") return *icv = 24, RTE_CRYPTO_AUTH_SHA384_HMAC;
    return *icv = 32, RTE_CRYPTO_AUTH_SHA512_HMAC;
}

// An SA whose last operation may still be queued is kept a grace period
// more, until none is.
void retire_cb(void* p) {
    auto* sa = static_cast<sa_dp*>(p);
    if (sa->inflight() > 0) return mpnet::detail::rcu_defer_from_callback(retire_cb, sa);
    delete sa;
}

}  // namespace

void esp_sa_retire(sa_dp* sa) {
    if (sa) mpnet::detail::rcu_defer(retire_cb, sa);
}

sa_dp* esp_sa_build(esp_ctx& x, const sa_spec& s, std::string& why) {
    auto sa = std::make_unique<sa_dp>();
    sa->spec = s;
    sa->dev = x.dev.get();
    sa->nlcores = x.nlcores;
    sa->per = std::make_unique<sa_lcore[]>(x.nlcores);
    sa->rw.init(s.replay * 8);
    rte_crypto_sym_xform c[2]{}, d[2]{};
    if (s.enc == "aes-gcm-16") {
        sa->aead = true;
        sa->iv_len = 8;
        sa->icv_len = 16;
        sa->block = 4;
        const size_t klen = s.enc_key.size() - 4;
        std::memcpy(sa->salt, s.enc_key.data() + klen, 4);
        for (int dir = 0; dir < 2; ++dir) {
            rte_crypto_sym_xform& a = dir == 0 ? c[0] : d[0];
            a.type = RTE_CRYPTO_SYM_XFORM_AEAD;
            a.aead.op = dir == 0 ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
            a.aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
            a.aead.key.data = s.enc_key.data();
            a.aead.key.length = static_cast<uint16_t>(klen);
            a.aead.iv.offset = op_iv_off;
            a.aead.iv.length = 12;
            a.aead.digest_length = 16;
            a.aead.aad_length = s.esn ? 12 : 8;  // SPI, [high 32 bits,] sequence number
        }
    } else {
        const bool null_enc = s.enc == "null";
        sa->cbc = !null_enc;
        sa->iv_len = null_enc ? 0 : 16;
        sa->block = null_enc ? 4 : 16;
        const rte_crypto_auth_algorithm aa = auth_algo(s.auth, &sa->icv_len);
        for (int dir = 0; dir < 2; ++dir) {
            rte_crypto_sym_xform* v = dir == 0 ? c : d;
            rte_crypto_sym_xform& ci = v[0];
            rte_crypto_sym_xform& au = v[1];
            ci.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
            ci.cipher.op = dir == 0 ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
            ci.cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
            ci.cipher.key.data = s.enc_key.data();
            ci.cipher.key.length = static_cast<uint16_t>(s.enc_key.size());
            ci.cipher.iv.offset = op_iv_off;
            ci.cipher.iv.length = 16;
            au.type = RTE_CRYPTO_SYM_XFORM_AUTH;
            au.auth.op = dir == 0 ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
            au.auth.algo = aa;
            au.auth.key.data = s.auth_key.data();
            au.auth.key.length = static_cast<uint16_t>(s.auth_key.size());
            au.auth.digest_length = sa->icv_len;
            if (null_enc) {
                ci = au;  // authentication alone
                ci.next = nullptr;
            } else if (dir == 0) {
                ci.next = &au;  // encrypt, then authenticate the ciphertext
            } else {
                au.next = &ci;  // verify, then decrypt
            }
        }
    }
    rte_crypto_sym_xform* enc_first = &c[0];
    rte_crypto_sym_xform* dec_first = (sa->cbc) ? &d[1] : &d[0];
    sa->enc = x.dev->session(enc_first);
    sa->dec = x.dev->session(dec_first);
    if (!sa->enc || !sa->dec) {
        why = fmt::format("{}: the crypto device ({}) takes no session for {}{}{}", s.spi, x.dev->driver, s.enc,
                          s.auth.empty() ? "" : " with ", s.auth);
        return nullptr;
    }
    return sa.release();
}

encap_key sel_key(mode m, uint32_t reqid, const addr& src, const addr& dst) noexcept {
    const uint8_t proto = m == mode::tunnel ? 2 : 1;
    if (src.family == 4) return encap_key::v4(proto, src.v4, dst.v4, reqid);
    return encap_key::v6(proto, src.v6, dst.v6, reqid);
}

encap_key in_key(const addr& dst, uint32_t spi) noexcept {
    if (dst.family == 4) return encap_key::v4(ipproto_esp, dst.v4, ip4_addr{}, spi);
    return encap_key::v6(ipproto_esp, dst.v6, ip6_addr{}, spi);
}

esp_ctx::esp_ctx(unsigned lcores) : q(new lcore_q[lcores]), nlcores(lcores) {}

// ---- the data path ------------------------------------------------------------------------------

namespace {

enum : uint8_t { op_out = 0, op_in = 1 };

constexpr uint32_t link_reserve = 18;  // Ethernet and an 802.1Q tag still fit in front

struct op_ctx {
    sa_dp* sa;
    uint64_t seq;
    ifindex_t ifindex;     // in: the interface the ESP packet came in on
    uint16_t esp_off;      // the ESP header's offset
    uint16_t nh_field;     // in, transport IPv6: the byte that named ESP (or UDP)
    uint8_t dir;
    uint8_t family;        // of the IP header in front
    uint8_t udp;           // ESP in UDP
};
static_assert(op_ctx_off + sizeof(op_ctx) <= op_ctx_off + 64);

inline op_ctx& ctx_of(rte_crypto_op* op) noexcept { return *rte_crypto_op_ctod_offset(op, op_ctx*, op_ctx_off); }

struct esp_hdr {
    be32 spi;
    be32 seq;
};

esp_ctx* ctx_of(esp_shared& sh) noexcept { return sh.ctx.load(std::memory_order_acquire); }

lcore_q& q_of(esp_ctx& x, dp_ctx& c) noexcept { return x.q[c.lcore()]; }

void fill_random(lcore_q& q, uint8_t* dst, unsigned n) noexcept {
    if (q.rnd_used + n > sizeof q.rnd) {
        size_t got = 0;
        while (got < sizeof q.rnd) {
            const ssize_t r = getrandom(q.rnd + got, sizeof q.rnd - got, 0);
            if (r <= 0) break;
            got += size_t(r);
        }
        q.rnd_used = 0;
    }
    std::memcpy(dst, q.rnd + q.rnd_used, n);
    q.rnd_used = static_cast<uint16_t>(q.rnd_used + n);
}

// The packet's selectors: addresses, upper-layer protocol and ports.
struct sel_of {
    addr src, dst;
    uint8_t ulp = 255;
    uint16_t sport = 0, dport = 0;
    uint8_t icmp6_type = 0;
};

bool parse_sel(mbuf* m, uint8_t family, sel_of& s) noexcept {
    uint32_t off = 0;
    if (family == 4) {
        const auto* h = pkt_header<ip4_hdr>(m);
        if (!h) return false;
        s.src.family = s.dst.family = 4;
        s.src.v4 = ip4_addr(h->src.get());
        s.dst.v4 = ip4_addr(h->dst.get());
        s.ulp = h->proto;
        if (ip4_is_fragment(*h) && (h->frag.get() & ip4_frag_offset_mask)) return true;  // no ports
        off = h->hlen_bytes();
    } else {
        const auto* h = pkt_header<ip6_hdr>(m);
        if (!h) return false;
        s.src.family = s.dst.family = 6;
        s.src.v6 = h->src;
        s.dst.v6 = h->dst;
        bool frag = false;
        if (!ip6_upper(m, &s.ulp, &off, &frag)) return false;
    }
    if ((s.ulp == ipproto_udp || s.ulp == ipproto_tcp) && off + 4 <= pkt_head_len(m)) {
        const uint8_t* p = pkt_data(m) + off;
        s.sport = uint16_t(p[0] << 8 | p[1]);
        s.dport = uint16_t(p[2] << 8 | p[3]);
    } else if (s.ulp == ipproto_icmpv6 && off + 1 <= pkt_head_len(m)) {
        s.icmp6_type = pkt_data(m)[off];
    }
    return true;
}

bool in_prefix(const selector& sel, bool src, const addr& a) noexcept {
    if (a.family == 4) return (src ? sel.src4 : sel.dst4).contains(a.v4);
    return (src ? sel.src6 : sel.dst6).contains(a.v6);
}

const sp_spec* first_match(const std::vector<sp_spec>& v, const sel_of& s) noexcept {
    for (const sp_spec& p : v) {
        const selector& sel = p.sel;
        if (sel.family != s.src.family || !in_prefix(sel, true, s.src) || !in_prefix(sel, false, s.dst)) continue;
        if (sel.ulp != 255 && sel.ulp != s.ulp) continue;
        if ((sel.sport && sel.sport != s.sport) || (sel.dport && sel.dport != s.dport)) continue;
        return &p;
    }
    return nullptr;
}

// Neighbor discovery and MLD never go through IPsec (they find the peer
// the SA leads to; NetBSD exempts them likewise).
bool nd_exempt(const sel_of& s) noexcept {
    return s.ulp == ipproto_icmpv6 && s.icmp6_type >= icmp6_mld_query && s.icmp6_type <= icmp6_mld2_report;
}

void flush(esp_ctx& x, dp_ctx& c, lcore_q& q, esp_shared& sh) noexcept {
    if (q.n == 0) return;
    const uint16_t qp = static_cast<uint16_t>(c.lcore());
    const uint16_t sent = rte_cryptodev_enqueue_burst(x.dev->id, qp, q.pending, q.n);
    for (uint16_t i = sent; i < q.n; ++i) {
        rte_crypto_op* op = q.pending[i];
        op_ctx& k = ctx_of(op);
        k.sa->per[c.lcore()].inflight.fetch_sub(1, std::memory_order_release);
        mbuf* m = sym_of(op)->m_src;
        rte_crypto_op_free(op);
        c.drop(m, sh.crypto_full);
    }
    q.n = 0;
}

void queue_op(esp_ctx& x, dp_ctx& c, esp_shared& sh, rte_crypto_op* op) noexcept {
    lcore_q& q = q_of(x, c);
    ctx_of(op).sa->per[c.lcore()].inflight.fetch_add(1, std::memory_order_relaxed);
    q.pending[q.n++] = op;
    if (q.n == lcore_q::pending_max) flush(x, c, q, sh);
}

// The operation for the ESP packet `m` whose header is at `esp_off` and
// whose encrypted part (payload, padding and trailer) is `enc_len` bytes,
// its IV already in the packet: the nonce (AES-GCM: salt and IV, RFC
// 4106) or the IV (CBC) into the operation, the AAD (SPI and sequence
// number, with ESN its high half between them), the regions and the ICV's
// place. With ESN and an HMAC, the high half sits where the ICV goes and
// the ICV 4 bytes further (the caller arranged that; RFC 4303 2.2.1: the
// ICV covers it, the wire does not carry it). Both directions alike.
void set_crypto(rte_crypto_op* op, const sa_dp& sa, void* session, mbuf* m, uint32_t esp_off, uint32_t enc_len,
                uint64_t seq) noexcept {
    rte_crypto_op_attach_sym_session(op, session);
    rte_crypto_sym_op* so = sym_of(op);
    so->m_src = m;
    const uint8_t* e = pkt_data(m) + esp_off;
    uint8_t* iv = rte_crypto_op_ctod_offset(op, uint8_t*, op_iv_off);
    const uint32_t data_off = esp_off + 8 + sa.iv_len;
    const uint32_t icv_off = data_off + enc_len;
    if (sa.aead) {
        uint8_t* aad = rte_crypto_op_ctod_offset(op, uint8_t*, op_aad_off);
        std::memcpy(aad, e, 4);
        if (sa.spec.esn) {
            const uint32_t hi = rte_cpu_to_be_32(static_cast<uint32_t>(seq >> 32));
            std::memcpy(aad + 4, &hi, 4);
            std::memcpy(aad + 8, e + 4, 4);
        } else {
            std::memcpy(aad + 4, e + 4, 4);
        }
        std::memcpy(iv, sa.salt, 4);
        std::memcpy(iv + 4, e + 8, 8);
        so->aead.data.offset = data_off;
        so->aead.data.length = enc_len;
        so->aead.aad.data = aad;
        so->aead.aad.phys_addr = rte_crypto_op_ctophys_offset(op, op_aad_off);
        so->aead.digest.data = pkt_data(m) + icv_off;
        so->aead.digest.phys_addr = rte_pktmbuf_iova_offset(m, icv_off);
        return;
    }
    if (sa.cbc) {
        std::memcpy(iv, e + 8, 16);
        so->cipher.data.offset = data_off;
        so->cipher.data.length = enc_len;
    }
    const uint32_t hi = sa.spec.esn ? 4 : 0;
    so->auth.data.offset = esp_off;
    so->auth.data.length = icv_off + hi - esp_off;
    so->auth.digest.data = pkt_data(m) + icv_off + hi;
    so->auth.digest.phys_addr = rte_pktmbuf_iova_offset(m, icv_off + hi);
}

// ESN with an HMAC: the high half of the sequence number goes where the
// ICV will be, the ICV 4 bytes past it (the packet grows by 4, tailroom
// permitting) ...
bool esn_open(mbuf* m, const sa_dp& sa, uint32_t icv_off, uint64_t seq) noexcept {
    if (!rte_pktmbuf_append(m, 4)) return false;
    uint8_t* p = pkt_data(m);
    std::memmove(p + icv_off + 4, p + icv_off, sa.icv_len);
    const uint32_t hi = rte_cpu_to_be_32(static_cast<uint32_t>(seq >> 32));
    std::memcpy(p + icv_off, &hi, 4);
    return true;
}

// ... and once the crypto is done, the ICV back where the wire has it.
void esn_close(mbuf* m, const sa_dp& sa) noexcept {
    uint8_t* p = pkt_data(m);
    const uint32_t icv_off = pkt_len(m) - sa.icv_len - 4;
    std::memmove(p + icv_off, p + icv_off + 4, sa.icv_len);
    rte_pktmbuf_trim(m, 4);
}

// Output: `m` (IPv4 or IPv6 header in front; a chain is linearized) under
// `sa`; `tunnel`: the request's mode (an SA of mode any serves both).
void esp_output(esp_ctx& x, dp_ctx& c, esp_shared& sh, sa_dp& sa, mbuf* m, uint8_t family, bool tunnel) noexcept {
    if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) return c.drop(m, sh.chained);
    const sa_spec& s = sa.spec;
    // Transport: ESP goes after the IP header (IPv6: after the headers a
    // router reads, hop-by-hop, routing and fragment).
    uint32_t ip_len = 0;      // bytes kept in front (transport)
    uint32_t nh_field = 0;    // transport: the byte that names what follows
    uint8_t nh = 0;
    if (tunnel) {
        nh = family == 4 ? ipproto_ipip : ipproto_ipv6;
    } else if (family == 4) {
        auto* h = pkt_header<ip4_hdr>(m);
        ip_len = h->hlen_bytes();
        nh_field = 9;
        nh = h->proto;
    } else {
        ip_len = sizeof(ip6_hdr);
        nh_field = 6;
        const uint8_t* p = pkt_data(m);
        nh = p[6];
        for (unsigned k = 0; k < limits::ip6_ext_headers_max; ++k) {
            if (nh != ipproto_hopopts && nh != ipproto_routing && nh != ipproto_fragment) break;
            if (ip_len + 8 > pkt_head_len(m)) return c.drop(m, sh.bad_length);
            const uint32_t len = nh == ipproto_fragment ? 8 : (uint32_t(p[ip_len + 1]) + 1) * 8;
            nh_field = ip_len;
            nh = p[ip_len];
            ip_len += len;
        }
        if (ip_len > pkt_head_len(m)) return c.drop(m, sh.bad_length);
    }
    const uint32_t payload = pkt_len(m) - ip_len;
    const uint32_t padded = (payload + 2 + sa.block - 1) / sa.block * sa.block;
    const uint32_t pad = padded - payload - 2;
    const bool esn_hmac = s.esn && !sa.aead;  // 4 bytes more while the crypto runs
    const uint32_t tail = pad + 2 + sa.icv_len + (esn_hmac ? 4 : 0);
    const uint8_t udp_len = s.udp ? 8 : 0;
    const uint32_t outer = tunnel ? (s.dst.family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr)) : 0;
    const uint32_t head = outer + udp_len + sizeof(esp_hdr) + sa.iv_len;
    if (rte_pktmbuf_tailroom(m) < tail || rte_pktmbuf_headroom(m) < head + link_reserve)
        return c.drop(m, sh.no_room);
    const uint64_t seq = sa.seq.fetch_add(1, std::memory_order_relaxed) + 1;
    if (seq > UINT32_MAX && !s.esn) return c.drop(m, sh.seq_overflow);  // the SA is spent (RFC 4303 3.3.3)
    rte_crypto_op* op = rte_crypto_op_alloc(x.dev->ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
    if (!op) return c.drop(m, drop_reason::nobufs);
    uint8_t tos = 0;
    if (family == 4)
        tos = pkt_data(m)[1];
    else
        tos = static_cast<uint8_t>((pkt_data(m)[0] << 4) | (pkt_data(m)[1] >> 4));
    // The trailer: padding 1, 2, 3, ... (RFC 4303 2.4), its length, what follows.
    uint8_t* t = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(tail)));
    for (uint32_t i = 0; i < pad; ++i) t[i] = static_cast<uint8_t>(i + 1);
    t[pad] = static_cast<uint8_t>(pad);
    t[pad + 1] = nh;
    if (esn_hmac) {  // the high half where the ICV goes, the ICV after it (set_crypto)
        const uint32_t hi = rte_cpu_to_be_32(static_cast<uint32_t>(seq >> 32));
        std::memcpy(t + pad + 2, &hi, 4);
    }
    uint8_t* front = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, static_cast<uint16_t>(head)));
    if (!tunnel) std::memmove(front, front + head, ip_len);  // the IP header moves to the new front
    const uint32_t esp_off = (tunnel ? outer : ip_len) + udp_len;
    uint8_t* e = front + esp_off;
    auto* eh = reinterpret_cast<esp_hdr*>(e);
    eh->spi.set(s.spi);
    eh->seq.set(static_cast<uint32_t>(seq));
    lcore_q& q = q_of(x, c);
    if (sa.aead) {
        // RFC 4106: the IV is the sequence number (unique per key, which is
        // all GCM asks).
        const uint64_t be = rte_cpu_to_be_64(seq);
        std::memcpy(e + 8, &be, 8);
    } else if (sa.cbc) {
        fill_random(q, e + 8, 16);  // RFC 3602: unpredictable
    }
    const uint32_t total = pkt_len(m) - (esn_hmac ? 4 : 0);  // what the wire will carry
    const uint8_t esp_proto = s.udp ? ipproto_udp : ipproto_esp;
    if (tunnel) {
        tunnel_endpoints te;
        te.family = s.src.family;
        te.src4 = s.src.v4;
        te.dst4 = s.dst.v4;
        te.src6 = s.src.v6;
        te.dst6 = s.dst.v6;
        encap_write_outer(front, te, esp_proto, total - outer, tos & 0xfc, 64, q.ip_id++);
    } else if (family == 4) {
        auto* h = reinterpret_cast<ip4_hdr*>(front);
        h->total_len.set(static_cast<uint16_t>(total));
        h->proto = esp_proto;
        h->cksum = 0;
        h->cksum = in_cksum(h, h->hlen_bytes());
    } else {
        auto* h = reinterpret_cast<ip6_hdr*>(front);
        h->payload_len.set(static_cast<uint16_t>(total - sizeof(ip6_hdr)));
        front[nh_field] = esp_proto;
    }
    const uint8_t out_family = tunnel ? s.src.family : family;
    if (s.udp) {
        uint8_t* u = front + esp_off - 8;
        const uint16_t sp = s.sport ? s.sport : 4500, dp = s.dport ? s.dport : 4500;
        const uint16_t ulen = static_cast<uint16_t>(total - (esp_off - 8));
        u[0] = uint8_t(sp >> 8), u[1] = uint8_t(sp), u[2] = uint8_t(dp >> 8), u[3] = uint8_t(dp);
        u[4] = uint8_t(ulen >> 8), u[5] = uint8_t(ulen), u[6] = u[7] = 0;  // IPv4: no checksum (RFC 3948 2.1)
    }
    set_crypto(op, sa, sa.enc, m, esp_off, padded, seq);
    op_ctx& k = ctx_of(op);
    k.sa = &sa;
    k.seq = seq;
    k.ifindex = 0;
    k.esp_off = static_cast<uint16_t>(esp_off);
    k.nh_field = 0;
    k.dir = op_out;
    k.family = out_family;
    k.udp = s.udp;
    sa_lcore& st = sa.per[c.lcore()];
    st.packets.store(st.packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    st.bytes.store(st.bytes.load(std::memory_order_relaxed) + payload, std::memory_order_relaxed);
    queue_op(x, c, sh, op);
}

// Tunnel mode and the path MTU (RFC 4301 8.1, RFC 4459): what the SA adds
// to a packet at most is `over`; a packet that would leave the tunnel's
// route too big is, for IPv6 and IPv4 with DF, refused with an ICMP error
// to its source giving the MTU inside the tunnel (from an address of the
// interface it came in on), and, for IPv4 without DF, fragmented before
// encryption (each fragment its own ESP packet; the outer packets then
// never need fragmenting). True when `m` was taken.
bool too_big_for_tunnel(esp_ctx& x, dp_ctx& c, esp_shared& sh, sa_dp& sa, const ifnet* in, mbuf* m,
                        uint8_t family) noexcept {
    const sa_spec& s = sa.spec;
    l3_next d;
    d.family = s.dst.family;
    d.v4 = s.dst.v4;
    d.v6 = s.dst.v6;
    const uint32_t mtu = c.route_mtu(d);
    if (!mtu) return false;  // no route: the output will say so
    const uint32_t over = (s.dst.family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr)) + (s.udp ? 8 : 0) + 8 +
                          sa.iv_len + sa.icv_len + 2 + (sa.block - 1);
    if (pkt_len(m) + over <= mtu) return false;
    uint32_t inner = mtu > over ? mtu - over : 0;  // the largest packet that fits
    if (family == 4) {
        auto* h = pkt_header<ip4_hdr>(m);
        if (!(h->frag.get() & ip4_frag_df) && inner >= 68) {
            mbuf* frags[limits::frags_max];
            const int n = c.ip4_fragment(m, static_cast<uint16_t>(inner), frags, limits::frags_max);
            if (n < 0) {
                c.drop(m, sh.too_big);
                return true;
            }
            pkt_free(m);
            for (int i = 0; i < n; ++i) esp_output(x, c, sh, sa, frags[i], 4, true);
            return true;
        }
        if (in)
            for (const auto& a : in->addrs().v4)
                if (a.is_usable()) {
                    if (mbuf* e = icmp_error_build(c.pool(), h, pkt_head_len(m), a.addr, icmp_unreach,
                                                   icmp_unreach_needfrag, inner, 64))
                        c.ip4_output(e);
                    break;
                }
    } else {
        inner = std::max<uint32_t>(inner, ip6_min_mtu);
        const auto* h = pkt_header<ip6_hdr>(m);
        if (in && !h->src.is_multicast() && !h->src.is_any())
            for (const auto& a : in->addrs().v6)
                if (a.is_usable() && !a.addr.is_link_local()) {
                    if (mbuf* e = icmp6_error_build(c.pool(), h, pkt_head_len(m), a.addr, icmp6_packet_too_big, 0,
                                                    inner, 64))
                        c.ip6_output(e);
                    break;
                }
    }
    c.drop(m, sh.too_big);
    return true;
}

sa_dp* sa_for(esp_ctx& x, const encap_hit& h) noexcept {
    if (!h) return nullptr;
    return x.slots[h.data].load(std::memory_order_acquire);
}

bool policy_out(dp_ctx& c, const ifnet* in, mbuf* m, uint8_t family, void* arg) noexcept {
    auto& sh = *static_cast<esp_shared*>(arg);
    if (m->ol_flags & sh.flag_out) {  // our own ESP packet, on its way out
        m->ol_flags &= ~(sh.flag_out | sh.flag_in);
        return false;
    }
    // What an inbound SA opened means nothing past this point (a reply
    // built in its buffer, or the packet forwarded on).
    m->ol_flags &= ~sh.flag_in;
    esp_ctx* x = ctx_of(sh);
    const spd_dp* spd = x ? x->spd.read() : nullptr;
    if (!spd || spd->out.empty()) return false;
    sel_of s;
    if (!parse_sel(m, family, s) || nd_exempt(s)) return false;
    const sp_spec* p = first_match(spd->out, s);
    if (!p || p->act == action::none) return false;
    if (p->act == action::discard) {
        c.drop(m, sh.out_discard);
        return true;
    }
    const addr& a = p->m == mode::tunnel ? p->tsrc : s.src;
    const addr& b = p->m == mode::tunnel ? p->tdst : s.dst;
    const uint32_t reqid = p->lev == level::unique ? p->reqid : 0;
    sa_dp* sa = nullptr;
    if (encap_hit h = x->sel_tab.lookup(sel_key(p->m, reqid, a, b)))
        if (const uint32_t slot = x->cells[h.data].load(std::memory_order_acquire))
            sa = x->slots[slot - 1].load(std::memory_order_acquire);
    if (!sa) {
        // use (and default, as NetBSD's esp_trans_deflev): clear without an SA.
        if (p->lev == level::use || p->lev == level::default_) return false;
        c.drop(m, sh.no_sa);
        return true;
    }
    if (p->m == mode::tunnel && too_big_for_tunnel(*x, c, sh, *sa, in, m, family)) return true;
    esp_output(*x, c, sh, *sa, m, family, p->m == mode::tunnel);
    return true;
}

bool policy_in(dp_ctx& c, const ifnet*, mbuf* m, uint8_t family, void* arg) noexcept {
    auto& sh = *static_cast<esp_shared*>(arg);
    if (m->ol_flags & sh.flag_in) return false;  // came out of an SA
    esp_ctx* x = ctx_of(sh);
    const spd_dp* spd = x ? x->spd.read() : nullptr;
    if (!spd || spd->in.empty()) return false;
    sel_of s;
    if (!parse_sel(m, family, s) || nd_exempt(s)) return false;
    // ESP itself (and ESP in UDP) is what the SAs take, not what a policy refuses.
    if (s.ulp == ipproto_esp || (s.ulp == ipproto_udp && s.dport == 4500)) return false;
    const sp_spec* p = first_match(spd->in, s);
    if (!p || p->act == action::none) return false;
    if (p->act == action::ipsec && (p->lev == level::use || p->lev == level::default_)) return false;
    c.drop(m, sh.in_policy);  // discard, or ESP required and the packet came in clear
    return true;
}

// Input: packets of one burst, ESP (or ESP in UDP: `udp`) at li[i].off.
void esp_input(dp_ctx& c, ifnet& ifp, mbuf** pkts, const l4_info* li, uint16_t n, esp_shared& sh,
               bool udp) noexcept {
    esp_ctx* x = ctx_of(sh);
    if (!x || !x->dev_ready.load(std::memory_order_acquire)) {
        for (uint16_t i = 0; i < n; ++i) c.drop(pkts[i], sh.no_sa_in);
        return;
    }
    encap_key keys[pkt_batch::capacity];
    encap_hit hit[pkt_batch::capacity];
    uint16_t at[pkt_batch::capacity];
    for (uint16_t base = 0; base < n; base = static_cast<uint16_t>(base + pkt_batch::capacity)) {
        const uint16_t end = static_cast<uint16_t>(std::min<uint32_t>(n, base + pkt_batch::capacity));
        uint16_t k = 0;
        for (uint16_t i = base; i < end; ++i) {
            mbuf* m = pkts[i];
            if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
                c.drop(m, sh.chained);
                continue;
            }
            const uint32_t off = li[i].off + (udp ? 8 : 0);
            if (off + 8 > pkt_head_len(m)) {
                c.drop(m, udp ? sh.natt_not_esp : sh.bad_length);
                continue;
            }
            const uint8_t* e = pkt_data(m) + off;
            const uint32_t spi = uint32_t(e[0]) << 24 | uint32_t(e[1]) << 16 | uint32_t(e[2]) << 8 | e[3];
            if (udp && spi == 0) {  // a non-ESP marker: IKE, which has no daemon here
                c.drop(m, sh.natt_not_esp);
                continue;
            }
            addr d;
            d.family = li[i].family;
            if (d.family == 4)
                d.v4 = ip4_addr(pkt_header<ip4_hdr>(m)->dst.get());
            else
                d.v6 = pkt_header<ip6_hdr>(m)->dst;
            keys[k] = in_key(d, spi);
            at[k++] = i;
        }
        x->in_tab.lookup_bulk(keys, k, hit);
        for (uint16_t j = 0; j < k; ++j) {
            mbuf* m = pkts[at[j]];
            const l4_info& l = li[at[j]];
            sa_dp* sa = sa_for(*x, hit[j]);
            if (!sa || sa->spec.udp != udp) {
                c.drop(m, sh.no_sa_in);
                continue;
            }
            const uint32_t esp_off = l.off + (udp ? 8 : 0);
            const uint32_t total = pkt_len(m);
            const uint32_t data_off = esp_off + 8 + sa->iv_len;
            if (total < data_off + sa->icv_len + 4) {
                c.drop(m, sh.bad_length);
                continue;
            }
            const uint32_t enc_len = total - data_off - sa->icv_len;
            if (enc_len % sa->block != 0) {
                c.drop(m, sh.bad_length);
                continue;
            }
            const uint8_t* e = pkt_data(m) + esp_off;
            const uint32_t lo = uint32_t(e[4]) << 24 | uint32_t(e[5]) << 16 | uint32_t(e[6]) << 8 | e[7];
            const uint64_t seq = sa->spec.esn ? sa->rw.infer(lo) : lo;
            if (!sa->rw.check(seq)) {
                c.drop(m, sh.replay);
                continue;
            }
            rte_crypto_op* op = rte_crypto_op_alloc(x->dev->ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
            if (!op) {
                c.drop(m, drop_reason::nobufs);
                continue;
            }
            if (sa->spec.esn && !sa->aead && !esn_open(m, *sa, data_off + enc_len, seq)) {
                rte_crypto_op_free(op);
                c.drop(m, sh.no_room);
                continue;
            }
            set_crypto(op, *sa, sa->dec, m, esp_off, enc_len, seq);
            op_ctx& kx = ctx_of(op);
            kx.sa = sa;
            kx.seq = seq;
            kx.ifindex = ifp.index();
            kx.esp_off = static_cast<uint16_t>(esp_off);
            kx.nh_field = 0;
            if (l.family == 6) {
                uint8_t proto = 0;
                uint32_t uo = 0, field = 0;
                bool frag = false;
                if (ip6_upper(m, &proto, &uo, &frag, &field)) kx.nh_field = static_cast<uint16_t>(field);
            }
            kx.dir = op_in;
            kx.family = l.family;
            kx.udp = udp;
            queue_op(*x, c, sh, op);
        }
    }
}

void esp4_input(dp_ctx& c, ifnet& ifp, mbuf** pkts, const l4_info* li, uint16_t n, void* arg) noexcept {
    esp_input(c, ifp, pkts, li, n, *static_cast<esp_shared*>(arg), false);
}
void natt_input(dp_ctx& c, ifnet& ifp, mbuf** pkts, const l4_info* li, uint16_t n, void* arg) noexcept {
    auto& sh = *static_cast<esp_shared*>(arg);
    // NAT keepalives (one byte 0xff, RFC 3948 2.3) are no ESP.
    uint16_t k = 0;
    mbuf* keep[pkt_batch::capacity * 2];
    l4_info kl[pkt_batch::capacity * 2];
    for (uint16_t i = 0; i < n; ++i) {
        if (pkt_len(pkts[i]) <= li[i].off + 8 + 1u) {
            c.drop(pkts[i], sh.natt_not_esp);
            continue;
        }
        if (k == std::size(keep)) {
            esp_input(c, ifp, keep, kl, k, sh, true);
            k = 0;
        }
        keep[k] = pkts[i];
        kl[k++] = li[i];
    }
    if (k) esp_input(c, ifp, keep, kl, k, sh, true);
}

// A completed outbound operation: the ESP packet goes out, routed afresh.
void finish_out(dp_ctx& c, esp_shared& sh, rte_crypto_op* op) noexcept {
    mbuf* m = sym_of(op)->m_src;
    const op_ctx k = ctx_of(op);
    k.sa->per[c.lcore()].inflight.fetch_sub(1, std::memory_order_release);
    const auto status = op->status;
    rte_crypto_op_free(op);
    if (status != RTE_CRYPTO_OP_STATUS_SUCCESS) return c.drop(m, sh.crypto_error);
    if (k.sa->spec.esn && !k.sa->aead) esn_close(m, *k.sa);
    if (k.udp && k.family == 6) encap_udp_cksum(m, 6, k.esp_off - 8);
    m->ol_flags |= sh.flag_out;
    if (k.family == 4)
        c.ip4_output(m);
    else
        c.ip6_output(m);
}

// Whether the inbound SPD gives the IP packet of `len` bytes at `off`
// (protocol `nh`: 4 or 41) a tunnel-mode policy.
bool inner_wants_tunnel(esp_shared& sh, mbuf* m, uint32_t off, uint32_t len, uint8_t nh) noexcept {
    esp_ctx* x = ctx_of(sh);
    const spd_dp* spd = x ? x->spd.read() : nullptr;
    if (!spd) return false;
    const uint8_t* p = pkt_data(m) + off;
    sel_of s;
    uint32_t l4 = 0;
    if (nh == ipproto_ipip) {
        if (len < sizeof(ip4_hdr)) return false;
        const auto* h = reinterpret_cast<const ip4_hdr*>(p);
        s.src.family = s.dst.family = 4;
        s.src.v4 = ip4_addr(h->src.get());
        s.dst.v4 = ip4_addr(h->dst.get());
        s.ulp = h->proto;
        l4 = h->hlen_bytes();
    } else {
        if (len < sizeof(ip6_hdr)) return false;
        const auto* h = reinterpret_cast<const ip6_hdr*>(p);
        s.src.family = s.dst.family = 6;
        s.src.v6 = h->src;
        s.dst.v6 = h->dst;
        s.ulp = h->next;  // extension headers: matched as that protocol (an SP for any still matches)
        l4 = sizeof(ip6_hdr);
    }
    if ((s.ulp == ipproto_udp || s.ulp == ipproto_tcp) && l4 + 4 <= len) {
        s.sport = uint16_t(p[l4] << 8 | p[l4 + 1]);
        s.dport = uint16_t(p[l4 + 2] << 8 | p[l4 + 3]);
    }
    const sp_spec* sp = first_match(spd->in, s);
    return sp && sp->act == action::ipsec && sp->m == mode::tunnel;
}

// A completed inbound operation: the window, the trailer, then the inner
// packet (tunnel) or the packet without ESP (transport) to IP input.
mbuf* finish_in(dp_ctx& c, esp_shared& sh, rte_crypto_op* op, ifindex_t* ifindex) noexcept {
    mbuf* m = sym_of(op)->m_src;
    const op_ctx k = ctx_of(op);
    sa_dp& sa = *k.sa;
    sa.per[c.lcore()].inflight.fetch_sub(1, std::memory_order_release);
    const auto status = op->status;
    rte_crypto_op_free(op);
    if (status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED) return c.drop(m, sh.auth_failed), nullptr;
    if (status != RTE_CRYPTO_OP_STATUS_SUCCESS) return c.drop(m, sh.crypto_error), nullptr;
    if (!sa.rw.accept(k.seq)) return c.drop(m, sh.replay), nullptr;
    if (sa.spec.esn && !sa.aead) esn_close(m, sa);
    const uint32_t total = pkt_len(m);
    const uint32_t data_off = k.esp_off + 8 + sa.iv_len;
    const uint8_t* t = pkt_data(m) + total - sa.icv_len - 2;
    const uint8_t padlen = t[0], nh = t[1];
    const uint32_t enc_len = total - data_off - sa.icv_len;
    if (uint32_t(padlen) + 2 > enc_len) return c.drop(m, sh.bad_trailer), nullptr;
    for (uint32_t i = 0; i < padlen; ++i)
        if (t[-int(padlen) + int(i)] != uint8_t(i + 1)) return c.drop(m, sh.bad_trailer), nullptr;
    const uint32_t inner_len = enc_len - padlen - 2;
    const sa_spec& s = sa.spec;
    const bool tunnel_nh = nh == ipproto_ipip || nh == ipproto_ipv6;
    // An SA of mode any carrying IP in IP: tunnel mode when an inbound
    // policy asks tunnel mode for the inner packet; otherwise the outer
    // header stays and IP input dispatches protocol 4 or 41 (a gif
    // protected by transport mode, as NetBSD's t_ipsec_gif).
    const bool tunnel = s.m == mode::tunnel ||
                        (s.m == mode::any && tunnel_nh && inner_wants_tunnel(sh, m, data_off, inner_len, nh));
    if (tunnel && !tunnel_nh) return c.drop(m, sh.bad_next_header), nullptr;
    if (!pkt_trim_to(m, data_off + inner_len)) return c.drop(m, sh.bad_trailer), nullptr;
    sa_lcore& st = sa.per[c.lcore()];
    st.packets.store(st.packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    st.bytes.store(st.bytes.load(std::memory_order_relaxed) + inner_len, std::memory_order_relaxed);
    if (tunnel) {
        rte_pktmbuf_adj(m, static_cast<uint16_t>(data_off));
    } else {
        // Transport: the IP header (and UDP's 8 bytes, for ESP in UDP) closes
        // over what ESP took.
        const uint32_t ip_len = k.esp_off - (k.udp ? 8 : 0);
        const uint32_t gone = data_off - ip_len;
        uint8_t* p = pkt_data(m);
        std::memmove(p + gone, p, ip_len);
        rte_pktmbuf_adj(m, static_cast<uint16_t>(gone));
        p = pkt_data(m);
        if (k.family == 4) {
            auto* h = reinterpret_cast<ip4_hdr*>(p);
            h->total_len.set(static_cast<uint16_t>(pkt_len(m)));
            h->proto = nh;
            h->cksum = 0;
            h->cksum = in_cksum(h, h->hlen_bytes());
        } else {
            auto* h = reinterpret_cast<ip6_hdr*>(p);
            h->payload_len.set(static_cast<uint16_t>(pkt_len(m) - sizeof(ip6_hdr)));
            if (k.nh_field < ip_len) p[k.nh_field] = nh;
        }
        // IP in IP between an ipsec(4) interface's endpoints: received on it.
        if (tunnel_nh && sh.ipsecif && sh.ipsecif->size())
            if (const encap_hit e = sh.ipsecif->lookup(encap_key::received(p, k.family, 0))) {
                ifnet* ifp = c.if_lookup(e.ifindex);
                if (!ifp || !ifp->is_up()) return c.drop(m, drop_reason::if_down), nullptr;
                const unsigned want = nh == ipproto_ipip ? 4 : 6;
                if (!pkt_adj(m, static_cast<uint16_t>(ip_len)) || pkt_head_len(m) < 1 || (pkt_data(m)[0] >> 4) != want)
                    return c.drop(m, sh.if_bad_inner), nullptr;
                ifp->count(c.lcore(), if_counter::ipackets);
                ifp->count(c.lcore(), if_counter::ibytes, pkt_len(m));
                m->ol_flags = (m->ol_flags & ~sh.flag_out) | sh.flag_in;
                *ifindex = e.ifindex;
                return m;
            }
    }
    m->ol_flags = (m->ol_flags & ~sh.flag_out) | sh.flag_in;
    *ifindex = k.ifindex;
    return m;
}

uint32_t esp_poll(dp_ctx& c, void* arg) noexcept {
    auto& sh = *static_cast<esp_shared*>(arg);
    esp_ctx* x = ctx_of(sh);
    if (!x || !x->dev_ready.load(std::memory_order_acquire)) return 0;
    lcore_q& q = q_of(*x, c);
    flush(*x, c, q, sh);
    const uint16_t qp = static_cast<uint16_t>(c.lcore());
    uint32_t work = 0;
    rte_crypto_op* ops[pkt_batch::capacity];
    for (int round = 0; round < 8; ++round) {
        const uint16_t n = rte_cryptodev_dequeue_burst(x->dev->id, qp, ops, pkt_batch::capacity);
        if (n == 0) break;
        work += n;
        // Decrypted packets go to IP input a run per interface.
        mbuf* in[pkt_batch::capacity];
        uint16_t nin = 0;
        ifindex_t in_if = 0;
        auto deliver = [&] {
            if (nin == 0) return;
            if (ifnet* ifp = c.if_lookup(in_if)) {
                c.ip_input(*ifp, in, nin);
            } else {
                for (uint16_t i = 0; i < nin; ++i) c.drop(in[i], drop_reason::if_gone);
            }
            nin = 0;
        };
        for (uint16_t i = 0; i < n; ++i) {
            if (ctx_of(ops[i]).dir == op_out) {
                finish_out(c, sh, ops[i]);
                continue;
            }
            ifindex_t ix = 0;
            mbuf* m = finish_in(c, sh, ops[i], &ix);
            if (!m) continue;
            if (nin && ix != in_if) deliver();
            in_if = ix;
            in[nin++] = m;
        }
        deliver();
        if (n < pkt_batch::capacity) break;
    }
    return work;
}

}  // namespace

esp_ctx::~esp_ctx() {
    // Workers are gone: what is still pending or queued goes back.
    if (dev) {
        for (unsigned l = 0; l < nlcores; ++l) {
            for (uint16_t i = 0; i < q[l].n; ++i) {
                ctx_of(q[l].pending[i]).sa->per[l].inflight.fetch_sub(1, std::memory_order_release);
                rte_pktmbuf_free(sym_of(q[l].pending[i])->m_src);
                rte_crypto_op_free(q[l].pending[i]);
            }
            rte_crypto_op* ops[64];
            for (int round = 0; round < 1000; ++round) {
                const uint16_t n = rte_cryptodev_dequeue_burst(dev->id, static_cast<uint16_t>(l), ops, 64);
                for (uint16_t i = 0; i < n; ++i) {
                    ctx_of(ops[i]).sa->per[l].inflight.fetch_sub(1, std::memory_order_release);
                    rte_pktmbuf_free(sym_of(ops[i])->m_src);
                    rte_crypto_op_free(ops[i]);
                }
                if (n == 0) break;
            }
        }
    }
    rcu_barrier();  // retired SAs hold sessions of this device
    for (size_t i = 0; i < slots.size(); ++i) delete slots[i].load(std::memory_order_relaxed);
    delete spd.publish(nullptr);
    rcu_barrier();
}

esp_ctx& esp_get(module_ctl& ctl, esp_shared& sh) {
    if (esp_ctx* x = sh.ctx.load(std::memory_order_acquire)) return *x;
    auto x = std::make_unique<esp_ctx>(ctl.lcore_count());
    x->spd.replace(new spd_dp);
    sh.owned = std::move(x);
    sh.ctx.store(sh.owned.get(), std::memory_order_release);
    return *sh.owned;
}

status esp_open_device(esp_ctx& x, esp_shared& sh) {
    if (x.dev_ready.load(std::memory_order_relaxed)) return {};
    std::string err;
    x.dev = crypto_dev::open(x.nlcores, err);
    if (!x.dev) {
        sh.crypto_error_text = err;
        return errc::io;
    }
    x.dev_ready.store(true, std::memory_order_release);
    return {};
}

void esp_attach(module_registrar& r, esp_shared& sh) {
    static const rte_mbuf_dynflag fin{"mpnet_ipsec_in", 0};
    static const rte_mbuf_dynflag fout{"mpnet_ipsec_out", 0};
    const int bi = rte_mbuf_dynflag_register(&fin);
    const int bo = rte_mbuf_dynflag_register(&fout);
    if (bi < 0 || bo < 0) throw std::runtime_error("ipsec: no mbuf flag left for IPsec's marks");
    sh.flag_in = uint64_t{1} << bi;
    sh.flag_out = uint64_t{1} << bo;
    sh.out_discard = r.drop("ipsec_out_discard");
    sh.in_policy = r.drop("ipsec_in_policy");
    sh.no_sa = r.drop("ipsec_no_sa");
    sh.no_sa_in = r.drop("ipsec_in_no_sa");
    sh.bad_length = r.drop("ipsec_bad_length");
    sh.replay = r.drop("ipsec_replay");
    sh.auth_failed = r.drop("ipsec_auth_failed");
    sh.crypto_error = r.drop("ipsec_crypto_error");
    sh.crypto_full = r.drop("ipsec_crypto_queue_full");
    sh.bad_trailer = r.drop("ipsec_bad_trailer");
    sh.bad_next_header = r.drop("ipsec_bad_next_header");
    sh.no_room = r.drop("ipsec_no_room");
    sh.seq_overflow = r.drop("ipsec_seq_overflow");
    sh.chained = r.drop("ipsec_chained");
    sh.natt_not_esp = r.drop("ipsec_natt_not_esp");
    sh.too_big = r.drop("ipsec_too_big");
    r.ip_proto_burst(4, ipproto_esp, esp4_input, &sh);
    r.ip_proto_burst(6, ipproto_esp, esp4_input, &sh);
    r.udp_port_burst(4, 4500, natt_input, &sh);
    r.udp_port_burst(6, 4500, natt_input, &sh);
    r.ip_policy(policy_out, policy_in, &sh);
    r.poll_source(esp_poll, &sh, true);
}

}  // namespace mpnet::ipsec::detail
