// SPDX-License-Identifier: BSD-2-Clause
// mpgen's shared front-end state; see app.hpp.
#include "app.hpp"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

namespace mpgen {

using namespace mpnet::gen;

namespace {
json lat_json(const latency_summary& l) {
    return {{"count", l.count},         {"min_us", l.min_ns / 1e3}, {"avg_us", l.avg_ns / 1e3},
            {"max_us", l.max_ns / 1e3}, {"p50_us", l.p50_ns / 1e3}, {"p99_us", l.p99_ns / 1e3},
            {"p999_us", l.p999_ns / 1e3}};
}
}  // namespace

json stats_json(const snapshot& now, const snapshot& prev) {
    const double dt = std::max(1e-6, now.time_s - prev.time_s);
    json ports = json::array();
    for (size_t i = 0; i < now.ports.size(); ++i) {
        const auto& p = now.ports[i];
        const port_snapshot* q = i < prev.ports.size() ? &prev.ports[i] : nullptr;
        auto rate = [&](uint64_t a, uint64_t b) { return a >= b ? double(a - b) / dt : 0.0; };
        const double txpps = q ? rate(p.tx, q->tx) : 0, rxpps = q ? rate(p.seq.received, q->seq.received) : 0;
        const double txbps = q ? rate(p.tx_bytes, q->tx_bytes) * 8 : 0, rxbps = q ? rate(p.rx_bytes, q->rx_bytes) * 8 : 0;
        const double droppps = q ? rate(p.seq.lost_aged, q->seq.lost_aged) : 0;
        ports.push_back({{"port", i},
                         {"name", p.name},
                         {"mac", fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", p.mac.b[0], p.mac.b[1],
                                             p.mac.b[2], p.mac.b[3], p.mac.b[4], p.mac.b[5])},
                         {"transmits", p.transmits},
                         {"running", p.running},
                         {"resolved", p.resolved},
                         {"size", p.sizes},
                         {"rate", p.rate},
                         {"tx_pps_config", p.tx_pps_cfg},
                         {"line_pps", p.line_pps},
                         {"link_bps", p.link_bps},
                         {"tx", p.tx},
                         {"tx_bytes", p.tx_bytes},
                         {"tx_underrun", p.tx_underrun},
                         {"tx_full", p.tx_full},
                         {"tx_arp", p.tx_arp},
                         {"rx", p.seq.received},
                         {"rx_frames", p.rx},
                         {"rx_bytes", p.rx_bytes},
                         {"rx_other", p.rx_other},
                         {"rx_arp", p.rx_arp},
                         {"rx_nd", p.rx_nd},
                         {"rx_drop", p.drop},
                         {"rx_drop_aged", p.seq.lost_aged},
                         {"rx_dup", p.seq.duplicate},
                         {"rx_reorder", p.seq.reorder},
                         {"rx_reorder_flow", p.flow_reorder},
                         {"rx_dup_flow", p.flow_duplicate},
                         {"rx_outofrange", p.seq.out_of_range},
                         {"rx_gaps", p.seq.gaps},
                         {"rx_stale", p.seq.stale},
                         {"tx_pps", txpps},
                         {"rx_pps", rxpps},
                         {"tx_mbps", txbps / 1e6},
                         {"rx_mbps", rxbps / 1e6},
                         {"rx_drop_pps", droppps},
                         {"latency", lat_json(p.lat)}});
        if (!p.flows.empty()) {
            json fl = json::array();
            for (auto& f : p.flows)
                fl.push_back({{"tx", f.tx},
                              {"rx", f.rx},
                              {"drop", f.drop},
                              {"dup", f.duplicate},
                              {"reorder", f.reorder},
                              {"latency", lat_json(f.lat)}});
            ports.back()["flows"] = fl;
        }
    }
    return {{"apiversion", "mpgen-1"}, {"time", now.time_s}, {"ports", ports}};
}

void app::start_sampler(unsigned period_ms, FILE* log) {
    period_ms_ = std::max(50u, period_ms);
    log_ = log;
    stop_ = false;
    sample();
    thr_ = std::thread([this] {
        unsigned n = 0;
        const unsigned per_second = std::max(1u, 1000 / period_ms_);
        while (!stop_.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(period_ms_));
            sample();
            if (log_ && ++n % per_second == 0) {
                const std::string line = latest().dump() + "\n";
                std::fwrite(line.data(), 1, line.size(), log_);
                std::fflush(log_);
            }
        }
    });
}

void app::stop_sampler() {
    stop_ = true;
    if (thr_.joinable()) thr_.join();
}

void app::sample() {
    snapshot s = eng.snap();
    std::lock_guard g(mu_);
    hist_.push_back(std::move(s));
    const size_t keep = std::max<size_t>(2, 1000 / period_ms_ + 1);
    while (hist_.size() > keep) hist_.pop_front();
    latest_ = stats_json(hist_.back(), hist_.front());
    latest_["message"] = message_;
}

json app::latest() const {
    std::lock_guard g(mu_);
    return latest_;
}
std::string app::message() const {
    std::lock_guard g(mu_);
    return message_;
}
void app::set_message(std::string m) {
    std::lock_guard g(mu_);
    message_ = std::move(m);
    if (latest_.is_object()) latest_["message"] = message_;
}

namespace {
std::string check_port(const engine& e, int port) {
    if (port < -1 || port >= int(e.ports())) return fmt::format("no port {} (ports: 0..{})", port, e.ports() - 1);
    return {};
}
}  // namespace

std::string app::start(int port) {
    if (auto e = check_port(eng, port); !e.empty()) return e;
    eng.start(port);
    set_message(port < 0 ? "started" : fmt::format("port {} started", port));
    return {};
}
std::string app::stop(int port) {
    if (auto e = check_port(eng, port); !e.empty()) return e;
    eng.stop(port);
    set_message(port < 0 ? "stopped" : fmt::format("port {} stopped", port));
    return {};
}
std::string app::clear() {
    if (!eng.clear()) return "the datapath did not answer within 1 s";
    set_message("counters cleared");
    return {};
}
std::string app::set_size(int port, const std::string& s) {
    if (auto e = check_port(eng, port); !e.empty()) return e;
    auto m = parse_sizes(s);
    if (!m) return m.error;
    if (auto e = eng.set_sizes(port, *m); !e.empty()) return e;
    set_message(fmt::format("size {}", m->str()));
    return {};
}
std::string app::set_rate(int port, const std::string& s) {
    if (auto e = check_port(eng, port); !e.empty()) return e;
    auto r = parse_rate(s);
    if (!r) return r.error;
    if (auto e = eng.set_rate(port, *r); !e.empty()) return e;
    set_message(fmt::format("rate {}", r->str()));
    return {};
}

}  // namespace mpgen
