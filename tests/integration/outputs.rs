//! Safe outputs (docs/interface.md: exit codes): a report folder is written
//! all or nothing. A full disk or a file-size limit exits with code 1 and a
//! message naming the file and the OS error, leaves no temporary file and
//! no half report, and leaves an earlier report byte for byte as it was.
//! An `--out` that can never work is refused before any simulation: below
//! a regular file with code 2, unwritable with code 1.
//!
//! The full and read-only disks are real tmpfs mounts in a private mount
//! namespace (`unshare --mount`, which needs root); the file-size limit
//! (`ulimit -f`) needs no privileges.
#![cfg(target_os = "linux")]

use crate::common::{THUNDERING_HERD, backsim, crate_dir, text};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Exit code of the shell scripts below when their setup (mount, ulimit,
/// copy) fails, so that a machine that cannot run a test fails it loudly
/// instead of passing it.
const SETUP_FAILED: i32 = 99;

/// Size of the small tmpfs: about half of it holds a report without
/// charts, and a report with charts needs ten times more.
const DISK: &str = "64k";

/// Files and folders by path (folders end in `/` and have no bytes).
type Tree = BTreeMap<String, Vec<u8>>;

/// Everything under `dir`, by path relative to it, dot files included.
fn tree(dir: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, into: &mut Tree) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("entry").path();
            let rel = path
                .strip_prefix(root)
                .expect("below root")
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                into.insert(format!("{rel}/"), Vec::new());
                walk(root, &path, into);
            } else {
                into.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// The names in a tree, for readable failure messages.
fn names(tree: &Tree) -> Vec<&str> {
    tree.keys().map(String::as_str).collect()
}

fn bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("backsim")
}

/// Runs `sh -c script` with positional parameters `args` ($1, $2, …) from
/// the crate root, in a private mount namespace when `private_mounts`.
fn sh(private_mounts: bool, script: &str, args: &[&Path]) -> Output {
    let mut cmd = if private_mounts {
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "sh"]);
        c
    } else {
        Command::new("sh")
    };
    cmd.args(["-c", script, "sh"])
        .args(args)
        .current_dir(crate_dir());
    let output = cmd.output().expect("sh starts");
    // `unshare` refused exits 1 like backsim: tell them apart by its message.
    let refused = private_mounts && text(&output.stderr).starts_with("unshare:");
    assert!(
        output.status.code() != Some(SETUP_FAILED) && !refused,
        "the test's setup failed (the tmpfs tests need root, for `unshare --mount` and `mount -t tmpfs`): {output:?}"
    );
    output
}

/// Writes a quick report of the herd (one replication) into `out`; its
/// folder's files.
fn herd(out: &Path, flags: &[&str]) -> Tree {
    backsim()
        .args(["run", THUNDERING_HERD, "--replications", "1", "--quiet"])
        .args(flags)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    tree(&out.join("thundering-herd"))
}

