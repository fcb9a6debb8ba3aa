//! The life of an exemption request, as one state machine.
//!
//! ```text
//! draft → submitted → in_review → (changes_requested → resubmitted → in_review)* → approved | denied
//!                                                           denied → appealed → in_review (once)
//! withdrawn from any open state
//! ```
//!
//! [`transition`] is the whole table of allowed moves; the service asks it
//! before every change of state, and every other move is refused with
//! [`refusal`], which names the current state. Rules that depend on more than
//! the state (who may act, how many approvals are needed, one appeal only)
//! live in the service, on top of this table.

use async_graphql::Enum;

use crate::error::AppError;

/// Where a request is. Stored in `exemption_requests.state` as the snake_case
/// name (`as_str`), which other domains may query (`state = 'approved'`).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "ExemptionState")]
pub enum State {
    /// Being written by the requester; visible to no reviewer queue.
    Draft,
    /// Waiting for a reviewer to claim it.
    Submitted,
    /// With a reviewer.
    InReview,
    /// Sent back to the requester with comments.
    ChangesRequested,
    /// Revised by the requester, waiting for a reviewer to pick it up again.
    Resubmitted,
    /// A denied request the requester appealed, waiting for a different reviewer.
    Appealed,
    Approved,
    Denied,
    Withdrawn,
}

/// What someone does to a request. `StartReview` is a reviewer claiming the
/// request (or being assigned it) when it waits in the queue.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "ExemptionAction")]
pub enum Action {
    Submit,
    StartReview,
    RequestChanges,
    Resubmit,
    Approve,
    Deny,
    Withdraw,
    Appeal,
}

impl State {
    /// Every state, in order, so the tests can enumerate them without a
    /// derive. A new variant must be given a place in [`State::position`]
    /// (an exhaustive match, so the compiler asks), and the tests check that
    /// every place is filled here.
    pub const ALL: [State; 9] = [
        State::Draft,
        State::Submitted,
        State::InReview,
        State::ChangesRequested,
        State::Resubmitted,
        State::Appealed,
        State::Approved,
        State::Denied,
        State::Withdrawn,
    ];

    /// The state's place in [`State::ALL`].
    pub const fn position(self) -> usize {
        match self {
            State::Draft => 0,
            State::Submitted => 1,
            State::InReview => 2,
            State::ChangesRequested => 3,
            State::Resubmitted => 4,
            State::Appealed => 5,
            State::Approved => 6,
            State::Denied => 7,
            State::Withdrawn => 8,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::InReview => "in_review",
            State::ChangesRequested => "changes_requested",
            State::Resubmitted => "resubmitted",
            State::Appealed => "appealed",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Open states: not yet decided or withdrawn.
    pub fn is_open(self) -> bool {
        !matches!(self, State::Approved | State::Denied | State::Withdrawn)
    }

    /// States in which the request is in reviewers' hands, so the SLA clock
    /// runs and the request can be (re)assigned.
    pub fn is_with_reviewers(self) -> bool {
        matches!(
            self,
            State::Submitted | State::InReview | State::Resubmitted | State::Appealed
        )
    }

    /// States in which the requester may edit the request.
    pub fn is_editable(self) -> bool {
        matches!(self, State::Draft | State::ChangesRequested)
    }

    pub const OPEN: [State; 6] = [
        State::Draft,
        State::Submitted,
        State::InReview,
        State::ChangesRequested,
        State::Resubmitted,
        State::Appealed,
    ];

    pub const WITH_REVIEWERS: [State; 4] = [
        State::Submitted,
        State::InReview,
        State::Resubmitted,
        State::Appealed,
    ];

    /// How messages name the state: `in review`.
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }
}

impl Action {
    /// Every action, in order; see [`State::ALL`].
    pub const ALL: [Action; 8] = [
        Action::Submit,
        Action::StartReview,
        Action::RequestChanges,
        Action::Resubmit,
        Action::Approve,
        Action::Deny,
        Action::Withdraw,
        Action::Appeal,
    ];

    /// The action's place in [`Action::ALL`].
    pub const fn position(self) -> usize {
        match self {
            Action::Submit => 0,
            Action::StartReview => 1,
            Action::RequestChanges => 2,
            Action::Resubmit => 3,
            Action::Approve => 4,
            Action::Deny => 5,
            Action::Withdraw => 6,
            Action::Appeal => 7,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::StartReview => "start_review",
            Action::RequestChanges => "request_changes",
            Action::Resubmit => "resubmit",
            Action::Approve => "approve",
            Action::Deny => "deny",
            Action::Withdraw => "withdraw",
            Action::Appeal => "appeal",
        }
    }

    /// How messages name the action: `request changes on`.
    fn verb(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::StartReview => "start reviewing",
            Action::RequestChanges => "request changes on",
            Action::Resubmit => "resubmit",
            Action::Approve => "approve",
            Action::Deny => "deny",
            Action::Withdraw => "withdraw",
            Action::Appeal => "appeal",
        }
    }
}

