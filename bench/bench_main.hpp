// SPDX-License-Identifier: BSD-2-Clause
// The main() of an in-process benchmark: the EAL, the thread's RCU
// registration around the run, and what the stacks retired before the EAL goes.
#pragma once

#include <benchmark/benchmark.h>

#include "mpnet/drivers/eal.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet::bench {

/// Runs the registered benchmarks (and `register_fn`'s, registered first).
inline int run_main(int argc, char** argv, const char* program, unsigned memory_mb, void (*register_fn)() = nullptr) {
    drivers::eal_options o;
    o.program = program;
    if (memory_mb) o.memory_mb = memory_mb;
    if (!drivers::eal_init(o)) return 1;
    {
        rcu_thread reg;
        if (register_fn) register_fn();
        benchmark::Initialize(&argc, argv);
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        rcu_barrier();
    }
    drivers::eal_cleanup();
    return 0;
}

}  // namespace mpnet::bench
