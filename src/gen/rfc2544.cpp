// SPDX-License-Identifier: BSD-2-Clause
// RFC 2544 on mpgen's engine; see rfc2544.hpp.
#include "mpnet/gen/rfc2544.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mpnet::gen {

namespace {

void sleep_s(double s) {
    if (s > 0) std::this_thread::sleep_for(std::chrono::microseconds(int64_t(s * 1e6)));
}

struct totals {
    uint64_t tx = 0, tx_full = 0, underrun = 0, unique = 0, lost = 0, received = 0;
};
totals sum(const engine& e, const snapshot& s) {
    totals t;
    const unsigned n = e.ports();
    for (unsigned i = 0; i < n; ++i) {
        const unsigned sender = e.peer(i);
        if (!(e.config().tx_mask >> sender & 1)) continue;
        const auto& snd = s.ports[sender];
        t.tx += snd.tx;
        t.tx_full += snd.tx_full;
        t.underrun += snd.tx_underrun;
        t.unique += s.ports[i].seq.unique();
        t.received += s.ports[i].seq.received;
        t.lost += s.ports[i].drop;
    }
    return t;
}

}  // namespace

trial run_trial(engine& e, const std::string& test, uint32_t frame, double pps, double seconds, uint64_t frames,
                const rfc2544_options& o, bool early_finish) {
    trial t;
    t.test = test;
    t.frame = frame;
    t.rate_pps = pps;
    t.burst = frames;
    e.stop();
    e.set_sizes(-1, single_size(frame));
    rate_spec r;
    r.u = rate_spec::unit::pps;
    r.value = pps;
    if (auto err = e.set_rate(-1, r); !err.empty()) {  // above line rate: use line rate
        r.u = rate_spec::unit::percent;
        r.value = 100;
        e.set_rate(-1, r);
    }
    if (o.warmup_s > 0) {
        e.set_count(-1, 0);
        e.start();
        sleep_s(o.warmup_s);
        e.stop();
        sleep_s(o.drain_s);
    }
    e.set_count(-1, frames);
    e.clear();
    const auto t0 = std::chrono::steady_clock::now();
    e.start();
    const double limit = frames ? std::max(seconds, 1.0) + double(frames) / pps * 2 + 5 : seconds;
    for (;;) {
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (el >= limit) break;
        if (frames && !e.sending()) break;
        if (early_finish && el > 0.1) {
            const snapshot s = e.snap();
            const totals c = sum(e, s);
            const uint64_t sent = c.tx + c.tx_full;
            // Live loss: holes that aged out of the window, and refused frames.
            uint64_t aged = 0;
            for (auto& p : s.ports) aged += p.seq.lost_aged;
            if (sent > 10000 && double(aged + c.tx_full) * 100.0 / double(sent) > o.tolerance_pct) break;
        }
        sleep_s(std::min(0.05, limit - el));
    }
    e.stop();
    t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sleep_s(o.drain_s);
    snapshot s = e.snap();
    totals c = sum(e, s);
    t.tx = c.tx;
    t.tx_full = c.tx_full;
    t.underrun = c.underrun;
    const uint64_t offered = c.tx + c.tx_full;
    t.lost = offered > c.unique ? offered - c.unique : 0;
    t.loss_pct = offered ? double(t.lost) * 100.0 / double(offered) : 0;
    for (unsigned i = 0; i < s.ports.size(); ++i)
        if (s.ports[i].lat.count) t.lat = s.ports[i].lat;  // the receiving port's (one direction)
    if (offered == 0 || c.received == 0) {
        t.why = "nothing received";
    } else if (t.loss_pct > o.tolerance_pct) {
        t.why = "loss";
    } else if (double(c.underrun) * 100.0 / double(offered + c.underrun) > o.max_underrun_pct) {
        t.why = "generator underrun";
    } else {
        t.pass = true;
    }
    if (o.progress)
        o.progress(fmt::format("{:>12} {:>5}B {:>12.0f} fps {:>8} {:>12} tx {:>10} lost {:>8.4f}% {}", test, frame,
                               pps, frames ? fmt::format("{} fr", frames) : fmt::format("{:.1f} s", t.seconds), t.tx,
                               t.lost, t.loss_pct, t.pass ? "pass" : "FAIL: " + t.why));
    return t;
}

