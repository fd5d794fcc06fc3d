// SPDX-License-Identifier: BSD-2-Clause
// mpgen: mpnet's packet generator and RFC 2544 harness, after ipgen.
//
//   mpgen [EAL options --] [options]
//
// Without EAL options mpgen runs with "-l 0 --no-huge -m 1024 --no-pci
// --file-prefix mpgen<pid>". See `mpgen --help` and docs/mpgen.md.
#include <signal.h>
#include <unistd.h>

#include <rte_eal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app.hpp"
#include "mpnet/gen/impair.hpp"
#include "mpnet/gen/rfc2544.hpp"

using namespace mpnet;
using namespace mpnet::gen;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct opts {
    std::string tx, rx;
    bool duplex = false, ring_link = false, tcp = false, l1 = false;
    std::string sizes = "64", rate = "100%";
    uint32_t burst = 1;
    uint16_t vlan = 0;
    std::string encap;
    std::string saddr, daddr, sport = "9", dport = "9", flowlist, link_speed;
    uint64_t count = 0;
    double time_s = 0;
    std::string ui = "none", web, json_log, results, csv;
    bool fail_if_dropped = false, drain_set = false;
    bool rfc2544 = false;
    rfc2544_options ro;
    std::string rfc_json, rfc_csv, plot, label, impair, plot_from;
    uint32_t mbufs = 16383, max_lag_us = 200, idle_sleep_us = 50, flow_stats = 4096;
};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "mpgen: %s\n", msg.c_str());
    std::exit(2);
}

template <typename T>
T num_arg(const char* opt, const char* v, T lo, T hi) {
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(v, &end);
    if (!v[0] || *end || errno || !std::isfinite(d) || d < double(lo) || d > double(hi))
        die(fmt::format("{} '{}': expected a number in {}..{}", opt, v, lo, hi));
    if constexpr (std::is_integral_v<T>) {
        if (d != std::floor(d)) die(fmt::format("{} '{}': expected a whole number", opt, v));
    }
    return T(d);
}

std::vector<uint32_t> size_list(const std::string& s) {
    std::vector<uint32_t> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
        uint32_t v = num_arg<uint32_t>("--sizes", item.c_str(), min_frame, max_frame);
        out.push_back(v);
    }
    if (out.empty()) die("--sizes: empty list");
    return out;
}

