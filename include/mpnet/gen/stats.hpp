// SPDX-License-Identifier: BSD-2-Clause
// mpgen's measurement primitives: single-writer counters, a log-linear latency
// histogram with percentiles, and the sequence-window checker that turns the
// trailer's sequence numbers into received / duplicate / reordered / lost.
//
// Locking notes: each object has one writer (mpgen's datapath lcore). Readers
// on other threads (UI, web, log) load fields with relaxed atomics, so every
// value they see is whole; a snapshot is not a consistent cut across fields.
// reset() is called by the writer only.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <limits>

namespace mpnet::gen {

/// A counter with one writer: a relaxed load and store, no locked add.
struct counter {
    std::atomic<uint64_t> v{0};
    void add(uint64_t n) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(uint64_t n) noexcept { v.store(n, std::memory_order_relaxed); }
    uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

/// Log-linear histogram (the HDR layout): values below 2^SubBits have a bucket
/// each; above, every power of two is split into 2^SubBits buckets, so the
/// relative error of a reported percentile is at most 2^-SubBits. Values at or
/// above 2^MaxBits land in the last bucket (and still count in max).
template <unsigned SubBits, unsigned MaxBits>
class log_histogram {
    static_assert(SubBits >= 1 && SubBits < MaxBits && MaxBits < 64);

public:
    static constexpr unsigned sub = 1u << SubBits;
    static constexpr unsigned buckets = (MaxBits - SubBits + 1) * sub;

    static constexpr unsigned index(uint64_t v) noexcept {
        if (v >= (uint64_t(1) << MaxBits)) v = (uint64_t(1) << MaxBits) - 1;
        if (v < sub) return unsigned(v);
        const unsigned e = 63u - unsigned(std::countl_zero(v));
        const unsigned shift = e - SubBits;
        return (shift + 1) * sub + unsigned(v >> shift) - sub;
    }
    /// Highest value that maps to bucket i.
    static constexpr uint64_t upper(unsigned i) noexcept {
        if (i < sub) return i;
        const unsigned shift = i / sub - 1;
        const uint64_t m = i % sub + sub;
        return ((m + 1) << shift) - 1;
    }
    /// Lowest value that maps to bucket i.
    static constexpr uint64_t lower(unsigned i) noexcept {
        if (i < sub) return i;
        const unsigned shift = i / sub - 1;
        return (uint64_t(i % sub + sub)) << shift;
    }

    void record(uint64_t v) noexcept {
        auto& c = count_[index(v)];
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        n_.add(1);
        sum_.add(v);
        if (v < min_.get()) min_.set(v);
        if (v > max_.get()) max_.set(v);
    }
    void reset() noexcept {
        for (auto& c : count_) c.store(0, std::memory_order_relaxed);
        n_.set(0);
        sum_.set(0);
        min_.set(std::numeric_limits<uint64_t>::max());
        max_.set(0);
    }
    uint64_t count() const noexcept { return n_.get(); }
    uint64_t sum() const noexcept { return sum_.get(); }
    uint64_t min() const noexcept { return n_.get() ? min_.get() : 0; }
    uint64_t max() const noexcept { return max_.get(); }
    double mean() const noexcept { return n_.get() ? double(sum_.get()) / double(n_.get()) : 0.0; }
    uint64_t bucket(unsigned i) const noexcept { return count_[i].load(std::memory_order_relaxed); }

