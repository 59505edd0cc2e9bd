#!/usr/bin/env bash
# test-sshd.sh: a private OpenSSH server for the remote-capture tests, on 127.0.0.1 only.
#
#   scripts/test-sshd.sh start DIR   # prints the port; DIR (made, mode 0700) then holds:
#       ssh_config      a client configuration: Host "capturehost" (and "*" for its key and
#                       known_hosts), for NDISNPP_SSH_CONFIG or ssh -F
#       known_hosts     the server's key, pinned for [127.0.0.1]:PORT
#       id_ed25519      the client key the server accepts; other_ed25519 one it does not
#       bin/            first on the PATH of the server's sessions (a test puts its nmcap there)
#       sshd.pid sshd.log sshd_config host_ed25519 authorized_keys
#   scripts/test-sshd.sh stop DIR    # stops that server (by its pid file) and removes DIR
#
# Own configuration, host key, port and pid file: the system's sshd and its configuration are
# never read or changed. As root, the privilege-separation directory /run/sshd is made when
# missing (sshd requires it; normally made at boot) and left: it is empty.
# Exit status: 0, 1 on failure (the server's log on stderr), 77 when sshd is not installed.
set -u
cmd=${1:-}; D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: test-sshd.sh start|stop DIR" >&2; exit 1; }

stop() {
    if [ -f "$D/sshd.pid" ]; then
        local pid; pid=$(cat "$D/sshd.pid")
        # only our server: its command line names our configuration
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$D/sshd_config"; then
            kill "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
    fi
    case $D in /tmp/*|/var/tmp/*) rm -rf "$D" ;; esac
}

case $cmd in
stop) stop; exit 0 ;;
start) ;;
*) echo "test-sshd.sh: unknown command $cmd" >&2; exit 1 ;;
esac

SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || { echo "test-sshd.sh: sshd missing (apt-get install openssh-server)" >&2; exit 77; }
command -v ssh-keygen >/dev/null || { echo "test-sshd.sh: ssh-keygen missing" >&2; exit 77; }
mkdir -p -m 0700 "$D" "$D/bin" || exit 1
ME=$(id -un)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || exit 1
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then mkdir -m 0755 /run/sshd || exit 1; fi

ssh-keygen -q -t ed25519 -N '' -C ndisnpp-test-host -f "$D/host_ed25519" || exit 1
ssh-keygen -q -t ed25519 -N '' -C ndisnpp-test-client -f "$D/id_ed25519" || exit 1
ssh-keygen -q -t ed25519 -N '' -C ndisnpp-test-other -f "$D/other_ed25519" || exit 1
cp "$D/id_ed25519.pub" "$D/authorized_keys"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$D/host_ed25519.pub")" >"$D/known_hosts"

# StrictModes no: the files live under /tmp; UsePAM no: nothing of /etc/pam.d.
cat >"$D/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $PORT
HostKey $D/host_ed25519
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $ME
MaxStartups 100:30:200
MaxSessions 30
LogLevel VERBOSE
# Programs a test puts in DIR/bin (a remote nmcap) come first on the sessions' PATH.
SetEnv PATH=$D/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
cat >"$D/ssh_config" <<EOF
Host capturehost
    HostName 127.0.0.1
    Port $PORT
    User $ME
Host *
    IdentityFile $D/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $D/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    LogLevel ERROR
EOF

"$SSHD" -t -f "$D/sshd_config" || { echo "test-sshd.sh: sshd refused its configuration" >&2; stop; exit 1; }
"$SSHD" -f "$D/sshd_config" -E "$D/sshd.log" || { echo "test-sshd.sh: sshd did not start" >&2; stop; exit 1; }
for _ in $(seq 100); do
    ssh -F "$D/ssh_config" -o BatchMode=yes -o ControlPath=none capturehost true </dev/null 2>/dev/null && { echo "$PORT"; exit 0; }
    sleep 0.1
done
echo "test-sshd.sh: the server accepted no login; its log:" >&2
tail -5 "$D/sshd.log" >&2
stop
exit 1
