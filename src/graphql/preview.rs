//! `previewMarkdown`: how a markdown text will look once saved. Composers show
//! the server's sanitized rendering, never one made in the browser, so the
//! preview and the stored post always agree.

use std::collections::HashSet;

use async_graphql::{Context, Object};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    context::AppContext,
    entities::user,
    error::AppResult,
    markdown,
    request::{GqlResult, app, require_user},
    validate,
};

/// The longest text a composer sends (the forum's post limit).
pub const MAX_SOURCE: usize = 32_000;

/// Renders `source` as stored content is rendered and served: @mentions of
/// existing members become links, ammonia sanitizes the result, and images
/// off the allow-list become links.
pub async fn preview(ctx: &AppContext, source: &str) -> AppResult<String> {
    let source = validate::text("source", source, 0, MAX_SOURCE)?;
    let handles = markdown::extract_mentions(&source);
    let known: HashSet<String> = if handles.is_empty() {
        HashSet::new()
    } else {
        user::Entity::find()
            .select_only()
            .column(user::Column::Handle)
            .filter(user::Column::Handle.is_in(handles.into_iter().take(200)))
            .into_tuple::<String>()
            .all(&ctx.db)
            .await?
            .into_iter()
            .collect()
    };
    let html = markdown::render(&source, &|h| known.contains(h)).html;
    Ok(crate::images::for_readers(&html, &ctx.config).into_owned())
}

#[derive(Default)]
pub struct PreviewQuery;

#[Object]
impl PreviewQuery {
    /// Sanitized HTML of a markdown text, exactly as it would be stored.
    /// For composers' previews; signed-in users only.
    async fn preview_markdown(&self, ctx: &Context<'_>, source: String) -> GqlResult<String> {
        require_user(ctx)?;
        Ok(preview(app(ctx), &source).await?)
    }
}
