//! The two command lines of a remote capture: the local `ssh` (an argument vector, never a shell)
//! and the command that ssh asks the remote host to run (which the remote user's login shell
//! parses: every word is single-quoted, and only from a character set no shell treats specially
//! inside single quotes; other values travel hex-encoded, for the remote `nmcap` to decode).

use super::dest::Destination;
use std::ffi::OsString;
use std::path::PathBuf;

/// The environment variable naming the program used as ssh (default: `ssh` from PATH). Never
/// taken from a BLOB: a BLOB may come from a file or another host.
pub const SSH_ENV: &str = "NDISNPP_SSH";
/// The environment variable naming an ssh configuration file passed with `-F` (tests, unusual
/// setups; default: the user's own `~/.ssh/config`).
pub const SSH_CONFIG_ENV: &str = "NDISNPP_SSH_CONFIG";

/// `NPP:Remote:HostKeyCheck`: what ssh does with a host key it does not know. There is no way to
/// turn the check off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// The user's ssh configuration decides (ssh's own default: ask, which BatchMode turns into
    /// a refusal).
    Config,
    /// `StrictHostKeyChecking=yes`: only keys already in known_hosts.
    Yes,
    /// `StrictHostKeyChecking=accept-new`: a host never seen is added; a changed key is refused.
    AcceptNew,
}

impl HostKeyCheck {
    /// `config`, `yes` or `accept-new` (case-insensitive); anything else, `no` included, is None.
    pub fn parse(s: &str) -> Option<HostKeyCheck> {
        match s.to_ascii_lowercase().as_str() {
            "config" => Some(HostKeyCheck::Config),
            "yes" => Some(HostKeyCheck::Yes),
            "accept-new" => Some(HostKeyCheck::AcceptNew),
            _ => None,
        }
    }
}

/// How ssh connects (from the `NPP:Remote:*` entries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshOptions {
    /// `NPP:Remote:ConnectTimeout`, seconds.
    pub connect_timeout: u32,
    /// `NPP:Remote:AliveInterval`, seconds: ssh's ServerAliveInterval (3 missed answers end the
    /// connection).
    pub alive_interval: u32,
    pub host_key_check: HostKeyCheck,
    /// The socket of a private ControlMaster to go through (None: a connection of its own, and
    /// no master of the user's configuration either).
    pub control_path: Option<PathBuf>,
    /// This ssh is the master of `control_path` (crate::remote::master), not a channel on it.
    pub master: bool,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions { connect_timeout: 10, alive_interval: 5, host_key_check: HostKeyCheck::Config, control_path: None, master: false }
    }
}

/// The program run as ssh: `$NDISNPP_SSH`, else `ssh` (found on PATH).
pub fn ssh_program() -> OsString {
    match std::env::var_os(SSH_ENV) {
        Some(p) if !p.is_empty() => p,
        _ => OsString::from("ssh"),
    }
}

/// ssh's arguments for running `remote` on `dest`: no terminal, no forwarding of any kind, no
/// prompt ever (BatchMode), no local command, keep-alives; the destination after `--`.
pub fn ssh_args(dest: &Destination, o: &SshOptions, remote: &RemoteCommand) -> Vec<OsString> {
    let mut a: Vec<OsString> =
        ["-T", "-x", "-a", "-o", "BatchMode=yes", "-o", "ClearAllForwardings=yes", "-o", "PermitLocalCommand=no"].iter().map(OsString::from).collect();
    let mut opt = |s: String| {
        a.push("-o".into());
        a.push(s.into());
    };
    opt(format!("ConnectTimeout={}", o.connect_timeout));
    opt(format!("ServerAliveInterval={}", o.alive_interval));
    opt("ServerAliveCountMax=3".into());
    match o.host_key_check {
        HostKeyCheck::Config => {}
        HostKeyCheck::Yes => opt("StrictHostKeyChecking=yes".into()),
        HostKeyCheck::AcceptNew => opt("StrictHostKeyChecking=accept-new".into()),
    }
    match &o.control_path {
        Some(p) if o.master => {
            opt("ControlMaster=yes".into());
            opt("ControlPersist=no".into());
            a.push("-S".into());
            a.push(p.clone().into());
        }
        Some(p) => {
            opt("ControlMaster=no".into());
            a.push("-S".into());
            a.push(p.clone().into());
        }
        None => opt("ControlPath=none".into()),
    }
    if let Some(cfg) = std::env::var_os(SSH_CONFIG_ENV).filter(|c| !c.is_empty()) {
        a.push("-F".into());
        a.push(cfg);
    }
    if let Some(u) = &dest.user {
        a.push("-l".into());
        a.push(u.into());
    }
    if let Some(p) = dest.port {
        a.push("-p".into());
        a.push(p.to_string().into());
    }
    a.push("--".into());
    a.push((&dest.host).into());
    a.push(remote.render().into());
    a
}

