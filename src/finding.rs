//! An error or warning of a part of the record: a kind the part defines and the detail
//! in words, `{kind, detail}` in JSON.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding<K> {
    pub kind: K,
    pub detail: String,
}

impl<K> Finding<K> {
    pub(crate) fn new(kind: K, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}
