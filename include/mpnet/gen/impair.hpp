// SPDX-License-Identifier: BSD-2-Clause
// A link impairment for mpgen's own tests and demos: an RX callback on a
// receiving port that drops, duplicates or reorders the frames with chosen
// sequence numbers, and can police the link to a known frame rate (a token
// bucket driven by the frames' own TX timestamps, so the threshold does not
// depend on when the datapath thread happens to poll).
//
//   drop=S[,S...]     these sequence numbers never arrive
//   dup=S[,S...]      these arrive twice
//   reorder=S[,S...]  these arrive after the frame that followed them
//   police=PPS[/B]    at most PPS frames/s with a bucket of B frames (default 32)
// Clauses are joined with ':' ("drop=10,20:dup=30:reorder=40").
//
// Locking notes: the callback runs on the datapath thread only; counters are
// read after the run.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mpnet/gen/config.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace mpnet::gen {

struct impair_spec {
    std::set<uint64_t> drop, dup, reorder;
    double police_pps = 0;
    double police_burst = 32;
};
parsed<impair_spec> parse_impair(std::string_view s);

class impairment {
public:
    /// Installs the callback on (port, queue 0); frames for duplicates come
    /// from pool.
    static std::unique_ptr<impairment> attach(uint16_t port, rte_mempool* pool, const impair_spec& s,
                                              uint64_t tsc_hz);
    ~impairment();
    uint64_t dropped() const noexcept { return dropped_; }
    uint64_t duplicated() const noexcept { return duplicated_; }
    uint64_t reordered() const noexcept { return reordered_; }
    uint64_t policed() const noexcept { return policed_; }

    uint16_t on_rx(rte_mbuf** pkts, uint16_t n, uint16_t max);

private:
    impairment() = default;
    uint16_t port_ = 0;
    const void* cb_ = nullptr;
    rte_mempool* pool_ = nullptr;
    impair_spec s_;
    uint64_t hz_ = 0;
    double tokens_ = 0;
    uint64_t last_ts_ = 0;
    bool have_ts_ = false;
    std::vector<rte_mbuf*> held_;     // reordered: released after the next frame
    std::vector<rte_mbuf*> backlog_;  // did not fit in the caller's array
    uint64_t dropped_ = 0, duplicated_ = 0, reordered_ = 0, policed_ = 0;
};

}  // namespace mpnet::gen
