//! What the capture families do to an NPP: Connect, Configure, Start, Pause, Resume, Stop,
//! Disconnect, and the status and statistics calls.

use super::*;

/// What the family's Connect receives.
pub struct ConnectArgs {
    pub input: Blob,
    pub callback: LPNETWORKCALLBACKPROC,
    /// IRTC's frames callback (NULL for the other families).
    pub frames_callback: LPNETWORKCALLBACKPROC,
    pub context: usize,
    pub error_blob: Option<u64>,
}

/// Connect: checks the state, reads the configuration, verifies that the source can be opened
/// (and for ESP and IDelaydC that the capture directory is usable), starts the callback thread.
pub fn connect(handle: u64, family: Family, a: ConnectArgs) -> NmResult<()> {
    let e = entry(handle)?;
    let mut reports = Reports::default();
    let r = control(&e, NMERR_ALREADY_CONNECTED).and_then(|_control| connect_locked(&e, handle, family, &a, &mut reports));
    reports.write(a.error_blob);
    r
}

pub(super) fn connect_locked(e: &Arc<NppEntry>, handle: u64, family: Family, a: &ConnectArgs, reports: &mut Reports) -> NmResult<()> {
    let nic = locked(e, |npp| {
        npp.machine.check(family, Op::Connect)?;
        Ok(npp.nic.clone())
    })?;
    let mut target = nic;
    target.merge(&a.input)?;
    let config = config::parse(&target, &CaptureConfig::default()).map_err(|r| {
        reports.add(r.category, &r.tag, &r.value);
        r.code
    })?;
    for (c, t, v) in config::unknown_entries(&a.input) {
        reports.add(&c, &t, &v);
    }
    let mut plan = plan_of(&target, &config, reports)?;
    // A remote NIC: its commands go through a private ssh ControlMaster, held until Disconnect.
    let master = match &mut plan.source {
        SourceSpec::Remote { remote, .. } => {
            let m = crate::remote::master::acquire(&remote.dest, &remote.ssh)
                .map_err(|d| open_error(&OpenError::Remote(d.code, format!("{}: {}", remote.dest, d.detail)), &target, reports))?;
            remote.ssh.control_path = Some(m.socket());
            Some(m)
        }
        _ => None,
    };
    // Checked (a live interface or replay file opened and closed, standard input checked, a remote
    // NIC probed), and the link type the pcap-filter expression is compiled for again by Configure.
    let linktype = check_source(&plan, &config).map_err(|e| open_error(&e, &target, reports))?;
    if family.writes_file() && config.capture_fd.is_some() {
        output_checked(&config, reports)?;
    } else if family.writes_file() {
        if let Err(why) = config::open_capture_dir(&config) {
            if let Some(d) = &config.capture_dir {
                reports.add(CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, &d.to_string_lossy());
            }
            reports.add("Error", "Detail", &why.to_string());
            return Err(why.code(NMERR_NO_DEFAULT_CAPTURE_DIRECTORY));
        }
    }
    let callback = match a.callback {
        Some(cb) => Some(Callback::start(cb, a.context, handle, e.cancelled.clone()).map_err(|_| NMERR_OUT_OF_MEMORY)?),
        None => None,
    };
    // Nothing else changed the NPP's connection meanwhile: control calls take turns, and the
    // others do not connect.
    locked(e, |npp| {
        let frames = a.frames_callback.map(|proc_| delivery::FramesCallback { proc_, context: a.context });
        npp.conn = Some(Connection { config, plan, linktype, target, callback, frames, capture: None, stopping: None, last: None, master });
        npp.machine.apply(family, Op::Connect);
        Ok(())
    })
}

/// Disconnect; the callback thread gets UPDATE_EVENT_TERMINATE_THREAD and ends (waited for
/// outside the NPP's locks).
pub fn disconnect(handle: u64, family: Family) -> NmResult<()> {
    let e = entry(handle)?;
    let (waiter, held) = control(&e, NMERR_CAPTURING)?;
    let taken = locked(&e, |npp| {
        npp.machine.check(family, Op::Disconnect)?;
        let conn = npp.conn.take();
        npp.machine.apply(family, Op::Disconnect);
        Ok(conn.map(|mut c| (c.callback.take(), c.master.take())).unwrap_or((None, None)))
    });
    drop(held);
    join_finishing(&e, waiter.detached);
    let (callback, master) = taken?;
    if let Some(cb) = callback {
        cb.terminate(false);
    }
    // The remote NIC's ssh master ends with its last NPP, outside every lock.
    drop(master);
    Ok(())
}

