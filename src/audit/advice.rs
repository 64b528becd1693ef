//! The words of the report, in French and English.

use super::report::{GuidelineId, Interval, Status};
use crate::corpus::Lang;

/// The short title of a guideline.
pub(crate) fn title(id: GuidelineId, lang: Lang) -> &'static str {
    match (id, lang) {
        (GuidelineId::G1, Lang::En) => "A real avatar",
        (GuidelineId::G1, Lang::Fr) => "Un vrai avatar",
        (GuidelineId::G2, Lang::En) => "An open account",
        (GuidelineId::G2, Lang::Fr) => "Un compte ouvert",
        (GuidelineId::G3, Lang::En) => "An active account",
        (GuidelineId::G3, Lang::Fr) => "Un compte actif",
        (GuidelineId::G4, Lang::En) => "Not egocentric",
        (GuidelineId::G4, Lang::Fr) => "Pas égocentrique",
        (GuidelineId::G5, Lang::En) => "Convictions vs business",
        (GuidelineId::G5, Lang::Fr) => "Convictions et business",
    }
}

/// A percentage for prose: "42%" in English, "42 %" in French.
fn percent(share: f64, lang: Lang) -> String {
    let value = (share * 100.0).round();
    match lang {
        Lang::En => format!("{value}%"),
        Lang::Fr => format!("{value} %"),
    }
}

fn decimal(value: f64, lang: Lang) -> String {
    let text = format!("{value:.1}");
    match lang {
        Lang::En => text,
        Lang::Fr => text.replace('.', ","),
    }
}

pub(crate) fn avatar(status: Status, lang: Lang) -> String {
    match (status, lang) {
        (Status::Pass, Lang::En) => "Your profile picture is your own: keep a logo or a face people recognise.",
        (Status::Pass, Lang::Fr) => "Votre photo de profil est personnalisée : gardez un logo ou un visage facile à reconnaître.",
        (Status::InsufficientData, Lang::En) => {
            "The data given does not show the profile picture: check that the account shows a logo or a photo, not the default egg."
        }
        (Status::InsufficientData, Lang::Fr) => {
            "Les données fournies ne montrent pas la photo de profil : vérifiez que le compte affiche un logo ou une photo, pas l'œuf par défaut."
        }
        (_, Lang::En) => {
            "Replace the default avatar with a logo or a photo: an egg looks like an abandoned or fake account, and few people follow one."
        }
        (_, Lang::Fr) => {
            "Remplacez l'avatar par défaut par un logo ou une photo : un œuf évoque un compte abandonné ou factice, que peu de gens suivent."
        }
    }
    .to_owned()
}

pub(crate) fn open_account(status: Status, lang: Lang) -> String {
    match (status, lang) {
        (Status::Pass, Lang::En) => "Your tweets are public, so anyone who finds them can follow you and share them.",
        (Status::Pass, Lang::Fr) => "Vos tweets sont publics : qui les découvre peut s'abonner et les partager.",
        (_, Lang::En) => {
            "Stop protecting the account: protected tweets cannot be retweeted or found by new people, so the audience cannot grow."
        }
        (_, Lang::Fr) => {
            "Ne protégez plus le compte : des tweets protégés ne peuvent être ni retweetés ni découverts, l'audience ne peut donc pas grandir."
        }
    }
    .to_owned()
}

/// Why guideline 3 reached its verdict.
pub(crate) enum Activity {
    /// No dated tweet before the evaluation time.
    NoTweets,
    /// The newest tweet is this many days old.
    Silent { days: f64 },
    /// This many tweets a week over the window.
    Rhythm { per_week: f64, minimum: f64 },
}