/// Runs the herd with `--stats --out out` and asserts that it exits 2
/// having simulated nothing (`--stats` prints after each simulation) and
/// printed nothing on stdout; its stderr.
fn refused_before_simulating(out: &Path) -> String {
    let output = backsim()
        .args(["run", THUNDERING_HERD, "--replications", "1", "--stats"])
        .arg("--out")
        .arg(out)
        .output()
        .expect("backsim runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(text(&output.stdout), "");
    text(&output.stderr)
}

/// Asserts that stderr is exactly one `error: PATH: OS error` line whose
/// path is a file of `dir`'s herd report and whose error is `os_error`.
fn assert_write_error(stderr: &str, dir: &Path, os_error: &str) {
    let prefix = format!("error: {}/", dir.join("thundering-herd").display());
    assert!(
        stderr.starts_with(&prefix) && stderr.ends_with(&format!(": {os_error}\n")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Runs the herd (one replication, seed 8) with `--out` a 64 KiB tmpfs in
/// a private mount namespace, after writing there, when `earlier`, a
/// report of the herd without charts (seed 7). Asserts that the run fails
/// with code 1 on a full disk, naming a file of the report, and prints no
/// table; returns what the disk held before and after it.
fn herd_on_a_full_disk(tmp: &Path, earlier: bool) -> (Tree, Tree) {
    let (disk, saved) = (tmp.join("disk"), tmp.join("saved"));
    std::fs::create_dir_all(&disk).unwrap();
    for d in ["before", "after"] {
        std::fs::create_dir_all(saved.join(d)).unwrap();
    }
    let first = if earlier {
        format!(
            r#""$2" run "$3" --replications 1 --no-charts --quiet --out "$1" || exit {SETUP_FAILED}"#
        )
    } else {
        String::new()
    };
    let script = format!(
        r#"mount -t tmpfs -o size={DISK} tmpfs "$1" || exit {SETUP_FAILED}
{first}
cp -a "$1/." "$4/before/" || exit {SETUP_FAILED}
"$2" run "$3" --replications 1 --seed 8 --out "$1" >"$4/stdout" 2>"$4/stderr"
code=$?
cp -a "$1/." "$4/after/" || exit {SETUP_FAILED}
exit $code"#
    );
    let output = sh(
        true,
        &script,
        &[&disk, bin(), Path::new(THUNDERING_HERD), &saved],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&std::fs::read(saved.join("stderr")).unwrap());
    assert_write_error(&stderr, &disk, "No space left on device (os error 28)");
    assert_eq!(text(&std::fs::read(saved.join("stdout")).unwrap()), "");
    // The mount was private: the folder outside holds nothing.
    assert!(tree(&disk).is_empty());
    (tree(&saved.join("before")), tree(&saved.join("after")))
}

#[test]
fn a_full_disk_exits_1_naming_the_file_and_leaves_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // The premise: this report does not fit on the disk (tmpfs counts
    // whole 4 KiB pages, so the bytes alone understate what it needs).
    let full: usize = herd(&tmp.path().join("full"), &[])
        .values()
        .map(Vec::len)
        .sum();
    assert!(full > 4 * 64 * 1024, "the report is only {full} bytes");
    let (_, after) = herd_on_a_full_disk(tmp.path(), false);
    // No temporary file, no half report, not even the empty folder.
    assert!(
        after.is_empty(),
        "left on the full disk: {:?}",
        names(&after)
    );
}

#[test]
fn a_full_disk_leaves_the_earlier_report_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // The premise: the run that fails would change the data files (another
    // seed), so an unchanged folder means nothing was replaced.
    let earlier = herd(&tmp.path().join("a"), &["--no-charts"]);
    let other = herd(&tmp.path().join("b"), &["--no-charts", "--seed", "8"]);
    for name in ["summary.csv", "scenario.toml"] {
        assert_ne!(
            earlier[name], other[name],
            "{name} does not depend on the seed"
        );
    }
    let (before, after) = herd_on_a_full_disk(tmp.path(), true);
    assert_eq!(
        before.get("thundering-herd/summary.csv"),
        earlier.get("summary.csv"),
        "the earlier report was not written as expected: {:?}",
        names(&before)
    );
    assert_eq!(names(&after), names(&before));
    assert!(after == before, "the earlier report changed");
}

/// A shell script that runs its arguments under a file-size limit of 64
/// blocks (32 KiB in dash's 512-byte blocks, 64 KiB in bash's). SIGXFSZ is
/// left as it is (it kills a process by default): backsim ignores it
/// itself, so that a write beyond the limit fails with EFBIG.
fn file_size_limit_script() -> String {
    format!(r#"ulimit -f 64 || exit {SETUP_FAILED}; exec "$@""#)
}

/// Runs backsim with `args` under [`file_size_limit_script`].
fn backsim_with_file_size_limit(args: &[&str], out: &Path) -> Output {
    let script = file_size_limit_script();
    let mut all: Vec<&Path> = vec![bin()];
    all.extend(args.iter().map(Path::new));
    all.push(Path::new("--out"));
    all.push(out);
    sh(false, &script, &all)
}

#[test]
fn a_file_size_limit_exits_1_and_keeps_the_earlier_report_and_its_charts() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    herd(&out, &[]);
    let before = tree(&out);
    assert!(before.contains_key("thundering-herd/index.html"));
    // The premises: the failing run would change the data files, and its
    // only file beyond the limit is `requests.csv`, which comes after
    // them; and since it is a run without charts, success would remove
    // the charts.
    let other = herd(
        &tmp.path().join("other"),
        &["--no-charts", "--requests", "--seed", "8"],
    );
    for (name, bytes) in &other {
        if name == "requests.csv" {
            assert!(
                bytes.len() > 64 * 1024,
                "{name} is only {} bytes",
                bytes.len()
            );
        } else {
            assert!(bytes.len() < 32 * 1024, "{name} is {} bytes", bytes.len());
            assert_ne!(
                before.get(&format!("thundering-herd/{name}")),
                Some(bytes),
                "{name} does not depend on the seed"
            );
        }
    }
    let output = backsim_with_file_size_limit(
        &[
            "run",
            THUNDERING_HERD,
            "--replications",
            "1",
            "--seed",
            "8",
            "--no-charts",
            "--requests",
        ],
        &out,
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {}: File too large (os error 27)\n",
            out.join("thundering-herd/requests.csv").display()
        )
    );
    assert_eq!(text(&output.stdout), "");
    let after = tree(&out);
    assert_eq!(names(&after), names(&before));
    assert!(after == before, "the earlier report changed");
}

#[test]
fn a_file_size_limit_on_a_new_folder_leaves_no_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("new").join("reports");
    let output =
        backsim_with_file_size_limit(&["run", THUNDERING_HERD, "--replications", "1"], &out);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_write_error(&text(&output.stderr), &out, "File too large (os error 27)");
    assert_eq!(text(&output.stdout), "");
    // The folders made for the report went with it.
    let left = tree(tmp.path());
    assert!(left.is_empty(), "left behind: {:?}", names(&left));
}

