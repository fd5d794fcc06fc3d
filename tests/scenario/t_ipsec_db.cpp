// SPDX-License-Identifier: BSD-2-Clause
// IPsec's SAD and SPD through setkey, the parts of NetBSD's tests/net/ipsec
// that need no ESP on the wire yet: t_ipsec_esp_keys (every valid key
// length of every algorithm is taken and listed, every invalid one refused
// with "Invalid key length" and nothing created; null with a key is a
// syntax error), common.sh's flush and listing checks (`No SAD entries.`,
// `No SPD entries.`, `L[any] R[any] 255(reserved)`), t_ipsec_misc's
// lifetime (an SA with a 1 s hard lifetime is gone after 3 s; a soft one
// makes it dying) and update_sa/update_sp, and what a demanding user
// expects besides: overlapping SPIs, unknown algorithms and malformed
// policies refused with a reason and nothing changed, --json listings.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "../support/world.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/modules/ipsec.hpp"

namespace mpnet::testing {
namespace {

struct node {
    world w;
    stack& s = w.add_stack("ipsecdb");
    ctl::command_set c{s};
    ctl::reply run(const std::string& line) { return c.execute(line); }
    void ok(const std::string& line) {
        const ctl::reply r = c.execute(line);
        EXPECT_EQ(r.status, 0) << line << ": " << r.text;
        EXPECT_EQ(r.text, "") << line;  // setkey -c prints nothing on success
    }
    std::string text(const std::string& line) {
        const ctl::reply r = c.execute(line);
        EXPECT_EQ(r.status, 0) << line << ": " << r.text;
        return r.text;
    }
};

// A key of `bits` bits as NetBSD's generate_key makes it: a quoted string of a's.
std::string key(unsigned bits) { return "\"" + std::string(bits / 8, 'a') + "\""; }

struct algo_case {
    const char* name;
    std::vector<unsigned> valid, invalid;
};

// algorithms.sh's tables for the algorithms mpnet builds (esp -E), and the
// HMACs (-A, with rijndael-cbc 128 for -E).
const algo_case enc_cases[] = {
    {"rijndael-cbc", {128, 192, 256}, {64, 120, 136, 512}},
    {"aes-cbc", {128, 192, 256}, {0, 64, 160}},
    {"aes-gcm-16", {160, 224, 288}, {128, 192, 256, 296}},
};
const algo_case auth_cases[] = {
    {"hmac-sha1", {160}, {128, 168}},
    {"hmac-sha256", {256}, {128, 264}},
    {"hmac-sha384", {384}, {256, 392}},
    {"hmac-sha512", {512}, {256, 520}},
};

TEST(t_ipsec_esp_keys, every_valid_key_is_taken_and_every_invalid_one_refused) {
    node n;
    for (const algo_case& a : enc_cases) {
        for (unsigned bits : a.valid) {
            const bool gcm = std::string(a.name) == "aes-gcm-16";
            n.ok(fmt::format("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E {} {}{};", a.name, key(bits),
                             gcm ? "" : " -A hmac-sha256 " + key(256)));
            EXPECT_NE(n.text("setkey -D").find("198.18.0.1 198.18.0.2"), std::string::npos) << a.name << " " << bits;
            n.ok("setkey delete 198.18.0.1 198.18.0.2 esp 10000;");
            EXPECT_EQ(n.text("setkey -D"), "No SAD entries.\n");
        }
        for (unsigned bits : a.invalid) {
            const ctl::reply r =
                n.run(fmt::format("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E {} {};", a.name,
                                  bits ? key(bits) : std::string("\"\"")));
            EXPECT_NE(r.status, 0) << a.name << " " << bits;
            EXPECT_NE(r.text.find("Invalid key length"), std::string::npos) << a.name << " " << bits << ": " << r.text;
            EXPECT_EQ(n.text("setkey -D"), "No SAD entries.\n");
        }
    }
    for (const algo_case& a : auth_cases) {
        for (unsigned bits : a.valid) {
            n.ok(fmt::format("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E rijndael-cbc {} -A {} {}", key(128),
                             a.name, key(bits)));
            n.ok("setkey delete 198.18.0.1 198.18.0.2 esp 10000");
        }
        for (unsigned bits : a.invalid) {
            const ctl::reply r = n.run(fmt::format("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E rijndael-cbc {} -A {} {}",
                                                   key(128), a.name, key(bits)));
            EXPECT_NE(r.text.find("Invalid key length"), std::string::npos) << a.name << " " << bits << ": " << r.text;
        }
    }
    // null: no key; with one it is setkey's syntax error. Authentication-only ESP.
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E null -A hmac-sha1 " + key(160));
    const ctl::reply r = n.run("setkey add 198.18.0.1 198.18.0.2 esp 10001 -E null " + key(8) + " -A hmac-sha1 " + key(160));
    EXPECT_NE(r.text.find("syntax error"), std::string::npos) << r.text;
    EXPECT_EQ(ipsec::sa_list(n.s).size(), 1u);
}

// common.sh: the listings both ways, and flushes that print nothing.
TEST(t_ipsec_db, listings_in_setkeys_format_and_flushes) {
    node n;
    EXPECT_EQ(n.text("setkey -D"), "No SAD entries.\n");
    EXPECT_EQ(n.text("setkey -D -P"), "No SPD entries.\n");
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -m transport -E rijndael-cbc 0x00112233445566778899aabbccddeeff "
         "-A hmac-sha256 " + key(256) + ";");
    n.ok("setkey add 198.18.0.2 198.18.0.1 esp 0x2711 -E aes-gcm-16 " + key(160) + ";");
    n.ok("setkey spdadd 198.18.0.1 198.18.0.2 any -P out ipsec esp/transport//require;");
    n.ok("setkey spdadd 198.18.0.2 198.18.0.1 any -P in ipsec esp/transport//require;");
    n.ok("setkey spdadd 198.18.1.0/24 198.18.2.0/24[80] tcp -P out ipsec esp/tunnel/198.19.0.1-198.19.0.2/unique:7");
    const std::string sad = n.text("setkey -D");
    EXPECT_NE(sad.find("198.18.0.1 198.18.0.2 \n\tesp mode=transport spi=10000(0x00002710) reqid=0(0x00000000)\n"),
              std::string::npos)
        << sad;
    EXPECT_NE(sad.find("\tE: rijndael-cbc  00112233 44556677 8899aabb ccddeeff\n"), std::string::npos) << sad;
    EXPECT_NE(sad.find("\tA: hmac-sha256  61616161"), std::string::npos) << sad;
    EXPECT_NE(sad.find("198.18.0.2 198.18.0.1 \n\tesp mode=any spi=10001(0x00002711)"), std::string::npos) << sad;
    EXPECT_NE(sad.find("state=mature"), std::string::npos);
    const std::string spd = n.text("setkey -D -P");
    EXPECT_NE(spd.find("198.18.0.1[any] 198.18.0.2[any] 255(reserved)\n\tout ipsec\n\tesp/transport//require\n"),
              std::string::npos)
        << spd;
    EXPECT_NE(spd.find("198.18.0.2[any] 198.18.0.1[any] 255(reserved)\n\tin ipsec\n"), std::string::npos) << spd;
    EXPECT_NE(spd.find("198.18.1.0/24[any] 198.18.2.0/24[80] 6(tcp)\n\tout ipsec\n\tesp/tunnel/198.19.0.1-198.19.0.2/unique:7\n"),
              std::string::npos)
        << spd;
    // get shows one; --json lists what the text does.
    EXPECT_NE(n.text("setkey get 198.18.0.1 198.18.0.2 esp 10000").find("spi=10000"), std::string::npos);
    auto j = nlohmann::json::parse(n.text("setkey -D --json"));  // by destination, then SPI
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["spi"], 10001);
    EXPECT_EQ(j[0]["enc"], "aes-gcm-16");
    EXPECT_FALSE(j[0].contains("auth"));
    EXPECT_EQ(j[1]["spi"], 10000);
    EXPECT_EQ(j[1]["enc"], "rijndael-cbc");
    EXPECT_EQ(j[1]["auth"], "hmac-sha256");
    EXPECT_EQ(j[1]["mode"], "transport");
    auto jp = nlohmann::json::parse(n.text("setkey -D -P --json"));
    ASSERT_EQ(jp.size(), 3u);
    EXPECT_EQ(jp[2]["tunnel"][1], "198.19.0.2");
    EXPECT_EQ(jp[2]["reqid"], 7);
    EXPECT_EQ(jp[2]["dport"], 80);
    // The flushes print nothing and leave nothing.
    n.ok("setkey -F");
    n.ok("setkey -F -P");
    EXPECT_EQ(n.text("setkey -D"), "No SAD entries.\n");
    EXPECT_EQ(n.text("setkey -D -P"), "No SPD entries.\n");
}

