// SPDX-License-Identifier: BSD-2-Clause
// Route flag letters and words.
#include "mpnet/route/rtflags.hpp"

#include <fmt/format.h>

#include <utility>

namespace mpnet {

std::string rtf_letters(uint32_t f) {
    // The order NetBSD's tests spell the flags in: UGHRDMCLBSpl.
    static constexpr std::pair<uint32_t, char> letters[] = {
        {rtf::up, 'U'},        {rtf::gateway, 'G'},  {rtf::host, 'H'},      {rtf::reject, 'R'},
        {rtf::dynamic, 'D'},   {rtf::modified, 'M'}, {rtf::connected, 'C'}, {rtf::llinfo, 'L'},
        {rtf::blackhole, 'B'}, {rtf::static_, 'S'},  {rtf::announce, 'p'},  {rtf::local, 'l'},
    };
    std::string s;
    for (auto& [bit, c] : letters)
        if (f & bit) s += c;
    return s;
}

std::string rtf_words(uint32_t f) {
    static constexpr std::pair<uint32_t, const char*> words[] = {
        {rtf::up, "UP"},          {rtf::gateway, "GATEWAY"},     {rtf::host, "HOST"},
        {rtf::reject, "REJECT"},  {rtf::dynamic, "DYNAMIC"},     {rtf::modified, "MODIFIED"},
        {rtf::done, "DONE"},      {rtf::connected, "CONNECTED"}, {rtf::llinfo, "LLINFO"},
        {rtf::static_, "STATIC"}, {rtf::blackhole, "BLACKHOLE"}, {rtf::announce, "PROXY"},
        {rtf::local, "LOCAL"},
    };
    std::string s = fmt::format("{:#x}<", f);
    bool first = true;
    for (auto& [bit, w] : words) {
        if (!(f & bit)) continue;
        if (!first) s += ',';
        s += w;
        first = false;
    }
    return s + ">";
}

}  // namespace mpnet
