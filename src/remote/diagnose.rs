//! Why a remote command failed, as an NMERR: from ssh's exit status and its last error lines,
//! and from the remote `nmcap`'s own report (`@nmcap 1 end NMERR_...` on its standard error).
//!
//! | seen | NMERR |
//! |---|---|
//! | "Could not resolve hostname" | `NMERR_INVALID_REMOTE_COMPUTERNAME` |
//! | "Connection refused", "No route to host", "Network is unreachable" | `NMERR_NETWORK_ERROR` |
//! | "Connection timed out", "Operation timed out" | `NMERR_TIMEOUT` |
//! | "Host key verification failed", a changed host key, "Permission denied", sudo asking for a password, remote exit 4 | `NMERR_ACCESS_DENIED` |
//! | "administratively prohibited" (the server's session limit) | `NMERR_AGENT_IN_USE` |
//! | remote exit 127 (no such program) | `NMERR_REMOTE_NOT_A_SERVER` |
//! | remote exit 2 (the remote program does not know an option: another version) | `NMERR_REMOTE_VERSION_OUTOFSYNC` |
//! | `@nmcap 1 end NMERR_X` | `NMERR_X` |
//! | any other failure of ssh (exit 255, killed) | `NMERR_RPC_REMOTE_FAILURE` |

use crate::nmerr::NmErr;

/// How the ssh process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exit status (ssh's own 255, or the remote command's).
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
    /// Not known (the process could not be waited for: SIGCHLD ignored by the application).
    Unknown,
}

/// The NMERR of a failed remote command and the message that explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    pub code: NmErr,
    pub detail: String,
}

/// The NMERR named in a `@nmcap 1 end NAME` line, if `line` is one.
pub fn end_report(line: &str) -> Option<NmErr> {
    let name = line.strip_prefix("@nmcap 1 end ")?.trim();
    NmErr::ALL.iter().copied().find(|e| e.name() == name)
}

