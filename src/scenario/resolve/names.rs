//! Names: what may name a scenario (and so its report folder, on every
//! system), the name a scenario without one takes from its file, and the
//! models' names a fallback may refer to.

use crate::diagnostic::did_you_mean;
use crate::scenario::MAX_MODELS;
use std::collections::HashMap;

/// Longest scenario name, in bytes: a folder name may have 255 on the
/// common file systems, and a sweep shard's folder adds `.shard-K-of-N`,
/// at most 25 bytes (the report checks that its suffix fits).
pub const MAX_NAME_BYTES: usize = 230;

/// The characters a scenario name may have.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.".contains(c)
}

/// Why `name` cannot name a report folder (on Linux, macOS and Windows
/// alike, so that a scenario checks the same everywhere), if it cannot.
pub(super) fn folder_name_problem(name: &str) -> Option<String> {
    const ALLOWED: &str = "use letters, digits, '-', '_' and '.'";
    let shown = crate::scenario::trace::quote(name);
    if let Some(c) = name.chars().find(|&c| !name_char(c)) {
        return Some(format!(
            "{shown} cannot name a report folder: '{}' is not allowed; {ALLOWED}",
            c.escape_debug()
        ));
    }
    let (why, advice) = match name {
        "" => return Some(format!("{shown} cannot name a report folder; {ALLOWED}")),
        "." => ("it means the output folder itself", ALLOWED),
        ".." => ("it means the folder above the output folder", ALLOWED),
        _ if name.len() > MAX_NAME_BYTES => {
            return Some(format!(
                "must be at most {MAX_NAME_BYTES} characters (a folder name has at most 255 bytes, and `sweep --shard K/N` adds \".shard-K-of-N\" to it), not {}",
                name.len()
            ));
        }
        _ if name.ends_with('.') => (
            "Windows drops a final '.'",
            "end it with a letter, a digit, '-' or '_'",
        ),
        _ if windows_device(name) => (
            "Windows keeps CON, PRN, AUX, NUL, COM0 to COM9 and LPT0 to LPT9 for devices, in any case and before any '.'",
            "choose another name",
        ),
        _ => return None,
    };
    Some(format!(
        "{shown} cannot name a report folder: {why}; {advice}"
    ))
}

/// Whether Windows reserves `name` for a device: CON, PRN, AUX, NUL, COM0
/// to COM9 or LPT0 to LPT9, in any case, alone or before a '.'.
fn windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    let numbered = stem.len() == 4
        && (stem.starts_with("com") || stem.starts_with("lpt"))
        && stem.as_bytes()[3].is_ascii_digit();
    numbered || matches!(stem.as_str(), "con" | "prn" | "aux" | "nul")
}

/// The name of a scenario that sets none, from its file name without the
/// extension, made a folder name as `name` must be: other characters
/// become '-', leading and trailing dots go, a Windows device name gets
/// "scenario-" before it, a long name is cut; nothing left is "scenario".
pub(super) fn name_from_file(stem: &str) -> String {
    let safe: String = stem
        .chars()
        .map(|c| if name_char(c) { c } else { '-' })
        .collect();
    let mut name = match safe.trim_matches('.') {
        "" => "scenario".to_string(),
        s if windows_device(s) => format!("scenario-{s}"),
        s => s.to_string(),
    };
    // Only ASCII is left, so any length is a character boundary.
    name.truncate(MAX_NAME_BYTES);
    name.trim_end_matches('.').to_string()
}

/// Every model's name, the main model first, with an index to find one
/// by name.
pub(super) struct ModelNames<'a> {
    names: Vec<&'a str>,
    /// The first model of each name.
    pub(super) index: HashMap<&'a str, usize>,
}

impl<'a> ModelNames<'a> {
    pub(super) fn new(names: Vec<&'a str>) -> Self {
        let mut index = HashMap::with_capacity(names.len());
        for (i, &n) in names.iter().enumerate() {
            index.entry(n).or_insert(i);
        }
        ModelNames { names, index }
    }

    /// What a fallback may name instead of `word`: the `[[model]]` names
    /// (the first [`MAX_MODELS`]; more are refused anyway), and the
    /// closest to `word` if one is close.
    pub(super) fn hint(&self, word: &str) -> String {
        let known = &self.names[1..self.names.len().min(MAX_MODELS + 1)];
        if known.is_empty() {
            return "define it in a [[model]] table".to_string();
        }
        let listed: Vec<String> = known.iter().map(|m| format!("\"{m}\"")).collect();
        format!(
            "expected one of the [[model]] names {}{}",
            listed.join(", "),
            did_you_mean(word, known.iter().copied())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STRATEGY, problem};
    use super::*;

    #[test]
    fn windows_devices_are_the_reserved_stems_in_any_case() {
        for device in ["con", "PRN", "Aux.txt", "nul.tar.gz", "COM0", "lpt9.log"] {
            assert!(windows_device(device), "{device}");
        }
        for name in ["com10", "console", "lpt", "comx", "a.con", "nul-model"] {
            assert!(!windows_device(name), "{name}");
        }
    }

    #[test]
    fn a_file_name_becomes_a_name_a_folder_can_have() {
        for (stem, want) in [
            ("herd v2", "herd-v2"),
            ("...", "scenario"),
            ("..herd..", "herd"),
            ("nul", "scenario-nul"),
            ("café", "caf-"),
        ] {
            assert_eq!(name_from_file(stem), want, "{stem}");
            assert_eq!(folder_name_problem(want), None, "{want}");
        }
        // Cut to the longest name, and a dot the cut leaves at the end goes.
        let stem = format!("{}.{}", "a".repeat(MAX_NAME_BYTES - 1), "b".repeat(9));
        assert_eq!(name_from_file(&stem), "a".repeat(MAX_NAME_BYTES - 1));
    }

    #[test]
    fn a_name_that_cannot_be_a_folder_is_refused_at_its_line() {
        let (line, key, message) = problem(&format!("seed = 1\nname = \"a b\"\n{STRATEGY}"));
        assert_eq!((line, key.as_str()), (2, "name"));
        assert_eq!(
            message,
            "\"a b\" cannot name a report folder: ' ' is not allowed; use letters, digits, '-', '_' and '.'"
        );
    }

    #[test]
    fn model_names_find_the_first_of_each_name_and_suggest_the_closest() {
        let names = ModelNames::new(vec!["primary", "backup", "spare", "backup"]);
        assert_eq!(names.index["backup"], 1);
        assert_eq!(names.index.len(), 3);
        assert_eq!(
            names.hint("bakup"),
            "expected one of the [[model]] names \"backup\", \"spare\", \"backup\"; did you mean \"backup\"?"
        );
        assert_eq!(
            ModelNames::new(vec!["primary"]).hint("backup"),
            "define it in a [[model]] table"
        );
        let (_, key, message) =
            problem(&format!("{STRATEGY}fallback = {{ model = \"backup\" }}\n"));
        assert_eq!(key, "strategy[0].fallback.model");
        assert_eq!(
            message,
            "unknown model \"backup\"; define it in a [[model]] table"
        );
    }
}