/// Characters a value may hold to be passed as it is (single-quoted); others are hex-encoded.
fn plain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c)
}

/// `NPP:Remote:Program`: a program name or an absolute path, of `[A-Za-z0-9_./+-]`, not starting
/// with `-`, at most 255 bytes.
pub fn valid_program(p: &str) -> bool {
    !p.is_empty() && p.len() <= 255 && !p.starts_with('-') && p.chars().all(|c| c.is_ascii_alphanumeric() || "_./+-".contains(c))
}

/// One word of the remote command.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Word {
    /// A fixed token of the library (an option name).
    Fixed(&'static str),
    /// A value: `flag value` when the value is plain, else `hex_flag HEX`.
    Value { flag: &'static str, hex_flag: &'static str, value: String },
}

/// The command the remote host runs (`[sudo -n --] PROGRAM WORDS...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteCommand {
    program: String,
    sudo: bool,
    words: Vec<Word>,
}

impl RemoteCommand {
    /// `program` must pass [`valid_program`] (the caller reported the error otherwise).
    pub fn new(program: &str, sudo: bool) -> RemoteCommand {
        assert!(valid_program(program), "remote program {program:?} not validated");
        RemoteCommand { program: program.to_owned(), sudo, words: Vec::new() }
    }

    /// Adds an option of the library's own.
    pub fn fixed(mut self, token: &'static str) -> RemoteCommand {
        self.words.push(Word::Fixed(token));
        self
    }

    /// Adds `flag VALUE`, or `hex_flag HEX(VALUE)` when the value holds other characters than
    /// `[A-Za-z0-9_./:@%+=,-]` (or is empty).
    pub fn value(mut self, flag: &'static str, hex_flag: &'static str, value: &str) -> RemoteCommand {
        self.words.push(Word::Value { flag, hex_flag, value: value.to_owned() });
        self
    }

    /// The command line, each word single-quoted.
    pub fn render(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut q = |w: &str| out.push(format!("'{w}'"));
        if self.sudo {
            q("sudo");
            q("-n");
            q("--");
        }
        q(&self.program);
        for w in &self.words {
            match w {
                Word::Fixed(t) => q(t),
                Word::Value { flag, value, .. } if !value.is_empty() && value.chars().all(plain_char) => {
                    q(flag);
                    q(value);
                }
                Word::Value { hex_flag, value, .. } => {
                    q(hex_flag);
                    q(&hex(value.as_bytes()));
                }
            }
        }
        out.join(" ")
    }
}

/// What a remote capture asks of the remote program (protocol 1 of `nmcap --stream`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureRequest<'a> {
    pub interface: &'a str,
    /// Bytes kept per frame (0: whole frames).
    pub snaplen: u32,
    /// The remote kernel buffer, bytes (0: its default).
    pub buffer_size: u32,
    pub promiscuous: bool,
    /// Leave out the ssh session's own traffic (from the remote `$SSH_CONNECTION`).
    pub exclude_ssh: bool,
    /// A pcap-filter expression the remote side applies first (a superset of what is kept
    /// here: the whole filter still runs on this side), or None.
    pub bpf: Option<&'a str>,
}

/// `PROGRAM --stream -i IFACE [-s N] [-B N] [-p] [--exclude-ssh] [--bpf EXPR | --bpf-hex HEX]`:
/// pcapng on standard output,
/// reports on standard error (`@nmcap 1 ready|link down|link up|end NMERR_NAME`), the end when
/// standard input closes.
pub fn capture_command(program: &str, sudo: bool, r: &CaptureRequest<'_>) -> RemoteCommand {
    let mut c = RemoteCommand::new(program, sudo).fixed("--stream").value("-i", "--interface-hex", r.interface);
    if r.snaplen > 0 {
        c = c.value("-s", "-s", &r.snaplen.to_string());
    }
    if r.buffer_size > 0 {
        c = c.value("-B", "-B", &r.buffer_size.to_string());
    }
    if !r.promiscuous {
        c = c.fixed("-p");
    }
    if r.exclude_ssh {
        c = c.fixed("--exclude-ssh");
    }
    if let Some(e) = r.bpf {
        c = c.value("--bpf", "--bpf-hex", e);
    }
    c
}

