//! The three categories a tweet can fall into, as defined in `training-data/LABELING.md`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a tweet does for (or against) a business account.
///
/// The discriminants are the class indices used by the model, so the order is
/// part of the model file format: do not reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Talks up the author, their company, products, offers or results.
    SelfPromotion = 0,
    /// Relays or engages with other people's content or the community.
    Sharing = 1,
    /// Takes a side in politics or a divisive public controversy.
    Political = 2,
}

impl Label {
    /// Every label, in class-index order.
    pub const ALL: [Label; 3] = [Label::SelfPromotion, Label::Sharing, Label::Political];

    /// Number of classes the model distinguishes.
    pub const COUNT: usize = 3;

    /// Labels from the strongest claim to the weakest. `training-data/LABELING.md` uses this
    /// order when a tweet fits two labels; the scorer uses it to break exact ties
    /// so that a prediction never depends on iteration order.
    pub const PRECEDENCE: [Label; 3] = [Label::Political, Label::SelfPromotion, Label::Sharing];

    /// The class index used in model matrices.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label at a class index, if the index is in range.
    pub fn from_index(index: usize) -> Option<Label> {
        Label::ALL.get(index).copied()
    }

    /// The snake_case name used in JSON files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::SelfPromotion => "self_promotion",
            Label::Sharing => "sharing",
            Label::Political => "political",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a label name that is not one of the three categories.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label {0:?}: expected self_promotion, sharing or political")]
pub struct UnknownLabel(pub String);

impl FromStr for Label {
    type Err = UnknownLabel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::ALL.into_iter().find(|label| label.as_str() == s).ok_or_else(|| UnknownLabel(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_indices_are_stable() {
        for (i, label) in Label::ALL.into_iter().enumerate() {
            assert_eq!(label.index(), i);
            assert_eq!(Label::from_index(i), Some(label));
            assert_eq!(label.as_str().parse::<Label>(), Ok(label));
        }
        assert_eq!(Label::from_index(3), None);
        assert!("politics".parse::<Label>().is_err());
    }
}