/// Configure: a BLOB with a bad entry leaves the previous configuration in force.
pub fn configure(handle: u64, family: Family, blob: &Blob, error_blob: Option<u64>) -> NmResult<()> {
    let e = entry(handle)?;
    let mut reports = Reports::default();
    let r = control(&e, NMERR_CAPTURING).and_then(|_control| {
        locked(&e, |npp| {
            npp.machine.check(family, Op::Configure)?;
            let conn = npp.conn()?;
            let mut target = conn.target.clone();
            target.merge(blob)?;
            let config = config::parse(&target, &conn.config).map_err(|r| {
                reports.add(r.category, &r.tag, &r.value);
                r.code
            })?;
            let mut plan = plan_of(&target, &config, &mut reports)?;
            // The same remote computer: its commands still go through the NPP's master.
            if let (SourceSpec::Remote { remote, .. }, SourceSpec::Remote { remote: old, .. }) = (&mut plan.source, &conn.plan.source) {
                if remote.dest == old.dest && remote.ssh.master == old.ssh.master {
                    remote.ssh.control_path = old.ssh.control_path.clone();
                }
            }
            if let Some(expr) = &plan.bpf {
                crate::filter::BpfFilter::compile(expr, conn.linktype).map_err(|m| open_error(&OpenError::Filter(m), &target, &mut reports))?;
            }
            if family.writes_file() {
                output_checked(&config, &mut reports)?;
            }
            for (c, t, v) in config::unknown_entries(blob) {
                reports.add(&c, &t, &v);
            }
            conn.config = config;
            conn.plan = plan;
            conn.target = target;
            npp.machine.apply(family, Op::Configure);
            Ok(())
        })
    });
    reports.write(error_blob);
    r
}

