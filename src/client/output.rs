//! The JSON line written for each prediction, by the offline and the remote
//! `classify` alike, so that downstream tools see one format.

use serde::Serialize;

use crate::Label;
use crate::model::Prediction;
use crate::proto::v1;

/// One prediction as a JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionRecord {
    /// The input's id, when the input had ids (files do; bare texts do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The predicted label.
    pub label: Label,
    /// Probability of each label.
    pub probabilities: Probabilities,
    /// Strongest features behind the label.
    pub top_features: Vec<FeatureRecord>,
    /// Id of the model that made the prediction.
    pub model_version: String,
}

/// Probability of each label, as named JSON fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probabilities {
    pub self_promotion: f64,
    pub sharing: f64,
    pub political: f64,
}

/// A feature and its weight towards the predicted label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureRecord {
    pub feature: String,
    pub weight: f64,
}

impl PredictionRecord {
    /// From an in-process prediction.
    pub fn from_local(id: Option<String>, p: &Prediction, model_version: &str) -> Self {
        PredictionRecord {
            id,
            label: p.label,
            probabilities: Probabilities {
                self_promotion: p.probability(Label::SelfPromotion),
                sharing: p.probability(Label::Sharing),
                political: p.probability(Label::Political),
            },
            top_features: p
                .top_features
                .iter()
                .map(|f| FeatureRecord { feature: f.feature.clone(), weight: f.weight })
                .collect(),
            model_version: model_version.to_owned(),
        }
    }

    /// From a server's answer; `None` if the server sent no usable label.
    pub fn from_remote(p: v1::Prediction, model_version: &str, with_id: bool) -> Option<Self> {
        let label = Label::from_wire(p.label)?;
        let probabilities = p.probabilities.unwrap_or_default();
        Some(PredictionRecord {
            id: with_id.then_some(p.id),
            label,
            probabilities: Probabilities {
                self_promotion: probabilities.self_promotion,
                sharing: probabilities.sharing,
                political: probabilities.political,
            },
            top_features: p
                .top_features
                .into_iter()
                .map(|f| FeatureRecord { feature: f.feature, weight: f.weight })
                .collect(),
            model_version: model_version.to_owned(),
        })
    }

    /// One readable line: label, the three probabilities, the top features.
    pub fn to_human_line(&self) -> String {
        let features: Vec<&str> = self.top_features.iter().map(|f| f.feature.as_str()).collect();
        let id = self.id.as_ref().map(|id| format!("{id}\t")).unwrap_or_default();
        format!(
            "{id}{:<15} self_promotion {:.3}  sharing {:.3}  political {:.3}  [{}]",
            self.label.as_str(),
            self.probabilities.self_promotion,
            self.probabilities.sharing,
            self.probabilities.political,
            features.join(", ")
        )
    }
}
