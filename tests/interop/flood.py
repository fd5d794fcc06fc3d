#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Hostile traffic for mpnet's flood test (test_floods.sh).

Frames are built with scapy (fuzz() for the fuzzed kinds) and sent on a raw
AF_PACKET socket of IFACE at a paced rate, bounded in count and in time.
Only the attacker's own veth inside the test's namespace is written to;
every address field is in 198.18.0.0/15 or 2001:db8::/32 (link-local and
multicast for ND); fuzzing draws the other fields.

Kinds:
  arp-fuzz     ARP with fuzzed fields (hardware/protocol types and lengths,
               operations, addresses), a quarter truncated
  arp-senders  who-has the router from SENDERS distinct on-subnet senders
               (198.19.0.0/16), every tenth from off the subnet
  ns-targets   neighbor solicitations from random sources with a source
               link-layer option, for the router's address and for random
               targets in 2001:db8:4::/64 (some unicast to the router)
  scan         packets to random hosts of the connected 198.19.0.0/16 and
               2001:db8:4::/64 through the router: it must resolve each one
  ra-prefixes  router advertisements from random link-local routers, each
               with eight random /64 prefixes
  ip6-fuzz     fuzzed IPv6: ICMPv6 of every type (ND, redirects, errors,
               echo), extension-header chains, random payloads
