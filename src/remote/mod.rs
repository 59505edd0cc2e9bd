//! The remote NIC's transport (Network Monitor's Rmtnpp, over OpenSSH): where a capture on
//! another machine runs, how the local `ssh` is started and ended, and what its failures mean.
//!
//! * [`dest`]: `NPP:Remote:RemoteComputer` parsed and validated;
//! * [`command`]: ssh's argument vector and the remote command line (quoted for any shell);
//! * [`process`]: one running ssh (process group, heartbeat input, non-blocking output, standard
//!   error kept for messages and the remote program's reports);
//! * [`diagnose`]: ssh's and the remote program's failures as NMERR codes;
//! * [`master`]: the private ControlMasters a connected remote NIC's commands go through.
//!
//! The program run as ssh is `ssh` from PATH or `$NDISNPP_SSH`, never a BLOB value; the user's
//! ssh configuration, agent and known_hosts apply.

pub mod command;
pub mod dest;
pub mod diagnose;
pub mod master;
pub mod process;