#[test]
fn plot_under_a_file_size_limit_adds_no_chart() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let before = herd(&out, &["--no-charts"]);
    let dir = out.join("thundering-herd");
    // The premise: plot would first write an SVG within the limit, then a
    // PNG beyond it.
    let full = herd(&tmp.path().join("full"), &[]);
    assert!(
        full.iter()
            .any(|(n, b)| n.ends_with(".svg") && b.len() < 32 * 1024)
    );
    assert!(
        full.iter()
            .any(|(n, b)| n.ends_with(".png") && b.len() > 64 * 1024)
    );
    let script = file_size_limit_script();
    let output = sh(false, &script, &[bin(), Path::new("plot"), &dir]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_write_error(&text(&output.stderr), &out, "File too large (os error 27)");
    let after = tree(&dir);
    assert_eq!(names(&after), names(&before));
    assert!(after == before, "the report changed");
}

/// Runs the herd with `--out out` while `mount` is a read-only tmpfs, and
/// asserts exit 1 naming `mount` before anything was simulated.
fn assert_read_only_refused(mount: &Path, out: &Path) {
    let script = format!(
        r#"mount -t tmpfs -o ro tmpfs "$1" || exit {SETUP_FAILED}
exec "$2" run "$3" --replications 1 --stats --out "$4""#
    );
    let output = sh(
        true,
        &script,
        &[mount, bin(), Path::new(THUNDERING_HERD), out],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // `--stats` prints after each simulation: nothing was simulated.
    // What cannot be created is named: the folder below `mount` on the
    // way to the report, or a file in `mount` itself.
    let below = out
        .strip_prefix(mount)
        .ok()
        .and_then(|rest| rest.components().next())
        .map(|first| mount.join(first));
    let expected = match below {
        Some(first) => format!(
            "error: cannot create {}: {} does not accept new files or folders",
            first.display(),
            mount.display()
        ),
        None => format!("error: cannot write files into {}", mount.display()),
    };
    assert_eq!(
        text(&output.stderr),
        format!("{expected}: Read-only file system (os error 30)\n")
    );
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn a_read_only_out_exits_1_before_any_simulation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let disk = tmp.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    // `--out` the read-only folder itself, and a folder to be made in it.
    for out in [disk.clone(), disk.join("reports").join("deeper")] {
        assert_read_only_refused(&disk, &out);
    }
}

/// Sets the permission bits of `path`.
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Copies of backsim and the herd scenario in `dir` that the unprivileged
/// user can reach wherever the crate lives; (backsim, scenario).
fn unprivileged_copies(dir: &Path) -> (PathBuf, PathBuf) {
    let exe = dir.join("backsim");
    std::fs::copy(bin(), &exe).expect("copy backsim");
    chmod(&exe, 0o755);
    let scenario = dir.join("herd.toml");
    std::fs::copy(crate_dir().join(THUNDERING_HERD), &scenario).expect("copy scenario");
    chmod(&scenario, 0o644);
    (exe, scenario)
}

/// Runs `cmd`, whose program was copied just now. While another test's
/// child, forked between the copy's open and close, still holds the file
/// open, executing it fails with "Text file busy" (ETXTBSY); that child
/// soon executes its own program and lets go, so the run is tried again.
fn output_of_fresh_copy(cmd: &mut Command) -> std::process::Output {
    for _ in 0..20 {
        let output = cmd.output().expect("setpriv starts");
        if !String::from_utf8_lossy(&output.stderr).contains("Text file busy") {
            return output;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cmd.output().expect("setpriv starts")
}

/// `setpriv` running `program` as the unprivileged user 65534, without
/// capabilities or groups; add its arguments.
fn as_nobody(program: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ])
    .arg(program);
    cmd
}

#[test]
fn a_folder_the_user_cannot_write_exits_1_before_any_simulation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    chmod(tmp.path(), 0o755);
    let (exe, scenario) = unprivileged_copies(tmp.path());
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    chmod(&locked, 0o555);
    for out in [locked.clone(), locked.join("reports")] {
        let mut cmd = as_nobody(&exe);
        cmd.arg("run")
            .arg(&scenario)
            .args(["--replications", "1", "--stats", "--out"])
            .arg(&out)
            .current_dir(tmp.path());
        let output = output_of_fresh_copy(&mut cmd);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let expected = if out == locked {
            format!("error: cannot write files into {}", locked.display())
        } else {
            format!(
                "error: cannot create {}: {} does not accept new files or folders",
                out.display(),
                locked.display()
            )
        };
        assert_eq!(
            text(&output.stderr),
            format!("{expected}: Permission denied (os error 13)\n")
        );
        assert_eq!(text(&output.stdout), "");
    }
    let left = tree(&locked);
    assert!(left.is_empty(), "left behind: {:?}", names(&left));
}

