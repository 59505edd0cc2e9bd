//! Private ssh ControlMasters: one connection per destination (and ssh settings), shared by the
//! remote NICs connected to it, so that a Start is a channel on a connection that is already up
//! and many NPPs to one host do not each log in.
//!
//! * A master is this process's own: `ssh -M -S <socket> -o ControlPersist=no … -- host cat`, its
//!   socket in a directory only this user can enter ([`socket_dir`]); the user's own ControlMaster
//!   settings are never used.
//! * Its remote command, `cat`, reads the master's standard input, a socket pair whose other end
//!   this process holds: when the last NPP lets go of it, or when this process dies however it
//!   dies, the input ends, the remote `cat` ends, and with it the master.
//! * At most [`MAX_CHANNELS`] NPPs share one master (sshd allows 10 sessions per connection by
//!   default: room is left for Connect's probe); the next one starts another master.
//! * Held by a [`MasterRef`] from Connect to Disconnect (or destroy); the last reference ends it.

use super::command::{RemoteCommand, SshOptions};
use super::dest::Destination;
use super::diagnose::{diagnose, Diagnosis};
use super::process::SshProcess;
use crate::nmerr::NmErr;
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// NPPs per master at most.
pub(crate) const MAX_CHANNELS: usize = 8;

struct Master {
    key: String,
    socket: PathBuf,
    process: Mutex<SshProcess>,
}

/// Masters by key, each with the number of NPPs holding it.
static MASTERS: Mutex<Vec<(Arc<Master>, usize)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A connected NPP's share of a master: its socket goes into [`SshOptions::control_path`] for
/// the NPP's ssh commands; dropping the last share ends the master.
pub struct MasterRef {
    master: Arc<Master>,
}

impl MasterRef {
    /// The master's control socket.
    pub fn socket(&self) -> PathBuf {
        self.master.socket.clone()
    }
}

impl Drop for MasterRef {
    fn drop(&mut self) {
        let last = {
            let mut all = MASTERS.lock();
            let Some(i) = all.iter().position(|(m, _)| Arc::ptr_eq(m, &self.master)) else { return };
            all[i].1 -= 1;
            (all[i].1 == 0).then(|| all.swap_remove(i).0)
        };
        // Outside the registry's lock: ending ssh waits (a bounded time).
        if let Some(m) = last {
            end(&m);
        }
    }
}

fn end(m: &Master) {
    m.process.lock().finish(Duration::from_secs(2));
    let _ = std::fs::remove_file(&m.socket);
}

/// The directory of this process's master sockets: `$XDG_RUNTIME_DIR/ndisnpp-ssh` when that is
/// set, else `/tmp/ndisnpp-ssh-<uid>`; made 0700, and refused unless it is a directory (not a
/// symbolic link) owned by this user and closed to others.
pub fn socket_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("ndisnpp-ssh"),
        None => PathBuf::from(format!("/tmp/ndisnpp-ssh-{uid}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    }
    let md = std::fs::symlink_metadata(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !md.is_dir() || md.uid() != uid || md.permissions().mode() & 0o077 != 0 {
        return Err(format!("{}: not a private directory of this user (a directory, owned by uid {uid}, mode 0700)", dir.display()));
    }
    Ok(dir)
}

fn key_of(dest: &Destination, o: &SshOptions) -> String {
    format!(
        "{dest}|{}|{}|{:?}|{:?}|{:?}",
        o.connect_timeout,
        o.alive_interval,
        o.host_key_check,
        std::env::var_os(super::command::SSH_ENV),
        std::env::var_os(super::command::SSH_CONFIG_ENV)
    )
}

/// A share of a master to `dest` with settings `o`: one that has room, else a new one, started
/// and waited for (at most ConnectTimeout and 5 s more). The error is the failure diagnosed.
pub fn acquire(dest: &Destination, o: &SshOptions) -> Result<MasterRef, Diagnosis> {
    let key = key_of(dest, o);
    {
        let mut all = MASTERS.lock();
        if let Some(slot) = all.iter_mut().find(|(m, n)| m.key == key && *n < MAX_CHANNELS && m.socket.exists()) {
            slot.1 += 1;
            return Ok(MasterRef { master: slot.0.clone() });
        }
    }
    let fail = |detail: String| Diagnosis { code: NmErr::NMERR_RPC_REMOTE_FAILURE, detail };
    let dir = socket_dir().map_err(fail)?;
    let socket = dir.join(format!("m-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_file(&socket);
    let master_opts = SshOptions { control_path: Some(socket.clone()), master: true, ..o.clone() };
    let mut process = SshProcess::spawn(dest, &master_opts, &RemoteCommand::new("cat", false)).map_err(|e| fail(e.to_string()))?;
    let deadline = Instant::now() + Duration::from_secs(u64::from(o.connect_timeout) + 5);
    while !socket.exists() {
        if let Some(exit) = process.try_exit() {
            process.finish(Duration::ZERO);
            return Err(diagnose(exit, &process.stderr_tail(), "ssh"));
        }
        if Instant::now() >= deadline {
            let exit = process.finish(Duration::ZERO);
            let d = diagnose(exit, &process.stderr_tail(), "ssh");
            return Err(Diagnosis { code: NmErr::NMERR_TIMEOUT, detail: format!("ssh did not connect in time ({})", d.detail) });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let master = Arc::new(Master { key, socket, process: Mutex::new(process) });
    MASTERS.lock().push((master.clone(), 1));
    Ok(MasterRef { master })
}
