//! Researcher profiles: expertise, methods and tools, what the researcher
//! is looking for, interests, ORCID and career stage. Profiles are for
//! signed-in researchers only, and never carry an email address.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::vocabulary::{self, CareerStage};
use crate::{
    context::AppContext,
    entities::{profile_term, researcher_profile, user},
    error::{AppError, AppResult},
    identity::{CurrentUser, UserStatus},
    indexer::{self, Doc},
    validate,
};

pub const MAX_TERMS: usize = 20;
pub const KIND_EXPERTISE: &str = "expertise";
pub const KIND_METHOD: &str = "method";
pub const KIND_SEEKING: &str = "seeking";

/// A change to the viewer's profile; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChange {
    pub expertise: Option<Vec<String>>,
    pub methods: Option<Vec<String>>,
    pub seeking: Option<Vec<String>>,
    pub research_interests: Option<String>,
    pub looking_for: Option<String>,
    pub open_to_collaborate: Option<bool>,
    /// `Some(None)` clears.
    pub orcid: Option<Option<String>>,
    pub career_stage: Option<Option<CareerStage>>,
}

/// Checks an ORCID iD (with or without the `https://orcid.org/` prefix),
/// including its ISO 7064 11,2 check digit; returns the bare form.
pub fn validate_orcid(raw: &str) -> AppResult<String> {
    let invalid = || {
        AppError::validation(
            "orcid",
            "is not a valid ORCID iD (like 0000-0002-1825-0097)",
        )
    };
    let id = raw
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("orcid.org/");
    let digits: Vec<char> = id.chars().filter(|c| *c != '-').collect();
    let shaped = id.len() == 19
        && id.char_indices().all(|(i, c)| {
            if i % 5 == 4 {
                c == '-'
            } else {
                c.is_ascii_digit() || (i == 18 && c == 'X')
            }
        });
    if !shaped || digits.len() != 16 {
        return Err(invalid());
    }
    let mut total: u32 = 0;
    for c in &digits[..15] {
        total = (total + c.to_digit(10).ok_or_else(invalid)?) * 2;
    }
    let check = (12 - total % 11) % 11;
    let expected = if check == 10 {
        'X'
    } else {
        char::from_digit(check, 10).ok_or_else(invalid)?
    };
    if digits[15] != expected {
        return Err(invalid());
    }
    Ok(id.to_string())
}

/// Normalizes a list of terms: curated spellings become the curated term,
/// duplicates go, and each free term must be a reasonable length.
fn terms(field: &str, raw: &[String]) -> AppResult<Vec<(String, String)>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in raw {
        let item = validate::single_line(field, item, 1, 48)?;
        let Some((key, label)) = vocabulary::canonical(&item) else {
            return Err(AppError::validation(
                field,
                format!("{item:?} has no letters or digits"),
            ));
        };
        if key.chars().count() > 64 {
            return Err(AppError::validation(field, format!("{item:?} is too long")));
        }
        if seen.insert(key.clone()) {
            out.push((key, label));
        }
    }
    if out.len() > MAX_TERMS {
        return Err(AppError::validation(
            field,
            format!("list at most {MAX_TERMS}"),
        ));
    }
    Ok(out)
}

