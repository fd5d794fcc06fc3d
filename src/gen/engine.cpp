// SPDX-License-Identifier: BSD-2-Clause
// mpgen's engine; see engine.hpp.
#include "mpnet/gen/engine.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_eth_ring.h>
#include <rte_ring.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace mpnet::gen {

namespace {
constexpr uint16_t burst_max = 32;
constexpr uint64_t mask48 = 0xffffffffffffULL;
std::atomic<unsigned> pool_seq{0};

/// Per-packet pacing from the TSC: the next slot as an integer TSC plus a
/// 16-bit fraction, so rates are exact over any run length.
struct pacer {
    uint64_t period_fp = 0;  // TSC ticks per slot << 16
    uint64_t next = 0;       // TSC of the next slot
    uint64_t frac = 0;       // fraction of a tick, << 16

    void set(double slots_per_s, uint64_t hz) noexcept {
        period_fp = slots_per_s > 0 ? uint64_t(double(hz) * 65536.0 / slots_per_s) : 0;
        if (period_fp == 0) period_fp = 1;
    }
    void reset(uint64_t now) noexcept {
        next = now;
        frac = 0;
    }
    void advance(uint64_t n) noexcept {
        frac += n * period_fp;
        next += frac >> 16;
        frac &= 0xffff;
    }
    /// Slots due at `now`; slots later than max_lag are skipped and returned in *skipped.
    uint64_t due(uint64_t now, uint64_t max_lag, uint64_t* skipped) noexcept {
        *skipped = 0;
        if (now < next) return 0;
        const uint64_t late = now - next;
        if (late > max_lag) {
            const uint64_t k = ((late - max_lag) << 16) / period_fp + 1;
            advance(k);
            *skipped = k;
            if (now < next) return 0;
        }
        return (((now - next) << 16) / period_fp) + 1;
    }
};

struct flow_state {
    seq_window<128> w;
    flow_histogram h;
};

template <typename H>
latency_summary summarize(const H& h, uint64_t hz) {
    latency_summary s;
    s.count = h.count();
    if (!s.count) return s;
    const double k = 1e9 / double(hz);
    s.min_ns = double(h.min()) * k;
    s.max_ns = double(h.max()) * k;
    s.avg_ns = h.mean() * k;
    s.p50_ns = double(h.percentile(0.50)) * k;
    s.p99_ns = double(h.percentile(0.99)) * k;
    s.p999_ns = double(h.percentile(0.999)) * k;
    return s;
}
}  // namespace

struct engine::port_state {
    uint16_t id = 0;
    std::string name;
    ether_addr mac{};
    port_setup setup;
    std::unique_ptr<frame_factory> ff;
    uint64_t link_bps = 0;

    // control's view (under ctl_mu_), applied by the datapath
    struct ctl {
        bool running = false;
        size_mix sizes;
        rate_spec rate;
        double pps = 0;
        uint32_t burst = 1;
        uint64_t count = 0;
        uint64_t start_gen = 0;  // bumped by every start
    } want, have;

    // datapath state
    pacer pace;
    std::atomic<uint64_t> next_seq{0};  // written by the datapath, read by snapshots
    uint64_t remaining = 0;
    size_t size_pos = 0;
    std::atomic<bool> active{false};       // transmitting now
    std::atomic<bool> resolved{false};
    ether_addr gw{};
    uint64_t next_resolve = 0;
    rte_mbuf* out[burst_max];
    uint16_t nout = 0;  // answers waiting for TX

    // counters
    counter tx, tx_bytes, tx_underrun, tx_full, tx_arp;
    counter rx, rx_bytes, rx_test, rx_other, rx_arp, rx_nd;
    seq_window<4096> seq;
    port_histogram lat;
    std::vector<flow_state> flows;   // this port's receive side, per sender flow
    std::atomic<uint64_t> sender_base{0};  // sender's sequence at the last clear
    uint64_t sender_nflows = 1;
};

