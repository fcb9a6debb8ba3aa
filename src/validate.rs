//! Edge validation helpers shared by the domains. Each refusal names the
//! field, so clients can put the message beside the right input.

use crate::error::{AppError, AppResult};

/// A trimmed single-line string of `min..=max` characters without control
/// characters.
pub fn single_line(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(AppError::validation(field, "must be a single line of text"));
    }
    length(field, value, min, max)?;
    Ok(value.to_string())
}

/// Trimmed multi-line text (markdown bodies) of `min..=max` characters.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::validation(field, "contains control characters"));
    }
    length(field, value, min, max)?;
    Ok(value.to_string())
}

fn length(field: &str, value: &str, min: usize, max: usize) -> AppResult<()> {
    let len = value.chars().count();
    if len < min {
        return Err(AppError::validation(
            field,
            if min == 1 {
                "must not be empty".to_string()
            } else {
                format!("must be at least {min} characters")
            },
        ));
    }
    if len > max {
        return Err(AppError::validation(
            field,
            format!("must be at most {max} characters (got {len})"),
        ));
    }
    Ok(())
}

/// Parses a GraphQL `ID` holding a database id.
pub fn id(field: &str, value: &async_graphql::ID) -> AppResult<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::validation(field, "is not a valid id"))
}
