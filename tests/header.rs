//! include/netmon.h must be exactly what cbindgen 0.29.4 makes of the sources and cbindgen.toml,
//! and include/netmon_names.h (the string constants, which cbindgen cannot emit) exactly what
//! `names_header` below makes of src/blob/names.rs.
//!
//! To refresh the header after changing the C surface:
//!   cargo install cbindgen --version 0.29.4 --locked
//!   RUSTC_BOOTSTRAP=1 cbindgen --config cbindgen.toml --crate ndisnpp --output include/netmon.h
//! (cbindgen reads the macro-expanded crate: the exports are written with `ffi_fn!`.)
//! and after changing src/blob/names.rs:
//!   NDISNPP_REGENERATE=1 cargo test --test header names_header

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

/// include/netmon_names.h as src/blob/names.rs makes it: one `#define NAME "value"` per string
/// constant, in the order declared, each under its doc comment.
fn names_header() -> String {
    let mut out = String::from(
        "/*\n \
         * netmon_names.h: ndisnpp's BLOB owner, category and tag names and the keywords of filter and\n \
         * trigger values, as string constants (Network Monitor's names; \"ndisnpp\" marks this library's\n \
         * own). Included by netmon.h: include netmon.h, not this file.\n \
         * Generated from src/blob/names.rs by tests/header.rs; do not edit by hand. Regenerate with\n \
         *   NDISNPP_REGENERATE=1 cargo test --test header\n \
         */\n\
         #ifndef NDISNPP_NETMON_NAMES_H\n\
         #define NDISNPP_NETMON_NAMES_H\n\n",
    );
    for n in ndisnpp::blob::names::ALL {
        let printable = |s: &str| s.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
        assert!(printable(n.value), "{}: the value needs C escapes, which this generator does not write", n.name);
        for line in n.doc {
            assert!(!line.contains("*/") && !line.contains('\n'), "{}: doc line {line:?} cannot go into a C comment", n.name);
        }
        match n.doc {
            [] => {}
            [line] => out += &format!("/*{line} */\n"),
            [first, rest @ ..] => {
                out += &format!("/*{first}\n");
                for line in rest {
                    out += &format!(" *{line}\n");
                }
                out += " */\n";
            }
        }
        out += &format!("#define {} \"{}\"\n", n.name, n.value);
    }
    out += "\n#endif /* NDISNPP_NETMON_NAMES_H */\n";
    out
}

/// include/netmon_names.h is exactly what `names_header` makes of src/blob/names.rs, the one list
/// of the string constants; `NDISNPP_REGENERATE=1` writes it instead of comparing.
#[test]
fn names_header_is_generated_from_names_rs() {
    let path = root().join("include/netmon_names.h");
    let generated = names_header();
    if std::env::var_os("NDISNPP_REGENERATE").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write include/netmon_names.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("include/netmon_names.h: {e}"));
    if generated != committed {
        let first = generated.lines().zip(committed.lines()).position(|(a, b)| a != b);
        let first = first.unwrap_or(generated.lines().count().min(committed.lines().count())) + 1;
        panic!(
            "include/netmon_names.h is stale (first differing line: {first}); regenerate it with \
             `NDISNPP_REGENERATE=1 cargo test --test header names_header`"
        );
    }
}

/// The list is whole: the 155 names C programs had before the header was generated and the ones
/// added since (the pcap-filter expression, rotation, streams, the remote NIC's), each once, and
/// netmon.h includes the generated file.
#[test]
fn names_list_is_whole_and_included() {
    use ndisnpp::blob::names::{ALL, TAG_PROMISCUOUS_MODE};
    assert_eq!(ALL.len(), 169);
    let mut seen = std::collections::BTreeSet::new();
    assert!(ALL.iter().all(|n| seen.insert(n.name)), "a name declared twice");
    assert!(ALL.iter().any(|n| n.name == "TAG_PROMISCUOUS_MODE" && n.value == TAG_PROMISCUOUS_MODE));
    let header = std::fs::read_to_string(root().join("include/netmon.h")).unwrap();
    assert!(header.contains("\n#include \"netmon_names.h\"\n"), "netmon.h includes netmon_names.h");
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
