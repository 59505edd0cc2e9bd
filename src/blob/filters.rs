//! Text encodings of the capture-filter parts and the trigger (SDK d.4, our grammar).
//!
//! * `NPP:Config:Saps` / `Etypes`: `INCLUDE ALL EXCEPT <n> ...` when the INCLUDE_ALL flag of that
//!   part is set, else `EXCLUDE ALL EXCEPT <n> ...` (only the listed values pass). Numbers are
//!   written `0x..` and read as hex (`0x`) or decimal.
//! * `NPP:Config:AddressPair`: pairs separated by `;`, each
//!   `INCLUDE|EXCLUDE,<flags>,<dst type>,<dst address>,<dst flags>,<src type>,<src address>,<src flags>`
//!   with the type's keyword (`ETHERNET`, `IP`, `IP6`, `ANY GROUP` ...), IPv4 dotted, IPv6 in RFC
//!   5952 form, other addresses in hex (a type without a fixed length keeps all 16 bytes).
//! * `NPP:Config:PatternMatch`: `AND(OR(p,p),OR(p))`, each pattern
//!   `[NOT] <basis> [PORT <n>] <offset> <hex bytes | ->` with basis FRAME, EFFECTIVE, IPX, IP, IP6.
//! * `NPP:Trigger:Trigger`: `<type>;<action>;<level>;<pattern>;<flags>;<command line>`; an
//!   inactive trigger is an absent tag.

use super::names::{EXCLUDE_ALL_EXCEPT_TXT, INCLUDE_ALL_EXCEPT_TXT};
use super::values::{format_hex, parse_dword, parse_hex};
use crate::nmerr::*;
use crate::types::*;
use std::net::{Ipv4Addr, Ipv6Addr};

// ------------------------------------------------------------------ Etype / SAP

/// One part (SAPs or Etypes) of the Etype/SAP filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// True: everything passes except `values`; false: only `values` pass.
    pub include_all: bool,
    pub values: Vec<u16>,
}

pub fn format_list(f: &ListFilter, width: usize) -> String {
    let mut s = String::from(if f.include_all { INCLUDE_ALL_EXCEPT_TXT } else { EXCLUDE_ALL_EXCEPT_TXT });
    for v in &f.values {
        s.push_str(&format!(" 0x{:0width$X}", v, width = width));
    }
    s
}