rfc2544_result rfc2544_run(engine& e, const rfc2544_options& o) {
    rfc2544_result res;
    res.opts = o;
    snapshot s0 = e.snap();
    unsigned txp = 0;
    for (unsigned i = 0; i < e.ports(); ++i)
        if (e.config().tx_mask >> i & 1) {
            txp = i;
            break;
        }
    res.link_bps = s0.ports[txp].link_bps;
    for (auto& p : s0.ports) res.ports += (res.ports.empty() ? "" : ", ") + p.name;
    for (uint32_t frame : o.sizes) {
        size_result sr;
        sr.frame = frame;
        sr.line_pps = line_rate_pps(res.link_bps, frame);
        const double line = std::floor(sr.line_pps);
        if (o.throughput || o.latency) {
            throughput_search ts(line, line * o.resolution_pct / 100.0);
            while (!ts.done()) {
                trial t = run_trial(e, "throughput", frame, ts.next(), o.trial_s, 0, o, o.early_finish);
                if (!t.pass && t.why == "generator underrun") sr.generator_limited = true;
                ts.report(t.pass);
                res.trials.push_back(t);
            }
            sr.throughput_pps = ts.result();
        }
        if (o.latency && sr.throughput_pps > 0) {
            latency_summary acc;
            unsigned n = 0;
            for (unsigned k = 0; k < o.latency_trials; ++k) {
                trial t = run_trial(e, "latency", frame, sr.throughput_pps, o.trial_s, 0, o, false);
                res.trials.push_back(t);
                if (!t.lat.count) continue;
                ++n;
                acc.count += t.lat.count;
                acc.min_ns += t.lat.min_ns;
                acc.avg_ns += t.lat.avg_ns;
                acc.max_ns += t.lat.max_ns;
                acc.p50_ns += t.lat.p50_ns;
                acc.p99_ns += t.lat.p99_ns;
                acc.p999_ns += t.lat.p999_ns;
            }
            if (n) {
                for (double* v : {&acc.min_ns, &acc.avg_ns, &acc.max_ns, &acc.p50_ns, &acc.p99_ns, &acc.p999_ns})
                    *v /= n;
                sr.lat = acc;
            }
        }
        if (o.loss) {
            unsigned clean = 0;
            for (double pct = 100; pct > 0 && clean < 2; pct -= o.loss_step_pct) {
                trial t = run_trial(e, "loss", frame, line * pct / 100.0, o.trial_s, 0, o, false);
                res.trials.push_back(t);
                sr.loss_curve.emplace_back(pct, t.loss_pct);
                clean = t.lost == 0 ? clean + 1 : 0;
            }
        }
        if (o.back_to_back) {
            const uint64_t max_frames = std::max<uint64_t>(1, uint64_t(line * o.b2b_max_s));
            for (unsigned k = 0; k < o.b2b_trials; ++k) {
                burst_search bs(max_frames, std::max<uint64_t>(1, uint64_t(double(max_frames) * o.resolution_pct / 100)));
                while (!bs.done()) {
                    trial t = run_trial(e, "back-to-back", frame, line, 0, bs.next(), o, false);
                    if (!t.pass && t.why == "generator underrun") sr.generator_limited = true;
                    res.trials.push_back(t);
                    bs.report(t.pass && t.lost == 0);
                }
                sr.b2b.push_back(bs.result());
            }
            if (!sr.b2b.empty()) {
                double m = 0, v = 0;
                for (auto b : sr.b2b) m += double(b);
                m /= double(sr.b2b.size());
                for (auto b : sr.b2b) v += (double(b) - m) * (double(b) - m);
                sr.b2b_avg = m;
                sr.b2b_stddev = sr.b2b.size() > 1 ? std::sqrt(v / double(sr.b2b.size() - 1)) : 0;
            }
        }
        res.sizes.push_back(sr);
    }
    e.stop();
    return res;
}

