#!/bin/bash
# Installs what building and testing ndisnpp needs, when it is missing (Debian/Ubuntu; as root).
set -euo pipefail
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v g++ >/dev/null || missing+=(g++)
command -v ip >/dev/null || missing+=(iproute2)
[ -e /usr/include/pcap/pcap.h ] || [ -e /usr/include/pcap.h ] || missing+=(libpcap-dev)
command -v tshark >/dev/null && command -v capinfos >/dev/null || missing+=(tshark)
# The remote-capture tests run a private OpenSSH server on 127.0.0.1 (scripts/test-sshd.sh).
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || missing+=(openssh-client)
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
# The man pages' lint test (ctests/tool_man.sh) runs groff -ww -z -man.
command -v groff >/dev/null || missing+=(groff)
# The Python package's tests make a virtual environment (venv with ensurepip for its pip).
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# The format and lint gates need rustfmt and clippy (rustup components of the toolchain).
export PATH="$HOME/.cargo/bin:$PATH"
for tool in fmt clippy; do
    if ! cargo "$tool" --version >/dev/null 2>&1; then
        component=$([ "$tool" = fmt ] && echo rustfmt || echo clippy)
        rustup component add "$component" >/dev/null 2>&1 || { echo "ndisnpp needs cargo $tool (rustup component add $component)" >&2; exit 1; }
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ndisnpp needs: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
