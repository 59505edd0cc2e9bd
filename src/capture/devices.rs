//! The capture interfaces libpcap finds, with what Linux tells about each (interface and ethtool
//! ioctls, which answer for the caller's network namespace). Listing needs no privilege.

use std::net::IpAddr;

/// ARPHRD_* values from `/sys/class/net/<if>/type` that capture as Ethernet (DLT_EN10MB).
const ARPHRD_ETHER: u32 = 1;
const ARPHRD_LOOPBACK: u32 = 772;

/// One capture interface.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Linux name (`lo`, `eth0`, `any` ...).
    pub name: String,
    /// libpcap's description, if any.
    pub description: Option<String>,
    pub loopback: bool,
    pub up: bool,
    pub running: bool,
    /// A kernel network device (has `/sys/class/net/<name>`), as opposed to a pseudo device.
    pub netdev: bool,
    /// True when frames from it are Ethernet frames (DLT_EN10MB).
    pub ethernet: bool,
    pub current_mac: Option<[u8; 6]>,
    pub permanent_mac: Option<[u8; 6]>,
    pub mtu: Option<u32>,
    /// Mbit/s, when the driver reports it.
    pub speed_mbps: Option<u32>,
    pub addresses: Vec<IpAddr>,
}

/// Runs `f` with a datagram socket of the caller's network namespace (the ioctls below answer for
/// that namespace; sysfs would answer for the namespace /sys was mounted in).
fn with_socket<R>(f: impl FnOnce(libc::c_int) -> Option<R>) -> Option<R> {
    // SAFETY: plain socket()/close() calls.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return None;
    }
    let r = f(fd);
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    r
}

/// An ifreq naming `name`, or None when the name cannot be one.
fn ifreq(name: &str) -> Option<libc::ifreq> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
        return None;
    }
    // SAFETY: ifreq is plain data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    Some(ifr)
}

/// One interface ioctl; the filled ifreq on success.
fn if_ioctl(fd: libc::c_int, name: &str, request: libc::c_ulong, prepare: impl FnOnce(&mut libc::ifreq)) -> Option<libc::ifreq> {
    let mut ifr = ifreq(name)?;
    prepare(&mut ifr);
    // SAFETY: ifr is a valid ifreq for these SIOC* requests; any data pointer set by `prepare`
    // points to storage that outlives the call.
    let rc = unsafe { libc::ioctl(fd, request as _, &mut ifr) };
    (rc >= 0).then_some(ifr)
}

#[repr(C)]
struct PermAddr {
    cmd: u32,
    size: u32,
    data: [u8; 32],
}

/// struct ethtool_cmd (ETHTOOL_GSET), 44 bytes.
#[repr(C)]
#[derive(Default)]
struct EthtoolCmd {
    cmd: u32,
    supported: u32,
    advertising: u32,
    speed: u16,
    duplex: u8,
    port: u8,
    phy_address: u8,
    transceiver: u8,
    autoneg: u8,
    mdio_support: u8,
    maxtxpkt: u32,
    maxrxpkt: u32,
    speed_hi: u16,
    eth_tp_mdix: u8,
    eth_tp_mdix_ctrl: u8,
    lp_advertising: u32,
    reserved: [u32; 2],
}
const _: () = assert!(std::mem::size_of::<EthtoolCmd>() == 44);

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GSET: u32 = 0x1;
const ETHTOOL_GPERMADDR: u32 = 0x20;

/// The burned-in address (ETHTOOL_GPERMADDR; no privilege needed); None when the driver has
/// none (all zeros) or refuses.
fn permanent_mac(fd: libc::c_int, name: &str) -> Option<[u8; 6]> {
    let mut req = PermAddr { cmd: ETHTOOL_GPERMADDR, size: 32, data: [0; 32] };
    if_ioctl(fd, name, SIOCETHTOOL, |ifr| ifr.ifr_ifru.ifru_data = (&mut req as *mut PermAddr).cast())?;
    if req.size != 6 {
        return None;
    }
    let mac: [u8; 6] = req.data[..6].try_into().ok()?;
    (mac != [0; 6]).then_some(mac)
}

