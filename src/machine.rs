//! What the machine has: the memory this process may still take (from
//! /proc/meminfo and the limits of its cgroups, v1 or v2) and what it
//! holds now (its resident memory). Linux only; elsewhere the figures are
//! not known and callers do without them.

/// Memory this process may still take, and where that figure came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// Bytes.
    pub bytes: u64,
    /// For messages: "MemAvailable in /proc/meminfo", or the cgroup file.
    pub source: String,
}

/// What this process may use on top of what it holds: the smaller of
/// `MemAvailable` in /proc/meminfo and the room left under the memory
/// limit of the process's cgroup (and its parents): cgroup v2
/// `memory.max` minus `memory.current`, v1 `memory.limit_in_bytes` minus
/// `memory.usage_in_bytes`, each not counting the inactive page cache the
/// kernel reclaims before it fails an allocation. None where not known
/// (not Linux).
pub fn available_memory() -> Option<Available> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let mem = read("/proc/meminfo")
        .as_deref()
        .and_then(meminfo_available)
        .map(|bytes| Available {
            bytes,
            source: "MemAvailable in /proc/meminfo".to_string(),
        });
    let cgroup = match (read("/proc/self/cgroup"), read("/proc/self/mountinfo")) {
        (Some(c), Some(m)) => cgroup_room(&c, &m, &|p| std::fs::read_to_string(p).ok()),
        _ => None,
    };
    match (mem, cgroup) {
        (Some(m), Some(c)) => Some(if c.bytes < m.bytes { c } else { m }),
        (m, c) => m.or(c),
    }
}

/// The process's resident memory in bytes (VmRSS in /proc/self/status;
/// None where not known).
pub fn resident_memory() -> Option<u64> {
    status_field(
        &std::fs::read_to_string("/proc/self/status").ok()?,
        "VmRSS:",
    )
}

/// `MemAvailable` of /proc/meminfo text, in bytes.
fn meminfo_available(text: &str) -> Option<u64> {
    status_field(text, "MemAvailable:")
}

/// A `Name:   1234 kB` line of /proc text, in bytes.
fn status_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let mut words = line[name.len()..].split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// Which cgroup hierarchy a limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CgroupVersion {
    V1,
    V2,
}

/// The process's memory cgroups in /proc/self/cgroup text: the v2 path
/// (`0::/path`) and the v1 memory controller's (`N:memory:/path`).
fn cgroup_paths(text: &str) -> Vec<(CgroupVersion, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            out.push((CgroupVersion::V2, path.to_string()));
        } else if controllers.split(',').any(|c| c == "memory") {
            out.push((CgroupVersion::V1, path.to_string()));
        }
    }
    out
}

/// Where the hierarchy is mounted, from /proc/self/mountinfo text: the
/// mount point and the cgroup path it shows as its root.
fn cgroup_mount(mountinfo: &str, version: CgroupVersion) -> Option<(String, String)> {
    mountinfo.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        let fields: Vec<&str> = before.split_whitespace().collect();
        let after: Vec<&str> = after.split_whitespace().collect();
        let (root, point) = (fields.get(3)?, fields.get(4)?);
        let fstype = after.first()?;
        let found = match version {
            CgroupVersion::V2 => *fstype == "cgroup2",
            CgroupVersion::V1 => {
                *fstype == "cgroup" && after.get(2)?.split(',').any(|o| o == "memory")
            }
        };
        found.then(|| (point.to_string(), root.to_string()))
    })
}

/// The folders of a cgroup and of its parents up to the mount point,
/// innermost first.
fn cgroup_dirs(point: &str, root: &str, path: &str) -> Vec<String> {
    let rel = path
        .strip_prefix(root)
        .filter(|_| root != "/")
        .unwrap_or(if root == "/" { path } else { "" });
    let mut dirs = Vec::new();
    let mut rel = rel.trim_matches('/').to_string();
    loop {
        dirs.push(if rel.is_empty() {
            point.to_string()
        } else {
            format!("{}/{rel}", point.trim_end_matches('/'))
        });
        match rel.rfind('/') {
            Some(i) => rel.truncate(i),
            None if !rel.is_empty() => rel.clear(),
            None => break,
        }
    }
    dirs
}

