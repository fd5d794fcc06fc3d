// SPDX-License-Identifier: BSD-2-Clause
// Route flags: NetBSD's RTF_* values, netstat letters and route(8) words.
//
// Locking notes: constants and pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace mpnet {

/// NetBSD's numeric values, so `route get` prints the same `flags: 0x843<...>`.
namespace rtf {
inline constexpr uint32_t up = 0x1;            // U
inline constexpr uint32_t gateway = 0x2;       // G
inline constexpr uint32_t host = 0x4;          // H
inline constexpr uint32_t reject = 0x8;        // R: ICMP unreachable
inline constexpr uint32_t dynamic = 0x10;      // D: created by a redirect
inline constexpr uint32_t modified = 0x20;     // M: changed by a redirect
inline constexpr uint32_t done = 0x40;         // (route get word DONE)
inline constexpr uint32_t connected = 0x100;   // C
inline constexpr uint32_t llinfo = 0x400;      // L
inline constexpr uint32_t static_ = 0x800;     // S: added by command
inline constexpr uint32_t blackhole = 0x1000;  // B: silently dropped
inline constexpr uint32_t announce = 0x20000;  // p: proxy (announce)
inline constexpr uint32_t local = 0x40000;     // l: an address of ours
}  // namespace rtf

/// netstat -rn letters in NetBSD's test strings' order ("UGS", "UHl", "UGHMS", "URCS", "UGBS").
std::string rtf_letters(uint32_t flags);
/// route get's `0x843<UP,GATEWAY,DONE,STATIC>`.
std::string rtf_words(uint32_t flags);

}  // namespace mpnet
