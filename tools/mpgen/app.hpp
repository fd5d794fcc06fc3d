// SPDX-License-Identifier: BSD-2-Clause
// What mpgen's front ends (batch, curses, web) share: the engine, a sampler
// that turns snapshots into per-second JSON records (ipgen's /stat record,
// extended), and control commands that return an error line or nothing.
//
// Locking notes: the sampler thread writes latest_ under mu_; front ends
// read copies. Control commands go straight to the engine's control API,
// which serialises them.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "mpnet/gen/engine.hpp"

namespace mpgen {

using json = nlohmann::json;

/// One stats record: counters of `now`, rates over (prev, now].
json stats_json(const mpnet::gen::snapshot& now, const mpnet::gen::snapshot& prev);

class app {
public:
    explicit app(mpnet::gen::engine& e) : eng(e) {}
    ~app() { stop_sampler(); }

    mpnet::gen::engine& eng;
    std::atomic<bool> quit{false};

    /// Samples every period_ms; rates cover the last second. Every full
    /// second one record is appended to the JSON log (when open).
    void start_sampler(unsigned period_ms, FILE* log);
    void stop_sampler();
    json latest() const;
    std::string message() const;
    void set_message(std::string m);

    // Control: "" on success, else the reason (nothing changed then).
    std::string start(int port);
    std::string stop(int port);
    std::string clear();
    std::string set_size(int port, const std::string& s);
    std::string set_rate(int port, const std::string& s);

private:
    void sample();
    mutable std::mutex mu_;
    json latest_;
    std::string message_;
    std::deque<mpnet::gen::snapshot> hist_;
    std::thread thr_;
    std::atomic<bool> stop_{false};
    unsigned period_ms_ = 250;
    FILE* log_ = nullptr;
};

/// The curses screen; returns when the user quits (q) or app.quit is set.
int run_curses(app& a);

/// The HTTP server: GET / (the page), GET /stat (one JSON record per second,
/// streamed), GET /stat/1 (one record), POST /start, /stop, /clear,
/// /port/N/size/V, /port/N/rate/V (also as GET, as ipgen's API).
class web_server {
public:
    web_server();
    ~web_server();
    /// Listens on host:port; "" or the reason it cannot.
    std::string start(app& a, const std::string& host, int port);
    void stop();
    int port() const noexcept { return port_; }

private:
    struct impl;
    impl* p_;
    int port_ = 0;
};

extern const char* const web_page;

}  // namespace mpgen
