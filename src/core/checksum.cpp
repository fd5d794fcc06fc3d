// SPDX-License-Identifier: BSD-2-Clause
// Internet checksum backed by DPDK's rte_raw_cksum.
#include "mpnet/core/checksum.hpp"

#include <rte_ip.h>

namespace mpnet {

uint16_t cksum_raw(const void* data, size_t len) noexcept { return rte_raw_cksum(data, len); }

}  // namespace mpnet
