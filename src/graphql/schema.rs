//! The schema: each domain contributes a query and a mutation object.

use std::time::Duration;

use async_graphql::{EmptySubscription, MergedObject, Schema, dataloader::DataLoader};

use super::{
    notifications::{NotificationMutation, NotificationQuery},
    preview::PreviewQuery,
    search::SearchQueryRoot,
};
use crate::{
    auth::{
        graphql::{AuthMutation, AuthQuery},
        loaders::UserLoader,
    },
    context::AppContext,
    digest::graphql::{DigestMutation, DigestQuery},
    exemptions::graphql::{ExemptionMutation, ExemptionQuery},
    forum::graphql::{ForumMutation, ForumQuery},
    matching::graphql::{MatchingMutation, MatchingQuery},
    moderation::graphql::{ModerationMutation, ModerationQuery},
    publications::graphql::{PublicationMutation, PublicationQuery},
    workspaces::graphql::{WorkspaceMutation, WorkspaceQuery},
};

#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    NotificationQuery,
    DigestQuery,
    PublicationQuery,
    ExemptionQuery,
    ForumQuery,
    WorkspaceQuery,
    MatchingQuery,
    SearchQueryRoot,
    ModerationQuery,
    PreviewQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    NotificationMutation,
    DigestMutation,
    PublicationMutation,
    ExemptionMutation,
    ForumMutation,
    WorkspaceMutation,
    MatchingMutation,
    ModerationMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with its limits. `ctx` is `None` when only the SDL is
/// needed (`export-schema`).
pub fn build_schema(ctx: Option<AppContext>) -> AppSchema {
    build_schema_with(ctx, crate::forum::loaders::LOADER_DELAY)
}

/// Like [`build_schema`] with a chosen delay for the forum's DataLoaders
/// (benchmarks).
pub fn build_schema_with(ctx: Option<AppContext>, loader_delay: Duration) -> AppSchema {
    let limits = ctx
        .as_ref()
        .map(|c| c.config.limits)
        .unwrap_or(crate::config::GraphqlLimits {
            max_depth: 12,
            max_complexity: 50_000,
            max_recursive_depth: 32,
            max_aliases: 30,
            max_batch: 10,
        });
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_recursive_depth)
        .limit_directives(8)
        .data(super::policy::CostMeter::new(limits));
    if let Some(ctx) = ctx {
        if !ctx.config.introspection {
            builder = builder.disable_introspection().disable_suggestions();
        }
        builder = builder.data(DataLoader::new(
            UserLoader::new(ctx.db.clone()),
            tokio::spawn,
        ));
        builder = crate::forum::loaders::register(builder, &ctx.db, loader_delay);
        builder = builder.data(crate::publications::loaders::PublicationLoaders::new(&ctx));
        builder = crate::exemptions::loaders::register(builder, &ctx);
        builder = crate::workspaces::loaders::register(builder, &ctx);
        builder = crate::matching::loaders::register(builder, &ctx);
        builder = crate::moderation::loaders::register(builder, &ctx.db, loader_delay);
        builder = builder.data(ctx);
    }
    builder.finish()
}
