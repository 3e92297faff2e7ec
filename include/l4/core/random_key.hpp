// A secret key from the operating system's random source, for a host on a
// real network.
//
// The stack keys RFC 6056 port choice, RFC 6528 initial sequence numbers,
// SYN cookies and its hash tables with net::stack_config::secret
// (keyed_hash.hpp). Its default is all zeros, so that tests and simulations
// repeat bit for bit; on a real network that default makes every run choose
// the same ephemeral ports and every peer able to predict our ISNs (RFC 6528
// §3: the secret must be unguessable, and a new one per boot does). So:
//
//   l4::net::stack host{std::move(tun), {.addresses = {me}, .secret = l4::random_key()}};
//
// std::random_device is libstdc++'s getrandom(2) (or RDRAND) source; it
// throws std::system_error when the system has none to give, and then there
// is no safe key to return. Kept out of keyed_hash.hpp: <random> is a heavy
// include that only programs on real networks need.
#pragma once

#include <l4/core/keyed_hash.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <tuple>

namespace l4 {

[[nodiscard]] inline siphash_key random_key() {
    std::random_device source;
    siphash_key key{};
    static_assert(sizeof(std::random_device::result_type) >= 4 && std::tuple_size_v<siphash_key> % 4 == 0);
    for (std::size_t i = 0; i < key.size(); i += 4) {
        const auto word = static_cast<std::uint32_t>(source());  // 32 random bits a call
        for (std::size_t j = 0; j < 4; ++j) key[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
    return key;
}

}  // namespace l4
