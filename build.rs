// The shared library names itself libndisnpp.so.<major> (its ELF SONAME): the name CMake installs
// it under, and the one that programs linked against it record instead of the path they were
// linked with.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libndisnpp.so.{major}");
    }
}
