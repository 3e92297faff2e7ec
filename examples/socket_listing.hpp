// A listing of a host's TCP sockets in the manner of `ss -ta`: state,
// receive and send queues, local and peer address and port. With names on,
// a port is shown by its /etc/services name where the file gives one for
// TCP (read at run time, as ss and netstat do without -n), else by number.
//
//     listing::services names = listing::services::load();
//     listing::print(std::cout, host.transport<tcp>(), &names);
//
// Connections the application has closed still show until they end
// (FIN-WAIT, LAST-ACK, TIME-WAIT), as they do in ss: the listing asks the
// TCP endpoint, not the stack's socket table.
#pragma once

#include <l4/tcp/state.hpp>
#include <l4/wire/address.hpp>

#include <cstdint>
#include <fstream>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace listing {

// TCP port numbers to service names, from a services(5) file.
class services {
public:
    // An empty table if the file cannot be read: every port then shows as a number.
    static services load(const std::string& path = "/etc/services") {
        services s;
        std::ifstream in{path};
        for (std::string line; std::getline(in, line);) {
            line = line.substr(0, line.find('#'));
            std::istringstream fields{line};
            std::string name, port_proto;
            if (!(fields >> name >> port_proto)) continue;
            const auto slash = port_proto.find('/');
            if (slash == std::string::npos || port_proto.substr(slash + 1) != "tcp") continue;
            try {
                const int port = std::stoi(port_proto.substr(0, slash));
                if (port > 0 && port < 65536) s.tcp_.try_emplace(static_cast<std::uint16_t>(port), name);
            } catch (const std::exception&) {
                // not a number: not an entry
            }
        }
        return s;
    }

    [[nodiscard]] std::optional<std::string> name(std::uint16_t port) const {
        if (auto it = tcp_.find(port); it != tcp_.end()) return it->second;
        return std::nullopt;
    }
    [[nodiscard]] std::size_t size() const noexcept { return tcp_.size(); }

private:
    std::unordered_map<std::uint16_t, std::string> tcp_;
};

// "192.0.2.1:echo", "[2001:db8::1]:50007", "0.0.0.0:*" as ss writes them.
inline std::string endpoint_text(const l4::wire::ip_address& a, std::optional<std::uint16_t> port,
                                 const services* names) {
    std::string text = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    if (!port) return text + ":*";
    if (names)
        if (auto n = names->name(*port)) return text + ":" + *n;
    return text + ":" + std::to_string(*port);
}

// One line per socket of the TCP endpoint `tcp`, after a header. The
// endpoint's socket ids are dense slots; the scan stops after a run of
// empty ones (this listing is for hosts with a handful of sockets).
template <class Tcp>
void print(std::ostream& os, const Tcp& tcp, const services* names, const std::string& indent = "") {
    os << indent << std::left << std::setw(13) << "State" << std::right << std::setw(7) << "Recv-Q" << std::setw(7)
       << "Send-Q" << "  " << std::left << std::setw(24) << "Local Address:Port" << "Peer Address:Port\n";
    constexpr std::uint32_t give_up_after = 64;
    for (std::uint32_t id = 0, empty = 0; empty < give_up_after; ++id) {
        const auto st = tcp.state_of(id);
        if (!st) {
            ++empty;
            continue;
        }
        empty = 0;
        const auto local = tcp.local_address(id);
        if (!local) continue;  // opened, never bound: ss does not list these either
        const auto peer = tcp.peer_address(id);
        std::size_t recv_q = 0, send_q = 0;
        if (const auto* c = tcp.connection_of(id)) recv_q = c->recv_queue(), send_q = c->send_queue();
        const auto any = local->address.is_v4() ? l4::wire::ip_address::any_v4() : l4::wire::ip_address::any_v6();
        os << indent << std::left << std::setw(13) << l4::tcp::name(*st) << std::right << std::setw(7) << recv_q
           << std::setw(7) << send_q << "  " << std::left << std::setw(24)
           << endpoint_text(local->address, local->port, names)
           << (peer ? endpoint_text(peer->address, peer->port, names) : endpoint_text(any, std::nullopt, names))
           << std::right << '\n';
    }
}

}  // namespace listing