TEST(t_ipsec_db, ipv6_sas_and_policies_and_esp_in_udp) {
    node n;
    n.ok("setkey add 2001:db8::1 2001:db8::2 esp 10000 -m tunnel -E aes-gcm-16 " + key(288));
    n.ok("setkey add 198.18.1.2 [4500] 198.18.0.2 [4500] esp-udp 10002 -E rijndael-cbc " + key(128) +
         " -A hmac-sha1 " + key(160));
    n.ok("setkey spdadd 2001:db8:1::/64 2001:db8:2::/64 any -P out ipsec esp/tunnel/2001:db8::1-2001:db8::2/require");
    n.ok("setkey spdadd 2001:db8:1::/64 2001:db8:2::/64 any -P in ipsec esp/tunnel/2001:db8::2-2001:db8::1/use");
    // v4 inner over a v6 tunnel (t_ipsec_tunnel_odd's shape).
    n.ok("setkey spdadd 198.18.1.0/24 198.18.2.0/24 any -P out ipsec esp/tunnel/2001:db8::1-2001:db8::2/require");
    const std::string sad = n.text("setkey -D");
    EXPECT_NE(sad.find("2001:db8::1 2001:db8::2 \n\tesp mode=tunnel spi=10000"), std::string::npos) << sad;
    EXPECT_NE(sad.find("198.18.1.2[4500] 198.18.0.2[4500] \n\tesp-udp mode=any spi=10002"), std::string::npos) << sad;
    const std::string spd = n.text("setkey -D -P");
    EXPECT_NE(spd.find("2001:db8:1::/64[any] 2001:db8:2::/64[any] 255(reserved)\n\tout ipsec\n"
                       "\tesp/tunnel/2001:db8::1-2001:db8::2/require\n"),
              std::string::npos)
        << spd;
    EXPECT_NE(spd.find("\tin ipsec\n\tesp/tunnel/2001:db8::2-2001:db8::1/use\n"), std::string::npos) << spd;
    n.ok("setkey spddelete 2001:db8:1::/64 2001:db8:2::/64 any -P in");
    EXPECT_EQ(ipsec::sp_list(n.s).size(), 2u);
}