pub(crate) fn activity(status: Status, why: &Activity, lang: Lang) -> String {
    match (why, lang) {
        (Activity::NoTweets, Lang::En) => {
            "There is no tweet to read: an account with nothing to show gives nobody a reason to follow it, so start posting."
                .to_owned()
        }
        (Activity::NoTweets, Lang::Fr) => {
            "Aucun tweet à lire : un compte vide ne donne à personne une raison de s'abonner, commencez à publier.".to_owned()
        }
        (Activity::Silent { days }, Lang::En) => format!(
            "Your last tweet is {} days old: a silent account looks closed, so post again and keep a regular rhythm.",
            days.floor()
        ),
        (Activity::Silent { days }, Lang::Fr) => format!(
            "Votre dernier tweet date de {} jours : un compte muet paraît fermé, publiez à nouveau et tenez un rythme régulier.",
            days.floor()
        ),
        (Activity::Rhythm { per_week, minimum }, lang) => {
            let (rate, min) = (decimal(*per_week, lang), decimal(*minimum, lang));
            match (status, lang) {
                (Status::Pass, Lang::En) => format!("You post {rate} tweets a week on average: keep that rhythm."),
                (Status::Pass, Lang::Fr) => format!("Vous publiez {rate} tweets par semaine en moyenne : gardez ce rythme."),
                (_, Lang::En) => format!(
                    "You post {rate} tweets a week on average: aim for at least {min} so that followers keep seeing you in their feed."
                ),
                (_, Lang::Fr) => format!(
                    "Vous publiez {rate} tweets par semaine en moyenne : visez au moins {min} pour rester visible dans le fil de vos abonnés."
                ),
            }
        }
    }
}

pub(crate) fn insufficient(minimum: u32, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Fewer than {minimum} tweets: too few to judge what the account talks about."),
        Lang::Fr => format!("Moins de {minimum} tweets : trop peu pour juger de quoi parle le compte."),
    }
}

/// A share as the advice states it.
pub(crate) struct Share {
    /// The point estimate.
    pub(crate) share: f64,
    /// Its 90% interval, when there is one.
    pub(crate) interval: Option<Interval>,
    /// The threshold the interval straddles (the one nearest the estimate),
    /// when the verdict is borderline.
    pub(crate) near: Option<f64>,
}

impl Share {
    /// "34% (27–41%)", or "34%" without an interval.
    fn words(&self, lang: Lang) -> String {
        let p = percent(self.share, lang);
        match self.interval {
            Some(i) => format!("{p} ({}–{})", percent_bare(i.low), percent(i.high, lang)),
            None => p,
        }
    }
}

/// A percentage without its sign, for the start of a range.
fn percent_bare(share: f64) -> String {
    format!("{}", (share * 100.0).round())
}

pub(crate) fn egocentric(status: Status, share: &Share, lang: Lang) -> String {
    let p = share.words(lang);
    if let Some(limit) = share.near {
        let limit = percent(limit, lang);
        return match (status, lang) {
            (Status::Pass, Lang::En) => format!(
                "About {p} of your tweets promote your own business; the interval reaches the {limit} mark, so keep an eye on the balance with what you share from others."
            ),
            (Status::Pass, Lang::Fr) => format!(
                "Environ {p} de vos tweets font votre promotion ; l'intervalle atteint le seuil de {limit} : surveillez l'équilibre avec ce que vous partagez des autres."
            ),
            (_, Lang::En) => format!(
                "About {p} of your tweets promote your own business, around the {limit} mark, so the verdict is uncertain: relaying more articles, tips and news from others would settle it."
            ),
            (_, Lang::Fr) => format!(
                "Environ {p} de vos tweets font votre promotion, autour du seuil de {limit} : le verdict est incertain ; relayer davantage d'articles, d'astuces et d'actualités des autres le tranchera."
            ),
        };
    }
    match (status, lang) {
        (Status::Pass, Lang::En) => {
            format!("{p} of your tweets promote your own business: a healthy balance with what you share from others.")
        }
        (Status::Pass, Lang::Fr) => {
            format!("{p} de vos tweets font votre promotion : un bon équilibre avec ce que vous partagez des autres.")
        }
        (Status::Warn, Lang::En) => format!(
            "{p} of your tweets promote your own business: relay more articles, tips and news from others to be worth following."
        ),
        (Status::Warn, Lang::Fr) => format!(
            "{p} de vos tweets font votre promotion : relayez davantage d'articles, d'astuces et d'actualités des autres pour donner envie de vous suivre."
        ),
        (_, Lang::En) => format!(
            "{p} of your tweets are self-promotion: an account that only talks about itself reads like an advert, so share others' content and join conversations."
        ),
        (_, Lang::Fr) => format!(
            "{p} de vos tweets sont de l'autopromotion : un compte qui ne parle que de lui ressemble à une publicité, partagez le contenu des autres et prenez part aux échanges."
        ),
    }
}