/// Start: opens the source, (ESP) creates the capture file, starts the capture thread. For ESP,
/// `name_room` is the size of the caller's name buffer: a name that would not fit (with its NUL)
/// answers `NMERR_INVALID_PARAMETER` before anything starts. Returns the file's path (ESP).
/// The slow steps (libpcap, the file) run under the control lock only.
pub fn start(handle: u64, family: Family, name_room: Option<usize>) -> NmResult<Option<PathBuf>> {
    let e = entry(handle)?;
    let (waiter, _control) = control(&e, NMERR_CAPTURING)?;
    // A capture stopped from inside its callback is finished before the next one starts.
    join_finishing(&e, waiter.detached);
    let (config, plan, target, poster, frames) = locked(&e, |npp| {
        npp.machine.check(family, Op::Start)?;
        let conn = npp.conn()?;
        Ok((conn.config.clone(), conn.plan.clone(), conn.target.clone(), conn.callback.as_ref().map(|c| c.poster()), conn.frames))
    })?;
    e.detail.lock().clear();
    // A descriptor (NPP:Config:CaptureFileDescriptor) instead of a file: checked again (it may
    // have been closed since Configure).
    let to_fd = if family.writes_file() { config.capture_fd } else { None };
    if to_fd.is_some() {
        config::check_output(&config).map_err(|(code, why)| {
            *e.detail.lock() = why;
            code
        })?;
    }
    // The directory of a file family, opened and checked once: the file is created relative to it.
    let dir = if family.writes_file() && to_fd.is_none() {
        Some(config::open_capture_dir(&config).map_err(|e| e.code(NMERR_COULD_NOT_CREATE_DIRECTORY))?)
    } else {
        None
    };
    if let (Some(room), Some(dir)) = (name_room, &dir) {
        if file_name_len(dir.path(), &config) + 1 > room {
            return Err(NMERR_INVALID_PARAMETER);
        }
    }
    let fail = |code: NmErr, why: String| {
        *e.detail.lock() = why;
        code
    };
    let (source, bpf) = open_source(&plan, &config).map_err(|err| {
        let mut reports = Reports::default();
        let code = open_error(&err, &target, &mut reports);
        fail(code, reports.0.iter().map(|(_, _, v)| v.as_str()).collect::<Vec<_>>().join(": "))
    })?;
    let info = StreamInfo { linktype: source.linktype(), snaplen: config.frame_size };
    let mut rotation = None;
    let (writer, file) = if let (Some(dir), Some(r)) = (dir.as_ref().filter(|_| config.rotation.is_some()), &config.rotation) {
        // Rotation: the first file of a series (README, "Rotation"); the capture thread makes the
        // rest, in the same checked directory.
        let shown = dir.path().display().to_string();
        let opened = dir.try_clone().map_err(|err| fail(io_to_nmerr(&err), format!("{shown}: {err}")))?;
        match capfile::series::Series::start(opened, r.base_name.as_deref(), config.format, info, r.files) {
            Ok((series, first)) => {
                rotation = Some(Rotation { series, bytes: r.bytes, seconds: r.seconds });
                (Some(first.writer), Some(first.path))
            }
            Err(err) => {
                let code = if err.kind() == std::io::ErrorKind::Unsupported { NMERR_UNKNOWN_MACTYPE } else { io_to_nmerr(&err) };
                return Err(fail(code, format!("{shown}: {err}")));
            }
        }
    } else if let Some(dir) = &dir {
        let (path, f) =
            capfile::create_unique_in(dir, config.format.extension()).map_err(|err| fail(io_to_nmerr(&err), format!("{}: {err}", dir.path().display())))?;
        match capfile::writer(config.format, f, info) {
            Ok(w) => (Some(w), Some(path)),
            Err(err) => {
                let _ = std::fs::remove_file(&path);
                let code = if err.kind() == std::io::ErrorKind::Unsupported { NMERR_UNKNOWN_MACTYPE } else { io_to_nmerr(&err) };
                return Err(fail(code, err.to_string()));
            }
        }
    } else if let Some(fd) = to_fd {
        let info = StreamInfo { linktype: source.linktype(), snaplen: config.frame_size };
        // The header goes out now, from this (the caller's) thread: a reader already gone must
        // not raise SIGPIPE here (crate::capture::fds::SigpipeBlocked).
        let made = {
            let _quiet = crate::capture::fds::SigpipeBlocked::new();
            capfile::open_stream(fd).and_then(|f| capfile::writer(config.format, f, info))
        };
        match made {
            Ok(w) => (Some(w), None),
            Err(err) => {
                let code = if err.kind() == std::io::ErrorKind::Unsupported { NMERR_UNKNOWN_MACTYPE } else { NMERR_FILE_WRITE_ERROR };
                return Err(fail(code, format!("descriptor {fd}: {}", capfile::stream_error_text(&err))));
            }
        }
    } else {
        (None, None)
    };
    let (mut stages, conversations) = stages_for(plan, &config, source.kernel_filtered(), bpf);
    stages.stats_frame = family.writes_file() && config.format == capfile::FileFormat::Netmon2 && !config.no_stats_frame;
    stages.rotation = rotation;
    // IRTC: the double buffer between the capture thread and the delivery thread.
    let mut delivery = None;
    if let (Family::Rtc, Some(cb)) = (family, frames) {
        let settings = rtc_settings(&config);
        let (feed, batches) = crate::capture::rtc::double_buffer(settings, source.linktype(), source.can_wait());
        stages.rtc = Some(feed);
        delivery = Some(delivery::Delivery::start(handle, cb, batches, e.cancelled.clone()).map_err(|_| NMERR_OUT_OF_MEMORY)?);
    }
    let engine = match Engine::start(source, writer, config.frame_size, config.frame_limit as u64, stages, notifier(poster.clone(), e.detail.clone())) {
        Ok(e) => e,
        Err(_) => {
            if let Some(p) = &file {
                let _ = std::fs::remove_file(p);
            }
            // The feed went with the stages: the delivery thread sees its channel close.
            if let Some(d) = delivery {
                d.join();
            }
            return Err(NMERR_OUT_OF_MEMORY);
        }
    };
    let station = stations::register_for(handle, &target);
    let capture = Capture { engine, file: file.clone(), conversations, station, poster, delivery };
    // Control calls take turns and the others do not start or stop captures: the NPP is still
    // connected and idle, unless a panic marked it faulted meanwhile (then the capture stops).
    let rejected = {
        let mut guard = e.state.lock();
        let npp = &mut *guard;
        match (npp.faulted, npp.conn.as_mut()) {
            (false, Some(conn)) => {
                let mut capture = capture;
                // Running from now (under the state lock, so no status call sees it earlier): the
                // capture thread may read, and callbacks may see frames.
                capture.engine.go();
                conn.capture = Some(capture);
                npp.machine.apply(family, Op::Start);
                None
            }
            _ => Some(capture),
        }
    };
    if let Some(cap) = rejected {
        finish_file(cap, false);
        return Err(NMERR_INTERNAL_EXCEPTION);
    }
    Ok(file)
}

