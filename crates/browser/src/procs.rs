//! Reading `/proc`: which processes make up a browser, how much memory they really use, and
//! whether any are left behind. Linux only, like the rest of the browser engine's cleanup.

use std::fs;

/// A live (non-zombie) process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    /// `/proc/PID/cmdline` with NULs as spaces.
    pub cmdline: String,
}

fn stat_of(pid: u32) -> Option<(char, u32, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgid = fields.next()?.parse().ok()?;
    Some((state, ppid, pgid))
}

/// Every live process on the machine. Zombies are left out: they hold no memory and are only
/// waiting to be reaped by whoever adopted them.
pub fn all_processes() -> Vec<ProcessInfo> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((state, ppid, pgid)) = stat_of(pid) else {
            continue;
        };
        if state == 'Z' || state == 'X' {
            continue;
        }
        let cmdline = fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .replace('\0', " ")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        out.push(ProcessInfo {
            pid,
            ppid,
            pgid,
            cmdline,
        });
    }
    out.sort_by_key(|p| p.pid);
    out
}

/// Live members of a process group: a Chromium started by this crate leads its own group, and
/// every helper it forks (zygotes, renderers, the network service) stays in it.
pub fn group_members(pgid: u32) -> Vec<u32> {
    all_processes()
        .into_iter()
        .filter(|p| p.pgid == pgid)
        .map(|p| p.pid)
        .collect()
}

/// Live processes whose environment holds `KEY=value` exactly (children inherit it).
pub fn processes_with_env(key: &str, value: &str) -> Vec<ProcessInfo> {
    let needle = format!("{key}={value}");
    processes_where_env(|var| var == needle.as_bytes())
}

/// Live processes whose environment holds `KEY=` followed by `prefix` (a browser started with
/// its profile under a given directory carries [`crate::MARKER_ENV`] so).
pub fn processes_with_env_prefix(key: &str, prefix: &str) -> Vec<ProcessInfo> {
    let needle = format!("{key}={prefix}");
    processes_where_env(|var| var.starts_with(needle.as_bytes()))
}

fn processes_where_env(test: impl Fn(&[u8]) -> bool) -> Vec<ProcessInfo> {
    all_processes()
        .into_iter()
        .filter(|p| {
            fs::read(format!("/proc/{}/environ", p.pid))
                .map(|env| env.split(|b| *b == 0).any(&test))
                .unwrap_or(false)
        })
        .collect()
}

/// Proportional set size in KiB: shared pages split between the processes sharing them, so the
/// sum over a process tree is what the tree really costs (RSS counts shared pages once per
/// process).
pub fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup.lines().find_map(|line| {
        let value = line.strip_prefix("Pss:")?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// PSS summed over `pids`, in KiB; processes that exited meanwhile count as zero.
pub fn total_pss_kib(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|pid| pss_kib(*pid)).sum()
}

/// Whether this process runs as root (Chromium's sandbox refuses to start as root).
pub fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("Uid:")
                    .and_then(|ids| ids.split_whitespace().next())
                    .map(|uid| uid == "0")
            })
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_itself() {
        let me = std::process::id();
        let all = all_processes();
        let mine = all.iter().find(|p| p.pid == me).expect("this process");
        assert!(group_members(mine.pgid).contains(&me));
        assert!(pss_kib(me).is_some_and(|k| k > 0));
    }
}
