//! Test helpers for the names of enums that are a public interface (JSON values, CSV
//! cells, flags): each variant pinned to its literal, so that renaming a variant cannot
//! change a name unnoticed.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use strum::VariantArray;

/// `table` names every variant of `T` once, and `name` gives each its literal.
pub(crate) fn assert_named<T>(table: &[(T, &str)], name: impl Fn(T) -> &'static str)
where
    T: VariantArray + Copy + Debug,
{
    assert_eq!(table.len(), T::VARIANTS.len(), "each variant once");
    for &(value, literal) in table {
        assert_eq!(name(value), literal, "{value:?}");
    }
}

/// [`assert_named`], and serde writes and reads each variant as the same literal.
pub(crate) fn assert_serde_named<T>(table: &[(T, &str)], name: impl Fn(T) -> &'static str)
where
    T: VariantArray + Copy + Debug + PartialEq + Serialize + DeserializeOwned,
{
    assert_named(table, name);
    for &(value, literal) in table {
        assert_eq!(serde_json::to_value(value).unwrap(), literal, "{value:?}");
        assert_eq!(serde_json::from_value::<T>(literal.into()).unwrap(), value);
    }
}
