//! Who a member is to every domain: roles, data tiers, account status, and
//! the signed-in user as services see it.

use std::fmt;

use async_graphql::Enum;
use chrono::{DateTime, Utc};

use crate::{
    entities::user,
    error::{AppError, AppResult},
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Researcher,
    Moderator,
    Reviewer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Researcher => "researcher",
            Role::Moderator => "moderator",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "researcher" => Some(Role::Researcher),
            "moderator" => Some(Role::Moderator),
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A set of roles, stored as a comma-separated column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut v: Vec<Role> = roles.into_iter().collect();
        v.sort();
        v.dedup();
        Roles(v)
    }

    pub fn parse_column(s: &str) -> Self {
        Self::new(s.split(',').filter_map(Role::parse))
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn list(&self) -> &[Role] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|r| r.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

/// The data access tier a researcher holds. Controlled includes Registered.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Registered,
    Controlled,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Registered => "registered",
            Tier::Controlled => "controlled",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        match s.trim().to_ascii_lowercase().as_str() {
            "registered" => Some(Tier::Registered),
            "controlled" => Some(Tier::Controlled),
            _ => None,
        }
    }

    /// Whether a holder of `self` may see material of tier `needed`.
    pub fn covers(self, needed: Tier) -> bool {
        self >= needed
    }

    /// The tiers a holder of `self` may see.
    pub fn visible(self) -> Vec<Tier> {
        [Tier::Registered, Tier::Controlled]
            .into_iter()
            .filter(|t| self.covers(*t))
            .collect()
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Suspended,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
        }
    }

    /// A stored status. An unknown value is logged and is no status: it
    /// never reads as active.
    pub fn parse(s: &str) -> Option<UserStatus> {
        match s {
            "active" => Some(UserStatus::Active),
            "suspended" => Some(UserStatus::Suspended),
            _ => {
                tracing::error!(status = s, "unknown user status in the users table");
                None
            }
        }
    }

    /// Whether a stored status is active; an unknown one is not.
    pub fn is_active(s: &str) -> bool {
        UserStatus::parse(s) == Some(UserStatus::Active)
    }
}

/// The signed-in user, loaded once per request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub roles: Roles,
    pub tier: Tier,
    pub verified: bool,
    pub silenced_until: Option<DateTime<Utc>>,
    pub session_id: Option<i64>,
}

impl CurrentUser {
    pub fn from_model(user: &user::Model, session_id: Option<i64>) -> Self {
        Self {
            id: user.id,
            handle: user.handle.clone(),
            display_name: user.display_name.clone(),
            roles: Roles::parse_column(&user.roles),
            tier: Tier::parse(&user.tier).unwrap_or(Tier::Registered),
            verified: user.email_verified_at.is_some(),
            silenced_until: user.silenced_until,
            session_id,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.has(role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }

    pub fn is_moderator(&self) -> bool {
        self.has(Role::Moderator) || self.is_admin()
    }

    pub fn is_reviewer(&self) -> bool {
        self.has(Role::Reviewer) || self.is_admin()
    }

    pub fn is_staff(&self) -> bool {
        self.is_moderator() || self.is_reviewer()
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::forbidden("only admins can do this"))
        }
    }

    pub fn require_moderator(&self) -> AppResult<()> {
        if self.is_moderator() {
            Ok(())
        } else {
            Err(AppError::forbidden("only moderators can do this"))
        }
    }

    pub fn require_reviewer(&self) -> AppResult<()> {
        if self.is_reviewer() {
            Ok(())
        } else {
            Err(AppError::forbidden("only reviewers can do this"))
        }
    }

    /// Writing (posting, filing, requesting) needs a verified address and no
    /// active silence.
    pub fn require_writer(&self, now: DateTime<Utc>) -> AppResult<()> {
        if !self.verified {
            return Err(AppError::forbidden(
                "confirm your email address before posting; check your inbox for the link",
            ));
        }
        if let Some(until) = self.silenced_until
            && until > now
        {
            return Err(AppError::forbidden(format!(
                "you are silenced until {}",
                until.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_user_status_is_no_status_and_not_active() {
        assert_eq!(UserStatus::parse("active"), Some(UserStatus::Active));
        assert_eq!(UserStatus::parse("suspended"), Some(UserStatus::Suspended));
        assert_eq!(UserStatus::parse("Active"), None);
        assert_eq!(UserStatus::parse(""), None);
        assert!(UserStatus::is_active("active"));
        assert!(!UserStatus::is_active("suspended"));
        assert!(!UserStatus::is_active("deleted"));
    }
}
