// SPDX-License-Identifier: BSD-2-Clause
// DPDK EAL bring-up for an mpnet process: no hugepages, no PCI scan unless
// asked, a per-process file prefix, and the packet metadata dynfield.
//
// Locking notes: eal_init() and eal_cleanup() are process-level and must be
// called from the main thread before/after every stack instance.
#pragma once

#include <string>
#include <vector>

#include "mpnet/core/result.hpp"

namespace mpnet::drivers {

struct eal_options {
    std::string program = "mpnet";
    std::string file_prefix;    // default: "mpnet-<pid>"
    unsigned memory_mb = 1024;  // -m; without hugepages this is ordinary memory
    bool hugepages = false;     // false: --no-huge
    bool pci = false;           // false: --no-pci
    std::string lcores = "0";   // -l / --lcores
    std::string log_level = "*:error";
    std::vector<std::string> vdevs;  // --vdev=...
    std::vector<std::string> extra;  // passed through verbatim
};

/// Initializes EAL once per process. A second call returns ok without doing
/// anything. errc::io with the EAL's reason logged to stderr on failure.
status eal_init(const eal_options& opts = {});
bool eal_is_initialized() noexcept;
/// Releases EAL resources and removes the runtime directory of the prefix.
void eal_cleanup();
/// Removes only the runtime directory (/var/run/dpdk/<prefix>): for
/// processes that exit without eal_cleanup(), such as libFuzzer drivers.
void eal_remove_runtime_dir() noexcept;

}  // namespace mpnet::drivers
