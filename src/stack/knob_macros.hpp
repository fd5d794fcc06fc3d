// SPDX-License-Identifier: BSD-2-Clause
// Helpers for modules that declare sysctl knobs over fields of their state.
#pragma once

#include <type_traits>

#include "mpnet/stack/module.hpp"

// A knob over an atomic of the instance (read by workers) or a plain field
// (read by the control plane): get and set as captureless lambdas.
#define MPNET_KNOB_ATOMIC(NAME, HELP, LO, HI, FIELD)                                              \
    knob {                                                                                        \
        NAME, HELP, LO, HI,                                                                       \
            [](module_ctl& c, void*) -> int64_t {                                                 \
                return static_cast<int64_t>(c.impl().FIELD.load(std::memory_order_relaxed));      \
            },                                                                                    \
            [](module_ctl& c, int64_t v, void*) {                                                 \
                using T = typename std::remove_reference_t<decltype(c.impl().FIELD)>::value_type; \
                c.impl().FIELD.store(static_cast<T>(v), std::memory_order_relaxed);               \
            }                                                                                     \
    }
#define MPNET_KNOB_FIELD(NAME, HELP, LO, HI, FIELD)                                                               \
    knob {                                                                                                        \
        NAME, HELP, LO, HI, [](module_ctl& c, void*) -> int64_t { return static_cast<int64_t>(c.impl().FIELD); }, \
            [](module_ctl& c, int64_t v, void*) {                                                                 \
                c.impl().FIELD = static_cast<std::remove_reference_t<decltype(c.impl().FIELD)>>(v);               \
            }                                                                                                     \
    }
