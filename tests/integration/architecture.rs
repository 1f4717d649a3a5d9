//! The layering of `src/`, held against `docs/architecture.md`.
//!
//! The document lists the layers, bottom first, in a block fenced as
//! ```` ```layers ````. This test reads every file under `src/`, finds what
//! it imports from the rest of the crate (`use` lines and paths written
//! inline, `crate::`, `super::` and `self::` alike; test code, `tests.rs`
//! and `*_tests.rs` left out), and
//! fails when:
//! - a module imports from a layer above its own, or from another module
//!   of its own layer where the layer keeps its modules apart;
//! - files of different folders import each other in a circle;
//! - a top-level module is in no layer;
//! - a file holds more than [`MAX_LINES`] lines of non-test code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Most lines of non-test code in one file: beyond that a file holds more
/// than one concern.
const MAX_LINES: usize = 950;

/// One layer of the document's list.
#[derive(Debug)]
struct Layer {
    rank: usize,
    name: String,
    /// Its modules may import each other (foundations, commands).
    shared: bool,
    modules: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn layers() -> Vec<Layer> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let block = doc
        .split("```layers\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/architecture.md has a ```layers block");
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(rank, line)| {
            // "foundations (shared): time random …"
            let (head, modules) = line
                .split_once(':')
                .expect("layer line: NAME [(shared)]: MODULES");
            Layer {
                rank,
                name: head.split_whitespace().next().unwrap().to_string(),
                shared: head.contains("(shared)"),
                modules: modules.split_whitespace().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// Whether `path` holds only tests: `tests.rs` (declared
/// `#[cfg(test)] mod tests;`) or `*_tests.rs`.
fn test_file(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name == "tests.rs" || name.ends_with("_tests.rs")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`: `engine/mod.rs` → [engine],
/// `engine/queue.rs` → [engine, queue], `lib.rs` → [].
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without its tests, comments and literals: test
/// modules (`#[cfg(test)] mod …`) and other `#[cfg(test)]` items are left
/// out, comments dropped, string and character literals emptied.
fn code_of(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            let next = lines.peek().map_or("", |l| l.trim());
            if next.starts_with("mod ") && next.ends_with('{') {
                break; // the test module runs to the end of the file
            }
            lines.next(); // a one-line item: `mod x_tests;`, `use …;`
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    strip_comments_and_literals(&kept)
}

fn strip_comments_and_literals(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if let Some(hashes) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes; // r, hashes, quote
            i += body
                + rest[body..]
                    .find(&close)
                    .map_or(rest.len() - body, |e| e + close.len());
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{1b}') or a lifetime.
            if b.get(i + 1) == Some(&b'\\') {
                i += 2 + rest[2..].find('\'').map_or(0, |e| e + 1);
            } else if rest.chars().nth(2) == Some('\'') {
                i += rest.chars().take(3).map(char::len_utf8).sum::<usize>();
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `r"`, `r#"`, `br"`…: the number of hashes of a raw string starting here.
fn raw_string_start(rest: &str) -> Option<usize> {
    let s = rest.strip_prefix('b').unwrap_or(rest).strip_prefix('r')?;
    let hashes = s.len() - s.trim_start_matches('#').len();
    s[hashes..].starts_with('"').then_some(hashes)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths of a use tree starting at `s` (after its first `::`), each as
/// its segments: `{a, b::{c, d}}` → [a], [b, c], [b, d].
fn use_tree(s: &str) -> Vec<Vec<String>> {
    fn tree(s: &[char], i: &mut usize) -> Vec<Vec<String>> {
        let skip_ws = |i: &mut usize| {
            while *i < s.len() && s[*i].is_whitespace() {
                *i += 1;
            }
        };
        skip_ws(i);
        if s.get(*i) == Some(&'{') {
            *i += 1;
            let mut all = Vec::new();
            loop {
                skip_ws(i);
                match s.get(*i) {
                    Some('}') | None => {
                        *i += 1;
                        return all;
                    }
                    Some(',') => *i += 1,
                    _ => all.extend(tree(s, i)),
                }
            }
        }
        let start = *i;
        while *i < s.len() && is_ident(s[*i]) {
            *i += 1;
        }
        let seg: String = s[start..*i].iter().collect();
        if seg.is_empty() {
            if s.get(*i) == Some(&'*') {
                *i += 1;
            }
            return vec![Vec::new()];
        }
        if s.get(*i) == Some(&':') && s.get(*i + 1) == Some(&':') {
            *i += 2;
            return tree(s, i)
                .into_iter()
                .map(|mut p| {
                    p.insert(0, seg.clone());
                    p
                })
                .collect();
        }
        vec![vec![seg]]
    }
    let chars: Vec<char> = s.chars().collect();
    tree(&chars, &mut 0)
}

/// Module paths (from the crate root) that `code`, the code of the file of
/// module `module`, refers to.
fn references(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let children: BTreeSet<String> = code
        .lines()
        .filter_map(|l| {
            let l = l
                .trim()
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect();
    // The module `super` names from this file.
    let parent = |m: &[String]| m[..m.len().saturating_sub(1)].to_vec();
    let here = module.to_vec();
    let mut found = Vec::new();
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    for (k, &(at, _)) in chars.iter().enumerate() {
        let before = k.checked_sub(1).map(|j| chars[j].1);
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let rest = &code[at..];
        let (base, tail) = if let Some(t) = rest.strip_prefix("crate::") {
            (Vec::new(), t)
        } else if let Some(t) = rest.strip_prefix("super::") {
            let mut base = parent(&here);
            let mut t = t;
            while let Some(more) = t.strip_prefix("super::") {
                base = parent(&base);
                t = more;
            }
            (base, t)
        } else if let Some(t) = rest.strip_prefix("self::") {
            (here.clone(), t)
        } else if let Some(t) = rest.strip_prefix("use ") {
            // `use child::…` in a file that declares `mod child;`.
            let t = t.trim_start();
            let first: String = t.chars().take_while(|&c| is_ident(c)).collect();
            if !children.contains(&first) {
                continue;
            }
            (here.clone(), t)
        } else {
            continue;
        };
        for p in use_tree(tail) {
            let mut full = base.clone();
            full.extend(p);
            found.push(full);
        }
    }
    found
}

struct Crate {
    /// Files by their path under `src/`, with their module path and code.
    files: BTreeMap<PathBuf, (Vec<String>, String)>,
}

impl Crate {
    /// The crate under `src/`.
    fn read() -> Crate {
        let src = root().join("src");
        let mut paths = Vec::new();
        rust_files(&src, &mut paths);
        Crate::of(paths.into_iter().map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_path_buf();
            (rel, std::fs::read_to_string(&p).unwrap())
        }))
    }

    /// A crate of `(path under src/, text)` files.
    fn of(files: impl Iterator<Item = (PathBuf, String)>) -> Crate {
        let files = files
            .filter(|(p, _)| !test_file(p))
            .map(|(rel, text)| {
                let module = module_of(&rel);
                (rel, (module, code_of(&text)))
            })
            .collect();
        Crate { files }
    }

    /// The file that defines the longest prefix of module path `m`.
    fn file_of(&self, m: &[String]) -> Option<PathBuf> {
        (1..=m.len()).rev().find_map(|n| {
            let p = m[..n].join("/");
            [format!("{p}.rs"), format!("{p}/mod.rs")]
                .into_iter()
                .map(PathBuf::from)
                .find(|f| self.files.contains_key(f))
        })
    }

    /// Names `lib.rs` re-exports (`pub use error::Error;`), to the module
    /// they come from.
    fn lib_reexports(&self) -> BTreeMap<String, String> {
        let Some((_, code)) = self.files.get(Path::new("lib.rs")) else {
            return BTreeMap::new();
        };
        code.lines()
            .filter_map(|l| l.trim().strip_prefix("pub use "))
            .filter_map(|l| {
                let l = l.trim_end_matches(';');
                let (module, name) = l.split_once("::")?;
                Some((name.rsplit("::").next()?.to_string(), module.to_string()))
            })
            .collect()
    }

    /// File → files it imports from.
    fn imports(&self) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
        let reexports = self.lib_reexports();
        let mut graph = BTreeMap::new();
        for (file, (module, code)) in &self.files {
            let mut to = BTreeSet::new();
            for mut path in references(code, module) {
                if let Some(from) = path.first().and_then(|n| reexports.get(n)) {
                    path.insert(0, from.clone());
                }
                if let Some(target) = self.file_of(&path)
                    && &target != file
                {
                    to.insert(target);
                }
            }
            graph.insert(file.clone(), to);
        }
        graph
    }
}

/// The top-level module a file belongs to (`lib`, `main` for those two).
fn top(file: &Path) -> String {
    let first = file.iter().next().unwrap().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Imports that break the layer order of `layers`.
fn layer_problems(krate: &Crate, layers: &[Layer]) -> Vec<String> {
    let layer_of = |m: &str| layers.iter().find(|l| l.modules.iter().any(|x| x == m));
    let mut problems = Vec::new();
    let tops: BTreeSet<String> = krate.files.keys().map(|f| top(f)).collect();
    for m in &tops {
        if layer_of(m).is_none() {
            problems.push(format!("src/{m}: in no layer of docs/architecture.md"));
        }
    }
    for (file, to) in krate.imports() {
        let from = top(&file);
        for target in to {
            let dest = top(&target);
            if from == dest || dest == "lib" {
                continue;
            }
            let (Some(a), Some(b)) = (layer_of(&from), layer_of(&dest)) else {
                continue;
            };
            if b.rank < a.rank || (b.rank == a.rank && a.shared) {
                continue;
            }
            let why = if b.rank == a.rank {
                "the modules of this layer know nothing of each other"
            } else {
                "a layer above"
            };
            problems.push(format!(
                "src/{} ({}) imports src/{} ({}): {why}",
                file.display(),
                a.name,
                target.display(),
                b.name,
            ));
        }
    }
    problems
}

/// Circles of imports between files of different folders.
fn circles(krate: &Crate) -> Vec<String> {
    let mut graph = krate.imports();
    // A child seeing its folder's face (`super::X` from a file under it) is
    // no circle: the face is where the folder shows what it holds.
    for (file, to) in graph.iter_mut() {
        to.retain(|t| {
            let face = t.ends_with("mod.rs") || t == Path::new("lib.rs");
            !(face && file.starts_with(t.parent().unwrap()))
        });
    }
    strongly_connected(&graph)
        .into_iter()
        .filter(|c| {
            let folders: BTreeSet<_> = c.iter().map(|f| f.parent().unwrap()).collect();
            folders.len() > 1
        })
        .map(|c| {
            let names: Vec<String> = c.iter().map(|f| format!("src/{}", f.display())).collect();
            names.join(", ")
        })
        .collect()
}

/// Lines of a file before its test module.
fn non_test_lines(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .position(|(i, l)| {
            l.trim() == "#[cfg(test)]"
                && lines.get(i + 1).is_some_and(|n| {
                    n.trim_start().starts_with("mod ") && n.trim_end().ends_with('{')
                })
        })
        .unwrap_or(lines.len())
}

#[test]
fn imports_only_go_down_the_layers_of_docs_architecture() {
    let problems = layer_problems(&Crate::read(), &layers());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn files_of_different_folders_import_no_circle() {
    let found = circles(&Crate::read());
    assert!(
        found.is_empty(),
        "import circles across folders:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_file_holds_more_than_one_concern_by_size() {
    let src = root().join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let big: Vec<String> = paths
        .iter()
        .filter(|p| !test_file(p))
        .filter_map(|p| {
            let n = non_test_lines(&std::fs::read_to_string(p).unwrap());
            (n > MAX_LINES).then(|| format!("src/{}: {n}", p.strip_prefix(&src).unwrap().display()))
        })
        .collect();
    assert!(
        big.is_empty(),
        "over {MAX_LINES} lines of non-test code:\n{}",
        big.join("\n")
    );
}

/// A small crate that breaks every rule once, to show the checks see it.
fn broken_crate() -> Crate {
    let files = [
        (
            "lib.rs",
            "pub mod low;\npub mod high;\npub mod side;\npub use low::Thing;\n",
        ),
        // A back-edge written inline, in a grouped use, and one in a
        // comment and a string, which are not imports.
        (
            "low/mod.rs",
            "//! crate::high is named here only in a comment.\nmod inner;\npub struct Thing;\nfn f() { let _ = crate::high::up(); let s = \"crate::side\"; }\n",
        ),
        ("low/inner.rs", "use crate::{Thing, high::{self, up}};\n"),
        (
            "high/mod.rs",
            "pub fn up() {}\nuse crate::low::Thing;\nmod deep;\n",
        ),
        ("high/deep.rs", "use super::super::side::x;\n"),
        (
            "side.rs",
            "pub fn x() { crate::high::up(); }\n#[cfg(test)]\nmod tests {\n use crate::low::Thing;\n}\n",
        ),
    ];
    Crate::of(
        files
            .into_iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string())),
    )
}

#[test]
fn the_checks_see_back_edges_circles_and_unplaced_modules() {
    let layers = vec![
        Layer {
            rank: 0,
            name: "bottom".into(),
            shared: false,
            modules: vec!["low".into()],
        },
        Layer {
            rank: 1,
            name: "top".into(),
            shared: false,
            modules: vec!["high".into(), "lib".into()],
        },
    ];
    let krate = broken_crate();
    let imports = krate.imports();
    let to = |f: &str| {
        imports[Path::new(f)]
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    // Comments, strings and test modules are not read; a grouped use is.
    assert_eq!(to("low/mod.rs"), ["high/mod.rs"]);
    assert_eq!(to("low/inner.rs"), ["high/mod.rs", "low/mod.rs"]);
    assert_eq!(to("high/deep.rs"), ["side.rs"]);
    assert_eq!(to("side.rs"), ["high/mod.rs"]);
    let problems = layer_problems(&krate, &layers);
    assert_eq!(
        problems,
        [
            "src/side: in no layer of docs/architecture.md",
            "src/low/inner.rs (bottom) imports src/high/mod.rs (top): a layer above",
            "src/low/mod.rs (bottom) imports src/high/mod.rs (top): a layer above",
        ]
    );
    assert_eq!(circles(&krate), ["src/high/mod.rs, src/low/mod.rs"]);
}

/// Tarjan's strongly connected components with more than one file.
fn strongly_connected(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, (usize, usize)>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        s.index.insert(v, (s.next, s.next));
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.index[w].1.min(s.index[v].1);
                s.index.get_mut(v).unwrap().1 = low;
            } else if s.on_stack.contains(w) {
                let low = s.index[w].0.min(s.index[v].1);
                s.index.get_mut(v).unwrap().1 = low;
            }
        }
        if s.index[v].0 == s.index[v].1 {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}
