// SPDX-License-Identifier: BSD-2-Clause
// Links against an installed mpnet: one stack pings its own address.
#include <cstdio>

#include "mpnet/drivers/eal.hpp"
#include "mpnet/stack/stack.hpp"

int main() {
    mpnet::drivers::eal_options o;
    o.program = "mpnet-consumer";
    if (!mpnet::drivers::eal_init(o)) return 1;
    int rc = 1;
    {
        mpnet::rcu_thread reg;
        mpnet::stack s;
        auto id = s.ping_start(*mpnet::ip4_addr::parse("127.0.0.1"));
        for (int i = 0; i < 100 && id; ++i) {
            s.step();
            if (s.ping_get(*id)->done) break;
        }
        rc = (id && s.ping_get(*id)->received == 1) ? 0 : 1;
        std::printf("consumer: ping 127.0.0.1 %s\n", rc == 0 ? "answered" : "FAILED");
    }
    mpnet::rcu_barrier();
    mpnet::drivers::eal_cleanup();
    return rc;
}
