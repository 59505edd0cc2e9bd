//! What Start assembles: the frame source, the engine's stages, IRTC's sizes.

use super::*;
use crate::capture::source::RemoteSource;
use crate::filter::BpfFilter;
use crate::remote::command::{capture_command, probe_command, CaptureRequest};

/// The plan of a merged target BLOB, its error named in the error BLOB.
pub(super) fn plan_of(target: &Blob, config: &CaptureConfig, reports: &mut Reports) -> NmResult<Plan> {
    Plan::of(target, config.replay_pace).map_err(|PlanError { code, category, tag, value }| {
        reports.add(category, tag, &value);
        code
    })
}

/// Opens the frame source of a plan (a replay file, standard input, a live interface, a remote
/// NIC), with the plan's pcap-filter expression: a live source applies it in the kernel; for the
/// others it is compiled here for the source's link type and returned, for the capture thread to
/// apply. An expression that does not compile is `OpenError::Filter` (libpcap's message).
pub(super) fn open_source(plan: &Plan, config: &CaptureConfig) -> Result<(Box<dyn Source>, Option<BpfFilter>), OpenError> {
    match &plan.source {
        SourceSpec::Replay { path, .. } if path.as_os_str() == REPLAY_STDIN_TXT => {
            let source = StreamReplay::open(0, config.replay_end_at_eof)?;
            let bpf = compile_local(plan, source.linktype())?;
            Ok((Box::new(source), bpf))
        }
        SourceSpec::Replay { path, pace } => {
            let source = Replay::open(path, *pace)?.ending_at_eof(config.replay_end_at_eof);
            let bpf = compile_local(plan, source.linktype())?;
            Ok((Box::new(source), bpf))
        }
        SourceSpec::Live { name } => {
            // The kernel ring read in place, or libpcap for what the ring does not take (capture/ring.rs).
            let source = crate::capture::ring::open_live(name, live_settings(plan, config), plan.filter.as_ref(), plan.bpf.as_deref())?;
            Ok((source, None))
        }
        SourceSpec::Remote { name, remote } => {
            let snaplen = if plan.needs_whole_frames() { 0 } else { config.frame_size };
            // What the remote side may leave out: the expression and the Netmon filter's kernel
            // form, both (a superset of what is kept here, where the whole filter runs again).
            let parts: Vec<String> =
                plan.bpf.iter().map(|e| format!("({e})")).chain(plan.filter.as_ref().and_then(|f| f.to_bpf(1)).map(|e| format!("({e})"))).collect();
            let pushed = (!parts.is_empty()).then(|| parts.join(" and "));
            let request = CaptureRequest {
                interface: name,
                snaplen,
                buffer_size: config.buffer_size,
                promiscuous: config.promiscuous,
                exclude_ssh: remote.exclude_own_session,
                bpf: pushed.as_deref(),
            };
            let command = capture_command(&remote.program, remote.sudo, &request);
            let source = RemoteSource::start(&remote.dest, &remote.ssh, &command, &remote.program, remote_deadline(remote))
                .map_err(|d| OpenError::Remote(d.code, format!("{}: {}", remote.dest, d.detail)))?;
            // The expression runs here, on the frames that arrive (as for a replay).
            let bpf = compile_local(plan, source.linktype())?;
            Ok((Box::new(source), bpf))
        }
    }
}

/// How a live interface of the plan is opened: whole frames when the filter or the trigger
/// judges them (the engine clips), else the configured frame size.
fn live_settings(plan: &Plan, config: &CaptureConfig) -> LiveSettings {
    let snaplen = if plan.needs_whole_frames() { 0 } else { config.frame_size };
    LiveSettings { snaplen, buffer_size: config.buffer_size, promiscuous: config.promiscuous }
}

/// The plan's pcap-filter expression compiled for `linktype`, to run on the capture thread (a
/// replay, a remote stream): one that needs a live socket's packet metadata cannot.
fn compile_local(plan: &Plan, linktype: u32) -> Result<Option<BpfFilter>, OpenError> {
    let bpf = plan.bpf.as_deref().map(|e| BpfFilter::compile(e, linktype).map_err(OpenError::Filter)).transpose()?;
    if bpf.as_ref().is_some_and(BpfFilter::uses_socket_metadata) {
        let why = "the expression needs what a live socket knows of a packet (its direction, its interface), which a replay file does not carry (nor a remote stream)";
        return Err(OpenError::Filter(why.to_string()));
    }
    Ok(bpf)
}

/// How long a remote program may take to answer: ssh's connection time, and as long again.
fn remote_deadline(remote: &super::plan::RemoteSpec) -> std::time::Instant {
    std::time::Instant::now() + std::time::Duration::from_secs(2 * u64::from(remote.ssh.connect_timeout) + 5)
}

