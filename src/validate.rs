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

/// Characters that change how text around them is shown without showing
/// themselves: bidirectional controls (which can make `evil` read `live`),
/// zero-width characters and joiners, other Unicode format characters
/// (category Cf), and the blank "filler" letters that render as nothing.
/// In a name they let one member pass for another.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{205F}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// A name people are known by (a display name, an institution): a single
/// line, as [`single_line`], with no invisible characters ([`is_invisible`]).
pub fn name(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    if value.chars().any(is_invisible) {
        return Err(AppError::validation(
            field,
            "must not contain invisible or direction-changing characters",
        ));
    }
    single_line(field, value, min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_invisible_and_bidi_characters() {
        for spoof in [
            "Admin\u{200B}istrator",
            "\u{202E}nimda",
            "Jane\u{2066}Doe",
            "\u{FEFF}Moderator",
            "\u{3164}",
            "Staff\u{E0041}",
        ] {
            assert!(name("displayName", spoof, 1, 80).is_err(), "{spoof:?}");
        }
        for fine in ["Jane Doe", "Zoë Ørsted-Łukasz", "أحمد", "李小龍", "Ana 🌱"] {
            assert_eq!(name("displayName", fine, 1, 80).ok().as_deref(), Some(fine));
        }
    }
}