/// Pause: frames are no longer written (counted as seen); returns the statistics at that moment.
pub fn pause(handle: u64, family: Family) -> NmResult<STATISTICS> {
    with_npp(handle, |npp| {
        let cap = npp.capture_for(family, Op::Pause)?;
        cap.engine.set_paused(true);
        let stats = cap.engine.totals().statistics();
        npp.machine.apply(family, Op::Pause);
        Ok(stats)
    })
}

/// Resume into the same file.
pub fn resume(handle: u64, family: Family) -> NmResult<()> {
    with_npp(handle, |npp| {
        npp.capture_for(family, Op::Resume)?.engine.set_paused(false);
        npp.machine.apply(family, Op::Resume);
        Ok(())
    })
}

/// Stop: drains, finishes the file (deleting it when empty unless DontDeleteEmptyCapture), returns
/// the capture's statistics, and `NMERR_FILE_WRITE_ERROR` beside them when the file could not be
/// completed (the last frames could not be written: the file holds those the statistics count;
/// the status callback hears it too). The capture thread is joined outside the NPP's state lock:
/// status calls answer meanwhile (as stopped, with the counters of the capture being finished).
pub fn stop(handle: u64, family: Family) -> NmResult<(STATISTICS, NmResult<()>)> {
    let e = entry(handle)?;
    let waiter = Waiter::enter(handle);
    let r = stop_capture(&e, family, waiter.detached);
    // Whatever the answer (NOT_CAPTURING too: a callback may have stopped it a moment ago), no
    // frames callback of the capture runs once a call that is not detached returns.
    join_finishing(&e, waiter.detached);
    r
}

pub(super) fn stop_capture(e: &Arc<NppEntry>, family: Family, detached: bool) -> NmResult<(STATISTICS, NmResult<()>)> {
    let _control = e.gate.hold(detached).ok_or(NMERR_NOT_CAPTURING)?;
    let (cap, dont_delete_empty) = locked(e, |npp| {
        npp.machine.check(family, Op::Stop)?;
        let conn = npp.conn()?;
        let cap = conn.capture.take().ok_or(NMERR_INTERNAL_EXCEPTION)?;
        conn.stopping = Some(cap.engine.reader());
        let dont_delete_empty = conn.config.dont_delete_empty;
        npp.machine.apply(family, Op::Stop);
        Ok((cap, dont_delete_empty))
    })?;
    let poster = cap.poster.clone();
    let now = cap.engine.totals();
    let record = |e: &NppEntry, totals: Totals| {
        let mut npp = e.state.lock();
        if let Some(conn) = npp.conn.as_mut() {
            conn.stopping = None;
            conn.last = Some(totals);
        }
    };
    // Detached (from inside a callback): the rest is delivered after it returns; the statistics
    // now are those of the frames captured so far.
    let Some((totals, finish_error)) = finish(e, cap, dont_delete_empty, detached, record) else {
        return Ok((now.statistics(), Ok(())));
    };
    record(e, totals);
    let outcome = match finish_error {
        None => Ok(()),
        Some(FinishError { message, reported }) => {
            *e.detail.lock() = message;
            if let Some(p) = poster.filter(|_| !reported) {
                p.post(ended_event(NMERR_FILE_WRITE_ERROR, &totals));
            }
            Err(NMERR_FILE_WRITE_ERROR)
        }
    };
    Ok((totals.statistics(), outcome))
}

