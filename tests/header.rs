//! include/netmon.h must be exactly what cbindgen 0.29.4 makes of the sources and cbindgen.toml,
//! and the hand-kept string constants must agree with src/blob/names.rs.
//!
//! To refresh the header after changing the C surface:
//!   cargo install cbindgen --version 0.29.4 --locked
//!   RUSTC_BOOTSTRAP=1 cbindgen --config cbindgen.toml --crate ndisnpp --output include/netmon.h
//! (cbindgen reads the macro-expanded crate: the exports are written with `ffi_fn!`.)

use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn header_is_what_cbindgen_generates() {
    let config = cbindgen::Config::from_file(root().join("cbindgen.toml")).expect("cbindgen.toml");
    // The expansion runs `cargo rustc -- -Zunpretty=expanded` (allowed on stable with
    // RUSTC_BOOTSTRAP) in a target directory of its own, so that it does not wait for the lock
    // of the one this test was built in.
    std::env::set_var("RUSTC_BOOTSTRAP", "1");
    std::env::set_var("CARGO_EXPAND_TARGET_DIR", root().join("target/cbindgen-expand"));
    let mut generated = Vec::new();
    cbindgen::Builder::new().with_config(config).with_crate(root()).generate().expect("cbindgen generates").write(&mut generated);
    let committed = std::fs::read(root().join("include/netmon.h")).expect("include/netmon.h");
    if generated != committed {
        let g = String::from_utf8_lossy(&generated);
        let c = String::from_utf8_lossy(&committed);
        let first = g.lines().zip(c.lines()).position(|(a, b)| a != b);
        panic!(
            "include/netmon.h is stale (first differing line: {:?}); regenerate it with \
             `RUSTC_BOOTSTRAP=1 cbindgen --config cbindgen.toml --crate ndisnpp --output include/netmon.h` (cbindgen 0.29.4)",
            first.map(|i| i + 1)
        );
    }
}

/// `NAME "value"` pairs of the lines matching `prefix NAME "value"`.
fn string_consts(text: &str, prefix: &str, sep: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix(prefix) else { continue };
        let Some((name, value)) = rest.split_once(sep) else { continue };
        let value = value.trim();
        let Some(start) = value.find('"') else { continue };
        let Some(end) = value[start + 1..].find('"') else { continue };
        out.insert(name.trim().to_string(), value[start + 1..start + 1 + end].to_string());
    }
    out
}

#[test]
fn string_constants_match_the_rust_side() {
    let rust = std::fs::read_to_string(root().join("src/blob/names.rs")).unwrap();
    let rust = string_consts(&rust, "pub const ", ": &str =");
    let header = std::fs::read_to_string(root().join("include/netmon.h")).unwrap();
    let c: BTreeMap<String, String> = string_consts(&header, "#define ", " ").into_iter().filter(|(k, _)| !k.contains('(')).collect();
    assert!(rust.len() > 140, "names.rs parsed: {}", rust.len());
    assert_eq!(rust, c, "cbindgen.toml's string #defines and src/blob/names.rs differ");
    assert_eq!(rust["TAG_PROMISCUOUS_MODE"], ndisnpp::blob::names::TAG_PROMISCUOUS_MODE);
}

/// The header's `enum NmErr` (what cbindgen made of src/nmerr.rs) holds exactly the codes the
/// library knows, name for name and number for number.
#[test]
fn nmerr_enum_matches_the_rust_side() {
    let header = std::fs::read_to_string(root().join("include/netmon.h")).unwrap();
    let start = header.find("enum NmErr\n").expect("enum NmErr in the header");
    let body = &header[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
    let c: Vec<(String, u32)> =
        body.lines().filter_map(|l| l.trim().trim_end_matches(',').split_once(" = ")).map(|(n, v)| (n.to_string(), v.parse().expect("a number"))).collect();
    let rust: Vec<(String, u32)> = ndisnpp::nmerr::ALL.iter().map(|e| (e.name().to_string(), e.code())).collect();
    assert_eq!(c, rust);
}

/// Every exported function is written with `ffi_fn!` (src/ffi/macros.rs): no `#[no_mangle]`
/// anywhere else, so every export has the panic guard and the shared contract.
#[test]
fn every_export_is_written_with_ffi_fn() {
    let mut by_hand = Vec::new();
    let mut exports = 0;
    for entry in std::fs::read_dir(root().join("src/ffi")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().is_some_and(|n| n == "macros.rs") {
            continue;
        }
        exports += text.matches("ffi_fn! {").count();
        for (i, line) in text.lines().enumerate() {
            if line.contains("no_mangle") || line.contains("extern \"C\" fn") {
                by_hand.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(by_hand.is_empty(), "exports written by hand:\n{}", by_hand.join("\n"));
    let header = std::fs::read_to_string(root().join("include/netmon.h")).unwrap();
    assert!(exports >= 70, "{exports} ffi_fn! exports");
    for name in ["CreateBlob", "esp_stop", "nmerr_text", "IsRemoteNPP"] {
        assert!(header.contains(&format!(" {name}(")), "{name} is declared");
    }
}
