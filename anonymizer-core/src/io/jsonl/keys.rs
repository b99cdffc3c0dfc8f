//! The key pass: every key path of a JSON Lines input (`id`, `address`, `address.zip`) in the
//! order it is first seen, and what it holds (plain values, objects or lists). Only keys are
//! kept, never values, and at most `max_columns` key paths, so memory stays bounded whatever
//! the file's length. Values are not parsed, only skipped over (serde_json's `RawValue`): a
//! number too large for a float is text like any other value.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::detect::column_label;
use crate::error::InputProblem;

/// Objects nested deeper than this are refused as a bad line (serde_json's limit for typed
/// values); the walk recurses once per level.
const MAX_DEPTH: usize = 128;

/// What a key path has held so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only `null`: a text column unless an object comes.
    Null,
    /// Strings, numbers, booleans: one text column.
    Value,
    /// Objects: a column per key inside.
    Object,
    /// Lists (refused, naming the column).
    List,
}

struct Node {
    /// The key as written in the file (arrow-json matches fields by it).
    key: Box<str>,
    parent: usize,
    kind: Kind,
    children: Vec<usize>,
    by_key: HashMap<Box<str>, usize>,
}

/// The key paths of an input as a tree, children in first-seen order; node 0 stands for the
/// line's object itself.
pub(super) struct Keys {
    nodes: Vec<Node>,
    max_paths: usize,
    /// Bytes of all keys together, and their count so far.
    max_key_bytes: usize,
    key_bytes: usize,
    trim: bool,
    /// The line being read, for errors.
    line: u64,
    /// Why a walk stopped: serde errors carry text only (dropped, it may quote the input).
    failure: Option<InputProblem>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys may be data: only their number is shown.
        f.debug_struct("Keys").field("paths", &(self.nodes.len() - 1)).finish()
    }
}

impl Keys {
    /// An empty key set holding at most `max_paths` key paths (objects count too); `trim`
    /// trims each key of a column name (`[input] trim_headers`).
    pub(super) fn new(max_paths: usize, trim: bool) -> Keys {
        let root = Node { key: "".into(), parent: 0, kind: Kind::Object, children: Vec::new(), by_key: HashMap::new() };
        Keys { nodes: vec![root], max_paths, max_key_bytes: usize::MAX, key_bytes: 0, trim, line: 0, failure: None }
    }

    /// The same, holding at most `limit` bytes of keys in all (a header row's limit).
    pub(super) fn with_key_bytes(mut self, limit: usize) -> Keys {
        self.max_key_bytes = limit;
        self
    }

    /// Adds the keys of one line (`text`, one JSON object), numbered `line`.
    pub(super) fn add_line(&mut self, text: &str, line: u64) -> Result<(), InputProblem> {
        self.line = line;
        self.failure = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let walked =
            de::Deserializer::deserialize_map(&mut de, Walk { keys: self, node: 0, depth: 0 }).and_then(|()| de.end());
        match walked {
            Ok(()) => Ok(()),
            Err(_) => Err(self.failure.take().unwrap_or(InputProblem::Json { line })),
        }
    }

    /// The fields arrow-json decodes with: every key as written, plain values as text,
    /// objects as structs, lists as lists (refused by [`Keys::columns`]).
    pub(super) fn fields(&self) -> Fields {
        self.fields_of(0)
    }

    fn fields_of(&self, node: usize) -> Fields {
        self.nodes[node]
            .children
            .iter()
            .map(|&c| {
                let n = &self.nodes[c];
                let ty = match n.kind {
                    Kind::Object => DataType::Struct(self.fields_of(c)),
                    Kind::List => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                    Kind::Null | Kind::Value => DataType::Utf8,
                };
                Arc::new(Field::new(n.key.as_ref(), ty, true))
            })
            .collect()
    }

    /// The column names: leaf key paths joined by `.`, in the order flattening the decoded
    /// structs gives them. A list is refused as [`InputProblem::Nested`], named by its label.
    pub(super) fn columns(&self) -> Result<Vec<String>, InputProblem> {
        let mut out = Vec::new();
        self.push_columns(0, "", &mut out)?;
        Ok(out)
    }

