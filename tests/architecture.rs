//! The shape docs/architecture.md promises, checked on the source: no two files of `src/`
//! import each other, directly or through others, and `src/smime/` keeps at most 8 files
//! at its top. The import graph is read from the text (`use` trees and `crate::` /
//! `super::` / `self::` paths outside test modules; `pub use` re-exports followed to the
//! file that defines the item), which is how a reader would follow it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

struct Crate {
    /// Module path → source (comments, strings and test modules removed).
    files: BTreeMap<Module, String>,
    /// `pub use` items: (module, name) → the module the name comes from.
    reexports: BTreeMap<(Module, String), Module>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

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

fn module_of(root: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut m: Module = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if m.last().is_some_and(|l| l == "mod") {
        m.pop();
    }
    if m == ["lib"] || m == ["main"] {
        m.clear();
    }
    m
}

/// Source without comments, string and char literals, and everything from the first
/// `#[cfg(test)]` on (test modules come last in our files).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i + 1 < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal ('"', '\n'), not a lifetime.
            i += if b[i + 1] == b'\\' { 4 } else { 3 };
            while i < b.len() && b[i - 1] != b'\'' {
                i += 1;
            }
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p))
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

fn strip_alias(path: &str) -> &str {
    path.split(" as ").next().unwrap_or(path).trim()
}

/// The `use` trees of `code`, and the other `crate::`, `super::`, `self::` paths.
fn paths_in(code: &str) -> (Vec<String>, Vec<String>) {
    let (mut uses, mut rest) = (Vec::new(), String::new());
    let mut s = code;
    while let Some(i) = find_word(s, "use") {
        rest.push_str(&s[..i]);
        let end = s[i..].find(';').map_or(s.len(), |e| i + e);
        let before = s[..i].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')');
        for p in expand(&s[i + 3..end]) {
            uses.push(format!(
                "{}{}",
                if public { "pub " } else { "" },
                strip_alias(&p)
            ));
        }
        s = &s[(end + 1).min(s.len())..];
    }
    rest.push_str(s);
    let mut others = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = rest[from..].find(start) {
            let i = from + i;
            let prev = rest[..i].chars().next_back();
            let end = rest[i..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(rest.len(), |e| i + e);
            if !prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                others.push(rest[i..end].trim_end_matches(':').to_string());
            }
            from = end.max(i + 1);
        }
    }
    (uses, others)
}

fn find_word(s: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find(word) {
        let i = from + i;
        let before = s[..i].chars().next_back();
        let after = s[i + word.len()..].chars().next();
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && after.is_some_and(char::is_whitespace)
        {
            return Some(i);
        }
        from = i + word.len();
    }
    None
}

