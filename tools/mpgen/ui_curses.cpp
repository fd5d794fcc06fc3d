// SPDX-License-Identifier: BSD-2-Clause
// mpgen's curses screen: ipgen's two-column layout (one column per port),
// refreshed four times a second from the sampler's latest record, with the
// frame size and rate of each port editable in place.
#include <ncurses.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "app.hpp"

namespace mpgen {

namespace {

std::string si(double v) {
    if (v >= 1e9) return fmt::format("{:.3f}G", v / 1e9);
    if (v >= 1e6) return fmt::format("{:.3f}M", v / 1e6);
    if (v >= 1e3) return fmt::format("{:.3f}k", v / 1e3);
    return fmt::format("{:.0f}", v);
}

struct field {
    int port;
    bool rate;  // else size
};

}  // namespace

int run_curses(app& a) {
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(100);
    set_escdelay(50);
    const int nports = int(a.eng.ports());
    std::vector<field> fields;
    for (int p = 0; p < nports; ++p) {
        fields.push_back({p, false});
        fields.push_back({p, true});
    }
    size_t sel = 0;
    bool editing = false;
    std::string buf;
    auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    bool dirty = true;
    while (!a.quit) {
        int ch = getch();
        if (ch != ERR) {
            dirty = true;
            if (editing) {
                if (ch == 27) {
                    editing = false;
                    a.set_message("edit cancelled");
                } else if (ch == '\n' || ch == KEY_ENTER) {
                    editing = false;
                    const field f = fields[sel];
                    std::string err = f.rate ? a.set_rate(f.port, buf) : a.set_size(f.port, buf);
                    if (!err.empty()) a.set_message("error: " + err);
                } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
                    if (!buf.empty()) buf.pop_back();
                } else if (ch >= 32 && ch < 127 && buf.size() < 24) {
                    buf.push_back(char(ch));
                }
            } else {
                switch (ch) {
                    case 'q': a.quit = true; break;
                    case '\t': case KEY_DOWN: case KEY_RIGHT: case 14 /* ^N */: case 6 /* ^F */:
                        sel = (sel + 1) % fields.size();
                        break;
                    case KEY_BTAB: case KEY_UP: case KEY_LEFT: case 16 /* ^P */: case 2 /* ^B */:
                        sel = (sel + fields.size() - 1) % fields.size();
                        break;
                    case '\n': case KEY_ENTER:
                        editing = true;
                        buf.clear();
                        break;
                    case 's': {
                        const int p = fields[sel].port;
                        const json j = a.latest();
                        const bool running = j.contains("ports") && j["ports"][p].value("running", false);
                        if (running) a.stop(p);
                        else a.start(p);
                        break;
                    }
                    case 'S': a.start(-1); break;
                    case 'x': a.stop(-1); break;
                    case 'z': a.clear(); break;
                    case 12 /* ^L */: clearok(stdscr, TRUE); break;
                    default: break;
                }
            }
        }
        const auto now = std::chrono::steady_clock::now();
        if (!dirty && now - last < std::chrono::milliseconds(250)) continue;
        last = now;
        dirty = false;
        const json j = a.latest();
        if (!j.contains("ports")) continue;
        erase();
        const int cw = 30, c0 = 24;
        mvprintw(0, 0, "mpgen - mpnet packet generator (ipgen style)   up %.1f s", j.value("time", 0.0));
        int row = 2;
        auto label = [&](const char* l) { mvprintw(row, 1, "%s", l); };
        auto cell = [&](int p, const std::string& s, bool hl = false) {
            if (hl) attron(A_REVERSE);
            mvprintw(row, c0 + p * cw, "%-*s", cw - 2, s.substr(0, size_t(cw - 2)).c_str());
            if (hl) attroff(A_REVERSE);
        };
        label("port");
        for (int p = 0; p < nports; ++p) {
            attron(A_BOLD);
            cell(p, fmt::format("{} {}", p, j["ports"][p].value("name", "")));
            attroff(A_BOLD);
        }
        ++row;
        label("MAC");
        for (int p = 0; p < nports; ++p) cell(p, j["ports"][p].value("mac", ""));
        ++row;
        label("state");
        for (int p = 0; p < nports; ++p) {
            const auto& q = j["ports"][p];
            std::string st = q.value("running", false) ? "sending >>>" : q.value("transmits", false) ? "stopped" : "receive only";
            if (!q.value("resolved", true)) st += " (resolving gateway)";
            cell(p, st);
        }
        row += 2;
        for (int f = 0; f < 2; ++f) {
            label(f ? "TX rate" : "TX frame size");
            for (int p = 0; p < nports; ++p) {
                const size_t idx = size_t(p * 2 + f);
                const auto& q = j["ports"][p];
                std::string v = f ? q.value("rate", "") : q.value("size", "");
                if (editing && idx == sel) v = buf + "_";
                cell(p, "[" + v + "]", idx == sel);
            }
            ++row;
        }
        label("  configured / line");
        for (int p = 0; p < nports; ++p) {
            const auto& q = j["ports"][p];
            cell(p, fmt::format("{} / {} fps", si(q.value("tx_pps_config", 0.0)), si(q.value("line_pps", 0.0))));
        }
        row += 2;
        struct line {
            const char* name;
            std::function<std::string(const json&)> f;
        };
        auto n = [](const json& q, const char* k) { return q.value(k, uint64_t(0)); };
        auto d = [](const json& q, const char* k) { return q.value(k, 0.0); };
        const line lines[] = {
            {"TX frames", [&](const json& q) { return fmt::format("{}", n(q, "tx")); }},
            {"TX fps / Mbit/s", [&](const json& q) { return fmt::format("{} / {:.1f}", si(d(q, "tx_pps")), d(q, "tx_mbps")); }},
            {"TX underrun / full", [&](const json& q) { return fmt::format("{} / {}", n(q, "tx_underrun"), n(q, "tx_full")); }},
            {"RX frames", [&](const json& q) { return fmt::format("{}", n(q, "rx")); }},
            {"RX fps / Mbit/s", [&](const json& q) { return fmt::format("{} / {:.1f}", si(d(q, "rx_pps")), d(q, "rx_mbps")); }},
            {"RX drop (drop/s)", [&](const json& q) { return fmt::format("{} ({})", n(q, "rx_drop"), si(d(q, "rx_drop_pps"))); }},
            {"RX dup", [&](const json& q) { return fmt::format("{}", n(q, "rx_dup")); }},
            {"RX reorder / in flow", [&](const json& q) { return fmt::format("{} / {}", n(q, "rx_reorder"), n(q, "rx_reorder_flow")); }},
            {"RX outofrange / other", [&](const json& q) { return fmt::format("{} / {}", n(q, "rx_outofrange"), n(q, "rx_other")); }},
            {"RX ARP / ND", [&](const json& q) { return fmt::format("{} / {}", n(q, "rx_arp"), n(q, "rx_nd")); }},
            {"latency min/avg/max us", [&](const json& q) {
                 const auto& l = q["latency"];
                 return fmt::format("{:.1f} / {:.1f} / {:.1f}", l.value("min_us", 0.0), l.value("avg_us", 0.0), l.value("max_us", 0.0));
             }},
            {"latency p50/p99/p99.9", [&](const json& q) {
                 const auto& l = q["latency"];
                 return fmt::format("{:.1f} / {:.1f} / {:.1f}", l.value("p50_us", 0.0), l.value("p99_us", 0.0), l.value("p999_us", 0.0));
             }},
        };
        for (const auto& l : lines) {
            label(l.name);
            for (int p = 0; p < nports; ++p) cell(p, l.f(j["ports"][p]));
            ++row;
        }
        row += 1;
        mvprintw(row++, 1, "Tab/arrows select  Enter edit  Esc cancel  s start/stop port  S start all  x stop all");
        mvprintw(row++, 1, "z clear counters  q quit    sizes: 64 | 64,1518 | imix   rates: 10000 | 1Mpps | 100Mbps | 50%%");
        ++row;
        mvprintw(row, 1, "%s", j.value("message", "").c_str());
        refresh();
    }
    endwin();
    return 0;
}

}  // namespace mpgen