    fn push_columns(&self, node: usize, prefix: &str, out: &mut Vec<String>) -> Result<(), InputProblem> {
        for &c in &self.nodes[node].children {
            let name = format!("{prefix}{}", self.shown_key(c));
            match self.nodes[c].kind {
                Kind::Object => self.push_columns(c, &format!("{name}."), out)?,
                Kind::List => return Err(InputProblem::Nested { column: column_label(&name, out.len()).into_owned() }),
                Kind::Null | Kind::Value => out.push(name),
            }
        }
        Ok(())
    }

    fn shown_key(&self, node: usize) -> &str {
        let key = self.nodes[node].key.as_ref();
        if self.trim {
            key.trim()
        } else {
            key
        }
    }

    /// The column name of `node`'s path (`a.b`).
    fn path(&self, node: usize) -> String {
        let mut parts = Vec::new();
        let mut at = node;
        while at != 0 {
            parts.push(self.shown_key(at));
            at = self.nodes[at].parent;
        }
        parts.reverse();
        parts.join(".")
    }

    /// How many columns come before `node`'s first column among the keys seen so far.
    fn position(&self, node: usize) -> usize {
        fn walk(keys: &Keys, at: usize, target: usize, count: &mut usize) -> bool {
            for &c in &keys.nodes[at].children {
                if c == target {
                    return true;
                }
                match keys.nodes[c].kind {
                    Kind::Object => {
                        if walk(keys, c, target, count) {
                            return true;
                        }
                    }
                    Kind::Null | Kind::Value | Kind::List => *count += 1,
                }
            }
            false
        }
        let mut count = 0;
        walk(self, 0, node, &mut count);
        count
    }

    /// The child of `parent` named `key`, added if new.
    fn child(&mut self, parent: usize, key: &str) -> Result<usize, ()> {
        if let Some(&i) = self.nodes[parent].by_key.get(key) {
            return Ok(i);
        }
        if self.nodes.len() > self.max_paths {
            self.failure = Some(InputProblem::TooManyColumns { line: self.line, limit: self.max_paths });
            return Err(());
        }
        self.key_bytes = self.key_bytes.saturating_add(key.len());
        if self.key_bytes > self.max_key_bytes {
            self.failure = Some(InputProblem::KeysTooLong { line: self.line, limit: self.max_key_bytes });
            return Err(());
        }
        let i = self.nodes.len();
        self.nodes.push(Node {
            key: key.into(),
            parent,
            kind: Kind::Null,
            children: Vec::new(),
            by_key: HashMap::new(),
        });
        let p = &mut self.nodes[parent];
        p.children.push(i);
        p.by_key.insert(key.into(), i);
        Ok(i)
    }

    /// Records that `node` holds `raw` (one JSON value) on this line, and walks an object.
    fn holds(&mut self, node: usize, raw: &str, depth: usize) -> Result<(), ()> {
        let seen = match raw.as_bytes().first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::List,
            Some(b'n') => Kind::Null,
            _ => Kind::Value,
        };
        let kind = match (self.nodes[node].kind, seen) {
            (Kind::List, _) | (_, Kind::List) => Kind::List,
            (k, Kind::Null) | (Kind::Null, k) => k,
            (Kind::Object, Kind::Value) | (Kind::Value, Kind::Object) => {
                let column = column_label(&self.path(node), self.position(node)).into_owned();
                self.failure = Some(InputProblem::ObjectAndValue { line: self.line, column });
                return Err(());
            }
            (k, _) => k,
        };
        self.nodes[node].kind = kind;
        if kind != Kind::Object || seen != Kind::Object {
            return Ok(());
        }
        if depth + 1 >= MAX_DEPTH {
            // As serde_json refuses it (and so did this reader before it had a key pass).
            self.failure = Some(InputProblem::Json { line: self.line });
            return Err(());
        }
        let mut de = serde_json::Deserializer::from_str(raw);
        de::Deserializer::deserialize_map(&mut de, Walk { keys: self, node, depth: depth + 1 }).map_err(|_| ())
    }
}

