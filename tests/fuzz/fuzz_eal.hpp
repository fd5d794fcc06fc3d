// SPDX-License-Identifier: BSD-2-Clause
// EAL bring-up shared by the libFuzzer drivers.
#pragma once

#include <cstdlib>

#include "mpnet/drivers/eal.hpp"

namespace mpnet::fuzz {

/// EAL with 512 MiB; aborts on failure. libFuzzer ends with exit(), so the
/// runtime directory is removed from an atexit handler.
inline void eal_up(const char* program) {
    drivers::eal_options o;
    o.program = program;
    o.memory_mb = 512;
    if (!drivers::eal_init(o)) std::abort();
    std::atexit([] { drivers::eal_remove_runtime_dir(); });
}

}  // namespace mpnet::fuzz