// save writes setkey statements that rebuild both databases; show limits
// counts them against their limits.
TEST(t_ipsec_db, save_rebuilds_both_databases_and_limits_count_them) {
    node a;
    a.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -m tunnel -u 5 -r 8 -lh 600 -ls 500 -bh 1000000 -bs 900000 "
         "-E rijndael-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha512 " + key(512));
    a.ok("setkey add 198.18.1.2 [4501] 198.18.0.2 [4500] esp-udp 10002 -E aes-gcm-16 " + key(288));
    a.ok("setkey add 2001:db8::1 2001:db8::2 esp 10003 -E null -A hmac-sha1 " + key(160));
    a.ok("setkey spdadd 198.18.1.0/24[any] 198.18.2.0/24[443] tcp -P out ipsec esp/tunnel/198.19.0.1-198.19.0.2/unique:5");
    a.ok("setkey spdadd 198.18.0.1 198.18.0.2 any -P in discard");
    a.ok("setkey spdadd 2001:db8::/64 2001:db8:1::/64 icmp6 -P out none");
    const std::string cfg = a.c.running_config();
    node b;
    size_t lines = 0;
    for (size_t p = 0, q; (q = cfg.find('\n', p)) != std::string::npos; p = q + 1) {
        const std::string line = cfg.substr(p, q - p);
        if (line.rfind("setkey ", 0) != 0) continue;
        b.ok(line);
        ++lines;
    }
    EXPECT_EQ(lines, 6u) << cfg;
    EXPECT_EQ(b.text("setkey -D"), a.text("setkey -D"));
    EXPECT_EQ(b.text("setkey -D -P"), a.text("setkey -D -P"));
    bool sas = false, sps = false;
    for (const auto& l : b.s.limits_list()) {
        if (l.name == "ipsec SAs") sas = l.used == 3 && l.max == ipsec::sad_max;
        if (l.name == "ipsec SPs") sps = l.used == 3 && l.max == ipsec::spd_max;
    }
    EXPECT_TRUE(sas);
    EXPECT_TRUE(sps);
}

