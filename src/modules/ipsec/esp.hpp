// SPDX-License-Identifier: BSD-2-Clause
// ESP's data path inside src/modules/ipsec: the crypto device, the SAs as
// workers see them, the lock-free anti-replay window, and the tables the
// policy points and the ESP input read.
//
// Shape (see docs/modules/ipsec.md):
// - Each SA of the SAD has a data-path twin, sa_dp: its keys as cryptodev
//   sessions (one to encrypt, one to decrypt), its algorithm's sizes, the
//   outbound sequence counter (an atomic: the one shared write of the
//   outbound path) and the replay window (lock-free: any worker checks and
//   marks a sequence number with compare-and-swap on one word). It sits in
//   a slot of `slots`; the slot is what the tables name, and an update puts
//   the new twin in the same slot in place, so that a packet never finds no
//   SA while its SA is updated.
// - Inbound: one hash (encap_table) from (destination, SPI) to the slot.
// - Outbound: the SPD's snapshot (an immutable vector, replaced whole on a
//   change: SPDs are short), first match; then the SA a request takes from
//   a second hash keyed by (mode, reqid, source, destination) whose value is
//   a selection cell: the control plane writes the cell's slot whenever the
//   SAD changes what sa_select would answer (a newer SA, one dying, one
//   gone), again in place.
// - Crypto: one cryptodev (a software PMD by default) with a queue pair per
//   lcore. A packet is prepared on the lcore that has it, its operation
//   queued on the lcore's pending list; the module's poll source enqueues
//   the list as a burst, dequeues what completed and finishes those packets
//   (out: routed and sent; in: checked and handed to IP input). No lcore
//   ever waits for crypto, and an SA is never locked.
//
// Locking notes:
// - Readers (the policy points, ESP input, the poll source) run inside the
//   lcore's read section and read `spd`, the tables, `slots` and `cells`.
// - Writers run on the control plane with the control lock held.
// - An sa_dp leaves after a grace period and after every operation that
//   names it has completed (its per-lcore in-flight counts are zero): ops
//   may stay in a hardware queue across quiescent states.
#pragma once

#include <rte_crypto.h>
#include <rte_cryptodev.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mpnet/modules/ipsec.hpp"
#include "mpnet/sync/rcu.hpp"
#include "mpnet/tunnel/encap.hpp"

namespace mpnet::ipsec::detail {

/// A software crypto device of our own (a vdev), with a queue pair per
/// lcore, the session pools and the operation pool.
class crypto_dev {
public:
    /// The PMDs tried in order when none is named: libipsec-mb's, then OpenSSL's.
    static constexpr const char* default_pmds[] = {"crypto_aesni_mb", "crypto_openssl"};
    /// Opens a device of the first PMD that starts; null with `err` set.
    static std::unique_ptr<crypto_dev> open(unsigned queue_pairs, std::string& err);
    ~crypto_dev();

    /// A session for `x` (null when the device refuses it). Control plane.
    void* session(rte_crypto_sym_xform* x);
    void session_free(void* s) noexcept;