opts parse(int argc, char** argv) {
    opts o;
    CLI::App app{"mpgen: an ipgen-style packet generator and RFC 2544 harness on DPDK ports.\n"
                 "EAL options, if any, come first and end with --; see docs/mpgen.md.",
                 "mpgen"};
    app.get_formatter()->column_width(34);
    // Values are checked with mpgen's own messages; a repeated option keeps the last value.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    auto number = [&](const char* flags, const char* name, const char* help, auto lo, auto hi, auto& field) {
        return app.add_option_function<std::string>(
            flags, [&field, name, lo, hi](const std::string& v) {
                field = num_arg<std::remove_reference_t<decltype(field)>>(name, v.c_str(), lo, hi);
            },
            help);
    };
    const char* ports = "Ports (DPDK port ids or names, e.g. net_memif0 from --vdev)";
    app.add_option("-T,--tx", o.tx,
                   "PORT[,GW[,ADDR]]: the transmit port; GW: next hop MAC, or IPv4/IPv6 address resolved "
                   "with ARP/ND; ADDR: own address (answered in ARP/ND; default 198.18.0.2)")
        ->group(ports);
    app.add_option("-R,--rx", o.rx, "PORT[,GW[,ADDR]]: the receive port (default own address 198.19.0.2)")->group(ports);
    app.add_flag("-f,--duplex", o.duplex, "both ports transmit (port 1 sends the reverse flows)")->group(ports);
    app.add_flag("--ring-link", o.ring_link,
                 "add an in-process software link (two ring ports wired together) and use it when -T/-R are not given")
        ->group(ports);
    const char* traffic = "Traffic";
    app.add_option("-s,--size", o.sizes,
                   "SIZES: frame size incl. FCS (64..1518), a list (64,512,1518), weights (64:7,570:4,1518:1) or "
                   "imix; default 64")
        ->group(traffic);
    app.add_option("-r,--rate", o.rate,
                   "RATE: pps (1000, 250kpps, 1.5Mpps), L2 bit/s (100Mbps, 2.5Gbps; --l1-bps adds preamble and "
                   "gap) or percent of line rate (50%); default 100%")
        ->group(traffic);
    app.add_flag("--l1-bps", o.l1, "bit rates count preamble and inter-frame gap")->group(traffic);
    number("--burst", "--burst", "N frames back to back per slot (1..32; default 1: paced per frame)", 1u, 32u,
           o.burst)
        ->group(traffic);
    app.add_flag_callback("--udp", [&] { o.tcp = false; }, "UDP (the default)")->group(traffic);
    app.add_flag_callback("--tcp", [&] { o.tcp = true; }, "TCP")->group(traffic);
    number("--vlan", "--vlan", "one 802.1Q tag (1..4094)", uint16_t{1}, uint16_t{4094}, o.vlan)->group(traffic);
    app.add_option("--encap", o.encap,
                   "KIND: the transmit port sends its frames inside a tunnel from its own IPv4 address to its IPv4 "
                   "gateway, for a device to decapsulate: gif (IP in IPv4), l2tp:SESSION[:MAC] (L2TPv3 over IP, "
                   "no cookie) or vxlan:VNI[:MAC]; MAC: the inner frame's destination (default broadcast); sizes "
                   "are the outer frame's")
        ->group(traffic);
    app.add_option("--saddr", o.saddr, "A[-B]: source addresses (flow ranges advance together, ipgen's rule)")
        ->group(traffic);
    app.add_option("--daddr", o.daddr, "A[-B]: destination addresses")->group(traffic);
    app.add_option("--sport", o.sport, "P[-Q]: source ports (default 9)")->group(traffic);
    app.add_option("--dport", o.dport, "P[-Q]: destination ports (default 9)")->group(traffic);
    app.add_option("--flowlist", o.flowlist, "FILE: flows, one \"SRC[-SRC][:P[-Q]] DST[-DST][:P[-Q]]\" per line")
        ->group(traffic);
    app.add_option("--link-speed", o.link_speed,
                   "SPEED: line rate for percentages and RFC 2544 (default: the port's, else 10G)")
        ->group(traffic);
    number("-n,--count", "--count", "N frames per transmitting port, then stop", uint64_t{1}, uint64_t(1) << 62,
           o.count)
        ->group(traffic);
    number("-t,--time", "--time", "SECONDS: stop after this long", 0.01, 1e7, o.time_s)->group(traffic);
    const char* output = "Output";
    app.add_option_function<std::string>(
           "--ui",
           [&](const std::string& v) {
               if (v != "none" && v != "curses") die(fmt::format("--ui '{}': expected none or curses", v));
               o.ui = v;
           },
           "none|curses: batch (default) or the curses screen")
        ->group(output);
    app.add_option("--web", o.web, "[ADDR:]PORT: serve the web UI and JSON API (default address 127.0.0.1)")
        ->group(output);
    app.add_option("--json-log", o.json_log, "FILE: one JSON record per second")->group(output);
    app.add_option("--results", o.results, "FILE: final counters as JSON (per port and per flow)")->group(output);
    app.add_option("--csv", o.csv, "FILE: final counters as CSV (one row per port)")->group(output);
    app.add_flag("--fail-if-dropped", o.fail_if_dropped, "exit status 3 when any frame was lost")->group(output);
    const char* rfc = "RFC 2544";
    app.add_flag("--rfc2544", o.rfc2544, "run the RFC 2544 tests and exit")->group(rfc);
    app.add_option_function<std::string>(
           "--tests",
           [&](const std::string& v) {
               o.ro.throughput = o.ro.latency = o.ro.loss = o.ro.back_to_back = false;
               std::stringstream ss(v);
               std::string t;
               while (std::getline(ss, t, ',')) {
                   if (t == "throughput") o.ro.throughput = true;
                   else if (t == "latency") o.ro.latency = true;
                   else if (t == "loss") o.ro.loss = true;
                   else if (t == "b2b" || t == "back-to-back") o.ro.back_to_back = true;
                   else die(fmt::format("--tests: unknown test '{}' (throughput, latency, loss, b2b)", t));
               }
           },
           "LIST: throughput,latency,loss,b2b (default all)")
        ->group(rfc);
    app.add_option_function<std::string>(
           "--sizes", [&](const std::string& v) { o.ro.sizes = size_list(v); },
           "LIST: frame sizes (default 64,128,256,512,1024,1280,1518)")
        ->group(rfc);
    number("--trial-time", "--trial-time", "S: trial length (default 60)", 0.01, 86400.0, o.ro.trial_s)->group(rfc);
    number("--warmup", "--warmup", "S: traffic before each trial (default 0)", 0.0, 600.0, o.ro.warmup_s)->group(rfc);
    app.add_option_function<std::string>(
           "--drain",
           [&](const std::string& v) {
               o.ro.drain_s = num_arg<double>("--drain", v.c_str(), 0, 60);
               o.drain_set = true;
           },
           "S: wait for stragglers after each trial (default 2)")
        ->group(rfc);
    number("--tolerance", "--tolerance", "PCT: loss tolerated (default 0)", 0.0, 100.0, o.ro.tolerance_pct)->group(rfc);
    number("--resolution", "--resolution", "PCT: search resolution, % of line rate (default 0.1)", 0.0001, 50.0,
           o.ro.resolution_pct)
        ->group(rfc);
    app.add_flag_callback("--no-early-finish", [&] { o.ro.early_finish = false; },
                          "search trials always run their full length")
        ->group(rfc);
    number("--max-underrun", "--max-underrun",
           "PCT: generator slots a trial may miss (default 1); more fails the trial as the generator's", 0.0, 100.0,
           o.ro.max_underrun_pct)
        ->group(rfc);
    number("--latency-trials", "--latency-trials", "N (default 20)", 1u, 1000u, o.ro.latency_trials)->group(rfc);
    number("--b2b-trials", "--b2b-trials", "N (default 50)", 1u, 1000u, o.ro.b2b_trials)->group(rfc);
    number("--b2b-time", "--b2b-time", "S: longest burst, seconds at line rate (default 2)", 0.001, 60.0,
           o.ro.b2b_max_s)
        ->group(rfc);
    number("--loss-step", "--loss-step", "PCT: frame loss curve step (default 10)", 1.0, 50.0, o.ro.loss_step_pct)
        ->group(rfc);
    app.add_option("--rfc2544-json", o.rfc_json, "FILE: results as JSON")->group(rfc);
    app.add_option("--rfc2544-csv", o.rfc_csv, "FILE: one row per trial")->group(rfc);
    app.add_option("--plot", o.plot, "FILE.svg: frame size against frames/s")->group(rfc);
    app.add_option("--label", o.label, "NAME: the device's name in reports")->group(rfc);
    app.add_option("--plot-from", o.plot_from,
                   "A.json,B.json: plot several --rfc2544-json results together (with --plot) and exit")
        ->group(rfc);
    const char* tuning = "Tuning";
    number("--mbufs", "--mbufs", "N packet buffers", 1023u, 1u << 22, o.mbufs)->group(tuning);
    number("--max-lag-us", "--max-lag-us", "N: slots later than this are skipped (tx_underrun)", 1u, 1000000u,
           o.max_lag_us)
        ->group(tuning);
    number("--idle-sleep-us", "--idle-sleep-us", "N: nap of an idle datapath", 0u, 100000u, o.idle_sleep_us)
        ->group(tuning);
    number("--flow-stats", "--flow-stats", "N flows with counters of their own", 0u, 1u << 20, o.flow_stats)
        ->group(tuning);
    app.add_option("--impair", o.impair,
                   "SPEC: test impairment on the receive port: drop=S,..:dup=S,..:reorder=S,..:police=PPS[/B]")
        ->group(tuning);
    // "METAVAR: what it is" descriptions show the metavariable after the option.
    for (CLI::Option* op : app.get_options()) {
        const std::string d = op->get_description();
        const auto colon = d.find(": ");
        if (op->get_expected_max() == 0) continue;
        if (colon != std::string::npos && d.find(' ') > colon && std::isupper(static_cast<unsigned char>(d[0]))) {
            op->type_name(d.substr(0, colon));
            op->description(d.substr(colon + 2));
        } else {
            op->type_name("");
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        std::exit(app.exit(e));
    } catch (const CLI::ExtrasError&) {
        const auto rest = app.remaining();
        const std::string w = rest.empty() ? std::string("?") : rest.front();
        if (!w.empty() && w[0] == '-') die(fmt::format("unknown option '{}' (see --help)", w));
        die(fmt::format("unexpected argument '{}' (see --help)", w));
    } catch (const CLI::ArgumentMismatch& e) {
        // "--rate: 1 required TEXT missing": the option without its value.
        const std::string what = e.what();
        die(fmt::format("option '{}' needs a value (see --help)", what.substr(0, what.find(':'))));
    } catch (const CLI::ParseError& e) {
        die(fmt::format("{} (see --help)", e.what()));
    }
    return o;
}

