//! Collaborator suggestions: ranks the researchers open to collaborate for
//! one viewer, with the reasons for each.
//!
//! Three signals, each in [0, 1]:
//! - complementarity (weight 0.5): for each term the viewer is looking for,
//!   does the candidate list it (1) or only a closely related skill (½)?
//!   Averaged over what the viewer looks for.
//! - shared interests (weight 0.3): TF-IDF cosine between the two people's
//!   texts (research interests, the purposes of their published workspaces
//!   the viewer may see, and their forum posts), IDF taken over the viewer
//!   and all candidates.
//! - shared research areas (weight 0.2): Jaccard overlap of expertise areas
//!   and the diseases of their workspaces.
//!
//! People the viewer already works with (a shared workspace or an accepted
//! request) keep their place in the list at half the score. The viewer,
//! closed profiles and suspended or unverified accounts are never
//! suggested. The order is fully determined by the data: scores are rounded
//! before comparing and ties go to the lower user id.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::{
    profiles::{self, KIND_EXPERTISE, KIND_METHOD, KIND_SEEKING},
    requests,
    tfidf::Corpus,
    vocabulary,
};
use crate::{
    context::AppContext,
    entities::{researcher_profile, user},
    error::AppResult,
    identity::{CurrentUser, UserStatus},
    markdown,
    workspaces::service as workspaces,
};

pub const W_COMPLEMENTARITY: f64 = 0.5;
pub const W_INTERESTS: f64 = 0.3;
pub const W_AREAS: f64 = 0.2;
/// The factor for people the viewer already works with.
pub const COWORKER_FACTOR: f64 = 0.5;
/// Below this cosine, shared words are noise, not a shared interest.
pub const MIN_INTEREST: f64 = 0.05;
/// Candidates considered per request, most recently updated profiles first.
pub const MAX_CANDIDATES: u64 = 2000;
pub const MAX_SUGGESTIONS: usize = 50;

