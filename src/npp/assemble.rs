//! What Start assembles: the frame source, the engine's stages, IRTC's sizes.

use super::*;

/// The plan of a merged target BLOB, its error named in the error BLOB.
pub(super) fn plan_of(target: &Blob, config: &CaptureConfig, reports: &mut Reports) -> NmResult<Plan> {
    Plan::of(target, config.replay_pace).map_err(|PlanError { code, category, tag, value }| {
        reports.add(category, tag, &value);
        code
    })
}

/// Connect's check that the plan's source can be opened: opened and closed again, except standard
/// input (`NPP:Location:ReplayFile` = `-`), which is only checked to be open for reading (its
/// bytes are for the capture that Start begins).
pub(super) fn check_source(plan: &Plan, config: &CaptureConfig) -> Result<(), OpenError> {
    match &plan.source {
        SourceSpec::Replay { path, .. } if path.as_os_str() == REPLAY_STDIN_TXT => StreamReplay::check(0),
        _ => open_source(plan, config).map(drop),
    }
}

/// Opens the frame source of a plan (a replay file, standard input, or a live interface).
pub(super) fn open_source(plan: &Plan, config: &CaptureConfig) -> Result<Box<dyn Source>, OpenError> {
    match &plan.source {
        SourceSpec::Replay { path, .. } if path.as_os_str() == REPLAY_STDIN_TXT => Ok(Box::new(StreamReplay::open(0, config.replay_end_at_eof)?)),
        SourceSpec::Replay { path, pace } => Ok(Box::new(Replay::open(path, *pace)?.ending_at_eof(config.replay_end_at_eof))),
        SourceSpec::Live { name } => {
            let snaplen = if plan.needs_whole_frames() { 0 } else { config.frame_size };
            // The kernel ring read in place, or libpcap for what the ring does not take (capture/ring.rs).
            crate::capture::ring::open_live(
                name,
                LiveSettings { snaplen, buffer_size: config.buffer_size, promiscuous: config.promiscuous },
                plan.filter.as_ref(),
            )
        }
    }
}

/// The filter, trigger and conversation stages of a capture, from the configuration.
/// With `kernel_filtered`, the kernel already applied the filter (to the frame as the kernel
/// sees it: with VLAN offload, without its outer tag), so it is not applied again.
pub(super) fn stages_for(plan: Plan, config: &CaptureConfig, kernel_filtered: bool) -> (Stages, Option<Arc<Mutex<Conversations>>>) {
    let conversations = (!config.no_conversation_stats).then(|| Arc::new(Mutex::new(Conversations::new())));
    let trigger = plan.trigger.and_then(|t| TriggerState::new(&t, config.buffer_size)).map(|t| (t, pattern_check()));
    let filter = plan.filter.filter(|_| !kernel_filtered).map(|f| {
        let f: crate::capture::engine::FrameFilter = Box::new(move |v| f.matches_view(v));
        f
    });
    (Stages { filter, trigger, conversations: conversations.clone(), stats_frame: false, rtc: None }, conversations)
}

/// The trigger's pattern test (SDK h.4: the pattern rules of h.3.3).
pub(super) fn pattern_check() -> crate::capture::engine::PatternCheck {
    Box::new(crate::filter::pattern_check_view)
}

/// Length of the capture file names this library makes (`<dir>/nm-<16 hex>.cap`).
pub(super) fn file_name_len(dir: &std::path::Path) -> usize {
    // The same join as capfile::create_unique (a trailing '/' of dir is not doubled).
    dir.join("nm-0123456789abcdef.cap").as_os_str().len()
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
