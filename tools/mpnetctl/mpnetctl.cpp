// SPDX-License-Identifier: BSD-2-Clause
// mpnetctl: sends one command to mpnetd over its control socket and prints
// the answer; the exit status is the command's. With no command it opens a
// prompt (BSD editline: line editing and history), like vppctl. Help comes
// from the same command table the daemon executes, with no daemon needed.
//
//   mpnetctl [-s SOCKET] COMMAND [ARGS...] [--json]
//   mpnetctl [-s SOCKET]                 (interactive)
//   mpnetctl help [COMMAND] | --help
#include <editline/readline.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mpnet/ctl/commands.hpp"
#include "mpnet/ctl/server.hpp"

namespace {

constexpr const char* usage =
    "usage: mpnetctl [-s SOCKET] COMMAND [ARGS...] [--json]\n"
    "       mpnetctl [-s SOCKET]          an interactive prompt (quit or ^D to leave)\n"
    "       mpnetctl help [COMMAND]       the commands mpnetd understands\n";

// help [COMMAND] [--json], answered here from the command table.
int local_help(const std::vector<std::string>& words) {
    std::vector<std::string> args;
    bool js = false;
    for (size_t i = 1; i < words.size(); ++i) {
        if (words[i] == "--json")
            js = true;
        else
            args.push_back(words[i]);
    }
    const auto r = mpnet::ctl::help(mpnet::ctl::command_docs(), args, js);
    std::FILE* out = r.status == 0 ? stdout : stderr;
    std::fputs(r.text.c_str(), out);
    if (!r.text.empty() && r.text.back() != '\n') std::fputc('\n', out);
    return r.status;
}

// One command line to the daemon; its answer printed; its status returned.
int send(const std::string& sock, const std::string& line) {
    auto r = mpnet::ctl::request(sock, line);
    if (!r) {
        std::fprintf(stderr, "mpnetctl: %s: %s\n", sock.c_str(),
                     r.error() == mpnet::errc::timedout ? "no answer" : "cannot reach mpnetd");
        return 1;
    }
    std::FILE* out = r->status == 0 ? stdout : stderr;
    std::fputs(r->text.c_str(), out);
    if (!r->text.empty() && r->text.back() != '\n') std::fputc('\n', out);
    std::fflush(out);
    return r->status;
}

int interactive(const std::string& sock) {
    std::string hist;
    if (const char* home = std::getenv("HOME"); home && *home) hist = std::string(home) + "/.mpnetctl_history";
    using_history();
    stifle_history(1000);
    if (!hist.empty()) read_history(hist.c_str());
    const bool tty = isatty(STDIN_FILENO) != 0;
    if (tty) std::printf("mpnetctl: %s (help lists the commands, quit leaves)\n", sock.c_str());
    int last = 0;
    while (char* raw = readline(tty ? "mpnetctl> " : "")) {
        std::string line(raw);
        std::free(raw);
        const auto words = mpnet::ctl::tokenize(line);
        if (words.empty()) continue;
        add_history(line.c_str());
        if (words[0] == "quit" || words[0] == "exit") break;
        last = words[0] == "help" ? local_help(words) : send(sock, line);
    }
    if (!hist.empty()) write_history(hist.c_str());
    return last;
}

}  // namespace

int main(int argc, char** argv) {
    std::string sock = "/run/mpnetd.sock";
    int i = 1;
    if (i < argc && (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h")) {
        std::fputs(usage, stdout);
        return local_help({"help"});
    }
    if (i < argc && std::string(argv[i]) == "-s") {
        if (i + 1 >= argc) {
            std::fputs(usage, stderr);
            return 1;
        }
        sock = argv[i + 1];
        i += 2;
    }
    if (i >= argc) return interactive(sock);
    std::vector<std::string> words(argv + i, argv + argc);
    if (words[0] == "help") return local_help(words);
    std::string line;
    for (const auto& w : words) {
        if (!line.empty()) line += ' ';
        line += w;
    }
    return send(sock, line);
}
