//! Demo moderation data for `commons seed-demo`.

use crate::context::AppContext;

pub async fn seed_demo(_ctx: &AppContext) -> anyhow::Result<()> {
    Ok(())
}