Prints one line: "sent N frames in S s".
"""
import argparse
import ipaddress
import random
import socket
import struct
import sys
import time

from scapy.all import (ARP, ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                       ICMPv6ND_Redirect, ICMPv6ND_RS, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                       ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, ICMPv6TimeExceeded, IP, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, UDP,
                       Ether, Raw, fuzz, raw)

POOL = 4096  # distinct frames per kind, cycled


def mac(i):
    return "02:a7:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255)


def solicited(a):
    b = ipaddress.IPv6Address(a).packed
    return "ff02::1:ff%02x:%02x%02x" % (b[13], b[14], b[15]), "33:33:ff:%02x:%02x:%02x" % (b[13], b[14], b[15])


def rand4(rnd):
    """A random address in 198.18.0.0/15."""
    return str(ipaddress.IPv4Address((198 << 24) | (18 << 16) | rnd.getrandbits(17)))


def arp_fuzz(a, rnd):
    out = []
    while len(out) < POOL:
        # fuzz() draws only the fields left at their defaults: the addresses stay ours.
        p = Ether(dst=rnd.choice(["ff:ff:ff:ff:ff:ff", a.router_mac]), src=mac(rnd.getrandbits(32))) / \
            fuzz(ARP(psrc=rand4(rnd), pdst=rnd.choice([a.router4, rand4(rnd)])))
        if rnd.random() < 0.5:  # well-formed shape, hostile contents: reaches the ARP logic
            p = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac(rnd.getrandbits(32))) / ARP(
                op=rnd.choice([1, 2, 3, 4, rnd.getrandbits(16)]), hwsrc=mac(rnd.getrandbits(32)),
                psrc=rand4(rnd), hwdst=mac(rnd.getrandbits(32)), pdst=rnd.choice([a.router4, rand4(rnd)]))
        try:
            f = raw(p)
        except Exception:  # a fuzzed value scapy itself cannot encode: draw another
            continue
        if rnd.random() < 0.25:
            f = f[:rnd.randrange(14, len(f))]
        out.append(f)
    return out


def arp_senders(a, rnd):
    # One template, patched: the sender's MAC and address change per frame.
    t = bytearray(raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac(0)) / ARP(op=1, hwsrc=mac(0), psrc="198.19.0.9",
                                                                      pdst=a.router4)))
    out = []
    hosts = rnd.sample(range(16, 65534), a.senders)
    for i, h in enumerate(hosts):
        f = bytearray(t)
        m = bytes.fromhex(mac(0x100000 + i).replace(":", ""))
        f[6:12] = m
        f[22:28] = m
        ip = (198 << 24) | (19 << 16) | h if i % 10 else (198 << 24) | (18 << 16) | (200 << 8) | (i & 255)
        f[28:32] = struct.pack("!I", ip)
        out.append(bytes(f))
    return out


def rand6(rnd, prefix):
    net = ipaddress.IPv6Network(prefix)
    return str(net.network_address + rnd.getrandbits(64))


def ns_targets(a, rnd):
    out = []
    for i in range(POOL):
        src = rand6(rnd, "2001:db8:4::/64")
        m = mac(0x200000 + i)
        tgt = a.router6 if i % 2 else rand6(rnd, "2001:db8:4::/64")
        # Multicast to the target's solicited-node group, or unicast to the
        # router (as a probe would be): the router must look at every target.
        dst, edst = solicited(tgt) if i % 4 != 2 else (a.router6, a.router_mac)
        out.append(raw(Ether(dst=edst, src=m) / IPv6(src=src, dst=dst, hlim=255) / ICMPv6ND_NS(tgt=tgt) /
                       ICMPv6NDOptSrcLLAddr(lladdr=m)))
    return out


def scan(a, rnd):
    out = []
    for i in range(POOL):
        if i % 2:
            dst = str(ipaddress.IPv4Address((198 << 24) | (19 << 16) | rnd.randrange(16, 65534)))
            out.append(raw(Ether(dst=a.router_mac, src=a.own_mac) / IP(src="198.18.2.99", dst=dst) /
                           UDP(sport=rnd.getrandbits(16), dport=9) / Raw(b"x" * 18)))
        else:
            out.append(raw(Ether(dst=a.router_mac, src=a.own_mac) /
                           IPv6(src="2001:db8:2::99", dst=rand6(rnd, "2001:db8:4::/64")) /
                           ICMPv6EchoRequest(id=i, seq=1)))
    return out


def ra_prefixes(a, rnd):
    out = []
    for i in range(POOL // 4):  # eight prefixes each: scapy builds these slowly
        m = mac(0x300000 + i)
        p = Ether(dst="33:33:00:00:00:01", src=m) / IPv6(src="fe80::a7:%x" % i, dst="ff02::1", hlim=255) / \
            ICMPv6ND_RA(routerlifetime=rnd.choice([0, 1800, 9000]), reachabletime=rnd.getrandbits(16))
        p = p / ICMPv6NDOptSrcLLAddr(lladdr=m) / ICMPv6NDOptMTU(mtu=rnd.choice([1280, 1500, 9000, 100]))
        for _ in range(8):
            pfx = "2001:db8:%x:%x::" % (rnd.getrandbits(16), rnd.getrandbits(16))
            p = p / ICMPv6NDOptPrefixInfo(prefix=pfx, prefixlen=64, L=1, A=1, validlifetime=rnd.getrandbits(32),
                                          preferredlifetime=rnd.getrandbits(32))
        out.append(raw(p))
    return out


def fuzz6(cls, rnd):
    """fuzz(cls()) with its address fields (ND targets, redirect and quoted
    destinations) drawn from 2001:db8::/32 rather than at random."""
    names = {f.name for f in cls.fields_desc}
    kw = {n: rand6(rnd, "2001:db8::/32") for n in ("tgt", "dst", "src") if n in names}
    if "addresses" in names:  # a routing header's list
        kw["addresses"] = [rand6(rnd, "2001:db8::/32") for _ in range(rnd.randrange(0, 4))]
    return fuzz(cls(**kw))


def ip6_fuzz(a, rnd):
    icmp = [ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6ND_Redirect, ICMPv6EchoRequest,
            ICMPv6PacketTooBig, ICMPv6DestUnreach, ICMPv6TimeExceeded]
    ext = [IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, IPv6ExtHdrFragment]
    sdst, sedst = solicited(a.router6)
    out = []
    for i in range(POOL):
        dst, edst = rnd.choice([(a.router6, a.router_mac), (sdst, sedst), ("ff02::1", "33:33:00:00:00:01"),
                                ("fe80::1", a.router_mac)])
        src = rnd.choice(["fe80::a7:%x" % i, rand6(rnd, "2001:db8:4::/64"), "::", "ff02::1"])
        ip = IPv6(src=src, dst=dst, hlim=rnd.choice([255, 64, 1]))
        r = rnd.random()
        if r < 0.4:
            body = fuzz6(rnd.choice(icmp), rnd)
        elif r < 0.6:
            body = fuzz6(rnd.choice(icmp), rnd) / fuzz6(IPv6, rnd) / Raw(bytes(rnd.getrandbits(8) for _ in range(24)))
        elif r < 0.8:
            body = fuzz6(rnd.choice(ext), rnd)
            for _ in range(rnd.randrange(0, 10)):
                body = body / fuzz6(rnd.choice(ext), rnd)
            body = body / fuzz6(rnd.choice(icmp), rnd)
        else:
            ip = fuzz(IPv6(src=src, dst=dst))
            body = Raw(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 80))))
        try:
            f = raw(Ether(dst=edst, src=mac(0x400000 + i)) / ip / body)
        except Exception:  # a fuzzed value scapy itself cannot encode
            continue
        if rnd.random() < 0.1:
            f = f[:rnd.randrange(14, len(f))]
        out.append(f[:1514])
    return out


KINDS = {"arp-fuzz": arp_fuzz, "arp-senders": arp_senders, "ns-targets": ns_targets, "scan": scan,
         "ra-prefixes": ra_prefixes, "ip6-fuzz": ip6_fuzz}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("iface")
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("--router-mac", required=True)
    ap.add_argument("--own-mac", default="02:a7:00:00:00:01")
    ap.add_argument("--router4", default="198.19.0.1")
    ap.add_argument("--router6", default="2001:db8:4::1")
    ap.add_argument("--senders", type=int, default=50000)
    ap.add_argument("--rate", type=int, default=20000, help="frames per second")
    ap.add_argument("--seconds", type=float, default=4.0, help="stop after this long")
    ap.add_argument("--count", type=int, default=0, help="stop after this many frames (0: --seconds only)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ready", help="file created when the frames are built and sending starts")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    random.seed(a.seed)  # scapy's fuzz() draws from the global generator
    frames = KINDS[a.kind](a, rnd)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    if a.ready:
        open(a.ready, "w").close()
    sent = 0
    start = time.monotonic()
    limit = a.count or a.rate * a.seconds * 2
    while sent < limit:
        now = time.monotonic()
        if now - start >= a.seconds:
            break
        ahead = sent / a.rate - (now - start)
        if ahead > 0:
            time.sleep(ahead)
        for f in frames[sent % len(frames):sent % len(frames) + 64]:
            try:
                s.send(f)
            except OSError:
                pass  # ENOBUFS: the veth is full; the frame is lost as on a wire
            sent += 1
    print("sent %d frames in %.1f s" % (sent, time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
