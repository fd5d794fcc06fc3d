// SPDX-License-Identifier: BSD-2-Clause
// Passive references: destroy waits for references; acquire after destroy fails.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "mpnet/sync/psref.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {
namespace {

struct thing {
    psref_target ref;
    int value = 42;
};

TEST(psref, AcquireRelease) {
    thing t;
    {
        psref r(t.ref);
        EXPECT_TRUE(r);
        EXPECT_EQ(t.ref.refs(), 1u);
        psref r2(t.ref);
        EXPECT_EQ(t.ref.refs(), 2u);
        psref moved = std::move(r2);
        EXPECT_EQ(t.ref.refs(), 2u);
    }
    EXPECT_EQ(t.ref.refs(), 0u);
}

TEST(psref, DrainWaitsForHolderThatSleeps) {
    rcu_ptr<thing> p(new thing);
    std::atomic<int> phase{0};
    std::atomic<bool> freed_early{false};
    std::atomic<bool> drained{false};
    std::thread holder([&] {
        rcu_thread reg;
        thing* t = p.read();
        psref r(t->ref);
        ASSERT_TRUE(r);
        phase.store(1);
        {
            // A control operation that sleeps while holding the object.
            rcu_offline off;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (drained.load()) freed_early = true;
        EXPECT_EQ(t->value, 42);
        r.reset();
    });
    while (phase.load() < 1) std::this_thread::yield();
    thing* t = p.publish(nullptr);  // unpublish
    t->ref.drain();                 // grace period, then wait for the holder
    drained.store(true);
    EXPECT_EQ(t->ref.refs(), 0u);
    EXPECT_TRUE(t->ref.is_draining());
    delete t;
    holder.join();
    EXPECT_FALSE(freed_early.load());
}

TEST(psref, AcquireFailsOnceDraining) {
    thing t;
    t.ref.drain();  // nobody holds it: returns at once
    psref r(t.ref);
    EXPECT_FALSE(r);
    EXPECT_EQ(t.ref.refs(), 0u);
}

}  // namespace
}  // namespace mpnet