/// `PROGRAM --probe -i IFACE`: checks that the interface can be captured there and exits;
/// reports `@nmcap 1 ok VERSION` on standard error when it can.
pub fn probe_command(program: &str, sudo: bool, interface: &str) -> RemoteCommand {
    RemoteCommand::new(program, sudo).fixed("--probe").value("-i", "--interface-hex", interface)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lower- or upper-case hex `s` (None when it is not hex of whole bytes).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[OsString]) -> Vec<&str> {
        v.iter().map(|s| s.to_str().unwrap()).collect()
    }

    #[test]
    fn ssh_arguments() {
        // The environment variables this reads are not set by the test run.
        assert!(std::env::var_os(SSH_CONFIG_ENV).is_none());
        let dest = super::super::dest::parse("ssh://ops@probe:2222").unwrap();
        let cmd = RemoteCommand::new("nmcap", false).fixed("--stream").value("-i", "--interface-hex", "eth0");
        let a = ssh_args(&dest, &SshOptions::default(), &cmd);
        assert_eq!(
            strs(&a),
            [
                "-T",
                "-x",
                "-a",
                "-o",
                "BatchMode=yes",
                "-o",
                "ClearAllForwardings=yes",
                "-o",
                "PermitLocalCommand=no",
                "-o",
                "ConnectTimeout=10",
                "-o",
                "ServerAliveInterval=5",
                "-o",
                "ServerAliveCountMax=3",
                "-o",
                "ControlPath=none",
                "-l",
                "ops",
                "-p",
                "2222",
                "--",
                "probe",
                "'nmcap' '--stream' '-i' 'eth0'"
            ]
        );
        let o = SshOptions {
            host_key_check: HostKeyCheck::AcceptNew,
            control_path: Some("/run/x/ctl".into()),
            connect_timeout: 3,
            alive_interval: 1,
            master: false,
        };
        let a = ssh_args(&super::super::dest::parse("h").unwrap(), &o, &RemoteCommand::new("/opt/nm/bin/nmcap", true));
        let a = strs(&a);
        assert!(a.windows(2).any(|w| w == ["-o", "StrictHostKeyChecking=accept-new"]));
        assert!(a.windows(4).any(|w| w == ["-o", "ControlMaster=no", "-S", "/run/x/ctl"]));
        assert!(a.windows(2).any(|w| w == ["-o", "ConnectTimeout=3"]));
        assert_eq!(&a[a.len() - 3..], ["--", "h", "'sudo' '-n' '--' '/opt/nm/bin/nmcap'"]);
    }

    #[test]
    fn values_a_shell_would_parse_travel_in_hex() {
        for hostile in ["eth0'; reboot; '", "$(id)", "`id`", "a b", "x\ny", "!!", "~root", "a\"b", "a\\b", "*", "", "ü"] {
            let line = RemoteCommand::new("nmcap", false).value("-i", "--interface-hex", hostile).render();
            assert_eq!(line, format!("'nmcap' '--interface-hex' '{}'", hex(hostile.as_bytes())), "{hostile:?}");
            assert_eq!(unhex(&hex(hostile.as_bytes())).unwrap(), hostile.as_bytes());
        }
        let line = RemoteCommand::new("nmcap", false).value("--bpf", "--bpf-hex", "udp").value("-i", "--interface-hex", "vlan.10@eth0").render();
        assert_eq!(line, "'nmcap' '--bpf' 'udp' '-i' 'vlan.10@eth0'");
        // Every rendered line holds only quotes, spaces and plain characters.
        assert!(line.chars().all(|c| c == '\'' || c == ' ' || plain_char(c)));
    }

    #[test]
    fn capture_and_probe_commands() {
        let r = CaptureRequest { interface: "eth0", snaplen: 0, buffer_size: 0, promiscuous: true, exclude_ssh: true, bpf: None };
        assert_eq!(capture_command("nmcap", false, &r).render(), "'nmcap' '--stream' '-i' 'eth0' '--exclude-ssh'");
        let r = CaptureRequest { bpf: Some("udp port 53"), ..r };
        assert_eq!(capture_command("nmcap", false, &r).render(), "'nmcap' '--stream' '-i' 'eth0' '--exclude-ssh' '--bpf-hex' '75647020706f7274203533'");
        let r = CaptureRequest { interface: "wl p0", snaplen: 128, buffer_size: 4 << 20, promiscuous: false, exclude_ssh: false, bpf: None };
        assert_eq!(
            capture_command("nmcap", true, &r).render(),
            "'sudo' '-n' '--' 'nmcap' '--stream' '--interface-hex' '776c207030' '-s' '128' '-B' '4194304' '-p'"
        );
        assert_eq!(probe_command("/opt/nmcap", false, "lo").render(), "'/opt/nmcap' '--probe' '-i' 'lo'");
    }

    #[test]
    fn programs_and_host_key_policies() {
        for ok in ["nmcap", "/usr/local/bin/nmcap", "./nmcap-1.2", "nm+cap"] {
            assert!(valid_program(ok), "{ok}");
        }
        for bad in ["", "-nmcap", "nm cap", "nmcap;id", "$HOME/nmcap", "~/nmcap", "nmcap'"] {
            assert!(!valid_program(bad), "{bad}");
        }
        assert_eq!(HostKeyCheck::parse("Accept-New"), Some(HostKeyCheck::AcceptNew));
        assert_eq!(HostKeyCheck::parse("no"), None);
        assert_eq!(HostKeyCheck::parse("off"), None);
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }
}