pub fn parse_list(s: &str, max: u32) -> NmResult<ListFilter> {
    let s = s.trim();
    let upper = s.to_ascii_uppercase();
    let (include_all, rest) = if upper.starts_with(INCLUDE_ALL_EXCEPT_TXT) {
        (true, &s[INCLUDE_ALL_EXCEPT_TXT.len()..])
    } else if upper.starts_with(EXCLUDE_ALL_EXCEPT_TXT) {
        (false, &s[EXCLUDE_ALL_EXCEPT_TXT.len()..])
    } else {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    };
    if !rest.is_empty() && !rest.starts_with(' ') {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    let mut values = Vec::new();
    for tok in rest.split_whitespace() {
        let v = parse_dword(tok)?;
        if v > max {
            return Err(NMERR_BLOB_CONVERSION_ERROR);
        }
        values.push(v as u16);
    }
    if values.len() > u16::MAX as usize {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    Ok(ListFilter { include_all, values })
}

// ------------------------------------------------------------------ addresses

const TYPE_NAMES: [&str; 14] =
    ["ETHERNET", "IP", "IPX", "TOKENRING", "FDDI", "XNS", "ANY", "ANY GROUP", "HIGHEST", "VINES IP", "LOCAL ONLY", "ATM", "IP/1394", "IP6"];

/// Bytes of the address union that a type uses; None = no fixed length (all 16 kept).
fn address_len(kind: u32) -> Option<usize> {
    match kind {
        ADDRESS_TYPE_ETHERNET | ADDRESS_TYPE_TOKENRING | ADDRESS_TYPE_FDDI => Some(6),
        ADDRESS_TYPE_IP => Some(4),
        ADDRESS_TYPE_IPX | ADDRESS_TYPE_XNS => Some(10),
        ADDRESS_TYPE_VINES_IP => Some(6),
        ADDRESS_TYPE_IP6 => Some(16),
        _ => None,
    }
}

fn is_mac_type(kind: u32) -> bool {
    matches!(kind, ADDRESS_TYPE_ETHERNET | ADDRESS_TYPE_TOKENRING | ADDRESS_TYPE_FDDI | ADDRESS_TYPE_ANY | ADDRESS_TYPE_ANY_GROUP)
}

fn format_address(a: &ADDRESS2) -> NmResult<String> {
    let kind = a.Type;
    let name = TYPE_NAMES.get(kind as usize).ok_or(NMERR_OUT_OF_RANGE)?;
    let bytes = a.Address;
    let text = match kind {
        ADDRESS_TYPE_IP => Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        ADDRESS_TYPE_IP6 => Ipv6Addr::from(bytes).to_string(),
        _ => match address_len(kind) {
            Some(n) => format_hex(&bytes[..n]),
            None if bytes.iter().all(|b| *b == 0) => String::new(),
            None => format_hex(&bytes),
        },
    };
    let flags = a.Flags;
    Ok(format!("{name},{text},0x{flags:X}"))
}

fn parse_address(kind: &str, text: &str, flags: &str) -> NmResult<ADDRESS2> {
    let kind = TYPE_NAMES.iter().position(|n| n.eq_ignore_ascii_case(kind.trim())).ok_or(NMERR_BLOB_CONVERSION_ERROR)? as u32;
    let text = text.trim();
    let mut bytes = [0u8; 16];
    match kind {
        ADDRESS_TYPE_IP if text.contains('.') => {
            let ip: Ipv4Addr = text.parse().map_err(|_| NMERR_BLOB_CONVERSION_ERROR)?;
            bytes[..4].copy_from_slice(&ip.octets());
        }
        ADDRESS_TYPE_IP6 if text.contains(':') => {
            let ip: Ipv6Addr = text.parse().map_err(|_| NMERR_BLOB_CONVERSION_ERROR)?;
            bytes.copy_from_slice(&ip.octets());
        }
        _ => {
            let raw = parse_hex(text)?;
            let want = address_len(kind);
            let ok = match want {
                Some(n) => raw.len() == n,
                None => raw.is_empty() || raw.len() == 16,
            };
            if !ok {
                return Err(NMERR_BLOB_CONVERSION_ERROR);
            }
            bytes[..raw.len()].copy_from_slice(&raw);
        }
    }
    let flags = parse_dword(flags)?;
    if flags > u16::MAX as u32 {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    Ok(ADDRESS2 { Type: kind, Address: bytes, Flags: flags as u16 })
}

/// Encodes an ADDRESSTABLE2; `NMERR_OUT_OF_RANGE` for more than 8 pairs or an unknown type.
pub fn format_address_table(t: &ADDRESSTABLE2) -> NmResult<String> {
    if t.nAddressPairs > MAX_ADDRESS_PAIRS {
        return Err(NMERR_OUT_OF_RANGE);
    }
    let mut pairs = Vec::new();
    for p in &t.AddressPair[..t.nAddressPairs as usize] {
        let flags = p.AddressFlags as u32;
        let mode = if flags & ADDRESS_FLAGS_EXCLUDE != 0 { "EXCLUDE" } else { "INCLUDE" };
        pairs.push(format!("{mode},0x{:X},{},{}", flags & !ADDRESS_FLAGS_EXCLUDE, format_address(&p.DstAddress)?, format_address(&p.SrcAddress)?));
    }
    Ok(pairs.join(";"))
}

/// Decodes an address table; `nNonMacAddressPairs` is recomputed.
pub fn parse_address_table(s: &str) -> NmResult<ADDRESSTABLE2> {
    let mut t = ADDRESSTABLE2::default();
    let s = s.trim();
    if s.is_empty() {
        return Ok(t);
    }
    for (i, pair) in s.split(';').enumerate() {
        if i >= MAX_ADDRESS_PAIRS as usize {
            return Err(NMERR_BLOB_CONVERSION_ERROR);
        }
        let f: Vec<&str> = pair.split(',').collect();
        if f.len() != 8 {
            return Err(NMERR_BLOB_CONVERSION_ERROR);
        }
        let exclude = match f[0].trim().to_ascii_uppercase().as_str() {
            "INCLUDE" => 0,
            "EXCLUDE" => ADDRESS_FLAGS_EXCLUDE,
            _ => return Err(NMERR_BLOB_CONVERSION_ERROR),
        };
        let flags = parse_dword(f[1])?;
        if flags > u16::MAX as u32 || flags & ADDRESS_FLAGS_EXCLUDE != 0 {
            return Err(NMERR_BLOB_CONVERSION_ERROR);
        }
        let dst = parse_address(f[2], f[3], f[4])?;
        let src = parse_address(f[5], f[6], f[7])?;
        t.AddressPair[i] = ADDRESSPAIR2 { AddressFlags: (flags | exclude) as u16, NalReserved: 0, DstAddress: dst, SrcAddress: src };
        t.nAddressPairs += 1;
        if !is_mac_type(dst.Type) || !is_mac_type(src.Type) {
            t.nNonMacAddressPairs += 1;
        }
    }
    Ok(t)
}

/// The v2 form of a v1 (pre-IPv6) address table, for SetNPPAddressFilterInBlob.
pub fn address_table_from_v1(t: &ADDRESSTABLE) -> NmResult<ADDRESSTABLE2> {
    if t.nAddressPairs > MAX_ADDRESS_PAIRS {
        return Err(NMERR_OUT_OF_RANGE);
    }
    let widen = |a: &ADDRESS| {
        let mut bytes = [0u8; 16];
        bytes[..10].copy_from_slice(&a.Address);
        ADDRESS2 { Type: a.Type, Address: bytes, Flags: a.Flags }
    };
    let mut out = ADDRESSTABLE2 { nAddressPairs: t.nAddressPairs, nNonMacAddressPairs: t.nNonMacAddressPairs, ..Default::default() };
    for (d, s) in out.AddressPair.iter_mut().zip(&t.AddressPair[..t.nAddressPairs as usize]) {
        *d = ADDRESSPAIR2 { AddressFlags: s.AddressFlags, NalReserved: s.NalReserved, DstAddress: widen(&s.DstAddress), SrcAddress: widen(&s.SrcAddress) };
    }
    Ok(out)
}

/// The v1 form of an address table; `NMERR_BLOB_CONVERSION_ERROR` when an address does not fit
/// the 10-byte v1 union (IPv6).
pub fn address_table_to_v1(t: &ADDRESSTABLE2) -> NmResult<ADDRESSTABLE> {
    let narrow = |a: &ADDRESS2| -> NmResult<ADDRESS> {
        let bytes = a.Address;
        if a.Type == ADDRESS_TYPE_IP6 || bytes[10..].iter().any(|b| *b != 0) {
            return Err(NMERR_BLOB_CONVERSION_ERROR);
        }
        Ok(ADDRESS { Type: a.Type, Address: bytes[..10].try_into().unwrap_or_default(), Flags: a.Flags })
    };
    let mut out = ADDRESSTABLE { nAddressPairs: t.nAddressPairs, nNonMacAddressPairs: t.nNonMacAddressPairs, ..Default::default() };
    for (d, s) in out.AddressPair.iter_mut().zip(&t.AddressPair[..t.nAddressPairs as usize]) {
        *d = ADDRESSPAIR { AddressFlags: s.AddressFlags, NalReserved: 0, DstAddress: narrow(&s.DstAddress)?, SrcAddress: narrow(&s.SrcAddress)? };
    }
    Ok(out)
}

// ------------------------------------------------------------------ patterns

const BASIS_NAMES: [&str; 5] = ["FRAME", "EFFECTIVE", "IPX", "IP", "IP6"];
const KNOWN_PATTERN_FLAGS: u32 = PATTERN_MATCH_FLAGS_NOT | PATTERN_MATCH_FLAGS_PORT_SPECIFIED;

fn zero_pattern() -> PATTERNMATCH {
    PATTERNMATCH { Flags: 0, OffsetBasis: 0, Port: GENERIC_PORT { ByteSwappedIPXPort: 0 }, Offset: 0, Length: 0, PatternToMatch: [0; 16] }
}

/// An all-zero EXPRESSION (no pattern filter).
pub fn zero_expression() -> EXPRESSION {
    let and = ANDEXP { nPatternMatches: 0, PatternMatch: [zero_pattern(); 4] };
    EXPRESSION { nAndExps: 0, AndExp: [and; 4] }
}

/// An all-zero (inactive) TRIGGER.
pub fn zero_trigger() -> TRIGGER {
    TRIGGER {
        TriggerActive: 0,
        TriggerType: 0,
        TriggerAction: 0,
        TriggerFlags: 0,
        TriggerPatternMatch: zero_pattern(),
        TriggerBufferSize: 0,
        TriggerReserved: 0,
        TriggerCommandLine: [0; 260],
    }
}

/// The raw 16-bit value of a GENERIC_PORT (memory order).
fn port_value(p: &GENERIC_PORT) -> u16 {
    // SAFETY: every member of the union is plain bytes; reading the 2-byte member is always valid.
    unsafe { p.ByteSwappedIPXPort }
}

pub fn format_pattern(p: &PATTERNMATCH) -> NmResult<String> {
    if p.Flags & !KNOWN_PATTERN_FLAGS != 0 || p.Length as u32 > MAX_PATTERN_LENGTH {
        return Err(NMERR_OUT_OF_RANGE);
    }
    let basis = BASIS_NAMES.get(p.OffsetBasis as usize).ok_or(NMERR_OUT_OF_RANGE)?;
    let mut s = String::new();
    if p.Flags & PATTERN_MATCH_FLAGS_NOT != 0 {
        s.push_str("NOT ");
    }
    s.push_str(basis);
    if p.Flags & PATTERN_MATCH_FLAGS_PORT_SPECIFIED != 0 {
        s.push_str(&format!(" PORT 0x{:X}", port_value(&p.Port)));
    }
    let bytes = &p.PatternToMatch[..p.Length as usize];
    let hex = if bytes.is_empty() { "-".to_string() } else { format_hex(bytes) };
    s.push_str(&format!(" {} {}", p.Offset, hex));
    Ok(s)
}

pub fn parse_pattern(s: &str) -> NmResult<PATTERNMATCH> {
    let bad = NMERR_BLOB_CONVERSION_ERROR;
    let toks: Vec<&str> = s.split_whitespace().collect();
    let mut i = 0;
    let mut p = zero_pattern();
    if toks.get(i).is_some_and(|t| t.eq_ignore_ascii_case("NOT")) {
        p.Flags |= PATTERN_MATCH_FLAGS_NOT;
        i += 1;
    }
    let basis = toks.get(i).ok_or(bad)?;
    p.OffsetBasis = BASIS_NAMES.iter().position(|b| b.eq_ignore_ascii_case(basis)).ok_or(bad)? as u8;
    i += 1;
    if toks.get(i).is_some_and(|t| t.eq_ignore_ascii_case("PORT")) {
        let v = parse_dword(toks.get(i + 1).ok_or(bad)?)?;
        if v > u16::MAX as u32 {
            return Err(bad);
        }
        p.Flags |= PATTERN_MATCH_FLAGS_PORT_SPECIFIED;
        p.Port = GENERIC_PORT { ByteSwappedIPXPort: v as u16 };
        i += 2;
    }
    let offset = parse_dword(toks.get(i).ok_or(bad)?)?;
    if offset > u16::MAX as u32 {
        return Err(bad);
    }
    p.Offset = offset as u16;
    let hex = toks.get(i + 1).ok_or(bad)?;
    if toks.len() != i + 2 {
        return Err(bad);
    }
    let bytes = if *hex == "-" { Vec::new() } else { parse_hex(hex)? };
    if bytes.is_empty() && *hex != "-" || bytes.len() > MAX_PATTERN_LENGTH as usize {
        return Err(bad);
    }
    p.Length = bytes.len() as u16;
    p.PatternToMatch[..bytes.len()].copy_from_slice(&bytes);
    Ok(p)
}

pub fn format_expression(e: &EXPRESSION) -> NmResult<String> {
    if e.nAndExps > MAX_PATTERNS {
        return Err(NMERR_OUT_OF_RANGE);
    }
    let mut groups = Vec::new();
    for a in &e.AndExp[..e.nAndExps as usize] {
        if a.nPatternMatches > MAX_PATTERNS {
            return Err(NMERR_OUT_OF_RANGE);
        }
        let pats = a.PatternMatch[..a.nPatternMatches as usize].iter().map(format_pattern).collect::<NmResult<Vec<_>>>()?;
        groups.push(format!("OR({})", pats.join(",")));
    }
    Ok(format!("AND({})", groups.join(",")))
}

fn strip_call<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let s = s.trim();
    // `get` (not indexing): the text may hold multi-byte characters anywhere.
    if !s.get(..name.len())?.eq_ignore_ascii_case(name) {
        return None;
    }
    s.get(name.len()..)?.strip_suffix(')')
}

/// Splits `s` at top-level commas (outside parentheses).
fn split_top(s: &str) -> NmResult<Vec<&str>> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in s.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(NMERR_BLOB_CONVERSION_ERROR);
                }
            }
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    out.push(&s[start..]);
    if out.len() == 1 && out[0].trim().is_empty() {
        out.clear();
    }
    Ok(out)
}