/// Link speed in Mbit/s (ETHTOOL_GSET); None when unknown (loopback, veth, link down).
fn link_speed(fd: libc::c_int, name: &str) -> Option<u32> {
    let mut cmd = EthtoolCmd { cmd: ETHTOOL_GSET, ..Default::default() };
    if_ioctl(fd, name, SIOCETHTOOL, |ifr| ifr.ifr_ifru.ifru_data = (&mut cmd as *mut EthtoolCmd).cast())?;
    let speed = (cmd.speed as u32) | ((cmd.speed_hi as u32) << 16);
    (speed != 0 && speed != u32::MAX && speed != 0xFFFF).then_some(speed)
}

/// Reads what the kernel reports about the interface `name` (in the caller's network namespace).
pub fn describe(name: &str, description: Option<String>, loopback: bool, up: bool, running: bool, addresses: Vec<IpAddr>) -> DeviceInfo {
    let mut d = DeviceInfo { name: name.to_string(), description, loopback, up, running, addresses, ..Default::default() };
    with_socket(|fd| {
        if_ioctl(fd, name, libc::SIOCGIFINDEX, |_| ())?;
        d.netdev = true;
        if let Some(ifr) = if_ioctl(fd, name, libc::SIOCGIFHWADDR, |_| ()) {
            // SAFETY: SIOCGIFHWADDR filled the hwaddr member of the union.
            let sa = unsafe { ifr.ifr_ifru.ifru_hwaddr };
            let family = sa.sa_family as u32;
            d.ethernet = matches!(family, ARPHRD_ETHER | ARPHRD_LOOPBACK);
            if d.ethernet {
                let mut mac = [0u8; 6];
                for (m, b) in mac.iter_mut().zip(sa.sa_data.iter()) {
                    *m = *b as u8;
                }
                d.current_mac = Some(mac);
            }
        }
        if let Some(ifr) = if_ioctl(fd, name, libc::SIOCGIFMTU, |_| ()) {
            // SAFETY: SIOCGIFMTU filled the mtu member of the union.
            let mtu = unsafe { ifr.ifr_ifru.ifru_mtu };
            d.mtu = u32::try_from(mtu).ok();
        }
        d.permanent_mac = if d.ethernet { permanent_mac(fd, name).or(d.current_mac) } else { None };
        // As sysfs: no speed for an interface that is not up (veth, for one, reports its
        // nominal 10 Gbit/s through ethtool even then).
        d.speed_mbps = if up { link_speed(fd, name) } else { None };
        Some(())
    });
    d
}

/// True when `name` is a loopback device (IFF_LOOPBACK) of the caller's network namespace.
pub fn is_loopback(name: &str) -> bool {
    with_socket(|fd| if_ioctl(fd, name, libc::SIOCGIFFLAGS, |_| ()))
        // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
        .is_some_and(|ifr| unsafe { ifr.ifr_ifru.ifru_flags } as libc::c_int & libc::IFF_LOOPBACK != 0)
}

/// Every interface libpcap can capture on (`pcap_findalldevs`), in libpcap's order.
pub fn list() -> Result<Vec<DeviceInfo>, String> {
    let devices = pcap::Device::list().map_err(|e| e.to_string())?;
    Ok(devices
        .into_iter()
        .map(|d| {
            let f = &d.flags;
            describe(&d.name, d.desc.clone(), f.is_loopback(), f.is_up(), f.is_running(), d.addresses.iter().map(|a| a.addr).collect())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_listed_with_sysfs_facts() {
        let devs = list().expect("pcap_findalldevs");
        let lo = devs.iter().find(|d| d.name == "lo").expect("lo is listed");
        assert!(lo.loopback && lo.netdev && lo.ethernet);
        assert_eq!(lo.current_mac, Some([0; 6]));
        let sys_mtu = std::fs::read_to_string("/sys/class/net/lo/mtu").unwrap();
        assert_eq!(lo.mtu, sys_mtu.trim().parse().ok());
        assert_eq!(lo.speed_mbps, None);
    }

    #[test]
    fn loopback_devices() {
        assert!(is_loopback("lo"));
        assert!(!is_loopback("no-such-nic0"));
        assert!(!is_loopback(""));
    }

    #[test]
    fn unknown_and_bad_names() {
        let d = describe("no-such-if0", None, false, false, false, vec![]);
        assert!(!d.netdev && d.mtu.is_none() && d.current_mac.is_none());
        let d = describe(&"x".repeat(40), None, false, false, false, vec![]);
        assert!(!d.netdev);
        assert!(!describe("any", None, false, true, true, vec![]).netdev);
    }
}