/// The table of allowed moves: the state `action` leads to from `from`, or
/// `None` when the move is not allowed.
pub fn transition(from: State, action: Action) -> Option<State> {
    use Action as A;
    use State as S;
    match (from, action) {
        (S::Draft, A::Submit) => Some(S::Submitted),
        (S::Submitted | S::Resubmitted | S::Appealed, A::StartReview) => Some(S::InReview),
        (S::InReview, A::RequestChanges) => Some(S::ChangesRequested),
        (S::ChangesRequested, A::Resubmit) => Some(S::Resubmitted),
        (S::InReview, A::Approve) => Some(S::Approved),
        (S::InReview, A::Deny) => Some(S::Denied),
        (S::Denied, A::Appeal) => Some(S::Appealed),
        (from, A::Withdraw) if from.is_open() => Some(S::Withdrawn),
        _ => None,
    }
}

/// The actions the table allows from `state`.
pub fn allowed_actions(state: State) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| transition(state, *a).is_some())
        .collect()
}

/// The refusal of a move the table does not allow, naming the current state.
pub fn refusal(from: State, action: Action) -> AppError {
    let allowed: Vec<&str> = allowed_actions(from)
        .into_iter()
        .map(|a| a.verb())
        .collect();
    let hint = if allowed.is_empty() {
        "it is closed".to_string()
    } else {
        format!("from here you can {}", allowed.join(", "))
    };
    AppError::InvalidState {
        state: from.as_str().to_string(),
        message: format!(
            "cannot {} a request that is {} ({hint})",
            action.verb(),
            from.label()
        ),
    }
}

/// Checks a move against the table: the next state, or the refusal.
pub fn apply(from: State, action: Action) -> Result<State, AppError> {
    transition(from, action).ok_or_else(|| refusal(from, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The moves the issue describes, written out independently of the
    /// `transition` function so the two check each other.
    const ALLOWED: &[(State, Action, State)] = &[
        (State::Draft, Action::Submit, State::Submitted),
        (State::Submitted, Action::StartReview, State::InReview),
        (
            State::InReview,
            Action::RequestChanges,
            State::ChangesRequested,
        ),
        (
            State::ChangesRequested,
            Action::Resubmit,
            State::Resubmitted,
        ),
        (State::Resubmitted, Action::StartReview, State::InReview),
        (State::InReview, Action::Approve, State::Approved),
        (State::InReview, Action::Deny, State::Denied),
        (State::Denied, Action::Appeal, State::Appealed),
        (State::Appealed, Action::StartReview, State::InReview),
        (State::Draft, Action::Withdraw, State::Withdrawn),
        (State::Submitted, Action::Withdraw, State::Withdrawn),
        (State::InReview, Action::Withdraw, State::Withdrawn),
        (State::ChangesRequested, Action::Withdraw, State::Withdrawn),
        (State::Resubmitted, Action::Withdraw, State::Withdrawn),
        (State::Appealed, Action::Withdraw, State::Withdrawn),
    ];

    #[test]
    fn every_allowed_transition_leads_where_the_issue_says() {
        for (from, action, to) in ALLOWED {
            assert_eq!(
                transition(*from, *action),
                Some(*to),
                "{from:?} --{action:?}-->"
            );
            assert_eq!(apply(*from, *action).ok(), Some(*to));
        }
    }

    /// The disallowed list is generated from ALL × ALL minus the table, so a
    /// new state or action is checked without anyone remembering to list it.
    #[test]
    fn every_other_move_is_refused_naming_the_current_state() {
        let mut refused = 0;
        for from in State::ALL {
            for action in Action::ALL {
                if ALLOWED.iter().any(|(f, a, _)| *f == from && *a == action) {
                    continue;
                }
                refused += 1;
                assert_eq!(transition(from, action), None, "{from:?} --{action:?}-->");
                match apply(from, action) {
                    Err(AppError::InvalidState { state, message }) => {
                        assert_eq!(state, from.as_str());
                        assert!(
                            message.contains(&from.label()),
                            "{message:?} must name the state {from:?}"
                        );
                        assert_eq!(
                            AppError::InvalidState { state, message }.code(),
                            "INVALID_STATE"
                        );
                    }
                    other => panic!("{from:?} --{action:?}--> must be refused, got {other:?}"),
                }
            }
        }
        assert_eq!(
            refused,
            State::ALL.len() * Action::ALL.len() - ALLOWED.len()
        );
    }

    #[test]
    fn the_table_allows_nothing_beyond_the_list() {
        let table_moves = State::ALL
            .into_iter()
            .flat_map(|s| allowed_actions(s).into_iter().map(move |a| (s, a)))
            .count();
        assert_eq!(table_moves, ALLOWED.len());
    }

    #[test]
    fn closed_states_allow_nothing_but_appeal_after_denial() {
        assert!(allowed_actions(State::Approved).is_empty());
        assert!(allowed_actions(State::Withdrawn).is_empty());
        assert_eq!(allowed_actions(State::Denied), vec![Action::Appeal]);
        for state in State::ALL {
            assert_eq!(state.is_open(), State::OPEN.contains(&state));
            assert_eq!(
                state.is_with_reviewers(),
                State::WITH_REVIEWERS.contains(&state)
            );
        }
    }

    /// Positions are 0..N without gaps, and each is filled in ALL: a variant
    /// given the next position but left out of ALL breaks the array length.
    #[test]
    fn all_lists_every_variant() {
        for (i, state) in State::ALL.into_iter().enumerate() {
            assert_eq!(state.position(), i, "{state:?}");
        }
        for (i, action) in Action::ALL.into_iter().enumerate() {
            assert_eq!(action.position(), i, "{action:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for state in State::ALL {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
        assert_eq!(State::InReview.as_str(), "in_review");
        assert_eq!(State::parse("nope"), None);
    }
}
