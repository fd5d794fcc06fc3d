// SPDX-License-Identifier: BSD-2-Clause
// The control socket server and client.
#include "mpnet/ctl/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "mpnet/sync/rcu.hpp"

namespace mpnet::ctl {

namespace {

bool fill_addr(const std::string& path, sockaddr_un* a) {
    if (path.size() >= sizeof(a->sun_path)) return false;
    std::memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    std::memcpy(a->sun_path, path.c_str(), path.size() + 1);
    return true;
}

bool write_all(int fd, const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = ::send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        c += w;
        n -= size_t(w);
    }
    return true;
}

bool write_frame(int fd, const std::string& s) {
    const uint32_t n = htonl(static_cast<uint32_t>(s.size()));
    return write_all(fd, &n, 4) && write_all(fd, s.data(), s.size());
}

std::string reply_json(int st, const std::string& out) {
    // Replace invalid UTF-8 (a request can echo arbitrary bytes back) rather
    // than throw: a reply must always be sent.
    return nlohmann::json{{"status", st}, {"output", out}}.dump(-1, ' ', false,
                                                                nlohmann::json::error_handler_t::replace);
}

}  // namespace

server::~server() {
    for (auto& c : clients_) ::close(c.fd);
    if (lfd_ >= 0) {
        ::close(lfd_);
        ::unlink(path_.c_str());
    }
}

status server::open(const std::string& path) {
    sockaddr_un a;
    if (!fill_addr(path, &a)) return errc::nametoolong;
    // Another daemon on this socket? Then refuse; a stale file is removed.
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0) {
        const bool alive = ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(probe);
        if (alive) return errc::addrinuse;
    }
    ::unlink(path.c_str());
    lfd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (lfd_ < 0) return errc::io;
    const mode_t old = ::umask(0177);  // the socket is created 0600: root only
    const int rc = ::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::umask(old);
    if (rc != 0 || ::listen(lfd_, 16) != 0) {
        ::close(lfd_);
        lfd_ = -1;
        return errc::io;
    }
    ::chmod(path.c_str(), 0600);
    path_ = path;
    return {};
}

void server::send_reply(int fd, int st, const std::string& out) { (void)write_frame(fd, reply_json(st, out)); }

void server::queue_reply(client& c, int st, const std::string& out) {
    std::string body = reply_json(st, out);
    if (body.size() > cfg_.reply_max)
        body = reply_json(1, "mpnetd: the reply (" + std::to_string(body.size()) + " bytes) exceeds the limit of " +
                                 std::to_string(cfg_.reply_max) + " bytes");
    const uint32_t n = htonl(static_cast<uint32_t>(body.size()));
    c.out.assign(reinterpret_cast<const char*>(&n), 4);
    c.out += body;
    c.out_off = 0;
    c.out_since = std::chrono::steady_clock::now();
    pending_ += c.out.size();
}

bool server::flush(client& c) {
    while (c.out_off < c.out.size()) {
        const ssize_t w = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // the rest when it drains
        if (w <= 0) return false;
        c.out_off += size_t(w);
        pending_ -= size_t(w);
        c.out_since = std::chrono::steady_clock::now();
    }
    c.out.clear();
    c.out.shrink_to_fit();  // a big reply's memory goes now, not with the client
    c.out_off = 0;
    return true;
}

void server::accept_one() {
    int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    if (clients_.size() >= clients_max) {
        ++rejected_;
        send_reply(fd, 1, "mpnetd: too many clients");
        ::close(fd);
        return;
    }
    clients_.push_back({fd, {}, std::chrono::steady_clock::now()});
}

bool server::service(client& c) {
    char tmp[4096];
    for (;;) {
        ssize_t r = ::recv(c.fd, tmp, sizeof tmp, 0);
        if (r == 0) return false;  // closed (possibly mid-request)
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return false;
        }
        c.buf.append(tmp, size_t(r));
        if (c.buf.size() > 4 + request_max) break;  // decided below
    }
    while (c.buf.size() >= 4) {
        uint32_t n;
        std::memcpy(&n, c.buf.data(), 4);
        n = ntohl(n);
        if (n == 0 || n > request_max) {
            ++rejected_;
            send_reply(c.fd, 1, "mpnetd: bad request frame (empty or larger than 4096 bytes)");
            return false;
        }
        if (c.buf.size() < 4 + size_t(n)) break;
        std::string line = c.buf.substr(4, n);
        c.buf.erase(0, 4 + size_t(n));
        if (line.find('\0') != std::string::npos || line.find('\n') != std::string::npos) {
            ++rejected_;
            send_reply(c.fd, 1, "mpnetd: a request is one line of text");
            return false;
        }
        ++requests_;
        reply rp = cs_.start(line);
        c.since = std::chrono::steady_clock::now();
        if (rp.later) {
            c.later = std::move(rp.later);  // polled by run(); the next request waits for it
            break;
        }
        queue_reply(c, rp.status, rp.text);
        if (!flush(c)) return false;
        if (!c.out.empty()) break;  // the next request waits until this reply is out
    }
    return true;
}

