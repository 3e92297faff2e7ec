// Uses the installed package through the umbrella header only.
#include <l4/l4.hpp>

#include <iostream>

int main() {
    const l4::seq32 iss{0xffff'fff0u};
    const l4::seq32 next = iss + 32;  // wraps past 2^32
    const bool ok = l4::classify_port(443) == l4::port_range::well_known &&
                    l4::classify_port(8080) == l4::port_range::registered &&
                    l4::classify_port(50000) == l4::port_range::dynamic && iss < next && !(next < iss) &&
                    next - iss == 32;

    std::cout << "port 443: " << l4::to_string(l4::classify_port(443)) << '\n'
              << "port 50000: " << l4::to_string(l4::classify_port(50000)) << '\n'
              << "seq " << iss << " < " << next << ": " << std::boolalpha << (iss < next) << '\n'
              << (ok ? "consumer: ok" : "consumer: FAILED") << '\n';
    return ok ? 0 : 1;
}
