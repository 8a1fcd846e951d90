//! The import graph of src/ points one way: no two files import each other, directly or
//! round a loop; no command imports another command; below the commands nothing imports one;
//! the leaves (error, credentials, env, disk, child, …) import only leaves.
//!
//! The graph is read from the source text (no compiler): every `crate::…` and `super::…` path,
//! in `use` trees and inline, resolved to the longest module path that is a file. A parent's
//! use of its own submodules (`mod x; use x::Y;`) is not an edge: the parent is their face.
//! Comments are skipped; string literals are not parsed, so avoid `crate::` inside strings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Cycles tolerated for a while (none today). Each must still exist while listed here, so that
/// the list only shrinks; while it is empty, the check is the whole rule.
const KNOWN_CYCLES: &[&[&str]] = &[];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn module_files(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                parts.clear();
            }
            out.insert(parts.join("::"), std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `a::{b, c::{d, e as f}, self}` → `a::b`, `a::c::d`, `a::c::e`, `a`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim();
    let join = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}::{b}"),
    };
    if let Some(open) = tree.find('{') {
        let base = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0, 0);
        let mut parts = Vec::new();
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&inner[start..]);
        for part in parts.into_iter().filter(|p| !p.trim().is_empty()) {
            expand(&join(prefix, base), part, out);
        }
        return;
    }
    let path = tree.split(" as ").next().unwrap().trim();
    out.push(join(prefix, path));
}

fn resolve(modules: &BTreeMap<String, String>, path: &str) -> String {
    let segs: Vec<&str> = path
        .split("::")
        .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
        .collect();
    (0..=segs.len())
        .map(|i| segs[..i].join("::"))
        .rfind(|m| modules.contains_key(m))
        .unwrap_or_default()
}

/// The module `super::` × `ups` names, seen from `me`.
fn up(me: &[&str], ups: usize) -> String {
    me[..me.len().saturating_sub(ups)].join("::")
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn graph(modules: &BTreeMap<String, String>) -> Graph {
    let mut graph = Graph::new();
    for (name, text) in modules {
        let me: Vec<&str> = name.split("::").filter(|s| !s.is_empty()).collect();
        let text = strip_comments(text);
        let mut paths = Vec::new();
        // `use` trees, braces and all.
        let mut rest = text.as_str();
        while let Some(i) = rest.find("use ") {
            let before = rest[..i].chars().next_back();
            let stmt_end = rest[i..].find(';').map_or(rest.len(), |e| i + e);
            let stmt = &rest[i + 4..stmt_end];
            if before.is_none_or(|c| !is_ident(c)) {
                let stmt = stmt.trim();
                let mut ups = 0;
                let mut tree = stmt;
                while let Some(t) = tree.strip_prefix("super::") {
                    ups += 1;
                    tree = t;
                }
                if let Some(t) = tree.strip_prefix("crate::") {
                    expand("", t, &mut paths);
                } else if ups > 0 {
                    expand(&up(&me, ups), tree, &mut paths);
                }
            }
            rest = &rest[stmt_end.min(rest.len())..];
            if rest.is_empty() {
                break;
            }
            rest = &rest[1..];
        }
        // Inline paths: `crate::a::b(…)`, `super::x::Y`.
        for (i, _) in text
            .match_indices("crate::")
            .chain(text.match_indices("super::"))
        {
            if text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| is_ident(c) || c == ':')
            {
                continue;
            }
            let mut ups = 0;
            let mut tail = &text[i..];
            let base = if tail.starts_with("crate::") {
                tail = &tail[7..];
                String::new()
            } else {
                while let Some(t) = tail.strip_prefix("super::") {
                    ups += 1;
                    tail = t;
                }
                up(&me, ups)
            };
            let end = tail
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(tail.len());
            let path = tail[..end].trim_end_matches(':');
            paths.push(if base.is_empty() {
                path.to_string()
            } else {
                format!("{base}::{path}")
            });
        }
        let deps = graph.entry(name.clone()).or_default();
        for path in paths {
            let target = resolve(modules, &path);
            if !target.is_empty() && target != *name {
                deps.insert(target);
            }
        }
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let lw = s.low[w.as_str()];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.stack.contains(&w.as_str()) {
                let iw = s.index[w.as_str()];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.found.push(comp);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found.sort();
    s.found
}

fn src_graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    graph(&module_files(&root))
}

#[test]
fn no_import_cycles_beyond_the_known_ones() {
    let found = cycles(&src_graph());
    let known: Vec<Vec<String>> = KNOWN_CYCLES
        .iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect();
    let new: Vec<_> = found.iter().filter(|c| !known.contains(c)).collect();
    assert!(new.is_empty(), "import cycles among files of src/: {new:?}");
    let gone: Vec<_> = known.iter().filter(|c| !found.contains(c)).collect();
    assert!(
        gone.is_empty(),
        "these cycles are gone: remove them from KNOWN_CYCLES: {gone:?}"
    );
}

/// The command a module belongs to (`cmd::setup::edit` → `cmd::setup`), if any.
fn command_of(module: &str) -> Option<String> {
    let parts: Vec<&str> = module.split("::").collect();
    (parts.len() >= 2 && parts[0] == "cmd").then(|| parts[..2].join("::"))
}

#[test]
fn commands_import_no_other_command_and_nothing_below_imports_one() {
    let mut wrong = Vec::new();
    for (from, deps) in src_graph() {
        // The crate root dispatches to the commands; the fuzzing harness drives them.
        if from.is_empty() || from == "cmd" || from.starts_with("fuzzing") {
            continue;
        }
        for to in deps.iter().filter(|d| command_of(d).is_some()) {
            if command_of(&from) != command_of(to) {
                wrong.push(format!("{from} → {to}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports of a command: {wrong:?}");
}

/// The bottom layer: modules that import nothing but each other.
const LEAVES: &[&str] = &[
    "error",
    "credentials",
    "env",
    "diag",
    "prompt",
    "version",
    "disk",
    "child",
    "leftovers",
];

fn is_leaf(module: &str) -> bool {
    let top = module.split("::").next().unwrap_or_default();
    LEAVES.contains(&top)
}

#[test]
fn leaves_import_only_leaves() {
    let graph = src_graph();
    for leaf in LEAVES {
        assert!(graph.contains_key(*leaf), "{leaf} is not a module of src/");
    }
    let wrong: Vec<String> = graph
        .iter()
        .filter(|(from, _)| is_leaf(from))
        .flat_map(|(from, deps)| {
            deps.iter()
                .filter(|d| !is_leaf(d))
                .map(move |d| format!("{from} → {d}"))
        })
        .collect();
    assert!(wrong.is_empty(), "a leaf imports a higher layer: {wrong:?}");
}

#[test]
fn the_graph_reader_sees_use_trees_inline_paths_and_cycles() {
    let mut modules = BTreeMap::new();
    modules.insert(String::new(), "mod a; mod b; mod c;".to_string());
    modules.insert(
        "a".to_string(),
        "// use crate::c;\nuse crate::{b::X, error as e};".to_string(),
    );
    modules.insert("b".to_string(), "fn f() { super::c::g() }".to_string());
    modules.insert("c".to_string(), "pub fn g() { crate::a::h(); }".to_string());
    modules.insert("error".to_string(), String::new());
    let g = graph(&modules);
    assert_eq!(
        g["a"],
        BTreeSet::from(["b".to_string(), "error".to_string()])
    );
    assert_eq!(g["b"], BTreeSet::from(["c".to_string()]));
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
}
