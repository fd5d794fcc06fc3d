// SPDX-License-Identifier: BSD-2-Clause
// libFuzzer target: every input is one command line for the command
// language mpnetd reads from its file and its socket. Lines that would touch
// the file system or probe devices (save, arp -f, ifconfig ... create) are
// skipped; everything else runs against a live stack.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_eal.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/drivers/softlink.hpp"

namespace {
struct harness {
    mpnet::rcu_thread reg;
    mpnet::manual_clock clk;
    std::unique_ptr<mpnet::drivers::bus> bus;
    std::unique_ptr<mpnet::stack> s;
    std::unique_ptr<mpnet::ctl::command_set> cs;
};
harness* h = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mpnet::fuzz::eal_up("fuzz_command");
    h = new harness;
    h->bus = std::make_unique<mpnet::drivers::bus>("fuzz");
    mpnet::stack_config c;
    c.name = "fuzzcmd";
    c.fib_max_routes = 4096;
    c.fib_tbl8_groups = 256;
    h->s = std::make_unique<mpnet::stack>(c, &h->clk);
    auto p = h->bus->attach();
    if (!p || !h->s->if_attach("shmif0", std::move(*p))) std::abort();
    h->cs = std::make_unique<mpnet::ctl::command_set>(*h->s);
    (void)h->cs->execute("ifconfig shmif0 inet 198.18.0.1/24 up");
    if (!h->s->if_create("vlan0")) std::abort();  // a vlan interface for the vlan verbs to work on
    if (!h->s->if_create("bridge0")) std::abort();  // a bridge for brconfig to work on
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string line(reinterpret_cast<const char*>(data), size);
    if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    if (line.size() > 512 || line.find("save") != std::string::npos || line.find("-f") != std::string::npos ||
        line.find("create") != std::string::npos || line.find("ping") != std::string::npos)
        return 0;
    (void)h->cs->execute(line);
    (void)h->cs->execute(line + " --json");
    h->s->step();
    return 0;
}
