// SPDX-License-Identifier: BSD-2-Clause
// Interop with DPDK's ipsec-secgw (the example in Debian's dpdk-doc, built
// here from its sources with the RX checksum offload that virtual ports
// lack turned off, as ../shared/reference/tunnel-peers.md says): a VPN
// between ipsec-secgw (198.18.0.1, LAN 198.19.1.0/24) and an mpnet gateway
// (198.18.0.2, LAN 198.19.2.0/24), one AES-GCM-128 tunnel SA each way.
// ipsec-secgw runs over net_pcap ports: it encrypts a capture of plaintext
// that mpnet must open and forward, and opens the ESP mpnet sent.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "../support/world.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/ctl/commands.hpp"

namespace mpnet::testing {
namespace {

void write_file(const std::string& path, const std::string& text) {
    if (FILE* f = std::fopen(path.c_str(), "w")) {
        std::fputs(text.c_str(), f);
        std::fclose(f);
    }
}

std::vector<std::vector<uint8_t>> hex_lines(const std::string& text) {
    std::vector<std::vector<uint8_t>> v;
    std::istringstream is(text);
    std::string hex;
    while (is >> hex)
        if (hex.size() > 2 && hex.find_first_not_of("0123456789abcdef") == std::string::npos) v.push_back(unhex(hex));
    return v;
}

constexpr const char* sgw_cfg = R"(sp ipv4 out esp protect 1007 pri 1 dst 198.19.2.0/24 sport 0:65535 dport 0:65535
sp ipv4 in esp protect 1008 pri 1 dst 198.19.1.0/24 sport 0:65535 dport 0:65535
sa out 1007 aead_algo aes-128-gcm aead_key 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13 mode ipv4-tunnel src 198.18.0.1 dst 198.18.0.2
sa in 1008 aead_algo aes-128-gcm aead_key 20:21:22:23:24:25:26:27:28:29:2a:2b:2c:2d:2e:2f:30:31:32:33 mode ipv4-tunnel src 198.18.0.2 dst 198.18.0.1
rt ipv4 dst 198.18.0.2/32 port 0
rt ipv4 dst 198.19.1.0/24 port 1
neigh port 0 02:00:00:00:00:02
neigh port 1 02:00:00:00:00:01
)";

// The plaintext ipsec-secgw's LAN sends, and a reader of captures.
constexpr const char* pcap_py = R"(
import sys
from scapy.all import Ether, IP, ICMP, Raw, wrpcap, rdpcap, raw
if sys.argv[1] == "plain":
    wrpcap(sys.argv[2], [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:11") /
                         IP(src="198.19.1.2", dst="198.19.2.2") / ICMP(id=0x55, seq=i) / Raw(b"secgw-to-mpnet")
                         for i in range(1, 6)], linktype=1)
elif sys.argv[1] == "empty":
    wrpcap(sys.argv[2], [], linktype=1)
else:
    for p in rdpcap(sys.argv[2]):
        print(raw(p).hex())
)";

