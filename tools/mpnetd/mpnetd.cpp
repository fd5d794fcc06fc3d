// SPDX-License-Identifier: BSD-2-Clause
// mpnetd: the standalone forwarding daemon. Reads a file of commands (the
// same ones mpnetctl sends) plus start-up directives, runs the stack's
// workers and control thread, and serves the control socket until SIGTERM.
//
//   mpnetd -c FILE [-s SOCKET] [-p PIDFILE] [--syslog] [--check]
//
// Start-up directives, before the first command:
//   workers N        worker lcores (default 1)
//   mbufs N          packet buffers (default 8191)
//   eal ARG...       extra EAL arguments (e.g. --vdev=...)
//   fib inet|inet6 poptrie|dpdk [routes N]
//                    the FIB structure of a family (default poptrie: mpnet's
//                    Poptrie; dpdk: rte_lpm / rte_lpm6) and its route limit
// A bad line stops start-up with "FILE:LINE: reason" and exit status 1.
#include <fcntl.h>
#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mpnet/ctl/commands.hpp"
#include "mpnet/ctl/server.hpp"
#include "mpnet/drivers/eal.hpp"
#include "mpnet/drivers/ethdev_port.hpp"
#include "mpnet/stack/stack.hpp"

using namespace mpnet;

namespace {

std::atomic<bool> g_stop{false};
bool g_syslog = false;

void on_signal(int) { g_stop.store(true); }

template <typename... A>
void log(int prio, fmt::format_string<A...> f, A&&... a) {
    std::string s = fmt::format(f, std::forward<A>(a)...);
    if (g_syslog)
        syslog(prio, "%s", s.c_str());
    else
        std::fprintf(stderr, "mpnetd: %s\n", s.c_str());
}

struct options {
    std::string config, socket = "/run/mpnetd.sock", pidfile = "/run/mpnetd.pid";
    bool check = false;
};

std::optional<unsigned> num(const std::string& s) {
    unsigned v;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    CLI::App app{"mpnetd: the mpnet forwarding daemon. It reads FILE (start-up directives, then the commands\n"
                 "mpnetctl sends; mpnetctl help lists them), forwards, and serves the control socket until SIGTERM.",
                 "mpnetd"};
    app.add_option("-c,--config", o.config, "the configuration file of commands")->required();
    app.add_option("-s,--socket", o.socket, "the control socket (root only)")->capture_default_str();
    app.add_option("-p,--pidfile", o.pidfile, "where the process id goes")->capture_default_str();
    app.add_flag("--syslog", g_syslog, "log to syslog instead of standard error");
    app.add_flag("--check", o.check, "check the file and exit");
    app.footer(
        "Start-up directives, before the first command:\n"
        "  workers N        worker lcores (default 1)\n"
        "  mbufs N          packet buffers (default 8191)\n"
        "  eal ARG...       extra EAL arguments (e.g. --vdev=...)\n"
        "  fib inet|inet6 poptrie|dpdk [routes N]\n"
        "A bad line stops start-up with FILE:LINE: reason and exit status 1.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "mpnetd: %s (see mpnetd --help)\n", e.what());
        return 1;
    }
    if (g_syslog) openlog("mpnetd", LOG_PID, LOG_DAEMON);
    std::ifstream in(o.config);
    if (!in) {
        log(LOG_ERR, "{}: cannot open", o.config);
        return 1;
    }
    // Directives first, then commands (kept with their line numbers).
    stack_config cfg;
    cfg.name = "mpnetd";
    cfg.mbufs = 8191;
    cfg.port_open = drivers::ethdev_opener();  // tap(4)'s host interface
    drivers::eal_options eo;
    eo.program = "mpnetd";
    eo.file_prefix = fmt::format("mpnetd-{}", getpid());
    std::vector<std::pair<int, std::string>> commands;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        auto w = ctl::tokenize(line);
        if (w.empty()) continue;
        const bool directive = w[0] == "workers" || w[0] == "mbufs" || w[0] == "eal" || w[0] == "fib";
        if (directive && !commands.empty()) {
            log(LOG_ERR, "{}:{}: {}: start-up directives come before the first command", o.config, n, w[0]);
            return 1;
        }
        if (w[0] == "workers" || w[0] == "mbufs") {
            auto v = w.size() == 2 ? num(w[1]) : std::nullopt;
            if (!v || *v == 0 || (w[0] == "workers" && *v > limits::lcore_max) ||
                (w[0] == "mbufs" && *v > (1u << 22))) {
                log(LOG_ERR, "{}:{}: {}: expects one number in range", o.config, n, w[0]);
                return 1;
            }
            (w[0] == "workers" ? cfg.workers : cfg.mbufs) = *v;
        } else if (w[0] == "fib") {
            const bool v4 = w.size() > 1 && w[1] == "inet", v6 = w.size() > 1 && w[1] == "inet6";
            const auto b = w.size() > 2 ? fib_backend_parse(w[2]) : std::nullopt;
            const auto r = w.size() == 5 && w[3] == "routes" ? num(w[4]) : std::nullopt;
            if (!(v4 || v6) || !b || (w.size() != 3 && !r) || (r && (*r == 0 || *r > (1u << 24)))) {
                log(LOG_ERR, "{}:{}: fib: expects 'fib inet|inet6 poptrie|dpdk [routes N]' (N in 1..16777216)",
                    o.config, n);
                return 1;
            }
            (v4 ? cfg.fib_backend4 : cfg.fib_backend6) = *b;
            if (r) (v4 ? cfg.fib_max_routes : cfg.fib6_max_routes) = *r;
        } else if (w[0] == "eal") {
            eo.extra.insert(eo.extra.end(), w.begin() + 1, w.end());
        } else {
            commands.emplace_back(n, line);
        }
    }
    // Refuse early, before touching any port, when a daemon already answers.
    if (auto probe = ctl::request(o.socket, "help", 2000); probe) {
        log(LOG_ERR, "{}: another mpnetd is running on this socket", o.socket);
        return 1;
    }
    eo.lcores = fmt::format("0-{}", cfg.workers);
    if (!drivers::eal_init(eo)) {
        log(LOG_ERR, "{}: EAL initialisation failed", o.config);
        return 1;
    }
    int rc = 0;
    {
        rcu_thread reg;
        std::unique_ptr<stack> s;
        try {
            s = std::make_unique<stack>(cfg);
        } catch (const std::exception& e) {
            log(LOG_ERR, "{}", e.what());
            drivers::eal_cleanup();
            return 1;
        }
        ctl::command_set cs(*s);
        // The file's routes reach the FIBs as one commit (a full table loads
        // in seconds, not one FIB6 rebuild per route).
        s->routes_batch_begin();
        for (const auto& [n, l] : commands) {
            auto r = cs.execute(l);
            if (r.status != 0) {
                log(LOG_ERR, "{}:{}: {}", o.config, n, r.text);
                rc = 1;
                break;
            }
        }
        s->routes_batch_end();
        if (rc == 0 && o.check) {
            log(LOG_INFO, "{}: configuration is valid", o.config);
        } else if (rc == 0) {
            ctl::server srv(cs);
            if (auto st = srv.open(o.socket); !st) {
                log(LOG_ERR, "{}: {}", o.socket,
                    st.error() == errc::addrinuse ? "another mpnetd is running on this socket"
                                                  : std::string(errc_message(st.error())));
                rc = 1;
            } else {
                if (FILE* pf = std::fopen(o.pidfile.c_str(), "w")) {
                    std::fprintf(pf, "%d\n", getpid());
                    std::fclose(pf);
                }
                struct sigaction sa {};
                sa.sa_handler = on_signal;
                sigaction(SIGTERM, &sa, nullptr);
                sigaction(SIGINT, &sa, nullptr);
                signal(SIGPIPE, SIG_IGN);
                if (auto started = s->start(); !started) {
                    log(LOG_ERR, "cannot start workers: {}", errc_message(started.error()));
                    rc = 1;
                } else {
                    log(LOG_INFO, "running: {} worker(s), control socket {}", cfg.workers, o.socket);
                    srv.run(g_stop);
                    log(LOG_INFO, "stopping: {} requests served, {} rejected", srv.requests(), srv.rejected());
                    s->stop();
                }
                ::unlink(o.pidfile.c_str());
            }
        }
        s.reset();
        rcu_barrier();
    }
    drivers::eal_cleanup();
    return rc;
}
