//! `backsim new` (docs/interface.md: commands): writes a commented starter
//! scenario from a shipped one, named after its file, never over an
//! existing file without `--force`, and refuses bad input with exit 2 and
//! nothing written.

use crate::common::{backsim, crate_dir, text};
use predicates::prelude::*;
use std::path::Path;

/// The names of the entries of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_starter_checks_runs_and_reports_under_its_own_name() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("my-api.toml");
    backsim()
        .arg("new")
        .arg(&file)
        .assert()
        .code(0)
        .stdout("")
        .stderr(format!(
            "wrote {0} from the template thundering-herd; check it with `backsim check {0}`, run it with `backsim run {0}`\n",
            file.display()
        ));
    let written = std::fs::read_to_string(&file).expect("written");
    let shipped =
        std::fs::read_to_string(crate_dir().join("scenarios/thundering-herd.toml")).unwrap();
    // Every key and comment of the template from `[workload]` on.
    let body = &shipped[shipped.find("[workload]").unwrap()..];
    assert!(written.ends_with(body), "{written}");
    assert!(written.starts_with("# Written by `backsim new --template thundering-herd`.\n"));
    backsim()
        .arg("check")
        .arg(&file)
        .assert()
        .code(0)
        .stderr("");
    let out = tmp.path().join("out");
    backsim()
        .args([
            "run",
            "--quiet",
            "--no-charts",
            "--replications",
            "1",
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .assert()
        .code(0);
    assert_eq!(entries(&out), ["my-api"]);
    assert_eq!(entries(tmp.path()), ["my-api.toml", "out"]);
}

#[test]
fn an_existing_file_is_kept_unless_forced() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("mine.toml");
    std::fs::write(&file, "# my own scenario\n").unwrap();
    backsim()
        .args(["new", "--template", "mmc"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(format!(
            "error: {} exists; give --force to overwrite it\n",
            file.display()
        ));
    assert_eq!(std::fs::read(&file).unwrap(), b"# my own scenario\n");
    backsim()
        .args(["new", "--template", "mmc", "--force", "--quiet"])
        .arg(&file)
        .assert()
        .code(0)
        .stderr("");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("# Written by `backsim new --template mmc`.\n"));
    // No temporary file is left beside it.
    assert_eq!(entries(tmp.path()), ["mine.toml"]);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("a.toml");
    let output = backsim()
        .args(["new", "-t", "thundering_herd"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with(
            "error: unknown template \"thundering_herd\"; expected one of \"thundering-herd\", "
        ) && text(&output.stderr).ends_with("; did you mean \"thundering-herd\"?\n"),
        "{}",
        text(&output.stderr)
    );
    let folder = tmp.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    backsim()
        .arg("new")
        .arg(&folder)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "error: {} is a folder; give the scenario file to write",
            folder.display()
        )));
    // Below a file.
    std::fs::write(tmp.path().join("plain"), "x").unwrap();
    backsim()
        .arg("new")
        .arg(tmp.path().join("plain").join("a.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a file, not a folder"));
    assert_eq!(entries(tmp.path()), ["folder", "plain"]);
    assert!(entries(&folder).is_empty());
}

#[test]
fn list_names_every_template_with_its_description() {
    let output = backsim().arg("list").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    let templates = &stdout[stdout
        .find("\nTemplates (backsim new [--template NAME] FILE; default thundering-herd):\n")
        .expect("a templates section")..];
    assert!(templates.contains(
        "\n  mmc                  M/M/8 at rho = 0.5, 0.8, 0.9: mean waiting and sojourn times against Erlang C\n"
    ));
    let shipped = backsim::templates::TEMPLATES.len();
    assert_eq!(templates.lines().count(), 1 + 1 + shipped, "{templates}");
}

/// Only a regular file is ever replaced: not a device, not a FIFO, not a
/// link to nothing, even with `--force` (as root, a rename would replace
/// `/dev/null` itself).
#[cfg(unix)]
#[test]
fn only_a_regular_file_is_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().expect("temp dir");
    let fifo = tmp.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let dangling = tmp.path().join("dangling.toml");
    std::os::unix::fs::symlink(tmp.path().join("gone.toml"), &dangling).unwrap();
    for (file, what) in [
        (
            Path::new("/dev/null"),
            "is not a regular file (a device, a FIFO or a socket); backsim replaces only regular files",
        ),
        (
            fifo.as_path(),
            "is not a regular file (a device, a FIFO or a socket); backsim replaces only regular files",
        ),
        (dangling.as_path(), "is a symbolic link to nothing"),
    ] {
        backsim()
            .args(["new", "--force"])
            .arg(file)
            .assert()
            .code(2)
            .stdout("")
            .stderr(format!(
                "error: {} {what}; give the scenario file to write, e.g. my-api.toml\n",
                file.display()
            ));
    }
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(
        null.file_type().is_char_device(),
        "/dev/null is still a device"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(entries(tmp.path()), ["dangling.toml", "pipe.toml"]);
}

/// A link to a regular file is written through: the file it leads to gets
/// the starter (with `--force`), and the link stays a link.
#[cfg(unix)]
#[test]
fn a_link_to_a_file_is_written_through() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(tmp.path().join("shared")).unwrap();
    let target = tmp.path().join("shared/base.toml");
    std::fs::write(&target, "# old\n").unwrap();
    let link = tmp.path().join("mine.toml");
    std::os::unix::fs::symlink("shared/base.toml", &link).unwrap();
    backsim()
        .args(["new", "--force", "--quiet", "--template", "mmc"])
        .arg(&link)
        .assert()
        .code(0);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.starts_with("# Written by `backsim new --template mmc`.\n"));
    assert_eq!(entries(&tmp.path().join("shared")), ["base.toml"]);
}

/// A file name that is not UTF-8 is used as its exact bytes: `\xff.toml`
/// is written, and `\u{fffd}.toml`, what a lossy conversion of it would
/// name, is not touched.
#[cfg(target_os = "linux")]
#[test]
fn a_file_name_is_used_as_its_exact_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().expect("temp dir");
    let lossy = tmp.path().join("\u{fffd}.toml");
    std::fs::write(&lossy, "# mine\n").unwrap();
    let raw = tmp.path().join(OsStr::from_bytes(b"\xff.toml"));
    backsim()
        .args(["new", "--quiet"])
        .arg(&raw)
        .assert()
        .code(0);
    assert_eq!(std::fs::read(&lossy).unwrap(), b"# mine\n");
    assert!(
        std::fs::read_to_string(&raw)
            .unwrap()
            .starts_with("# Written by")
    );
    // And now it exists: kept without --force.
    backsim().arg("new").arg(&raw).assert().code(2);
    let mut names: Vec<Vec<u8>> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [b"\xef\xbf\xbd.toml".to_vec(), b"\xff.toml".to_vec()]
    );
}