    uint8_t id = 0;
    std::string name, driver;
    rte_mempool* ops = nullptr;
    unsigned qps = 0;
    static constexpr uint16_t qp_depth = 2048;
    static constexpr unsigned sessions_per_pool = 1024;

private:
    crypto_dev() = default;
    std::vector<rte_mempool*> sess_pools_;
    uint32_t sess_size_ = 0;
    bool started_ = false;
};

/// Offsets in a crypto operation's private area.
inline constexpr uint16_t op_iv_off = sizeof(rte_crypto_op) + sizeof(rte_crypto_sym_op);
inline constexpr uint16_t op_aad_off = op_iv_off + 16;
inline constexpr uint16_t op_ctx_off = op_aad_off + 16;

/// The symmetric part of an operation (rte_crypto_op ends in a zero-length
/// array, which GCC's bounds checks take literally).
inline rte_crypto_sym_op* sym_of(rte_crypto_op* op) noexcept {
    return reinterpret_cast<rte_crypto_sym_op*>(reinterpret_cast<uint8_t*>(op) + offsetof(rte_crypto_op, sym));
}

/// The anti-replay window (RFC 4303 3.4.3) for any number of concurrent
/// checkers, with no lock: the highest sequence number seen (an atomic
/// maximum) bounds the window's left edge, and the bits live in slots of
/// 32, each tagged with the block of 32 sequence numbers it holds, so a
/// slot is reset by a CAS that installs a newer block. A slot whose tag is
/// newer than a number's block means that number is left of the window.
class replay_window {
public:
    static constexpr unsigned slots_max = 64;  // windows of up to 2016 packets
    void init(uint32_t packets) noexcept;
    uint32_t size() const noexcept { return w_; }
    /// Before decryption: false when `seq` is a replay or left of the window.
    bool check(uint64_t seq) const noexcept;
    /// After the ICV checked out: marks `seq`; false when another packet
    /// marked it first (a replay that raced this one) or it fell left of
    /// the window meanwhile.
    bool accept(uint64_t seq) noexcept;
    uint64_t top() const noexcept { return top_.load(std::memory_order_relaxed); }
    /// Extended sequence numbers: the 64-bit number a packet whose header
    /// carries `lo` has, by the window (RFC 4303 appendix A2.1); 0 (never
    /// valid) for one from before the first.
    uint64_t infer(uint32_t lo) const noexcept;

private:
    uint32_t w_ = 0, nslots_ = 0;
    std::atomic<uint64_t> top_{0};
    std::atomic<uint64_t> slot_[slots_max]{};
};

/// What one lcore counts for an SA (only that lcore writes it).
struct alignas(64) sa_lcore {
    std::atomic<uint64_t> packets{0}, bytes{0};
    std::atomic<int64_t> inflight{0};  // operations enqueued, not yet completed
};

/// An SA as the data path sees it (immutable but for the atomics).
struct sa_dp {
    sa_spec spec;
    uint8_t iv_len = 0, icv_len = 0, block = 4;
    bool aead = false, cbc = false;
    uint8_t salt[4]{};
    void* enc = nullptr;  // cryptodev sessions
    void* dec = nullptr;
    crypto_dev* dev = nullptr;
    alignas(64) std::atomic<uint64_t> seq{0};  // the last sequence number sent
    alignas(64) replay_window rw;
    std::unique_ptr<sa_lcore[]> per;
    unsigned nlcores = 0;
    ~sa_dp();
    int64_t inflight() const noexcept;
    uint64_t packets() const noexcept;
    uint64_t bytes() const noexcept;
};

/// Slots of atomic pointers with a free list; a freed index is reused only
/// after a grace period (a reader may still hold it).
template <typename T>
class slot_array {
public:
    explicit slot_array(size_t n) : v_(new std::atomic<T>[n]), n_(n) {
        for (size_t i = 0; i < n; ++i) v_[i].store(T{}, std::memory_order_relaxed);
        free_.reserve(n);
        for (size_t i = n; i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
    }
    /// A free index, or UINT32_MAX. Control plane.
    uint32_t take() {
        std::lock_guard g(mu_);
        if (free_.empty()) return UINT32_MAX;
        const uint32_t i = free_.back();
        free_.pop_back();
        ++used_;
        return i;
    }
    /// Clears slot `i` now and frees its index after a grace period.
    void release(uint32_t i) {
        v_[i].store(T{}, std::memory_order_release);
        auto* r = new std::pair<slot_array*, uint32_t>(this, i);
        mpnet::detail::rcu_defer(
            [](void* p) {
                auto* q = static_cast<std::pair<slot_array*, uint32_t>*>(p);
                {
                    std::lock_guard g(q->first->mu_);
                    q->first->free_.push_back(q->second);
                    --q->first->used_;
                }
                delete q;
            },
            r);
    }
    std::atomic<T>& operator[](size_t i) noexcept { return v_[i]; }
    const std::atomic<T>& operator[](size_t i) const noexcept { return v_[i]; }
    size_t size() const noexcept { return n_; }
    size_t used() const {
        std::lock_guard g(mu_);
        return used_;
    }

private:
    std::unique_ptr<std::atomic<T>[]> v_;
    size_t n_;
    mutable std::mutex mu_;
    std::vector<uint32_t> free_;
    size_t used_ = 0;
};

/// The SPD as the data path sees it: in the order the SPs were added.
struct spd_dp {
    std::vector<sp_spec> out, in;
};

/// An lcore's crypto queue: operations prepared, not yet enqueued, and its
/// supply of random bytes for CBC IVs.
struct alignas(64) lcore_q {
    static constexpr uint16_t pending_max = 64;
    rte_crypto_op* pending[pending_max];
    uint16_t n = 0;
    uint16_t ip_id = 0;
    uint16_t rnd_used = 4096;
    uint8_t rnd[4096];
};

inline constexpr size_t sel_max = 2 * sad_max;  // selection cells: (mode, reqid, pair)

/// The data path's state, created with the first SA (a stack that never
/// has one never opens a crypto device).
struct esp_ctx {
    explicit esp_ctx(unsigned lcores);
    ~esp_ctx();
    std::unique_ptr<crypto_dev> dev;  // opened with the first SA
    std::atomic<bool> dev_ready{false};
    encap_table in_tab{sad_max};   // (destination, SPI) -> slot
    encap_table sel_tab{sel_max};  // (mode, reqid, source, destination) -> cell
    slot_array<sa_dp*> slots{sad_max};
    slot_array<uint32_t> cells{sel_max};  // cell -> slot + 1 (0: no SA)
    rcu_ptr<spd_dp> spd;
    std::unique_ptr<lcore_q[]> q;
    unsigned nlcores = 0;
};

/// What the module sets up at attach: drop reasons, mbuf flags, and the
/// data path once it exists.
struct esp_shared {
    std::atomic<esp_ctx*> ctx{nullptr};
    std::unique_ptr<esp_ctx> owned;
    uint64_t flag_in = 0;   // dynflag: came out of an inbound SA
    uint64_t flag_out = 0;  // dynflag: an outbound SA's ESP packet (policy done)
    drop_reason out_discard{}, in_policy{}, no_sa{}, no_sa_in{}, bad_length{}, replay{}, auth_failed{},
        crypto_error{}, crypto_full{}, bad_trailer{}, bad_next_header{}, no_room{}, seq_overflow{}, chained{},
        natt_not_esp{}, too_big{};
    std::string crypto_error_text;  // why no device opened, for the SA add that wanted one
    // ipsec(4) (ipsecif.cpp): its tunnels by (our address, the peer's), which
    // the IP in IP that an SA opens is delivered to; its drop reasons.
    encap_table* ipsecif = nullptr;
    drop_reason if_bad_inner{};
};

/// ipsec(4)'s ifconfig verbs (tunnel, deletetunnel).
extern const ifconfig_verb ipsecif_verbs[2];
/// The ipsec(4) kind (ipsecif.cpp): registered by the ipsec module's attach.
void ipsecif_attach(module_registrar& r, esp_shared& sh);
/// What ipsec.cpp does for ipsec(4): the SPs an interface's tunnel brings
/// (none for `e` null), NetBSD's: IP in IP between the endpoints, out and
/// in, ESP transport mode at level unique with the interface's reqids.
void ipsecif_policies(module_ctl& ctl, ifindex_t owner, const tunnel_endpoints* e, uint32_t reqid4, uint32_t reqid6);

/// Registers ESP's protocol handlers, NAT traversal's UDP port, the policy
/// points, the poll source and the drop reasons.
void esp_attach(module_registrar& r, esp_shared& sh);
/// The data path's tables (created on first use).
esp_ctx& esp_get(module_ctl& ctl, esp_shared& sh);
/// Opens the crypto device if it is not yet: errc::io when no PMD starts.
status esp_open_device(esp_ctx& x, esp_shared& sh);
/// Builds the twin of `s`; null with `why` when the device refuses its keys.
sa_dp* esp_sa_build(esp_ctx& x, const sa_spec& s, std::string& why);
/// Retires a twin after its grace period and its in-flight operations.
void esp_sa_retire(sa_dp* sa);
/// The key an outbound request finds its SA by.
encap_key sel_key(mode m, uint32_t reqid, const addr& src, const addr& dst) noexcept;
/// The key ESP input finds an SA by.
encap_key in_key(const addr& dst, uint32_t spi) noexcept;

}  // namespace mpnet::ipsec::detail
