//! `NPP:Remote:RemoteComputer`: where a remote NIC's capture runs, as ssh names it.
//!
//! Accepted forms (at most [`MAX_DESTINATION`] bytes):
//! * `host` — a host name, an address, or an alias of the user's ssh configuration;
//! * `user@host`;
//! * `ssh://[user@]host[:port]`, the host in brackets when it is an IPv6 address
//!   (`ssh://[::1]:2222`).
//!
//! A destination is refused when it could be read as anything but a destination: empty, longer
//! than the bound, starting with `-` (an ssh option), holding whitespace, control characters or
//! any character outside the sets below. It also goes after `--` on ssh's command line.
//! Host: letters, digits, `.`, `_`, `-` (a name or an IPv4 address), or an IPv6 address (hex
//! digits, `:` and `.`, an optional `%zone` of name characters). User: letters, digits, `.`,
//! `_`, `-`, not starting with `-`.

/// The longest `NPP:Remote:RemoteComputer` value, in bytes.
pub(crate) const MAX_DESTINATION: usize = 255;

/// A parsed destination: ssh's `-l user`, `-p port` and its host argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl std::fmt::Display for Destination {
    /// The destination in the `ssh://` form (for messages).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ssh://")?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn valid_user(u: &str) -> bool {
    !u.is_empty() && !u.starts_with('-') && u.chars().all(name_char)
}

fn valid_name(h: &str) -> bool {
    !h.is_empty() && !h.starts_with('-') && h.chars().all(name_char)
}

fn valid_ipv6(h: &str) -> bool {
    let (addr, zone) = match h.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (h, None),
    };
    addr.contains(':')
        && addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        && zone.map_or(true, |z| !z.is_empty() && z.chars().all(name_char))
        && addr.parse::<std::net::Ipv6Addr>().is_ok()
}

/// Parses `NPP:Remote:RemoteComputer`; the error says what is wrong with it.
pub fn parse(s: &str) -> Result<Destination, String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > MAX_DESTINATION {
        return Err(format!("is longer than {MAX_DESTINATION} bytes"));
    }
    if s.starts_with('-') {
        return Err("starts with '-' (it would be read as an ssh option)".into());
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("holds a space or control character ({:?})", c));
    }
    if let Some(rest) = s.strip_prefix("ssh://") {
        return parse_uri(rest);
    }
    let (user, host) = match s.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, s),
    };
    if let Some(u) = user {
        if !valid_user(u) {
            return Err(format!("user name {u:?} is not one of letters, digits, '.', '_', '-'"));
        }
    }
    if !(valid_name(host) || valid_ipv6(host)) {
        return Err(format!("host {host:?} is not a host name, an address or an ssh alias"));
    }
    Ok(Destination { user: user.map(str::to_owned), host: host.to_owned(), port: None })
}

/// `[user@]host[:port]` after `ssh://` (a trailing `/` is allowed, nothing after it).
fn parse_uri(rest: &str) -> Result<Destination, String> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err("ssh:// destination has a path (the interface goes in NPP:Location:Name)".into());
    }
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    if let Some(u) = user {
        if !valid_user(u) {
            return Err(format!("user name {u:?} is not one of letters, digits, '.', '_', '-'"));
        }
    }
    let (host, port) = if let Some(b) = hostport.strip_prefix('[') {
        let (h, after) = b.split_once(']').ok_or("has '[' without ']'")?;
        if !valid_ipv6(h) {
            return Err(format!("[{h}] is not an IPv6 address"));
        }
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or("has characters after ']' that are not ':PORT'")?)),
        }
    } else {
        let (h, p) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        if !valid_name(h) {
            return Err(format!("host {h:?} is not a host name, an address or an ssh alias"));
        }
        (h, p)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Some(n),
            _ => return Err(format!("port {p:?} is not a number from 1 to 65535")),
        },
    };
    Ok(Destination { user: user.map(str::to_owned), host: host.to_owned(), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(user: Option<&str>, host: &str, port: Option<u16>) -> Destination {
        Destination { user: user.map(str::to_owned), host: host.to_owned(), port }
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(parse("capturehost").unwrap(), d(None, "capturehost", None));
        assert_eq!(parse("10.1.2.3").unwrap(), d(None, "10.1.2.3", None));
        assert_eq!(parse("ops@probe-1.example.net").unwrap(), d(Some("ops"), "probe-1.example.net", None));
        assert_eq!(parse("fe80::1%eth0").unwrap(), d(None, "fe80::1%eth0", None));
        assert_eq!(parse("root@::1").unwrap(), d(Some("root"), "::1", None));
        assert_eq!(parse("ssh://h").unwrap(), d(None, "h", None));
        assert_eq!(parse("ssh://u@h:2222").unwrap(), d(Some("u"), "h", Some(2222)));
        assert_eq!(parse("ssh://u@h:2222/").unwrap(), d(Some("u"), "h", Some(2222)));
        assert_eq!(parse("ssh://[::1]:22").unwrap(), d(None, "::1", Some(22)));
        assert_eq!(parse("ssh://u@[fe80::2%veth0]").unwrap(), d(Some("u"), "fe80::2%veth0", None));
        assert_eq!(parse("ssh://u@[::1]:2222").unwrap().to_string(), "ssh://u@[::1]:2222");
        assert_eq!(parse(&"h".repeat(MAX_DESTINATION)).unwrap().host.len(), MAX_DESTINATION);
    }

    #[test]
    fn refused_forms() {
        for bad in [
            "",
            "-oProxyCommand=touch /tmp/x",
            "h -oProxyCommand=x",
            "h\n",
            "h\t",
            "$(reboot)",
            "h;true",
            "`id`@h",
            "u@-h",
            "-u@h",
            "u@",
            "@h",
            "u@h:22",
            "ssh://",
            "ssh://h:0",
            "ssh://h:65536",
            "ssh://h:+22",
            "ssh://h:x",
            "ssh://h/eth0",
            "ssh://[::1",
            "ssh://[::1]x",
            "ssh://[nothex]:22",
            "ssh://-h",
            "ssh://u@-h:22",
            "h'",
            "h\"",
            "h|x",
            "fe80::1%",
            "fe80::1%et h",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted: {:?}", parse(bad));
        }
        assert!(parse(&"h".repeat(MAX_DESTINATION + 1)).unwrap_err().contains("longer than 255"));
    }
}