bool server::finish_long(client& c) {
    auto done = c.later();
    if (!done) return true;
    c.later = nullptr;
    queue_reply(c, done->status, done->text);
    return flush(c);
}

void server::run(const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_acquire)) {
        std::vector<pollfd> pf;
        pf.push_back({lfd_, POLLIN, 0});
        // A client with a reply on its way is written to, and read again
        // only when it has taken all of it.
        // A client whose command is still running is only watched for hang-up.
        bool running = false;
        for (auto& c : clients_) {
            running = running || bool(c.later);
            pf.push_back({c.fd, short(c.later ? 0 : c.out.empty() ? POLLIN : POLLOUT), 0});
        }
        int n;
        {
            rcu_offline off;
            n = ::poll(pf.data(), pf.size(), running ? 10 : 200);
        }
        rcu_quiescent();
        if (n > 0 && (pf[0].revents & POLLIN)) accept_one();
        std::vector<client> keep;
        for (size_t i = 0; i < clients_.size(); ++i) {
            client& c = clients_[i];
            const short ev = (n > 0 && i + 1 < pf.size()) ? pf[i + 1].revents : short(0);
            bool alive = true;
            if (ev & (POLLERR | POLLNVAL)) alive = false;
            if (alive && c.later && (ev & POLLHUP)) alive = false;  // gone: dropping `later` cancels it
            if (alive && c.later) alive = finish_long(c);
            if (alive && !c.out.empty() && (ev & (POLLOUT | POLLHUP))) alive = flush(c);
            // Requests that were waiting behind the reply, and new ones.
            if (alive && !c.later && c.out.empty() && (ev & (POLLIN | POLLHUP) || !c.buf.empty())) alive = service(c);
            const auto now = std::chrono::steady_clock::now();
            // A request left half-sent for too long is dropped.
            if (alive && !c.later && c.out.empty() && !c.buf.empty() &&
                now - c.since > std::chrono::milliseconds(cfg_.request_timeout_ms)) {
                ++rejected_;
                send_reply(c.fd, 1, "mpnetd: request timed out");
                alive = false;
            }
            // So is a client that takes nothing of its reply.
            if (alive && !c.out.empty() && now - c.out_since > std::chrono::milliseconds(cfg_.reply_timeout_ms)) {
                ++stalled_;
                alive = false;
            }
            if (alive) {
                keep.push_back(std::move(c));
            } else {
                pending_ -= c.out.size() - c.out_off;
                ::close(c.fd);
            }
        }
        clients_ = std::move(keep);
    }
}

result<reply> request(const std::string& path, const std::string& line, int timeout_ms) {
    sockaddr_un a;
    if (!fill_addr(path, &a)) return errc::nametoolong;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errc::io;
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } cl{fd};
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return errc::io;
    if (line.size() > request_max) return errc::msgsize;
    if (!write_frame(fd, line)) return errc::io;
    std::string in;
    std::vector<char> tmp(64 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (in.size() >= 4) {
            uint32_t n;
            std::memcpy(&n, in.data(), 4);
            n = ntohl(n);
            if (n > reply_max) return errc::io;
            if (in.capacity() < 4 + size_t(n)) in.reserve(4 + size_t(n));
            if (in.size() >= 4 + size_t(n)) {
                auto j = nlohmann::json::parse(in.begin() + 4, in.begin() + 4 + n, nullptr, false);
                if (j.is_discarded() || !j.contains("status") || !j.contains("output")) return errc::io;
                return reply{j["status"].get<int>(), j["output"].get<std::string>()};
            }
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return errc::timedout;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, int(left.count())) <= 0) continue;
        ssize_t r = ::recv(fd, tmp.data(), tmp.size(), 0);
        if (r <= 0) return errc::io;
        in.append(tmp.data(), size_t(r));
    }
}

}  // namespace mpnet::ctl