// Refused with a reason, nothing changed.
TEST(t_ipsec_db, bad_requests_change_nothing) {
    node n;
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E rijndael-cbc " + key(128) + " -A hmac-sha256 " + key(256));
    n.ok("setkey spdadd 198.18.0.1 198.18.0.2 any -P out ipsec esp/transport//require");
    const std::string sad = n.text("setkey -D"), spd = n.text("setkey -D -P");
    struct bad {
        std::string line, says;
    };
    for (const bad& b : std::vector<bad>{
             // The SPI already names an SA to this destination (from any source).
             {"setkey add 198.18.0.1 198.18.0.2 esp 10000 -E rijndael-cbc " + key(128) + " -A hmac-sha1 " + key(160),
              "File exists"},
             {"setkey add 198.18.0.9 198.18.0.2 esp 10000 -E rijndael-cbc " + key(128) + " -A hmac-sha1 " + key(160),
              "File exists"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E des-cbc " + key(64), "unknown algorithm"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E rijndael-cbc " + key(128) + " -A hmac-md5 " + key(128),
              "unknown algorithm"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E hmac-sha1 " + key(160), "not an encryption algorithm"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E aes-gcm-16 " + key(160) + " -A hmac-sha1 " + key(160),
              "authenticates itself"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 200 -E aes-gcm-16 " + key(160), "reserved"},
             {"setkey add 198.18.0.1 2001:db8::3 esp 10000 -E aes-gcm-16 " + key(160), "two families"},
             {"setkey add 198.18.0.1 198.18.0.3 ah 10000 -A hmac-sha1 " + key(160), "unsupported protocol"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E null", "needs an authentication algorithm"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E rijndael-cbc 0x0011", "Invalid key length"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E rijndael-cbc 0x00zz", "not a key"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E aes-gcm-16 " + key(160) + " -lh 10 -ls 20", "soft lifetime"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E aes-gcm-16 " + key(160) + " -m beet", "transport, tunnel"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E aes-gcm-16 " + key(160) + " -r 64", "0..32"},
             {"setkey add 198.18.0.1 198.18.0.3 esp 10000 -E aes-gcm-16", "key is missing"},
             {"setkey add 198.18.0.1 198.18.0.3 esp", "not an SPI"},
             {"setkey add 198.18.0.x 198.18.0.3 esp 10000", "not an address"},
             {"setkey update 198.18.0.1 198.18.0.2 esp 10001 -E aes-gcm-16 " + key(160), "No such file"},
             {"setkey delete 198.18.0.9 198.18.0.2 esp 10000", "No such file"},
             {"setkey spdadd 198.18.0.1 198.18.0.2 any -P out ipsec esp/transport//require", "File exists"},
             {"setkey spdadd 198.18.0.1 2001:db8::2 any -P out none", "family"},
             {"setkey spdadd 198.18.0.1 198.18.0.2 any -P sideways none", "in or out"},
             {"setkey spdadd 198.18.0.1 198.18.0.2 any -P in ipsec ah/transport//require", "unsupported protocol"},
             {"setkey spdadd 198.18.0.1 198.18.0.2 any -P in ipsec esp/tunnel//require", "SRC-DST"},
             {"setkey spdadd 198.18.0.1 198.18.0.2 any -P in ipsec esp/tunnel/198.18.0.1-2001:db8::2/require",
              "two families"},
             {"setkey spdadd 198.18.0.1 198.18.0.2 any -P in ipsec esp/transport//sometimes", "level"},
             {"setkey spdadd 198.18.0.1 198.18.0.2 bogus -P in none", "upper-layer"},
             {"setkey spdadd 198.18.0.1[99999] 198.18.0.2 any -P in none", "port"},
             {"setkey spdupdate 198.18.0.1 198.18.0.2 any -P in none", "No such file"},
             {"setkey spddelete 198.18.0.1 198.18.0.2 any -P in", "No such file"},
             {"setkey frobnicate", "unknown command"},
         }) {
        const ctl::reply r = n.run(b.line);
        EXPECT_NE(r.status, 0) << b.line;
        EXPECT_NE(r.text.find(b.says), std::string::npos) << b.line << ": " << r.text;
        EXPECT_EQ(r.text.find('\n'), std::string::npos) << "one line: " << r.text;
    }
    EXPECT_EQ(n.text("setkey -D"), sad);
    EXPECT_EQ(n.text("setkey -D -P"), spd);
}

// t_ipsec_misc's lifetime and update cases, on virtual time.
TEST(t_ipsec_misc, lifetimes_remove_and_age_sas_and_updates_replace_them) {
    node n;
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E rijndael-cbc " + key(128) + " -A hmac-sha1 " + key(160) +
         " -lh 1 -ls 1");
    n.ok("setkey add 198.18.0.2 198.18.0.1 esp 10001 -E rijndael-cbc " + key(128) + " -A hmac-sha1 " + key(160) +
         " -lh 1 -ls 1");
    n.w.run_virtual_ms(3000);
    EXPECT_EQ(n.text("setkey -D"), "No SAD entries.\n");
    // Soft before hard: dying, then gone.
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E aes-gcm-16 " + key(160) + " -ls 2 -lh 5");
    n.w.run_virtual_ms(1000);
    EXPECT_NE(n.text("setkey -D").find("state=mature"), std::string::npos);
    n.w.run_virtual_ms(1500);
    const std::string dying = n.text("setkey -D");
    EXPECT_NE(dying.find("state=dying"), std::string::npos) << dying;
    EXPECT_NE(dying.find("diff: 2(s)\thard: 5(s)\tsoft: 2(s)"), std::string::npos) << dying;
    // update: new keys, lifetimes and age; the old lifetime timers no longer apply.
    n.ok("setkey update 198.18.0.1 198.18.0.2 esp 10000 -E aes-gcm-16 " + key(224) + " -lh 10");
    n.w.run_virtual_ms(4000);  // past the first add's hard lifetime
    auto sa = ipsec::sa_get(n.s, *ipsec::addr::parse("198.18.0.1"), *ipsec::addr::parse("198.18.0.2"), 10000);
    ASSERT_TRUE(sa.has_value());
    EXPECT_FALSE(sa->dying);
    EXPECT_EQ(sa->spec.enc_key.size(), 28u);
    EXPECT_EQ(sa->spec.hard_s, 10u);
    n.w.run_virtual_ms(7000);
    EXPECT_EQ(n.text("setkey -D"), "No SAD entries.\n");
    // Updates and deletes cancel the timers they replace (the stack's
    // periodic timers hide the heap from next_deadline_ns: run for the
    // sanitizers), and a lifetime past 2^32 - 1 seconds is refused.
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 30000 -E aes-gcm-16 " + key(160) + " -lh 4000 -ls 3000");
    for (int i = 0; i < 3; ++i)
        n.ok("setkey update 198.18.0.1 198.18.0.2 esp 30000 -E aes-gcm-16 " + key(160) + " -lh 4000 -ls 3000");
    n.ok("setkey delete 198.18.0.1 198.18.0.2 esp 30000");
    EXPECT_NE(n.run("setkey add 198.18.0.1 198.18.0.2 esp 30001 -E aes-gcm-16 " + key(160) + " -lh 4294967296").status, 0);
    // spdupdate replaces the policy of that selector and direction.
    n.ok("setkey spdadd 198.18.0.1 198.18.0.2 any -P out ipsec esp/transport//require");
    n.ok("setkey spdupdate 198.18.0.1 198.18.0.2 any -P out ipsec esp/transport//use");
    const std::string spd = n.text("setkey -D -P");
    EXPECT_NE(spd.find("esp/transport//use"), std::string::npos) << spd;
    EXPECT_EQ(spd.find("require"), std::string::npos) << spd;
    // deleteall: every SA between the two, either SPI.
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 20000 -E aes-gcm-16 " + key(160));
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 20001 -E aes-gcm-16 " + key(160));
    n.ok("setkey add 198.18.0.2 198.18.0.1 esp 20002 -E aes-gcm-16 " + key(160));
    n.ok("setkey deleteall 198.18.0.1 198.18.0.2 esp");
    ASSERT_EQ(ipsec::sa_list(n.s).size(), 1u);
    EXPECT_EQ(ipsec::sa_list(n.s)[0].spec.spi, 20002u);
}

