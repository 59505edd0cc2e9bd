//! The capture interfaces libpcap finds, with what Linux tells about each (sysfs, ethtool).
//! Listing needs no privilege.

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

fn sysfs(name: &str, attr: &str) -> Option<String> {
    std::fs::read_to_string(format!("/sys/class/net/{name}/{attr}")).ok().map(|s| s.trim().to_string())
}

fn parse_colon_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<u8> = s.split(':').map(|p| u8::from_str_radix(p, 16)).collect::<Result<_, _>>().ok()?;
    parts.try_into().ok()
}

/// The burned-in address through the ETHTOOL_GPERMADDR ioctl (no privilege needed); None when the
/// driver has none (all zeros) or refuses.
fn permanent_mac(name: &str) -> Option<[u8; 6]> {
    const SIOCETHTOOL: libc::c_ulong = 0x8946;
    const ETHTOOL_GPERMADDR: u32 = 0x20;
    #[repr(C)]
    struct PermAddr {
        cmd: u32,
        size: u32,
        data: [u8; 32],
    }
    if name.len() >= libc::IFNAMSIZ {
        return None;
    }
    let mut req = PermAddr { cmd: ETHTOOL_GPERMADDR, size: 32, data: [0; 32] };
    // SAFETY: plain socket/ioctl calls on a zeroed ifreq whose data pointer outlives the call.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return None;
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        ifr.ifr_ifru.ifru_data = (&mut req as *mut PermAddr).cast();
        let rc = libc::ioctl(fd, SIOCETHTOOL as _, &mut ifr);
        libc::close(fd);
        if rc < 0 || req.size != 6 {
            return None;
        }
    }
    let mac: [u8; 6] = req.data[..6].try_into().ok()?;
    (mac != [0; 6]).then_some(mac)
}

/// Reads what Linux reports about the interface `name` into a DeviceInfo.
pub fn describe(name: &str, description: Option<String>, loopback: bool, up: bool, running: bool, addresses: Vec<IpAddr>) -> DeviceInfo {
    let netdev = !name.contains('/') && std::path::Path::new(&format!("/sys/class/net/{name}")).exists();
    let arphrd = if netdev { sysfs(name, "type").and_then(|t| t.parse::<u32>().ok()) } else { None };
    let current_mac = if netdev { sysfs(name, "address").and_then(|a| parse_colon_mac(&a)) } else { None };
    DeviceInfo {
        name: name.to_string(),
        description,
        loopback,
        up,
        running,
        netdev,
        ethernet: matches!(arphrd, Some(ARPHRD_ETHER | ARPHRD_LOOPBACK)),
        current_mac,
        permanent_mac: if netdev { permanent_mac(name).or(current_mac) } else { None },
        mtu: if netdev { sysfs(name, "mtu").and_then(|m| m.parse().ok()) } else { None },
        // `speed` is -1 or unreadable when unknown (loopback, veth, link down).
        speed_mbps: if netdev { sysfs(name, "speed").and_then(|s| s.parse::<i64>().ok()).filter(|s| *s > 0).map(|s| s.min(u32::MAX as i64) as u32) } else { None },
        addresses,
    }
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
        assert_eq!(lo.mtu, sysfs("lo", "mtu").and_then(|m| m.parse().ok()));
        assert_eq!(lo.speed_mbps, None);
    }

    #[test]
    fn mac_parsing() {
        assert_eq!(parse_colon_mac("02:00:5e:10:00:01"), Some([2, 0, 0x5e, 0x10, 0, 1]));
        assert_eq!(parse_colon_mac("02:00"), None);
        assert_eq!(permanent_mac("no-such-if0"), None);
        assert_eq!(permanent_mac(&"x".repeat(40)), None);
    }
}