/// Connect's check that a plan's source can be opened, without keeping it: a replay file is
/// opened and closed; a live interface is checked short of its ring (a libpcap source opened and
/// closed); standard input is checked to be readable; a remote NIC is probed (its program asked
/// whether it can capture there), nothing captured. Returns the source's link type (a remote
/// NIC's is known at Start: Ethernet until then), for which the pcap-filter expression compiled.
pub(super) fn check_source(plan: &Plan, config: &CaptureConfig) -> Result<u32, OpenError> {
    const LINKTYPE_ETHERNET: u32 = 1;
    match &plan.source {
        // Standard input is only checked to be open for reading: its bytes are for the capture
        // that Start begins (its link type is known then: Ethernet until then).
        SourceSpec::Replay { path, .. } if path.as_os_str() == REPLAY_STDIN_TXT => {
            StreamReplay::check(0)?;
            compile_local(plan, LINKTYPE_ETHERNET)?;
            Ok(LINKTYPE_ETHERNET)
        }
        SourceSpec::Remote { name, remote } => {
            compile_local(plan, LINKTYPE_ETHERNET)?;
            let command = probe_command(&remote.program, remote.sudo, name);
            RemoteSource::probe(&remote.dest, &remote.ssh, &command, &remote.program, remote_deadline(remote))
                .map_err(|d| OpenError::Remote(d.code, format!("{}: {}", remote.dest, d.detail)))?;
            Ok(LINKTYPE_ETHERNET)
        }
        // A live interface: everything the ring's setup checks, short of the ring (Start opens
        // it); libpcap's source opened and closed where the ring would not be used.
        SourceSpec::Live { name } => crate::capture::ring::check_live(name, live_settings(plan, config), plan.filter.as_ref(), plan.bpf.as_deref()),
        SourceSpec::Replay { .. } => open_source(plan, config).map(|(source, _)| source.linktype()),
    }
}

/// The filter, trigger and conversation stages of a capture, from the configuration.
/// With `kernel_filtered`, the kernel already applied the filter (to the frame as the kernel
/// sees it: with VLAN offload, without its outer tag), so it is not applied again.
/// `bpf`: the pcap-filter expression the capture thread applies (a replay's; a live source
/// applies its own in the kernel).
pub(super) fn stages_for(plan: Plan, config: &CaptureConfig, kernel_filtered: bool, bpf: Option<BpfFilter>) -> (Stages, Option<Arc<Mutex<Conversations>>>) {
    let conversations = (!config.no_conversation_stats).then(|| Arc::new(Mutex::new(Conversations::new())));
    let trigger = plan.trigger.and_then(|t| TriggerState::new(&t, config.buffer_size)).map(|t| (t, pattern_check()));
    let filter = plan.filter.filter(|_| !kernel_filtered).map(|f| {
        let f: crate::capture::engine::FrameFilter = Box::new(move |v| f.matches_view(v));
        f
    });
    (Stages { filter, bpf, trigger, conversations: conversations.clone(), stats_frame: false, rtc: None, rotation: None }, conversations)
}

/// The trigger's pattern test (SDK h.4: the pattern rules of h.3.3).
pub(super) fn pattern_check() -> crate::capture::engine::PatternCheck {
    Box::new(crate::filter::pattern_check_view)
}

/// Length of the capture file names this library makes (`<dir>/nm-<16 hex>.<cap|pcap|pcapng>`;
/// with rotation, the first file's: `<dir>/<base>_00001_<YYYYMMDDTHHMMSSZ>.<ext>`).
pub(super) fn file_name_len(dir: &std::path::Path, config: &CaptureConfig) -> usize {
    // The same join as capfile::create_unique (a trailing '/' of dir is not doubled).
    let name = match &config.rotation {
        None => format!("nm-0123456789abcdef.{}", config.format.extension()),
        Some(r) => capfile::series::file_name(r.base_name.as_deref().unwrap_or("nm-0123456789abcdef"), 1, 0, config.format),
    };
    dir.join(name).as_os_str().len()
}

/// IRTC's delivery sizes from the configuration (README, "IRTC delivery").
pub(super) fn rtc_settings(config: &CaptureConfig) -> crate::capture::rtc::RtcSettings {
    let buffer = if config.buffer_size == 0 { DEFAULT_RTC_BUFFER_SIZE } else { config.buffer_size };
    crate::capture::rtc::RtcSettings {
        buffer_size: buffer as usize,
        table_len: config.frame_table_length as usize,
        interval: std::time::Duration::from_millis(config.update_interval_ms as u64),
    }
}
