// SPDX-License-Identifier: BSD-2-Clause
// lo0's port: what is sent comes back on its one RX queue.
//
// Locking notes: TX from any lcore (multi-producer ring); RX by worker 0 only.
#pragma once

#include "mpnet/core/ring.hpp"
#include "mpnet/netif/port.hpp"

namespace mpnet {

class loop_port final : public port {
public:
    explicit loop_port(unsigned size) {
        if (!ring_.init("lo0", size)) throw std::bad_alloc();
    }
    ~loop_port() override {
        mbuf* m[32];
        while (unsigned n = ring_.dequeue(m, 32))
            for (unsigned i = 0; i < n; ++i) pkt_free(m[i]);
    }
    uint16_t rx_burst(uint16_t, mbuf** pkts, uint16_t n) noexcept override {
        return static_cast<uint16_t>(ring_.dequeue(pkts, n));
    }
    uint16_t tx_burst(uint16_t, mbuf** pkts, uint16_t n) noexcept override {
        return static_cast<uint16_t>(ring_.enqueue(pkts, n));
    }
    uint16_t rx_queues() const noexcept override { return 1; }
    uint16_t tx_queues() const noexcept override { return 1; }
    bool link_up() const noexcept override { return true; }
    ether_addr mac() const noexcept override { return {}; }
    std::string describe() const override { return "loopback"; }
    bool tx_mt_safe() const noexcept override { return true; }  // a multi-producer ring

private:
    pkt_ring ring_;
};

}  // namespace mpnet
