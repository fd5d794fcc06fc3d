// SPDX-License-Identifier: BSD-2-Clause
// RFC 2544 §26 on mpgen's engine: throughput (binary search with a loss
// tolerance and a resolution), latency at the throughput rate, the frame
// loss rate curve, and back-to-back bursts; their report tables, JSON, CSV
// and an SVG plot of frame size against frame rate with the theoretical line.
//
// The searches are pure state machines (throughput_search, burst_search) so
// tests drive them with simulated devices; rfc2544_run() drives them with
// real trials on an engine.
//
// Locking notes: rfc2544_run() runs on one control thread; it uses only the
// engine's control API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mpnet/gen/engine.hpp"

namespace mpnet::gen {

/// The RFC's binary search over (0, max], used by throughput (§26.1, rates
/// in frames/s) and back-to-back (§26.4, burst lengths in frames). The first
/// trial is at the maximum: a pass ends the search there. Then the interval
/// (lo, hi) halves until hi - lo <= resolution (at least 1); the result is the
/// highest value that passed (0 when none did).
template <typename T>
class halving_search {
public:
    halving_search(T max, T resolution) : hi_(max), res_(std::max<T>(resolution, T(1))), cur_(max) {
        if (max <= T(0)) done_ = true;
    }
    bool done() const noexcept { return done_; }
    T next() const noexcept { return cur_; }
    void report(bool pass) noexcept {
        if (done_) return;
        ++trials_;
        if (pass) {
            lo_ = cur_;
            if (cur_ >= hi_) {  // passed at the maximum
                done_ = true;
                return;
            }
        } else {
            hi_ = cur_;
        }
        if (hi_ - lo_ <= res_) {
            done_ = true;
            return;
        }
        cur_ = lo_ + (hi_ - lo_) / 2;
    }
    T result() const noexcept { return lo_; }
    unsigned trials() const noexcept { return trials_; }

private:
    T lo_ = 0, hi_, res_, cur_;
    bool done_ = false;
    unsigned trials_ = 0;
};
using throughput_search = halving_search<double>;
using burst_search = halving_search<uint64_t>;

struct rfc2544_options {
    std::vector<uint32_t> sizes{64, 128, 256, 512, 1024, 1280, 1518};
    bool throughput = true, latency = true, loss = true, back_to_back = true;
    double trial_s = 60;           // §24: 60 s; searches may use shorter trials
    double warmup_s = 0;           // traffic before each trial (stats then cleared)
    double drain_s = 2;            // §23(d): wait for stragglers
    double tolerance_pct = 0;      // loss tolerated (0: RFC 1242 throughput)
    double resolution_pct = 0.1;   // search stops when the step is below this % of line rate
    bool early_finish = true;      // a search trial over tolerance stops at once
    double max_underrun_pct = 1;   // a trial whose generator missed more slots is the generator's failure
    unsigned latency_trials = 20;  // §26.2: at least 20
    double loss_step_pct = 10;     // §26.3: at most 10 %
    unsigned b2b_trials = 50;      // §26.4: at least 50
    double b2b_max_s = 2;          // §26.4: bursts up to 2 s at line rate
    std::function<void(const std::string&)> progress;  // one line per trial
};

struct trial {
    std::string test;  // throughput, latency, loss, back-to-back
    uint32_t frame = 0;
    double rate_pps = 0;  // offered
    uint64_t burst = 0;   // back-to-back: frames in the burst
    uint64_t tx = 0, lost = 0, underrun = 0, tx_full = 0;
    double loss_pct = 0;
    bool pass = false;
    std::string why;  // "loss", "generator underrun", "nothing received"
    latency_summary lat;
    double seconds = 0;
};

struct size_result {
    uint32_t frame = 0;
    double line_pps = 0;
    double throughput_pps = 0;
    bool generator_limited = false;  // a failed search trial was the generator's
    latency_summary lat;             // averaged over the latency trials
    std::vector<std::pair<double, double>> loss_curve;  // (% of line rate, % loss)
    double b2b_avg = 0, b2b_stddev = 0;
    std::vector<uint64_t> b2b;
};

struct rfc2544_result {
    rfc2544_options opts;
    uint64_t link_bps = 0;
    std::string device, ports, flows;
    std::vector<size_result> sizes;
    std::vector<trial> trials;
};

/// Runs the tests in opts on the engine's transmitting ports. The engine
/// must be launched; its rate, size and count are changed as the tests go.
rfc2544_result rfc2544_run(engine& e, const rfc2544_options& opts);

/// One trial: `frames` (0: rate x seconds) at `pps`; returns its counts.
trial run_trial(engine& e, const std::string& test, uint32_t frame, double pps, double seconds, uint64_t frames,
                const rfc2544_options& o, bool early_finish);

/// The RFC's report tables as text.
std::string report_text(const rfc2544_result& r);
std::string report_json(const rfc2544_result& r);
std::string report_csv(const rfc2544_result& r);

/// Frame size against frames per second: the theoretical line for the link
/// and one line per series (name, points), as an SVG document.
struct plot_series {
    std::string name;
    std::vector<std::pair<uint32_t, double>> points;
};
std::string plot_svg(const std::string& title, uint64_t link_bps, const std::vector<plot_series>& series);

}  // namespace mpnet::gen