parsed<std::pair<std::string, std::string>> create_ring_link(const std::string& name, unsigned ring_size) {
    using R = parsed<std::pair<std::string, std::string>>;
    const std::string a = name + "a", b = name + "b";
    rte_ring* ab = rte_ring_create((name + "_ab").c_str(), ring_size, int(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    rte_ring* ba = rte_ring_create((name + "_ba").c_str(), ring_size, int(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!ab || !ba) {
        rte_ring_free(ab);
        rte_ring_free(ba);
        return R::fail(fmt::format("software link {}: cannot create rings: {}", name, rte_strerror(rte_errno)));
    }
    const int pa = rte_eth_from_rings(a.c_str(), &ba, 1, &ab, 1, int(rte_socket_id()));
    const int pb = rte_eth_from_rings(b.c_str(), &ab, 1, &ba, 1, int(rte_socket_id()));
    if (pa < 0 || pb < 0) return R::fail(fmt::format("software link {}: cannot create ports", name));
    char na[RTE_ETH_NAME_MAX_LEN], nb[RTE_ETH_NAME_MAX_LEN];
    if (rte_eth_dev_get_name_by_port(uint16_t(pa), na) != 0 || rte_eth_dev_get_name_by_port(uint16_t(pb), nb) != 0)
        return R::fail(fmt::format("software link {}: ports have no names", name));
    return std::pair{std::string(na), std::string(nb)};
}

namespace {
/// Builds a control frame (ARP, neighbour discovery) into a fresh mbuf and
/// queues it for the port's next TX turn; build writes the frame and returns
/// its length, 0 when there is nothing to send.
template <typename Build>
void queue_control(engine::port_state& p, rte_mempool* pool, Build&& build) {
    if (p.nout >= burst_max) return;
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (!m) return;
    const uint32_t len = build(rte_pktmbuf_mtod(m, uint8_t*));
    if (!len) {
        rte_pktmbuf_free(m);
        return;
    }
    m->data_len = uint16_t(len);
    m->pkt_len = len;
    p.out[p.nout++] = m;
    p.tx_arp.add(1);
}
}  // namespace

uint16_t engine::port_id(unsigned i) const noexcept { return ports_[i]->id; }

parsed<std::unique_ptr<engine>> engine::create(const engine_config& c) {
    using R = parsed<std::unique_ptr<engine>>;
    if (c.ports.empty() || c.ports.size() > 2) return R::fail("mpgen drives one or two ports");
    if (c.flows.empty()) return R::fail("no flows");
    if (c.flows.size() > max_flows) return R::fail(fmt::format("more than {} flows", max_flows));
    if (c.burst == 0 || c.burst > burst_max) return R::fail(fmt::format("burst must be 1..{}", burst_max));
    std::unique_ptr<engine> e(new engine());
    e->cfg_ = c;
    e->tsc_hz_ = rte_get_tsc_hz();
    e->t0_ = rte_rdtsc();
    const std::string pname = fmt::format("mpgen{}", pool_seq.fetch_add(1));
    e->pool_ = rte_pktmbuf_pool_create(pname.c_str(), c.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, int(rte_socket_id()));
    if (!e->pool_) return R::fail(fmt::format("cannot create a pool of {} mbufs: {}", c.mbufs, rte_strerror(rte_errno)));

    for (size_t i = 0; i < c.ports.size(); ++i) {
        auto ps = std::make_unique<port_state>();
        ps->setup = c.ports[i];
        const std::string& dev = c.ports[i].dev;
        uint16_t id = 0;
        bool numeric = !dev.empty() && dev.find_first_not_of("0123456789") == std::string::npos;
        if (numeric && dev.size() < 6) {
            const unsigned long v = std::stoul(dev);
            id = uint16_t(v);
            if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(id))
                return R::fail(fmt::format("port {}: no such DPDK port ({} available)", dev, rte_eth_dev_count_avail()));
        } else if (rte_eth_dev_get_port_by_name(dev.c_str(), &id) != 0) {
            return R::fail(fmt::format("port '{}': no such DPDK port (give an id or a --vdev name)", dev));
        }
        for (auto& other : e->ports_)
            if (other->id == id) return R::fail(fmt::format("port '{}' given twice", dev));
        ps->id = id;
        char nm[RTE_ETH_NAME_MAX_LEN];
        ps->name = rte_eth_dev_get_name_by_port(id, nm) == 0 ? nm : dev;
        rte_eth_dev_info info;
        if (rte_eth_dev_info_get(id, &info) != 0) return R::fail(fmt::format("port '{}': no device info", dev));
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(id, 1, 1, &conf) != 0)
            return R::fail(fmt::format("port '{}': cannot configure", dev));
        uint16_t nrx = c.ring, ntx = c.ring;
        rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrx, &ntx);
        if (rte_eth_rx_queue_setup(id, 0, nrx, rte_eth_dev_socket_id(id), nullptr, e->pool_) != 0 ||
            rte_eth_tx_queue_setup(id, 0, ntx, rte_eth_dev_socket_id(id), nullptr) != 0)
            return R::fail(fmt::format("port '{}': cannot set up queues", dev));
        if (rte_eth_dev_start(id) != 0) return R::fail(fmt::format("port '{}': cannot start", dev));
        rte_eth_promiscuous_enable(id);
        rte_ether_addr m;
        rte_eth_macaddr_get(id, &m);
        std::memcpy(ps->mac.b.data(), m.addr_bytes, 6);
        rte_eth_link link{};
        rte_eth_link_get_nowait(id, &link);
        ps->link_bps = c.link_bps ? c.link_bps
                       : (link.link_speed && link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
                           ? uint64_t(link.link_speed) * 1000000ULL
                           : 10000000000ULL;
        e->ports_.push_back(std::move(ps));
    }
    // Wait for every link: a memif port is up once its peer has connected,
    // and polling it while the connection is being set up races with it.
    for (auto& p : e->ports_) {
        rte_eth_link link{};
        for (uint32_t t = 0;; t += 10) {
            rte_eth_link_get_nowait(p->id, &link);
            if (link.link_status == RTE_ETH_LINK_UP) break;
            if (t >= c.link_wait_ms)
                return R::fail(fmt::format("port '{}': link still down after {} ms (is the peer there?)", p->name,
                                           c.link_wait_ms));
            // A memif client that reached its server before the server's port
            // was started is refused and never retries: restart it each second.
            if (t && t % 1000 == 0) {
                rte_eth_dev_stop(p->id);
                rte_eth_dev_start(p->id);
            }
            rte_delay_us_sleep(10000);
        }
    }
    // Destination MACs: given, or the peer port's (a direct software link),
    // or resolved from the gateway address.
    for (size_t i = 0; i < e->ports_.size(); ++i) {
        auto& p = *e->ports_[i];
        const auto& other = *e->ports_[e->peer(unsigned(i))];
        if (p.setup.gw_mac) {
            p.gw = *p.setup.gw_mac;
            p.resolved = true;
        } else if (!p.setup.gw4 && !p.setup.gw6) {
            p.gw = other.mac;
            p.resolved = true;
        }
        std::vector<flow> fl = c.flows;
        if (i == 1)
            for (auto& f : fl) f = f.reversed();
        frame_spec fs;
        fs.src_mac = p.mac;
        fs.dst_mac = p.gw;
        fs.vlan = c.vlan;
        fs.tcp = c.tcp;
        fs.magic = uint8_t(c.magic + i);
        if (i == 0 && c.encap.kind != encap_spec::kind_t::none) {
            if (c.vlan) return R::fail("--encap: frames inside a tunnel carry no VLAN tag (drop --vlan)");
            if (!p.setup.own4 || !p.setup.gw4)
                return R::fail(fmt::format("--encap {}: port '{}' needs an IPv4 gateway and an IPv4 address of its own "
                                           "(the outer packets' destination and source)",
                                           c.encap.str(), p.name));
            fs.encap = c.encap;
            fs.outer_src = *p.setup.own4;
            fs.outer_dst = *p.setup.gw4;
        }
        p.ff = std::make_unique<frame_factory>(fs, std::move(fl));
        if (c.sizes.smallest() < p.ff->min_frame())
            return R::fail(fmt::format("frame size {} is below {}, the smallest {}/{}{}{} frame with mpgen's {}-byte trailer",
                                       c.sizes.smallest(), p.ff->min_frame(), p.ff->v6() ? "IPv6" : "IPv4",
                                       c.tcp ? "TCP" : "UDP", c.vlan ? "/VLAN" : "",
                                       p.ff->spec().encap.kind != encap_spec::kind_t::none
                                           ? " in " + p.ff->spec().encap.str()
                                           : std::string(),
                                       trailer_len));
        const double line = line_rate_pps(p.link_bps, c.sizes.mean());
        const double pps = c.rate.pps(p.link_bps, c.sizes.mean(), c.l1_bps);
        if (pps > line * 1.0000001)
            return R::fail(fmt::format("rate {} is {:.0f} fps, above the line rate of {:.0f} fps for {}-byte frames at {}",
                                       c.rate.str(), pps, line, c.sizes.str(), fmt::format("{:g} Gb/s", double(p.link_bps) / 1e9)));
        if (pps < 1) return R::fail(fmt::format("rate {} is below 1 frame per second", c.rate.str()));
        p.want.sizes = c.sizes;
        p.want.rate = c.rate;
        p.want.pps = pps;
        p.want.burst = c.burst;
        p.want.count = c.count;
        p.have = p.want;
        p.have.start_gen = ~0ull;  // differs from want: the first apply takes everything
    }
    for (size_t i = 0; i < e->ports_.size(); ++i) {
        auto& p = *e->ports_[i];
        const auto& sender = *e->ports_[e->peer(unsigned(i))];
        p.sender_nflows = sender.ff->flows();
        p.flows = std::vector<flow_state>(std::min<uint64_t>(p.sender_nflows, c.flow_stats_limit));
        p.seq.reset(0);
        p.lat.reset();
        for (auto& f : p.flows) {
            f.w.reset(0);
            f.h.reset();
        }
    }
    return R(std::move(e));
}

engine::~engine() {
    shutdown();
    for (auto& p : ports_) {
        for (uint16_t k = 0; k < p->nout; ++k) rte_pktmbuf_free(p->out[k]);
        rte_eth_dev_stop(p->id);
    }
    // Ports keep RX mbufs of this pool until closed; closing is the
    // application's choice (mpgen exits right after), so the pool stays when
    // any port still holds buffers.
    if (pool_ && rte_mempool_full(pool_)) rte_mempool_free(pool_);
}

void engine::launch() {
    if (running_loop_.exchange(true)) return;
    quit_ = false;
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) {
        if (rte_eal_get_lcore_state(lc) == WAIT) {
            if (rte_eal_remote_launch(
                    [](void* arg) {
                        static_cast<engine*>(arg)->loop();
                        return 0;
                    },
                    this, lc) == 0) {
                lcore_ = lc;
                return;
            }
        }
    }
    thread_ = std::thread([this] {
        rte_thread_register();
        loop();
        rte_thread_unregister();
    });
}

