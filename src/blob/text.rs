//! The text form of a BLOB, used by WriteBlobToFile/ReadBlobFromFile and MarshalBlob/UnMarshalBlob.
//!
//! ```text
//! #NMBLOB 1
//! Owner:Category:Tag=Value
//! ```
//! One entry per line, each line ends with `\n`. In names, `\`, `:`, `=`, LF and CR are written
//! `\\`, `\:`, `\=`, `\n`, `\r`, and a `#` that starts the owner name `\#`; in values, `\`, LF and CR are. Lines that are empty or start
//! with `#` after the first are ignored. Errors: no or bad version line, a line without its
//! separators, or a bad escape → `NMERR_BLOB_CONVERSION_ERROR`; a newer version →
//! `NMERR_UPLEVEL_BLOB`; a NUL byte or a last line without `\n` → `NMERR_BLOB_STRING_INVALID`;
//! the same entry twice → `NMERR_BLOB_ENTRY_ALREADY_EXISTS`.

use super::Blob;
use crate::nmerr::*;

/// The version this library writes and the newest it reads.
pub const VERSION: u32 = 1;
const MAGIC: &[u8] = b"#NMBLOB ";

fn escape_into(out: &mut Vec<u8>, bytes: &[u8], name: bool) {
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b':' if name => out.extend_from_slice(b"\\:"),
            b'=' if name => out.extend_from_slice(b"\\="),
            _ => out.push(b),
        }
    }
}

/// The text form of `blob`.
pub fn serialize(blob: &Blob) -> Vec<u8> {
    let mut out = format!("#NMBLOB {VERSION}\n").into_bytes();
    for e in blob.entries() {
        // A line starting with '#' is a comment: an owner name starting with '#' gets `\#`.
        let owner = e.owner.to_bytes();
        let owner = match owner.strip_prefix(b"#") {
            Some(rest) => {
                out.extend_from_slice(b"\\#");
                rest
            }
            None => owner,
        };
        escape_into(&mut out, owner, true);
        out.push(b':');
        escape_into(&mut out, e.category.to_bytes(), true);
        out.push(b':');
        escape_into(&mut out, e.tag.to_bytes(), true);
        out.push(b'=');
        escape_into(&mut out, e.value.to_bytes(), false);
        out.push(b'\n');
    }
    out
}

/// Reads one field up to an unescaped `stop` byte (or the end when `stop` is None), unescaping.
fn field(line: &[u8], pos: &mut usize, stop: Option<u8>) -> NmResult<Vec<u8>> {
    let mut out = Vec::new();
    while *pos < line.len() {
        let b = line[*pos];
        *pos += 1;
        if Some(b) == stop {
            return Ok(out);
        }
        if b == b'\\' {
            let Some(&n) = line.get(*pos) else {
                return Err(NMERR_BLOB_CONVERSION_ERROR);
            };
            *pos += 1;
            out.push(match n {
                b'\\' => b'\\',
                b'n' => b'\n',
                b'r' => b'\r',
                b':' => b':',
                b'=' => b'=',
                b'#' => b'#',
                _ => return Err(NMERR_BLOB_CONVERSION_ERROR),
            });
        } else {
            out.push(b);
        }
    }
    if stop.is_some() {
        Err(NMERR_BLOB_CONVERSION_ERROR)
    } else {
        Ok(out)
    }
}

/// Parses the text form.
pub fn parse(bytes: &[u8]) -> NmResult<Blob> {
    if bytes.contains(&0) {
        return Err(NMERR_BLOB_STRING_INVALID);
    }
    if !bytes.starts_with(MAGIC) {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    if bytes.last() != Some(&b'\n') {
        return Err(NMERR_BLOB_STRING_INVALID);
    }
    let mut lines = bytes[..bytes.len() - 1].split(|&b| b == b'\n');
    let header = lines.next().unwrap_or_default();
    let version = std::str::from_utf8(&header[MAGIC.len()..]).ok().and_then(|v| v.trim().parse::<u32>().ok()).ok_or(NMERR_BLOB_CONVERSION_ERROR)?;
    if version == 0 {
        return Err(NMERR_BLOB_CONVERSION_ERROR);
    }
    if version > VERSION {
        return Err(NMERR_UPLEVEL_BLOB);
    }
    let mut blob = Blob::new();
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let mut pos = 0;
        let owner = field(line, &mut pos, Some(b':'))?;
        let category = field(line, &mut pos, Some(b':'))?;
        let tag = field(line, &mut pos, Some(b'='))?;
        let value = field(line, &mut pos, None)?;
        if owner.is_empty() || category.is_empty() || tag.is_empty() {
            return Err(NMERR_BLOB_CONVERSION_ERROR);
        }
        if blob.contains(&owner, &category, &tag) {
            return Err(NMERR_BLOB_ENTRY_ALREADY_EXISTS);
        }
        blob.set(&owner, &category, &tag, &value)?;
    }
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_escapes() {
        let mut b = Blob::new();
        b.set(b"NPP", b"Config", b"BufferSize", b"32768").unwrap();
        b.set(b"A:b=c\\", b"line\nbreak", b"t", b"v=1:2\\\r\nend").unwrap();
        b.set(b"#hash", b"#c", b"t#", b"#v").unwrap();
        let text = serialize(&b);
        let back = parse(&text).unwrap();
        assert_eq!(serialize(&back), text);
        assert_eq!(back.get(b"A:b=c\\", b"line\nbreak", b"t").unwrap().to_bytes(), b"v=1:2\\\r\nend");
        assert_eq!(back.get(b"#hash", b"#c", b"t#").unwrap().to_bytes(), b"#v");
    }

    #[test]
    fn errors() {
        assert_eq!(parse(b"").unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
        assert_eq!(parse(b"NPP:C:T=V\n").unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
        assert_eq!(parse(b"#NMBLOB 2\n").unwrap_err(), NMERR_UPLEVEL_BLOB);
        assert_eq!(parse(b"#NMBLOB x\n").unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
        assert_eq!(parse(b"#NMBLOB 1\nA:B:C=D").unwrap_err(), NMERR_BLOB_STRING_INVALID);
        assert_eq!(parse(b"#NMBLOB 1\nA:B:C=D\0\n").unwrap_err(), NMERR_BLOB_STRING_INVALID);
        assert_eq!(parse(b"#NMBLOB 1\nA:B=D\n").unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
        assert_eq!(parse(b"#NMBLOB 1\nA:B:C=D\\q\n").unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
        assert_eq!(parse(b"#NMBLOB 1\nA:B:C=1\na:b:c=2\n").unwrap_err(), NMERR_BLOB_ENTRY_ALREADY_EXISTS);
        assert_eq!(parse(b"#NMBLOB 1\n:B:C=1\n").unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
        assert_eq!(parse(b"#NMBLOB 1\n\n# comment\nA:B:C=\n").unwrap().len(), 1);
    }
}
