//! Collaboration requests between researchers, and the message thread an
//! accepted request opens between the two.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    context::AppContext,
    entities::{collaboration_message, collaboration_request, researcher_profile, user},
    error::{AppError, AppResult},
    identity::{CurrentUser, UserStatus},
    markdown,
    notifications::service::{NewNotification, notify},
    validate,
};

pub const PENDING: &str = "pending";
pub const ACCEPTED: &str = "accepted";
pub const DECLINED: &str = "declined";
pub const WITHDRAWN: &str = "withdrawn";
/// After a decline, the sender waits this long before asking the same
/// person again.
pub const DECLINE_COOLDOWN_DAYS: i64 = 30;

fn pending_key(a: i64, b: i64) -> String {
    format!("{}:{}", a.min(b), a.max(b))
}

fn between(a: i64, b: i64) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(collaboration_request::Column::SenderId.eq(a))
                .add(collaboration_request::Column::RecipientId.eq(b)),
        )
        .add(
            Condition::all()
                .add(collaboration_request::Column::SenderId.eq(b))
                .add(collaboration_request::Column::RecipientId.eq(a)),
        )
}

/// Sends a request to a researcher whose profile is open to collaborate.
pub async fn send(
    ctx: &AppContext,
    viewer: &CurrentUser,
    recipient_id: i64,
    message: &str,
    share_email: bool,
) -> AppResult<collaboration_request::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    // Every attempt counts, so probing who is open costs quota too.
    ctx.limits
        .check("collaboration_request", &viewer.id.to_string())
        .await?;
    if recipient_id == viewer.id {
        return Err(AppError::validation(
            "recipientId",
            "you cannot send a collaboration request to yourself",
        ));
    }
    let message = validate::text("message", message, 1, 2000)?;
    crate::screening::disclosure::refuse_disclosures(&ctx.rules, "message", "message", &message)?;

    let txn = ctx.write().await?;
    let closed = || AppError::validation("recipientId", "is not open to collaboration requests");
    let recipient = user::Entity::find_by_id(recipient_id)
        .one(&txn)
        .await?
        .filter(|u| u.status == UserStatus::Active.as_str())
        .ok_or_else(closed)?;
    let open = researcher_profile::Entity::find_by_id(recipient_id)
        .one(&txn)
        .await?
        .is_some_and(|p| p.open_to_collaborate);
    if !open {
        return Err(closed());
    }
    let earlier = collaboration_request::Entity::find()
        .filter(between(viewer.id, recipient_id))
        .order_by_desc(collaboration_request::Column::Id)
        .all(&txn)
        .await?;
    for r in &earlier {
        match r.status.as_str() {
            PENDING if r.sender_id == viewer.id => {
                return Err(AppError::conflict_on(
                    "recipientId",
                    format!(
                        "you already have a pending request to {}",
                        recipient.display_name
                    ),
                ));
            }
            PENDING => {
                return Err(AppError::conflict_on(
                    "recipientId",
                    format!(
                        "{} already sent you a request; accept or decline it",
                        recipient.display_name
                    ),
                ));
            }
            ACCEPTED => {
                return Err(AppError::conflict_on(
                    "recipientId",
                    format!("you are already connected with {}", recipient.display_name),
                ));
            }
            DECLINED if r.sender_id == viewer.id => {
                let until =
                    r.responded_at.unwrap_or(r.updated_at) + Duration::days(DECLINE_COOLDOWN_DAYS);
                if until > now {
                    return Err(AppError::conflict_on(
                        "recipientId",
                        format!(
                            "{} declined your last request; you can ask again after {}",
                            recipient.display_name,
                            until.format("%Y-%m-%d")
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    let created = collaboration_request::ActiveModel {
        sender_id: Set(viewer.id),
        recipient_id: Set(recipient_id),
        message: Set(message.clone()),
        status: Set(PENDING.into()),
        sender_shares_email: Set(share_email),
        recipient_shares_email: Set(false),
        pending_key: Set(Some(pending_key(viewer.id, recipient_id))),
        created_at: Set(now),
        responded_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match AppError::from(e) {
        // A concurrent request between the same two people won the race.
        AppError::Conflict { .. } => {
            AppError::conflict_on("recipientId", "a request between you is already pending")
        }
        other => other,
    })?;
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id: recipient_id,
            kind: "collaboration_request",
            actor_id: Some(viewer.id),
            title: format!("{} would like to collaborate with you", viewer.display_name),
            excerpt: markdown::excerpt(&message, 300),
            link: format!("/collaborations/{}", created.id),
            subject: Some(("collaboration_request", created.id)),
            email: true,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The request if the viewer is one of its two parties.
pub async fn find_for_party(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<collaboration_request::Model> {
    collaboration_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|r| r.sender_id == viewer.id || r.recipient_id == viewer.id)
        .ok_or(AppError::NotFound("collaboration request"))
}

fn not_pending(r: &collaboration_request::Model) -> AppError {
    AppError::InvalidState {
        state: r.status.clone(),
        message: format!("this request is already {}", r.status),
    }
}

/// The recipient accepts or declines. Accepting opens the message thread
/// and, if the recipient chooses, shares their email address with the
/// sender.
pub async fn respond(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    accept: bool,
    share_email: bool,
) -> AppResult<collaboration_request::Model> {
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let request = find_for_party(&txn, viewer, id).await?;
    if request.recipient_id != viewer.id {
        return Err(AppError::forbidden(
            "only the recipient can answer this request",
        ));
    }
    if request.status != PENDING {
        return Err(not_pending(&request));
    }
    let mut active: collaboration_request::ActiveModel = request.clone().into();
    active.status = Set(if accept { ACCEPTED } else { DECLINED }.into());
    active.pending_key = Set(None);
    active.responded_at = Set(Some(now));
    active.updated_at = Set(now);
    active.recipient_shares_email = Set(accept && share_email);
    let saved = active.update(&txn).await?;
    let (title, email) = if accept {
        (
            format!(
                "{} accepted your collaboration request",
                viewer.display_name
            ),
            true,
        )
    } else {
        (
            format!(
                "{} declined your collaboration request",
                viewer.display_name
            ),
            false,
        )
    };
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id: request.sender_id,
            kind: if accept {
                "collaboration_accepted"
            } else {
                "collaboration_declined"
            },
            actor_id: Some(viewer.id),
            title,
            excerpt: String::new(),
            link: format!("/collaborations/{id}"),
            subject: Some(("collaboration_request", id)),
            email,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The sender takes back a pending request.
pub async fn withdraw(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<collaboration_request::Model> {
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let request = find_for_party(&txn, viewer, id).await?;
    if request.sender_id != viewer.id {
        return Err(AppError::forbidden(
            "only the sender can withdraw this request",
        ));
    }
    if request.status != PENDING {
        return Err(not_pending(&request));
    }
    let mut active: collaboration_request::ActiveModel = request.into();
    active.status = Set(WITHDRAWN.into());
    active.pending_key = Set(None);
    active.updated_at = Set(now);
    let saved = active.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Incoming,
    Outgoing,
}

/// The viewer's requests in one direction, newest first, before `before_id`.
pub async fn list(
    ctx: &AppContext,
    viewer: &CurrentUser,
    direction: Direction,
    status: Option<&str>,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<collaboration_request::Model>> {
    let mut query = collaboration_request::Entity::find()
        .filter(match direction {
            Direction::Incoming => collaboration_request::Column::RecipientId.eq(viewer.id),
            Direction::Outgoing => collaboration_request::Column::SenderId.eq(viewer.id),
        })
        .order_by_desc(collaboration_request::Column::Id)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(collaboration_request::Column::Status.eq(status));
    }
    if let Some(before) = before_id {
        query = query.filter(collaboration_request::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

/// The people the user is connected with through accepted requests.
pub async fn connections(conn: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64, i64)> = collaboration_request::Entity::find()
        .select_only()
        .column(collaboration_request::Column::SenderId)
        .column(collaboration_request::Column::RecipientId)
        .filter(collaboration_request::Column::Status.eq(ACCEPTED))
        .filter(
            Condition::any()
                .add(collaboration_request::Column::SenderId.eq(user_id))
                .add(collaboration_request::Column::RecipientId.eq(user_id)),
        )
        .into_tuple()
        .all(conn)
        .await?;
    let mut people: Vec<i64> = rows
        .into_iter()
        .map(|(s, r)| if s == user_id { r } else { s })
        .collect();
    people.sort_unstable();
    people.dedup();
    Ok(people)
}

async fn open_thread(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    request_id: i64,
) -> AppResult<collaboration_request::Model> {
    let request = find_for_party(conn, viewer, request_id).await?;
    if request.status != ACCEPTED {
        return Err(AppError::InvalidState {
            state: request.status.clone(),
            message: "the message thread opens when the request is accepted".into(),
        });
    }
    Ok(request)
}

/// Messages of an accepted request's thread, newest first.
pub async fn messages(
    ctx: &AppContext,
    viewer: &CurrentUser,
    request_id: i64,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<collaboration_message::Model>> {
    open_thread(&ctx.db, viewer, request_id).await?;
    let mut query = collaboration_message::Entity::find()
        .filter(collaboration_message::Column::RequestId.eq(request_id))
        .order_by_desc(collaboration_message::Column::Id)
        .limit(limit);
    if let Some(before) = before_id {
        query = query.filter(collaboration_message::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

/// Sends a message in an accepted request's thread; the other side is
/// notified in the app.
pub async fn send_message(
    ctx: &AppContext,
    viewer: &CurrentUser,
    request_id: i64,
    body: &str,
) -> AppResult<collaboration_message::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    ctx.limits
        .check("collaboration_message", &viewer.id.to_string())
        .await?;
    let body = validate::text("body", body, 1, 4000)?;
    crate::screening::disclosure::refuse_disclosures(&ctx.rules, "body", "message", &body)?;
    let txn = ctx.write().await?;
    let request = open_thread(&txn, viewer, request_id).await?;
    let other = if request.sender_id == viewer.id {
        request.recipient_id
    } else {
        request.sender_id
    };
    let reachable = user::Entity::find_by_id(other)
        .one(&txn)
        .await?
        .is_some_and(|u| u.status == UserStatus::Active.as_str());
    if !reachable {
        return Err(AppError::InvalidState {
            state: "unavailable".into(),
            message: "this researcher's account is not active".into(),
        });
    }
    let message = collaboration_message::ActiveModel {
        request_id: Set(request_id),
        sender_id: Set(viewer.id),
        body: Set(body.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id: other,
            kind: "collaboration_message",
            actor_id: Some(viewer.id),
            title: format!("New message from {}", viewer.display_name),
            excerpt: markdown::excerpt(&body, 200),
            link: format!("/collaborations/{request_id}"),
            subject: Some(("collaboration_request", request_id)),
            email: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(message)
}