/// PORT[,GW[,ADDR[/LEN]]]
port_setup parse_port(const std::string& spec, const char* what, const char* default_own) {
    port_setup p;
    std::vector<std::string> parts;
    std::stringstream ss(spec);
    std::string item;
    while (std::getline(ss, item, ',')) parts.push_back(item);
    if (parts.empty() || parts[0].empty() || parts.size() > 3)
        die(fmt::format("{} '{}': expected PORT[,GW[,ADDR]]", what, spec));
    p.dev = parts[0];
    if (parts.size() > 1 && !parts[1].empty()) {
        const std::string& g = parts[1];
        if (auto m = ether_addr::parse(g)) p.gw_mac = *m;
        else if (auto a = ip4_addr::parse(g)) p.gw4 = *a;
        else if (auto a6 = ip6_addr::parse(g)) p.gw6 = *a6;
        else die(fmt::format("{} '{}': gateway '{}' is not a MAC, IPv4 or IPv6 address", what, spec, g));
    }
    std::string own = parts.size() > 2 ? parts[2] : "";
    if (auto sl = own.find('/'); sl != std::string::npos) own = own.substr(0, sl);
    if (!own.empty()) {
        if (auto a = ip4_addr::parse(own)) p.own4 = *a;
        else if (auto a6 = ip6_addr::parse(own)) p.own6 = *a6;
        else die(fmt::format("{} '{}': own address '{}' is not an address", what, spec, own));
    }
    if (!p.own4 && !p.own6) {
        if (p.gw6) {
            // 2001:db8:N::2 beside a gateway 2001:db8:N::1.
            ip6_addr a = *p.gw6;
            a.b[15] = a.b[15] == 2 ? 3 : 2;
            p.own6 = a;
        } else if (p.gw4) {
            p.own4 = ip4_addr((p.gw4->v & ~0xffu) | ((p.gw4->v & 0xff) == 2 ? 3 : 2));
        } else {
            p.own4 = ip4_addr::parse(default_own);
        }
    }
    return p;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    if (!f) die(fmt::format("{}: cannot open", path));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

FILE* open_out(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) die(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    return f;
}

void write_file(const std::string& path, const std::string& s) {
    FILE* f = open_out(path);
    std::fwrite(s.data(), 1, s.size(), f);
    std::fclose(f);
}

std::string summary_table(const snapshot& s) {
    std::string out = fmt::format("{:<26} {:>12} {:>12} {:>10} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10}\n",
                                  "port", "tx", "rx", "drop", "dup", "reorder", "underrun", "lat min", "lat avg",
                                  "lat p99", "lat max");
    for (auto& p : s.ports)
        out += fmt::format("{:<26} {:>12} {:>12} {:>10} {:>8} {:>8} {:>8} {:>9.2f}u {:>9.2f}u {:>9.2f}u {:>9.2f}u\n",
                           p.name.substr(0, 26), p.tx, p.seq.received, p.drop, p.seq.duplicate, p.seq.reorder,
                           p.tx_underrun, p.lat.min_ns / 1e3, p.lat.avg_ns / 1e3, p.lat.p99_ns / 1e3,
                           p.lat.max_ns / 1e3);
    return out;
}

std::string summary_csv(const snapshot& s) {
    std::string out =
        "port,name,tx,tx_bytes,tx_underrun,tx_full,rx,rx_bytes,rx_other,drop,dup,reorder,reorder_flow,out_of_range,"
        "lat_min_ns,lat_avg_ns,lat_max_ns,lat_p50_ns,lat_p99_ns,lat_p999_ns\n";
    for (size_t i = 0; i < s.ports.size(); ++i) {
        auto& p = s.ports[i];
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.0f},{:.0f},{:.0f},{:.0f},{:.0f},{:.0f}\n", i,
                           p.name, p.tx, p.tx_bytes, p.tx_underrun, p.tx_full, p.seq.received, p.rx_bytes, p.rx_other,
                           p.drop, p.seq.duplicate, p.seq.reorder, p.flow_reorder, p.seq.out_of_range, p.lat.min_ns,
                           p.lat.avg_ns, p.lat.max_ns, p.lat.p50_ns, p.lat.p99_ns, p.lat.p999_ns);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    // EAL options come before "--"; without them, a default for software ports.
    int split = -1;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--") == 0) {
            split = i;
            break;
        }
    std::vector<char*> eal_argv{argv[0]}, gen_argv{argv[0]};
    std::vector<std::string> defaults;
    if (split > 0) {
        for (int i = 1; i < split; ++i) eal_argv.push_back(argv[i]);
        for (int i = split + 1; i < argc; ++i) gen_argv.push_back(argv[i]);
    } else {
        for (int i = 1; i < argc; ++i) gen_argv.push_back(argv[i]);
        defaults = {"-l", "0", "--no-huge", "-m", "1024", "--no-pci", "--log-level", "lib.eal:error",
                    "--file-prefix", fmt::format("mpgen{}", getpid())};
        for (auto& d : defaults) eal_argv.push_back(d.data());
    }
    opts o = parse(int(gen_argv.size()), gen_argv.data());

    if (!o.plot_from.empty()) {  // no ports, no EAL: merge result files into one plot
        if (o.plot.empty()) die("--plot-from needs --plot FILE.svg");
        std::vector<plot_series> series;
        uint64_t link = 0;
        std::stringstream ss(o.plot_from);
        std::string path;
        while (std::getline(ss, path, ',')) {
            mpgen::json j = mpgen::json::parse(read_file(path), nullptr, false);
            if (j.is_discarded() || !j.contains("sizes") || !j["sizes"].is_array())
                die(fmt::format("{}: not an mpgen --rfc2544-json result", path));
            plot_series ps{j.value("device", path), {}};
            for (auto& z : j["sizes"]) ps.points.emplace_back(z.value("frame", 0u), z.value("throughput_pps", 0.0));
            link = j.value("link_bps", uint64_t(10000000000ULL));
            series.push_back(std::move(ps));
        }
        write_file(o.plot, plot_svg("RFC 2544 throughput, side by side", link, series));
        return 0;
    }
    // Everything that can be checked before EAL is checked here.
    auto sizes = parse_sizes(o.sizes);
    if (!sizes) die(sizes.error);
    auto rate = parse_rate(o.rate);
    if (!rate) die(rate.error);
    uint64_t link_bps = 0;
    if (!o.link_speed.empty()) {
        auto l = parse_link_speed(o.link_speed);
        if (!l) die(l.error);
        link_bps = *l;
    }
    std::optional<impair_spec> imp;
    if (!o.impair.empty()) {
        auto i = parse_impair(o.impair);
        if (!i) die(i.error);
        imp = *i;
    }
    if (o.tx.empty() && !o.ring_link) die("no transmit port: give -T PORT (or --ring-link)");
    if (o.rfc2544 && o.ui != "none") die("--rfc2544 runs in batch mode (--ui none)");
    std::vector<flow> flows;
    if (!o.flowlist.empty()) {
        if (!o.saddr.empty() || !o.daddr.empty()) die("--flowlist and --saddr/--daddr exclude each other");
        auto fl = parse_flow_list(read_file(o.flowlist), o.flowlist);
        if (!fl) die(fl.error);
        flows = std::move(*fl);
    }

    ::signal(SIGINT, on_signal);
    ::signal(SIGTERM, on_signal);
    if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) die("cannot initialise DPDK's EAL (see above)");
    // DPDK leaves its runtime directory behind; mpgen removes it on every
    // exit after this point, errors included.
    static std::string runtime_dir = rte_eal_get_runtime_dir();
    std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(runtime_dir, ec);
    });

    std::string tx = o.tx, rx = o.rx;
    if (o.ring_link) {
        auto l = create_ring_link(fmt::format("mpgen_link{}_", getpid()));
        if (!l) die(l.error);
        if (tx.empty()) tx = l->first;
        if (rx.empty()) rx = l->second;
    }
    engine_config ec;
    ec.ports.push_back(parse_port(tx, "--tx", "198.18.0.2"));
    if (!rx.empty()) {
        port_setup r = parse_port(rx, "--rx", "198.19.0.2");
        if (r.dev != ec.ports[0].dev) ec.ports.push_back(r);
    }
    ec.tx_mask = o.duplex ? 3 : 1;
    if (o.duplex && ec.ports.size() < 2) die("--duplex needs two ports");
    if (flows.empty()) {
        // Default flow: the TX port's own address to the RX port's.
        const auto& a = ec.ports.front();
        const auto& b = ec.ports.back();
        std::string sa = o.saddr, da = o.daddr;
        const bool v6 = a.own6 && !a.own4;
        if (sa.empty()) sa = v6 ? a.own6->str() : a.own4 ? a.own4->str() : "198.18.0.2";
        if (da.empty()) {
            if (&a == &b) da = v6 ? "2001:db8:1::2" : "198.19.0.2";
            else da = v6 ? (b.own6 ? b.own6->str() : "2001:db8:1::2") : (b.own4 ? b.own4->str() : "198.19.0.2");
        }
        auto s1 = parse_addr_range(sa);
        if (!s1) die("--saddr: " + s1.error);
        auto d1 = parse_addr_range(da);
        if (!d1) die("--daddr: " + d1.error);
        auto p1 = parse_port_range(o.sport);
        if (!p1) die("--sport: " + p1.error);
        auto p2 = parse_port_range(o.dport);
        if (!p2) die("--dport: " + p2.error);
        auto fl = expand_flows(*s1, *d1, *p1, *p2);
        if (!fl) die(fl.error);
        flows = std::move(*fl);
    }
    ec.flows = flows;
    ec.tcp = o.tcp;
    ec.vlan = o.vlan;
    if (!o.encap.empty()) {
        auto en = parse_encap(o.encap);
        if (!en) die("--encap: " + en.error);
        ec.encap = *en;
    }
    ec.sizes = *sizes;
    ec.rate = *rate;
    ec.burst = o.burst;
    ec.link_bps = link_bps;
    ec.l1_bps = o.l1;
    ec.count = o.count;
    ec.mbufs = o.mbufs;
    ec.max_lag_us = o.max_lag_us;
    ec.idle_sleep_us = o.idle_sleep_us;
    ec.flow_stats_limit = o.flow_stats;
    ec.magic = uint8_t(0x40 + (getpid() & 0x3f) * 2);
    auto e = engine::create(ec);
    if (!e) die(e.error);
    engine& eng = **e;
    std::unique_ptr<impairment> shim;
    if (imp) {
        shim = impairment::attach(eng.port_id(eng.ports() - 1), eng.pool(), *imp, eng.tsc_hz());
        if (!shim) die("--impair: cannot install the RX callback");
    }
    eng.launch();
    if (!eng.wait_resolved(3000)) {
        eng.shutdown();
        die("the gateway did not answer ARP/neighbour solicitation within 3 s");
    }

    int rc = 0;
    if (o.rfc2544) {
        rfc2544_options ro = o.ro;
        ro.progress = [](const std::string& l) { std::fprintf(stderr, "%s\n", l.c_str()); };
        rfc2544_result r = rfc2544_run(eng, ro);
        r.device = o.label;
        std::fputs(report_text(r).c_str(), stdout);
        if (!o.rfc_json.empty()) write_file(o.rfc_json, report_json(r));
        if (!o.rfc_csv.empty()) write_file(o.rfc_csv, report_csv(r));
        if (!o.plot.empty()) {
            plot_series ps{o.label.empty() ? "measured" : o.label, {}};
            for (auto& z : r.sizes) ps.points.emplace_back(z.frame, z.throughput_pps);
            write_file(o.plot, plot_svg("RFC 2544 throughput: " + r.ports, r.link_bps, {ps}));
        }
    } else {
        FILE* log = o.json_log.empty() ? nullptr : open_out(o.json_log);
        mpgen::app a(eng);
        mpgen::web_server web;
        eng.clear();
        a.start_sampler(250, log);
        if (!o.web.empty()) {
            std::string host = "127.0.0.1", port = o.web;
            if (auto c = o.web.rfind(':'); c != std::string::npos) {
                host = o.web.substr(0, c);
                port = o.web.substr(c + 1);
            }
            if (auto err = web.start(a, host, num_arg<int>("--web", port.c_str(), 0, 65535)); !err.empty()) die(err);
            std::fprintf(stderr, "mpgen: web UI on http://%s:%d/\n", host.c_str(), web.port());
        }
        eng.start();
        const auto t0 = std::chrono::steady_clock::now();
        std::thread timer;
        if (o.ui == "curses") {
            if (o.time_s > 0)
                timer = std::thread([&] {
                    while (!a.quit && !g_stop &&
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < o.time_s)
                        std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    a.quit = true;
                });
            mpgen::run_curses(a);
            a.quit = true;
            if (timer.joinable()) timer.join();
        } else {
            for (;;) {
                if (g_stop || a.quit) break;
                const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                if (o.time_s > 0 && el >= o.time_s) break;
                if (o.count && !eng.sending() && o.web.empty()) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        eng.stop();
        // Stragglers: 0.5 s unless --drain says otherwise.
        std::this_thread::sleep_for(std::chrono::milliseconds(int((o.drain_set ? o.ro.drain_s : 0.5) * 1000)));
        web.stop();
        a.stop_sampler();
        snapshot s = eng.snap(true);
        std::fputs(summary_table(s).c_str(), stdout);
        if (log) {
            snapshot z = s;
            const std::string line = mpgen::stats_json(s, z).dump() + "\n";
            std::fwrite(line.data(), 1, line.size(), log);
            std::fclose(log);
        }
        if (!o.results.empty()) {
            mpgen::json j = mpgen::stats_json(s, s);
            j["final"] = true;
            write_file(o.results, j.dump(2) + "\n");
        }
        if (!o.csv.empty()) write_file(o.csv, summary_csv(s));
        if (o.fail_if_dropped)
            for (auto& p : s.ports)
                if (p.drop) rc = 3;
    }
    eng.shutdown();
    shim.reset();
    e->reset();
    rte_eal_cleanup();
    return rc;
}
