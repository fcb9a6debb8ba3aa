//! The history of workspace membership: who owned or collaborated on which
//! workspace, and from when to when. Workspaces write it as members come and
//! go; the exemption review reads it, so a conflict of interest outlives the
//! membership that caused it. Below both domains: it knows only its table,
//! and announces a member joining an existing workspace as a job
//! ([`JOINED`]) that the application hands to the review.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use crate::{
    db::WriteTxn,
    entities::workspace_membership as stretch,
    error::AppResult,
    jobs::{self, JobKind, NewJob},
};

/// A member joined a workspace that may already have exemption requests:
/// a reviewer assigned to one of them has just become conflicted. The kind
/// is declared here, where the job is enqueued, because the domains that
/// act on it sit above this module; `background` registers their handler.
/// It changes nothing the forum shows.
pub const JOINED: JobKind = JobKind::new("membership.joined").leaves_reads();

/// The payload of a [`JOINED`] job.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Joined {
    pub workspace_id: i64,
    pub user_id: i64,
}

/// How a user belonged to a workspace.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MembershipRole {
    Owner,
    Collaborator,
}

impl MembershipRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipRole::Owner => "owner",
            MembershipRole::Collaborator => "collaborator",
        }
    }

    pub fn parse(s: &str) -> Option<MembershipRole> {
        match s {
            "owner" => Some(MembershipRole::Owner),
            "collaborator" => Some(MembershipRole::Collaborator),
            _ => None,
        }
    }
}

/// One stretch of membership, as the rules read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: MembershipRole,
    pub started_at: DateTime<Utc>,
    /// `None` while the user is still a member.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Stretch {
    fn of(row: stretch::Model) -> Self {
        Self {
            workspace_id: row.workspace_id,
            user_id: row.user_id,
            // An unknown role is read as the stronger tie.
            role: MembershipRole::parse(&row.role).unwrap_or(MembershipRole::Owner),
            started_at: row.started_at,
            ended_at: row.ended_at,
        }
    }

    /// Whether the user was a member at `at` or at any time since.
    pub fn reaches(&self, at: DateTime<Utc>) -> bool {
        self.ended_at.is_none_or(|ended| ended >= at)
    }
}

/// Records that `user_id` became a member of the workspace at `now`.
pub async fn began(
    conn: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
    role: MembershipRole,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let open = Stretch {
        workspace_id,
        user_id,
        role,
        started_at: now,
        ended_at: None,
    };
    insert(conn, &open).await
}

/// Records that `user_id` joined an existing workspace at `now`, and
/// announces it ([`JOINED`]) in the same write.
pub async fn joined(
    txn: &WriteTxn,
    workspace_id: i64,
    user_id: i64,
    role: MembershipRole,
    now: DateTime<Utc>,
) -> AppResult<()> {
    began(txn, workspace_id, user_id, role, now).await?;
    jobs::enqueue(
        txn,
        now,
        NewJob::new(
            JOINED,
            Joined {
                workspace_id,
                user_id,
            },
        )?,
    )
    .await?;
    Ok(())
}

async fn insert(conn: &impl ConnectionTrait, s: &Stretch) -> AppResult<()> {
    stretch::ActiveModel {
        workspace_id: Set(s.workspace_id),
        user_id: Set(s.user_id),
        role: Set(s.role.as_str().into()),
        started_at: Set(s.started_at),
        ended_at: Set(s.ended_at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Records that `user_id` stopped being a member at `now`. A membership the
/// history never saw begin (one made before the history was kept, or
/// written straight to the membership table) is recorded as running from
/// `since`, so its end is never lost.
pub async fn ended(
    conn: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
    role: MembershipRole,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let closed = stretch::Entity::update_many()
        .col_expr(stretch::Column::EndedAt, Expr::value(now))
        .filter(stretch::Column::WorkspaceId.eq(workspace_id))
        .filter(stretch::Column::UserId.eq(user_id))
        .filter(stretch::Column::Role.eq(role.as_str()))
        .filter(stretch::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    if closed.rows_affected == 0 {
        let whole = Stretch {
            workspace_id,
            user_id,
            role,
            started_at: since.min(now),
            ended_at: Some(now),
        };
        insert(conn, &whole).await?;
    }
    Ok(())
}

/// `user_id`'s stretches of membership of one workspace, oldest first.
pub async fn of_member(
    conn: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
) -> AppResult<Vec<Stretch>> {
    Ok(stretch::Entity::find()
        .filter(stretch::Column::WorkspaceId.eq(workspace_id))
        .filter(stretch::Column::UserId.eq(user_id))
        .order_by_asc(stretch::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Stretch::of)
        .collect())
}
