//! Reading the key paths of a scenario file off its raw types
//! ([`crate::scenario::raw`]): a serde deserializer that hands each
//! struct every one of its own fields, one sample element of each array
//! and a sample value of each leaf, and notes the path of everything it
//! is asked for. What it notes is exactly what `deny_unknown_fields`
//! accepts, so the schema table cannot drift from the resolver.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;

/// What the value at a key path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A table (`[workload]`, `backoff = { … }`).
    Table,
    /// An array of tables (`[[strategy]]`).
    Tables,
    /// A duration string (`"250ms"`).
    Duration,
    /// Any other value: a number, a string, a boolean, a list of values,
    /// or a value the validator reads itself (a distribution, `[sweep]`).
    Value,
    /// A table that holds the same keys as the table at another path
    /// (`strategy.layers`, whose elements are strategy tables).
    SameAs(String),
}

/// One key path and its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Dotted path from the top, array indices left out
    /// (`strategy.backoff.base`).
    pub path: String,
    pub shape: Shape,
}

/// The entries of the type `T`, in its fields' order, each path once.
pub fn entries<'de, T: de::Deserialize<'de>>() -> Result<Vec<Entry>, String> {
    let found = RefCell::new(Found::default());
    T::deserialize(Probe {
        path: "",
        found: &found,
        silent: false,
    })
    .map_err(|e| e.0)?;
    Ok(found.into_inner().entries)
}

#[derive(Default)]
struct Found {
    entries: Vec<Entry>,
    /// The structs being read, innermost last, with their paths: a struct
    /// met again inside itself is recursive.
    open: Vec<(&'static str, String)>,
}

impl Found {
    fn note(&mut self, path: &str, shape: Shape) {
        if path.is_empty() {
            return;
        }
        match self.entries.iter_mut().find(|e| e.path == path) {
            // An array of tables is met first as an array, then as a
            // table; an array of values, as an array, then as a value.
            Some(e) if e.shape == Shape::Tables && shape == Shape::Table => {}
            Some(e) => e.shape = shape,
            None => self.entries.push(Entry {
                path: path.to_string(),
                shape,
            }),
        }
    }
}

/// Why the probe could not read a type (a shape it does not know).
#[derive(Debug)]
pub struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

impl de::Error for Failed {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Failed(msg.to_string())
    }
}

/// serde_spanned's private names: a `Spanned<T>` is read as a struct of a
/// start, an end and the value, which is at the same path.
const SPANNED: &str = "$__serde_spanned_private_Spanned";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";

#[derive(Clone, Copy)]
struct Probe<'f> {
    path: &'f str,
    found: &'f RefCell<Found>,
    /// A span's start or end: not a key of the file.
    silent: bool,
}

impl<'f> Probe<'f> {
    fn leaf(&self, shape: Shape) {
        if !self.silent {
            self.found.borrow_mut().note(self.path, shape);
        }
    }
}

/// What a visitor expects, as its message says it.
struct Expecting<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

macro_rules! sample {
    ($($method:ident => $visit:ident($value:expr)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
            self.leaf(Shape::Value);
            visitor.$visit($value)
        })*
    };
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Failed;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
        // A duration is read as any value and refused unless a string:
        // its visitor says it expects a duration string.
        let expects = Expecting(&visitor).to_string();
        let shape = if expects == crate::time::DURATION_HELP {
            Shape::Duration
        } else {
            Shape::Value
        };
        self.leaf(shape);
        visitor.visit_str("")
    }

    sample! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0),
        deserialize_i16 => visit_i64(0),
        deserialize_i32 => visit_i64(0),
        deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u64(0),
        deserialize_u16 => visit_u64(0),
        deserialize_u32 => visit_u64(0),
        deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0),
        deserialize_f64 => visit_f64(0.0),
        deserialize_char => visit_char('a'),
        deserialize_str => visit_str(""),
        deserialize_string => visit_str(""),
        deserialize_identifier => visit_str(""),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
        visitor.visit_seq(One(Some(self)))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failed> {
        if name == SPANNED {
            return visitor.visit_map(Fields {
                probe: self,
                fields,
                next: 0,
                spanned: true,
            });
        }
        let again = {
            let found = self.found.borrow();
            found
                .open
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| p.clone())
        };
        if let Some(first) = again {
            // A table of the same keys as one it is in: noted once, as
            // such, and read as empty (its keys must all be optional).
            self.found
                .borrow_mut()
                .note(self.path, Shape::SameAs(first));
            return visitor.visit_map(Fields {
                probe: self,
                fields: &[],
                next: 0,
                spanned: false,
            });
        }
        self.found.borrow_mut().note(self.path, Shape::Table);
        self.found
            .borrow_mut()
            .open
            .push((name, self.path.to_string()));
        let read = visitor.visit_map(Fields {
            probe: self,
            fields,
            next: 0,
            spanned: false,
        });
        self.found.borrow_mut().open.pop();
        read
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Failed> {
        Err(Failed(format!("{}: a map of any keys", self.path)))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Failed> {
        Err(Failed(format!("{}: an enum", self.path)))
    }

    serde::forward_to_deserialize_any! {
        i128 u128 bytes byte_buf unit unit_struct newtype_struct tuple tuple_struct ignored_any
    }
}

/// An array of one sample element.
struct One<'f>(Option<Probe<'f>>);

impl<'de> SeqAccess<'de> for One<'_> {
    type Error = Failed;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Failed> {
        match self.0.take() {
            Some(probe) => {
                // Noted as an array of tables; an element that is a value
                // makes it an array of values.
                probe.found.borrow_mut().note(probe.path, Shape::Tables);
                seed.deserialize(probe).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// A struct's fields as the keys of a map, each value probed at its path.
struct Fields<'f> {
    probe: Probe<'f>,
    fields: &'static [&'static str],
    next: usize,
    spanned: bool,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Failed;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Failed> {
        let Some(field) = self.fields.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(field))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Failed> {
        let field = self.fields[self.next];
        self.next += 1;
        if self.spanned {
            let silent = field != SPANNED_VALUE;
            return seed.deserialize(Probe {
                silent: silent || self.probe.silent,
                ..self.probe
            });
        }
        let path = if self.probe.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.probe.path)
        };
        seed.deserialize(Probe {
            path: &path,
            found: self.probe.found,
            silent: false,
        })
    }
}