pub fn parse_expression(s: &str) -> NmResult<EXPRESSION> {
    let bad = NMERR_BLOB_CONVERSION_ERROR;
    let inner = strip_call(s, "AND(").ok_or(bad)?;
    let groups = split_top(inner)?;
    if groups.len() > MAX_PATTERNS as usize {
        return Err(bad);
    }
    let mut e = zero_expression();
    for (gi, g) in groups.iter().enumerate() {
        let body = strip_call(g, "OR(").ok_or(bad)?;
        let pats = split_top(body)?;
        if pats.len() > MAX_PATTERNS as usize {
            return Err(bad);
        }
        for (pi, p) in pats.iter().enumerate() {
            if p.contains('(') || p.contains(')') {
                return Err(bad);
            }
            e.AndExp[gi].PatternMatch[pi] = parse_pattern(p)?;
        }
        e.AndExp[gi].nPatternMatches = pats.len() as u32;
    }
    e.nAndExps = groups.len() as u32;
    Ok(e)
}

// ------------------------------------------------------------------ trigger

const TRIGGER_TYPES: [&str; 4] = ["PATTERN MATCH", "BUFFER CONTENT", "PATTERN MATCH THEN BUFFER CONTENT", "BUFFER CONTENT THEN PATTERN MATCH"];
const LEVELS: [&str; 4] = ["25 PERCENT", "50 PERCENT", "75 PERCENT", "100 PERCENT"];

