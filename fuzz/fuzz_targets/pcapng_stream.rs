//! The pcapng stream reader of remote captures (`capfile::pcapng_stream`), on arbitrary bytes
//! after a section header's block type: it never panics; fed in pieces of any size it gives the
//! same items and the same error as fed whole; and where libpcap reads the same bytes as a file
//! to its end without damage and the reader found no error (one interface), the frames are
//! libpcap's.
#![no_main]

mod files;

use libfuzzer_sys::{fuzz_target, Corpus};
use ndisnpp::capfile::pcapng_stream::{Item, StreamReader};
use ndisnpp::capfile::Timestamp;

/// Every item (frames as owned values) and the error, if one, of `data` fed in `piece`-byte
/// pieces (0: whole).
fn read(data: &[u8], piece: usize) -> (Vec<String>, Vec<(Timestamp, u32, Vec<u8>)>, u32, Option<String>) {
    let mut r = StreamReader::new();
    let (mut items, mut frames, mut ifaces) = (Vec::new(), Vec::new(), 0);
    let chunks: Vec<&[u8]> = if piece == 0 { vec![data] } else { data.chunks(piece).collect() };
    for c in chunks {
        r.feed(c);
        loop {
            match r.next_item() {
                Ok(Some(item)) => {
                    if let Item::Frame { ts, wire_len, data, .. } = &item {
                        frames.push((*ts, *wire_len, data.to_vec()));
                    }
                    if let Item::Interface { .. } = &item {
                        ifaces += 1;
                    }
                    items.push(format!("{item:?}"));
                }
                Ok(None) => break,
                Err(e) => return (items, frames, ifaces, Some(e)),
            }
        }
    }
    (items, frames, ifaces, None)
}

fuzz_target!(|data: &[u8]| -> Corpus {
    if !data.starts_with(&[0x0A, 0x0D, 0x0D, 0x0A]) || data.len() < 2 {
        return Corpus::Reject;
    }
    let piece = usize::from(data[data.len() - 1] % 61) + 1;
    let whole = read(data, 0);
    let pieces = read(data, piece);
    assert_eq!(whole, pieces, "fed in {piece}-byte pieces");
    let (_, frames, ifaces, err) = whole;
    let (path, _) = files::scratch("pcapng_stream");
    std::fs::write(&path, data).expect("scratch file");
    if let Ok((_, drained)) = files::libpcap(&path) {
        if drained.damage.is_none() && err.is_none() && ifaces == 1 {
            assert_eq!(frames, drained.frames, "the stream reader and libpcap differ");
        }
    }
    Corpus::Keep
});
