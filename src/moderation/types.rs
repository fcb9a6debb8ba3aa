//! Moderation's enumerations, shared by the services and the schema. Each
//! has a stable storage string.

use async_graphql::Enum;

use crate::screening::rules::FlagReason as RuleFlagReason;

macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($s => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

stored_enum!(
    /// Where a queue entry stands.
    ModerationItemStatus {
        /// Waiting for a moderator.
        Pending => "pending",
        /// The content is fine: published or restored.
        Approved => "approved",
        /// The content was hidden and its author told why.
        Rejected => "rejected",
        /// Closed without judging the content, which stays as it is.
        Ignored => "ignored",
    }
);

stored_enum!(
    /// Why a member flags a post or thread.
    FlagReason {
        Spam => "spam",
        OffTopic => "off_topic",
        Inappropriate => "inappropriate",
        /// It may expose participant data (small counts, identifiers).
        Privacy => "privacy",
        /// Explained in the flag's text.
        Other => "other",
    }
);

impl FlagReason {
    pub fn rule(self) -> RuleFlagReason {
        match self {
            FlagReason::Spam => RuleFlagReason::Spam,
            FlagReason::OffTopic => RuleFlagReason::OffTopic,
            FlagReason::Inappropriate => RuleFlagReason::Inappropriate,
            FlagReason::Privacy => RuleFlagReason::Privacy,
            FlagReason::Other => RuleFlagReason::Other,
        }
    }

    /// The queue reason this flag gives its entry.
    pub fn reason(self) -> ModerationReason {
        match self {
            FlagReason::Spam => ModerationReason::Spam,
            FlagReason::OffTopic => ModerationReason::OffTopic,
            FlagReason::Inappropriate => ModerationReason::Inappropriate,
            FlagReason::Privacy => ModerationReason::Privacy,
            FlagReason::Other => ModerationReason::Other,
        }
    }
}

stored_enum!(
    /// Why an entry is in the queue: a flag reason, a screening rule, or the
    /// review of a new member's first posts. The storage strings of the rule
    /// codes are those of `screen::RuleKind::code`.
    ModerationReason {
        Spam => "SPAM",
        OffTopic => "OFF_TOPIC",
        Inappropriate => "INAPPROPRIATE",
        Privacy => "PRIVACY",
        Other => "OTHER",
        /// One of a new member's first posts.
        NewUser => "NEW_USER",
        BlockedWord => "BLOCKED_WORD",
        /// More links than a new member may post.
        LinkLimit => "LINK_LIMIT",
        BlockedDomain => "BLOCKED_DOMAIN",
        /// The small-count guard (Data and Statistics Dissemination Policy).
        SmallCount => "SMALL_COUNT",
        /// A participant identifier from the program's data.
        PersonIdentifier => "PERSON_IDENTIFIER",
        /// Something shaped like a US Social Security number.
        Ssn => "SSN",
    }
);

impl ModerationReason {
    /// Reasons that concern participant data go to the front of the queue.
    pub fn is_privacy(self) -> bool {
        matches!(
            self,
            ModerationReason::Privacy
                | ModerationReason::SmallCount
                | ModerationReason::PersonIdentifier
                | ModerationReason::Ssn
        )
    }

    pub fn is_flag(self) -> bool {
        matches!(
            self,
            ModerationReason::Spam
                | ModerationReason::OffTopic
                | ModerationReason::Inappropriate
                | ModerationReason::Privacy
                | ModerationReason::Other
        )
    }
}

stored_enum!(
    /// How urgent a queue entry is.
    ModerationPriority {
        /// Participant data may be exposed.
        Urgent => "3",
        /// The content is withheld (held or hidden) until someone decides.
        High => "2",
        /// Flags below the hide threshold; the content is still up.
        Normal => "1",
    }
);

impl ModerationPriority {
    pub fn level(self) -> i32 {
        match self {
            ModerationPriority::Urgent => 3,
            ModerationPriority::High => 2,
            ModerationPriority::Normal => 1,
        }
    }

    pub fn from_level(level: i32) -> ModerationPriority {
        match level {
            3.. => ModerationPriority::Urgent,
            2 => ModerationPriority::High,
            _ => ModerationPriority::Normal,
        }
    }
}

stored_enum!(
    /// A step in a queue entry's history.
    ModerationEventKind {
        /// Screening held the content (rules, or a new member's first post).
        Held => "held",
        Flagged => "flagged",
        /// The flag score reached the threshold and the content was hidden.
        Hidden => "hidden",
        /// The author (or a moderator) edited the content.
        Edited => "edited",
        /// Something new happened after a decision.
        Reopened => "reopened",
        Claimed => "claimed",
        Released => "released",
        Approved => "approved",
        Rejected => "rejected",
        Ignored => "ignored",
    }
);

stored_enum!(
    /// What the audit log records.
    ModerationAction {
        LockThread => "lock_thread",
        UnlockThread => "unlock_thread",
        PinThread => "pin_thread",
        UnpinThread => "unpin_thread",
        MoveThread => "move_thread",
        HidePost => "hide_post",
        UnhidePost => "unhide_post",
        SilenceUser => "silence_user",
        UnsilenceUser => "unsilence_user",
        SuspendUser => "suspend_user",
        UnsuspendUser => "unsuspend_user",
        /// A queue entry approved: the content published or restored.
        ApproveItem => "approve_item",
        /// A queue entry rejected: the content hidden, the author told why.
        RejectItem => "reject_item",
        IgnoreItem => "ignore_item",
        /// The system hid content whose flags reached the threshold.
        AutoHide => "auto_hide",
        /// A moderator emptied the text of one revision of a post.
        RedactRevision => "redact_revision",
    }
);

stored_enum!(
    /// What a queue entry or an audit-log row is about.
    ModerationTargetType {
        Post => "post",
        Thread => "thread",
        User => "user",
    }
);

stored_enum!(
    /// What became of a flag.
    FlagStatus {
        /// Not yet reviewed.
        Open => "open",
        /// A moderator rejected the content.
        Agreed => "agreed",
        /// A moderator approved the content.
        Declined => "declined",
        Ignored => "ignored",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_strings_round_trip() {
        for r in ModerationReason::ALL {
            assert_eq!(ModerationReason::parse(r.as_str()), Some(*r));
        }
        for a in ModerationAction::ALL {
            assert_eq!(ModerationAction::parse(a.as_str()), Some(*a));
        }
        for p in ModerationPriority::ALL {
            assert_eq!(ModerationPriority::from_level(p.level()), *p);
        }
    }

    #[test]
    fn rule_codes_are_reasons() {
        use crate::screening::screen::RuleKind;
        for kind in [
            RuleKind::BlockedWord,
            RuleKind::LinkLimit,
            RuleKind::BlockedDomain,
            RuleKind::SmallCount,
            RuleKind::PersonIdentifier,
            RuleKind::Ssn,
        ] {
            assert!(ModerationReason::parse(kind.code()).is_some(), "{kind:?}");
        }
    }
}