void engine::shutdown() {
    if (!running_loop_.exchange(false)) return;
    quit_ = true;
    if (lcore_ != ~0u) {
        rte_eal_wait_lcore(lcore_);
        lcore_ = ~0u;
    }
    if (thread_.joinable()) thread_.join();
}

// --- control side ---

void engine::start(int port) {
    std::lock_guard g(ctl_mu_);
    for (size_t i = 0; i < ports_.size(); ++i)
        if ((port < 0 && (cfg_.tx_mask >> i & 1)) || port == int(i)) {
            ports_[i]->want.running = true;
            ++ports_[i]->want.start_gen;
        }
    ctl_gen_.fetch_add(1, std::memory_order_release);
}

void engine::stop(int port) {
    uint64_t want;
    {
        std::lock_guard g(ctl_mu_);
        for (size_t i = 0; i < ports_.size(); ++i)
            if (port < 0 || port == int(i)) ports_[i]->want.running = false;
        want = ctl_gen_.fetch_add(1, std::memory_order_release) + 1;
    }
    // Wait until the datapath has stopped sending (bounded).
    for (int i = 0; i < 1000 && ctl_done_.load(std::memory_order_acquire) < want && running_loop_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

std::string engine::set_sizes(int port, const size_mix& m) {
    std::lock_guard g(ctl_mu_);
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (port >= 0 && port != int(i)) continue;
        auto& p = *ports_[i];
        if (m.smallest() < p.ff->min_frame())
            return fmt::format("frame size {} is below {}, the smallest frame these flows fit in", m.smallest(),
                               p.ff->min_frame());
        const double pps = p.want.rate.pps(p.link_bps, m.mean(), cfg_.l1_bps);
        if (pps > line_rate_pps(p.link_bps, m.mean()) * 1.0000001)
            return fmt::format("rate {} is above the line rate for {}-byte frames ({:.0f} fps)", p.want.rate.str(),
                               m.str(), line_rate_pps(p.link_bps, m.mean()));
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (port >= 0 && port != int(i)) continue;
        auto& p = *ports_[i];
        p.want.sizes = m;
        p.want.pps = p.want.rate.pps(p.link_bps, m.mean(), cfg_.l1_bps);
    }
    ctl_gen_.fetch_add(1, std::memory_order_release);
    return {};
}

std::string engine::set_rate(int port, const rate_spec& r) {
    std::lock_guard g(ctl_mu_);
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (port >= 0 && port != int(i)) continue;
        auto& p = *ports_[i];
        const double mean = p.want.sizes.mean();
        const double pps = r.pps(p.link_bps, mean, cfg_.l1_bps), line = line_rate_pps(p.link_bps, mean);
        if (pps > line * 1.0000001)
            return fmt::format("rate {} is {:.0f} fps, above the line rate of {:.0f} fps for {}-byte frames", r.str(),
                               pps, line, p.want.sizes.str());
        if (pps < 1) return fmt::format("rate {} is below 1 frame per second", r.str());
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (port >= 0 && port != int(i)) continue;
        auto& p = *ports_[i];
        p.want.rate = r;
        p.want.pps = r.pps(p.link_bps, p.want.sizes.mean(), cfg_.l1_bps);
    }
    ctl_gen_.fetch_add(1, std::memory_order_release);
    return {};
}

