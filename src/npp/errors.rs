//! Errors: entries for the error BLOB, and the NMERR of a failed open or file operation.

use super::*;

/// Error BLOB entries (category, tag, value) gathered under the NPP's locks and written into the
/// caller's error BLOB after they are released: the caller may hold that BLOB's lock
/// (LockBlob) while another of its threads calls on this NPP.
#[derive(Default)]
pub(super) struct Reports(pub(super) Vec<(String, String, String)>);

impl Reports {
    pub(super) fn add(&mut self, category: &str, tag: &str, value: &str) {
        self.0.push((category.to_string(), tag.to_string(), value.to_string()));
    }

    /// Writes the entries into the error BLOB `err` (if any). Call with no NPP lock held.
    pub(super) fn write(self, err: Option<u64>) {
        for (c, t, v) in self.0 {
            store::report(err, &c, &t, &v);
        }
    }
}

/// Error BLOB entries for a failed open, and its NMERR.
pub(super) fn open_error(e: &OpenError, target: &Blob, reports: &mut Reports) -> NmErr {
    let name = finder::nic_name(target).unwrap_or_default();
    match e {
        OpenError::NoDevice(m) => {
            reports.add(CATEGORY_LOCATION, TAG_NAME, &name);
            reports.add("Error", "Detail", m);
            NMERR_NETWORK_NOT_PRESENT
        }
        OpenError::Permission(m) => {
            reports.add("Error", "Permission", &format!("capturing on {name} needs CAP_NET_RAW (run as root, or grant the program cap_net_raw)"));
            reports.add("Error", "Detail", m);
            NMERR_ACCESS_DENIED
        }
        OpenError::Promiscuous(m) => {
            reports.add("Error", "Detail", m);
            NMERR_PROMISCUOUS_MODE_NOT_SUPPORTED
        }
        OpenError::Other(m) => {
            reports.add("Error", "Detail", m);
            NMERR_MAC_DRIVER_OPEN_FAILURE
        }
        OpenError::FileNotFound(m) => {
            reports.add(CATEGORY_LOCATION, TAG_REPLAY_FILE, m);
            NMERR_FILE_NOT_FOUND
        }
        OpenError::BadFile(m) => {
            reports.add("Error", "Detail", m);
            NMERR_INVALID_FILE_FORMAT
        }
        // A malformed configuration entry, as the Netmon filter parts: the entry, and why in
        // libpcap's words.
        OpenError::Filter(m) => {
            let expr = target.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), TAG_BPF_FILTER.as_bytes()).unwrap_or_default();
            reports.add(CATEGORY_CONFIG, TAG_BPF_FILTER, &expr);
            reports.add("Error", "Detail", m);
            NMERR_BLOB_CONVERSION_ERROR
        }
        OpenError::Remote(code, m) => {
            if let Ok(c) = target.get_str(OWNER_NPP.as_bytes(), CATEGORY_REMOTE.as_bytes(), TAG_REMOTECOMPUTER.as_bytes()) {
                reports.add(CATEGORY_REMOTE, TAG_REMOTECOMPUTER, &c);
            }
            if *code == NMERR_ACCESS_DENIED {
                reports.add("Error", "Permission", m);
            }
            reports.add("Error", "Detail", m);
            *code
        }
    }
}

pub(super) fn io_to_nmerr(e: &std::io::Error) -> NmErr {
    match e.raw_os_error() {
        Some(libc::EACCES | libc::EPERM | libc::EROFS) => NMERR_ACCESS_DENIED,
        Some(libc::ENOENT | libc::ENOTDIR) => NMERR_PATH_NOT_FOUND,
        Some(libc::ENOSPC | libc::EDQUOT | libc::EIO) => NMERR_FILE_WRITE_ERROR,
        _ => NMERR_COULD_NOT_CREATE_TEMPFILE,
    }
}

/// `config::check_output` with its error named in the error BLOB: the descriptor entry and the
/// reason (`NPP:Error:Detail`).
pub(super) fn output_checked(config: &CaptureConfig, reports: &mut Reports) -> NmResult<()> {
    config::check_output(config).map_err(|(code, why)| {
        reports.add(CATEGORY_CONFIG, TAG_CAPTURE_FILE_DESCRIPTOR, &config.capture_fd.map(|fd| fd.to_string()).unwrap_or_default());
        reports.add("Error", "Detail", &why);
        code
    })
}
