//! The application's background work, assembled above every domain: each
//! job kind with its handler, and each scheduler the worker runs between
//! batches. Adding a kind means declaring its [`JobKind`] next to its
//! handler in the domain, and registering both here.
//!
//! [`JobKind`]: crate::jobs::JobKind

use crate::{
    config::Config,
    digest, exemptions, indexer,
    jobs::{self, Registry},
    membership, notifications, publications, visibility,
};

/// Every job kind and scheduler of the application.
pub fn registry(config: &Config) -> Registry {
    Registry::default()
        .handle(jobs::mail::KIND, |ctx, job| {
            Box::pin(jobs::mail::deliver(ctx, job))
        })
        .handle(notifications::mail::KIND, |ctx, job| {
            Box::pin(async move { visibility::mail_notification(&ctx, &job.payload).await })
        })
        .handle(digest::send::KIND, |ctx, job| {
            Box::pin(async move { digest::send::run(&ctx, &job.payload).await })
        })
        .handle_batch(indexer::INDEX, config.index_batch, indexer::run_batch)
        .handle(indexer::REINDEX, |ctx, _job| {
            Box::pin(async move {
                let stats = indexer::rebuild_all(&ctx).await?;
                tracing::info!(?stats, "search index rebuilt");
                Ok(())
            })
        })
        .handle(exemptions::reminders::KIND, |ctx, job| {
            Box::pin(async move { exemptions::reminders::send(&ctx, &job.payload).await })
        })
        .handle(membership::JOINED, |ctx, job| {
            Box::pin(async move { exemptions::unassign::member_joined(&ctx, &job.payload).await })
        })
        .schedule("rate-limit housekeeping", |ctx| {
            Box::pin(async move {
                ctx.limits.housekeeping();
                Ok(())
            })
        })
        .schedule("job retention", |ctx| {
            Box::pin(async move {
                let before = ctx.clock.now() - jobs::queue::KEEP_FINISHED;
                let txn = crate::db::begin_write(&ctx.db).await?;
                jobs::queue::prune_finished(&txn, before, 5_000).await?;
                txn.commit().await?;
                Ok(())
            })
        })
        .schedule("digests", |ctx| {
            Box::pin(async move { digest::schedule::run(&ctx).await.map(drop) })
        })
        .schedule("publication reminders", |ctx| {
            Box::pin(async move { publications::run_scheduled(&ctx).await })
        })
        .schedule("exemption reminders", |ctx| {
            Box::pin(async move { exemptions::run_scheduled(&ctx).await })
        })
}
