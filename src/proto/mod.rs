//! Rust types generated from `proto/tweetguide/v1/tweetguide.proto`.

/// The `tweetguide.v1` package: messages, enums, clients and servers.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("tweetguide.v1");
}

/// The encoded descriptor set of every file in `proto/`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tweetguide_descriptor.bin"));

use crate::Label;

impl From<Label> for v1::Category {
    fn from(label: Label) -> Self {
        match label {
            Label::SelfPromotion => v1::Category::SelfPromotion,
            Label::Sharing => v1::Category::Sharing,
            Label::Political => v1::Category::Political,
        }
    }
}

impl Label {
    /// The label of a `Category` as sent on the wire (`None` for unspecified
    /// or unknown values).
    pub fn from_wire(category: i32) -> Option<Label> {
        v1::Category::try_from(category).ok().and_then(|c| Label::try_from(c).ok())
    }
}

impl TryFrom<v1::Category> for Label {
    type Error = ();

    fn try_from(category: v1::Category) -> Result<Self, ()> {
        match category {
            v1::Category::SelfPromotion => Ok(Label::SelfPromotion),
            v1::Category::Sharing => Ok(Label::Sharing),
            v1::Category::Political => Ok(Label::Political),
            v1::Category::Unspecified => Err(()),
        }
    }
}

pub(crate) mod audit;

pub use audit::{check_timeline, report_from_proto, report_to_proto, timeline_request};
