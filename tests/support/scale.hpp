// SPDX-License-Identifier: BSD-2-Clause
// How much of a heavy test to run. The release suite runs every test at full
// volume; under AddressSanitizer (5 to 20 times slower) the heaviest ones run
// a part of it: the same paths and the same checks on fewer items, so that
// the sanitizers see every path without repeating the release volume.
#pragma once

#include <cstddef>

namespace mpnet::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
#else
inline constexpr bool sanitized = false;
#endif

/// `n` in a release build; `n / div` (at least 1) under the sanitizers.
constexpr size_t scaled(size_t n, size_t div = 4) { return sanitized ? (n / div ? n / div : 1) : n; }

/// Keeps every `div`-th item of `v` under the sanitizers; all in a release build.
template <typename V>
void thin_out(V& v, size_t div = 4) {
    if (!sanitized) return;
    size_t j = 0;
    for (size_t i = 0; i < v.size(); i += div) v[j++] = v[i];
    v.resize(j);
}

}  // namespace mpnet::testing
