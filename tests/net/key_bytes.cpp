// A table key hashed whole (wire::key_bytes, one siphash24 call) hashes as
// the same key fed to a hasher piece by piece (hash_append): the one-shot
// path is an optimisation, never a different hash.
#include <l4/core/keyed_hash.hpp>
#include <l4/wire/address.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <array>
#include <cstdint>

using namespace l4;

static rc::Gen<wire::socket_address> any_socket_address() {
    return rc::gen::apply(
        [](bool v4, std::array<std::uint8_t, 16> octets, std::uint16_t port) {
            if (v4) return wire::socket_address{wire::ip_address{wire::ipv4_address{octets[0], octets[1], octets[2], octets[3]}}, port};
            return wire::socket_address{wire::ip_address{wire::ipv6_address{octets}}, port};
        },
        rc::gen::arbitrary<bool>(), rc::gen::arbitrary<std::array<std::uint8_t, 16>>(),
        rc::gen::arbitrary<std::uint16_t>());
}

TEST_CASE("key bytes: a 4-tuple hashed whole equals the same tuple fed to the hasher in pieces", "[net][keyed_hash]") {
    rc::prop("siphash24(key_bytes(local) + key_bytes(remote)) == hasher(hash_append(local), hash_append(remote))", [] {
        const auto local = *any_socket_address();
        const auto remote = *any_socket_address();
        const auto key = *rc::gen::arbitrary<siphash_key>();
        std::uint8_t b[2 * wire::max_key_bytes];
        std::size_t n = wire::key_bytes(local, b);
        n += wire::key_bytes(remote, b + n);
        siphash24_hasher h{key};
        wire::hash_append(h, local);
        wire::hash_append(h, remote);
        RC_ASSERT(siphash24(key, {b, n}) == h.finish());
    });
}