void engine::set_count(int port, uint64_t n) {
    std::lock_guard g(ctl_mu_);
    for (size_t i = 0; i < ports_.size(); ++i)
        if (port < 0 || port == int(i)) ports_[i]->want.count = n;
    ctl_gen_.fetch_add(1, std::memory_order_release);
}

void engine::set_burst(int port, uint32_t b) {
    std::lock_guard g(ctl_mu_);
    b = std::clamp<uint32_t>(b, 1, burst_max);
    for (size_t i = 0; i < ports_.size(); ++i)
        if (port < 0 || port == int(i)) ports_[i]->want.burst = b;
    ctl_gen_.fetch_add(1, std::memory_order_release);
}

bool engine::clear() {
    uint64_t want;
    {
        std::lock_guard g(ctl_mu_);
        clear_req_ = true;
        want = ctl_gen_.fetch_add(1, std::memory_order_release) + 1;
    }
    if (!running_loop_) {
        std::lock_guard g(ctl_mu_);
        do_clear();
        clear_req_ = false;
        return true;
    }
    for (int i = 0; i < 1000; ++i) {
        if (ctl_done_.load(std::memory_order_acquire) >= want) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

bool engine::sending() const noexcept {
    for (auto& p : ports_)
        if (p->active.load(std::memory_order_relaxed)) return true;
    std::lock_guard g(ctl_mu_);
    for (auto& p : ports_)
        if (p->want.running && p->want.start_gen != p->have.start_gen) return true;  // not yet applied
    return false;
}

bool engine::wait_resolved(unsigned timeout_ms) const {
    for (unsigned t = 0;; ++t) {
        bool all = true;
        for (size_t i = 0; i < ports_.size(); ++i)
            if ((cfg_.tx_mask >> i & 1) && !ports_[i]->resolved) all = false;
        if (all) return true;
        if (t >= timeout_ms) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

snapshot engine::snap(bool with_flows) const {
    snapshot s;
    s.tsc_hz = tsc_hz_;
    s.time_s = double(rte_rdtsc() - t0_) / double(tsc_hz_);
    // Only the control fields need the lock; the datapath may wait on it,
    // so the counters and histograms are read after it is released.
    struct wanted {
        std::string sizes, rate;
        double pps, mean;
    };
    std::vector<wanted> want;
    {
        std::lock_guard g(ctl_mu_);
        for (auto& p : ports_)
            want.push_back({p->want.sizes.str(), p->want.rate.str(), p->want.pps, p->want.sizes.mean()});
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
        const auto& p = *ports_[i];
        const auto& sender = *ports_[peer(unsigned(i))];
        port_snapshot o;
        o.name = p.name;
        o.mac = p.mac;
        o.transmits = cfg_.tx_mask >> i & 1;
        o.running = p.active.load(std::memory_order_relaxed);
        o.resolved = p.resolved;
        o.sizes = want[i].sizes;
        o.rate = want[i].rate;
        o.tx_pps_cfg = want[i].pps;
        o.link_bps = p.link_bps;
        o.line_pps = line_rate_pps(p.link_bps, want[i].mean);
        o.tx = p.tx.get();
        o.tx_bytes = p.tx_bytes.get();
        o.tx_underrun = p.tx_underrun.get();
        o.tx_full = p.tx_full.get();
        o.tx_arp = p.tx_arp.get();
        o.rx = p.rx.get();
        o.rx_bytes = p.rx_bytes.get();
        o.rx_test = p.rx_test.get();
        o.rx_other = p.rx_other.get();
        o.rx_arp = p.rx_arp.get();
        o.rx_nd = p.rx_nd.get();
        o.seq = p.seq.counts();
        const uint64_t sent = sender.tx.get() + sender.tx_full.get();
        // Frames the sender's queue refused were never on the wire but had
        // sequence numbers: they count as sent and lost (see tx_full).
        o.drop = sent > o.seq.unique() ? sent - o.seq.unique() : 0;
        o.lat = summarize(p.lat, tsc_hz_);
        const uint64_t n = p.sender_nflows;
        const uint64_t base = p.sender_base.load(std::memory_order_relaxed);
        const uint64_t next = sender.next_seq.load(std::memory_order_relaxed);
        auto sent_of = [&](uint64_t f, uint64_t x) { return x / n + (x % n > f ? 1 : 0); };
        for (size_t f = 0; f < p.flows.size(); ++f) {
            const auto c = p.flows[f].w.counts();
            o.flow_reorder += c.reorder;
            o.flow_duplicate += c.duplicate;
            if (with_flows) {
                flow_snapshot fs;
                fs.tx = sent_of(f, next) - sent_of(f, base);
                fs.rx = c.received;
                fs.duplicate = c.duplicate;
                fs.reorder = c.reorder;
                fs.drop = fs.tx > c.unique() ? fs.tx - c.unique() : 0;
                fs.lat = summarize(p.flows[f].h, tsc_hz_);
                o.flows.push_back(fs);
            }
        }
        s.ports.push_back(std::move(o));
    }
    return s;
}

// --- datapath ---

void engine::do_clear() {
    for (size_t i = 0; i < ports_.size(); ++i) {
        auto& p = *ports_[i];
        for (counter* c : {&p.tx, &p.tx_bytes, &p.tx_underrun, &p.tx_full, &p.tx_arp, &p.rx, &p.rx_bytes,
                           &p.rx_test, &p.rx_other, &p.rx_arp, &p.rx_nd})
            c->set(0);
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
        auto& p = *ports_[i];
        const auto& sender = *ports_[peer(unsigned(i))];
        const uint64_t next = sender.next_seq.load(std::memory_order_relaxed);
        p.sender_base.store(next, std::memory_order_relaxed);
        p.seq.reset(next);
        p.lat.reset();
        const uint64_t n = p.sender_nflows;
        for (size_t f = 0; f < p.flows.size(); ++f) {
            // The flow's first sequence number at or after the sender's next.
            const uint64_t b = next;
            const uint64_t s = b + (f + n - b % n) % n;
            p.flows[f].w.reset(s / n);
            p.flows[f].h.reset();
        }
    }
}

void engine::apply_control(uint64_t now) {
    const uint64_t gen = ctl_gen_.load(std::memory_order_acquire);
    if (gen == ctl_done_.load(std::memory_order_relaxed)) return;
    std::lock_guard g(ctl_mu_);
    if (clear_req_) {
        do_clear();
        clear_req_ = false;
    }
    for (auto& pp : ports_) {
        auto& p = *pp;
        const bool restart = p.want.running && p.want.start_gen != p.have.start_gen;
        const bool rate_changed = p.want.pps != p.have.pps || p.want.burst != p.have.burst;
        p.have = p.want;
        if (rate_changed || restart) {
            p.pace.set(p.have.pps / p.have.burst, tsc_hz_);
            p.pace.reset(now);
        }
        if (restart) p.remaining = p.have.count ? p.have.count : UINT64_MAX;
        if (!p.have.running) p.active.store(false, std::memory_order_relaxed);
        else if (restart) p.active.store(true, std::memory_order_relaxed);
    }
    ctl_done_.store(gen, std::memory_order_release);
}

void engine::resolve(unsigned i, uint64_t now) {
    auto& p = *ports_[i];
    if (p.resolved || now < p.next_resolve) return;
    p.next_resolve = now + tsc_hz_ / 2;
    queue_control(p, pool_, [&](uint8_t* d) -> uint32_t {
        if (p.setup.gw4 && p.setup.own4) return arp_request(p.mac, *p.setup.own4, *p.setup.gw4, cfg_.vlan, d);
        if (p.setup.gw6 && p.setup.own6) return nd_solicit(p.mac, *p.setup.own6, *p.setup.gw6, cfg_.vlan, d);
        return 0;
    });
}

uint16_t engine::rx_port(unsigned i, uint64_t now) {
    auto& p = *ports_[i];
    auto& sender = *ports_[peer(unsigned(i))];
    rte_mbuf* pkts[burst_max];
    const uint16_t n = rte_eth_rx_burst(p.id, 0, pkts, burst_max);
    if (!n) return 0;
    const uint64_t rx48 = now & mask48;
    const uint8_t magic = sender.ff->spec().magic;
    const uint64_t nflows = p.sender_nflows;
    uint64_t bytes = 0, test = 0, other = 0;
    for (uint16_t k = 0; k < n; ++k) {
        rte_mbuf* m = pkts[k];
        const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
        const uint32_t len = rte_pktmbuf_data_len(m);
        bytes += rte_pktmbuf_pkt_len(m) + 4;
        rx_frame f = parse_frame(d, len);
        if (f.kind == rx_kind::test && f.t.magic == magic && f.t.flow < nflows && f.t.seq % nflows == f.t.flow) {
            ++test;
            const auto v = p.seq.on(f.t.seq);
            if (v == seq_window<4096>::verdict::stale) continue;
            const uint64_t lat = (rx48 - f.t.tsc48) & mask48;
            if (v != seq_window<4096>::verdict::duplicate) p.lat.record(lat);
            if (f.t.flow < p.flows.size()) {
                auto& fs = p.flows[f.t.flow];
                const auto fv = fs.w.on(f.t.seq / nflows);
                if (fv != seq_window<128>::verdict::duplicate && fv != seq_window<128>::verdict::stale)
                    fs.h.record(lat);
            }
            continue;
        }
        if (f.kind == rx_kind::arp) {
            p.rx_arp.add(1);
            if (!p.resolved && p.setup.gw4 && arp_reply_from(d, len, f, *p.setup.gw4, &p.gw)) {
                p.ff->set_dst_mac(p.gw);
                p.resolved = true;
            }
            if (p.setup.own4)
                queue_control(p, pool_, [&](uint8_t* o) { return arp_answer(d, len, f, p.mac, *p.setup.own4, o); });
            continue;
        }
        if (f.kind == rx_kind::nd_solicit || f.kind == rx_kind::nd_advert) {
            p.rx_nd.add(1);
            if (!p.resolved && p.setup.gw6 && nd_advert_from(d, len, f, *p.setup.gw6, &p.gw)) {
                p.ff->set_dst_mac(p.gw);
                p.resolved = true;
            }
            if (f.kind == rx_kind::nd_solicit && p.setup.own6)
                queue_control(p, pool_, [&](uint8_t* o) { return nd_answer(d, len, f, p.mac, *p.setup.own6, o); });
            continue;
        }
        ++other;
    }
    rte_pktmbuf_free_bulk(pkts, n);
    p.rx.add(n);
    p.rx_bytes.add(bytes);
    p.rx_test.add(test);
    p.rx_other.add(other);
    return n;
}

void engine::tx_port(unsigned i, uint64_t now) {
    auto& p = *ports_[i];
    if (p.nout) {  // answers and solicitations first
        const uint16_t sent = rte_eth_tx_burst(p.id, 0, p.out, p.nout);
        for (uint16_t k = sent; k < p.nout; ++k) rte_pktmbuf_free(p.out[k]);
        p.nout = 0;
    }
    if (!p.active.load(std::memory_order_relaxed)) return;
    if (!p.resolved) {  // nothing is sent, nothing is late, until the gateway answers
        p.pace.reset(now);
        return;
    }
    uint64_t skipped;
    uint64_t slots = p.pace.due(now, uint64_t(cfg_.max_lag_us) * tsc_hz_ / 1000000, &skipped);
    if (skipped) p.tx_underrun.add(skipped * p.have.burst);
    if (!slots) return;
    uint64_t n = std::min<uint64_t>(slots * p.have.burst, burst_max / p.have.burst * p.have.burst);
    n = std::min(n, p.remaining);
    rte_mbuf* pkts[burst_max];
    if (rte_pktmbuf_alloc_bulk(pool_, pkts, unsigned(n)) != 0) return;  // pool empty: retry next turn
    const auto& pattern = p.have.sizes.pattern;
    uint64_t bytes = 0;
    uint64_t seq = p.next_seq.load(std::memory_order_relaxed);
    for (uint64_t k = 0; k < n; ++k) {
        const uint32_t frame = pattern[p.size_pos];
        if (++p.size_pos == pattern.size()) p.size_pos = 0;
        const uint32_t len = p.ff->build(rte_pktmbuf_mtod(pkts[k], uint8_t*), frame, seq++, now);
        pkts[k]->data_len = uint16_t(len);
        pkts[k]->pkt_len = len;
        bytes += frame;
    }
    p.next_seq.store(seq, std::memory_order_relaxed);
    const uint16_t sent = rte_eth_tx_burst(p.id, 0, pkts, uint16_t(n));
    if (sent < n) {
        // The queue is full: the frames are dropped here and counted, as
        // testpmd's txonly does; their sequence numbers count as lost.
        for (uint16_t k = sent; k < n; ++k) bytes -= rte_pktmbuf_pkt_len(pkts[k]) + 4;
        rte_pktmbuf_free_bulk(pkts + sent, unsigned(n - sent));
        p.tx_full.add(n - sent);
    }
    p.pace.advance((n + p.have.burst - 1) / p.have.burst);
    p.tx.add(sent);
    p.tx_bytes.add(bytes);
    p.remaining -= n;
    if (p.remaining == 0) p.active.store(false, std::memory_order_relaxed);
}

void engine::loop() {
    uint64_t idle = 0;
    while (!quit_.load(std::memory_order_relaxed)) {
        const uint64_t now = rte_rdtsc();
        apply_control(now);
        bool busy = false;
        for (unsigned i = 0; i < ports_.size(); ++i) busy |= rx_port(i, now) != 0;
        for (unsigned i = 0; i < ports_.size(); ++i) {
            resolve(i, now);
            tx_port(i, rte_rdtsc());
            busy |= ports_[i]->active.load(std::memory_order_relaxed);
        }
        if (busy) {
            idle = 0;
        } else if (cfg_.idle_sleep_us && ++idle > 1000) {
            rte_delay_us_sleep(cfg_.idle_sleep_us);
        }
    }
    for (auto& p : ports_) p->active.store(false);
}

}  // namespace mpnet::gen
