//! The web UI's files (`frontend/`), embedded in the binary: served by
//! `http`, and read by `telemetry` for the operation names it labels.

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "frontend/"]
pub struct Frontend;

/// The frontend's scripts.
pub fn scripts() -> impl Iterator<Item = std::borrow::Cow<'static, [u8]>> {
    Frontend::iter()
        .filter(|name| name.ends_with(".js"))
        .filter_map(|name| Frontend::get(&name).map(|file| file.data))
}