impl Crate {
    fn read() -> Crate {
        let root = src_dir();
        let mut paths = Vec::new();
        rust_files(&root, &mut paths);
        let files = paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                (module_of(&root, p), code_of(&text))
            })
            .collect();
        let mut krate = Crate {
            files,
            reexports: BTreeMap::new(),
        };
        let mut reexports = BTreeMap::new();
        for (m, code) in &krate.files {
            for u in paths_in(code).0 {
                let Some(path) = u.strip_prefix("pub ") else {
                    continue;
                };
                if let Some((target, rest)) = krate.resolve(m, path)
                    && let Some(item) = rest.last().filter(|i| *i != "*")
                {
                    reexports.insert((m.clone(), item.clone()), target);
                }
            }
        }
        krate.reexports = reexports;
        krate
    }

    /// The module a path starts from, and its remaining segments; `None` for other crates.
    fn base(&self, m: &Module, path: &str) -> Option<(Module, Vec<String>)> {
        let mut segs: Vec<String> = path.split("::").map(|s| s.trim().to_string()).collect();
        let mut base = m.clone();
        match segs[0].as_str() {
            "crate" => {
                base.clear();
                segs.remove(0);
            }
            "self" => {
                segs.remove(0);
            }
            "super" => {
                while segs.first().is_some_and(|s| s == "super") {
                    base.pop();
                    segs.remove(0);
                }
            }
            first => {
                let mut child = m.clone();
                child.push(first.to_string());
                if !self.files.contains_key(&child) {
                    return None;
                }
            }
        }
        Some((base, segs))
    }

    /// The file a path leads to (following modules, then re-exports), and what is left.
    fn resolve(&self, m: &Module, path: &str) -> Option<(Module, Vec<String>)> {
        let (mut target, segs) = self.base(m, path)?;
        let mut rest = segs.into_iter().peekable();
        while let Some(seg) = rest.peek() {
            let mut next = target.clone();
            next.push(seg.clone());
            if !self.files.contains_key(&next) {
                break;
            }
            target = next;
            rest.next();
        }
        Some((target, rest.collect()))
    }

    fn target(&self, m: &Module, path: &str) -> Option<Module> {
        let (mut target, rest) = self.resolve(m, path)?;
        for _ in 0..10 {
            match rest
                .first()
                .and_then(|item| self.reexports.get(&(target.clone(), item.clone())))
            {
                Some(t) if *t != target => target = t.clone(),
                _ => break,
            }
        }
        Some(target)
    }

    fn edges(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        let mut edges = BTreeMap::new();
        for (m, code) in &self.files {
            let (uses, others) = paths_in(code);
            let mut to = BTreeSet::new();
            for p in uses
                .iter()
                .map(|u| u.trim_start_matches("pub "))
                .chain(others.iter().map(String::as_str))
            {
                if let Some(t) = self.target(m, p)
                    && t != *m
                    && !t.is_empty()
                {
                    to.insert(t);
                }
            }
            edges.insert(m.clone(), to);
        }
        edges
    }
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        next: usize,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        for w in s.edges.get(v).into_iter().flatten() {
            let Some((w, _)) = s.edges.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn names(comp: &[Module]) -> String {
    comp.iter()
        .map(|m| m.join("::"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn no_file_imports_itself_through_others() {
    let krate = Crate::read();
    let edges = krate.edges();
    let found = cycles(&edges);
    assert!(
        found.is_empty(),
        "import cycles in src/: {}",
        found
            .iter()
            .map(|c| names(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    // The reader must see the graph: a check that found no edges would pass anything.
    let to = |a: &[&str], b: &[&str]| {
        let a: Module = a.iter().map(|s| s.to_string()).collect();
        let b: Module = b.iter().map(|s| s.to_string()).collect();
        edges.get(&a).is_some_and(|e| e.contains(&b))
    };
    assert!(
        to(&["config"], &["policy", "engine"]),
        "config -> policy::engine"
    );
    assert!(to(&["smime", "pipeline"], &["smime", "cms", "signed"]));
    assert!(to(&["smime", "mime"], &["mail", "reader"]));
}

#[test]
fn no_top_level_module_imports_itself_through_others() {
    let edges = Crate::read().edges();
    let mut top: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, to) in &edges {
        let f: Module = from.iter().take(1).cloned().collect();
        let entry = top.entry(f.clone()).or_default();
        for t in to {
            let t: Module = t.iter().take(1).cloned().collect();
            if t != f {
                entry.insert(t);
            }
        }
    }
    let found = cycles(&top);
    assert!(
        found.is_empty(),
        "import cycles between top-level modules: {}",
        found
            .iter()
            .map(|c| names(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
}

#[test]
fn smime_keeps_at_most_eight_files_at_its_top() {
    let files: Vec<_> = std::fs::read_dir(src_dir().join("smime"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert!(files.len() <= 8, "{} files: {files:?}", files.len());
}

#[test]
fn the_reader_follows_use_trees_and_reexports() {
    assert_eq!(
        expand("a::{b, c::{d, e as f}}"),
        ["a::b", "a::c::d", "a::c::e as f"]
    );
    let (uses, others) = paths_in(&code_of(
        "pub use x::{Y};\nfn f() { crate::a::b(); let s = \"crate::no\"; }",
    ));
    assert_eq!(uses, ["pub x::Y"]);
    assert_eq!(others, ["crate::a::b"]);
    let code = code_of("use a; // crate::not\nlet c = '\"'; crate::yes::it();");
    assert!(
        code.contains("crate::yes::it") && !code.contains("crate::not"),
        "{code}"
    );
}