ipsec::addr A(const char* s) { return *ipsec::addr::parse(s); }

// t_ipsec_misc's spi cases at the choice itself (ESP on the wire is not
// built yet): SPI 10000, then 10010, then 10020 between the same two
// hosts; the newest is used, or with net.key.prefered_oldsa=1 the oldest;
// when the newest is deleted or times out, the one before it.
TEST(t_ipsec_misc, spi_preferred_new_or_old_with_delete_and_timeout) {
    for (bool timeout : {false, true}) {
        node n;
        n.ok("setkey spdadd 198.18.0.1 198.18.0.2 any -P out ipsec esp/transport//require");
        const auto sp = ipsec::sp_match(n.s, ipsec::dir::out, A("198.18.0.1"), A("198.18.0.2"), 1);
        ASSERT_TRUE(sp.has_value());
        auto spi = [&] {
            auto r = ipsec::sa_select(n.s, sp->spec, A("198.18.0.1"), A("198.18.0.2"));
            return r ? r->spec.spi : 0u;
        };
        EXPECT_EQ(spi(), 0u);  // nosa: a require policy with no SA
        n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E aes-gcm-16 " + key(160) + " -lh 100");
        n.ok("setkey add 198.18.0.2 198.18.0.1 esp 10001 -E aes-gcm-16 " + key(160) + " -lh 100");
        EXPECT_EQ(spi(), 10000u);
        n.w.run_virtual_ms(100);
        n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10010 -E aes-gcm-16 " + key(160) + (timeout ? " -lh 6" : " -lh 100"));
        EXPECT_EQ(spi(), 10010u);
        n.w.run_virtual_ms(100);
        n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10020 -E aes-gcm-16 " + key(160) + (timeout ? " -lh 3" : " -lh 100"));
        EXPECT_EQ(spi(), 10020u);
        EXPECT_EQ(n.text("sysctl -w net.key.prefered_oldsa=1"), "net.key.prefered_oldsa: 0 -> 1\n");
        EXPECT_EQ(spi(), 10000u);
        EXPECT_EQ(n.text("sysctl -w net.key.prefered_oldsa=0"), "net.key.prefered_oldsa: 1 -> 0\n");
        if (timeout) {
            n.w.run_virtual_ms(3500);
            EXPECT_EQ(spi(), 10010u);
            n.w.run_virtual_ms(3000);
            EXPECT_EQ(spi(), 10000u);
        } else {
            n.ok("setkey delete 198.18.0.1 198.18.0.2 esp 10020");
            EXPECT_EQ(spi(), 10010u);
            n.ok("setkey delete 198.18.0.1 198.18.0.2 esp 10010");
            EXPECT_EQ(spi(), 10000u);
        }
        // A dying SA gives way to a mature one whatever their ages.
        n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10030 -E aes-gcm-16 " + key(160) + " -ls 1 -lh 50");
        EXPECT_EQ(spi(), 10030u);
        n.w.run_virtual_ms(1500);
        EXPECT_EQ(spi(), 10000u);
    }
}