/// Diagnoses a remote command that failed: `exit` is how ssh ended, `stderr` the end of what it
/// (and the remote program) wrote on standard error, `program` the remote program's name.
pub fn diagnose(exit: Exit, stderr: &str, program: &str) -> Diagnosis {
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty() && !l.starts_with("@nmcap ")).unwrap_or("").trim().to_owned();
    let has = |s: &str| stderr.to_ascii_lowercase().contains(&s.to_ascii_lowercase());
    let d = |code: NmErr, detail: String| Diagnosis { code, detail };
    if let Some(e) = stderr.lines().rev().find_map(end_report) {
        return d(e, format!("the remote {program} ended: {}{}", e.name(), if last.is_empty() { String::new() } else { format!(" ({last})") }));
    }
    if has("Could not resolve hostname") {
        return d(NmErr::NMERR_INVALID_REMOTE_COMPUTERNAME, last);
    }
    if has("Connection refused") || has("No route to host") || has("Network is unreachable") {
        return d(NmErr::NMERR_NETWORK_ERROR, last);
    }
    if has("Connection timed out") || has("Operation timed out") {
        return d(NmErr::NMERR_TIMEOUT, last);
    }
    if has("Host key verification failed") || has("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        return d(
            NmErr::NMERR_ACCESS_DENIED,
            format!("{last} (the remote host's key is not in known_hosts, or has changed: check it and add it with ssh-keyscan or one interactive ssh login)"),
        );
    }
    if has("Permission denied") {
        return d(
            NmErr::NMERR_ACCESS_DENIED,
            format!("{last} (ssh could not log in: a key in the ssh agent or the ssh configuration is needed, no password is ever asked)"),
        );
    }
    if has("sudo: a password is required") || has("sudo: a terminal is required") {
        return d(NmErr::NMERR_ACCESS_DENIED, format!("{last} (NPP:Remote:Sudo needs a NOPASSWD sudo rule for {program} on the remote host)"));
    }
    if has("administratively prohibited") {
        return d(NmErr::NMERR_AGENT_IN_USE, format!("{last} (the remote ssh server allows no more sessions: MaxSessions)"));
    }
    match exit {
        Exit::Code(127) => d(
            NmErr::NMERR_REMOTE_NOT_A_SERVER,
            format!("{program} was not found on the remote host (NPP:Remote:Program; install ndisnpp's nmcap there): {last}"),
        ),
        Exit::Code(126) => d(NmErr::NMERR_REMOTE_NOT_A_SERVER, format!("{program} cannot be run on the remote host: {last}")),
        Exit::Code(4) => d(NmErr::NMERR_ACCESS_DENIED, format!("the remote {program} may not capture (CAP_NET_RAW: setcap, or NPP:Remote:Sudo): {last}")),
        Exit::Code(2) => {
            d(NmErr::NMERR_REMOTE_VERSION_OUTOFSYNC, format!("the remote {program} does not understand this library's request (another version?): {last}"))
        }
        Exit::Code(255) => d(NmErr::NMERR_RPC_REMOTE_FAILURE, if last.is_empty() { "ssh failed (exit 255) without a message".into() } else { last }),
        Exit::Code(c) => d(NmErr::NMERR_RPC_REMOTE_FAILURE, format!("the remote command failed (exit {c}): {last}")),
        Exit::Signal(s) => d(NmErr::NMERR_RPC_REMOTE_FAILURE, format!("ssh was killed by signal {s}: {last}")),
        Exit::Unknown => d(NmErr::NMERR_RPC_REMOTE_FAILURE, format!("ssh ended: {last}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_messages() {
        let rows: &[(Exit, &str, NmErr)] = &[
            (Exit::Code(255), "ssh: Could not resolve hostname nowhere.invalid: Name or service not known\n", NmErr::NMERR_INVALID_REMOTE_COMPUTERNAME),
            (Exit::Code(255), "ssh: connect to host 127.0.0.1 port 1: Connection refused\n", NmErr::NMERR_NETWORK_ERROR),
            (Exit::Code(255), "ssh: connect to host 10.9.9.9 port 22: No route to host\n", NmErr::NMERR_NETWORK_ERROR),
            (Exit::Code(255), "ssh: connect to host 10.9.9.9 port 22: Network is unreachable\n", NmErr::NMERR_NETWORK_ERROR),
            (Exit::Code(255), "ssh: connect to host 10.9.9.9 port 22: Connection timed out\n", NmErr::NMERR_TIMEOUT),
            (
                Exit::Code(255),
                "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\n",
                NmErr::NMERR_ACCESS_DENIED,
            ),
            (Exit::Code(255), "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n", NmErr::NMERR_ACCESS_DENIED),
            (Exit::Code(255), "root@127.0.0.1: Permission denied (publickey).\n", NmErr::NMERR_ACCESS_DENIED),
            (Exit::Code(1), "sudo: a password is required\n", NmErr::NMERR_ACCESS_DENIED),
            (Exit::Code(255), "channel 2: open failed: administratively prohibited: open failed\n", NmErr::NMERR_AGENT_IN_USE),
            (Exit::Code(127), "bash: line 1: nmcap: command not found\n", NmErr::NMERR_REMOTE_NOT_A_SERVER),
            (Exit::Code(4), "nmcap: eth0: no permission to capture (CAP_NET_RAW)\n", NmErr::NMERR_ACCESS_DENIED),
            (Exit::Code(2), "nmcap: unknown option --stream\n", NmErr::NMERR_REMOTE_VERSION_OUTOFSYNC),
            (Exit::Code(1), "@nmcap 1 end NMERR_NETWORK_NOT_PRESENT\nnmcap: eth9: no such interface\n", NmErr::NMERR_NETWORK_NOT_PRESENT),
            (Exit::Code(255), "", NmErr::NMERR_RPC_REMOTE_FAILURE),
            (Exit::Signal(9), "", NmErr::NMERR_RPC_REMOTE_FAILURE),
        ];
        for (exit, err, want) in rows {
            let d = diagnose(*exit, err, "nmcap");
            assert_eq!(d.code, *want, "{err:?}: {}", d.detail);
            assert!(!d.detail.is_empty());
        }
        assert!(diagnose(Exit::Code(127), "sh: 1: nmcap: not found\n", "nmcap").detail.contains("NPP:Remote:Program"));
        assert_eq!(end_report("@nmcap 1 end NMERR_SUCCESS"), Some(NmErr::NMERR_SUCCESS));
        assert_eq!(end_report("@nmcap 1 end NMERR_NO_SUCH_THING"), None);
        assert_eq!(end_report("@nmcap 2 end NMERR_SUCCESS"), None);
    }
}
