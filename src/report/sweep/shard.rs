//! Shards: a partial report holds the rows of its points and a manifest
//! ([`ShardInfo`], `shard.toml`); `backsim merge` puts the rows of all
//! shards back in point order.

use super::data::*;
use super::read::read_csv;
use super::write::*;
use crate::Error;
use crate::scenario::Scenario;
use std::path::Path;

/// The manifest of a partial report.
pub const SHARD_FILE: &str = "shard.toml";

/// Most shards `--shard K/N` may split a sweep into.
pub const MAX_SHARDS: usize = 1_000_000;

/// The longest suffix [`ShardInfo::dir_name`] adds to a scenario's name:
/// `.shard-K-of-N` with K and N as long as [`MAX_SHARDS`].
pub const LONGEST_SHARD_SUFFIX: usize = ".shard--of-".len() + 2 * digits(MAX_SHARDS);

// The longest scenario name with the longest suffix is a folder name (at
// most 255 bytes).
const _: () = assert!(crate::scenario::MAX_NAME_BYTES + LONGEST_SHARD_SUFFIX <= 255);

/// Decimal digits of `n`.
pub(crate) const fn digits(mut n: usize) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

/// Which part of a sweep a partial report holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardInfo {
    /// 1-based.
    pub shard: usize,
    pub shards: usize,
    /// The `--precision` target and its maximum, which every shard must
    /// share.
    pub precision: Option<(f64, u32)>,
}

impl ShardInfo {
    /// The grid points shard `shard` of `shards` runs: every `shards`-th,
    /// starting at `shard - 1`.
    pub fn points(&self, total: usize) -> Vec<usize> {
        (self.shard - 1..total).step_by(self.shards).collect()
    }

    /// The folder name of the partial report: `<name>.shard-K-of-N`.
    pub fn dir_name(&self, scenario: &str) -> String {
        format!("{scenario}.shard-{}-of-{}", self.shard, self.shards)
    }

    /// The manifest's text.
    pub fn to_toml(&self) -> String {
        let mut s = format!(
            "# A partial report of `backsim sweep --shard {k}/{n}`: the rows of every {n}th grid point\n\
             # from point {first}. `backsim merge` combines all {n} shards into the full report.\n\
             backsim = \"{v}\"\nshard = {k}\nshards = {n}\n",
            k = self.shard,
            n = self.shards,
            first = self.shard - 1,
            v = env!("CARGO_PKG_VERSION"),
        );
        if let Some((target, max)) = self.precision {
            s.push_str(&format!("precision = {target}\nmax_replications = {max}\n"));
        }
        s
    }

    /// Parses a manifest.
    pub fn parse(path: &Path, text: &str) -> Result<ShardInfo, Error> {
        let bad = |what: &str| {
            Error::Input(format!(
                "{}: {what}; it should be the manifest `backsim sweep --shard K/N` wrote",
                path.display()
            ))
        };
        let t: toml::Table = text.parse().map_err(|_| bad("is not valid TOML"))?;
        let version = t
            .get("backsim")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("has no `backsim` version"))?;
        if version != env!("CARGO_PKG_VERSION") {
            return Err(Error::Input(format!(
                "{}: written by backsim {version}, but this is backsim {}; merge with the version that ran the shards (results may differ between versions)",
                path.display(),
                env!("CARGO_PKG_VERSION")
            )));
        }
        let int = |k: &str| {
            t.get(k)
                .and_then(|v| v.as_integer())
                .filter(|&x| x >= 1)
                .map(|x| x as usize)
                .ok_or_else(|| bad(&format!("has no whole number `{k}` of at least 1")))
        };
        let (shard, shards) = (int("shard")?, int("shards")?);
        if shard > shards {
            return Err(bad("has `shard` greater than `shards`"));
        }
        let precision = match (t.get("precision"), t.get("max_replications")) {
            (None, None) => None,
            (Some(p), Some(m)) => Some((
                p.as_float()
                    .ok_or_else(|| bad("has a `precision` that is not a number"))?,
                m.as_integer()
                    .and_then(|m| u32::try_from(m).ok())
                    .ok_or_else(|| bad("has a `max_replications` that is not a whole number"))?,
            )),
            _ => return Err(bad("has only one of `precision` and `max_replications`")),
        };
        Ok(ShardInfo {
            shard,
            shards,
            precision,
        })
    }
}

/// A partial report read back: its manifest, scenario and rows.
#[derive(Debug, Clone)]
pub struct Partial {
    pub dir: std::path::PathBuf,
    pub info: ShardInfo,
    pub scenario: Scenario,
    pub scenario_text: String,
    pub rows: Vec<PointRows>,
}

