//! Kinds known by name in scenario files: one list per kind, from which
//! the enum, its list of every kind and its names are all derived, so that
//! a name is spelled once. Declared first in `lib.rs`, so that every
//! module (server kinds in `model`, schedules and guards in `policy`) can
//! use it.

/// Declares a fieldless enum whose variants each have a scenario-file
/// name, with `ALL` (every kind, in list order), `NAMES` (their names, in
/// the same order), `name()` and `from_name()`.
macro_rules! named_kinds {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Kind:ident {
            $( $(#[$vmeta:meta])* $Variant:ident = $name:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $Kind {
            $( $(#[$vmeta])* $Variant, )+
        }

        impl $Kind {
            /// Every kind, in the order lists and messages show them.
            pub const ALL: [$Kind; [$($name),+].len()] = [$($Kind::$Variant),+];

            /// The names of [`Self::ALL`], in the same order.
            pub const NAMES: [&'static str; [$($name),+].len()] = [$($name),+];

            /// The name as written in scenario files.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $Kind::$Variant => $name, )+
                }
            }

            /// The kind named `name`, if there is one.
            pub fn from_name(name: &str) -> Option<$Kind> {
                match name {
                    $( $name => Some($Kind::$Variant), )+
                    _ => None,
                }
            }
        }
    };
}