std::string report_text(const rfc2544_result& r) {
    const auto& o = r.opts;
    std::string s;
    s += fmt::format("RFC 2544 on {} at {:g} Gb/s ({})\n", r.ports, double(r.link_bps) / 1e9,
                     r.device.empty() ? "device under test" : r.device);
    s += fmt::format(
        "settings: trial {:g} s, warm-up {:g} s, drain {:g} s, loss tolerance {:g} %, resolution {:g} % of line "
        "rate, generator underrun allowed {:g} %, latency trials {}, back-to-back trials {} (bursts up to {:g} s)\n",
        o.trial_s, o.warmup_s, o.drain_s, o.tolerance_pct, o.resolution_pct, o.max_underrun_pct, o.latency_trials,
        o.b2b_trials, o.b2b_max_s);
    if (o.throughput) {
        s += "\nThroughput (RFC 2544 26.1; UDP over IPv4/IPv6 as configured; rates are frames/s, Mbit/s is L2 with FCS)\n";
        s += fmt::format("{:>6} {:>14} {:>14} {:>8} {:>10}  {}\n", "frame", "line fps", "throughput fps", "% line",
                         "Mbit/s", "");
        for (auto& z : r.sizes) {
            const double pct = z.line_pps > 0 ? z.throughput_pps * 100 / z.line_pps : 0;
            std::string bar(size_t(std::clamp(pct / 2.5, 0.0, 40.0)), '#');
            s += fmt::format("{:>6} {:>14.0f} {:>14.0f} {:>8.2f} {:>10.1f}  |{:<40}|{}\n", z.frame, std::floor(z.line_pps),
                             z.throughput_pps, pct, z.throughput_pps * z.frame * 8 / 1e6, bar,
                             z.generator_limited ? " generator-limited" : "");
        }
    }
    if (o.latency) {
        s += fmt::format(
            "\nLatency (RFC 2544 26.2) at the throughput rate, averaged over {} trial(s) of {:g} s; every frame is "
            "timed (TSC at TX burst and RX burst: store-and-forward latency plus the generator's own path), in µs\n",
            o.latency_trials, o.trial_s);
        s += fmt::format("{:>6} {:>14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "frame", "rate fps", "min", "avg", "max",
                         "p50", "p99", "p99.9");
        for (auto& z : r.sizes)
            s += fmt::format("{:>6} {:>14.0f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}\n", z.frame,
                             z.throughput_pps, z.lat.min_ns / 1e3, z.lat.avg_ns / 1e3, z.lat.max_ns / 1e3,
                             z.lat.p50_ns / 1e3, z.lat.p99_ns / 1e3, z.lat.p999_ns / 1e3);
    }
    if (o.loss) {
        s += "\nFrame loss rate (RFC 2544 26.3): % loss at % of line rate\n";
        for (auto& z : r.sizes) {
            s += fmt::format("{:>6}:", z.frame);
            for (auto [pct, loss] : z.loss_curve) s += fmt::format("  {:g}%→{:.3f}%", pct, loss);
            s += "\n";
        }
    }
    if (o.back_to_back) {
        s += "\nBack-to-back (RFC 2544 26.4): longest burst at line rate without loss, frames\n";
        s += fmt::format("{:>6} {:>14} {:>12} {:>7}\n", "frame", "average", "std dev", "trials");
        for (auto& z : r.sizes)
            s += fmt::format("{:>6} {:>14.1f} {:>12.1f} {:>7}{}\n", z.frame, z.b2b_avg, z.b2b_stddev, z.b2b.size(),
                             z.generator_limited ? "  generator-limited" : "");
    }
    return s;
}

namespace {
nlohmann::json lat_json(const latency_summary& l) {
    return {{"count", l.count},     {"min_ns", l.min_ns}, {"avg_ns", l.avg_ns},  {"max_ns", l.max_ns},
            {"p50_ns", l.p50_ns},   {"p99_ns", l.p99_ns}, {"p999_ns", l.p999_ns}};
}
}  // namespace

std::string report_json(const rfc2544_result& r) {
    const auto& o = r.opts;
    nlohmann::json j;
    j["device"] = r.device;
    j["ports"] = r.ports;
    j["link_bps"] = r.link_bps;
    j["settings"] = {{"trial_s", o.trial_s},         {"warmup_s", o.warmup_s},
                     {"drain_s", o.drain_s},         {"tolerance_pct", o.tolerance_pct},
                     {"resolution_pct", o.resolution_pct}, {"latency_trials", o.latency_trials},
                     {"b2b_trials", o.b2b_trials},   {"b2b_max_s", o.b2b_max_s},
                     {"loss_step_pct", o.loss_step_pct},
                     {"max_underrun_pct", o.max_underrun_pct}};
    nlohmann::json sizes = nlohmann::json::array();
    for (auto& z : r.sizes) {
        nlohmann::json x;
        x["frame"] = z.frame;
        x["line_pps"] = z.line_pps;
        x["throughput_pps"] = z.throughput_pps;
        x["throughput_pct"] = z.line_pps > 0 ? z.throughput_pps * 100 / z.line_pps : 0;
        x["throughput_mbps_l2"] = z.throughput_pps * z.frame * 8 / 1e6;
        x["generator_limited"] = z.generator_limited;
        x["latency"] = lat_json(z.lat);
        nlohmann::json lc = nlohmann::json::array();
        for (auto [pct, loss] : z.loss_curve) lc.push_back({{"load_pct", pct}, {"loss_pct", loss}});
        x["loss_curve"] = lc;
        x["back_to_back"] = {{"avg", z.b2b_avg}, {"stddev", z.b2b_stddev}, {"bursts", z.b2b}};
        sizes.push_back(x);
    }
    j["sizes"] = sizes;
    nlohmann::json tr = nlohmann::json::array();
    for (auto& t : r.trials)
        tr.push_back({{"test", t.test}, {"frame", t.frame}, {"rate_pps", t.rate_pps}, {"burst", t.burst},
                      {"tx", t.tx}, {"lost", t.lost}, {"tx_full", t.tx_full}, {"underrun", t.underrun},
                      {"loss_pct", t.loss_pct}, {"pass", t.pass}, {"why", t.why}, {"seconds", t.seconds},
                      {"latency", lat_json(t.lat)}});
    j["trials"] = tr;
    return j.dump(2) + "\n";
}

