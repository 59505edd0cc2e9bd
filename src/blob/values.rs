//! Typed values stored as text: DWORD, BOOL, MAC address, CLSID and wide strings.

use crate::nmerr::*;
use crate::types::GUID;

/// DWORDs are written in decimal; decimal or `0x` hex is read.
pub fn format_dword(v: u32) -> String {
    v.to_string()
}

pub fn parse_dword(s: &str) -> NmResult<u32> {
    parse_qword(s).and_then(|v| u32::try_from(v).map_err(|_| NMERR_BLOB_CONVERSION_ERROR))
}

/// A 64-bit unsigned value, read as DWORDs are (decimal or `0x` hex, nothing else).
pub fn parse_qword(s: &str) -> NmResult<u64> {
    let s = s.trim();
    // Only digits: Rust's integer parsers would also take a leading '+'.
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    u64::from_str_radix(digits, radix).map_err(|_| NMERR_BLOB_CONVERSION_ERROR)
}

/// BOOLs are written `TRUE`/`FALSE`; TRUE/FALSE/YES/NO/1/0 are read, in any case.
pub fn format_bool(v: bool) -> &'static str {
    if v {
        "TRUE"
    } else {
        "FALSE"
    }
}

pub fn parse_bool(s: &str) -> NmResult<bool> {
    match s.trim().to_ascii_uppercase().as_str() {
        "TRUE" | "YES" | "1" => Ok(true),
        "FALSE" | "NO" | "0" => Ok(false),
        _ => Err(NMERR_BLOB_CONVERSION_ERROR),
    }
}

/// MAC addresses are written as 12 upper-case hex digits; `-` or `:` separators are accepted.
pub fn format_mac(m: &[u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn parse_mac(s: &str) -> NmResult<[u8; 6]> {
    let digits: String = s.trim().chars().filter(|c| *c != '-' && *c != ':').collect();
    let bytes = parse_hex(&digits)?;
    bytes.try_into().map_err(|_| NMERR_BLOB_CONVERSION_ERROR)
}

/// Hex digits (even count) to bytes.
pub fn parse_hex(s: &str) -> NmResult<Vec<u8>> {
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| NMERR_BLOB_CONVERSION_ERROR)).collect()
}

pub fn format_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// CLSIDs are written `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`; braces are optional on input.
pub fn format_guid(g: &GUID) -> String {
    format!("{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{}}}", g.Data1, g.Data2, g.Data3, g.Data4[0], g.Data4[1], format_hex(&g.Data4[2..]))
}

pub fn parse_guid(s: &str) -> NmResult<GUID> {
    let s = s.trim();
    let s = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(s);
    let parts: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let hex = |p: &str| p.bytes().all(|b| b.is_ascii_hexdigit());
    if parts.len() != 5 || parts.iter().zip(lens).any(|(p, l)| p.len() != l || !hex(p)) {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    let bad = |_| NMERR_BLOB_CONVERSION_ERROR;
    let mut d4 = [0u8; 8];
    d4[..2].copy_from_slice(&parse_hex(parts[3])?);
    d4[2..].copy_from_slice(&parse_hex(parts[4])?);
    Ok(GUID {
        Data1: u32::from_str_radix(parts[0], 16).map_err(bad)?,
        Data2: u16::from_str_radix(parts[1], 16).map_err(bad)?,
        Data3: u16::from_str_radix(parts[2], 16).map_err(bad)?,
        Data4: d4,
    })
}

/// Wide strings (UTF-16 code units) are stored as hex text of their bytes in memory order
/// (little-endian), 4 digits a unit, without the terminating NUL.
pub fn format_wide(units: &[u16]) -> String {
    units.iter().map(|u| format_hex(&u.to_le_bytes())).collect()
}

/// Decodes a stored wide string; the result ends with a NUL unit.
pub fn parse_wide(s: &str) -> NmResult<Vec<u16>> {
    if s.len() % 4 != 0 {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    let bytes = parse_hex(s)?;
    let mut units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    if units.contains(&0) {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    units.push(0);
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dword_bool_mac_guid_wide() {
        assert_eq!(parse_dword("0x10").unwrap(), 16);
        assert_eq!(parse_dword("4294967295").unwrap(), u32::MAX);
        assert!(parse_dword("4294967296").is_err());
        assert!(parse_dword("-1").is_err());
        assert!(parse_dword("+16").is_err());
        assert!(parse_dword("0x+10").is_err());
        assert!(parse_dword("0x").is_err());
        assert!(parse_guid("{+C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47}").is_err());
        assert!(parse_guid("{8C3B7A52-+D64-4E0F-A9B2-6F1C0D3E5A47}").is_err());
        assert!(parse_bool("yes").unwrap());
        assert!(!parse_bool("0").unwrap());
        assert!(parse_bool("maybe").is_err());
        let m = [0, 0x1b, 0x2c, 0xff, 0x10, 0x01];
        assert_eq!(format_mac(&m), "001B2CFF1001");
        assert_eq!(parse_mac("00-1b-2c-FF-10-01").unwrap(), m);
        assert_eq!(parse_mac("00:1b:2c:FF:10:01").unwrap(), m);
        assert!(parse_mac("001B2CFF10").is_err());
        let g = GUID { Data1: 0xE99A04AA, Data2: 0xAB95, Data3: 0x11D0, Data4: [0xBE, 0x96, 0, 0xA0, 0xC9, 0x49, 0x89, 0xDE] };
        assert_eq!(format_guid(&g), "{E99A04AA-AB95-11D0-BE96-00A0C94989DE}");
        assert_eq!(parse_guid(&format_guid(&g)).unwrap(), g);
        assert_eq!(parse_guid("e99a04aa-ab95-11d0-be96-00a0c94989de").unwrap(), g);
        assert!(parse_guid("{E99A04AA-AB95-11D0-BE96-00A0C94989D}").is_err());
        let w: Vec<u16> = "Hé€".encode_utf16().collect();
        assert_eq!(format_wide(&w), "4800E900AC20");
        assert_eq!(parse_wide("4800E900AC20").unwrap(), [0x48, 0xE9, 0x20AC, 0]);
        assert!(parse_wide("480").is_err());
        assert!(parse_wide("48000000").is_err());
    }
}
