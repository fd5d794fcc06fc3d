// SPDX-License-Identifier: BSD-2-Clause
// lo0's port: what is sent comes back on its one RX queue.
//
// Locking notes: TX from any lcore (multi-producer ring); RX by the queue's
// owner (worker 0 unless intrctl moved it). The interrupt is an eventfd the
// first sender after arming writes (armed_ is exchanged, so once).
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>

#include "mpnet/core/ring.hpp"
#include "mpnet/netif/port.hpp"

namespace mpnet {

/// Empties a non-blocking eventfd (worker and control wake-ups, lo0's interrupt).
inline void eventfd_clear(int fd) noexcept {
    uint64_t v;
    while (::read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
    }
}

class loop_port final : public port {
public:
    explicit loop_port(unsigned size) {
        if (!ring_.init("lo0", size)) throw std::bad_alloc();
        efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    ~loop_port() override {
        if (efd_ >= 0) ::close(efd_);
        mbuf* m[32];
        while (unsigned n = ring_.dequeue(m, 32))
            for (unsigned i = 0; i < n; ++i) pkt_free(m[i]);
    }
    uint16_t rx_burst(uint16_t, mbuf** pkts, uint16_t n) noexcept override {
        return static_cast<uint16_t>(ring_.dequeue(pkts, n));
    }
    uint16_t tx_burst(uint16_t, mbuf** pkts, uint16_t n) noexcept override {
        const auto k = static_cast<uint16_t>(ring_.enqueue(pkts, n));
        // An armed "interrupt" (the owning worker sleeps): wake it once.
        if (k && armed_.load(std::memory_order_seq_cst) && armed_.exchange(false)) {
            const uint64_t one = 1;
            [[maybe_unused]] ssize_t r = ::write(efd_, &one, sizeof one);
        }
        return k;
    }
    // lo0 has an interrupt of its own, so that a worker owning it can sleep.
    int rx_intr_fd(uint16_t) const noexcept override { return efd_; }
    bool rx_intr_arm(uint16_t) noexcept override {
        eventfd_clear(efd_);
        armed_.store(true, std::memory_order_seq_cst);
        return efd_ >= 0;
    }
    void rx_intr_disarm(uint16_t) noexcept override { armed_.store(false, std::memory_order_relaxed); }
    uint16_t rx_queues() const noexcept override { return 1; }
    uint16_t tx_queues() const noexcept override { return 1; }
    bool link_up() const noexcept override { return true; }
    ether_addr mac() const noexcept override { return {}; }
    std::string describe() const override { return "loopback"; }
    bool tx_mt_safe() const noexcept override { return true; }  // a multi-producer ring

private:
    pkt_ring ring_;
    int efd_ = -1;
    std::atomic<bool> armed_{false};
};

}  // namespace mpnet
