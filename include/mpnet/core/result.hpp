// SPDX-License-Identifier: BSD-2-Clause
// result<T>: the control path's expected-like return type with errno-valued errors.
//
// Locking notes: value types, no shared state.
#pragma once

#include <cassert>
#include <cerrno>
#include <string_view>
#include <utility>
#include <variant>

namespace mpnet {

/// Error codes are errno values so that they read like the BSD tools' messages
/// ("File exists", "Network is unreachable") and cross process boundaries as ints.
enum class errc : int {
    ok = 0,
    perm = EPERM,
    noent = ENOENT,
    srch = ESRCH,
    io = EIO,
    again = EAGAIN,
    nomem = ENOMEM,
    busy = EBUSY,
    exist = EEXIST,
    nodev = ENODEV,
    inval = EINVAL,
    nospc = ENOSPC,
    range = ERANGE,
    nametoolong = ENAMETOOLONG,
    notsup = ENOTSUP,
    afnosupport = EAFNOSUPPORT,
    addrinuse = EADDRINUSE,
    addrnotavail = EADDRNOTAVAIL,
    netdown = ENETDOWN,
    netunreach = ENETUNREACH,
    hostunreach = EHOSTUNREACH,
    hostdown = EHOSTDOWN,
    timedout = ETIMEDOUT,
    nobufs = ENOBUFS,
    msgsize = EMSGSIZE,
};

/// strerror()-style text of an error ("File exists").
std::string_view errc_message(errc e) noexcept;

template <typename T>
class [[nodiscard]] result {
public:
    result(T v) : v_(std::move(v)) {}                  // NOLINT(google-explicit-constructor)
    result(errc e) : v_(e) { assert(e != errc::ok); }  // NOLINT(google-explicit-constructor)

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    T& value() & {
        assert(has_value());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    errc error() const noexcept {
        const errc* e = std::get_if<1>(&v_);
        return e ? *e : errc::ok;
    }

private:
    std::variant<T, errc> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(errc e) : e_(e) {}  // NOLINT(google-explicit-constructor)
    bool has_value() const noexcept { return e_ == errc::ok; }
    explicit operator bool() const noexcept { return has_value(); }
    errc error() const noexcept { return e_; }

private:
    errc e_ = errc::ok;
};

using status = result<void>;

}  // namespace mpnet
