//! The forum's enumerations, shared by the service and the schema.

use async_graphql::Enum;

/// Where moderation has put a thread or post. Held and hidden content is
/// visible only to its author and to moderators.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ModerationState {
    Visible,
    /// Waiting for a moderator before anyone else sees it.
    Held,
    /// Taken down (flags or a moderator) until a moderator restores it.
    Hidden,
}

impl ModerationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationState::Visible => "visible",
            ModerationState::Held => "held",
            ModerationState::Hidden => "hidden",
        }
    }

    pub fn parse(s: &str) -> ModerationState {
        match s {
            "held" => ModerationState::Held,
            "hidden" => ModerationState::Hidden,
            _ => ModerationState::Visible,
        }
    }
}

/// How closely a user follows a thread, category or tag.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SubscriptionLevel {
    /// Notified of every reply (threads) or every new thread (categories, tags).
    Watching,
    /// Notified only when mentioned, quoted or replied to.
    Normal,
    /// Never notified; left out of the latest, top and unread lists.
    Muted,
}

impl SubscriptionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionLevel::Watching => "watching",
            SubscriptionLevel::Normal => "normal",
            SubscriptionLevel::Muted => "muted",
        }
    }

    pub fn parse(s: &str) -> SubscriptionLevel {
        match s {
            "watching" => SubscriptionLevel::Watching,
            "muted" => SubscriptionLevel::Muted,
            _ => SubscriptionLevel::Normal,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SubscriptionTarget {
    Thread,
    Category,
    Tag,
}

impl SubscriptionTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionTarget::Thread => "thread",
            SubscriptionTarget::Category => "category",
            SubscriptionTarget::Tag => "tag",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionTarget> {
        match s {
            "thread" => Some(SubscriptionTarget::Thread),
            "category" => Some(SubscriptionTarget::Category),
            "tag" => Some(SubscriptionTarget::Tag),
            _ => None,
        }
    }
}

/// Which thread list.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ThreadList {
    /// By last activity; in a category, pinned threads first.
    #[default]
    Latest,
    /// By score (3 × likes + 2 × replies + views / 10) over a period.
    Top,
    /// Threads the viewer has read before that have newer posts.
    Unread,
}

/// The period of the top list: threads started within it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum TopPeriod {
    Day,
    Week,
    #[default]
    Month,
    Quarter,
    Year,
    All,
}

impl TopPeriod {
    pub fn days(self) -> Option<i64> {
        match self {
            TopPeriod::Day => Some(1),
            TopPeriod::Week => Some(7),
            TopPeriod::Month => Some(30),
            TopPeriod::Quarter => Some(91),
            TopPeriod::Year => Some(365),
            TopPeriod::All => None,
        }
    }
}
