//! Categories (admins create and order them) and the tag set (moderators
//! manage it).

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::service;
use crate::{
    category_cache::list,
    context::AppContext,
    entities::{forum_category as category, forum_tag as tag},
    error::{AppError, AppResult},
    identity::{CurrentUser, Roles},
    validate,
};

/// `Data & Methods` → `data-methods`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(60).collect()
}

fn validate_slug(field: &str, slug: &str) -> AppResult<String> {
    let slug = slug.trim().to_ascii_lowercase();
    let ok = (2..=60).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(slug)
    } else {
        Err(AppError::validation(
            field,
            "use 2 to 60 lower-case letters, digits and single dashes",
        ))
    }
}

pub struct CategoryInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    /// Roles any of which may post; empty: everyone.
    pub required_roles: Option<Roles>,
}

/// Admins: a new category, placed last.
pub async fn create_category(
    ctx: &AppContext,
    viewer: &CurrentUser,
    input: CategoryInput,
) -> AppResult<category::Model> {
    viewer.require_admin()?;
    let name = validate::single_line("name", input.name.as_deref().unwrap_or(""), 2, 60)?;
    let slug = match input.slug.as_deref() {
        Some(s) if !s.trim().is_empty() => validate_slug("slug", s)?,
        _ => validate_slug("name", &slugify(&name))?,
    };
    let description = validate::text(
        "description",
        input.description.as_deref().unwrap_or(""),
        0,
        1000,
    )?;
    let now = service::now(ctx);
    let txn = ctx.write().await?;
    let last: Option<i32> = category::Entity::find()
        .select_only()
        .column_as(category::Column::Position.max(), "max")
        .into_tuple::<Option<i32>>()
        .one(&txn)
        .await?
        .flatten();
    let created = category::ActiveModel {
        name: Set(name),
        slug: Set(slug),
        description: Set(description),
        position: Set(last.map_or(0, |p| p + 1)),
        required_roles: Set(input.required_roles.unwrap_or_default().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    ctx.categories.forget();
    Ok(created)
}

/// Admins: changes a category's name, slug, description or posting roles.
pub async fn update_category(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    input: CategoryInput,
) -> AppResult<category::Model> {
    viewer.require_admin()?;
    let txn = ctx.write().await?;
    let found = service::find_category(&txn, id).await?;
    let mut active: category::ActiveModel = found.into();
    if let Some(name) = input.name.as_deref() {
        active.name = Set(validate::single_line("name", name, 2, 60)?);
    }
    if let Some(slug) = input.slug.as_deref() {
        active.slug = Set(validate_slug("slug", slug)?);
    }
    if let Some(description) = input.description.as_deref() {
        active.description = Set(validate::text("description", description, 0, 1000)?);
    }
    if let Some(roles) = input.required_roles {
        active.required_roles = Set(roles.to_string());
    }
    active.updated_at = Set(service::now(ctx));
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    ctx.categories.forget();
    Ok(updated)
}

/// Admins: the new order of every category, first to last.
pub async fn reorder_categories(
    ctx: &AppContext,
    viewer: &CurrentUser,
    ids: &[i64],
) -> AppResult<Vec<category::Model>> {
    viewer.require_admin()?;
    let txn = ctx.write().await?;
    let existing: HashSet<i64> = list(&txn).await?.into_iter().map(|c| c.id).collect();
    let given: HashSet<i64> = ids.iter().copied().collect();
    if given.len() != ids.len() || given != existing {
        return Err(AppError::validation(
            "ids",
            "list every category exactly once, in the new order",
        ));
    }
    let now = service::now(ctx);
    for (position, id) in ids.iter().enumerate() {
        category::Entity::update_many()
            .col_expr(category::Column::Position, Expr::value(position as i32))
            .col_expr(category::Column::UpdatedAt, Expr::value(now))
            .filter(category::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    let ordered = list(&txn).await?;
    txn.commit().await?;
    ctx.categories.forget();
    Ok(ordered)
}

/// The tag set, by name; retired tags only when asked.
pub async fn list_tags(
    conn: &impl ConnectionTrait,
    include_retired: bool,
) -> AppResult<Vec<tag::Model>> {
    let mut query = tag::Entity::find().order_by_asc(tag::Column::Name);
    if !include_retired {
        query = query.filter(tag::Column::RetiredAt.is_null());
    }
    Ok(query.all(conn).await?)
}

/// Tag names: 2 to 32 lower-case letters, digits and dashes (`hail`,
/// `cohort-builder`, `omop-sql`).
pub fn validate_tag_name(name: &str) -> AppResult<String> {
    let name = name.trim().to_ascii_lowercase();
    let ok = (2..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(name)
    } else {
        Err(AppError::validation(
            "name",
            "use 2 to 32 lower-case letters, digits and dashes",
        ))
    }
}

/// Moderators: adds a tag to the set.
pub async fn create_tag(
    ctx: &AppContext,
    viewer: &CurrentUser,
    name: &str,
    description: Option<&str>,
) -> AppResult<tag::Model> {
    viewer.require_moderator()?;
    let name = validate_tag_name(name)?;
    let description = validate::single_line("description", description.unwrap_or(""), 0, 300)?;
    let txn = ctx.write().await?;
    let created = tag::ActiveModel {
        name: Set(name),
        description: Set(description),
        retired_at: Set(None),
        created_by: Set(Some(viewer.id)),
        created_at: Set(service::now(ctx)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Moderators: retires a tag (threads keep it; nobody can add it again), or
/// brings it back.
pub async fn retire_tag(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    retired: bool,
) -> AppResult<tag::Model> {
    viewer.require_moderator()?;
    let txn = ctx.write().await?;
    let found = tag::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("tag"))?;
    if found.retired_at.is_some() == retired {
        return Ok(found);
    }
    let mut active: tag::ActiveModel = found.into();
    active.retired_at = Set(retired.then(|| service::now(ctx)));
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_tag_names() {
        assert_eq!(slugify("Data & Methods"), "data-methods");
        assert_eq!(slugify("Tools & Workbench"), "tools-workbench");
        assert_eq!(slugify("  Getting Started! "), "getting-started");
        assert!(validate_tag_name("Cohort-Builder").is_ok());
        assert!(validate_tag_name("a").is_err());
        assert!(validate_tag_name("no spaces").is_err());
        assert!(validate_tag_name("-dash").is_err());
    }
}
