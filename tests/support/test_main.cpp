// SPDX-License-Identifier: BSD-2-Clause
// GoogleTest main for mpnet: brings up EAL once (no hugepages, own prefix) and
// registers the main thread as an RCU reader for the whole run.
#include <gtest/gtest.h>

#include "mpnet/drivers/eal.hpp"
#include "mpnet/sync/rcu.hpp"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    mpnet::drivers::eal_options o;
    o.program = "mpnet-test";
    o.memory_mb = 1024;
    if (!mpnet::drivers::eal_init(o)) return 2;
    int rc;
    {
        mpnet::rcu_thread reg;
        rc = RUN_ALL_TESTS();
        mpnet::rcu_barrier();
    }
    mpnet::drivers::eal_cleanup();
    return rc;
}
