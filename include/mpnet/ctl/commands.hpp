// SPDX-License-Identifier: BSD-2-Clause
// The command language mpnetd reads from its file and mpnetctl sends over the
// control socket: NetBSD-style ifconfig, route, netstat, arp, ping, sysctl and
// show commands, each with a --json form. Commands are data (name, syntax,
// help, handler), registered explicitly per area; each handler is a thin
// layer over the stack API, and a failed command changes nothing.
//
// Locking notes: a command_set is used by one thread at a time (the daemon's
// control-socket thread, or a test); handlers call the stack's API, which
// takes the stack's control lock itself. The thread must be RCU-registered.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpnet/stack/stack.hpp"

namespace mpnet::ctl {

struct reply {
    int status = 0;    // 0 ok; non-zero: the command failed and changed nothing
    std::string text;  // human output, or the JSON document with --json
    /// A long command (ping) is not done yet: `later` gives its reply once
    /// it is (null until then), and is polled by whoever started it. Dropping
    /// it cancels the command.
    std::function<std::optional<reply>()> later;
};

/// What a handler gets: the stack, the arguments after the command name
/// (without --json), whether --json was asked for, and the daemon's state.
struct context;

class command_set {
public:
    using handler = std::function<reply(context&, const std::vector<std::string>&, bool json)>;

    /// Commands of every area: ifconfig, route, netstat, arp, ping, sysctl, show, help.
    explicit command_set(stack& s);
    ~command_set();
    command_set(const command_set&) = delete;
    command_set& operator=(const command_set&) = delete;

    void add(std::string name, std::string syntax, std::string help, handler h);
    /// Runs one line. Blank lines and '#' comments succeed with no output.
    /// Errors are one line ("route: writing to routing socket: File exists").
    reply execute(std::string_view line);
    /// As execute, but a long command returns at once with `later` set: the
    /// caller polls it (the control server serves other clients meanwhile).
    reply start(std::string_view line);
    /// The configuration as commands that rebuild it (ports, addresses,
    /// flags, static routes, static ARP entries, knobs): `show config`.
    std::string running_config();

    struct entry {
        std::string syntax, help;
        handler h;
    };
    const std::map<std::string, entry>& entries() const noexcept { return cmds_; }

private:
    std::map<std::string, entry> cmds_;
    std::unique_ptr<context> ctx_;
};

/// A command's name, syntax and one-line help.
struct command_doc {
    std::string_view name, syntax, help;
};
/// The built-in command table's documentation: what `help` prints, without
/// a stack (mpnetctl answers help with no daemon running).
std::vector<command_doc> command_docs();
/// `help [COMMAND]` over `docs`: every command, or one; an unknown one fails.
reply help(const std::vector<command_doc>& docs, const std::vector<std::string>& args, bool json);

/// Splits a command line into words (whitespace; '#' starts a comment).
std::vector<std::string> tokenize(std::string_view line);

}  // namespace mpnet::ctl