#[test]
fn out_below_a_file_exits_2_before_any_simulation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("somefile");
    std::fs::write(&file, "keep me").unwrap();
    for out in [file.join("reports"), file.join("a").join("b")] {
        assert_eq!(
            refused_before_simulating(&out),
            format!(
                "error: --out {}: {} is a file, not a folder; give a folder for the reports\n",
                out.display(),
                file.display()
            )
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    assert_eq!(names(&tree(tmp.path())), ["somefile"]);
}

#[test]
fn a_writable_out_gets_the_report_and_nothing_else() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out: PathBuf = tmp.path().to_path_buf();
    let report = herd(&out, &["--no-charts"]);
    // The up-front probe and the temporary files are gone.
    let mut expected: Vec<String> = vec!["thundering-herd/".to_string()];
    expected.extend(report.keys().map(|n| format!("thundering-herd/{n}")));
    expected.sort();
    assert_eq!(names(&tree(&out)), expected);
    assert!(report.contains_key("summary.csv"));
}

#[test]
fn a_read_only_report_folder_in_a_writable_out_exits_1_before_any_simulation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let folder = out.join("thundering-herd");
    std::fs::create_dir_all(&folder).unwrap();
    // `--out` accepts files; the scenario's own folder does not.
    assert_read_only_refused(&folder, &out);
}