fn action_name(a: u32) -> Option<&'static str> {
    match a {
        TRIGGER_ACTION_NOTIFY => Some("NOTIFY"),
        TRIGGER_ACTION_STOP => Some("STOP"),
        TRIGGER_ACTION_PAUSE => Some("PAUSE"),
        _ => None,
    }
}

/// Encodes an active trigger; `NMERR_ILLEGAL_TRIGGER` when a field is out of range or the command
/// line is not NUL-terminated within its 260 bytes.
pub fn format_trigger(t: &TRIGGER) -> NmResult<String> {
    let bad = NMERR_ILLEGAL_TRIGGER;
    let kind = t.TriggerType as usize;
    let kind = TRIGGER_TYPES.get(kind.wrapping_sub(1)).ok_or(bad)?;
    let action = action_name(t.TriggerAction as u32).ok_or(bad)?;
    let level = LEVELS.get(t.TriggerBufferSize as usize).ok_or(bad)?;
    if t.TriggerFlags > TRIGGER_FLAGS_DATA_RELATIVE {
        return Err(bad);
    }
    let pattern = format_pattern(&t.TriggerPatternMatch).map_err(|_| bad)?;
    let cmd: Vec<u8> = t.TriggerCommandLine.iter().map(|c| *c as u8).collect();
    let end = cmd.iter().position(|b| *b == 0).ok_or(bad)?;
    let cmd = String::from_utf8(cmd[..end].to_vec()).map_err(|_| bad)?;
    Ok(format!("{kind};{action};{level};{pattern};0x{:X};{cmd}", t.TriggerFlags))
}

