//! tweetguide: tells a business whether its Twitter/X account follows five
//! guidelines, with a bilingual (French/English) naive-Bayes tweet classifier.

pub mod audit;
pub mod client;
pub mod corpus;
#[doc(hidden)]
pub mod fuzzing;
pub mod label;
pub mod model;
pub mod proto;
pub mod server;
pub mod store;
pub mod text;

pub use label::Label;
