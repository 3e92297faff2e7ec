# Shared by scripts/test and scripts/demo: the Debian packages l4kit needs,
# installed when missing (as root, one apt-get update first).
# shellcheck shell=bash

packages=(
    cmake ninja-build g++ clang-14 libclang-rt-14-dev libboost1.81-dev
    catch2 librapidcheck-dev libbenchmark-dev libtins-dev libpcap-dev
    tshark iproute2 python3 time nmap iputils-ping nftables tftp-hpa tftpd-hpa hping3
    bison flex
    libns3-dev
)

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}

install_dependencies() {
    if ! command -v dpkg-query >/dev/null; then
        echo "l4kit: not a Debian system; make sure these are installed: ${packages[*]}"
        return 0
    fi
    local missing=() p
    for p in "${packages[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        echo "dependencies: all ${#packages[@]} packages present"
        return 0
    fi
    if ((EUID != 0)); then
        echo "l4kit: missing packages: ${missing[*]}" >&2
        echo "l4kit: run as root, or install them: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "dependencies: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Debian's default Boost (1.74) conflicts with the 1.81 headers we need.
    local old_boost=()
    for p in libboost-dev libboost1.74-dev; do
        is_installed "$p" && old_boost+=("$p")
    done
    if ((${#old_boost[@]})); then
        apt-get remove -y "${old_boost[@]}"
    fi
    # tshark asks whether non-root users may capture; answer without a prompt.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
}