    /// The value at quantile q in [0,1]: the highest value of the bucket that
    /// holds the ceil(q*n)-th sample, clamped to [min, max]. 0 when empty.
    uint64_t percentile(double q) const noexcept {
        uint64_t total = 0;
        for (auto& c : count_) total += c.load(std::memory_order_relaxed);
        if (!total) return 0;
        q = std::clamp(q, 0.0, 1.0);
        uint64_t rank = uint64_t(q * double(total));
        if (double(rank) < q * double(total)) ++rank;
        rank = std::max<uint64_t>(rank, 1);
        uint64_t seen = 0;
        for (unsigned i = 0; i < buckets; ++i) {
            seen += count_[i].load(std::memory_order_relaxed);
            if (seen >= rank) return std::clamp(upper(i), min(), max());
        }
        return max();
    }
    /// Adds another histogram's samples (reader side: merging snapshots).
    void merge(const log_histogram& o) noexcept {
        for (unsigned i = 0; i < buckets; ++i) {
            auto& c = count_[i];
            c.store(c.load(std::memory_order_relaxed) + o.bucket(i), std::memory_order_relaxed);
        }
        if (o.count()) {
            if (o.min() < min_.get()) min_.set(o.min());
            if (o.max() > max_.get()) max_.set(o.max());
        }
        n_.add(o.count());
        sum_.add(o.sum());
    }

private:
    std::array<std::atomic<uint64_t>, buckets> count_{};
    counter n_, sum_, min_{std::numeric_limits<uint64_t>::max()}, max_;
};

/// Port histograms: 32 buckets per octave (3 % error), up to 2^40 TSC ticks.
using port_histogram = log_histogram<5, 40>;
/// Flow histograms: 8 buckets per octave (12.5 % error), same range, 2.4 KiB.
using flow_histogram = log_histogram<3, 40>;

/// What one sequence checker counted.
struct seq_counts {
    uint64_t received = 0;      // every packet with a valid trailer in this epoch
    uint64_t duplicate = 0;     // a sequence number seen before (inside the window)
    uint64_t reorder = 0;       // arrived after a higher sequence number (RFC 4737)
    uint64_t out_of_range = 0;  // older than the window: late or duplicate, cannot tell
    uint64_t gaps = 0;          // arrivals that skipped past the next expected number
    uint64_t lost_aged = 0;     // holes that left the window unfilled (a live drop count)
    uint64_t stale = 0;         // sequence numbers sent before the last clear
    uint64_t unique() const noexcept { return received - duplicate - out_of_range; }
};

/// Sliding-window sequence checker over W sequence numbers (W a multiple of
/// 64). Sequence numbers start at base(); numbers below it are stale. The
/// window holds one bit per number in [top - W + 1, top].
template <unsigned W>
class seq_window {
    static_assert(W % 64 == 0 && W >= 64);

public:
    void reset(uint64_t base) noexcept {
        base_ = base;
        have_ = false;
        top_ = 0;
        bits_.fill(0);
        for (counter* c : {&c_.received, &c_.duplicate, &c_.reorder, &c_.out_of_range, &c_.gaps, &c_.lost_aged, &c_.stale})
            c->set(0);
    }
    uint64_t base() const noexcept { return base_; }
    /// A snapshot of the counts; safe from any thread.
    seq_counts counts() const noexcept {
        return {c_.received.get(), c_.duplicate.get(), c_.reorder.get(), c_.out_of_range.get(),
                c_.gaps.get(),     c_.lost_aged.get(), c_.stale.get()};
    }

    /// Result of one arrival, for per-flow roll-ups and tests.
    enum class verdict : uint8_t { in_order, gap, reorder, duplicate, out_of_range, stale };

    verdict on(uint64_t seq) noexcept {
        if (seq < base_) {
            c_.stale.add(1);
            return verdict::stale;
        }
        c_.received.add(1);
        if (!have_ || seq > top_) {
            uint64_t from = have_ ? top_ + 1 : base_;
            const bool gap = seq > from;
            if (seq - from >= W) {
                // Everything in the window leaves it; numbers between the old
                // top and seq - W never entered it.
                if (have_) {
                    const uint64_t lo = std::max(base_, from >= W ? from - W : 0);
                    for (uint64_t p = lo; p < from; ++p) c_.lost_aged.add(!test(p));
                }
                const uint64_t first_kept = seq - W + 1;
                c_.lost_aged.add(first_kept - from);
                bits_.fill(0);
                from = first_kept;
            } else {
                for (uint64_t p = from; p < seq + 1; ++p) {
                    if (p >= base_ + W && !test(p)) c_.lost_aged.add(1);  // p - W leaves the window
                    clear(p);
                }
            }
            set(seq);
            top_ = seq;
            have_ = true;
            if (gap) {
                c_.gaps.add(1);
                return verdict::gap;
            }
            return verdict::in_order;
        }
        if (top_ - seq >= W) {
            c_.out_of_range.add(1);
            return verdict::out_of_range;
        }
        if (test(seq)) {
            c_.duplicate.add(1);
            return verdict::duplicate;
        }
        set(seq);
        c_.reorder.add(1);
        return verdict::reorder;
    }

private:
    bool test(uint64_t s) const noexcept { return (bits_[(s % W) / 64] >> (s % 64)) & 1; }
    void set(uint64_t s) noexcept { bits_[(s % W) / 64] |= uint64_t(1) << (s % 64); }
    void clear(uint64_t s) noexcept { bits_[(s % W) / 64] &= ~(uint64_t(1) << (s % 64)); }

    uint64_t base_ = 0, top_ = 0;
    bool have_ = false;
    std::array<uint64_t, W / 64> bits_{};
    struct {
        counter received, duplicate, reorder, out_of_range, gaps, lost_aged, stale;
    } c_;
};

}  // namespace mpnet::gen
