//! The remote NIC's ssh transport against a real OpenSSH server: a private sshd on 127.0.0.1
//! (scripts/test-sshd.sh: its own configuration, port and keys; the system's sshd untouched).
//!
//! One test function runs the cases in order, because they switch the process-wide
//! `NDISNPP_SSH` / `NDISNPP_SSH_CONFIG` variables. Needs root (sshd logs the user in only as
//! itself when not root: the fixture handles that too) and openssh-server: without it the test
//! fails, unless NDISNPP_ALLOW_SKIP=1.

use ndisnpp::capfile::pcapng::PcapngWriter;
use ndisnpp::capfile::{CaptureWriter, StreamInfo, Timestamp};
use ndisnpp::capture::source::{Next, RemoteSource, Source};
use ndisnpp::nmerr::NmErr;
use ndisnpp::remote::command::{HostKeyCheck, RemoteCommand, SshOptions, SSH_CONFIG_ENV, SSH_ENV};
use ndisnpp::remote::dest;
use ndisnpp::remote::diagnose::{diagnose, Exit};
use ndisnpp::remote::process::SshProcess;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Sshd {
    dir: PathBuf,
    port: u16,
}

impl Sshd {
    fn start() -> Option<Sshd> {
        let dir = PathBuf::from(format!("/tmp/ndisnpp-sshd-{}", std::process::id()));
        let out = Command::new("bash").arg(format!("{ROOT}/scripts/test-sshd.sh")).arg("start").arg(&dir).output().unwrap();
        if !out.status.success() {
            let why = format!("test-sshd.sh start: exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
            if std::env::var("NDISNPP_ALLOW_SKIP").is_ok_and(|v| v == "1") {
                println!("SKIPPED remote_ssh: {why}");
                return None;
            }
            panic!("{why}; set NDISNPP_ALLOW_SKIP=1 to skip");
        }
        let port = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        Some(Sshd { dir, port })
    }

    fn config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(format!("{ROOT}/scripts/test-sshd.sh")).arg("stop").arg(&self.dir).status();
    }
}

/// Reads everything `p` writes until its end (or `limit`), polling its output.
fn read_all(p: &mut SshProcess, limit: Duration) -> Vec<u8> {
    let deadline = Instant::now() + limit;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match p.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let mut pfd = libc::pollfd { fd: p.output_fd(), events: libc::POLLIN, revents: 0 };
                // SAFETY: one pollfd on the stack.
                unsafe { libc::poll(&mut pfd, 1, 50) };
            }
            Err(e) => panic!("read: {e}"),
        }
    }
    out
}

/// Runs `remote` on `dest` to its end: (exit, stdout, stderr).
fn run(dest: &str, o: &SshOptions, remote: &RemoteCommand) -> (Exit, Vec<u8>, String) {
    let mut p = SshProcess::spawn(&dest::parse(dest).unwrap(), o, remote).unwrap();
    p.close_input();
    let out = read_all(&mut p, Duration::from_secs(30));
    let exit = p.finish(Duration::from_secs(30));
    (exit, out, p.stderr_tail())
}

fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks the process exists.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

/// Processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(format!("{}: {cmd}", e.file_name().to_string_lossy()));
            }
        }
    }
    found
}

fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

fn describe(n: &Next<'_>) -> String {
    match n {
        Next::Frame(_) => "a frame".into(),
        Next::Idle => "idle".into(),
        Next::Failed(m) => format!("failed: {m}"),
        Next::Link(up) => format!("link {up}"),
        Next::Corrupt(m) => format!("corrupt: {m}"),
        Next::End => "end".into(),
        Next::Lost(m) => format!("lost: {m}"),
    }
}

/// The process under `listener` (sshd) whose descendant `pid` is.
fn session_of(mut pid: i32, listener: i32) -> Option<i32> {
    for _ in 0..64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let ppid: i32 = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
        if ppid == listener {
            return Some(pid);
        }
        pid = ppid;
    }
    None
}