// t_ipsec_misc's multiple_sa: one policy toward 0.0.0.0/0; an SA to
// 198.18.0.2 only serves .2, .3 needs its own; the policy is not changed
// by it. Tunnel mode takes the SA between the endpoints; unique:N its reqid.
TEST(t_ipsec_misc, multiple_sa_and_what_each_policy_takes) {
    node n;
    n.ok("setkey spdadd 198.18.0.1 0.0.0.0/0 any -P out ipsec esp/transport//require");
    auto sp = ipsec::sp_match(n.s, ipsec::dir::out, A("198.18.0.1"), A("198.18.0.3"));
    ASSERT_TRUE(sp.has_value());
    n.ok("setkey add 198.18.0.1 198.18.0.2 esp 10000 -E aes-gcm-16 " + key(160));
    EXPECT_TRUE(ipsec::sa_select(n.s, sp->spec, A("198.18.0.1"), A("198.18.0.2")).has_value());
    EXPECT_FALSE(ipsec::sa_select(n.s, sp->spec, A("198.18.0.1"), A("198.18.0.3")).has_value());
    n.ok("setkey add 198.18.0.1 198.18.0.3 esp 10001 -E aes-gcm-16 " + key(160));
    EXPECT_EQ(ipsec::sa_select(n.s, sp->spec, A("198.18.0.1"), A("198.18.0.3"))->spec.spi, 10001u);
    const std::string spd = n.text("setkey -D -P");
    EXPECT_NE(spd.find("esp/transport//require"), std::string::npos);
    EXPECT_EQ(ipsec::sp_list(n.s).size(), 1u);
    // Tunnel mode: the endpoints' SA, not the packet's addresses'; a
    // transport-mode SA does not serve it; unique:7 wants reqid 7.
    n.ok("setkey spdadd 198.18.1.0/24 198.18.2.0/24 any -P out ipsec esp/tunnel/198.19.0.1-198.19.0.2/unique:7");
    auto tsp = ipsec::sp_match(n.s, ipsec::dir::out, A("198.18.1.5"), A("198.18.2.9"), 17, 1000, 53);
    ASSERT_TRUE(tsp.has_value());
    EXPECT_EQ(tsp->spec.m, ipsec::mode::tunnel);
    n.ok("setkey add 198.19.0.1 198.19.0.2 esp 10100 -m transport -u 7 -E aes-gcm-16 " + key(160));
    n.ok("setkey add 198.19.0.1 198.19.0.2 esp 10101 -m tunnel -u 6 -E aes-gcm-16 " + key(160));
    EXPECT_FALSE(ipsec::sa_select(n.s, tsp->spec, A("198.18.1.5"), A("198.18.2.9")).has_value());
    n.ok("setkey add 198.19.0.1 198.19.0.2 esp 10102 -m tunnel -u 7 -E aes-gcm-16 " + key(160));
    EXPECT_EQ(ipsec::sa_select(n.s, tsp->spec, A("198.18.1.5"), A("198.18.2.9"))->spec.spi, 10102u);
}