pub(crate) fn convictions(status: Status, share: &Share, intended: bool, lang: Lang) -> String {
    let p = share.words(lang);
    if intended {
        return match lang {
            Lang::En => format!(
                "{p} of your tweets take political sides, which you say is deliberate: keep in mind that each one may put off part of your customers."
            ),
            Lang::Fr => format!(
                "{p} de vos tweets prennent parti, ce que vous dites assumer : gardez en tête que chacun peut éloigner une partie de vos clients."
            ),
        };
    }
    if let Some(limit) = share.near {
        let limit = percent(limit, lang);
        return match (status, lang) {
            (Status::Pass, Lang::En) => format!(
                "About {p} of your tweets take political sides; the interval reaches the {limit} mark, and each one may put off part of your customers."
            ),
            (Status::Pass, Lang::Fr) => format!(
                "Environ {p} de vos tweets prennent parti ; l'intervalle atteint le seuil de {limit}, et chacun peut éloigner une partie de vos clients."
            ),
            (_, Lang::En) => format!(
                "About {p} of your tweets take political sides, around the {limit} mark, so the verdict is uncertain: fewer divisive posts would settle it."
            ),
            (_, Lang::Fr) => format!(
                "Environ {p} de vos tweets prennent parti, autour du seuil de {limit} : le verdict est incertain ; moins de messages clivants le trancheraient."
            ),
        };
    }
    match (status, lang) {
        (Status::Pass, Lang::En) => {
            format!("{p} of your tweets take political sides: your business account stays out of divisive debates.")
        }
        (Status::Pass, Lang::Fr) => {
            format!(
                "{p} de vos tweets prennent parti : votre compte professionnel reste à l'écart des débats qui divisent."
            )
        }
        (Status::Warn, Lang::En) => {
            format!("{p} of your tweets take political sides: each one may put off part of your customers.")
        }
        (Status::Warn, Lang::Fr) => {
            format!("{p} de vos tweets prennent parti : chacun peut éloigner une partie de vos clients.")
        }
        (_, Lang::En) => format!(
            "{p} of your tweets take political sides: that is likely to drive part of your business audience away; keep convictions for a personal account."
        ),
        (_, Lang::Fr) => format!(
            "{p} de vos tweets prennent parti : cela risque d'éloigner une partie de votre clientèle ; gardez vos convictions pour un compte personnel."
        ),
    }
}

pub(crate) fn intended_note(lang: Lang) -> String {
    match lang {
        Lang::En => "Political content was declared intended: the share is reported but not held against the account.",
        Lang::Fr => {
            "Le contenu politique est déclaré assumé : sa part est indiquée mais n'est pas retenue contre le compte."
        }
    }
    .to_owned()
}

pub(crate) fn borderline_note(lang: Lang) -> String {
    match lang {
        Lang::En => "Borderline: the 90% interval of the share crosses a threshold; the status follows the estimate.",
        Lang::Fr => "Verdict limite : l'intervalle à 90 % de la part franchit un seuil ; le statut suit l'estimation.",
    }
    .to_owned()
}

pub(crate) fn future_tweets_note(count: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{count} tweets dated after the evaluation time were left out of the activity figures."),
        Lang::Fr => format!("{count} tweets datés après la date d'évaluation n'ont pas été comptés dans l'activité."),
    }
}

pub(crate) fn follower_ceiling(followers: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{followers} followers: the account is under the article's 20-follower ceiling; the five guidelines are what gets an account past it."
        ),
        Lang::Fr => format!(
            "{followers} abonnés : le compte est sous le « plafond des 20 abonnés » de l'article ; les cinq règles sont ce qui permet de le dépasser."
        ),
    }
}
