//! One-click unsubscribe (RFC 8058): a signed token naming the user works
//! without a session and cannot be forged for anyone else.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::notifications::preferences::{self, DigestFrequency};
use crate::{auth::tokens, context::AppContext, error::AppResult};

fn message(user_id: i64) -> String {
    format!("unsubscribe-digest:{user_id}")
}

/// `<user id>.<signature>`, URL-safe.
pub fn token(secret: &str, user_id: i64) -> String {
    let id = URL_SAFE_NO_PAD.encode(user_id.to_string());
    format!("{id}.{}", tokens::sign(secret, &message(user_id)))
}

/// The user a genuine token names.
pub fn verify(secret: &str, token: &str) -> Option<i64> {
    let (id, signature) = token.split_once('.')?;
    let id = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let user_id: i64 = id.parse().ok()?;
    tokens::verify(secret, &message(user_id), signature).then_some(user_id)
}

pub fn link(ctx: &AppContext, user_id: i64) -> String {
    format!(
        "{}/unsubscribe?token={}",
        ctx.config.public_url,
        token(&ctx.config.secret_key, user_id)
    )
}

/// Turns the digest off for the user the token names. Returns false for a
/// token that does not verify.
pub async fn apply(ctx: &AppContext, token: &str) -> AppResult<bool> {
    let Some(user_id) = verify(&ctx.config.secret_key, token) else {
        return Ok(false);
    };
    let now = ctx.clock.now();
    let mut prefs = preferences::get(&ctx.db, user_id, now).await?;
    prefs.digest_frequency = DigestFrequency::Off.as_str().into();
    prefs.updated_at = now;
    if crate::auth::service::find_user(&ctx.db, user_id)
        .await
        .is_err()
    {
        return Ok(false);
    }
    let txn = ctx.write().await?;
    txn.reaches(crate::db::Reach::Member(user_id));
    preferences::save(&txn, prefs).await?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_one_user_and_resist_forgery() {
        let t = token("secret-key-for-tests-0123456789abcdef", 42);
        assert_eq!(
            verify("secret-key-for-tests-0123456789abcdef", &t),
            Some(42)
        );
        assert_eq!(verify("another-key-0123456789abcdef0123456", &t), None);
        // Swapping in another user's id invalidates the signature.
        let (_, sig) = t.split_once('.').unwrap_or_default();
        let forged = format!("{}.{sig}", URL_SAFE_NO_PAD.encode("43"));
        assert_eq!(
            verify("secret-key-for-tests-0123456789abcdef", &forged),
            None
        );
        assert_eq!(
            verify("secret-key-for-tests-0123456789abcdef", "garbage"),
            None
        );
    }
}