/// `*_insert_special_frame`: Network Monitor's special frame (`netmon2::special_frame`) at the
/// current point of the running capture: in its file (pcapng with an opt_comment naming the
/// type), or in IRTC's frame stream. Only while running; IStats: `NMERR_NOT_SUPPORTED`;
/// `NMERR_INVALID_PARAMETER` for user data longer than a special frame holds.
pub fn insert_special(handle: u64, family: Family, frame_type: u32, flags: u32, data: &[u8]) -> NmResult<()> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::InsertSpecialFrame)?;
        if data.len() > capfile::netmon2::MAX_SPECIAL_DATA {
            return Err(NMERR_INVALID_PARAMETER);
        }
        let cap = npp.capture_for(family, Op::InsertSpecialFrame)?;
        let frame = capfile::netmon2::special_frame(frame_type, flags, data);
        cap.engine.insert_special(frame, capfile::netmon2::special_frame_comment(frame_type));
        Ok(())
    })
}

/// QueryStatus: callable in any state, whoever connected the NPP.
pub fn query_status(handle: u64) -> NmResult<NETWORKSTATUS> {
    with_npp(handle, |npp| {
        let pending = npp.conn.as_ref().and_then(|c| c.capture.as_ref()).is_some_and(|c| c.engine.trigger_pending());
        Ok(NETWORKSTATUS { State: npp.machine.network_state(), Flags: if pending { NETWORKSTATUS_FLAGS_TRIGGER_PENDING } else { 0 } })
    })
}

/// GetConversationStatistics (IStats): the stations and sessions of the running capture (not
/// while paused: `NMERR_CAPTURE_PAUSED`; not capturing: `NMERR_NOT_CAPTURING`;
/// NoConversationStats: `NMERR_NO_CONVERSATION_STATS`). `clear` empties the tables after the copy.
pub fn conversations(handle: u64, family: Family, clear: bool) -> NmResult<(Vec<STATIONSTATS>, Vec<SESSIONSTATS>)> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::ReadConversations)?;
        let conn = npp.conn()?;
        if conn.config.no_conversation_stats {
            return Err(NMERR_NO_CONVERSATION_STATS);
        }
        conn.capture.as_ref().and_then(|c| c.conversations.clone()).ok_or(NMERR_NO_CONVERSATION_STATS)
    })
    .map(|conv| {
        // Outside the NPP's lock: the capture thread holds the tables for up to 1024 frames.
        let mut c = conv.lock();
        let (stations, sessions) = c.tables();
        let out = (stations.to_vec(), sessions.to_vec());
        if clear {
            c.clear();
        }
        out
    })
}

/// GetControlState: (IsRunnning, IsPaused).
pub fn control_state(handle: u64, family: Family) -> NmResult<(bool, bool)> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::GetControlState)?;
        Ok(npp.machine.control_state())
    })
}

/// The totals of the running (or paused) capture, else of the last finished one since Connect;
/// `NMERR_NOT_CAPTURING` when no capture ran since Connect. `clear` resets them (and the time
/// base) after the copy. (stats_get_total_statistics, and the `*_get_statistics_ex` extension.)
pub fn totals(handle: u64, family: Family, clear: bool) -> NmResult<Totals> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::ReadStatistics)?;
        let conn = npp.conn()?;
        if let Some(cap) = &conn.capture {
            return Ok(if clear { cap.engine.take_statistics() } else { cap.engine.totals() });
        }
        if let Some(r) = &conn.stopping {
            return Ok(r.totals());
        }
        let t = conn.last.ok_or(NMERR_NOT_CAPTURING)?;
        if clear {
            conn.last = Some(Totals::default());
        }
        Ok(t)
    })
}

/// npp_get_error_detail: why the NPP's last Start failed or its last capture ended by itself
/// (empty when neither happened since the last successful Start).
pub fn error_detail(handle: u64) -> NmResult<String> {
    Ok(entry(handle)?.detail.lock().clone())
}

/// The NPP's target BLOB: the NIC BLOB merged with Connect/Configure when connected, else the NIC
/// BLOB (QueryStations reads the interface and its settings from it).
pub fn nic_blob_of(handle: u64) -> NmResult<Blob> {
    with_npp(handle, |npp| Ok(npp.conn.as_ref().map_or_else(|| npp.nic.clone(), |c| c.target.clone())))
}