/// Reads the partial report in `dir`.
pub fn read_partial(dir: &Path) -> Result<Partial, Error> {
    let files = crate::report::folder::read_files(
        dir,
        &[SHARD_FILE, "scenario.toml", "summary.csv", "sweep.csv"],
        "`backsim merge` needs the folders `backsim sweep --shard K/N` wrote",
    )?;
    let read = |name: &str| -> &[u8] {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, b)| b.as_slice())
    };
    let info = ShardInfo::parse(
        &dir.join(SHARD_FILE),
        &String::from_utf8_lossy(read(SHARD_FILE)),
    )?;
    let (scenario, scenario_text) = crate::report::run::read::scenario_from_files(dir, &files)?;
    let sweep = scenario.sweep.clone().ok_or_else(|| {
        Error::Input(format!(
            "{} has no [sweep] table",
            dir.join("scenario.toml").display()
        ))
    })?;
    let points = info.points(sweep.points());
    let strategies = scenario.strategies.len();
    let split = |name: &str,
                 header: Vec<String>,
                 per: usize|
     -> Result<Vec<Vec<Vec<String>>>, Error> {
        let path = dir.join(name);
        let (h, records) = read_csv(&path, read(name))?;
        if h != header {
            return Err(Error::Input(format!(
                "{}:1: the header does not match scenario.toml's sweep",
                path.display()
            )));
        }
        if records.len() != points.len() * per {
            return Err(Error::Input(format!(
                "{}: has {} rows; shard {} of {} has {} points with {per} rows each",
                path.display(),
                records.len(),
                info.shard,
                info.shards,
                points.len()
            )));
        }
        // Each row names its point's values: check them.
        let nkeys = sweep.keys.len();
        for (i, rec) in records.iter().enumerate() {
            let want: Vec<String> = sweep
                .point_values(points[i / per])
                .iter()
                .map(|v| v.cell())
                .collect();
            let bad = |what: String| Error::Input(format!("{}:{}: {what}", path.display(), i + 2));
            if rec.len() < 2 + nkeys || rec[2..2 + nkeys] != want[..] {
                return Err(bad(format!(
                    "the swept values are not those of point {} of the grid",
                    points[i / per]
                )));
            }
            // Rows go strategy by strategy (and metric by metric).
            let strategy = &scenario.strategies[(i % per) * strategies / per].name;
            if rec[0] != scenario.name || &rec[1] != strategy {
                return Err(bad(format!(
                    "expected scenario {} and strategy {strategy} here",
                    scenario.name
                )));
            }
            let metric =
                (per != strategies).then(|| SweepMetric::ALL[i % SweepMetric::ALL.len()].name());
            for (c, cell) in rec.iter().enumerate().skip(2 + nkeys) {
                if metric.is_some() && c == 2 + nkeys + 2 {
                    if Some(cell.as_str()) != metric {
                        return Err(bad(format!(
                            "expected metric {} here",
                            metric.unwrap_or_default()
                        )));
                    }
                } else if header[c] == "binding_limit" {
                    // The one text column: a limit's key, or nothing.
                    if !cell.is_empty() && crate::model::limiter::Limit::from_key(cell).is_none() {
                        return Err(bad(format!(
                            "column `binding_limit`: \"{}\" is not a limit's key",
                            crate::terminal::safe(cell)
                        )));
                    }
                } else if !cell.is_empty() && !cell.parse::<f64>().is_ok_and(f64::is_finite) {
                    return Err(bad(format!(
                        "column `{}`: \"{cell}\" is not a number",
                        header[c]
                    )));
                }
            }
        }
        Ok(records.chunks(per).map(|c| c.to_vec()).collect())
    };
    let summary = split("summary.csv", summary_header(&sweep), strategies)?;
    let sweep_rows = split(
        "sweep.csv",
        sweep_header(&sweep),
        strategies * SweepMetric::ALL.len(),
    )?;
    let rows = points
        .iter()
        .zip(summary.into_iter().zip(sweep_rows))
        .map(|(&point, (summary, sweep))| PointRows {
            point,
            summary,
            sweep,
        })
        .collect();
    Ok(Partial {
        dir: dir.to_path_buf(),
        info,
        scenario,
        scenario_text,
        rows,
    })
}

/// Combines the partial reports of every shard of one sweep into the rows
/// of the full report, in point order. Refuses shards of different sweeps,
/// settings or versions, and missing or repeated shards.
pub fn merge(partials: Vec<Partial>) -> Result<(Scenario, Vec<PointRows>), Error> {
    let first = partials
        .first()
        .ok_or_else(|| Error::Input("no partial reports to merge".into()))?;
    let n = first.info.shards;
    let mut seen: Vec<Option<&Path>> = vec![None; n];
    for p in &partials {
        let differs = if p.scenario_text != first.scenario_text {
            Some("scenario.toml")
        } else if p.info.shards != n {
            Some("number of shards")
        } else if p.info.precision != first.info.precision {
            Some("--precision settings")
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(Error::Input(format!(
                "{} and {} differ in their {what}: they are not shards of one sweep",
                first.dir.display(),
                p.dir.display()
            )));
        }
        if let Some(other) = seen[p.info.shard - 1] {
            return Err(Error::Input(format!(
                "{} and {} are both shard {} of {n}; give each shard once",
                other.display(),
                p.dir.display(),
                p.info.shard
            )));
        }
        seen[p.info.shard - 1] = Some(&p.dir);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !missing.is_empty() {
        let one = missing.len() == 1;
        return Err(Error::Input(format!(
            "shard{} {} of {n} {} missing; run `backsim sweep --shard K/{n}` for {} and merge all {n}",
            if one { "" } else { "s" },
            missing.join(", "),
            if one { "is" } else { "are" },
            if one { "it" } else { "them" }
        )));
    }
    let scenario = first.scenario.clone();
    let mut rows: Vec<PointRows> = partials.into_iter().flat_map(|p| p.rows).collect();
    rows.sort_by_key(|r| r.point);
    Ok((scenario, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_shard_suffix_is_that_of_the_most_shards() {
        let most = ShardInfo {
            shard: MAX_SHARDS,
            shards: MAX_SHARDS,
            precision: None,
        };
        assert_eq!(most.dir_name("herd"), "herd.shard-1000000-of-1000000");
        assert_eq!(most.dir_name("").len(), LONGEST_SHARD_SUFFIX);
        assert_eq!(
            crate::cli::parse_shard("1000000/1000000"),
            Ok((MAX_SHARDS, MAX_SHARDS))
        );
        assert!(crate::cli::parse_shard("1/1000001").is_err());
    }
}