TEST(t_ipsec_secgw, mpnet_and_ipsec_secgw_open_each_others_esp) {
    char tmpl[] = "/tmp/mpnet-secgw-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    // Build ipsec-secgw from the installed example sources.
    const std::string build = shell_output(
        "cp -r /usr/share/dpdk/examples/ipsec-secgw " + dir + "/src && sed -i "
        "'s/\\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM/.offloads = 0/' " + dir + "/src/ipsec-secgw.c && "
        "make -s -C " + dir + "/src >/dev/null 2>&1; ls " + dir + "/src/build/ipsec-secgw 2>&1");
    const std::string sgw = dir + "/src/build/ipsec-secgw";
    ASSERT_EQ(access(sgw.c_str(), X_OK), 0) << build;
    write_file(dir + "/sgw.cfg", sgw_cfg);
    write_file(dir + "/pcap.py", pcap_py);
    const std::string py = "/usr/bin/python3 " + dir + "/pcap.py ";
    shell_output(py + "plain " + dir + "/plain_in.pcap 2>&1");

    // mpnet: WAN 198.18.0.2 toward ipsec-secgw, LAN 198.19.2.254.
    world w;
    auto& wan = w.add_bus("sgw.wan");
    auto& lan = w.add_bus("sgw.lan");
    stack_config cfg = no_dad();
    cfg.forwarding = true;
    stack& s = w.add_stack("mpnet", cfg);
    w.attach(s, wan, "wan0");
    w.attach(s, lan, "lan0");
    auto lan_host = std::move(*lan.attach());
    must(s, "ifconfig wan0 inet 198.18.0.2/24 up");
    must(s, "ifconfig lan0 inet 198.19.2.254/24 up");
    must(s, "arp -s 198.18.0.1 02:00:00:00:00:02");
    must(s, "arp -s 198.19.2.2 " + lan_host->mac().str());
    must(s, "route add 198.19.1.0/24 198.18.0.1");
    must(s, "setkey add 198.18.0.1 198.18.0.2 esp 1007 -m tunnel -r 8 -E aes-gcm-16 "
          "0x000102030405060708090a0b0c0d0e0f10111213");
    must(s, "setkey add 198.18.0.2 198.18.0.1 esp 1008 -m tunnel -E aes-gcm-16 0x202122232425262728292a2b2c2d2e2f30313233");
    must(s, "setkey spdadd 198.19.2.0/24 198.19.1.0/24 any -P out ipsec esp/tunnel/198.18.0.2-198.18.0.1/require");
    must(s, "setkey spdadd 198.19.1.0/24 198.19.2.0/24 any -P in ipsec esp/tunnel/198.18.0.1-198.18.0.2/require");
    w.run_for_ms(5);

    // mpnet's ESP for ipsec-secgw: five echo requests from its LAN host.
    wan.take_capture();
    for (uint16_t i = 1; i <= 5; ++i) {
        mbuf* m = pkt_alloc(s.pool(), 14 + 20 + 8 + 14);
        ASSERT_NE(m, nullptr);
        uint8_t* p = pkt_data(m);
        std::memset(p, 0, pkt_len(m));
        const ether_addr to = s.if_get("lan0")->lladdr, from = lan_host->mac();
        std::memcpy(p, to.b.data(), 6);
        std::memcpy(p + 6, from.b.data(), 6);
        p[12] = 0x08;
        uint8_t* h = p + 14;
        h[0] = 0x45, h[3] = 20 + 8 + 14, h[8] = 64, h[9] = 1;
        h[12] = 198, h[13] = 19, h[14] = 2, h[15] = 2, h[16] = 198, h[17] = 19, h[18] = 1, h[19] = 2;
        const uint16_t ck = in_cksum(h, 20);
        std::memcpy(h + 10, &ck, 2);
        uint8_t* ic = h + 20;
        ic[0] = 8, ic[5] = 0x66, ic[7] = static_cast<uint8_t>(i);
        std::memcpy(ic + 8, "mpnet-to-secgw", 14);
        const uint16_t ick = in_cksum(ic, 8 + 14);
        std::memcpy(ic + 2, &ick, 2);
        ASSERT_EQ(lan_host->tx_burst(0, &m, 1), 1);
        w.run_for_ms(1);
    }
    w.run_for_ms(5);
    ASSERT_TRUE(wan.write_pcap(dir + "/esp_in.pcap"));
    size_t esp_sent = 0;
    for (const auto& f : wan.take_capture())
        if (f.bytes.size() > 34 && f.bytes[12] == 0x08 && f.bytes[23] == 50) ++esp_sent;
    EXPECT_EQ(esp_sent, 5u);

    // ipsec-secgw over both captures; SIGINT after 3 s (net_pcap flushes then).
    const std::string run = shell_output(
        "cd " + dir + " && timeout -s INT 3 " + sgw + " --no-huge -m 1024 -l 0 --no-pci --no-shconf "
        "--vdev crypto_aesni_mb_sgw " +
        "--vdev net_pcap0,rx_pcap=esp_in.pcap,tx_pcap=esp_out.pcap "
        "--vdev net_pcap1,rx_pcap=plain_in.pcap,tx_pcap=plain_out.pcap -- -p 0x3 -u 0x1 "
        "--config='(0,0,0),(1,0,0)' -f sgw.cfg -P 2>&1 | tail -20");

    // ipsec-secgw opened mpnet's ESP: the five requests on its LAN.
    const auto plain = hex_lines(shell_output(py + "read " + dir + "/plain_out.pcap 2>&1"));
    size_t opened = 0;
    for (const auto& f : plain) {
        const std::string t(f.begin(), f.end());
        if (t.find("mpnet-to-secgw") != std::string::npos) ++opened;
    }
    EXPECT_EQ(opened, 5u) << run;

    // mpnet opens ipsec-secgw's ESP and forwards the five requests.
    const auto esp = hex_lines(shell_output(py + "read " + dir + "/esp_out.pcap 2>&1"));
    size_t fed = 0;
    auto wan_port = std::move(*wan.attach());  // ipsec-secgw's side of the WAN
    for (auto f : esp) {
        if (f.size() < 34 || f[23] != 50) continue;
        const ether_addr to = s.if_get("wan0")->lladdr;
        std::memcpy(f.data(), to.b.data(), 6);
        mbuf* m = pkt_alloc(s.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(wan_port->tx_burst(0, &m, 1), 1);
        w.run_for_ms(2);
        ++fed;
    }
    EXPECT_EQ(fed, 5u) << run;
    size_t forwarded = 0;
    mbuf* pk[32];
    for (uint16_t n; (n = lan_host->rx_burst(0, pk, 32)) > 0;)
        for (uint16_t i = 0; i < n; ++i) {
            const std::string t(pkt_data(pk[i]), pkt_data(pk[i]) + pkt_len(pk[i]));
            if (t.find("secgw-to-mpnet") != std::string::npos) ++forwarded;
            pkt_free(pk[i]);
        }
    EXPECT_EQ(forwarded, 5u);
    EXPECT_EQ(drop_count(s, "ipsec_auth_failed"), 0u);
    std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace mpnet::testing
