//! The limits the runs of one experiment are held to ([`Limits`]): an
//! event budget, how long the clock may stand still, the memory the
//! process may hold; the defaults the command line falls back on, the
//! value of a limit flag ([`Cap`]), and sizes written the way
//! `--max-memory` takes them.

use crate::engine::CHECK_EVERY;

/// Default event budget of one run (`--max-events`): minutes of one core
/// at the tens of millions of events per second backsim processes.
pub const DEFAULT_MAX_EVENTS: u64 = 10_000_000_000;

/// Default least number of events a run's clock may stand still for before
/// the run is stopped as a livelock (`--max-stall-events`; see
/// [`stall_limit`]): seconds of one core, which no run spends at one
/// instant unless it loops. An attempt answered at once takes about 3
/// events, so [`STALL_EVENTS_PER_CLIENT`] leaves every client of a large
/// burst some 20 such attempts at t = 0.
pub const DEFAULT_STALL_EVENTS: u64 = 100_000_000;

/// Events per client a run's clock may stand still for, on top of
/// [`DEFAULT_STALL_EVENTS`], so that large simultaneous bursts are never
/// taken for a livelock.
pub const STALL_EVENTS_PER_CLIENT: u64 = 64;

/// The limits the runs of one experiment are held to. `Limits::default()`
/// has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most events one run may process (None: no budget). The run is
    /// stopped at the first checkpoint at or past it, so the budget is in
    /// effect rounded up to a multiple of [`CHECK_EVERY`].
    pub max_events: Option<u64>,
    /// The least number of events a run's clock may stand still for before
    /// it is stopped as a livelock (None: never); see [`stall_limit`].
    pub stall_events: Option<u64>,
    /// Most resident memory of the whole process, in bytes (None: not
    /// watched).
    pub max_memory: Option<u64>,
}

/// The value of `--max-events`, `--max-stall-events` (events) or
/// `--max-memory` (bytes): a cap, or `off`. (Not to be confused with a
/// rate limit of the provider, `model::limiter::Limit`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    At(u64),
    Off,
}

impl Cap {
    /// The limit a flag sets: `default` when it is not given, none with
    /// `off`.
    pub fn or_default(flag: Option<Cap>, default: u64) -> Option<u64> {
        match flag {
            None => Some(default),
            Some(Cap::At(n)) => Some(n),
            Some(Cap::Off) => None,
        }
    }
}

/// How many events a run's clock may stand still for: the larger of
/// `floor` and 64 events per client.
pub fn stall_limit(floor: u64, clients: u32) -> u64 {
    floor.max(STALL_EVENTS_PER_CLIENT.saturating_mul(u64::from(clients)))
}

/// `n` rounded up to a multiple of [`CHECK_EVERY`]: the events a run
/// with budget `n` may process.
pub fn effective_budget(n: u64) -> u64 {
    n.div_ceil(CHECK_EVERY).saturating_mul(CHECK_EVERY)
}

/// A `--max-memory` value at least `b` bytes, with two significant digits:
/// `32G` for 31.2 GB, `154M` for 153.6 MB, `1.1G` for 1.05 GB.
pub fn size_flag(b: u64) -> String {
    let x = b.max(1) as f64;
    let (unit, scale) = [("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)]
        .into_iter()
        .find(|&(_, s)| x >= s)
        .unwrap_or(("", 1.0));
    let v = x / scale;
    // One decimal below 10 of the unit, whole numbers above (rounded up).
    let text = if v < 10.0 {
        let r = (v * 10.0 - 1e-9).ceil() / 10.0;
        if r.fract() == 0.0 {
            format!("{r:.0}")
        } else {
            format!("{r:.1}")
        }
    } else {
        format!("{:.0}", (v - 1e-9).ceil())
    };
    format!("{text}{unit}")
}

/// `bytes` as the user may have written it: `1G` for 10^9, else the
/// bytes in powers of 1000 with one decimal.
pub fn size_flag_exact(bytes: u64) -> String {
    for (unit, scale) in [("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)] {
        let v = bytes as f64 / scale;
        if v >= 1.0 {
            let r = (v * 10.0).round() / 10.0;
            return if r.fract() == 0.0 {
                format!("{r:.0}{unit}")
            } else {
                format!("{r:.1}{unit}")
            };
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminal::{format_bytes, group};

    #[test]
    fn bytes_and_counts_read_well() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(153_600_000), "153.6 MB");
        assert_eq!(format_bytes(31_200_000_000), "31.2 GB");
        assert_eq!(size_flag(31_200_000_000), "32G");
        assert_eq!(size_flag(153_600_000), "154M");
        assert_eq!(size_flag(1_050_000_000), "1.1G");
        assert_eq!(size_flag(2_000_000_000), "2G");
        assert_eq!(size_flag_exact(1_000_000_000), "1G");
        assert_eq!(size_flag_exact(1_500_000_000), "1.5G");
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(100_000_000), "100,000,000");
        assert_eq!(effective_budget(1), 65_536);
        assert_eq!(effective_budget(65_536), 65_536);
        assert_eq!(effective_budget(100_000), 131_072);
        assert_eq!(stall_limit(100_000_000, 1000), 100_000_000);
        assert_eq!(stall_limit(100_000_000, 10_000_000), 640_000_000);
    }
}