async fn replace_terms(
    conn: &impl ConnectionTrait,
    user_id: i64,
    kind: &str,
    terms: &[(String, String)],
) -> AppResult<()> {
    profile_term::Entity::delete_many()
        .filter(profile_term::Column::UserId.eq(user_id))
        .filter(profile_term::Column::Kind.eq(kind))
        .exec(conn)
        .await?;
    if !terms.is_empty() {
        profile_term::Entity::insert_many(terms.iter().map(|(key, label)| {
            profile_term::ActiveModel {
                user_id: Set(user_id),
                kind: Set(kind.to_string()),
                term_key: Set(key.clone()),
                term: Set(label.clone()),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Creates or changes the viewer's profile. The search index hears of it
/// through the jobs table in the same transaction.
pub async fn update_mine(
    ctx: &AppContext,
    viewer: &CurrentUser,
    change: ProfileChange,
) -> AppResult<researcher_profile::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let expertise = change
        .expertise
        .as_deref()
        .map(|t| terms("expertise", t))
        .transpose()?;
    let methods = change
        .methods
        .as_deref()
        .map(|t| terms("methods", t))
        .transpose()?;
    let seeking = change
        .seeking
        .as_deref()
        .map(|t| terms("seeking", t))
        .transpose()?;
    let interests = change
        .research_interests
        .as_deref()
        .map(|t| validate::text("researchInterests", t, 0, 4000))
        .transpose()?;
    let looking_for = change
        .looking_for
        .as_deref()
        .map(|t| validate::text("lookingFor", t, 0, 2000))
        .transpose()?;
    // Other researchers read profiles: the small-count guard applies.
    for (field, text) in [
        ("researchInterests", &interests),
        ("lookingFor", &looking_for),
    ] {
        if let Some(text) = text {
            crate::screening::disclosure::refuse_disclosures(&ctx.rules, field, "profile", text)?;
        }
    }
    let orcid = match change.orcid {
        Some(Some(raw)) if !raw.trim().is_empty() => Some(Some(validate_orcid(&raw)?)),
        Some(_) => Some(None),
        None => None,
    };

    let txn = ctx.write().await?;
    let existing = researcher_profile::Entity::find_by_id(viewer.id)
        .one(&txn)
        .await?;
    let is_new = existing.is_none();
    let mut active = match existing {
        Some(p) => p.into(),
        None => researcher_profile::ActiveModel {
            user_id: Set(viewer.id),
            research_interests: Set(String::new()),
            looking_for: Set(String::new()),
            open_to_collaborate: Set(false),
            orcid: Set(None),
            career_stage: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        },
    };
    if let Some(v) = interests {
        active.research_interests = Set(v);
    }
    if let Some(v) = looking_for {
        active.looking_for = Set(v);
    }
    if let Some(v) = change.open_to_collaborate {
        active.open_to_collaborate = Set(v);
    }
    if let Some(v) = orcid {
        active.orcid = Set(v);
    }
    if let Some(v) = change.career_stage {
        active.career_stage = Set(v.map(|c| c.as_str().to_string()));
    }
    active.updated_at = Set(now);
    let saved = if is_new {
        active.insert(&txn).await?
    } else {
        active.update(&txn).await?
    };
    for (kind, list) in [
        (KIND_EXPERTISE, &expertise),
        (KIND_METHOD, &methods),
        (KIND_SEEKING, &seeking),
    ] {
        if let Some(list) = list {
            replace_terms(&txn, viewer.id, kind, list).await?;
        }
    }
    indexer::enqueue(&txn, now, Doc::Profile(viewer.id)).await?;
    txn.commit().await?;
    Ok(saved)
}

/// A profile as the viewer may see it: suspended researchers' profiles are
/// hidden from everyone but themselves and admins.
pub async fn find(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    user_id: i64,
) -> AppResult<Option<researcher_profile::Model>> {
    let Some(profile) = researcher_profile::Entity::find_by_id(user_id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if user_id != viewer.id && !viewer.is_admin() {
        let active = user::Entity::find_by_id(user_id)
            .one(conn)
            .await?
            .is_some_and(|u| u.status == UserStatus::Active.as_str());
        if !active {
            return Ok(None);
        }
    }
    Ok(Some(profile))
}

/// Terms of the given users by kind: user id → kind → [(key, label)], in
/// key order.
pub type TermsByUser = BTreeMap<i64, BTreeMap<String, Vec<(String, String)>>>;

pub async fn terms_of(conn: &impl ConnectionTrait, user_ids: &[i64]) -> AppResult<TermsByUser> {
    let mut out: TermsByUser = BTreeMap::new();
    for chunk in user_ids.chunks(500) {
        let rows = profile_term::Entity::find()
            .filter(profile_term::Column::UserId.is_in(chunk.iter().copied()))
            .order_by_asc(profile_term::Column::UserId)
            .order_by_asc(profile_term::Column::Kind)
            .order_by_asc(profile_term::Column::TermKey)
            .all(conn)
            .await?;
        for row in rows {
            out.entry(row.user_id)
                .or_default()
                .entry(row.kind)
                .or_default()
                .push((row.term_key, row.term));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orcid_check_digit() {
        assert_eq!(
            validate_orcid("0000-0002-1825-0097").unwrap(),
            "0000-0002-1825-0097"
        );
        assert_eq!(
            validate_orcid("https://orcid.org/0000-0001-5109-3700").unwrap(),
            "0000-0001-5109-3700"
        );
        assert!(validate_orcid("0000-0002-1694-233X").is_ok());
        assert!(validate_orcid("0000-0002-1825-0098").is_err());
        assert!(validate_orcid("0000000218250097").is_err());
        assert!(validate_orcid("not an orcid").is_err());
    }
}