#[test]
fn ssh_transport_against_a_private_sshd() {
    let Some(sshd) = Sshd::start() else { return };
    std::env::set_var(SSH_CONFIG_ENV, sshd.config());
    std::env::remove_var(SSH_ENV);
    let o = SshOptions::default();

    // 1. The remote command's input is our socket: heartbeat bytes arrive (cat echoes them), and
    //    closing it ends the command, which exits 0 after its output.
    let mut p = SshProcess::spawn(&dest::parse("capturehost").unwrap(), &o, &RemoteCommand::new("cat", false)).unwrap();
    // SAFETY: getpgid of our own child.
    assert_eq!(unsafe { libc::getpgid(p.pid() as libc::pid_t) }, p.pid() as libc::pid_t, "ssh runs in a process group of its own");
    for _ in 0..3 {
        p.heartbeat().unwrap();
    }
    p.close_input();
    let out = read_all(&mut p, Duration::from_secs(30));
    assert_eq!(out, [0u8; 3], "the three heartbeat bytes, echoed, then the end");
    assert_eq!(p.finish(Duration::from_secs(30)), Exit::Code(0));
    assert!(!alive(p.pid()), "ssh reaped");
    assert!(p.heartbeat().is_err(), "a heartbeat after the end is an error, not SIGPIPE");

    // 2. The destination's forms reach the same server.
    let port = sshd.port;
    let me = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_owned();
    for d in [format!("ssh://{me}@127.0.0.1:{port}"), format!("{me}@capturehost"), format!("ssh://capturehost:{port}/")] {
        let (exit, out, err) = run(&d, &o, &RemoteCommand::new("id", false).fixed("-un"));
        assert_eq!((exit, String::from_utf8_lossy(&out).trim().to_owned()), (Exit::Code(0), me.clone()), "{d}: {err}");
    }

    // 3. Values a shell would parse reach the remote program as the same bytes (hex), and the
    //    remote command line itself holds none: `printf` gets the hex back as its format.
    let (exit, out, _) = run("capturehost", &o, &RemoteCommand::new("printf", false).value("%s", "%s", "x'; touch /tmp/pwned-ndisnpp; '"));
    assert_eq!(exit, Exit::Code(0));
    assert_eq!(String::from_utf8_lossy(&out), ndisnpp::remote::command::hex(b"x'; touch /tmp/pwned-ndisnpp; '"));
    assert!(!Path::new("/tmp/pwned-ndisnpp").exists());

    // 4. The error rows: each with its NMERR.
    let (exit, _, err) = run("capturehost", &o, &RemoteCommand::new("no-such-capture-tool", false));
    assert_eq!(diagnose(exit, &err, "no-such-capture-tool").code, NmErr::NMERR_REMOTE_NOT_A_SERVER, "{exit:?} {err}");
    let (exit, _, err) = run(&format!("ssh://{me}@127.0.0.1:1"), &o, &RemoteCommand::new("true", false));
    assert_eq!(diagnose(exit, &err, "true").code, NmErr::NMERR_NETWORK_ERROR, "{exit:?} {err}");
    // An unknown host key: the pinned known_hosts left out, strict checking asked.
    let strict = SshOptions { host_key_check: HostKeyCheck::Yes, ..SshOptions::default() };
    let empty = sshd.dir.join("no_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let cfg = std::fs::read_to_string(sshd.config()).unwrap().replace(&format!("{}/known_hosts", sshd.dir.display()), &empty.display().to_string());
    let cfg_unknown = sshd.dir.join("ssh_config_unknown_key");
    std::fs::write(&cfg_unknown, cfg).unwrap();
    std::env::set_var(SSH_CONFIG_ENV, &cfg_unknown);
    let (exit, _, err) = run("capturehost", &strict, &RemoteCommand::new("true", false));
    let d = diagnose(exit, &err, "true");
    assert_eq!(d.code, NmErr::NMERR_ACCESS_DENIED, "{exit:?} {err}");
    assert!(d.detail.contains("Host key verification failed"), "{}", d.detail);
    assert_eq!(std::fs::read_to_string(&empty).unwrap(), "", "the unknown key was not added");
    // A key the server does not accept.
    let cfg = std::fs::read_to_string(sshd.config()).unwrap().replace("id_ed25519", "other_ed25519");
    let cfg_other = sshd.dir.join("ssh_config_other_key");
    std::fs::write(&cfg_other, cfg).unwrap();
    std::env::set_var(SSH_CONFIG_ENV, &cfg_other);
    let (exit, _, err) = run("capturehost", &o, &RemoteCommand::new("true", false));
    let d = diagnose(exit, &err, "true");
    assert_eq!(d.code, NmErr::NMERR_ACCESS_DENIED, "{exit:?} {err}");
    assert!(d.detail.contains("Permission denied"), "{}", d.detail);
    std::env::set_var(SSH_CONFIG_ENV, sshd.config());

    // 5. A remote program that ignores the end of its input (and writes without end) is ended
    //    by finish: ssh is killed and reaped, and the remote program ends with its session.
    let marker = sshd.dir.join(format!("nmtest-yes-{}", std::process::id()));
    std::os::unix::fs::symlink("/usr/bin/yes", &marker).unwrap();
    let marker_s = marker.display().to_string();
    let mut p = SshProcess::spawn(&dest::parse("capturehost").unwrap(), &o, &RemoteCommand::new(&marker_s, false)).unwrap();
    assert!(wait_until(Duration::from_secs(30), || !processes_with(&format!("{marker_s} ")).is_empty() || !processes_with(&marker_s).is_empty()));
    let mut buf = [0u8; 4096];
    assert!(wait_until(Duration::from_secs(30), || p.read(&mut buf).is_ok_and(|n| n > 0)), "output flows");
    let exit = p.finish(Duration::from_millis(200));
    assert!(matches!(exit, Exit::Signal(_) | Exit::Code(_)), "{exit:?}");
    assert!(!alive(p.pid()));
    assert!(wait_until(Duration::from_secs(30), || processes_with(&marker_s).is_empty()), "the remote program ended: {:?}", processes_with(&marker_s));

    // 6. ssh is run without a shell, with exactly the arguments of ssh_args, and inherits only
    //    its three standard descriptors (a stand-in ssh records them, then waits).
    let fake = sshd.dir.join("fake-ssh");
    let record = sshd.dir.join("fake-ssh.args");
    std::fs::write(&fake, format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\nexec sleep 30\n", record.display())).unwrap();
    Command::new("chmod").arg("755").arg(&fake).status().unwrap();
    std::env::set_var(SSH_ENV, &fake);
    let remote = RemoteCommand::new("nmcap", false).value("-i", "--interface-hex", "eth0; reboot");
    let dst = dest::parse("ssh://-x@h").map(|_| ()).unwrap_err();
    assert!(dst.contains("user name"), "{dst}");
    let dst = dest::parse("ops@h").unwrap();
    let mut p = SshProcess::spawn(&dst, &o, &remote).unwrap();
    assert!(wait_until(Duration::from_secs(30), || std::fs::read_to_string(&record).is_ok_and(|s| s.ends_with('\n') && s.contains("--interface-hex"))));
    assert!(wait_until(Duration::from_secs(30), || std::fs::read_link(format!("/proc/{}/exe", p.pid())).is_ok_and(|e| e.ends_with("sleep"))));
    let want: Vec<String> = ndisnpp::remote::command::ssh_args(&dst, &o, &remote).iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let got: Vec<String> = std::fs::read_to_string(&record).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(got, want);
    // Descriptors this test process itself inherited open across exec (from whatever ran it)
    // pass on to any child; every other one is the library's or the test's, and must not.
    let inherited: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        // SAFETY: F_GETFD only reads the flags of a descriptor number (closed ones fail).
        .filter(|&fd| fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } == 0)
        .map(|fd| fd.to_string())
        .collect();
    let extra: Vec<String> = std::fs::read_dir(format!("/proc/{}/fd", p.pid()))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|fd| !["0", "1", "2"].contains(&fd.as_str()) && !inherited.contains(fd))
        .collect();
    assert!(extra.is_empty(), "the stand-in ssh inherited descriptors {extra:?} (the test process's own inherited ones: {inherited:?})");
    let pid = p.pid();
    p.finish(Duration::ZERO);
    assert!(!alive(pid));
    std::env::remove_var(SSH_ENV);

    // 8. The remote source: a stand-in remote capture program reports ready, streams a pcapng
    //    file (the library's own writer), and ends when its input closes (Stop).
    let frames: Vec<(Timestamp, u32, Vec<u8>)> = (0..100u32)
        .map(|i| (Timestamp { sec: 1_750_000_000 + i64::from(i), nsec: i * 7919 }, 64 + i, (0..64 + i).map(|b| (b * 7 + i) as u8).collect()))
        .collect();
    let stream = sshd.dir.join("stream.pcapng");
    let mut w = PcapngWriter::new(std::fs::File::create(&stream).unwrap(), StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
    for (ts, wire, data) in &frames {
        w.write_frame(*ts, *wire, data).unwrap();
    }
    Box::new(w).finish();
    let fake_capture = |name: &str, after: &str| -> String {
        let path = sshd.dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\necho '@nmcap 1 ready' >&2\ncat {}\n{after}\n", stream.display())).unwrap();
        Command::new("chmod").arg("755").arg(&path).status().unwrap();
        path.display().to_string()
    };
    let clean = fake_capture("fake-nmcap-clean", "cat >/dev/null\necho '@nmcap 1 end NMERR_SUCCESS' >&2");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut src = RemoteSource::start(&dest::parse("capturehost").unwrap(), &o, &RemoteCommand::new(&clean, false), "nmcap", deadline).unwrap();
    assert_eq!(src.linktype(), 1);
    let mut got = Vec::new();
    let until = Instant::now() + Duration::from_secs(30);
    while got.len() < frames.len() && Instant::now() < until {
        match src.next(&mut || false) {
            Next::Frame(f) => got.push((f.ts, f.wire_len, f.data.to_vec())),
            Next::Idle => {}
            other => panic!("{}", describe(&other)),
        }
    }
    assert_eq!(got, frames);
    assert!(matches!(src.next(&mut || false), Next::Idle), "nothing more while the program runs");
    // Stop: the input closes, the program ends cleanly, the source is quiet.
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let idle = match src.next(&mut || true) {
            Next::Idle => true,
            other => panic!("{}", describe(&other)),
        };
        if idle && src.has_ended() {
            break;
        }
        assert!(Instant::now() < until, "the remote program did not end");
    }
    drop(src);
    assert!(wait_until(Duration::from_secs(30), || processes_with(&clean).is_empty()));

    // 8b. Frames that arrive before the readiness report are not lost (start takes blocks up to
    //     the interface's only).
    let late = sshd.dir.join("fake-nmcap-late-ready");
    std::fs::write(
        &late,
        format!("#!/bin/sh\ncat {}\nsleep 0.5\necho '@nmcap 1 ready' >&2\ncat >/dev/null\necho '@nmcap 1 end NMERR_SUCCESS' >&2\n", stream.display()),
    )
    .unwrap();
    Command::new("chmod").arg("755").arg(&late).status().unwrap();
    let late = late.display().to_string();
    let mut src =
        RemoteSource::start(&dest::parse("capturehost").unwrap(), &o, &RemoteCommand::new(&late, false), "nmcap", Instant::now() + Duration::from_secs(30))
            .unwrap();
    let mut n = 0;
    let until = Instant::now() + Duration::from_secs(30);
    while n < frames.len() && Instant::now() < until {
        if let Next::Frame(_) = src.next(&mut || false) {
            n += 1;
        }
    }
    assert_eq!(n, frames.len(), "frames streamed before the readiness report");
    drop(src);

    // 9. The connection lost mid-capture (the server's session process killed): the frames that
    //    came are delivered, then the source fails, and the remote program ends.
    let hang = fake_capture("fake-nmcap-hang", "cat >/dev/null");
    let mut src =
        RemoteSource::start(&dest::parse("capturehost").unwrap(), &o, &RemoteCommand::new(&hang, false), "nmcap", Instant::now() + Duration::from_secs(30))
            .unwrap();
    let mut n = 0;
    while n < frames.len() {
        if let Next::Frame(_) = src.next(&mut || false) {
            n += 1;
        }
    }
    let listener: i32 = std::fs::read_to_string(sshd.dir.join("sshd.pid")).unwrap().trim().parse().unwrap();
    // The remote program's process (the ssh client's command line names it too).
    let session = processes_with(&hang)
        .iter()
        .filter_map(|p| session_of(p.split(':').next().unwrap().parse().unwrap(), listener))
        .next()
        .expect("the sshd session process of the remote program");
    // SAFETY: SIGKILL to the session process of our private sshd.
    assert_eq!(unsafe { libc::kill(session, libc::SIGKILL) }, 0);
    let until = Instant::now() + Duration::from_secs(30);
    let msg = loop {
        match src.next(&mut || false) {
            Next::Lost(m) => break m,
            Next::Idle => assert!(Instant::now() < until, "the loss was not seen"),
            other => panic!("{}", describe(&other)),
        }
    };
    assert!(msg.contains("lost the remote capture"), "{msg}");
    drop(src);
    assert!(wait_until(Duration::from_secs(30), || processes_with(&hang).is_empty()), "{:?}", processes_with(&hang));

    // 10. A remote program that is not there, or that does not stream pcapng: refused at start.
    let e = RemoteSource::start(
        &dest::parse("capturehost").unwrap(),
        &o,
        &RemoteCommand::new("no-such-nmcap", false),
        "no-such-nmcap",
        Instant::now() + Duration::from_secs(30),
    )
    .err()
    .unwrap();
    assert_eq!(e.code, NmErr::NMERR_REMOTE_NOT_A_SERVER, "{}", e.detail);
    let e = RemoteSource::start(&dest::parse("capturehost").unwrap(), &o, &RemoteCommand::new("id", false), "id", Instant::now() + Duration::from_secs(30))
        .err()
        .unwrap();
    assert_eq!(e.code, NmErr::NMERR_INVALID_FILE_FORMAT, "{}", e.detail);

    // 7. No ssh of this test is left.
    let left = processes_with(&format!("{} ", sshd.config().display()));
    assert!(left.is_empty(), "{left:?}");
}
