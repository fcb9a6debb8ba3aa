//! GraphQL for the viewer's notifications.

use async_graphql::{
    Context, ID, Object,
    connection::{Connection, Edge, EmptyFields, query},
};
use chrono::{DateTime, Utc};

use crate::{
    auth::{graphql::User, loaders::UserLoader},
    entities::notification,
    error::AppError,
    notifications::service,
    request::{GqlResult, app, page, require_user},
    validate, visibility,
};

pub const MAX_PAGE: usize = 50;

pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Plain text; clients must escape it.
    async fn excerpt(&self) -> &str {
        &self.0.excerpt
    }
    /// Frontend path to open.
    async fn link(&self) -> &str {
        &self.0.link
    }
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        let Some(actor_id) = self.0.actor_id else {
            return Ok(None);
        };
        let loader = ctx.data_unchecked::<async_graphql::dataloader::DataLoader<UserLoader>>();
        Ok(loader
            .load_one(actor_id)
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))?
            .map(User))
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The viewer's notifications, newest first.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unread_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, Notification, EmptyFields, EmptyFields>> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows =
                    service::list(app, viewer, unread_only, before_id, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let rows = visibility::for_reader(app, viewer, rows).await?;
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|n| Edge::new(n.id.to_string(), Notification(n))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    async fn unread_notification_count(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        let viewer = require_user(ctx)?;
        Ok(service::unread_count(app(ctx), viewer).await? as i64)
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    async fn mark_notification_read(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Notification> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let row = service::mark_read(app(ctx), viewer, id).await?;
        let mut shown = visibility::for_reader(app(ctx), viewer, vec![row]).await?;
        Ok(Notification(
            shown.pop().ok_or(AppError::NotFound("notification"))?,
        ))
    }

    /// Returns how many notifications changed.
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        let viewer = require_user(ctx)?;
        Ok(service::mark_all_read(app(ctx), viewer).await? as i64)
    }
}
