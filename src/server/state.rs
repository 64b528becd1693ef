//! The active model, shared by every request and swappable without locks.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::model::Model;

/// Holds the model that answers requests. A request takes one snapshot and
/// scores everything with it, so a swap never mixes two models in one answer.
#[derive(Debug)]
pub struct ActiveModel(ArcSwap<Model>);

impl ActiveModel {
    /// Starts with `model` active.
    pub fn new(model: Model) -> Self {
        ActiveModel(ArcSwap::from_pointee(model))
    }

    /// The model active now; cheap, lock-free.
    pub fn snapshot(&self) -> Arc<Model> {
        self.0.load_full()
    }

    /// Makes `model` active for every request that starts from now on.
    pub fn replace(&self, model: Arc<Model>) {
        self.0.store(model);
    }
}