/// The least room left under any memory limit of the process's cgroups,
/// reading files with `read`.
fn cgroup_room(
    cgroup: &str,
    mountinfo: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Option<Available> {
    let mut best: Option<Available> = None;
    for (version, path) in cgroup_paths(cgroup) {
        let Some((point, root)) = cgroup_mount(mountinfo, version) else {
            continue;
        };
        for dir in cgroup_dirs(&point, &root, &path) {
            let (max_file, used_file, cache_key) = match version {
                CgroupVersion::V2 => ("memory.max", "memory.current", "inactive_file"),
                CgroupVersion::V1 => (
                    "memory.limit_in_bytes",
                    "memory.usage_in_bytes",
                    "total_inactive_file",
                ),
            };
            let file = |name: &str| read(&format!("{dir}/{name}"));
            let Some(max) = file(max_file).and_then(|t| t.trim().parse::<u64>().ok()) else {
                continue; // "max", or no limit file at this level
            };
            // cgroup v1 writes "no limit" as a number near 2^63.
            if max >= 1 << 60 {
                continue;
            }
            let used = file(used_file)
                .and_then(|t| t.trim().parse::<u64>().ok())
                .unwrap_or(0);
            let cache = file("memory.stat")
                .and_then(|t| {
                    t.lines().find_map(|l| {
                        let (k, v) = l.split_once(' ')?;
                        (k == cache_key).then(|| v.trim().parse::<u64>().ok())?
                    })
                })
                .unwrap_or(0);
            let room = max.saturating_sub(used.saturating_sub(cache));
            if best.as_ref().is_none_or(|b| room < b.bytes) {
                best = Some(Available {
                    bytes: room,
                    source: format!("the cgroup limit: {dir}/{max_file} less what the cgroup uses"),
                });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_text_is_read_in_bytes() {
        let meminfo = "MemTotal:       24683792 kB\nMemFree:        22375344 kB\nMemAvailable:   23693644 kB\n";
        assert_eq!(meminfo_available(meminfo), Some(23_693_644 * 1024));
        let status = "Name:\tbacksim\nVmHWM:\t  216524 kB\nVmRSS:\t    5872 kB\n";
        assert_eq!(status_field(status, "VmRSS:"), Some(5872 * 1024));
        assert_eq!(status_field(status, "VmHWM:"), Some(216_524 * 1024));
        assert_eq!(status_field("VmRSS: lots\n", "VmRSS:"), None);
        assert_eq!(meminfo_available("MemTotal: 1 kB\n"), None);
    }

    const MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn cgroup_files_are_found_from_proc() {
        let cgroup = "9:name=systemd:/\n4:memory:/jobs/a1\n3:cpu,cpuacct:/\n0::/user.slice\n";
        assert_eq!(
            cgroup_paths(cgroup),
            vec![
                (CgroupVersion::V1, "/jobs/a1".to_string()),
                (CgroupVersion::V2, "/user.slice".to_string())
            ]
        );
        assert_eq!(
            cgroup_mount(MOUNTINFO, CgroupVersion::V1),
            Some(("/sys/fs/cgroup/memory".into(), "/".into()))
        );
        assert_eq!(
            cgroup_mount(MOUNTINFO, CgroupVersion::V2),
            Some(("/sys/fs/cgroup/unified".into(), "/".into()))
        );
        assert_eq!(
            cgroup_dirs("/sys/fs/cgroup/memory", "/", "/jobs/a1"),
            [
                "/sys/fs/cgroup/memory/jobs/a1",
                "/sys/fs/cgroup/memory/jobs",
                "/sys/fs/cgroup/memory"
            ]
        );
        // A container whose mount shows its own cgroup as the root.
        assert_eq!(
            cgroup_dirs("/sys/fs/cgroup", "/docker/x", "/docker/x"),
            ["/sys/fs/cgroup"]
        );
        assert_eq!(cgroup_dirs("/sys/fs/cgroup", "/", "/"), ["/sys/fs/cgroup"]);
    }

    #[test]
    fn the_tightest_cgroup_limit_counts_without_reclaimable_cache() {
        let files = |path: &str| -> Option<String> {
            Some(
                match path {
                    // v2: 4 GB limit, 3 GB used of which 1 GB inactive cache.
                    "/sys/fs/cgroup/unified/app/memory.max" => "4000000000\n",
                    "/sys/fs/cgroup/unified/app/memory.current" => "3000000000\n",
                    "/sys/fs/cgroup/unified/app/memory.stat" => {
                        "anon 2000000000\ninactive_file 1000000000\n"
                    }
                    "/sys/fs/cgroup/unified/memory.max" => "max\n",
                    // v1: no limit at all.
                    "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes" => "9223372036854771712\n",
                    _ => return None,
                }
                .to_string(),
            )
        };
        let cgroup = "4:memory:/jobs\n0::/app\n";
        let room = cgroup_room(cgroup, MOUNTINFO, &files).expect("a limit");
        assert_eq!(room.bytes, 2_000_000_000);
        assert!(
            room.source
                .contains("/sys/fs/cgroup/unified/app/memory.max")
        );
        let v1 = |path: &str| -> Option<String> {
            Some(
                match path {
                    "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes" => "1000000000",
                    "/sys/fs/cgroup/memory/jobs/memory.usage_in_bytes" => "600000000",
                    "/sys/fs/cgroup/memory/jobs/memory.stat" => "total_inactive_file 100000000",
                    "/sys/fs/cgroup/memory/memory.limit_in_bytes" => "800000000",
                    _ => return None,
                }
                .to_string(),
            )
        };
        // The parent's 800 MB limit, nothing used there: 800 MB; the
        // cgroup's own: 1 GB − (600 − 100) MB = 500 MB, the smaller.
        let room = cgroup_room("4:memory:/jobs\n", MOUNTINFO, &v1).expect("a limit");
        assert_eq!(room.bytes, 500_000_000);
        assert_eq!(cgroup_room("3:cpu:/\n", MOUNTINFO, &v1), None);
    }
}
