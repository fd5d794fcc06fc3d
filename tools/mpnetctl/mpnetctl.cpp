// SPDX-License-Identifier: BSD-2-Clause
// mpnetctl: sends one command to mpnetd over its control socket and prints
// the answer; the exit status is the command's.
//
//   mpnetctl [-s SOCKET] COMMAND [ARGS...] [--json]
#include <cstdio>
#include <string>

#include "mpnet/ctl/server.hpp"

int main(int argc, char** argv) {
    std::string sock = "/run/mpnetd.sock";
    int i = 1;
    if (i + 1 < argc && std::string(argv[i]) == "-s") {
        sock = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        std::fprintf(stderr, "usage: mpnetctl [-s SOCKET] COMMAND [ARGS...] [--json]   (try: mpnetctl help)\n");
        return 1;
    }
    std::string line;
    for (; i < argc; ++i) {
        if (!line.empty()) line += ' ';
        line += argv[i];
    }
    auto r = mpnet::ctl::request(sock, line);
    if (!r) {
        std::fprintf(stderr, "mpnetctl: %s: %s\n", sock.c_str(),
                     r.error() == mpnet::errc::timedout ? "no answer" : "cannot reach mpnetd");
        return 1;
    }
    std::FILE* out = r->status == 0 ? stdout : stderr;
    std::fputs(r->text.c_str(), out);
    if (!r->text.empty() && r->text.back() != '\n') std::fputc('\n', out);
    return r->status;
}