#[test]
fn a_file_where_the_report_folder_goes_exits_2_before_any_simulation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let squatter = out.join("thundering-herd");
    std::fs::write(&squatter, "mine").unwrap();
    assert_eq!(
        refused_before_simulating(&out),
        format!(
            "error: {} is a file, not a folder; the report goes there; move it or give another --out\n",
            squatter.display()
        )
    );
    assert_eq!(std::fs::read(&squatter).unwrap(), b"mine");
}

#[test]
fn a_report_folder_that_is_a_link_to_a_folder_is_written_through_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("thundering-herd")).unwrap();
    let written = herd(&out, &["--no-charts"]);
    assert!(written.contains_key("summary.csv"), "{:?}", names(&written));
    assert_eq!(tree(&elsewhere), written, "not written through the link");
}

#[test]
fn a_report_folder_that_is_a_link_to_nothing_exits_2_before_any_simulation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let link = out.join("thundering-herd");
    std::os::unix::fs::symlink(tmp.path().join("gone"), &link).unwrap();
    assert_eq!(
        refused_before_simulating(&out),
        format!(
            "error: {} is a symbolic link to nothing; the report goes there; move it or give another --out\n",
            link.display()
        )
    );
    assert!(!tmp.path().join("gone").exists());
}

#[test]
fn plot_of_a_link_to_nothing_exits_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let link = tmp.path().join("report");
    std::os::unix::fs::symlink(tmp.path().join("gone"), &link).unwrap();
    let output = backsim().arg("plot").arg(&link).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {} is a symbolic link to nothing; give the folder of a report\n",
            link.display()
        )
    );
    assert!(!tmp.path().join("gone").exists());
}

/// Worker threads that cannot be started (here: an unprivileged user
/// allowed one process, which backsim itself is) end the run with exit
/// code 1 and an `error:` line like every other failure.
#[test]
fn worker_threads_that_cannot_start_exit_1_with_an_error_line() {
    let tmp = tempfile::tempdir().expect("temp dir");
    chmod(tmp.path(), 0o777);
    let (exe, scenario) = unprivileged_copies(tmp.path());
    let mut cmd = as_nobody(Path::new("prlimit"));
    cmd.arg("--nproc=1")
        .arg(&exe)
        .arg("run")
        .arg(&scenario)
        .args(["--replications", "2", "--threads", "2", "--out"])
        .arg(tmp.path().join("out"))
        .current_dir(tmp.path());
    let output = output_of_fresh_copy(&mut cmd);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        text(&output.stderr),
        "error: cannot start worker threads: Resource temporarily unavailable (os error 11)\n"
    );
    assert!(!tmp.path().join("out").exists());
}

/// A folder that takes no new files for a reason of its own (procfs
/// answers "No such file or directory" although `/proc/self` exists) is
/// named with what could not be created in it, not as if it were missing.
#[test]
fn a_folder_that_takes_no_new_files_is_named_with_what_cannot_be_created() {
    let output = backsim()
        .args(["run", THUNDERING_HERD, "--replications", "1", "--stats"])
        .args(["--out", "/proc/self/zz"])
        .output()
        .expect("backsim runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        text(&output.stderr),
        "error: cannot create /proc/self/zz: /proc/self does not accept new files or folders: No such file or directory (os error 2)\n"
    );
}