/// Decodes a trigger (always active); `NMERR_ILLEGAL_TRIGGER` when malformed.
pub fn parse_trigger(s: &str) -> NmResult<TRIGGER> {
    let bad = NMERR_ILLEGAL_TRIGGER;
    let f: Vec<&str> = s.splitn(6, ';').collect();
    if f.len() != 6 {
        return Err(bad);
    }
    let mut t = zero_trigger();
    t.TriggerActive = TRUE;
    t.TriggerType = TRIGGER_TYPES.iter().position(|n| n.eq_ignore_ascii_case(f[0].trim())).ok_or(bad)? as u8 + 1;
    t.TriggerAction = [TRIGGER_ACTION_NOTIFY, TRIGGER_ACTION_STOP, TRIGGER_ACTION_PAUSE]
        .into_iter()
        .find(|a| action_name(*a).is_some_and(|n| n.eq_ignore_ascii_case(f[1].trim())))
        .ok_or(bad)? as u8;
    t.TriggerBufferSize = LEVELS.iter().position(|n| n.eq_ignore_ascii_case(f[2].trim())).ok_or(bad)? as u32;
    t.TriggerPatternMatch = parse_pattern(f[3]).map_err(|_| bad)?;
    t.TriggerFlags = parse_dword(f[4]).map_err(|_| bad)?;
    if t.TriggerFlags > TRIGGER_FLAGS_DATA_RELATIVE {
        return Err(bad);
    }
    let cmd = f[5].as_bytes();
    if cmd.len() >= MAX_PATH as usize {
        return Err(bad);
    }
    for (d, s) in t.TriggerCommandLine.iter_mut().zip(cmd) {
        *d = *s as core::ffi::c_char;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(flags: u32, basis: u8, off: u16, bytes: &[u8]) -> PATTERNMATCH {
        let mut p = zero_pattern();
        p.Flags = flags;
        p.OffsetBasis = basis;
        p.Offset = off;
        p.Length = bytes.len() as u16;
        p.PatternToMatch[..bytes.len()].copy_from_slice(bytes);
        p
    }

    #[test]
    fn lists() {
        let f = ListFilter { include_all: false, values: vec![0x10, 0xE0] };
        let s = format_list(&f, 2);
        assert_eq!(s, "EXCLUDE ALL EXCEPT 0x10 0xE0");
        assert_eq!(parse_list(&s, 0xFF).unwrap(), f);
        assert_eq!(parse_list("include all except", 0xFF).unwrap(), ListFilter { include_all: true, values: vec![] });
        assert!(parse_list("EXCLUDE ALL EXCEPT 0x100", 0xFF).is_err());
        assert!(parse_list("ALL 1", 0xFF).is_err());
        assert!(parse_list("EXCLUDE ALL EXCEPTX", 0xFF).is_err());
    }

    #[test]
    fn expressions() {
        let mut e = zero_expression();
        e.nAndExps = 2;
        e.AndExp[0].nPatternMatches = 2;
        e.AndExp[0].PatternMatch[0] = pat(0, 0, 12, &[0x08, 0x00]);
        e.AndExp[0].PatternMatch[1] = pat(PATTERN_MATCH_FLAGS_NOT, 3, 9, &[0x11]);
        e.AndExp[1].nPatternMatches = 1;
        let mut p = pat(PATTERN_MATCH_FLAGS_PORT_SPECIFIED, 3, 0, &[]);
        p.Port = GENERIC_PORT { ByteSwappedIPXPort: 0x35 };
        e.AndExp[1].PatternMatch[0] = p;
        let s = format_expression(&e).unwrap();
        assert_eq!(s, "AND(OR(FRAME 12 0800,NOT IP 9 11),OR(IP PORT 0x35 0 -))");
        let back = parse_expression(&s).unwrap();
        assert_eq!(format_expression(&back).unwrap(), s);
        assert_eq!(parse_expression("AND()").unwrap().nAndExps, 0);
        assert!(parse_expression("AND(OR(FRAME 1 GG))").is_err());
        assert!(parse_expression("AND(OR(FRAME 1 00)").is_err());
        assert!(parse_expression("OR(FRAME 1 00)").is_err());
        assert!(parse_expression("AND(OR(),OR(),OR(),OR(),OR())").is_err());
        // multi-byte characters where a keyword is expected (found by fuzzing: used to panic)
        assert!(parse_expression("AND\u{e9})").is_err());
        assert!(parse_expression("AND(OR\u{e9}())").is_err());
        assert!(parse_expression("AN\u{e9}").is_err());
        assert!(parse_list("EXCLUDE ALL EXCEP\u{e9} 1", 0xFF).is_err());
        assert!(parse_trigger("PATTERN MATCH;STOP;25 PERCENT;FRAME 0 \u{e9};0x0;").is_err());
    }

    #[test]
    fn addresses() {
        let mut t = ADDRESSTABLE2 { nAddressPairs: 2, ..Default::default() };
        t.AddressPair[0].AddressFlags = (ADDRESS_FLAGS_MATCH_BOTH | ADDRESS_FLAGS_EXCLUDE) as u16;
        t.AddressPair[0].DstAddress = ADDRESS2 { Type: ADDRESS_TYPE_IP, Address: [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], Flags: 0 };
        t.AddressPair[0].SrcAddress = ADDRESS2 { Type: ADDRESS_TYPE_ANY, ..Default::default() };
        t.AddressPair[1].AddressFlags = ADDRESS_FLAGS_MATCH_SRC as u16;
        t.AddressPair[1].SrcAddress = ADDRESS2 { Type: ADDRESS_TYPE_ETHERNET, Address: [0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], Flags: 1 };
        t.AddressPair[1].DstAddress = ADDRESS2 { Type: ADDRESS_TYPE_IP6, Address: Ipv6Addr::LOCALHOST.octets(), Flags: 0 };
        let s = format_address_table(&t).unwrap();
        assert_eq!(s, "EXCLUDE,0x3,IP,10.0.0.1,0x0,ANY,,0x0;INCLUDE,0x2,IP6,::1,0x0,ETHERNET,000102030405,0x1");
        let back = parse_address_table(&s).unwrap();
        assert_eq!(back.nNonMacAddressPairs, 2);
        t.nNonMacAddressPairs = 2;
        assert_eq!(back, t);
        assert!(parse_address_table("INCLUDE,0x3,IP,10.0.0,0x0,ANY,,0x0").is_err());
        assert!(parse_address_table("MAYBE,0x3,IP,10.0.0.1,0x0,ANY,,0x0").is_err());
        assert!(parse_address_table("INCLUDE,0x3,IPZ,10.0.0.1,0x0,ANY,,0x0").is_err());
        t.nAddressPairs = 9;
        assert_eq!(format_address_table(&t).unwrap_err(), NMERR_OUT_OF_RANGE);
    }

    #[test]
    fn triggers() {
        let mut t = zero_trigger();
        t.TriggerActive = TRUE;
        t.TriggerType = TRIGGER_TYPE_PATTERN_MATCH_THEN_BUFFER_CONTENT as u8;
        t.TriggerAction = TRIGGER_ACTION_STOP as u8;
        t.TriggerBufferSize = TRIGGER_BUFFER_FULL_75_PERCENT;
        t.TriggerPatternMatch = pat(0, 0, 6, &[0xff; 6]);
        for (d, s) in t.TriggerCommandLine.iter_mut().zip(b"echo a;b") {
            *d = *s as core::ffi::c_char;
        }
        let s = format_trigger(&t).unwrap();
        assert_eq!(s, "PATTERN MATCH THEN BUFFER CONTENT;STOP;75 PERCENT;FRAME 6 FFFFFFFFFFFF;0x0;echo a;b");
        let back = parse_trigger(&s).unwrap();
        assert_eq!(format_trigger(&back).unwrap(), s);
        assert_eq!(parse_trigger("BOGUS;STOP;75 PERCENT;FRAME 6 FF;0x0;").err(), Some(NMERR_ILLEGAL_TRIGGER));
        t.TriggerAction = 1;
        assert_eq!(format_trigger(&t).unwrap_err(), NMERR_ILLEGAL_TRIGGER);
    }
}

#[cfg(test)]
mod v1_tests {
    use super::*;

    #[test]
    fn v1_round_trip_and_ipv6_refused() {
        let mut t = ADDRESSTABLE { nAddressPairs: 1, ..Default::default() };
        t.AddressPair[0].AddressFlags = ADDRESS_FLAGS_MATCH_DST as u16;
        t.AddressPair[0].DstAddress = ADDRESS { Type: ADDRESS_TYPE_IPX, Address: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Flags: 0 };
        t.AddressPair[0].SrcAddress = ADDRESS { Type: ADDRESS_TYPE_ANY, ..Default::default() };
        let v2 = address_table_from_v1(&t).unwrap();
        let back = address_table_to_v1(&parse_address_table(&format_address_table(&v2).unwrap()).unwrap()).unwrap();
        assert_eq!(back.AddressPair[0], t.AddressPair[0]);
        let mut v6 = v2;
        v6.AddressPair[0].DstAddress.Type = ADDRESS_TYPE_IP6;
        assert_eq!(address_table_to_v1(&v6).unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
    }
}