// The first matching policy in the order added; direction, protocol,
// ports and family all count.
TEST(t_ipsec_db, policies_match_by_selector_in_order) {
    node n;
    n.ok("setkey spdadd 198.18.1.0/24[any] 198.18.2.0/24[80] tcp -P out discard");
    n.ok("setkey spdadd 198.18.1.0/24 198.18.2.0/24 any -P out ipsec esp/transport//use");
    n.ok("setkey spdadd 198.18.0.0/15 0.0.0.0/0 any -P out none");
    n.ok("setkey spdadd 2001:db8::/32 ::/0 icmp6 -P in ipsec esp/transport//require");
    auto act = [&](ipsec::dir d, const char* a, const char* b, uint8_t ulp, uint16_t sp, uint16_t dp) -> std::string {
        auto r = ipsec::sp_match(n.s, d, A(a), A(b), ulp, sp, dp);
        if (!r) return "-";
        return r->spec.act == ipsec::action::none ? "none" : r->spec.act == ipsec::action::discard ? "discard" : "ipsec";
    };
    EXPECT_EQ(act(ipsec::dir::out, "198.18.1.1", "198.18.2.1", 6, 40000, 80), "discard");
    EXPECT_EQ(act(ipsec::dir::out, "198.18.1.1", "198.18.2.1", 6, 40000, 443), "ipsec");
    EXPECT_EQ(act(ipsec::dir::out, "198.18.1.1", "198.18.2.1", 17, 40000, 80), "ipsec");
    EXPECT_EQ(act(ipsec::dir::out, "198.18.1.1", "198.18.3.1", 17, 1, 2), "none");
    EXPECT_EQ(act(ipsec::dir::in, "198.18.1.1", "198.18.2.1", 6, 40000, 80), "-");
    EXPECT_EQ(act(ipsec::dir::out, "203.0.113.1", "198.18.2.1", 6, 1, 80), "-");
    EXPECT_EQ(act(ipsec::dir::in, "2001:db8::1", "2001:db8:5::1", 58, 0, 0), "ipsec");
    EXPECT_EQ(act(ipsec::dir::in, "2001:db8::1", "2001:db8:5::1", 17, 0, 0), "-");
    EXPECT_EQ(act(ipsec::dir::in, "2001:db9::1", "2001:db8:5::1", 58, 0, 0), "-");
    // Deleting the first exposes the next.
    n.ok("setkey spddelete 198.18.1.0/24[any] 198.18.2.0/24[80] tcp -P out");
    EXPECT_EQ(act(ipsec::dir::out, "198.18.1.1", "198.18.2.1", 6, 40000, 80), "ipsec");
}

}  // namespace
}  // namespace mpnet::testing