std::string report_csv(const rfc2544_result& r) {
    std::string s =
        "test,frame,rate_pps,burst,tx,lost,tx_full,underrun,loss_pct,pass,why,seconds,lat_min_ns,lat_avg_ns,"
        "lat_max_ns,lat_p50_ns,lat_p99_ns,lat_p999_ns\n";
    for (auto& t : r.trials)
        s += fmt::format("{},{},{:.0f},{},{},{},{},{},{:.6f},{},{},{:.3f},{:.0f},{:.0f},{:.0f},{:.0f},{:.0f},{:.0f}\n",
                         t.test, t.frame, t.rate_pps, t.burst, t.tx, t.lost, t.tx_full, t.underrun, t.loss_pct,
                         t.pass ? 1 : 0, t.why, t.seconds, t.lat.min_ns, t.lat.avg_ns, t.lat.max_ns, t.lat.p50_ns,
                         t.lat.p99_ns, t.lat.p999_ns);
    return s;
}

std::string plot_svg(const std::string& title, uint64_t link_bps, const std::vector<plot_series>& series) {
    const double W = 760, H = 480, L = 90, R = 180, T = 50, B = 60;
    const double x0 = 64, x1 = 1518;
    double ymax = line_rate_pps(link_bps, 64);
    for (auto& s : series)
        for (auto [f, v] : s.points) ymax = std::max(ymax, v);
    // Logarithmic frame-rate axis: decades from below the smallest value.
    double ymin = line_rate_pps(link_bps, 1518) / 10;
    for (auto& s : series)
        for (auto [f, v] : s.points)
            if (v > 0) ymin = std::min(ymin, v / 2);
    const double ly0 = std::floor(std::log10(ymin)), ly1 = std::ceil(std::log10(ymax));
    auto X = [&](double f) { return L + (f - x0) / (x1 - x0) * (W - L - R); };
    auto Y = [&](double v) {
        const double lv = std::log10(std::max(v, std::pow(10.0, ly0)));
        return T + (1 - (lv - ly0) / (ly1 - ly0)) * (H - T - B);
    };
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
        "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        "<text x=\"{}\" y=\"24\" font-size=\"15\">{}</text>\n",
        W, H, L, title);
    for (double d = ly0; d <= ly1; ++d) {
        const double y = Y(std::pow(10.0, d));
        s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
                         "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">1e{:g}</text>\n",
                         L, y, W - R, y, L - 6, y + 4, d);
    }
    for (uint32_t f : {64u, 128u, 256u, 512u, 1024u, 1280u, 1518u}) {
        const double x = X(f);
        s += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#eee\"/>"
                         "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                         x, T, x, H - B, x, H - B + 16, f);
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">frame size (bytes)</text>\n", (L + W - R) / 2,
                     H - 18);
    s += fmt::format("<text x=\"18\" y=\"{}\" transform=\"rotate(-90 18 {})\" text-anchor=\"middle\">frames per "
                     "second (log)</text>\n",
                     (T + H - B) / 2, (T + H - B) / 2);
    static const char* colors[] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    auto polyline = [&](const std::vector<std::pair<uint32_t, double>>& pts, const char* color, bool dashed) {
        std::string p;
        for (auto [f, v] : pts) p += fmt::format("{:.1f},{:.1f} ", X(f), Y(v));
        std::string r = fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n",
                                    color, dashed ? " stroke-dasharray=\"6 4\"" : "", p);
        for (auto [f, v] : pts) r += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", X(f), Y(v), color);
        return r;
    };
    std::vector<std::pair<uint32_t, double>> theo;
    for (uint32_t f = 64; f <= 1518; f += 2) theo.emplace_back(f, line_rate_pps(link_bps, f));
    std::string th;
    for (auto [f, v] : theo) th += fmt::format("{:.1f},{:.1f} ", X(f), Y(v));
    s += fmt::format("<polyline fill=\"none\" stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" "
                     "points=\"{}\"/>\n",
                     th);
    s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#555\">theoretical ({:g} Gb/s)</text>\n", W - R + 10, T + 10,
                     double(link_bps) / 1e9);
    for (size_t i = 0; i < series.size(); ++i) {
        const char* c = colors[i % 6];
        s += polyline(series[i].points, c, false);
        s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", W - R + 10, T + 30 + 18 * double(i), c,
                         series[i].name);
    }
    s += "</svg>\n";
    return s;
}

}  // namespace mpnet::gen