#[derive(Clone, Debug)]
pub struct Suggestion {
    pub profile: researcher_profile::Model,
    pub score: f64,
    pub complementarity: f64,
    pub shared_interests: f64,
    pub shared_areas: f64,
    pub already_working_together: bool,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Suggestions {
    pub items: Vec<Suggestion>,
    /// How many open profiles were weighed.
    pub considered: usize,
    /// Why the list is empty, when it is.
    pub explanation: Option<String>,
}

/// Forum text per user, for the shared-interests signal.
///
/// Each user's most recent visible forum posts (plain text, bounded so a
/// prolific poster does not drown out their profile), in one query.
pub async fn forum_text_for_users(
    conn: &impl ConnectionTrait,
    user_ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    use crate::entities::forum_post;
    /// Posts per person that count, newest first.
    const POSTS_PER_USER: usize = 20;
    const CHARS_PER_USER: usize = 8_000;
    let rows: Vec<(i64, String)> = forum_post::Entity::find()
        .select_only()
        .column(forum_post::Column::AuthorId)
        .column(forum_post::Column::Body)
        .filter(forum_post::Column::AuthorId.is_in(user_ids.iter().copied()))
        .filter(forum_post::Column::ModerationState.eq("visible"))
        .filter(forum_post::Column::DeletedAt.is_null())
        .order_by_desc(forum_post::Column::Id)
        .limit((user_ids.len() * POSTS_PER_USER) as u64)
        .into_tuple()
        .all(conn)
        .await?;
    let mut out: HashMap<i64, String> = HashMap::new();
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for (author, body) in rows {
        let n = counts.entry(author).or_default();
        if *n >= POSTS_PER_USER {
            continue;
        }
        *n += 1;
        let text = out.entry(author).or_default();
        if text.len() < CHARS_PER_USER {
            text.push(' ');
            text.push_str(&crate::markdown::plain_text(&body));
        }
    }
    Ok(out)
}

/// One person's side of the comparison.
#[derive(Default)]
struct Side {
    seeking: Vec<(String, String)>,
    /// Methods and expertise areas: what they bring.
    skills: Vec<(String, String)>,
    /// Expertise areas and workspace diseases: key → label.
    areas: BTreeMap<String, String>,
}

fn side_of(
    terms: Option<&BTreeMap<String, Vec<(String, String)>>>,
    listings: Option<&Vec<crate::entities::workspace::Model>>,
) -> Side {
    let get = |kind: &str| terms.and_then(|t| t.get(kind)).cloned().unwrap_or_default();
    let expertise = get(KIND_EXPERTISE);
    let mut skills = get(KIND_METHOD);
    skills.extend(expertise.iter().cloned());
    let mut areas: BTreeMap<String, String> = expertise.into_iter().collect();
    for w in listings.into_iter().flatten() {
        if w.disease_focused
            && let Some((key, label)) = vocabulary::canonical(&w.disease)
        {
            areas.entry(key).or_insert(label);
        }
    }
    Side {
        seeking: get(KIND_SEEKING),
        skills,
        areas,
    }
}

fn document(
    profile: Option<&researcher_profile::Model>,
    listings: Option<&Vec<crate::entities::workspace::Model>>,
    forum: Option<&String>,
) -> String {
    let mut doc = String::new();
    if let Some(p) = profile {
        doc.push_str(&p.research_interests);
        doc.push('\n');
    }
    for w in listings.into_iter().flatten() {
        for part in [
            &w.name,
            &w.intended_study,
            &w.scientific_approach,
            &w.anticipated_findings,
        ] {
            doc.push_str(&markdown::plain_text(part));
            doc.push('\n');
        }
        if w.disease_focused {
            doc.push_str(&w.disease);
            doc.push('\n');
        }
    }
    if let Some(text) = forum {
        doc.push_str(text);
    }
    doc
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Complementarity and its reasons.
fn complementarity(viewer: &Side, candidate: &Side) -> (f64, Vec<String>) {
    if viewer.seeking.is_empty() {
        return (0.0, vec![]);
    }
    let mut total = 0.0;
    let mut reasons = Vec::new();
    for (want_key, want_label) in &viewer.seeking {
        let exact: Vec<&String> = candidate
            .skills
            .iter()
            .filter(|(k, _)| k == want_key)
            .map(|(_, l)| l)
            .collect();
        let mut near: Vec<&String> = candidate
            .skills
            .iter()
            .filter(|(k, _)| vocabulary::related(want_key, k))
            .map(|(_, l)| l)
            .collect();
        if exact.is_empty() && near.is_empty() {
            continue;
        }
        total += if exact.is_empty() { 0.5 } else { 1.0 };
        near.sort_by_key(|l| l.to_lowercase());
        let has: Vec<String> = exact
            .into_iter()
            .take(1)
            .chain(near)
            .cloned()
            .collect::<Vec<_>>();
        let mut seen = BTreeSet::new();
        let has: Vec<String> = has.into_iter().filter(|l| seen.insert(l.clone())).collect();
        reasons.push(format!(
            "looking for: {want_label} — has {}",
            has.join(", ")
        ));
    }
    (total / viewer.seeking.len() as f64, reasons)
}

fn shared_areas(viewer: &Side, candidate: &Side) -> (f64, Vec<String>) {
    let shared: Vec<String> = viewer
        .areas
        .iter()
        .filter(|(k, _)| candidate.areas.contains_key(*k))
        .map(|(_, label)| label.clone())
        .collect();
    if shared.is_empty() {
        return (0.0, vec![]);
    }
    let union = viewer
        .areas
        .keys()
        .chain(candidate.areas.keys())
        .collect::<BTreeSet<_>>()
        .len();
    let mut labels = shared.clone();
    labels.sort_by_key(|l| l.to_lowercase());
    (
        shared.len() as f64 / union as f64,
        vec![format!("both work on {}", join_and(&labels))],
    )
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Ranks open-to-collaborate researchers for `viewer`.
pub async fn suggest(
    ctx: &AppContext,
    viewer: &CurrentUser,
    first: usize,
) -> AppResult<Suggestions> {
    let first = first.clamp(1, MAX_SUGGESTIONS);
    let db = &ctx.db;
    let viewer_profile = researcher_profile::Entity::find_by_id(viewer.id)
        .one(db)
        .await?;

    // Open profiles of active, verified accounts other than the viewer.
    let eligible_users = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Status.eq(UserStatus::Active.as_str()))
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .filter(user::Column::Id.ne(viewer.id));
    let candidates: Vec<researcher_profile::Model> = researcher_profile::Entity::find()
        .filter(researcher_profile::Column::OpenToCollaborate.eq(true))
        .filter(researcher_profile::Column::UserId.in_subquery(eligible_users.into_query()))
        .order_by_desc(researcher_profile::Column::UpdatedAt)
        .order_by_asc(researcher_profile::Column::UserId)
        .limit(MAX_CANDIDATES)
        .all(db)
        .await?;
    if candidates.is_empty() {
        return Ok(Suggestions {
            items: vec![],
            considered: 0,
            explanation: Some(
                "No other researcher is open to collaboration yet. Check back later.".into(),
            ),
        });
    }

    let mut ids: Vec<i64> = candidates.iter().map(|p| p.user_id).collect();
    ids.push(viewer.id);
    let terms = profiles::terms_of(db, &ids).await?;
    let listings = workspaces::published_for_users(db, viewer.tier, &ids).await?;
    let forum = forum_text_for_users(db, &ids).await?;

    let me = side_of(terms.get(&viewer.id), listings.get(&viewer.id));
    let mut docs: BTreeMap<i64, String> = BTreeMap::new();
    docs.insert(
        viewer.id,
        document(
            viewer_profile.as_ref(),
            listings.get(&viewer.id),
            forum.get(&viewer.id),
        ),
    );
    for c in &candidates {
        docs.insert(
            c.user_id,
            document(Some(c), listings.get(&c.user_id), forum.get(&c.user_id)),
        );
    }
    let viewer_has_text = !super::tfidf::tokens(&docs[&viewer.id]).is_empty();
    if me.seeking.is_empty() && me.areas.is_empty() && !viewer_has_text {
        return Ok(Suggestions {
            items: vec![],
            considered: candidates.len(),
            explanation: Some(format!(
                "{} researcher{} open to collaboration, but there is nothing to match them \
                 against yet: add what you are looking for, your research areas or your \
                 research interests to your profile, or publish a workspace.",
                candidates.len(),
                if candidates.len() == 1 {
                    " is"
                } else {
                    "s are"
                }
            )),
        });
    }
    let corpus = Corpus::build(&docs);

    let mut coworkers = workspaces::coworkers(db, viewer.id).await?;
    let connected = requests::connections(db, viewer.id).await?;

    let mut items = Vec::new();
    for candidate in &candidates {
        let them = side_of(
            terms.get(&candidate.user_id),
            listings.get(&candidate.user_id),
        );
        let (comp, mut reasons) = complementarity(&me, &them);
        let (areas, area_reasons) = shared_areas(&me, &them);
        let (mut interests, shared_terms) = corpus.similarity(viewer.id, candidate.user_id, 3);
        if interests < MIN_INTEREST {
            interests = 0.0;
        }
        reasons.extend(area_reasons);
        if interests > 0.0 && !shared_terms.is_empty() {
            reasons.push(format!("shared interests: {}", shared_terms.join(", ")));
        }
        let mut score = W_COMPLEMENTARITY * comp + W_INTERESTS * interests + W_AREAS * areas;
        if score <= 0.0 {
            continue;
        }
        let shared_workspace = coworkers.remove(&candidate.user_id);
        let together = shared_workspace.is_some() || connected.contains(&candidate.user_id);
        if together {
            score *= COWORKER_FACTOR;
            reasons.push(match shared_workspace {
                Some(name) => format!("you already work together on {name}"),
                None => "you are already connected".to_string(),
            });
        }
        items.push(Suggestion {
            profile: candidate.clone(),
            score: round(score),
            complementarity: round(comp),
            shared_interests: round(interests),
            shared_areas: round(areas),
            already_working_together: together,
            reasons,
        });
    }
    items.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.profile.user_id.cmp(&b.profile.user_id))
    });
    let considered = candidates.len();
    let explanation = items.is_empty().then(|| {
        format!(
            "{considered} researcher{} open to collaboration, but none lists what you are \
             looking for, shares your research areas or has interests like yours. Try \
             broadening what you are looking for or adding research areas.",
            if considered == 1 { " is" } else { "s are" }
        )
    });
    items.truncate(first);
    Ok(Suggestions {
        items,
        considered,
        explanation,
    })
}
