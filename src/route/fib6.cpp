// SPDX-License-Identifier: BSD-2-Clause
// IPv6 FIB: a poptrie6 snapshot published through RCU.
#include "mpnet/route/fib6.hpp"

#include "mpnet/route/poptrie6.hpp"

namespace mpnet {

struct fib6::table {
    explicit table(const std::vector<std::pair<prefix6, uint32_t>>& routes) : trie(routes), n(routes.size()) {}
    poptrie6 trie;
    size_t n;
};

static_assert(fib6::miss == poptrie6::miss);

fib6::fib6() : cur_(new table({})) {}

fib6::~fib6() { delete cur_.read(); }

void fib6::assign(const std::vector<std::pair<prefix6, uint32_t>>& routes) { cur_.replace(new table(routes)); }

uint32_t fib6::lookup(const ip6_addr& dst) const noexcept { return cur_.read()->trie.lookup(dst); }

void fib6::lookup_bulk(const ip6_addr* dst, uint32_t* nh, unsigned n) const noexcept {
    cur_.read()->trie.lookup_bulk(dst, nh, n);
}

size_t fib6::size() const noexcept { return cur_.read()->n; }

}  // namespace mpnet
