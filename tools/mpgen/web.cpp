// SPDX-License-Identifier: BSD-2-Clause
// mpgen's HTTP server (cpp-httplib): the page, streamed and single JSON
// records, and control endpoints. It binds where it is told (127.0.0.1 by
// default) and only serves what is listed here.
#include <httplib.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "app.hpp"

namespace mpgen {

struct web_server::impl {
    httplib::Server svr;
    std::thread thr;
    std::atomic<bool> closing{false};
};

web_server::web_server() : p_(new impl) {}
web_server::~web_server() {
    stop();
    delete p_;
}

namespace {
void reply(httplib::Response& res, const std::string& err, app& a) {
    json j = {{"ok", err.empty()}, {"message", err.empty() ? a.message() : err}};
    res.status = err.empty() ? 200 : 400;
    res.set_content(j.dump() + "\n", "application/json");
}
int port_of(const httplib::Request& req) { return std::atoi(req.matches[1].str().c_str()); }
int opt_port(const httplib::Request& req) {
    return req.has_param("port") ? std::atoi(req.get_param_value("port").c_str()) : -1;
}
}  // namespace

std::string web_server::start(app& a, const std::string& host, int port) {
    auto& s = p_->svr;
    s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(web_page, "text/html; charset=utf-8"); });
    s.Get("/stat/1", [&a](const httplib::Request&, httplib::Response& res) {
        res.set_content(a.latest().dump() + "\n", "application/json");
    });
    s.Get("/stat", [&a, this](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("application/x-ndjson", [&a, this](size_t, httplib::DataSink& sink) {
            if (p_->closing || a.quit) {
                sink.done();
                return true;
            }
            const std::string line = a.latest().dump() + "\n";
            if (!sink.write(line.data(), line.size())) return false;
            for (int i = 0; i < 100 && !p_->closing && !a.quit; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return true;
        });
    });
    auto both = [&s](const std::string& pat, httplib::Server::Handler h) {
        s.Get(pat, h);
        s.Post(pat, h);
    };
    both("/start", [&a](const httplib::Request& q, httplib::Response& r) { reply(r, a.start(opt_port(q)), a); });
    both("/stop", [&a](const httplib::Request& q, httplib::Response& r) { reply(r, a.stop(opt_port(q)), a); });
    both("/clear", [&a](const httplib::Request&, httplib::Response& r) { reply(r, a.clear(), a); });
    both(R"(/port/(\d+)/size/([^/]+))",
         [&a](const httplib::Request& q, httplib::Response& r) { reply(r, a.set_size(port_of(q), q.matches[2]), a); });
    both(R"(/port/(\d+)/rate/([^/]+))", [&a](const httplib::Request& q, httplib::Response& r) {
        reply(r, a.set_rate(port_of(q), httplib::detail::decode_url(q.matches[2], false)), a);
    });
    // ipgen's names for the same.
    both(R"(/interface/(\d+)/pktsize/(\d+))",
         [&a](const httplib::Request& q, httplib::Response& r) { reply(r, a.set_size(port_of(q), q.matches[2]), a); });
    both(R"(/interface/(\d+)/pps/(\d+))",
         [&a](const httplib::Request& q, httplib::Response& r) { reply(r, a.set_rate(port_of(q), q.matches[2]), a); });
    if (port == 0) {
        port_ = s.bind_to_any_port(host);
        if (port_ < 0) return fmt::format("--web: cannot listen on {}", host);
    } else {
        if (!s.bind_to_port(host, port)) return fmt::format("--web: cannot listen on {}:{}", host, port);
        port_ = port;
    }
    p_->thr = std::thread([this] { p_->svr.listen_after_bind(); });
    return {};
}

void web_server::stop() {
    if (!p_->thr.joinable()) return;
    p_->closing = true;
    p_->svr.stop();
    p_->thr.join();
}

}  // namespace mpgen
