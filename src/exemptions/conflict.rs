//! Who may not review a request, and why.
//!
//! A reviewer is barred from a request they made, and from a request whose
//! workspace they own or collaborate on now, or did when the request was
//! submitted or at any time since: the membership history keeps the
//! stretches of those who left or were removed, so leaving does not shed
//! the conflict. A member who left before the request was submitted had no
//! part in what reviewers are asked to decide, and is not barred.
//! An appeal goes to a reviewer who did not deny the request. The same rule
//! decides claims, assignments, decisions, whether an earlier approval
//! still counts, and the reason the queue shows.

use async_graphql::Enum;
use chrono::{DateTime, Utc};

use super::state::State;
use crate::{entities::exemption_request as request, membership::Stretch};

/// Why a reviewer may not review a request.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "ExemptionConflictReason")]
pub enum ConflictReason {
    /// They made the request.
    OwnRequest,
    /// They own the request's workspace.
    OwnsWorkspace,
    /// They collaborate on the request's workspace.
    CollaboratesOnWorkspace,
    /// They collaborated on the request's workspace while the request
    /// existed, and have since left or been removed.
    CollaboratedOnWorkspace,
    /// They denied the request, which is now on appeal.
    DeniedRequest,
}

impl ConflictReason {
    /// A conflict of interest, as opposed to a bar on deciding an appeal
    /// twice. Reviewers with a conflict of interest do not read internal
    /// comments or steer the review.
    pub fn is_of_interest(self) -> bool {
        self != ConflictReason::DeniedRequest
    }

    /// The reason in words, with `who` as the subject ("you", "@kim").
    pub fn message(self, who: &str) -> String {
        let (subject, possessive, verb) = if who == "you" {
            ("you", "your", "own or collaborate")
        } else {
            (who, "their", "owns or collaborates")
        };
        match self {
            ConflictReason::OwnRequest => {
                format!("{subject} cannot review {possessive} own request")
            }
            ConflictReason::OwnsWorkspace | ConflictReason::CollaboratesOnWorkspace => {
                format!("conflict of interest: {subject} {verb} on the request's workspace")
            }
            ConflictReason::CollaboratedOnWorkspace => format!(
                "conflict of interest: {subject} collaborated on the request's workspace while the request was open; leaving does not end the conflict"
            ),
            ConflictReason::DeniedRequest => {
                format!("{subject} denied this request; its appeal goes to a different reviewer")
            }
        }
    }
}

/// What the rule needs to know about a request's workspace and history.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub owner_id: Option<i64>,
    /// The workspace's current collaborators.
    pub collaborators: &'a [i64],
    /// The workspace's membership history (any users).
    pub history: &'a [Stretch],
    /// The reviewers who denied the request.
    pub deniers: &'a [i64],
}

/// The moment conflicts are judged from: the request's first submission,
/// which a resubmission or an appeal does not move. A draft has not been
/// submitted; it is judged from its creation, the stricter reading.
pub fn judged_from(req: &request::Model) -> DateTime<Utc> {
    req.submitted_at.unwrap_or(req.created_at)
}

/// Why `reviewer_id` may not review `req`, or `None` when they may.
pub fn conflict(
    req: &request::Model,
    reviewer_id: i64,
    facts: Facts<'_>,
) -> Option<ConflictReason> {
    if req.requester_id == reviewer_id {
        return Some(ConflictReason::OwnRequest);
    }
    let since = judged_from(req);
    let theirs: Vec<&Stretch> = facts
        .history
        .iter()
        .filter(|s| s.workspace_id == req.workspace_id && s.user_id == reviewer_id)
        .collect();
    if facts.owner_id == Some(reviewer_id)
        || theirs
            .iter()
            .any(|s| s.role == crate::membership::MembershipRole::Owner && s.reaches(since))
    {
        return Some(ConflictReason::OwnsWorkspace);
    }
    if facts.collaborators.contains(&reviewer_id) {
        return Some(ConflictReason::CollaboratesOnWorkspace);
    }
    if theirs.iter().any(|s| s.reaches(since)) {
        return Some(ConflictReason::CollaboratedOnWorkspace);
    }
    if req.appealed_at.is_some() && facts.deniers.contains(&reviewer_id) {
        return Some(ConflictReason::DeniedRequest);
    }
    None
}

