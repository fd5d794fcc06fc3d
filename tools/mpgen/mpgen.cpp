// SPDX-License-Identifier: BSD-2-Clause
// mpgen: mpnet's packet generator and RFC 2544 harness, after ipgen.
//
//   mpgen [EAL options --] [options]
//
// Without EAL options mpgen runs with "-l 0 --no-huge -m 1024 --no-pci
// --file-prefix mpgen<pid>". See `mpgen --help` and docs/mpgen.md.
#include <getopt.h>
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

#include <fmt/format.h>

#include "app.hpp"
#include "mpnet/gen/impair.hpp"
#include "mpnet/gen/rfc2544.hpp"

using namespace mpnet;
using namespace mpnet::gen;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

const char* const usage_text = R"(usage: mpgen [EAL options --] [options]

Ports (DPDK port ids or names, e.g. net_memif0 from --vdev):
  -T, --tx PORT[,GW[,ADDR]]   transmit port; GW: next hop MAC, or IPv4/IPv6
                              address resolved with ARP/ND; ADDR: own address
                              (answered in ARP/ND; default 198.18.0.2)
  -R, --rx PORT[,GW[,ADDR]]   receive port (default own address 198.19.0.2)
  -f, --duplex                both ports transmit (port 1 sends the reverse flows)
      --ring-link             add an in-process software link (two ring ports
                              wired together) and use it when -T/-R are not given
