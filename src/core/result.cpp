// SPDX-License-Identifier: BSD-2-Clause
// Messages for errc values.
#include "mpnet/core/result.hpp"

#include <cstring>

namespace mpnet {

std::string_view errc_message(errc e) noexcept {
    if (e == errc::ok) return "Success";
    // strerror's table is immutable for the C locale; glibc's strerrordesc_np
    // returns it without locale or buffer concerns.
    const char* s = strerrordesc_np(static_cast<int>(e));
    return s ? std::string_view(s) : std::string_view("Unknown error");
}

}  // namespace mpnet