/// Whether an approval by `reviewer_id` no longer counts: its reviewer was
/// conflicted at some time between the request's submission and its
/// decision (until now, while it is open). A membership that began after
/// the decision leaves the approval standing.
pub fn approval_void(req: &request::Model, reviewer_id: i64, facts: Facts<'_>) -> bool {
    let open = State::parse(&req.state).is_none_or(|s| s.is_open());
    match req.decided_at.filter(|_| !open) {
        None => conflict(req, reviewer_id, facts).is_some_and(ConflictReason::is_of_interest),
        Some(decided) => {
            req.requester_id == reviewer_id
                || facts.history.iter().any(|s| {
                    s.workspace_id == req.workspace_id
                        && s.user_id == reviewer_id
                        && s.started_at <= decided
                        && s.reaches(judged_from(req))
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, NaiveDate, Utc};

    use super::*;
    use crate::membership::MembershipRole;

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
            + Duration::days(day)
    }

    fn req() -> request::Model {
        request::Model {
            id: 1,
            requester_id: 10,
            workspace_id: 5,
            title: "Counts".into(),
            dissemination: String::new(),
            dissemination_html: String::new(),
            cells: "[]".into(),
            justification: String::new(),
            justification_html: String::new(),
            venue: String::new(),
            publication_report_id: None,
            needed_by: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
            state: "submitted".into(),
            version: 1,
            round: 1,
            approvals_required: 2,
            assignee_id: None,
            queued_at: at(10),
            submitted_at: Some(at(10)),
            clock_started_at: Some(at(10)),
            due_at: None,
            reminded_due_at: None,
            decided_at: None,
            decided_version: None,
            decision_note: String::new(),
            decision_note_html: String::new(),
            appealed_at: None,
            appeal_reason: String::new(),
            created_at: at(10),
            updated_at: at(10),
        }
    }

    fn stretch(user_id: i64, from: i64, to: Option<i64>) -> Stretch {
        Stretch {
            workspace_id: 5,
            user_id,
            role: MembershipRole::Collaborator,
            started_at: at(from),
            ended_at: to.map(at),
        }
    }

    fn facts<'a>(
        history: &'a [Stretch],
        collaborators: &'a [i64],
        deniers: &'a [i64],
    ) -> Facts<'a> {
        Facts {
            owner_id: Some(11),
            collaborators,
            history,
            deniers,
        }
    }

    #[test]
    fn leaving_after_the_request_was_made_does_not_end_the_conflict() {
        let history = [
            stretch(20, 1, Some(12)),
            stretch(21, 1, Some(9)),
            stretch(22, 15, Some(16)),
        ];
        let r = req();
        assert_eq!(
            conflict(&r, 20, facts(&history, &[], &[])),
            Some(ConflictReason::CollaboratedOnWorkspace)
        );
        // Left before the request existed: no conflict.
        assert_eq!(conflict(&r, 21, facts(&history, &[], &[])), None);
        // Joined and left since: still a conflict.
        assert_eq!(
            conflict(&r, 22, facts(&history, &[], &[])),
            Some(ConflictReason::CollaboratedOnWorkspace)
        );
        // A stretch of another workspace does not count.
        let elsewhere = [Stretch {
            workspace_id: 6,
            ..stretch(23, 1, None)
        }];
        assert_eq!(conflict(&r, 23, facts(&elsewhere, &[], &[])), None);
    }

    #[test]
    fn conflicts_are_judged_from_the_first_submission() {
        // Drafted on day 5, submitted on day 10.
        let mut r = req();
        r.created_at = at(5);
        let history = [stretch(24, 1, Some(8)), stretch(25, 1, Some(11))];
        // Left while the request was a draft: no part in what was submitted.
        assert_eq!(conflict(&r, 24, facts(&history, &[], &[])), None);
        assert!(!approval_void(&r, 24, facts(&history, &[], &[])));
        // Left after the submission: still conflicted.
        assert_eq!(
            conflict(&r, 25, facts(&history, &[], &[])),
            Some(ConflictReason::CollaboratedOnWorkspace)
        );
        // A resubmission or an appeal does not move the moment.
        r.appealed_at = Some(at(20));
        assert_eq!(
            conflict(&r, 25, facts(&history, &[], &[])),
            Some(ConflictReason::CollaboratedOnWorkspace)
        );
        // An unsubmitted draft is judged from its creation.
        r.submitted_at = None;
        assert_eq!(
            conflict(&r, 24, facts(&history, &[], &[])),
            Some(ConflictReason::CollaboratedOnWorkspace)
        );
    }

    #[test]
    fn requester_owner_collaborator_and_denier_in_that_order() {
        let mut r = req();
        assert_eq!(
            conflict(&r, 10, facts(&[], &[], &[])),
            Some(ConflictReason::OwnRequest)
        );
        assert_eq!(
            conflict(&r, 11, facts(&[], &[], &[])),
            Some(ConflictReason::OwnsWorkspace)
        );
        assert_eq!(
            conflict(&r, 30, facts(&[], &[30], &[])),
            Some(ConflictReason::CollaboratesOnWorkspace)
        );
        // A denier is barred only once the request is on appeal.
        assert_eq!(conflict(&r, 31, facts(&[], &[], &[31])), None);
        r.appealed_at = Some(at(20));
        assert_eq!(
            conflict(&r, 31, facts(&[], &[], &[31])),
            Some(ConflictReason::DeniedRequest)
        );
        assert!(!ConflictReason::DeniedRequest.is_of_interest());
        assert!(ConflictReason::CollaboratedOnWorkspace.is_of_interest());
    }

    #[test]
    fn an_approval_is_void_if_its_reviewer_joined_before_the_decision() {
        let mut r = req();
        let history = [stretch(40, 12, Some(13)), stretch(41, 30, None)];
        // Open: any conflict since the request was made voids it.
        assert!(approval_void(&r, 40, facts(&history, &[], &[])));
        assert!(approval_void(&r, 41, facts(&history, &[41], &[])));
        assert!(!approval_void(&r, 42, facts(&history, &[], &[])));
        // Decided on day 20: joining on day 30 leaves the approval standing.
        r.state = "approved".into();
        r.decided_at = Some(at(20));
        assert!(approval_void(&r, 40, facts(&history, &[], &[])));
        assert!(!approval_void(&r, 41, facts(&history, &[41], &[])));
    }
}