Traffic:
  -s, --size SIZES            frame size incl. FCS (64..1518), a list (64,512,1518),
                              weights (64:7,570:4,1518:1) or imix; default 64
  -r, --rate RATE             pps (1000, 250kpps, 1.5Mpps), L2 bit/s (100Mbps,
                              2.5Gbps; --l1-bps adds preamble and gap) or percent
                              of line rate (50%); default 100%
      --burst N               N frames back to back per slot (1..32; default 1: paced per frame)
      --udp | --tcp           L4 protocol (default UDP)
      --vlan ID               one 802.1Q tag (1..4094)
      --saddr A[-B] --daddr A[-B] --sport P[-Q] --dport P[-Q]
                              flow ranges, advanced together (ipgen's rule)
      --flowlist FILE         flows from a file: "SRC[-SRC][:P[-Q]] DST[-DST][:P[-Q]]" per line
      --link-speed SPEED      line rate for percentages and RFC 2544 (default: the port's, else 10G)
  -n, --count N               frames per transmitting port, then stop
  -t, --time SECONDS          stop after this long
Output:
      --ui none|curses        batch (default) or the curses screen
      --web [ADDR:]PORT       serve the web UI and JSON API (default address 127.0.0.1)
      --json-log FILE         one JSON record per second
      --results FILE          final counters as JSON (per port and per flow)
      --csv FILE              final counters as CSV (one row per port)
      --fail-if-dropped       exit status 3 when any frame was lost
RFC 2544:
      --rfc2544               run the RFC 2544 tests and exit
      --tests LIST            throughput,latency,loss,b2b (default all)
      --sizes LIST            frame sizes (default 64,128,256,512,1024,1280,1518)
      --trial-time S          trial length (default 60)
      --warmup S              traffic before each trial (default 0)
      --drain S               wait for stragglers after each trial (default 2)
      --tolerance PCT         loss tolerated (default 0)
      --resolution PCT        search resolution, % of line rate (default 0.1)
      --no-early-finish       search trials always run their full length
      --max-underrun PCT      generator slots a trial may miss (default 1); more
                              fails the trial as the generator's, not the device's
      --latency-trials N      (default 20)   --b2b-trials N (default 50)
      --b2b-time S            longest burst, seconds at line rate (default 2)
      --loss-step PCT         frame loss curve step (default 10)
      --rfc2544-json FILE  --rfc2544-csv FILE  --plot FILE.svg  --label NAME
      --plot-from A.json,B.json --plot FILE.svg
                              plot several --rfc2544-json results together and exit
Tuning:
      --mbufs N  --max-lag-us N  --idle-sleep-us N  --flow-stats N
      --impair SPEC           test impairment on the receive port:
                              drop=S,..:dup=S,..:reorder=S,..:police=PPS[/B]
  -h, --help
)";

struct opts {
    std::string tx, rx;
    bool duplex = false, ring_link = false, tcp = false, l1 = false;
    std::string sizes = "64", rate = "100%";
    uint32_t burst = 1;
    uint16_t vlan = 0;
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
    enum {
        o_udp = 256, o_tcp, o_vlan, o_saddr, o_daddr, o_sport, o_dport, o_flowlist, o_link, o_l1, o_ui, o_web,
        o_jlog, o_results, o_csv, o_faild, o_rfc, o_tests, o_sizes, o_trial, o_warm, o_drain, o_tol, o_res, o_noearly,
        o_lt, o_bt, o_btime, o_lstep, o_rjson, o_rcsv, o_plot, o_label, o_mbufs, o_lag, o_idle, o_fstats, o_impair,
        o_ring, o_burst, o_plotfrom, o_maxur
    };
    static const option longs[] = {
        {"tx", required_argument, nullptr, 'T'}, {"rx", required_argument, nullptr, 'R'},
        {"duplex", no_argument, nullptr, 'f'}, {"size", required_argument, nullptr, 's'},
        {"rate", required_argument, nullptr, 'r'}, {"count", required_argument, nullptr, 'n'},
        {"time", required_argument, nullptr, 't'}, {"help", no_argument, nullptr, 'h'},
        {"burst", required_argument, nullptr, o_burst}, {"udp", no_argument, nullptr, o_udp},
        {"tcp", no_argument, nullptr, o_tcp}, {"vlan", required_argument, nullptr, o_vlan},
        {"saddr", required_argument, nullptr, o_saddr}, {"daddr", required_argument, nullptr, o_daddr},
        {"sport", required_argument, nullptr, o_sport}, {"dport", required_argument, nullptr, o_dport},
        {"flowlist", required_argument, nullptr, o_flowlist}, {"link-speed", required_argument, nullptr, o_link},
        {"l1-bps", no_argument, nullptr, o_l1}, {"ui", required_argument, nullptr, o_ui},
        {"web", required_argument, nullptr, o_web}, {"json-log", required_argument, nullptr, o_jlog},
        {"results", required_argument, nullptr, o_results}, {"csv", required_argument, nullptr, o_csv},
        {"fail-if-dropped", no_argument, nullptr, o_faild}, {"rfc2544", no_argument, nullptr, o_rfc},
        {"tests", required_argument, nullptr, o_tests}, {"sizes", required_argument, nullptr, o_sizes},
        {"trial-time", required_argument, nullptr, o_trial}, {"warmup", required_argument, nullptr, o_warm},
        {"drain", required_argument, nullptr, o_drain}, {"tolerance", required_argument, nullptr, o_tol},
        {"resolution", required_argument, nullptr, o_res}, {"no-early-finish", no_argument, nullptr, o_noearly},
        {"latency-trials", required_argument, nullptr, o_lt}, {"b2b-trials", required_argument, nullptr, o_bt},
        {"b2b-time", required_argument, nullptr, o_btime}, {"loss-step", required_argument, nullptr, o_lstep},
        {"rfc2544-json", required_argument, nullptr, o_rjson}, {"rfc2544-csv", required_argument, nullptr, o_rcsv},
        {"plot", required_argument, nullptr, o_plot}, {"label", required_argument, nullptr, o_label},
        {"mbufs", required_argument, nullptr, o_mbufs}, {"max-lag-us", required_argument, nullptr, o_lag},
        {"idle-sleep-us", required_argument, nullptr, o_idle}, {"flow-stats", required_argument, nullptr, o_fstats},
        {"impair", required_argument, nullptr, o_impair}, {"ring-link", no_argument, nullptr, o_ring},
        {"plot-from", required_argument, nullptr, o_plotfrom},
        {"max-underrun", required_argument, nullptr, o_maxur},
        {nullptr, 0, nullptr, 0}};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":T:R:fs:r:n:t:h", longs, nullptr)) != -1) {
        switch (c) {
            case 'T': o.tx = optarg; break;
            case 'R': o.rx = optarg; break;
            case 'f': o.duplex = true; break;
            case 's': o.sizes = optarg; break;
            case 'r': o.rate = optarg; break;
            case 'n': o.count = num_arg<uint64_t>("--count", optarg, 1, uint64_t(1) << 62); break;
            case 't': o.time_s = num_arg<double>("--time", optarg, 0.01, 1e7); break;
            case 'h': std::fputs(usage_text, stdout); std::exit(0);
            case o_burst: o.burst = num_arg<uint32_t>("--burst", optarg, 1, 32); break;
            case o_udp: o.tcp = false; break;
            case o_tcp: o.tcp = true; break;
            case o_vlan: o.vlan = num_arg<uint16_t>("--vlan", optarg, 1, 4094); break;
            case o_saddr: o.saddr = optarg; break;
            case o_daddr: o.daddr = optarg; break;
            case o_sport: o.sport = optarg; break;
            case o_dport: o.dport = optarg; break;
            case o_flowlist: o.flowlist = optarg; break;
            case o_link: o.link_speed = optarg; break;
            case o_l1: o.l1 = true; break;
            case o_ui:
                o.ui = optarg;
                if (o.ui != "none" && o.ui != "curses") die(fmt::format("--ui '{}': expected none or curses", o.ui));
                break;
            case o_web: o.web = optarg; break;
            case o_jlog: o.json_log = optarg; break;
            case o_results: o.results = optarg; break;
            case o_csv: o.csv = optarg; break;
            case o_faild: o.fail_if_dropped = true; break;
            case o_rfc: o.rfc2544 = true; break;
            case o_tests: {
                o.ro.throughput = o.ro.latency = o.ro.loss = o.ro.back_to_back = false;
                std::stringstream ss(optarg);
                std::string t;
                while (std::getline(ss, t, ',')) {
                    if (t == "throughput") o.ro.throughput = true;
                    else if (t == "latency") o.ro.latency = true;
                    else if (t == "loss") o.ro.loss = true;
                    else if (t == "b2b" || t == "back-to-back") o.ro.back_to_back = true;
                    else die(fmt::format("--tests: unknown test '{}' (throughput, latency, loss, b2b)", t));
                }
                break;
            }
            case o_sizes: o.ro.sizes = size_list(optarg); break;
            case o_trial: o.ro.trial_s = num_arg<double>("--trial-time", optarg, 0.01, 86400); break;
            case o_warm: o.ro.warmup_s = num_arg<double>("--warmup", optarg, 0, 600); break;
            case o_drain:
                o.ro.drain_s = num_arg<double>("--drain", optarg, 0, 60);
                o.drain_set = true;
                break;
            case o_tol: o.ro.tolerance_pct = num_arg<double>("--tolerance", optarg, 0, 100); break;
            case o_res: o.ro.resolution_pct = num_arg<double>("--resolution", optarg, 0.0001, 50); break;
            case o_noearly: o.ro.early_finish = false; break;
            case o_lt: o.ro.latency_trials = num_arg<unsigned>("--latency-trials", optarg, 1, 1000); break;
            case o_bt: o.ro.b2b_trials = num_arg<unsigned>("--b2b-trials", optarg, 1, 1000); break;
            case o_btime: o.ro.b2b_max_s = num_arg<double>("--b2b-time", optarg, 0.001, 60); break;
            case o_lstep: o.ro.loss_step_pct = num_arg<double>("--loss-step", optarg, 1, 50); break;
            case o_rjson: o.rfc_json = optarg; break;
            case o_rcsv: o.rfc_csv = optarg; break;
            case o_plot: o.plot = optarg; break;
            case o_label: o.label = optarg; break;
            case o_mbufs: o.mbufs = num_arg<uint32_t>("--mbufs", optarg, 1023, 1u << 22); break;
            case o_lag: o.max_lag_us = num_arg<uint32_t>("--max-lag-us", optarg, 1, 1000000); break;
            case o_idle: o.idle_sleep_us = num_arg<uint32_t>("--idle-sleep-us", optarg, 0, 100000); break;
            case o_fstats: o.flow_stats = num_arg<uint32_t>("--flow-stats", optarg, 0, 1u << 20); break;
            case o_impair: o.impair = optarg; break;
            case o_ring: o.ring_link = true; break;
            case o_plotfrom: o.plot_from = optarg; break;
            case o_maxur: o.ro.max_underrun_pct = num_arg<double>("--max-underrun", optarg, 0, 100); break;
            case ':': die(fmt::format("option '{}' needs a value (see --help)", argv[optind - 1]));
            default: die(fmt::format("unknown option '{}' (see --help)", argv[optind - 1]));
        }
    }
    if (optind < argc) die(fmt::format("unexpected argument '{}' (see --help)", argv[optind]));
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
