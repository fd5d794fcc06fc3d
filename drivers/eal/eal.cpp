// SPDX-License-Identifier: BSD-2-Clause
// EAL bring-up with the no-hugepage, per-process-prefix defaults mpnet uses.
#include "mpnet/drivers/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "mpnet/core/packet.hpp"

namespace mpnet::drivers {

namespace {
bool initialized = false;
std::string prefix_in_use;
}  // namespace

bool eal_is_initialized() noexcept { return initialized; }

status eal_init(const eal_options& o) {
    if (initialized) return {};
    std::vector<std::string> args{o.program};
    prefix_in_use = o.file_prefix.empty() ? fmt::format("mpnet-{}", getpid()) : o.file_prefix;
    args.push_back("--file-prefix=" + prefix_in_use);
    if (!o.hugepages) {
        // --in-memory is refused together with --no-huge by DPDK 22.11 (it
        // implies legacy memory); --no-shconf keeps the process self-contained.
        args.push_back("--no-huge");
        args.push_back("--no-shconf");
    }
    if (!o.pci) args.push_back("--no-pci");
    args.push_back("--no-telemetry");
    args.push_back("-m");
    args.push_back(std::to_string(o.memory_mb));
    args.push_back("--lcores=" + o.lcores);
    args.push_back("--log-level=" + o.log_level);
    for (const auto& v : o.vdevs) args.push_back("--vdev=" + v);
    for (const auto& e : o.extra) args.push_back(e);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = rte_eal_init(static_cast<int>(args.size()), argv.data());
    if (rc < 0) {
        std::fprintf(stderr, "mpnet: EAL init failed: %s\n", rte_strerror(rte_errno));
        return errc::io;
    }
    initialized = true;
    if (auto s = pkt_meta_register(); !s) return s;
    return {};
}

void eal_remove_runtime_dir() noexcept {
    // With --no-shconf the directory holds no state that outlives the process.
    std::error_code ec;
    for (const char* base : {"/var/run/dpdk/", "/run/dpdk/"}) {
        std::filesystem::path p = std::string(base) + prefix_in_use;
        if (std::filesystem::is_directory(p, ec)) std::filesystem::remove_all(p, ec);
    }
    if (const char* xdg = getenv("XDG_RUNTIME_DIR")) {  // NOLINT(concurrency-mt-unsafe): exit path
        std::filesystem::remove_all(std::filesystem::path(xdg) / "dpdk" / prefix_in_use, ec);
    }
}

void eal_cleanup() {
    if (!initialized) return;
    rte_eal_cleanup();
    initialized = false;
    eal_remove_runtime_dir();
}

}  // namespace mpnet::drivers