/// Walks one object's keys into `node`.
struct Walk<'a> {
    keys: &'a mut Keys,
    node: usize,
    depth: usize,
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // A key twice in one object: the decoder would keep one value and lose the other.
        // (A short list for the usual few keys; a set past 32.)
        let (mut few, mut many) = (Vec::new(), std::collections::HashSet::new());
        while let Some(child) = map.next_key_seed(Key { keys: &mut *self.keys, parent: self.node })? {
            let repeated = if few.len() < 32 {
                let r = few.contains(&child);
                few.push(child);
                r
            } else {
                if many.is_empty() {
                    many.extend(few.iter().copied());
                }
                !many.insert(child)
            };
            if repeated {
                let column = column_label(&self.keys.path(child), self.keys.position(child)).into_owned();
                self.keys.failure = Some(InputProblem::DuplicateKey { line: self.keys.line, column });
                return Err(de::Error::custom("stopped"));
            }
            let raw: &RawValue = map.next_value()?;
            self.keys.holds(child, raw.get(), self.depth).map_err(|()| de::Error::custom("stopped"))?;
        }
        Ok(())
    }
}

/// Finds (or adds) the child a key names; its value is the child's index.
struct Key<'a> {
    keys: &'a mut Keys,
    parent: usize,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        self.keys.child(self.parent, key).map_err(|()| E::custom("stopped"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(lines: &[&str]) -> Result<Keys, InputProblem> {
        let mut k = Keys::new(100, true);
        for (i, l) in lines.iter().enumerate() {
            k.add_line(l, i as u64 + 1)?;
        }
        Ok(k)
    }

    #[test]
    fn columns_are_every_key_in_first_seen_order_nested_ones_beside_their_siblings() {
        let k = keys(&[r#"{"id": 1, "address": {"zip": "80331"}}"#, r#"{"address": {"city": "M"}, "late": null}"#])
            .unwrap();
        assert_eq!(k.columns().unwrap(), ["id", "address.zip", "address.city", "late"]);
        let names: Vec<_> = k.fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["id", "address", "late"]);
    }

    #[test]
    fn keys_are_trimmed_in_names_but_matched_as_written() {
        let k = keys(&[r#"{" name ": "x", " a ": {" b ": 1}}"#]).unwrap();
        assert_eq!(k.columns().unwrap(), ["name", "a.b"]);
        assert_eq!(k.fields()[0].name(), " name ");
        let mut untrimmed = Keys::new(10, false);
        untrimmed.add_line(r#"{" name ": "x"}"#, 1).unwrap();
        assert_eq!(untrimmed.columns().unwrap(), [" name "]);
    }

    #[test]
    fn numbers_beyond_a_float_and_escaped_keys_are_read() {
        let k = keys(&[r#"{"big": 1e400, "a\u0062": -0.0e-999}"#]).unwrap();
        assert_eq!(k.columns().unwrap(), ["big", "ab"]);
    }

    #[test]
    fn a_key_holding_an_object_and_a_value_is_refused_with_its_line() {
        let e = keys(&[r#"{"id": 1, "a": {"b": 1}}"#, r#"{"a": null}"#, r#"{"a": "x"}"#]).err();
        assert_eq!(e, Some(InputProblem::ObjectAndValue { line: 3, column: "a".into() }));
        // The reverse, under a key that looks like data: named by position.
        let e = keys(&[r#"{"id": 1, "anna@example.com": "x"}"#, r#"{"anna@example.com": {"b": 1}}"#]).err();
        assert_eq!(e, Some(InputProblem::ObjectAndValue { line: 2, column: "column 2".into() }));
    }

    #[test]
    fn a_list_anywhere_is_refused_naming_its_column() {
        let k = keys(&[r#"{"id": 1, "tags": "x"}"#, r#"{"tags": ["a"]}"#]).unwrap();
        assert_eq!(k.columns(), Err(InputProblem::Nested { column: "tags".into() }));
    }

    #[test]
    fn lines_that_are_not_one_object_are_refused() {
        for bad in ["[1]", "5", r#"{"a": 1} {"b": 2}"#, r#"{"a": }"#, r#"{"a": 1"#] {
            assert_eq!(keys(&["{}", bad]).err(), Some(InputProblem::Json { line: 2 }), "{bad}");
        }
    }

    #[test]
    fn key_paths_beyond_the_limit_are_refused() {
        let mut k = Keys::new(3, true);
        k.add_line(r#"{"a": {"b": 1}, "c": 2}"#, 1).unwrap();
        assert_eq!(k.add_line(r#"{"d": 1}"#, 2), Err(InputProblem::TooManyColumns { line: 2, limit: 3 }));
    }

    #[test]
    fn deep_nesting_is_refused_without_exhausting_the_stack() {
        let deep = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        let mut k = Keys::new(100_000, true);
        assert_eq!(k.add_line(&deep, 7), Err(InputProblem::Json { line: 7 }));
    }
}
